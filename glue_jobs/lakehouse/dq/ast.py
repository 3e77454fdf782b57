"""The typed, immutable AST of a DQDL ruleset (what ``lakehouse.dq.parser.parse`` returns).

Everything is a frozen dataclass; mappings are ``FrozenMap`` (a read-only, hashable, picklable
``dict``). Every node that prints renders DQDL text the way the awslabs/dqdl model classes do
(``DQRule.toString``), which is also what Glue shows in the ``Rule`` column of its outcomes:

* a rule: ``RuleType`` + parameters as written (``of``/``and`` connector words kept, quoted or
  bare, ``$constant`` for constants) + condition + ``where "..."`` + ``with threshold <cond>`` +
  ``with "<tag>" = <value>`` tags; labels are not part of the text (they are reported apart);
* conditions: ``> 5``, ``!= 5``, ``between a and b``, ``not between a and b``, ``in [a,b]``
  (no space after commas), ``not in [...]``, ``matches "re"``, ``not matches "re"``; numbers
  as written (``100.0`` stays ``100.0``); ``NULL``/``EMPTY``/``WHITESPACES_ONLY`` upper-case;
  ``now()``, ``(now() - 3 days)``, ``24 hours``, ``5 GB``; arithmetic as ``a op b`` with the
  parentheses that grouped a binary expression kept, functions as ``avg(last(10))``;
* a composite: ``(A) AND (B)`` / ``(A) OR ((B) AND (C))``: operands in parentheses, the operator
  upper-case (the Java enum's name), chains of one operator flattened.

Whitespace, comments and keyword case are normalised, so ``parse(rule.text)`` gives the same
rule back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from lakehouse.dq import rule_types as _rt
from lakehouse.dq.rule_types import ParamKind


class FrozenMap(dict):
    """A read-only dict: hashable, picklable, equal to a plain dict with the same items."""

    __slots__ = ()

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("FrozenMap is read-only")

    __setitem__ = __delitem__ = _readonly  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset((k, _hashable(v)) for k, v in self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenMap({dict.__repr__(self)})"


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


EMPTY_MAP: FrozenMap = FrozenMap()


def quote(value: str) -> str:
    """A DQDL string literal for an (unescaped) value: ``"`` and ``\\`` get a backslash."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class NumberValue:
    """A number literal; ``text`` is how it was written (``-0.5``, ``100.0``)."""

    value: Decimal
    text: str

    @property
    def kind(self) -> str:
        return "number"

    def __str__(self) -> str:
        return self.text

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True, slots=True)
class StringValue:
    """A string literal (escapes ``\\"`` and ``\\\\`` removed); ``constant`` if it came from one."""

    value: str
    constant: str | None = None

    @property
    def kind(self) -> str:
        return "string"

    def __str__(self) -> str:
        return f"${self.constant}" if self.constant else quote(self.value)


@dataclass(frozen=True, slots=True)
class DateValue:
    """A static date ``"YYYY-MM-DD"`` (midnight, as awslabs/dqdl's ``StaticDate``)."""

    value: dt.date

    @property
    def kind(self) -> str:
        return "date"

    def __str__(self) -> str:
        return f'"{self.value.isoformat()}"'


@dataclass(frozen=True, slots=True)
class TimeValue:
    """A time of day ``"21:45"`` or ``"9:30 PM"``: that time today (UTC)."""

    hour: int
    minute: int
    text: str

    @property
    def kind(self) -> str:
        return "date"

    def __str__(self) -> str:
        return f'"{self.text}"'


DurationUnit: TypeAlias = Literal["days", "hours", "minutes"]


@dataclass(frozen=True, slots=True)
class Duration:
    """``24 hours``; DQDL durations are whole ``days``, ``hours`` or ``minutes``."""

    amount: int
    unit: DurationUnit

    @property
    def kind(self) -> str:
        return "duration"

    @property
    def timedelta(self) -> dt.timedelta:
        return dt.timedelta(**{self.unit: self.amount})

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


SIZE_FACTORS: Mapping[str, int] = {
    "B": 1,
    "KB": 1024,
    "MB": 1024**2,
    "GB": 1024**3,
    "TB": 1024**4,
}


@dataclass(frozen=True, slots=True)
class Size:
    """``5 GB``; units are 1024-based as in awslabs/dqdl's ``Size``."""

    amount: int
    unit: str

    @property
    def kind(self) -> str:
        return "size"

    @property
    def bytes(self) -> int:
        return self.amount * SIZE_FACTORS[self.unit]

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


@dataclass(frozen=True, slots=True)
class NowExpr:
    """``now()`` or ``(now() - 3 days)`` / ``(now() + 4 hours)``."""

    op: Literal["+", "-"] | None = None
    duration: Duration | None = None

    @property
    def kind(self) -> str:
        return "date"

    def __str__(self) -> str:
        if self.duration is None:
            return "now()"
        return f"(now() {self.op} {self.duration})"


@dataclass(frozen=True, slots=True)
class NullValue:
    @property
    def kind(self) -> str:
        return "null"

    def __str__(self) -> str:
        return "NULL"


@dataclass(frozen=True, slots=True)
class EmptyValue:
    """``EMPTY``: the empty string."""

    @property
    def kind(self) -> str:
        return "string"

    def __str__(self) -> str:
        return "EMPTY"


@dataclass(frozen=True, slots=True)
class WhitespacesOnlyValue:
    """``WHITESPACES_ONLY``: a non-empty string of whitespace only."""

    @property
    def kind(self) -> str:
        return "string"

    def __str__(self) -> str:
        return "WHITESPACES_ONLY"


NULL = NullValue()
EMPTY = EmptyValue()
WHITESPACES_ONLY = WhitespacesOnlyValue()


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """``last(5)``, ``avg(last(5))``, ``index(last(5), 0)``, ``abs(x)``."""

    name: str
    args: tuple[NumExpr, ...]

    def __str__(self) -> str:
        return f"{self.name}({','.join(str(a) for a in self.args)})"


@dataclass(frozen=True, slots=True)
class BinaryOp:
    """``left op right``. DQDL gives ``+ - * /`` the same precedence, left to right (see parser)."""

    op: Literal["+", "-", "*", "/"]
    left: NumExpr
    right: NumExpr
    parenthesized: bool = False

    def __str__(self) -> str:
        text = f"{self.left} {self.op} {self.right}"
        return f"({text})" if self.parenthesized else text


NumExpr: TypeAlias = NumberValue | FunctionCall | BinaryOp


@dataclass(frozen=True, slots=True)
class DynamicExpr:
    """A numeric expression with functions or arithmetic: ``avg(last(5)) * 0.5``."""

    expr: NumExpr

    @property
    def kind(self) -> str:
        return "number"

    @property
    def uses_history(self) -> bool:
        return any(isinstance(n, FunctionCall) for n in walk_num_expr(self.expr))

    def __str__(self) -> str:
        return str(self.expr)


Value: TypeAlias = (
    NumberValue
    | StringValue
    | DateValue
    | TimeValue
    | NowExpr
    | Duration
    | Size
    | NullValue
    | EmptyValue
    | WhitespacesOnlyValue
    | DynamicExpr
)


def walk_num_expr(expr: NumExpr) -> Iterator[NumExpr]:
    yield expr
    if isinstance(expr, FunctionCall):
        for a in expr.args:
            yield from walk_num_expr(a)
    elif isinstance(expr, BinaryOp):
        yield from walk_num_expr(expr.left)
        yield from walk_num_expr(expr.right)


# --------------------------------------------------------------------------- conditions

ComparisonOp: TypeAlias = Literal["=", "!=", ">", ">=", "<", "<="]


@dataclass(frozen=True, slots=True)
class Comparison:
    op: ComparisonOp
    operand: Value

    @property
    def values(self) -> tuple[Value, ...]:
        return (self.operand,)

    @property
    def text(self) -> str:
        return f"{self.op} {self.operand}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Between:
    """``between low and high`` is exclusive; ``not between`` passes the bounds."""

    low: Value
    high: Value
    negated: bool = False

    @property
    def values(self) -> tuple[Value, ...]:
        return (self.low, self.high)

    @property
    def text(self) -> str:
        return f"{'not ' if self.negated else ''}between {self.low} and {self.high}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class InList:
    """``in [..]`` / ``not in [..]``; ``constant`` names the list constant (``in $allowed``)."""

    values: tuple[Value, ...]
    negated: bool = False
    constant: str | None = None

    @property
    def text(self) -> str:
        items = f"${self.constant}" if self.constant else f"[{','.join(map(str, self.values))}]"
        return f"{'not ' if self.negated else ''}in {items}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Matches:
    """``matches "re"``: a Java regex that must match the whole value."""

    pattern: str
    negated: bool = False

    @property
    def values(self) -> tuple[Value, ...]:
        return ()

    @property
    def text(self) -> str:
        return f'{"not " if self.negated else ""}matches "{self.pattern}"'

    def __str__(self) -> str:
        return self.text


Condition: TypeAlias = Comparison | Between | InList | Matches


def condition_uses_history(cond: Condition) -> bool:
    """Whether ``cond`` compares with earlier runs' metrics (``last(k)`` and friends)."""
    return any(isinstance(v, DynamicExpr) and v.uses_history for v in cond.values)


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class Param:
    """A rule parameter. ``value`` is the text between the quotes as written (no unescaping:
    column names, SQL and regexes keep their own escapes); ``constant`` if it was ``$name``."""

    value: str
    quoted: bool = True
    connector: str | None = None  # "of" / "and" (as written)
    constant: str | None = None

    @property
    def text(self) -> str:
        prefix = f"{self.connector} " if self.connector else ""
        if self.constant:
            return f"{prefix}${self.constant}"
        return f'{prefix}"{self.value}"' if self.quoted else f"{prefix}{self.value}"

    def __str__(self) -> str:
        return self.text


OptionValue: TypeAlias = str | int | Decimal | bool | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule (or analyzer).

    ``labels`` are the rule's own labels (see ``effective_labels`` for the merge with
    ``DefaultLabels``); ``options`` the ``with <key> = <value>`` tags other than ``threshold``
    (``hashAlgorithm``, ``recentFiles``, analyzer ``bins``/``rebin``...). ``line``/``column`` are
    1-based, point at the rule type, and take no part in equality.
    """

    rule_type: str
    parameters: tuple[Param, ...] = ()
    condition: Condition | None = None
    threshold: Condition | None = None
    where: str | None = None
    labels: Mapping[str, str] = field(default=EMPTY_MAP, hash=False)
    options: Mapping[str, OptionValue] = field(default=EMPTY_MAP, hash=False)
    text: str = ""
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)

    @property
    def spec(self) -> _rt.RuleTypeSpec | None:
        return _rt.get(self.rule_type)

    @property
    def values(self) -> tuple[str, ...]:
        """The parameter values, in order."""
        return tuple(p.value for p in self.parameters)

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns of the primary dataset this rule reads (empty for SQL, files, datasets)."""
        return rule_columns(self)

    def leaves(self) -> Iterator[Rule]:
        yield self

    @property
    def is_composite(self) -> bool:
        return False

    @property
    def uses_history(self) -> bool:
        """Whether the rule's condition or threshold reads earlier runs' metrics (``last(k)``)."""
        return any(
            condition_uses_history(c) for c in (self.condition, self.threshold) if c is not None
        )

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class CompositeRule:
    """``(A) and (B)`` / ``(A) or ((B) and (C))``; ``operator`` is ``"and"`` or ``"or"``."""

    operator: Literal["and", "or"]
    operands: tuple[RuleNode, ...]
    labels: Mapping[str, str] = field(default=EMPTY_MAP, hash=False)
    text: str = ""
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)

    def leaves(self) -> Iterator[Rule]:
        for op in self.operands:
            yield from op.leaves()

    @property
    def is_composite(self) -> bool:
        return True

    @property
    def columns(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for leaf in self.leaves():
            seen.update(dict.fromkeys(leaf.columns))
        return tuple(seen)

    def __str__(self) -> str:
        return self.text


RuleNode: TypeAlias = Rule | CompositeRule


@dataclass(frozen=True, slots=True)
class DataSources:
    primary: str | None = None
    additional: tuple[str, ...] = ()


ConstantValue: TypeAlias = str | tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Ruleset:
    metadata: Mapping[str, str] = field(default=EMPTY_MAP, hash=False)
    data_sources: DataSources | None = None
    constants: Mapping[str, ConstantValue] = field(default=EMPTY_MAP, hash=False)
    default_labels: Mapping[str, str] = field(default=EMPTY_MAP, hash=False)
    rules: tuple[RuleNode, ...] = ()
    analyzers: tuple[Rule, ...] = ()
    source_text: str = field(default="", compare=False, repr=False)

    def leaf_rules(self) -> Iterator[Rule]:
        """Every simple rule, including those inside composites (not analyzers)."""
        for r in self.rules:
            yield from r.leaves()

    @property
    def rule_types(self) -> frozenset[str]:
        return frozenset(r.rule_type for r in self.leaf_rules()) | frozenset(
            a.rule_type for a in self.analyzers
        )

    def labels_for(self, rule: RuleNode) -> dict[str, str]:
        return effective_labels(rule, self)


def effective_labels(rule: RuleNode, ruleset: Ruleset) -> dict[str, str]:
    """``DefaultLabels`` merged with the rule's own labels; the rule's keys win."""
    merged = dict(ruleset.default_labels)
    merged.update(rule.labels)
    return merged


# --------------------------------------------------------------------------- parameter helpers

_AGG_RE = re.compile(r"^\s*(sum|avg)\s*\(\s*(.+?)\s*\)\s*$", re.IGNORECASE)
_REF_RE = re.compile(r"^\s*([^.{}\s]+)\.(?:\{(.*)\}|(.+))\s*$")


def split_columns(text: str) -> tuple[str, ...]:
    """``"a, b"`` -> ``("a", "b")``."""
    return tuple(c.strip() for c in text.split(",") if c.strip())


def reference_columns(text: str) -> tuple[str, tuple[str, ...]]:
    """``"ref.{x,y}"`` / ``"ref.x"`` -> ``("ref", ("x", "y"))``. Raises ``ValueError``."""
    m = _REF_RE.match(text)
    if not m:
        raise ValueError(f"expected '<alias>.<column>' or '<alias>.{{<col>,<col>}}', got {text!r}")
    cols = split_columns(m.group(2) if m.group(2) is not None else m.group(3))
    if not cols:
        raise ValueError(f"no reference columns in {text!r}")
    return m.group(1), cols


def column_mappings(text: str) -> tuple[tuple[str, str], ...]:
    """``"id->rid,c2"`` -> ``(("id", "rid"), ("c2", "c2"))``. Raises ``ValueError``."""
    pairs = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise ValueError(f"empty column mapping in {text!r}")
        left, sep, right = item.partition("->")
        left, right = left.strip(), right.strip()
        if not left or (sep and not right) or "->" in right:
            raise ValueError(f"bad column mapping {item!r}: expected 'col' or 'col->ref_col'")
        pairs.append((left, right if sep else left))
    return tuple(pairs)


def aggregate_expression(text: str) -> tuple[str, str | None, str]:
    """``"sum(amt)"`` -> ``("sum", None, "amt")``; ``"avg(ref.x)"`` -> ``("avg", "ref", "x")``.

    The part before the first ``.`` is taken as a data source alias (Glue's documented form;
    Data Catalog runs use ``db.table.col``, returned as alias ``db``, column ``table.col``).
    Raises ``ValueError``.
    """
    m = _AGG_RE.match(text)
    if not m:
        raise ValueError(f"expected 'sum(<column>)' or 'avg(<column>)', got {text!r}")
    func, target = m.group(1).lower(), m.group(2)
    alias, dot, column = target.partition(".")
    if dot and alias and column:
        return func, alias, column
    return func, None, target


def rule_columns(rule: Rule) -> tuple[str, ...]:
    spec = rule.spec
    if spec is None:
        return ()
    if spec.name == "DetectAnomalies":
        target = _rt.get("CustomSql" if rule.values[:1] == ("CustomSQL",) else rule.values[0])
        if target is None:
            return ()
        inner = Rule(target.name, rule.parameters[1:])
        return rule_columns(inner)
    out: list[str] = []
    for i, p in enumerate(rule.parameters):
        ps = spec.param_spec(i)
        if ps is None:
            continue
        try:
            if ps.kind in (ParamKind.COLUMN, ParamKind.RULE_ARGUMENT):
                if not (
                    spec.name in ("AllStatistics", "Distribution") and p.value == _rt.ALL_COLUMNS
                ):
                    out.append(p.value)
            elif ps.kind is ParamKind.COLUMN_LIST:
                out.extend(split_columns(p.value))
            elif ps.kind is ParamKind.COLUMN_MAPPINGS:
                out.extend(left for left, _ in column_mappings(p.value))
            elif ps.kind is ParamKind.AGGREGATE:
                _, alias, col = aggregate_expression(p.value)
                if alias is None:
                    out.append(col)
        except ValueError:
            continue
    return tuple(dict.fromkeys(out))
