"""DQDL condition semantics, in pure Python: aggregate values and Spark SQL row predicates.

``evaluate(condition, value, now=..., history=...)`` tests one value (a metric, or one row's
value); ``row_predicate_sql(condition, column_sql, now=...)`` builds the Spark SQL boolean that
tests every row of a column. Both implement the same rules:

Operators
    ``= != > >= < <=`` compare numbers (as Java doubles: ``=`` is exact), strings (``=``/``!=``
    only), dates, durations and sizes. ``between a and b`` is EXCLUSIVE (``a < v < b``); ``not
    between a and b`` passes when ``v <= a`` or ``v >= b`` (the bounds pass). ``in [..]`` tests
    membership; ``matches "re"`` is a Java regular expression that must match the WHOLE value
    (Spark ``rlike`` with ``^(?:re)$``; Python ``re.search`` with the same anchors).

NULL (``None``)
    A NULL value fails every positive form (``=``, ``>``..., ``between``, ``in``, ``matches``) and
    ``not between``/``not matches``; it PASSES ``!=`` and ``not in`` unless NULL is in the list
    (``not in [1, NULL]`` fails it), as Glue documents for ColumnValues. ``= NULL`` passes only
    NULL, ``!= NULL`` only non-NULL, ``in [.., NULL]`` passes NULL. Duration conditions
    (DataFreshness) fail NULL rows whatever the operator. The evaluator must treat a MISSING
    aggregate metric (Deequ's "Empty state", e.g. Mean of no rows) as a failed rule itself rather
    than calling ``evaluate(..., None)``.

Keywords
    ``EMPTY`` is the empty string; ``WHITESPACES_ONLY`` a non-empty string made only of Java ``\\s``
    whitespace (space, tab, newline, vertical tab, form feed, carriage return). Neither matches
    NULL.

Dates and times
    All times are naive UTC (an aware ``now``/value is converted to UTC first); a ``date`` value is
    that day at midnight. ``"2024-01-31"`` is midnight of that day. ``now()`` is ``now``.
    ``(now() - 3 days)`` follows awslabs/dqdl's ``DateExpression``: ``now`` is first truncated to
    the hour (for ``days``/``hours``) or to the minute (for ``minutes``), then shifted. A time such
    as ``"21:45"`` or ``"9:30 PM"`` is that time on ``now``'s date. A date operand compared with a
    string value compares the ISO text (``"2024-01-31"``). Durations compare ``timedelta`` values;
    sizes compare byte counts (``KB`` = 1024 bytes); plain numbers in size conditions are bytes.

Dynamic expressions (``avg(last(5)) * 0.5``)
    ``history(k)`` returns up to ``k`` most recent past values of the same metric, newest first.
    ``last(k)`` is that list; with NO history at all ``last(k)`` is ``[0.0]`` (glue-facts: "no
    history means last() = 0.0"), and ``index(last(k), i)`` is then 0.0 too. So ``RowCount >
    avg(last(5)) * 0.5`` passes a first run with rows, but ``between min(last(3)) * 0.9 and
    max(last(3)) * 1.1`` is ``between 0 and 0`` and fails it. ``avg``, ``median``, ``max``, ``min``, ``sum`` aggregate the list; ``std`` is the
    population standard deviation (0.0 for one value); ``abs`` is the absolute value;
    ``index(last(k), i)`` is the i-th newest (0 = the previous run) and fails if fewer than i+1
    values exist. Arithmetic is done in floats with Java's rules for division by zero (``x/0`` is
    +/-infinity, ``0/0`` is NaN, and NaN fails every comparison but ``!=``). ``+ - * /`` share one precedence
    and group left to right (the parser builds the tree; see ``lakehouse.dq.parser``).

SQL literals are built for Spark's default parser settings
(``spark.sql.parser.escapedStringLiterals=false``): strings are single-quoted with ``\\`` and ``'``
backslash-escaped, so no value can break out of its literal. Timestamp literals are UTC
wall-clock times, which assumes a UTC session time zone (the project's Spark sessions use UTC).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from lakehouse.dq.ast import (
    Between,
    BinaryOp,
    Comparison,
    Condition,
    DateValue,
    Duration,
    DynamicExpr,
    EmptyValue,
    FunctionCall,
    InList,
    Matches,
    NowExpr,
    NullValue,
    NumberValue,
    NumExpr,
    Size,
    StringValue,
    TimeValue,
    Value,
    WhitespacesOnlyValue,
)

__all__ = [
    "DqdlEvaluationError",
    "History",
    "evaluate",
    "evaluate_number",
    "resolve_datetime",
    "row_predicate_sql",
    "sql_literal",
    "sql_string",
]

History = Callable[[int], Sequence[float]]

_WHITESPACE_RE = re.compile(r"[ \t\n\x0b\f\r]+")
_LEADING_FLAGS_RE = re.compile(r"^\(\?([aiLmsux]+)\)")


class DqdlEvaluationError(ValueError):
    """A condition cannot be evaluated (a value of the wrong type, a missing history entry)."""


# --------------------------------------------------------------------------- dynamic expressions


class _Series(list):
    """The values of ``last(k)``; ``no_history`` when there were none (then it is ``[0.0]``)."""

    no_history = False


def _history_values(k: int, history: History | None) -> _Series:
    values = [float(v) for v in (history(k) if history is not None else ())][:k]
    series = _Series(values or [0.0])
    series.no_history = not values
    return series


def _java_div(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _eval_expr(expr: NumExpr, history: History | None) -> float | _Series:
    if isinstance(expr, NumberValue):
        return float(expr.value)
    if isinstance(expr, BinaryOp):
        a = _scalar(_eval_expr(expr.left, history), expr.left)
        b = _scalar(_eval_expr(expr.right, history), expr.right)
        if expr.op == "+":
            return a + b
        if expr.op == "-":
            return a - b
        if expr.op == "*":
            return a * b
        return _java_div(a, b)
    if isinstance(expr, FunctionCall):
        name = expr.name
        if name == "last":
            return _history_values(
                int(_scalar(_eval_expr(expr.args[0], history), expr.args[0])), history
            )
        if name == "abs":
            return abs(_scalar(_eval_expr(expr.args[0], history), expr.args[0]))
        series = _eval_expr(expr.args[0], history)
        if not isinstance(series, _Series):
            raise DqdlEvaluationError(f"{name}() needs last(k), got {expr.args[0]}")
        if name == "index":
            i = int(_scalar(_eval_expr(expr.args[1], history), expr.args[1]))
            if i < len(series):
                return series[i]
            if series.no_history:
                return 0.0
            raise DqdlEvaluationError(f"{expr}: only {len(series)} past value(s) are known")
        if name == "avg":
            return math.fsum(series) / len(series)
        if name == "median":
            return float(statistics.median(series))
        if name == "max":
            return max(series)
        if name == "min":
            return min(series)
        if name == "sum":
            return math.fsum(series)
        if name == "std":
            return float(statistics.pstdev(series)) if len(series) > 1 else 0.0
        raise DqdlEvaluationError(f"unknown function {name}()")
    raise DqdlEvaluationError(f"not a numeric expression: {expr!r}")


def _scalar(value: float | _Series, expr: object) -> float:
    if isinstance(value, _Series):
        if len(value) == 1:
            return value[0]
        raise DqdlEvaluationError(
            f"{expr} gives {len(value)} values; aggregate them, e.g. avg(...)"
        )
    return value


def evaluate_number(value: NumberValue | DynamicExpr, history: History | None = None) -> float:
    """The float value of a number literal or a dynamic expression."""
    if isinstance(value, NumberValue):
        return float(value.value)
    return _scalar(_eval_expr(value.expr, history), value)


# --------------------------------------------------------------------------- dates


def _utc_naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def resolve_datetime(value: DateValue | TimeValue | NowExpr, now: dt.datetime) -> dt.datetime:
    """The naive-UTC datetime a date operand stands for (see the module docstring)."""
    now = _utc_naive(now)
    if isinstance(value, DateValue):
        return dt.datetime.combine(value.value, dt.time())
    if isinstance(value, TimeValue):
        return dt.datetime.combine(now.date(), dt.time(value.hour, value.minute))
    if value.duration is None:
        return now
    base = now.replace(second=0, microsecond=0)
    if value.duration.unit in ("hours", "days"):
        base = base.replace(minute=0)
    delta = value.duration.timedelta
    return base - delta if value.op == "-" else base + delta


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return _utc_naive(value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return None


# --------------------------------------------------------------------------- evaluate

_KEYWORDS = (NullValue, EmptyValue, WhitespacesOnlyValue)


def _is_whitespace_only(value: str) -> bool:
    return bool(value) and _WHITESPACE_RE.fullmatch(value) is not None


def _keyword_matches(keyword: Value, value: Any) -> bool:
    if isinstance(keyword, NullValue):
        return value is None
    if value is None or not isinstance(value, str):
        return False
    if isinstance(keyword, EmptyValue):
        return value == ""
    return _is_whitespace_only(value)


def _comparable(
    operand: Value, value: Any, now: dt.datetime | None, history: History | None
) -> tuple[Any, Any]:
    """(value, operand) turned into two things Python can compare."""
    if isinstance(operand, NumberValue | DynamicExpr):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise DqdlEvaluationError(f"cannot compare {value!r} with the number {operand}")
        return float(value), evaluate_number(operand, history)
    if isinstance(operand, StringValue):
        if not isinstance(value, str):
            raise DqdlEvaluationError(f"cannot compare {value!r} with the string {operand}")
        return value, operand.value
    if isinstance(operand, DateValue | TimeValue | NowExpr):
        if isinstance(value, str):
            text = (
                operand.value.isoformat()
                if isinstance(operand, DateValue)
                else str(operand).strip('"')
            )
            if isinstance(operand, NowExpr):
                raise DqdlEvaluationError(f"cannot compare the string {value!r} with {operand}")
            return value, text
        when = _as_datetime(value)
        if when is None:
            raise DqdlEvaluationError(f"cannot compare {value!r} with the date {operand}")
        if now is None and not isinstance(operand, DateValue):
            raise DqdlEvaluationError(f"{operand} needs the current time (now=...)")
        return when, resolve_datetime(operand, now or dt.datetime(1970, 1, 1))
    if isinstance(operand, Duration):
        if not isinstance(value, dt.timedelta):
            raise DqdlEvaluationError(f"cannot compare {value!r} with the duration {operand}")
        return value, operand.timedelta
    if isinstance(operand, Size):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise DqdlEvaluationError(f"cannot compare {value!r} with the size {operand}")
        return value, operand.bytes
    raise DqdlEvaluationError(f"cannot compare with {operand}")  # pragma: no cover


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == ">":
        return bool(a > b)
    if op == ">=":
        return bool(a >= b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    raise DqdlEvaluationError(f"unknown operator {op}")  # pragma: no cover


def _python_pattern(pattern: str) -> str:
    """``^(?:re)$``, moving leading inline flags (``(?i)``) to the front as Python requires."""
    m = _LEADING_FLAGS_RE.match(pattern)
    flags = ""
    if m:
        flags, pattern = f"(?{m.group(1)})", pattern[m.end() :]
    return f"{flags}^(?:{pattern})$"


def evaluate(
    condition: Condition,
    value: Any,
    *,
    now: dt.datetime | None = None,
    history: History | None = None,
) -> bool:
    """Does ``value`` meet ``condition``? (rules in the module docstring).

    ``value``: ``None`` (NULL), a number (``int``/``float``/``Decimal``; sizes in bytes), a
    ``str``, a ``date``/``datetime``, or a ``timedelta`` (durations). ``now`` is needed for
    ``now()``/times; ``history`` for ``last(k)``. Raises ``DqdlEvaluationError`` on a value of
    the wrong type.
    """
    if isinstance(condition, Comparison):
        operand = condition.operand
        if isinstance(operand, _KEYWORDS):
            hit = _keyword_matches(operand, value)
            if condition.op == "=":
                return hit
            if condition.op == "!=":
                return not hit
            raise DqdlEvaluationError(f"{operand} can only be tested with = or !=")
        if value is None:
            return condition.op == "!=" and not isinstance(operand, Duration)
        a, b = _comparable(operand, value, now, history)
        return _compare(condition.op, a, b)
    if isinstance(condition, Between):
        if value is None:
            return False
        a, low = _comparable(condition.low, value, now, history)
        _, high = _comparable(condition.high, value, now, history)
        inside = bool(low < a < high)
        if condition.negated:
            return bool(a <= low or a >= high)
        return inside
    if isinstance(condition, InList):
        if value is None and any(isinstance(v, Duration) for v in condition.values):
            return False
        hit = False
        for item in condition.values:
            if isinstance(item, _KEYWORDS):
                hit = _keyword_matches(item, value)
            elif value is not None:
                a, b = _comparable(item, value, now, history)
                hit = bool(a == b)
            if hit:
                break
        return not hit if condition.negated else hit
    if isinstance(condition, Matches):
        if value is None:
            return False
        text = value if isinstance(value, str) else str(value)
        found = re.search(_python_pattern(condition.pattern), text) is not None
        return not found if condition.negated else found
    raise DqdlEvaluationError(f"unknown condition {condition!r}")  # pragma: no cover


# --------------------------------------------------------------------------- Spark SQL


def sql_string(value: str) -> str:
    """A Spark SQL string literal that always stays one literal (backslash escapes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql_float(value: float) -> str:
    if math.isnan(value):
        return "CAST('NaN' AS DOUBLE)"
    if math.isinf(value):
        return f"CAST('{'-' if value < 0 else ''}Infinity' AS DOUBLE)"
    return f"CAST({value!r} AS DOUBLE)"


def _sql_timestamp(when: dt.datetime) -> str:
    return f"TIMESTAMP'{when.isoformat(sep=' ')}'"


def sql_literal(
    value: Value, *, now: dt.datetime | None = None, history: History | None = None
) -> str:
    """The Spark SQL literal for a condition operand (not for NULL/EMPTY/WHITESPACES_ONLY)."""
    if isinstance(value, NumberValue):
        return format(value.value, "f")
    if isinstance(value, DynamicExpr):
        return _sql_float(evaluate_number(value, history))
    if isinstance(value, StringValue):
        return sql_string(value.value)
    if isinstance(value, DateValue):
        return f"DATE'{value.value.isoformat()}'"
    if isinstance(value, TimeValue | NowExpr):
        if now is None:
            raise DqdlEvaluationError(f"{value} needs the current time (now=...)")
        return _sql_timestamp(resolve_datetime(value, now))
    if isinstance(value, Duration):
        return str(int(value.timedelta.total_seconds()))
    if isinstance(value, Size):
        return str(value.bytes)
    raise DqdlEvaluationError(f"{value} has no SQL literal")


_WHITESPACE_SQL_REGEX = r"^[ \t\n\x0B\f\r]+$"  # Java regex: one or more \s characters


def _whitespace_sql(col: str) -> str:
    return f"({col} RLIKE {sql_string(_WHITESPACE_SQL_REGEX)})"


def _keyword_sql(keyword: Value, col: str) -> str:
    """NULL-safe (never NULL) test for a keyword."""
    if isinstance(keyword, NullValue):
        return f"({col} IS NULL)"
    if isinstance(keyword, EmptyValue):
        return f"coalesce({col} = '', false)"
    return f"coalesce({_whitespace_sql(col)}, false)"


def row_predicate_sql(
    condition: Condition,
    column_sql: str,
    *,
    now: dt.datetime | None = None,
    history: History | None = None,
) -> str:
    """A Spark SQL boolean expression, never NULL, that is true for the rows passing ``condition``.

    ``column_sql`` is a SQL expression for the value (e.g. ```` `email` ````, or
    ``coalesce(length(`zip`), 0)`` for ColumnLength, which counts NULL as length 0). For duration
    conditions (DataFreshness) ``column_sql`` is the date/timestamp column and the predicate tests
    its age, ``now`` minus the value, in whole seconds. ``now`` is needed for ``now()``, times and
    durations; ``history`` for dynamic expressions.
    """
    col = f"({column_sql})"
    if _has_duration(condition):
        if now is None:
            raise DqdlEvaluationError("duration conditions need the current time (now=...)")
        col = f"(unix_timestamp({_sql_timestamp(_utc_naive(now))}) - unix_timestamp(CAST({col} AS TIMESTAMP)))"

    def lit(v: Value) -> str:
        return sql_literal(v, now=now, history=history)

    if isinstance(condition, Comparison):
        operand = condition.operand
        if isinstance(operand, _KEYWORDS):
            hit = _keyword_sql(operand, col)
            if condition.op == "=":
                return hit
            if condition.op == "!=":
                return f"(NOT {hit})"
            raise DqdlEvaluationError(f"{operand} can only be tested with = or !=")
        test = f"{col} {condition.op} {lit(operand)}"
        passes_null = condition.op == "!=" and not isinstance(operand, Duration)
        return f"coalesce({test}, {'true' if passes_null else 'false'})"
    if isinstance(condition, Between):
        low, high = lit(condition.low), lit(condition.high)
        if condition.negated:
            return f"coalesce({col} <= {low} OR {col} >= {high}, false)"
        return f"coalesce({col} > {low} AND {col} < {high}, false)"
    if isinstance(condition, InList):
        literals = [lit(v) for v in condition.values if not isinstance(v, _KEYWORDS)]
        parts = [_keyword_sql(v, col) for v in condition.values if isinstance(v, _KEYWORDS)]
        if literals:
            parts.insert(0, f"coalesce({col} IN ({', '.join(literals)}), false)")
        positive = " OR ".join(parts)
        if condition.negated:
            if _has_duration(condition):
                return f"({col} IS NOT NULL AND NOT ({positive}))"
            return f"(NOT ({positive}))"
        return f"({positive})"
    if isinstance(condition, Matches):
        test = f"CAST({col} AS STRING) RLIKE {sql_string(f'^(?:{condition.pattern})$')}"
        if condition.negated:
            test = f"NOT ({test})"
        return f"coalesce({test}, false)"
    raise DqdlEvaluationError(f"unknown condition {condition!r}")  # pragma: no cover


def _has_duration(condition: Condition) -> bool:
    return any(isinstance(v, Duration) for v in getattr(condition, "values", ()))
