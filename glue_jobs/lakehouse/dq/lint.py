"""``lakehouse dq lint``: check DQDL files and report every problem with its position.

Errors are everything ``lakehouse.dq.parser`` rejects (Glue would reject them too, or they could
never evaluate). Warnings flag rulesets that parse but will not behave as the author may think:

* rule types the local engine does not evaluate (``supported=False`` in the registry: the S3 file
  rules and DetectAnomalies), so they cannot fail a local run;
* arithmetic like ``avg(last(3)) + 1 * 2``: DQDL evaluates ``+ - * /`` left to right with one
  precedence, i.e. ``(avg(last(3)) + 1) * 2``; parentheses make the intent explicit;
* ``between`` whose bounds leave nothing in between (``between 5 and 5`` never passes);
* constants that are never used, data source aliases missing from ``DataSources``, ColumnDataType
  types Glue does not list, regexes Python cannot compile (the local evaluator uses Python's
  ``re`` for aggregate values), and rules whose DefaultLabels plus own labels exceed 10 even
  though the merged set does not (Glue's parser may count them separately).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lakehouse.dq import rule_types as rt
from lakehouse.dq.ast import (
    Between,
    BinaryOp,
    DateValue,
    DynamicExpr,
    InList,
    Matches,
    NumberValue,
    NumExpr,
    Rule,
    RuleNode,
    Ruleset,
    StringValue,
    walk_num_expr,
)
from lakehouse.dq.parser import MAX_LABELS, check

__all__ = ["LintProblem", "lint_paths", "lint_text"]

COLUMN_DATA_TYPES = ("Boolean", "Date", "Timestamp", "Integer", "Double", "Float", "Long")


@dataclass(frozen=True, slots=True)
class LintProblem:
    path: Path | None
    line: int
    column: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.path}:" if self.path is not None else ""
        return f"{where}{self.line}:{self.column}: {self.severity}: {self.message}"


def lint_paths(paths: Iterable[str | Path]) -> list[LintProblem]:
    """Lint files, and ``*.dqdl`` files under directories (recursively); sorted by position."""
    problems: list[LintProblem] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.dqdl") if p.is_file())
        elif path.exists():
            files = [path]
        else:
            problems.append(LintProblem(path, 1, 1, "no such file or directory"))
            continue
        for file in files:
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(LintProblem(file, 1, 1, f"cannot read the file: {exc}"))
                continue
            problems.extend(lint_text(text, file))
    return problems


def lint_text(text: str, path: Path | None = None) -> list[LintProblem]:
    """All errors and warnings for one ruleset's text."""
    ruleset, errors = check(text, source=None)
    problems = [
        LintProblem(path, e.line, e.column, _with_context(e.message, e.rule_text)) for e in errors
    ]
    if ruleset is not None:
        problems.extend(
            LintProblem(path, line, col, msg, "warning") for line, col, msg in _warnings(ruleset)
        )
    return sorted(problems, key=lambda p: (p.line, p.column, p.severity))


def _with_context(message: str, rule_text: str) -> str:
    return f"{message} in: {rule_text}" if rule_text else message


def _warnings(ruleset: Ruleset) -> Iterator[tuple[int, int, str]]:
    used: set[str] = set()
    declared = set(ruleset.data_sources.additional) if ruleset.data_sources else None
    for node in ruleset.rules:
        yield from _label_count_warning(node, ruleset)
        for rule in node.leaves():
            yield from _rule_warnings(rule, declared, used)
    for analyzer in ruleset.analyzers:
        yield from _rule_warnings(analyzer, declared, used)
    for name in ruleset.constants:
        if name not in used:
            line, col = _constant_position(ruleset.source_text, name)
            yield line, col, f"constant '{name}' is never used"


def _label_count_warning(node: RuleNode, ruleset: Ruleset) -> Iterator[tuple[int, int, str]]:
    if node.labels and len(node.labels) + len(ruleset.default_labels) > MAX_LABELS:
        yield (
            node.line,
            node.column,
            f"{len(ruleset.default_labels)} default + {len(node.labels)} rule labels exceed "
            f"{MAX_LABELS}; Glue's parser may reject this even though the merged set is smaller",
        )


def _rule_warnings(
    rule: Rule, declared: set[str] | None, used: set[str]
) -> Iterator[tuple[int, int, str]]:
    spec = rt.get(rule.rule_type)
    at = (rule.line, rule.column)
    if spec is not None and not spec.supported:
        yield (*at, f"{rule.rule_type} will not be evaluated locally: {spec.unsupported_reason}")
    for p in rule.parameters:
        if p.constant:
            used.add(p.constant)
    for cond in (rule.condition, rule.threshold):
        if cond is None:
            continue
        if isinstance(cond, InList) and cond.constant:
            used.add(cond.constant)
        for v in getattr(cond, "values", ()):
            if isinstance(v, StringValue) and v.constant:
                used.add(v.constant)
            if isinstance(v, DynamicExpr):
                mixed = _mixed_precedence(v.expr)
                if mixed is not None:
                    yield (
                        *at,
                        f"'{v}' is evaluated left to right as '{mixed}' (DQDL gives + - * / one "
                        "precedence); add parentheses to make the intent explicit",
                    )
        if isinstance(cond, Between) and _empty_range(cond):
            yield (
                *at,
                f"'{cond.text}' can never pass: between is exclusive and the range is empty",
            )
        if isinstance(cond, Matches):
            try:
                re.compile(cond.pattern)
            except re.error as exc:
                yield (
                    *at,
                    f"regex {cond.pattern!r} does not compile in Python ({exc}); the local "
                    "evaluator may fail on it even if Glue's Java regex accepts it",
                )
    if spec is not None and declared is not None:
        for alias in _aliases(rule, spec):
            if alias not in declared:
                yield (
                    *at,
                    f"data source '{alias}' is not listed in DataSources AdditionalDataSources",
                )
    if rule.rule_type == "ColumnDataType" and rule.condition is not None:
        for v in getattr(rule.condition, "values", ()):
            if isinstance(v, StringValue) and v.value.lower() not in {
                t.lower() for t in COLUMN_DATA_TYPES
            }:
                yield (
                    *at,
                    f"ColumnDataType type {v.value!r} is not one Glue lists ({', '.join(COLUMN_DATA_TYPES)})",
                )


def _aliases(rule: Rule, spec: rt.RuleTypeSpec) -> Iterator[str]:
    from lakehouse.dq.ast import aggregate_expression, reference_columns

    for i, p in enumerate(rule.parameters):
        ps = spec.param_spec(i)
        if ps is None:
            continue
        if ps.kind is rt.ParamKind.DATA_SOURCE:
            yield p.value
        elif ps.kind is rt.ParamKind.REFERENCE_COLUMNS:
            yield reference_columns(p.value)[0]
        elif ps.kind is rt.ParamKind.AGGREGATE:
            alias = aggregate_expression(p.value)[1]
            if alias is not None:
                yield alias


def _mixed_precedence(expr: NumExpr) -> str | None:
    """The left-to-right grouping of ``a + b * c`` written without parentheses, else None."""
    for node in walk_num_expr(expr):
        if (
            isinstance(node, BinaryOp)
            and node.op in "*/"
            and isinstance(node.left, BinaryOp)
            and not node.left.parenthesized
            and node.left.op in "+-"
        ):
            return f"({node.left}) {node.op} {node.right}"
    return None


def _empty_range(cond: Between) -> bool:
    low, high = cond.low, cond.high
    if isinstance(low, NumberValue) and isinstance(high, NumberValue):
        return low.value >= high.value if not cond.negated else False
    if isinstance(low, DateValue) and isinstance(high, DateValue):
        return low.value >= high.value if not cond.negated else False
    return False


def _constant_position(text: str, name: str) -> tuple[int, int]:
    m = re.search(rf"(?m)^[ \t]*({re.escape(name)})[ \t]*=", text)
    if not m:
        return 1, 1
    line = text.count("\n", 0, m.start(1)) + 1
    return line, m.start(1) - (text.rfind("\n", 0, m.start(1)) + 1) + 1
