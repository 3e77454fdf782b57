"""Parse DQDL text into the typed AST (``lakehouse.dq.ast``), checking everything Glue checks.

``parse(text)`` returns a ``Ruleset`` or raises ``DqdlSyntaxError`` listing every problem found
(``.problems``), each with a 1-based line and column, the words that were expected there, the
offending line's text and a message such as::

    line 3, column 5: unknown rule type 'IsCompletee' (did you mean IsComplete?) in: IsCompletee "email"

Problems are found in two passes. The LALR grammar (``dqdl.lark``) catches syntax errors; when
one occurs, the Rules and Analyzers lists are re-parsed item by item so that one bad rule does not
hide the others. The tree walker then checks the meaning: known rule types and their parameters,
whether a condition is required/allowed and of which kind (number, string, date, duration, size),
``where`` and ``with threshold`` support, ``with`` tags, labels (at most 10 per rule, keys up to
128 and values up to 256 characters, no duplicates, not inside composite operands), constants,
dynamic functions, composite nesting (5 levels at most, as in awslabs/dqdl).

Deliberate differences from Glue's own parser (awslabs/dqdl), all stricter or clearer:

* ``with <tag>`` keys must be known for the rule type (``threshold``, the file tags, ``bins`` and
  ``rebin``); Glue stores unknown string tags and treats any ``with <name> > x`` as a threshold,
  so a misspelt ``with treshold > 0.9`` would silently become a threshold there.
* Unknown dynamic functions (``average(last(3))``) and un-aggregated ``last(k)`` with k > 1 are
  errors here; Glue accepts them at parse time and fails when evaluating.
* A list mixing date-shaped strings and other strings (``in ["2024-01-01", "x"]``) is a string
  list here; Glue's lexer treats ``"2024-01-01"`` as a date token and rejects the mix.
* Labels on a rule inside a composite are rejected (they have no effect there).

Strings: a backslash escapes the next character. Condition strings and label keys/values are
unescaped (``\\"`` -> ``"``, ``\\\\`` -> ``\\``); parameters (column names, SQL, regexes), ``where``
clauses and ``matches`` patterns keep their text exactly as written, as Glue does.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from lakehouse.dq import rule_types as rt
from lakehouse.dq.ast import (
    EMPTY,
    EMPTY_MAP,
    NULL,
    WHITESPACES_ONLY,
    Between,
    BinaryOp,
    Comparison,
    CompositeRule,
    Condition,
    ConstantValue,
    DataSources,
    DateValue,
    Duration,
    DynamicExpr,
    EmptyValue,
    FrozenMap,
    FunctionCall,
    InList,
    Matches,
    NowExpr,
    NumberValue,
    NumExpr,
    OptionValue,
    Param,
    Rule,
    RuleNode,
    Ruleset,
    Size,
    StringValue,
    TimeValue,
    Value,
    WhitespacesOnlyValue,
    aggregate_expression,
    column_mappings,
    condition_uses_history,
    quote,
    reference_columns,
    split_columns,
)
from lakehouse.dq.rule_types import ParamKind, RuleTypeSpec

__all__ = ["DqdlSyntaxError", "check", "parse", "parse_file", "parse_rule"]

MAX_LABELS = 10
MAX_LABEL_KEY = 128
MAX_LABEL_VALUE = 256
MAX_COMPOSITE_DEPTH = 5

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MIL_TIME_RE = re.compile(r"(\d{2}):(\d{2})")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2}) (AM|PM)")
_ESCAPE_RE = re.compile(r"\\([\"\\])")
_CONDITION_TREES = ("comparison", "between", "in_list", "matches")
_MODIFIER_TREES = ("labels_clause", "with_condition", "with_list", "with_bool")
_SECTION_NAMES = ("Metadata", "DataSources", "DefaultLabels", "Rules", "Analyzers")
_KEYWORDS = ("between", "not", "in", "matches", "where", "with", "labels", "threshold", "of")

CONDITION_EXAMPLES = {
    "number": "> 0.9",
    "string": 'in ["A","B"]',
    "date": "> (now() - 1 days)",
    "duration": "<= 24 hours",
    "size": "< 5 GB",
}
_KIND_PLURALS = {
    "number": "numbers",
    "string": "strings",
    "date": "dates",
    "duration": "durations",
    "size": "sizes",
}
_KIND_WORDS = {
    "number": "a number",
    "string": "a string",
    "date": "a date",
    "duration": "a duration (days, hours, minutes)",
    "size": "a size (B, KB, MB, GB, TB)",
    "null": "NULL",
}


# --------------------------------------------------------------------------- errors


class DqdlSyntaxError(ValueError):
    """A DQDL problem, raised before anything is evaluated.

    ``line``/``column`` are 1-based; ``expected`` lists human words for what could have come
    there ("a rule type", "a condition such as '> 0.9'", "']'"); ``rule_text`` is the offending
    line; ``problems`` holds every problem found in the ruleset (this one first).
    """

    def __init__(
        self,
        message: str,
        *,
        line: int,
        column: int,
        expected: Sequence[str] = (),
        rule_text: str = "",
        source: str | None = None,
        problems: Sequence[DqdlSyntaxError] | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.expected = tuple(expected)
        self.rule_text = rule_text
        self.source = source
        self.problems: tuple[DqdlSyntaxError, ...] = tuple(problems) if problems else (self,)
        super().__init__(self.describe())

    def describe(self) -> str:
        """This one problem as ``[source: ]line L, column C: message in: rule text``."""
        where = f"{self.source}: " if self.source else ""
        text = f"{where}line {self.line}, column {self.column}: {self.message}"
        return f"{text} in: {self.rule_text}" if self.rule_text else text

    def __str__(self) -> str:
        return "\n".join(p.describe() for p in self.problems)


def _unescape(raw: str) -> str:
    return _ESCAPE_RE.sub(r"\1", raw)


def _suggest_suffix(word: str, choices: Iterable[str]) -> str:
    hint = rt.suggest(word, tuple(choices))
    return f" (did you mean {hint}?)" if hint else ""


def _close_keyword(word: str, keywords: Iterable[str] = _KEYWORDS) -> str | None:
    if word in keywords:
        return None
    close = difflib.get_close_matches(word.lower(), list(keywords), n=1, cutoff=0.75)
    return close[0] if close else None


# --------------------------------------------------------------------------- the grammar


@functools.cache
def _lark() -> Lark:
    grammar = resources.files("lakehouse.dq").joinpath("dqdl.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        start=["start", "single_rule", "single_analyzer"],
        propagate_positions=True,
        maybe_placeholders=True,
    )


# --------------------------------------------------------------------------- public API


def check(
    text: str, *, source: str | None = None
) -> tuple[Ruleset | None, tuple[DqdlSyntaxError, ...]]:
    """Parse and validate; return the ruleset (``None`` on any problem) and all problems."""
    lark = _lark()
    try:
        tree = lark.parse(text, start="start")
    except UnexpectedInput as exc:
        return None, _recover(text, source, exc)
    builder = _Builder(text, source)
    ruleset = builder.document(tree)
    problems = builder.sorted_problems()
    return (None if problems else ruleset), problems


def parse(text: str, *, source: str | None = None) -> Ruleset:
    """Parse a DQDL ruleset; raise ``DqdlSyntaxError`` (with every problem) if it is invalid."""
    ruleset, problems = check(text, source=source)
    if problems:
        first = problems[0]
        raise DqdlSyntaxError(
            first.message,
            line=first.line,
            column=first.column,
            expected=first.expected,
            rule_text=first.rule_text,
            source=source,
            problems=problems,
        )
    assert ruleset is not None
    return ruleset


def parse_file(path: str | Path) -> Ruleset:
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), source=str(path))


def parse_rule(
    text: str,
    *,
    constants: Mapping[str, ConstantValue] | None = None,
    default_labels: Mapping[str, str] | None = None,
) -> RuleNode:
    """Parse one rule (``'IsComplete "email"'``, ``'(A) and (B)'``)."""
    try:
        tree = _lark().parse(text, start="single_rule")
    except UnexpectedInput as exc:
        err = _Translator(text, None, "rule").translate(exc)
        raise DqdlSyntaxError(
            err.message,
            line=err.line,
            column=err.column,
            expected=err.expected,
            rule_text=err.rule_text,
        ) from None
    builder = _Builder(text, None, constants=dict(constants or {}), default_labels=default_labels)
    node = builder.top_rule(tree.children[0])
    problems = builder.sorted_problems()
    if problems:
        first = problems[0]
        raise DqdlSyntaxError(
            first.message,
            line=first.line,
            column=first.column,
            expected=first.expected,
            rule_text=first.rule_text,
            problems=problems,
        )
    assert node is not None
    return node


# --------------------------------------------------------------------------- rendering


def _option_text(value: OptionValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, tuple):
        return "[" + ",".join(quote(v) for v in value) + "]"
    return str(value)


def render_rule(
    rule_type: str,
    params: Sequence[Param],
    condition: Condition | None = None,
    where: str | None = None,
    threshold: Condition | None = None,
    options: Mapping[str, OptionValue] | None = None,
    *,
    analyzer: bool = False,
) -> str:
    """A rule's canonical text (see the ``lakehouse.dq.ast`` docstring)."""
    parts = [rule_type, *(p.text for p in params)]
    if condition is not None:
        parts.append(condition.text)
    if where is not None:
        parts.append(f'where "{where}"')
    if threshold is not None:
        parts.append(f"with threshold {threshold.text}")
    if options:
        if analyzer:
            parts.append(
                "with " + ", ".join(f"{k} = {_option_text(v)}" for k, v in options.items())
            )
        else:
            parts.extend(f'with "{k}" = {_option_text(v)}' for k, v in options.items())
    return " ".join(parts)


def _uses_one_operator(node: RuleNode, op: str) -> bool:
    if isinstance(node, Rule):
        return True
    return node.operator == op and all(_uses_one_operator(o, op) for o in node.operands)


def render_composite(operator: str, operands: Sequence[RuleNode]) -> str:
    """``(A) AND (B)``; a tree using one operator throughout is flattened (as DQRule does)."""
    if all(_uses_one_operator(o, operator) for o in operands):
        items: list[RuleNode] = [leaf for o in operands for leaf in o.leaves()]
    else:
        items = list(operands)
    return f" {operator.upper()} ".join(f"({o.text})" for o in items)


# --------------------------------------------------------------------------- the tree walker


def _pos(node: Token | Tree | tuple[int, int]) -> tuple[int, int]:
    if isinstance(node, tuple):
        return node
    if isinstance(node, Token):
        return node.line or 1, node.column or 1
    return node.meta.line, node.meta.column


def _end(node: Tree | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        return node.end_line or 1, node.end_column or 1
    return node.meta.end_line, node.meta.end_column


def _trees(node: Tree, *names: str) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree) and (not names or c.data in names)]


def _tokens(node: Tree, *types: str) -> list[Token]:
    return [c for c in node.children if isinstance(c, Token) and (not types or c.type in types)]


def _is_int_literal(v: object) -> bool:
    return (
        isinstance(v, NumberValue) and "." not in v.text and v.value == v.value.to_integral_value()
    )


class _Builder:
    """Turns lark trees into AST nodes, recording every problem it finds."""

    def __init__(
        self,
        text: str,
        source: str | None,
        *,
        constants: dict[str, ConstantValue] | None = None,
        default_labels: Mapping[str, str] | None = None,
        recovering: bool = False,
        constants_known: bool = True,
    ) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.source = source
        self.problems: list[DqdlSyntaxError] = []
        self.constants: dict[str, ConstantValue] = dict(constants or {})
        self.constants_known = constants_known
        self.default_labels: Mapping[str, str] = FrozenMap(default_labels or {})
        self.recovering = recovering

    # ------------------------------------------------------------------ problems

    def line_text(self, line: int) -> str:
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""

    def error(
        self, message: str, at: Token | Tree | tuple[int, int], expected: Sequence[str] = ()
    ) -> None:
        line, column = _pos(at)
        self.problems.append(
            DqdlSyntaxError(
                message,
                line=line,
                column=column,
                expected=expected,
                rule_text=self.line_text(line),
                source=self.source,
            )
        )

    def sorted_problems(self) -> tuple[DqdlSyntaxError, ...]:
        return _dedupe(self.problems)

    # ------------------------------------------------------------------ document

    def document(self, tree: Tree) -> Ruleset:
        metadata: dict[str, str] = {}
        data_sources: DataSources | None = None
        rules: list[RuleNode] = []
        analyzers: list[Rule] = []
        sections: dict[str, Tree] = {}
        items = 0
        for child in _trees(tree):
            if child.data == "metadata":
                metadata = self.metadata(child)
            elif child.data == "data_sources":
                data_sources = self.data_sources(child)
            elif child.data == "constant":
                self.constant(child)
            elif child.data == "default_labels":
                self.default_labels = FrozenMap(
                    self.label_list(_trees(child, "label_list")[0], what="DefaultLabels")
                )
            elif child.data == "rules_section":
                sections["Rules"] = child
                for item in _trees(child):
                    items += 1
                    node = self.top_rule(item)
                    if node is not None:
                        rules.append(node)
            elif child.data == "analyzers_section":
                sections["Analyzers"] = child
                for item in _trees(child, "analyzer"):
                    items += 1
                    a = self.analyzer(item)
                    if a is not None:
                        analyzers.append(a)
        if not self.recovering:
            if not sections:
                self.error(
                    "a ruleset needs a Rules section (or an Analyzers section), e.g. Rules = [ RowCount > 0 ]",
                    (1, 1),
                    ("'Rules = ['",),
                )
            elif not items:
                at = next(iter(sections.values()))
                self.error(
                    "no rules or analyzers: an empty Rules list needs a non-empty Analyzers list",
                    at,
                    ("a rule",),
                )
        return Ruleset(
            metadata=FrozenMap(metadata),
            data_sources=data_sources,
            constants=FrozenMap(self.constants),
            default_labels=self.default_labels,
            rules=tuple(rules),
            analyzers=tuple(analyzers),
            source_text=self.text,
        )

    def _pairs(self, tree: Tree, section: str) -> list[tuple[Token, str, Any]]:
        d = _trees(tree, "dict")[0]
        pairs = []
        for pair in _trees(d, "pair"):
            key_tok = pair.children[0]
            value = pair.children[2]
            if isinstance(value, Token):
                pairs.append(
                    (key_tok, _unescape(key_tok.value[1:-1]), _unescape(value.value[1:-1]))
                )
            else:
                items = tuple(_unescape(t.value[1:-1]) for t in _tokens(value, "STRING"))
                pairs.append((key_tok, _unescape(key_tok.value[1:-1]), items))
        if not pairs:
            self.error(f"empty {section} dictionary", d, ("a quoted key",))
        seen: set[str] = set()
        for tok, key, _ in pairs:
            if key in seen:
                self.error(f"duplicate {section} key '{key}'", tok)
            seen.add(key)
        return pairs

    def metadata(self, tree: Tree) -> dict[str, str]:
        out: dict[str, str] = {}
        for tok, key, value in self._pairs(tree, "Metadata"):
            if key != "Version":
                self.error(
                    f"unsupported Metadata key '{key}' (the only key is 'Version')",
                    tok,
                    ('"Version"',),
                )
            elif not isinstance(value, str):
                self.error(
                    'the Metadata Version must be a string such as "1.0"', tok, ("a quoted string",)
                )
            else:
                out[key] = value
        return out

    def data_sources(self, tree: Tree) -> DataSources:
        primary: str | None = None
        additional: tuple[str, ...] = ()
        for tok, key, value in self._pairs(tree, "DataSources"):
            if key == "Primary":
                if not isinstance(value, str):
                    self.error("DataSources Primary must be a string", tok, ("a quoted string",))
                else:
                    primary = value
            elif key == "AdditionalDataSources":
                if isinstance(value, str):
                    self.error(
                        'AdditionalDataSources must be a list such as ["ref"]', tok, ("'['",)
                    )
                else:
                    additional = value
            else:
                self.error(
                    f"unsupported DataSources key '{key}'{_suggest_suffix(key, ('Primary', 'AdditionalDataSources'))}"
                    " (keys: Primary, AdditionalDataSources)",
                    tok,
                    ('"Primary"', '"AdditionalDataSources"'),
                )
        return DataSources(primary, additional)

    def constant(self, tree: Tree) -> None:
        name_tok = tree.children[0]
        name = name_tok.value
        value_node = tree.children[2]
        lowered = {s.lower(): s for s in _SECTION_NAMES}
        if name.lower() in lowered:
            self.error(
                f"'{name}' is not a section name; section names are case-sensitive: {lowered[name.lower()]}",
                name_tok,
            )
            return
        if name.startswith((".", "_")):
            self.error(f"constant names cannot start with '.' or '_': '{name}'", name_tok)
        if name in self.constants:
            self.error(f"constant '{name}' is defined twice", name_tok)
        value: ConstantValue
        if isinstance(value_node, Token):
            item = self._const_item(value_node)
            value = item.value if isinstance(item, StringValue) else (item,)
        else:
            items = [
                c
                for c in value_node.children
                if isinstance(c, Token) and c.type not in ("LSQB", "RSQB", "COMMA")
            ]
            if not items:
                self.error(f"constant '{name}' is an empty list", value_node, ("a quoted string",))
            value = tuple(self._const_item(t) for t in items)
        self.constants[name] = value

    def _const_item(self, tok: Token) -> Value:
        if tok.type == "STRING":
            return StringValue(_unescape(tok.value[1:-1]))
        return {"NULL": NULL, "EMPTY": EMPTY, "WHITESPACES_ONLY": WHITESPACES_ONLY}[tok.type]

    def resolve(self, tok: Token, *, want: str) -> ConstantValue | None:
        """The value of ``$name``; ``want`` is "scalar" or "list" (a scalar counts as a list of one)."""
        name = tok.value[1:]
        if name not in self.constants:
            if self.constants_known:
                hint = _suggest_suffix(name, tuple(self.constants)) if self.constants else ""
                self.error(f"undefined constant '${name}'{hint}", tok, ("a defined $constant",))
            return None
        value = self.constants[name]
        if want == "scalar" and not isinstance(value, str):
            self.error(
                f"constant '${name}' is a list; use it with 'in ${name}'",
                tok,
                ("a string constant",),
            )
            return None
        return value

    # ------------------------------------------------------------------ labels

    def label_list(self, tree: Tree, *, what: str) -> dict[str, str]:
        labels: dict[str, str] = {}
        items = _trees(tree, "label")
        if not items:
            self.error(
                f"{what} must have at least one label", tree, ('a label such as "team"="data"',)
            )
        if len(items) > MAX_LABELS:
            self.error(f"{what} has {len(items)} labels; the maximum is {MAX_LABELS}", tree)
        for item in items:
            k_tok, v_tok = _tokens(item, "STRING")
            key, value = _unescape(k_tok.value[1:-1]), _unescape(v_tok.value[1:-1])
            if not key or not value:
                self.error("label keys and values cannot be empty", item)
            elif len(key) > MAX_LABEL_KEY:
                self.error(
                    f"label key has {len(key)} characters; the maximum is {MAX_LABEL_KEY}", k_tok
                )
            elif len(value) > MAX_LABEL_VALUE:
                self.error(
                    f"label value has {len(value)} characters; the maximum is {MAX_LABEL_VALUE}",
                    v_tok,
                )
            elif key in labels:
                self.error(f"duplicate label key '{key}'", k_tok)
            else:
                labels[key] = value
        return labels

    def rule_labels(self, clause: Tree) -> dict[str, str]:
        labels = self.label_list(_trees(clause, "label_list")[0], what="labels")
        merged = {**self.default_labels, **labels}
        if len(labels) <= MAX_LABELS < len(merged):
            self.error(
                f"the rule would carry {len(merged)} labels with DefaultLabels merged in; the maximum is {MAX_LABELS}",
                clause,
            )
        return labels

    # ------------------------------------------------------------------ rules

    def top_rule(self, node: Tree) -> RuleNode | None:
        if node.data == "leaf":
            return self.leaf(node)
        labels_clauses = _trees(node, "labels_clause")
        inner = _trees(node)[0]
        rule = self.paren(inner, depth=0)
        labels = self.rule_labels(labels_clauses[0]) if labels_clauses else {}
        if rule is None:
            return None
        if labels:
            if rule.labels:
                self.error("this rule has labels twice", labels_clauses[0])
                return None
            rule = replace(rule, labels=FrozenMap(labels))
        return rule

    def paren(self, node: Tree, *, depth: int, in_composite: bool = False) -> RuleNode | None:
        if node.data == "group":
            inner = _trees(node)[0]
            if inner.data == "leaf":
                return self.leaf(inner, depth=depth, in_composite=in_composite)
            return self.paren(inner, depth=depth, in_composite=in_composite)
        operator = "and" if node.data == "and_chain" else "or"
        operands = [
            self.paren(g, depth=depth + 1, in_composite=True) for g in _trees(node, "group")
        ]
        if any(o is None for o in operands):
            return None
        ops: tuple[RuleNode, ...] = tuple(o for o in operands if o is not None)
        line, column = _pos(node)
        return CompositeRule(
            operator, ops, EMPTY_MAP, render_composite(operator, ops), line, column
        )

    def leaf(self, node: Tree, *, depth: int = 0, in_composite: bool = False) -> Rule | None:
        before = len(self.problems)
        type_tok: Token = node.children[0]
        name = type_tok.value
        spec = rt.get(name)
        if spec is None:
            self.error(
                f"unknown rule type '{name}'{_suggest_suffix(name, tuple(rt.RULE_TYPES))}",
                type_tok,
                ("a rule type",),
            )
            return None
        if not spec.rule:
            self.error(
                f"{name} is an analyzer; put it in the Analyzers section",
                type_tok,
                ("a rule type",),
            )
            return None
        if depth > MAX_COMPOSITE_DEPTH:
            self.error(f"composite rules nest at most {MAX_COMPOSITE_DEPTH} levels deep", type_tok)
        params = self.params(node, spec, type_tok)
        params_ok = len(self.problems) == before
        cond_trees = _trees(node, *_CONDITION_TREES)
        condition: Condition | None = None
        if cond_trees and spec.condition == "none":
            self.error(
                f"{name} takes no condition", cond_trees[0], ("'where'", "'with'", "','", "']'")
            )
        elif cond_trees:
            condition = self.condition(cond_trees[0], spec)
        where: str | None = None
        for clause in _trees(node, "where_clause"):
            where_tok = clause.children[1]
            where = where_tok.value[1:-1]
            if not spec.where:
                self.error(
                    f"'where' is not supported by {name}",
                    clause.children[0],
                    ("'with'", "'labels'", "','"),
                )
            elif not where.strip():
                self.error(
                    "empty where clause", where_tok, ('a Spark SQL predicate such as "amount > 0"',)
                )
        labels: dict[str, str] = {}
        threshold: Condition | None = None
        options: dict[str, OptionValue] = {}
        for mod in _trees(node, *_MODIFIER_TREES):
            if mod.data == "labels_clause":
                if in_composite:
                    self.error(
                        "labels of a rule inside a composite have no effect; put them after the outermost parentheses",
                        mod,
                    )
                elif labels:
                    self.error("a rule can have only one labels=[...] list", mod)
                else:
                    labels = self.rule_labels(mod)
                continue
            key_tok: Token = mod.children[1]
            key = _unescape(key_tok.value[1:-1]) if key_tok.type == "STRING" else key_tok.value
            if key != "threshold" and key not in spec.options:
                choices = (
                    ("threshold", *sorted(spec.options))
                    if spec.threshold
                    else tuple(sorted(spec.options))
                )
                self.error(
                    f"unknown 'with' option '{key}' for {name}{_suggest_suffix(key, choices or ('threshold',))}",
                    key_tok,
                    tuple(f"'{c}'" for c in choices),
                )
                continue
            tag_start = len(self.problems)
            key, value, cond = self.tag(mod, key)
            if key is None or len(self.problems) > tag_start:
                continue
            if key == "threshold":
                if cond is None:
                    self.error(
                        "'with threshold' needs a condition such as '> 0.9'",
                        mod,
                        ("a condition such as '> 0.9'",),
                    )
                elif not spec.threshold:
                    self.error(f"'with threshold' is not supported by {name}", mod.children[1])
                elif threshold is not None:
                    self.error("only one 'with threshold' per rule", mod.children[1])
                else:
                    threshold = self.check_threshold(cond, spec, mod)
                continue
            if key in options:
                self.error(f"option '{key}' is given twice", mod.children[1])
                continue
            checked = self.check_option(name, key, value, mod)
            if checked is not None:
                options[key] = checked
        if spec.condition == "required" and not cond_trees and params_ok:
            example = self._example(spec)
            self.error(
                f"{name} needs a condition such as '{example}'",
                _end(_last_before_modifiers(node)),
                (f"a condition such as '{example}'",),
            )
        if name == "CustomSql" and condition is not None and threshold is not None:
            self.error("CustomSql takes a condition or 'with threshold', not both", cond_trees[0])
        if len(self.problems) > before or any(p is None for p in params):
            return None
        plist = tuple(p for p in params if p is not None)
        text = render_rule(name, plist, condition, where, threshold, options)
        line, column = _pos(type_tok)
        return Rule(
            name,
            plist,
            condition,
            threshold,
            where,
            FrozenMap(labels),
            FrozenMap(options),
            text,
            line,
            column,
        )

    @staticmethod
    def _example(spec: RuleTypeSpec) -> str:
        kinds = spec.condition_kinds
        for kind in ("number", "duration", "size", "date", "string"):
            if kind in kinds:
                if spec.name == "ColumnDataType":
                    return '= "Integer"'
                return CONDITION_EXAMPLES[kind]
        return "> 0"

    def analyzer(self, node: Tree) -> Rule | None:
        before = len(self.problems)
        type_tok: Token = node.children[0]
        name = type_tok.value
        spec = rt.get(name)
        if spec is None:
            analyzers = tuple(s.name for s in rt.RULE_TYPES.values() if s.analyzer)
            self.error(
                f"unknown analyzer '{name}'{_suggest_suffix(name, analyzers)}",
                type_tok,
                ("an analyzer such as Completeness",),
            )
            return None
        if not spec.analyzer:
            self.error(
                f"{name} cannot be used as an analyzer",
                type_tok,
                ("an analyzer such as Completeness",),
            )
            return None
        params = self.params(node, spec, type_tok)
        options: dict[str, OptionValue] = {}
        for opts in _trees(node, "analyzer_options"):
            for opt in _trees(opts, "option"):
                key_tok, _, value_tok = opt.children
                key = key_tok.value
                if key not in spec.options:
                    choices = tuple(sorted(spec.options))
                    self.error(
                        f"unknown option '{key}' for {name}"
                        + (
                            _suggest_suffix(key, choices)
                            if choices
                            else f"; {name} takes no options"
                        ),
                        key_tok,
                    )
                    continue
                if key in options:
                    self.error(f"option '{key}' is given twice", key_tok)
                    continue
                value = self._plain_option(value_tok)
                checked = self.check_option(name, key, value, opt)
                if checked is not None:
                    options[key] = checked
        if len(self.problems) > before or any(p is None for p in params):
            return None
        plist = tuple(p for p in params if p is not None)
        line, column = _pos(type_tok)
        text = render_rule(name, plist, options=options, analyzer=True)
        return Rule(name, plist, options=FrozenMap(options), text=text, line=line, column=column)

    @staticmethod
    def _plain_option(tok: Token) -> OptionValue:
        if tok.type == "NUMBER":
            return int(tok.value) if "." not in tok.value else Decimal(tok.value)
        if tok.type == "STRING":
            return _unescape(tok.value[1:-1])
        if tok.type in ("TRUE", "FALSE"):
            return tok.type == "TRUE"
        return tok.value

    # ------------------------------------------------------------------ parameters

    def params(self, node: Tree, spec: RuleTypeSpec, type_tok: Token) -> list[Param | None]:
        trees = _trees(node, "param")
        params = [self.param(t) for t in trees]
        n = len(params)
        lo, hi = spec.min_params, spec.max_params
        if n < lo or (hi is not None and n > hi):
            for tree, p in zip(trees, params, strict=True):
                connector = _tokens(tree, "AND", "OF")
                if (
                    p is not None
                    and not p.quoted
                    and p.value in rt.RULE_TYPES
                    and connector
                    and connector[0].type == "AND"
                ):
                    self.error(
                        f"composite rule operands must each be in parentheses, e.g. ({spec.name} ...) and ({p.value} ...)",
                        connector[0],
                        ("'('",),
                    )
                    return params
            for tree, p in zip(trees, params, strict=True):
                kw = _close_keyword(p.value) if (p is not None and not p.quoted) else None
                if kw:
                    self.error(
                        f"unknown word '{p.value}' (did you mean '{kw}'?)", tree, (f"'{kw}'",)
                    )
                    return params
            if n < lo:
                at: Token | Tree | tuple[int, int] = _end(trees[-1]) if trees else _end(type_tok)
                kind = spec.params[n].kind if n < len(spec.params) else ParamKind.COLUMN
                self.error(
                    f"{spec.name} takes {spec.arity_text()}, got {n}", at, (_param_words(kind),)
                )
            else:
                assert hi is not None
                self.error(
                    f"{spec.name} takes {spec.arity_text()}, got {n}", trees[hi], _cond_words(spec)
                )
            return params
        for i, (tree, p) in enumerate(zip(trees, params, strict=True)):
            ps = spec.param_spec(i)
            if p is None or ps is None:
                continue
            self.check_param(spec, ps, p, tree, params)
        return params

    def param(self, tree: Tree) -> Param | None:
        connector_toks = _tokens(tree, "AND", "OF")
        connector = connector_toks[0].value if connector_toks else None
        tok = tree.children[-1]
        if tok.type == "STRING":
            return Param(tok.value[1:-1], True, connector)
        if tok.type == "IDENT":
            return Param(tok.value, False, connector)
        value = self.resolve(tok, want="scalar")
        if value is None:
            return None if self.constants_known else Param("", True, connector, tok.value[1:])
        assert isinstance(value, str)
        return Param(value, True, connector, tok.value[1:])

    def check_param(
        self, spec: RuleTypeSpec, ps: rt.ParamSpec, p: Param, tree: Tree, params: list[Param | None]
    ) -> None:
        value = p.value
        if p.constant and not self.constants_known:
            return
        if not value.strip():
            self.error(f"empty {ps.name} for {spec.name}", tree, (_param_words(ps.kind),))
            return
        try:
            if ps.kind is ParamKind.COLUMN_LIST:
                if not split_columns(value):
                    raise ValueError("no columns")
            elif ps.kind is ParamKind.REFERENCE_COLUMNS:
                _, ref_cols = reference_columns(value)
                first = params[0]
                if first is not None and len(split_columns(first.value)) != len(ref_cols):
                    raise ValueError(
                        f"{len(split_columns(first.value))} primary column(s) but {len(ref_cols)} reference column(s)"
                    )
            elif ps.kind is ParamKind.COLUMN_MAPPINGS:
                column_mappings(value)
            elif ps.kind is ParamKind.AGGREGATE:
                aggregate_expression(value)
        except ValueError as exc:
            self.error(f"bad {ps.name} for {spec.name}: {exc}", tree, (_param_words(ps.kind),))
            return
        if ps.kind is ParamKind.RULE_NAME:
            if value not in rt.ANOMALY_RULE_NAMES:
                self.error(
                    f"DetectAnomalies cannot watch '{value}'{_suggest_suffix(value, tuple(rt.ANOMALY_RULE_NAMES))}",
                    tree,
                    ('a rule name such as "RowCount"',),
                )
                return
            target = rt.get("CustomSql" if value == "CustomSQL" else value)
            assert target is not None
            n = len(params) - 1
            if n < target.min_params or (target.max_params is not None and n > target.max_params):
                self.error(
                    f'DetectAnomalies "{value}" needs the parameters of {target.name} ({target.arity_text()}), got {n}',
                    tree,
                )

    # ------------------------------------------------------------------ tags and options

    def tag(self, mod: Tree, key: str) -> tuple[str | None, Any, Condition | None]:
        if mod.data == "with_list":
            items = tuple(
                _unescape(t.value[1:-1]) for t in _tokens(_trees(mod, "string_list")[0], "STRING")
            )
            return key, items, None
        if mod.data == "with_bool":
            return key, mod.children[-1].type == "TRUE", None
        cond_tree = _trees(mod, *_CONDITION_TREES)[0]
        if key == "threshold":
            return key, None, self.condition(cond_tree, None, threshold=True)
        cond = self.condition(cond_tree, None, option=True)
        if cond is None:
            return None, None, None
        if not (isinstance(cond, Comparison) and cond.op == "="):
            self.error(
                f"option '{key}' takes '= <value>', e.g. with {key} = \"...\"", cond_tree, ("'='",)
            )
            return None, None, None
        operand = cond.operand
        value: OptionValue
        if isinstance(operand, StringValue):
            value = operand.value
        elif isinstance(operand, DateValue):
            value = operand.value.isoformat()
        elif isinstance(operand, TimeValue):
            value = operand.text
        elif isinstance(operand, NumberValue):
            value = int(operand.value) if _is_int_literal(operand) else operand.value
        else:
            self.error(
                f"option '{key}' takes a string or a number",
                cond_tree,
                ("a quoted string", "a number"),
            )
            return None, None, None
        return key, value, None

    def check_option(self, rule: str, key: str, value: Any, at: Tree) -> OptionValue | None:
        def bad(msg: str, expected: Sequence[str] = ()) -> None:
            self.error(f"{rule} option {key}: {msg}", at, expected)

        if key == "bins":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 20:
                bad("bins must be a whole number from 1 to 20", ("a number from 1 to 20",))
                return None
            return value
        if key == "rebin":
            if not isinstance(value, bool):
                bad("rebin must be true or false", ("true", "false"))
                return None
            return value
        if key == "recentFiles":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                bad("recentFiles must be a whole number of at least 1", ("a number",))
                return None
            return value
        if key == "hashAlgorithm":
            if not isinstance(value, str) or value.upper() not in rt.HASH_ALGORITHMS:
                bad(
                    f"hashAlgorithm must be one of {', '.join(rt.HASH_ALGORITHMS)}",
                    tuple(f'"{h}"' for h in rt.HASH_ALGORITHMS),
                )
                return None
            return value
        if key in ("matchFileName", "dataFrame"):
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value
            bad(f'{key} must be "true" or "false"', ('"true"', '"false"'))
            return None
        if key == "uriRegex":
            if not isinstance(value, str):
                bad("uriRegex must be a quoted regular expression", ("a quoted string",))
                return None
            return value
        if key == "filterOrder":
            if not isinstance(value, tuple) or not set(value) <= {"recentFiles", "uriRegex"}:
                bad('filterOrder must be a list such as ["uriRegex","recentFiles"]', ("'['",))
                return None
            return value
        return value  # pragma: no cover - every registered option is handled above

    # ------------------------------------------------------------------ conditions

    def condition(
        self,
        tree: Tree,
        spec: RuleTypeSpec | None,
        *,
        threshold: bool = False,
        option: bool = False,
    ) -> Condition | None:
        """Build a condition; ``spec`` checks it against the rule type (``None``: just build)."""
        before = len(self.problems)
        negated = bool(_tokens(tree, "NOT"))
        cond: Condition | None = None
        if tree.data == "comparison":
            op = tree.children[0].value
            operand = self.operand(tree.children[1])
            if operand is not None:
                cond = Comparison(op, operand)
        elif tree.data == "between":
            low, high = (self.operand(c) for c in _operand_children(tree))
            if low is not None and high is not None:
                cond = Between(low, high, negated)
        elif tree.data == "in_list":
            var = _tokens(tree, "VAR")
            if var:
                values = self.resolve(var[0], want="list")
                if values is not None:
                    items = (
                        (StringValue(values, constant=var[0].value[1:]),)
                        if isinstance(values, str)
                        else values
                    )
                    cond = InList(tuple(items), negated, var[0].value[1:])
                elif not self.constants_known:
                    cond = InList((StringValue(""),), negated, var[0].value[1:])
            else:
                items = [self.operand(c) for c in _operand_children(tree)]
                if all(i is not None for i in items):
                    cond = InList(tuple(i for i in items if i is not None), negated)
        elif tree.data == "matches":
            pattern = _tokens(tree, "STRING")[0].value[1:-1]
            cond = Matches(pattern, negated)
        if cond is None or len(self.problems) > before:
            return None
        if option:
            return cond
        kinds = spec.condition_kinds if spec is not None else frozenset({"number"})
        cond = _coerce_dates(cond, kinds)
        if threshold:
            return self.check_kind(
                cond, tree, frozenset({"number"}), "'with threshold'", allow_null=False
            )
        assert spec is not None
        checked = self.check_kind(cond, tree, kinds, spec.name, allow_null=True)
        if checked is not None and not spec.dynamic and condition_uses_history(checked):
            self.error(
                f"{spec.name} does not support dynamic rules (last(...)) in its condition", tree
            )
            return None
        return checked

    def check_threshold(self, cond: Condition, spec: RuleTypeSpec, mod: Tree) -> Condition | None:
        if condition_uses_history(cond) and not (spec.dynamic or spec.dynamic_in_threshold):
            self.error(
                f"{spec.name} does not support dynamic rules (last(...)) in its threshold", mod
            )
            return None
        return cond

    def check_kind(
        self, cond: Condition, tree: Tree, allowed: frozenset[str], what: str, *, allow_null: bool
    ) -> Condition | None:
        if isinstance(cond, Matches):
            kind = "string"
        else:
            kinds = {v.kind for v in cond.values}
            has_null = "null" in kinds
            kinds.discard("null")
            if kinds == {"number", "size"} and "size" in allowed:
                kinds = {"size"}
            if len(kinds) > 1:
                words = " and ".join(_KIND_PLURALS[k] for k in sorted(kinds))
                self.error(f"a condition cannot mix {words}", tree)
                return None
            if has_null and not allow_null:
                self.error(f"NULL is not allowed in {what}", tree, ("a number",))
                return None
            if has_null and isinstance(cond, Between):
                self.error("NULL cannot be a bound of 'between'", tree, ("a number", "a date"))
                return None
            kind = kinds.pop() if kinds else "null"
            if kind == "number" and "size" in allowed and "number" not in allowed:
                kind = "size"  # plain numbers are bytes for FileSize
            if kind in ("string", "null") and (
                (isinstance(cond, Comparison) and cond.op not in ("=", "!="))
                or isinstance(cond, Between)
            ):
                self.error(
                    f"{_KIND_WORDS[kind]} can only be tested with =, !=, in, not in or matches",
                    tree,
                    ("'='", "'!='", "'in'", "'matches'"),
                )
                return None
            if kind == "null":
                if not allowed & {"number", "string", "date"}:
                    self.error(f"{what} cannot be compared with NULL", tree)
                    return None
                return cond
        if kind not in allowed:
            want = " or ".join(_KIND_WORDS[k] for k in sorted(allowed)) or "nothing"
            example = CONDITION_EXAMPLES[sorted(allowed)[0]] if allowed else "> 0"
            self.error(
                f"{what} takes a condition on {want}, not on {_KIND_WORDS[kind]}",
                tree,
                (f"a condition such as '{example}'",),
            )
            return None
        return cond

    def operand(self, node: Tree) -> Value | None:
        d = node.data
        if d in ("number", "signed_number", "func", "binop", "paren"):
            expr = self.num_expr(node, scalar=True)
            if expr is None:
                return None
            return expr if isinstance(expr, NumberValue) else DynamicExpr(expr)
        if d == "string_lit":
            return self.string_operand(node.children[0])
        if d == "var_ref":
            value = self.resolve(node.children[0], want="scalar")
            if value is None:
                return (
                    StringValue("", constant=node.children[0].value[1:])
                    if not self.constants_known
                    else None
                )
            assert isinstance(value, str)
            return StringValue(value, constant=node.children[0].value[1:])
        if d == "null_lit":
            return NULL
        if d == "empty_lit":
            return EMPTY
        if d == "ws_lit":
            return WHITESPACES_ONLY
        if d == "now_lit":
            return NowExpr()
        if d == "now_arith":
            _, _, op_tok, amount_tok, unit_tok, _ = node.children
            if op_tok.value not in "+-":
                self.error(
                    f"dates can only be shifted with + or -, not '{op_tok.value}'",
                    op_tok,
                    ("'-'", "'+'"),
                )
                return None
            duration = self.duration(amount_tok, unit_tok)
            return NowExpr(op_tok.value, duration) if duration is not None else None
        if d == "duration":
            return self.duration(*node.children)
        if d == "size":
            amount_tok, unit_tok = node.children
            if "." in amount_tok.value:
                self.error("sizes are whole numbers", amount_tok, ("a whole number",))
                return None
            return Size(int(amount_tok.value), unit_tok.value)
        raise AssertionError(f"unexpected operand {d}")  # pragma: no cover

    def duration(self, amount_tok: Token, unit_tok: Token) -> Duration | None:
        if "." in amount_tok.value:
            self.error(
                "durations are whole numbers of days, hours or minutes",
                amount_tok,
                ("a whole number",),
            )
            return None
        return Duration(int(amount_tok.value), unit_tok.value)  # type: ignore[arg-type]

    def string_operand(self, tok: Token) -> Value | None:
        raw = tok.value[1:-1]
        if _DATE_RE.fullmatch(raw):
            try:
                return DateValue(dt.date.fromisoformat(raw))
            except ValueError:
                self.error(f'invalid date "{raw}"', tok, ('a date such as "2024-01-31"',))
                return None
        m = _MIL_TIME_RE.fullmatch(raw)
        if m:
            hour, minute = int(m.group(1)), int(m.group(2))
            if hour > 23 or minute > 59:
                self.error(f'invalid time "{raw}"', tok, ('a time such as "21:45"',))
                return None
            return TimeValue(hour, minute, raw)
        m = _TIME_RE.fullmatch(raw)
        if m:
            hour, minute = int(m.group(1)), int(m.group(2))
            if not 1 <= hour <= 12 or minute > 59:
                self.error(f'invalid time "{raw}"', tok, ('a time such as "9:30 PM"',))
                return None
            hour = hour % 12 + (12 if m.group(3) == "PM" else 0)
            return TimeValue(hour, minute, raw)
        return StringValue(_unescape(raw))

    def num_expr(self, node: Tree, *, scalar: bool) -> NumExpr | None:
        """A numeric expression; ``scalar`` is False only for an aggregate's argument."""
        d = node.data
        if d == "number":
            tok = node.children[0]
            return NumberValue(Decimal(tok.value), tok.value)
        if d == "signed_number":
            op_tok, tok = node.children
            if op_tok.value != "-":
                self.error(f"unexpected '{op_tok.value}' before a number", op_tok, ("a number",))
                return None
            return NumberValue(-Decimal(tok.value), "-" + tok.value)
        if d == "paren":
            inner = self.num_expr(_trees(node)[0], scalar=scalar)
            return replace(inner, parenthesized=True) if isinstance(inner, BinaryOp) else inner
        if d == "binop":
            left_node, op_tok, right_node = node.children
            left = self.num_expr(left_node, scalar=True)
            right = self.num_expr(right_node, scalar=True)
            if left is None or right is None:
                return None
            return BinaryOp(op_tok.value, left, right)  # type: ignore[arg-type]
        if d == "func":
            return self.function(node, scalar=scalar)
        raise AssertionError(f"unexpected expression {d}")  # pragma: no cover

    def function(self, node: Tree, *, scalar: bool) -> FunctionCall | None:
        name_tok: Token = node.children[0]
        name = name_tok.value
        arg_nodes = _trees(node)
        if name not in rt.DYNAMIC_FUNCTIONS:
            self.error(
                f"unknown function '{name}'{_suggest_suffix(name, tuple(rt.DYNAMIC_FUNCTIONS))}",
                name_tok,
                ("a function: " + ", ".join(rt.DYNAMIC_FUNCTIONS),),
            )
            return None
        lo, hi = rt.DYNAMIC_FUNCTIONS[name]
        if not lo <= len(arg_nodes) <= hi:
            self.error(
                f"{name}() takes {lo} argument{'s' if lo > 1 else ''}, got {len(arg_nodes)}",
                name_tok,
            )
            return None
        if name == "last":
            arg = self.num_expr(arg_nodes[0], scalar=True)
            if arg is None:
                return None
            if not _is_int_literal(arg) or arg.value < 1:  # type: ignore[union-attr]
                self.error(
                    "last() takes a whole number of past runs, e.g. last(10)",
                    arg_nodes[0],
                    ("a whole number",),
                )
                return None
            k = int(arg.value)  # type: ignore[union-attr]
            if scalar and k > 1:
                self.error(
                    f"last({k}) gives up to {k} values: aggregate them, e.g. avg(last({k})), "
                    f"or pick one with index(last({k}), 0)",
                    name_tok,
                    ("avg(last(k)), median, max, min, sum, std or index(last(k), i)",),
                )
                return None
            return FunctionCall("last", (arg,))
        if name in rt.LIST_AGGREGATES or name == "index":
            first = arg_nodes[0]
            if not (first.data == "func" and first.children[0].value == "last"):
                self.error(
                    f"{name}() takes last(k) as its first argument, e.g. {name}(last(10))",
                    first,
                    ("last(k)",),
                )
                return None
            inner = self.function(first, scalar=False)
            if inner is None:
                return None
            if name == "index":
                idx = self.num_expr(arg_nodes[1], scalar=True)
                if idx is None:
                    return None
                k = int(inner.args[0].value)  # type: ignore[union-attr]
                if not _is_int_literal(idx) or not 0 <= idx.value < k:  # type: ignore[union-attr]
                    self.error(
                        f"index(last({k}), i) takes a whole number i from 0 (the newest run) to {k - 1}",
                        arg_nodes[1],
                        (f"a whole number from 0 to {k - 1}",),
                    )
                    return None
                return FunctionCall("index", (inner, idx))
            return FunctionCall(name, (inner,))
        # abs
        arg = self.num_expr(arg_nodes[0], scalar=True)
        return FunctionCall(name, (arg,)) if arg is not None else None


def _operand_children(tree: Tree) -> list[Tree]:
    return [c for c in tree.children if isinstance(c, Tree)]


def _last_before_modifiers(node: Tree) -> Tree | Token:
    last: Tree | Token = node.children[0]
    for c in node.children:
        if isinstance(c, Tree) and c.data in ("where_clause", *_MODIFIER_TREES):
            break
        last = c
    return last


def _coerce_dates(cond: Condition, kinds: frozenset[str]) -> Condition:
    """Date-shaped strings are dates (as in Glue's lexer) unless a string reading is needed."""

    def as_string(v: Value) -> Value:
        if isinstance(v, DateValue):
            return StringValue(v.value.isoformat())
        if isinstance(v, TimeValue):
            return StringValue(v.text)
        return v

    dateish = (DateValue, TimeValue)
    to_string = "date" not in kinds and "string" in kinds
    if isinstance(cond, InList) and not to_string:
        has_date = any(isinstance(v, dateish) for v in cond.values)
        has_str = any(
            isinstance(v, StringValue | EmptyValue | WhitespacesOnlyValue) for v in cond.values
        )
        to_string = has_date and has_str
    if not to_string:
        return cond
    if isinstance(cond, Comparison):
        return replace(cond, operand=as_string(cond.operand))
    if isinstance(cond, Between):
        return replace(cond, low=as_string(cond.low), high=as_string(cond.high))
    if isinstance(cond, InList):
        return replace(cond, values=tuple(as_string(v) for v in cond.values))
    return cond


def _param_words(kind: ParamKind) -> str:
    return {
        ParamKind.COLUMN: 'a column name such as "id"',
        ParamKind.COLUMN_LIST: 'columns such as "a,b"',
        ParamKind.REFERENCE_COLUMNS: 'reference columns such as "ref.{a,b}"',
        ParamKind.COLUMN_MAPPINGS: 'column mappings such as "id->ref_id"',
        ParamKind.DATA_SOURCE: 'a data source alias such as "reference"',
        ParamKind.AGGREGATE: 'an aggregate such as "sum(amount)"',
        ParamKind.SQL: "a quoted SQL statement",
        ParamKind.REGEX: "a quoted regular expression",
        ParamKind.PATH: 'an S3 path such as "s3://bucket/prefix/"',
        ParamKind.RULE_NAME: 'a rule name such as "RowCount"',
        ParamKind.RULE_ARGUMENT: "a parameter of that rule",
    }[kind]


def _cond_words(spec: RuleTypeSpec) -> tuple[str, ...]:
    if spec.condition == "none":
        return ("',' or ']'",)
    return (f"a condition such as '{_Builder._example(spec)}'",)


def _dedupe(problems: Iterable[DqdlSyntaxError]) -> tuple[DqdlSyntaxError, ...]:
    seen: set[tuple[int, int, str]] = set()
    out = []
    for p in sorted(problems, key=lambda p: (p.line, p.column)):
        key = (p.line, p.column, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return tuple(out)


# --------------------------------------------------------------------------- syntax errors

_CONDITION_STARTERS = {"EQ", "NE", "GT", "GE", "LT", "LE", "BETWEEN", "IN", "MATCHES", "NOT"}
_OPERAND_STARTERS = {
    "NUMBER",
    "STRING",
    "VAR",
    "NULL",
    "EMPTY",
    "WHITESPACES_ONLY",
    "NOW",
    "LPAR",
    "IDENT",
    "NUM_OP",
}
_TERMINAL_WORDS = {
    "STRING": "a quoted string",
    "NUMBER": "a number",
    "VAR": "a $constant",
    "EQ": "'='",
    "NE": "'!='",
    "GT": "'>'",
    "GE": "'>='",
    "LT": "'<'",
    "LE": "'<='",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "OPT_SEP": "','",
    "COLON": "':'",
    "AND": "'and'",
    "OR": "'or'",
    "OF": "'of'",
    "NOT": "'not'",
    "BETWEEN": "'between'",
    "IN": "'in'",
    "MATCHES": "'matches'",
    "WHERE": "'where'",
    "WITH": "'with'",
    "LABELS": "'labels'",
    "NULL": "NULL",
    "EMPTY": "EMPTY",
    "WHITESPACES_ONLY": "WHITESPACES_ONLY",
    "TRUE": "true",
    "FALSE": "false",
    "DURATION_UNIT": "a duration unit (days, hours, minutes)",
    "SIZE_UNIT": "a size unit (B, KB, MB, GB, TB)",
    "NOW": "now()",
    "NUM_OP": "an operator (+ - * /)",
    "METADATA": "'Metadata'",
    "DATASOURCES": "'DataSources'",
    "DEFAULTLABELS": "'DefaultLabels'",
    "RULES": "'Rules'",
    "ANALYZERS": "'Analyzers'",
    "$END": "the end of the ruleset",
}
_NOT_A_NUMBER_RE = re.compile(r"\d*\.?\d+[eE][-+]?\d+|\.\d+|\d+\.")
_SECTION_TERMINALS = {"METADATA", "DATASOURCES", "DEFAULTLABELS", "RULES", "ANALYZERS"}
_KEYWORD_SPELLINGS = {
    "AND": ("and",),
    "OR": ("or",),
    "OF": ("of",),
    "NOT": ("not",),
    "BETWEEN": ("between",),
    "IN": ("in",),
    "MATCHES": ("matches",),
    "WHERE": ("where",),
    "WITH": ("with",),
    "LABELS": ("labels",),
    "NULL": ("NULL",),
    "EMPTY": ("EMPTY",),
    "WHITESPACES_ONLY": ("WHITESPACES_ONLY",),
    "DURATION_UNIT": ("days", "hours", "minutes"),
    "SIZE_UNIT": ("B", "KB", "MB", "GB", "TB"),
    "RULES": ("Rules",),
    "ANALYZERS": ("Analyzers",),
    "METADATA": ("Metadata",),
    "DATASOURCES": ("DataSources",),
    "DEFAULTLABELS": ("DefaultLabels",),
}


class _Translator:
    """Turns a lark error into a ``DqdlSyntaxError`` with human words.

    ``context`` is ``"document"``, or ``"rule"``/``"analyzer"`` when one list item is parsed alone
    (then the item's end stands for the ``,`` or ``]`` that follows it).
    """

    def __init__(
        self,
        text: str,
        source: str | None,
        context: str = "document",
        *,
        display_text: str | None = None,
    ) -> None:
        self.text = text
        self.lines = (display_text if display_text is not None else text).split("\n")
        self.source = source
        self.context = context

    def make(
        self, message: str, line: int, column: int, expected: Sequence[str] = ()
    ) -> DqdlSyntaxError:
        rule_text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        return DqdlSyntaxError(
            message,
            line=line,
            column=column,
            expected=expected,
            rule_text=rule_text,
            source=self.source,
        )

    def end_position(self) -> tuple[int, int]:
        stripped = self.text.rstrip()
        if not stripped:
            return 1, 1
        lines = stripped.split("\n")
        return len(lines), len(lines[-1]) + 1

    def describe(self, terminals: set[str]) -> tuple[str, ...]:
        words = _describe(terminals)
        if self.context != "document":
            words = tuple("',' or ']'" if w == _TERMINAL_WORDS["$END"] else w for w in words)
        return words

    def translate(self, exc: UnexpectedInput) -> DqdlSyntaxError:
        if isinstance(exc, UnexpectedCharacters):
            char = self.text[exc.pos_in_stream] if exc.pos_in_stream < len(self.text) else ""
            expected = self.describe(set(exc.allowed or ()))
            if char == '"':
                return self.make(
                    "unterminated string (a '\"' has no closing '\"')",
                    exc.line,
                    exc.column,
                    expected,
                )
            return self.make(f"unexpected character {char!r}", exc.line, exc.column, expected)
        assert isinstance(exc, UnexpectedToken)
        tok = exc.token
        try:
            accepted = set(exc.accepts or exc.expected)
        except Exception:  # pragma: no cover - lark computes accepts lazily
            accepted = set(exc.expected)
        expected = self.describe(accepted)
        stack = _stack_tokens(exc)
        prev = stack[-1] if stack else None
        for bad in (tok, prev):
            if bad is not None and bad.type == "IDENT" and _NOT_A_NUMBER_RE.fullmatch(bad.value):
                return self.make(
                    f"'{bad.value}' is not a DQDL number: write plain decimals such as 100000, 0.5 or -2.25",
                    bad.line or 1,
                    bad.column or 1,
                    ("a number",),
                )
        if tok.type == "$END":
            line, column = self.end_position()
            what = "the ruleset" if self.context == "document" else f"the {self.context}"
            message = f"unexpected end of {what}"
            if prev is not None and prev.type in ("AND", "OR"):
                message += f": '{prev.value}' needs another operand in parentheses"
            return self.make(message + self.case_hint(stack), line, column, expected)
        line, column = tok.line or 1, tok.column or 1
        value = str(tok.value)
        word = f"'{value}'"
        message = f"unexpected {word}"
        misplaced = tok if tok.type in _SECTION_TERMINALS else None
        for t in stack:
            if t.type == "IDENT" and t.value in _SECTION_NAMES:
                misplaced = t
        if misplaced is not None and self.context == "document":
            return self.make(
                f"the {misplaced.value} section is out of place: sections go Metadata, DataSources, "
                "constants, DefaultLabels, Rules, Analyzers (each at most once)",
                misplaced.line or 1,
                misplaced.column or 1,
                expected,
            )
        if tok.type in ("AND", "OR") or value in ("and", "AND", "or", "OR"):
            if accepted & {"AND", "OR"}:
                other = "and" if "AND" in accepted else "or"
                message = (
                    "cannot mix 'and' and 'or' in one composite without parentheses; "
                    f"nest them, e.g. (A) {other} ((B) {value.lower()} (C))"
                )
            else:
                message = (
                    f"unexpected {word}: composite rule operands must each be in parentheses, "
                    f'e.g. (RowCount > 0) {value.lower()} (IsComplete "id")'
                )
        elif prev is not None and prev.type in ("AND", "OR") and accepted == {"LPAR"}:
            message = (
                f"unexpected {word}: each operand of '{prev.value.lower()}' must be in parentheses, "
                f"e.g. (A) {prev.value.lower()} (B)"
            )
        elif tok.type == "WHERE":
            message = "'where' must come right after the condition, before labels=[...] and 'with'"
        elif tok.type == "LABELS" and "RPAR" in accepted:
            message = "labels of a composite rule go after its outermost parentheses"
        elif value in ("+", "-") and prev is not None and prev.type == "NOW":
            message = (
                f"unexpected {word}: date arithmetic needs parentheses, e.g. (now() {value} 1 days)"
            )
        elif (
            tok.type in _CONDITION_STARTERS
            and not accepted & _CONDITION_STARTERS
            and (self.context == "analyzer" or any(t.type == "ANALYZERS" for t in stack))
        ):
            message = f"unexpected {word}: analyzers take no condition"
        else:
            message += self.keyword_hint(value, tok, prev, accepted)
        return self.make(message + self.case_hint(stack), line, column, expected)

    @staticmethod
    def case_hint(stack: list[Token]) -> str:
        lowered = {s.lower(): s for s in _SECTION_NAMES}
        for t in stack:
            if t.type == "IDENT" and t.value.lower() in lowered and t.value not in _SECTION_NAMES:
                return f" (section names are case-sensitive: did you mean '{lowered[t.value.lower()]}'?)"
        return ""

    @staticmethod
    def keyword_hint(value: str, tok: Token, prev: Token | None, accepted: set[str]) -> str:
        # The offending word may be a misspelt keyword the parser expected here ...
        if tok.type == "IDENT":
            words = [w for t in accepted for w in _KEYWORD_SPELLINGS.get(t, ())]
            close = difflib.get_close_matches(value, words, n=1, cutoff=0.6)
            if close:
                return f" (did you mean '{close[0]}'?)"
        # ... or the word before it was (it was taken as a parameter, e.g. `betwen 1 and 2`).
        if prev is not None and prev.type == "IDENT":
            kw = _close_keyword(prev.value)
            if kw:
                return f" after '{prev.value}' (did you mean '{kw}'?)"
        return ""


def _stack_tokens(exc: UnexpectedToken) -> list[Token]:
    """The tokens the parser had consumed, in order."""
    parser = getattr(exc, "interactive_parser", None)
    if parser is None:
        return []
    out: list[Token] = []

    def walk(item: Any) -> None:
        if isinstance(item, Token):
            out.append(item)
        elif isinstance(item, Tree):
            for child in item.children:
                walk(child)

    for item in parser.parser_state.value_stack:
        walk(item)
    return out


def _describe(terminals: set[str]) -> tuple[str, ...]:
    """Human words for the terminals the parser could have accepted."""
    t = set(terminals)
    words: list[str] = []
    if t & _CONDITION_STARTERS and {"BETWEEN", "GT"} <= t:
        words.append("a condition such as '> 0.9'")
        t -= _CONDITION_STARTERS
    if {"NUMBER", "STRING", "NOW"} <= t:
        words.append('a value such as 0.9, "text", NULL, now() or avg(last(3))')
        t -= _OPERAND_STARTERS
    if "IDENT" in t:
        if "LPAR" in t and "STRING" not in t:
            words.append("a rule type")
            t.discard("IDENT")
        elif "STRING" in t and ("WITH" in t or "WHERE" in t or "COMMA" in t or "RSQB" in t):
            words.append('a parameter such as "column"')
            t -= {"IDENT", "STRING", "VAR", "AND", "OF"}
        elif {"RULES", "METADATA"} & t:
            words.append("a constant name")
            t.discard("IDENT")
        elif "STRING" in t:
            words.append("a name")
            t -= {"IDENT", "STRING"}
        else:
            words.append("a name")
            t.discard("IDENT")
    for name in sorted(t, key=lambda n: (n == "$END", _TERMINAL_WORDS.get(n, n))):
        w = _TERMINAL_WORDS.get(name)
        if w and w not in words:
            words.append(w)
    return tuple(words)


# --------------------------------------------------------------------------- recovery


def _recover(text: str, source: str | None, first: UnexpectedInput) -> tuple[DqdlSyntaxError, ...]:
    """After a syntax error, re-parse each Rules/Analyzers item alone to report them all.

    The document is parsed once more with both lists emptied (positions kept), which checks the
    sections and yields the constants and DefaultLabels the items need; then every item is
    parsed and checked on its own.
    """
    translator = _Translator(text, source)
    lists = [
        (name, found)
        for name in ("Rules", "Analyzers")
        if (found := _find_list(text, name)) is not None
    ]
    if not lists:
        return (translator.translate(first),)
    problems: list[DqdlSyntaxError] = []
    skeleton = list(text)
    for _, (open_index, close_index, _) in lists:
        for i in range(open_index + 1, close_index):
            if skeleton[i] != "\n":
                skeleton[i] = " "
    lark = _lark()
    try:
        tree = lark.parse("".join(skeleton), start="start")
        builder = _Builder(text, source, recovering=True)
        builder.document(tree)
        problems.extend(builder.problems)
        constants, defaults, known = builder.constants, builder.default_labels, True
    except UnexpectedInput as exc:
        problems.append(translator.translate(exc))
        constants, defaults, known = {}, {}, False
    for name, (_, _, items) in lists:
        context = "rule" if name == "Rules" else "analyzer"
        for start, end in items:
            line, column = _line_col(text, start)
            if start == end:
                problems.append(
                    translator.make(
                        f"empty item in the {name} list (a stray ',')",
                        line,
                        column,
                        (f"a {context}",),
                    )
                )
                continue
            padded = "\n" * (line - 1) + " " * (column - 1) + text[start:end]
            try:
                tree = lark.parse(padded, start=f"single_{context}")
            except UnexpectedInput as exc:
                problems.append(
                    _Translator(padded, source, context, display_text=text).translate(exc)
                )
                continue
            item = _Builder(
                text,
                source,
                constants=constants,
                default_labels=defaults,
                recovering=True,
                constants_known=known,
            )
            if context == "rule":
                item.top_rule(tree.children[0])
            else:
                item.analyzer(tree.children[0])
            problems.extend(item.problems)
    if not problems:  # pragma: no cover - the first error must show up somewhere
        problems.append(translator.translate(first))
    return _dedupe(problems)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


_OPT_SEP_RE = re.compile(r"[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*=(?!=)")
_WORD_CHARS = re.compile(r"[A-Za-z0-9_.]")


def _find_list(text: str, keyword: str) -> tuple[int, int, list[tuple[int, int]]] | None:
    """Find ``<keyword> = [ ... ]`` outside strings and comments; return the offsets of ``[`` and
    of its ``]`` (or the text's end) and the spans of the top-level items (trimmed; an empty span
    marks a stray comma)."""
    n = len(text)
    i = 0
    depth = 0
    while i < n:
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            continue
        if c == "#":
            i = _skip_comment(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif (
            depth == 0
            and text.startswith(keyword, i)
            and (i == 0 or not _WORD_CHARS.match(text[i - 1]))
            and (i + len(keyword) >= n or not _WORD_CHARS.match(text[i + len(keyword)]))
        ):
            j = _skip_blank(text, i + len(keyword))
            if j < n and text[j] == "=":
                j = _skip_blank(text, j + 1)
                if j < n and text[j] == "[":
                    close, items = _list_items(text, j)
                    return j, close, items
        i += 1
    return None


def _list_items(text: str, open_index: int) -> tuple[int, list[tuple[int, int]]]:
    n = len(text)
    items: list[tuple[int, int]] = []
    depth = 0
    start = open_index + 1
    i = start
    while i < n:
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            continue
        if c == "#":
            i = _skip_comment(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")}":
            depth = max(0, depth - 1)
        elif c == "]":
            if depth == 0:
                _add_item(text, items, start, i, comma=None)
                return i, items
            depth -= 1
        elif c == "," and depth == 0 and not _OPT_SEP_RE.match(text, i + 1):
            _add_item(text, items, start, i, comma=i)
            start = i + 1
        i += 1
    _add_item(text, items, start, n, comma=None)
    return n, items


def _add_item(
    text: str, items: list[tuple[int, int]], start: int, end: int, *, comma: int | None
) -> None:
    """Record the item in ``text[start:end]`` (``comma``: the separator after it, if any)."""
    chunk = text[start:end]
    if _only_comments(chunk):
        if comma is not None:
            items.append((comma, comma))  # `[ , x ]` or `[ x, , y ]`
        elif items:
            items.append((start - 1, start - 1))  # a trailing comma
        return
    s = _skip_blank(text, start)
    e = end
    while e > s and text[e - 1] in " \t\r\n\f":
        e -= 1
    items.append((s, e))


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.strip().startswith("#") for line in chunk.split("\n"))


def _skip_string(text: str, i: int) -> int:
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    return i


def _skip_comment(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _skip_blank(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        if text[i] in " \t\r\n\f":
            i += 1
        elif text[i] == "#":
            i = _skip_comment(text, i)
        else:
            break
    return i
