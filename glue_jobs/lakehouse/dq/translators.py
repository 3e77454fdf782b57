"""DQDL rule translators: one small translator per rule type, in a registry (Deequ-style).

A translator turns one (non-composite) rule into a :class:`LeafPlan`:

* ``requests``: the metric requests the rule needs from the fused metric engine
  (``lakehouse.dq.metrics.compute_metrics``). The evaluator collects the requests of every rule
  and analyzer and computes them together, so rules never scan the data on their own;
* ``judge(values)``: turns the computed values into a :class:`Verdict` (passed, Glue-style
  failure reason, ``EvaluatedMetrics`` with Glue's metric names). Rules that need their own scans
  (``lakehouse.dq.cross_dataset``) run them inside ``judge``; schema rules read only the schema;
* ``row``: how one row passes the rule (:class:`RowSpec`), for row-level results and for
  composite rules evaluated per row.

Semantics (Glue documentation first, then Deequ's open-source DQDL evaluator, which Glue's engine
is built on; choices where the two are silent or disagree are marked *choice*):

Conditions
    ``lakehouse.dq.conditions``: exclusive ``between``, ``not between`` passes the bounds, NULL
    fails positive forms and passes ``!=``/``not in`` (unless NULL is listed). Dynamic
    conditions (``avg(last(5))``) read the history of the rule's own metric (its Glue name).
No value
    A metric with no value (empty input, every row removed by ``where``, an all-NULL column for
    Mean/Sum/..., Deequ's "Empty state") fails the rule with a reason saying why. ``RowCount``
    always has a value (0 for no rows). *Deequ parity*: DataFreshness and ColumnDataType pass when
    no row is left to check (Deequ's ``RuleEvaluationHelper``: "No rows matched the filter").
IsComplete / Completeness
    ``Column.c.Completeness`` = non-NULL rows / rows; IsComplete needs 1.0.
IsUnique / Uniqueness / IsPrimaryKey
    ``Column.c.Uniqueness`` (``Multicolumn.a,b.Uniqueness``) = rows whose key occurs once / rows
    whose key is not all NULL (all-NULL keys are ignored). IsUnique needs 1.0. IsPrimaryKey needs
    Uniqueness 1.0 AND Completeness 1.0 of every key column and reports all those metrics.
DistinctValuesCount
    *Deequ parity*: counts the all-NULL key as one more value (Deequ reads ``Histogram.bins``,
    whose NULL bin counts). UniqueValueRatio and Entropy ignore NULL keys.
ColumnValues
    Implemented uniformly as the compliance of ``conditions.row_predicate_sql`` (the share of
    rows after ``where`` whose value passes); without a threshold every row must pass, with one
    the threshold is tested on the share. Reports ``Column.c.ColumnValues.Compliance``, plus
    ``Column.c.Minimum`` (``>``, ``>=``), ``Column.c.Maximum`` (``<``, ``<=``) or both (``=``)
    for numeric comparisons without a threshold, where Deequ checks min/max + completeness: the
    outcome is the same (min > x and no NULL <=> every value > x), and the failure reason is
    Deequ's ("Value: <min> does not meet ...", or "Value: NULL does not meet ..." when only
    NULLs break it).
ColumnLength
    Lengths of the values as strings, NULL counting as length 0 (Deequ's NullBehavior for
    lengths); checked per row like ColumnValues (*choice*: Deequ tests ``!=`` on min and max
    only, which passes lengths equal to the operand in the middle). Reports
    ``Column.c.MinimumLength`` (``>``, ``>=``), ``Column.c.MaximumLength`` (``<``, ``<=``),
    both (``=``, ``!=``, ``between``) for string columns, else ``Column.c.LengthCompliance``
    (``in``, ``not in``, ``not between``, thresholds, non-string columns).
ColumnDataType
    ``Column.c.ColumnDataType.Compliance`` = rows whose value casts to the type (Spark cast,
    ``CAST(c AS t) IS NOT NULL``; NULL does not comply with ``=``, complies with ``!=``) / rows.
    Types: Boolean, Date, Timestamp, Integer, Double, Float, Long, DECIMAL(p,s), and String
    (*choice*: any non-NULL value). ``in``/``not in`` lists of types: castable to any/none.
DataFreshness
    ``Column.c.DataFreshness.Compliance``: ``now - value`` per row against the duration; NULL
    fails; every row must comply. Failure reason Deequ's "<p>% of rows passed".
RowCount, ColumnCount, Mean, Sum, StandardDeviation (population), Variance, Entropy (natural
log), UniqueValueRatio, ColumnCorrelation
    ``Dataset.*.RowCount``, ``Dataset.*.ColumnCount``, ``Column.c.<Metric>``,
    ``Multicolumn.a,b.ColumnCorrelation``; the condition is tested on the value.
ColumnExists / ColumnNamesMatchPattern
    Schema only. ColumnNamesMatchPattern reports ``Dataset.*.ColumnNamesPatternMatchRatio`` and
    lists the offending names; *choice*: the pattern must match the WHOLE name (as DQDL's
    ``matches``), where Deequ's executor searches for it anywhere in the name.

Failure reasons follow Glue/Deequ: "Value: 0.93 does not meet the constraint requirement!"
(numbers printed as Java prints a double), "Column x does not exist in the dataset", ...
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from lakehouse.dq.ast import (
    Between,
    Comparison,
    Condition,
    InList,
    NumberValue,
    Rule,
    StringValue,
)
from lakehouse.dq.conditions import (
    DqdlEvaluationError,
    History,
    evaluate,
    row_predicate_sql,
)
from lakehouse.dq.metric_requests import (
    COLUMN_DATA_TYPE_COMPLIANCE,
    COLUMN_VALUES_COMPLIANCE,
    DATA_FRESHNESS_COMPLIANCE,
    LENGTH_COMPLIANCE,
    Completeness,
    Compliance,
    Correlation,
    DistinctValuesCount,
    Entropy,
    Maximum,
    MaxLength,
    Mean,
    MetricRequest,
    MetricValue,
    Minimum,
    MinLength,
    RowCount,
    StandardDeviation,
    Sum,
    Uniqueness,
    UniqueValueRatio,
    Variance,
    castable_predicate,
    quote_identifier,
)
from lakehouse.dq.metric_schema import error_text

__all__ = [
    "ANALYZERS",
    "TRANSLATORS",
    "EvalContext",
    "LeafPlan",
    "RowSpec",
    "Values",
    "Verdict",
    "analyzer_requests",
    "java_double",
    "not_met",
    "translate",
]

Values = Mapping[MetricRequest, MetricValue]

_NUMERIC_TYPES = ("byte", "short", "integer", "long", "float", "double", "decimal")


# --------------------------------------------------------------------------- value objects


@dataclass(frozen=True)
class Verdict:
    """The outcome of one rule: passed or not, why not, and the metrics it reports."""

    passed: bool
    reason: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    errored: bool = False  # the rule could not be evaluated at all (missing column, bad SQL)

    @classmethod
    def fail(cls, reason: str, metrics: Mapping[str, float] | None = None) -> Verdict:
        return cls(False, reason, dict(metrics or {}))

    @classmethod
    def error(cls, reason: str) -> Verdict:
        return cls(False, reason, {}, errored=True)


@dataclass(frozen=True)
class RowSpec:
    """How one row passes a rule (rows outside ``where`` are handled by the caller).

    ``predicate``: a Spark SQL boolean, never NULL, over the row's columns. ``unique``: the row's
    key (``columns``) occurs once among the rows passing ``where`` (rows whose key is all NULL
    pass, as the uniqueness metrics ignore them; with ``complete`` every key column must also be
    non-NULL, for IsPrimaryKey). ``custom_sql``: the row equals (NULL-safe, on the returned
    columns) a row returned by the CustomSql statement ``sql``.
    """

    kind: Literal["predicate", "unique", "custom_sql"]
    predicate: str | None = None
    columns: tuple[str, ...] = ()
    complete: bool = False
    sql: str | None = None
    where: str | None = None


@dataclass
class LeafPlan:
    """What the evaluator needs to evaluate one simple rule (see the module docstring)."""

    rule: Rule
    requests: tuple[MetricRequest, ...] = ()
    judge: Callable[[Values], Verdict] | None = None
    row: RowSpec | None = None
    dataset_level_only: bool = False  # True: no row meaning (RowCount, Mean, CustomSql scalar..)

    def verdict(self, values: Values) -> Verdict:
        """The judge's verdict; an exception fails the rule with the reason, never escapes."""
        assert self.judge is not None
        try:
            return self.judge(values)
        except DqdlEvaluationError as exc:
            return Verdict.error(f"The rule could not be evaluated: {exc}")
        except Exception as exc:
            return Verdict.error(f"Exception thrown while evaluating rule: {error_text(exc)}")


@dataclass
class EvalContext:
    """Everything a translator may look at (no Spark job is ever started while translating).

    ``history_for(metric)`` gives the ``last(k)`` reader for a metric's Glue name; ``scope``
    (set by the evaluator) gives the isolated SQL session and reference datasets that the
    cross-dataset rules use.
    """

    schema: Any  # pyspark.sql.types.StructType
    case_sensitive: bool = False
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    history_for: Callable[[str], History | None] = lambda metric: None
    references: Mapping[str, Any] = field(default_factory=dict)
    scope: Any = None  # lakehouse.dq.cross_dataset.Scope

    def field(self, name: str) -> Any | None:
        """The schema field ``name`` resolves to (Spark's rules), or None."""
        for f in self.schema.fields:
            if f.name == name:
                return f
        if not self.case_sensitive:
            matches = [f for f in self.schema.fields if f.name.lower() == name.lower()]
            if len(matches) == 1:
                return matches[0]
        return None

    def type_name(self, name: str) -> str | None:
        f = self.field(name)
        return None if f is None else f.dataType.typeName()

    def is_numeric(self, name: str) -> bool:
        return self.type_name(name) in _NUMERIC_TYPES

    def is_string(self, name: str) -> bool:
        return self.type_name(name) == "string"


# --------------------------------------------------------------------------- formatting


def java_double(value: float) -> str:
    """``value`` as Java's ``Double.toString`` prints it (``1.0``, ``0.93``, ``1.0E7``)."""
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"
    if 1e-3 <= abs(v) < 1e7:
        text = repr(v)
        return text if "." in text or "e" in text else text + ".0"
    sign, digits, exponent = Decimal(repr(v)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    power = len(text) - 1 + exponent
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{power}"


def not_met(value: float | None) -> str:
    """Deequ's failure reason for a value that breaks the constraint."""
    shown = "NULL" if value is None else java_double(value)
    return f"Value: {shown} does not meet the constraint requirement!"


def _no_value(metric: str, values: Values, rows: MetricRequest | None) -> str:
    """Why a metric has no value (Deequ's "Empty state"), as precisely as we know."""
    n = values[rows].value if rows is not None and rows in values else None
    where = rows.where if rows is not None else None
    if n == 0 and where is None:
        return f"No value for {metric}: the dataset has no rows"
    if n == 0:
        return f'No value for {metric}: no row matches the where clause "{where}"'
    return f"No value for {metric}: there are no non-NULL values to compute it from"


def _metrics(pairs: Sequence[tuple[MetricRequest, str]], values: Values) -> dict[str, float]:
    out: dict[str, float] = {}
    for request, name in pairs:
        v = values.get(request)
        if v is not None and v.value is not None:
            out[name] = float(v.value)
    return out


def _first_error(values: Values, requests: Sequence[MetricRequest]) -> str | None:
    for r in requests:
        v = values.get(r)
        if v is None:
            return f"{r.label()} was not computed"
        if v.error is not None:
            return v.error
    return None


# --------------------------------------------------------------------------- translators

Translator = Callable[[Rule, EvalContext], LeafPlan]
TRANSLATORS: dict[str, Translator] = {}


def translator(*names: str) -> Callable[[Translator], Translator]:
    def register(fn: Translator) -> Translator:
        for name in names:
            TRANSLATORS[name] = fn
        return fn

    return register


def translate(rule: Rule, ctx: EvalContext) -> LeafPlan:
    """The plan for ``rule``; raises KeyError for a rule type without a translator. A rule whose
    parameters cannot be translated gets a plan that fails it with the reason."""
    try:
        plan = TRANSLATORS[rule.rule_type](rule, ctx)
    except KeyError:
        raise
    except Exception as exc:
        return _failed_plan(rule, f"The rule could not be evaluated: {error_text(exc)}")
    if plan.row is not None and plan.row.where != rule.where:
        plan.row = replace(plan.row, where=rule.where)
    return plan


def _condition_check(
    rule: Rule, condition: Condition, value: float, metric: str, ctx: EvalContext
) -> bool:
    return evaluate(condition, value, now=ctx.now, history=ctx.history_for(metric))


def _metric_rule(rule: Rule, ctx: EvalContext, request: MetricRequest) -> LeafPlan:
    """A rule that tests its condition on one metric (RowCount, Mean, Uniqueness ...)."""
    rows = RowCount(where=rule.where)
    name = request.glue_name
    condition = rule.condition
    assert condition is not None

    def judge(values: Values) -> Verdict:
        error = _first_error(values, [request])
        if error:
            return Verdict.error(error)
        value = values[request].value
        if value is None:
            return Verdict.fail(_no_value(name, values, rows))
        metrics = {name: float(value)}
        if _condition_check(rule, condition, value, name, ctx):
            return Verdict(True, None, metrics)
        return Verdict.fail(not_met(value), metrics)

    return LeafPlan(rule, (request, rows), judge, dataset_level_only=True)


def _columns(rule: Rule) -> tuple[str, ...]:
    return tuple(rule.values)


@translator("RowCount")
def _row_count(rule: Rule, ctx: EvalContext) -> LeafPlan:
    return _metric_rule(rule, ctx, RowCount(where=rule.where))


@translator("Mean", "Sum", "StandardDeviation", "Variance")
def _numeric_stat(rule: Rule, ctx: EvalContext) -> LeafPlan:
    kinds: dict[str, type] = {
        "Mean": Mean,
        "Sum": Sum,
        "StandardDeviation": StandardDeviation,
        "Variance": Variance,
    }
    return _metric_rule(rule, ctx, kinds[rule.rule_type](rule.values[0], where=rule.where))


@translator("Entropy")
def _entropy(rule: Rule, ctx: EvalContext) -> LeafPlan:
    return _metric_rule(rule, ctx, Entropy(rule.values[0], where=rule.where))


@translator("UniqueValueRatio")
def _unique_value_ratio(rule: Rule, ctx: EvalContext) -> LeafPlan:
    return _metric_rule(rule, ctx, UniqueValueRatio(rule.values[0], where=rule.where))


@translator("DistinctValuesCount")
def _distinct_values_count(rule: Rule, ctx: EvalContext) -> LeafPlan:
    request = DistinctValuesCount(rule.values[0], include_null=True, where=rule.where)
    return _metric_rule(rule, ctx, request)


@translator("ColumnCorrelation")
def _correlation(rule: Rule, ctx: EvalContext) -> LeafPlan:
    a, b = rule.values[:2]
    return _metric_rule(rule, ctx, Correlation(a, b, where=rule.where))


@translator("Completeness")
def _completeness(rule: Rule, ctx: EvalContext) -> LeafPlan:
    plan = _metric_rule(rule, ctx, Completeness(rule.values[0], where=rule.where))
    plan.row = RowSpec("predicate", f"({quote_identifier(rule.values[0])} IS NOT NULL)")
    plan.dataset_level_only = False
    return plan


@translator("Uniqueness")
def _uniqueness(rule: Rule, ctx: EvalContext) -> LeafPlan:
    plan = _metric_rule(rule, ctx, Uniqueness(_columns(rule), where=rule.where))
    plan.row = RowSpec("unique", columns=_columns(rule))
    plan.dataset_level_only = False
    return plan


def _all_equal_one(
    rule: Rule, checks: Sequence[MetricRequest], rows: MetricRequest
) -> Callable[[Values], Verdict]:
    """Every metric must be exactly 1.0 (IsComplete, IsUnique, IsPrimaryKey)."""

    def judge(values: Values) -> Verdict:
        error = _first_error(values, checks)
        if error:
            return Verdict.error(error)
        metrics = _metrics([(r, r.glue_name) for r in checks], values)
        reasons = []
        for r in checks:
            value = values[r].value
            if value is None:
                reasons.append(_no_value(r.glue_name, values, rows))
            elif value != 1.0:
                reasons.append(not_met(value))
        if reasons:
            return Verdict.fail("\n".join(dict.fromkeys(reasons)), metrics)
        return Verdict(True, None, metrics)

    return judge


@translator("IsComplete")
def _is_complete(rule: Rule, ctx: EvalContext) -> LeafPlan:
    request = Completeness(rule.values[0], where=rule.where)
    rows = RowCount(where=rule.where)
    row = RowSpec("predicate", f"({quote_identifier(rule.values[0])} IS NOT NULL)")
    return LeafPlan(rule, (request, rows), _all_equal_one(rule, [request], rows), row)


@translator("IsUnique")
def _is_unique(rule: Rule, ctx: EvalContext) -> LeafPlan:
    request = Uniqueness(_columns(rule), where=rule.where)
    rows = RowCount(where=rule.where)
    row = RowSpec("unique", columns=_columns(rule))
    return LeafPlan(rule, (request, rows), _all_equal_one(rule, [request], rows), row)


@translator("IsPrimaryKey")
def _is_primary_key(rule: Rule, ctx: EvalContext) -> LeafPlan:
    cols = _columns(rule)
    checks: list[MetricRequest] = [Uniqueness(cols, where=rule.where)]
    checks += [Completeness(c, where=rule.where) for c in dict.fromkeys(cols)]
    rows = RowCount(where=rule.where)
    row = RowSpec("unique", columns=cols, complete=True)
    return LeafPlan(rule, (*checks, rows), _all_equal_one(rule, checks, rows), row)


def _compliance_judge(
    rule: Rule,
    ctx: EvalContext,
    compliance: Compliance,
    rows: RowCount,
    reported: Sequence[tuple[MetricRequest, str]],
    *,
    explain: Callable[[Values], str | None] | None = None,
    empty_passes: bool = False,
    percent_reason: bool = False,
) -> Callable[[Values], Verdict]:
    """Judge a compliance-based rule: threshold on the share, or every row must pass."""
    name = compliance.glue_name

    def judge(values: Values) -> Verdict:
        error = _first_error(values, [compliance])
        if error:
            return Verdict.error(error)
        metrics = _metrics(reported, values)
        value = values[compliance].value
        if value is None:
            if empty_passes:
                return Verdict(True, None, {})
            return Verdict.fail(_no_value(name, values, rows), metrics)
        if rule.threshold is not None:
            if _condition_check(rule, rule.threshold, value, name, ctx):
                return Verdict(True, None, metrics)
            return Verdict.fail(not_met(value), metrics)
        if value == 1.0:
            return Verdict(True, None, metrics)
        reason = explain(values) if explain is not None else None
        if reason is None:
            reason = f"{value * 100:.2f}% of rows passed" if percent_reason else not_met(value)
        return Verdict.fail(reason, metrics)

    return judge


def _predicate(rule: Rule, ctx: EvalContext, column_sql: str) -> str:
    assert rule.condition is not None
    return row_predicate_sql(rule.condition, column_sql, now=ctx.now)


def _failed_plan(rule: Rule, reason: str) -> LeafPlan:
    return LeafPlan(rule, (), lambda values: Verdict.error(reason), dataset_level_only=True)


@translator("ColumnValues")
def _column_values(rule: Rule, ctx: EvalContext) -> LeafPlan:
    col = rule.values[0]
    condition = rule.condition
    assert condition is not None
    try:
        predicate = _predicate(rule, ctx, quote_identifier(col))
    except DqdlEvaluationError as exc:
        return _failed_plan(rule, f"The rule could not be evaluated: {exc}")
    compliance = Compliance(
        col, predicate, COLUMN_VALUES_COMPLIANCE, columns=(col,), where=rule.where
    )
    rows = RowCount(where=rule.where)
    bounds: list[MetricRequest] = []
    if (
        rule.threshold is None
        and isinstance(condition, Comparison)
        and isinstance(condition.operand, NumberValue)
        and condition.op in ("=", ">", ">=", "<", "<=")
        and ctx.is_numeric(col)
    ):
        if condition.op in ("=", ">", ">="):
            bounds.append(Minimum(col, where=rule.where))
        if condition.op in ("=", "<", "<="):
            bounds.append(Maximum(col, where=rule.where))
    reported = [(compliance, compliance.glue_name), *((b, b.glue_name) for b in bounds)]

    def explain(values: Values) -> str | None:
        """Deequ's reason for min/max checks: the offending bound, else the NULLs."""
        if not bounds:
            return None
        for b in bounds:
            v = values[b].value
            if v is not None and not evaluate(condition, v, now=ctx.now):
                return not_met(v)
        return not_met(None)

    judge = _compliance_judge(rule, ctx, compliance, rows, reported, explain=explain)
    row = RowSpec("predicate", predicate)
    return LeafPlan(rule, (compliance, rows, *bounds), judge, row)


@translator("ColumnLength")
def _column_length(rule: Rule, ctx: EvalContext) -> LeafPlan:
    col = rule.values[0]
    condition = rule.condition
    assert condition is not None
    length_sql = f"coalesce(length(CAST({quote_identifier(col)} AS STRING)), 0)"
    try:
        predicate = _predicate(rule, ctx, length_sql)
    except DqdlEvaluationError as exc:
        return _failed_plan(rule, f"The rule could not be evaluated: {exc}")
    compliance = Compliance(col, predicate, LENGTH_COMPLIANCE, columns=(col,), where=rule.where)
    rows = RowCount(where=rule.where)
    want_min = want_max = False
    if rule.threshold is None and ctx.is_string(col):
        if isinstance(condition, Comparison):
            want_min = condition.op in (">", ">=", "=", "!=")
            want_max = condition.op in ("<", "<=", "=", "!=")
        elif isinstance(condition, Between) and not condition.negated:
            want_min = want_max = True
    lengths = _LengthMetrics(col, rule.where)
    requests: list[MetricRequest] = [compliance, rows]
    if want_min or want_max:
        requests += lengths.requests

    def reported(values: Values) -> dict[str, float]:
        if not (want_min or want_max):
            return _metrics([(compliance, compliance.glue_name)], values)
        lo, hi = lengths.values(values)
        out = {}
        if want_min and lo is not None:
            out[f"Column.{col}.MinimumLength"] = lo
        if want_max and hi is not None:
            out[f"Column.{col}.MaximumLength"] = hi
        return out

    def explain(values: Values) -> str | None:
        if not (want_min or want_max):
            return None
        lo, hi = lengths.values(values)
        for wanted, v in ((want_min, lo), (want_max, hi)):
            if wanted and v is not None and not evaluate(condition, v, now=ctx.now):
                return not_met(v)
        return None

    base = _compliance_judge(rule, ctx, compliance, rows, [], explain=explain)

    def judge(values: Values) -> Verdict:
        verdict = base(values)
        metrics = {**reported(values), **verdict.metrics}
        return Verdict(verdict.passed, verdict.reason, metrics)

    return LeafPlan(rule, tuple(requests), judge, RowSpec("predicate", predicate))


class _LengthMetrics:
    """Minimum/maximum length with NULL counted as length 0, from the engine's metrics
    (which ignore NULLs): a NULL makes the minimum 0; no non-NULL value makes both 0."""

    def __init__(self, column: str, where: str | None):
        self.min = MinLength(column, where=where)
        self.max = MaxLength(column, where=where)
        self.complete = Completeness(column, where=where)
        self.requests = [self.min, self.max, self.complete]

    def values(self, values: Values) -> tuple[float | None, float | None]:
        if any(values[r].error for r in self.requests):
            return None, None
        completeness = values[self.complete].value
        if completeness is None:  # no rows
            return None, None
        lo, hi = values[self.min].value, values[self.max].value
        lo = 0.0 if completeness < 1.0 or lo is None else float(lo)
        hi = 0.0 if hi is None else float(hi)
        return lo, hi


def column_data_type_predicate(column: str, condition: Condition) -> str:
    """SQL predicate for ColumnDataType: the value casts to the type(s) (see module docstring).

    Raises ValueError for an unknown type or operator."""

    def castable(type_name: str) -> str:
        if type_name.strip().upper() == "STRING":
            return f"({quote_identifier(column)} IS NOT NULL)"
        try:
            return f"({castable_predicate(column, type_name)})"
        except ValueError:
            raise ValueError(f"Unrecognized data type: {type_name}") from None

    def names(items: Sequence[Any]) -> list[str]:
        out = []
        for item in items:
            if not isinstance(item, StringValue):
                raise ValueError(f"ColumnDataType expects type names in quotes, got {item}")
            out.append(item.value)
        return out

    if isinstance(condition, Comparison) and condition.op in ("=", "!="):
        test = castable(names([condition.operand])[0])
        return test if condition.op == "=" else f"(NOT {test})"
    if isinstance(condition, InList):
        test = "(" + " OR ".join(castable(n) for n in names(condition.values)) + ")"
        return f"(NOT {test})" if condition.negated else test
    raise ValueError("ColumnDataType supports =, !=, in and not in")


@translator("ColumnDataType")
def _column_data_type(rule: Rule, ctx: EvalContext) -> LeafPlan:
    col = rule.values[0]
    assert rule.condition is not None
    try:
        predicate = column_data_type_predicate(col, rule.condition)
    except ValueError as exc:
        return _failed_plan(rule, str(exc))
    compliance = Compliance(
        col, predicate, COLUMN_DATA_TYPE_COMPLIANCE, columns=(col,), where=rule.where
    )
    rows = RowCount(where=rule.where)
    reported = [(compliance, compliance.glue_name)]
    judge = _compliance_judge(rule, ctx, compliance, rows, reported, empty_passes=True)
    return LeafPlan(rule, (compliance, rows), judge, RowSpec("predicate", predicate))


@translator("DataFreshness")
def _data_freshness(rule: Rule, ctx: EvalContext) -> LeafPlan:
    col = rule.values[0]
    try:
        predicate = _predicate(rule, ctx, quote_identifier(col))
    except DqdlEvaluationError as exc:
        return _failed_plan(rule, f"The rule could not be evaluated: {exc}")
    compliance = Compliance(
        col, predicate, DATA_FRESHNESS_COMPLIANCE, columns=(col,), where=rule.where
    )
    rows = RowCount(where=rule.where)
    reported = [(compliance, compliance.glue_name)]
    judge = _compliance_judge(
        rule, ctx, compliance, rows, reported, empty_passes=True, percent_reason=True
    )
    return LeafPlan(rule, (compliance, rows), judge, RowSpec("predicate", predicate))


# ----------------------------------------------------------------- schema rules (no scan)


@translator("ColumnCount")
def _column_count(rule: Rule, ctx: EvalContext) -> LeafPlan:
    name = "Dataset.*.ColumnCount"
    assert rule.condition is not None
    condition = rule.condition

    def judge(values: Values) -> Verdict:
        value = float(len(ctx.schema.fields))
        metrics = {name: value}
        if _condition_check(rule, condition, value, name, ctx):
            return Verdict(True, None, metrics)
        return Verdict.fail(not_met(value), metrics)

    return LeafPlan(rule, (), judge, dataset_level_only=True)


@translator("ColumnExists")
def _column_exists(rule: Rule, ctx: EvalContext) -> LeafPlan:
    col = rule.values[0]

    def judge(values: Values) -> Verdict:
        if ctx.field(col) is not None:
            return Verdict(True)
        return Verdict.fail(f"Column {col} does not exist in the dataset")

    return LeafPlan(rule, (), judge, dataset_level_only=True)


@translator("ColumnNamesMatchPattern")
def _column_names_match_pattern(rule: Rule, ctx: EvalContext) -> LeafPlan:
    pattern = rule.values[0]
    name = "Dataset.*.ColumnNamesPatternMatchRatio"

    def judge(values: Values) -> Verdict:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            return Verdict.error(f"Invalid regex pattern '{pattern}': {exc}")
        columns = [f.name for f in ctx.schema.fields]
        unmatched = [c for c in columns if regex.fullmatch(c) is None]
        ratio = (len(columns) - len(unmatched)) / len(columns) if columns else math.nan
        metrics = {name: ratio}
        if unmatched:
            return Verdict.fail(
                f"Columns that do not match the pattern: {', '.join(unmatched)}", metrics
            )
        return Verdict(True, None, metrics)

    return LeafPlan(rule, (), judge, dataset_level_only=True)


# --------------------------------------------------------------------------- analyzers


@dataclass
class AnalyzerPlan:
    """An analyzer: requests, and how they become named metrics (errors are left out)."""

    rule: Rule
    requests: tuple[MetricRequest, ...]
    collect: Callable[[Values], dict[str, float]]


def _simple_metrics(requests: Sequence[MetricRequest]) -> Callable[[Values], dict[str, float]]:
    return lambda values: _metrics([(r, r.glue_name) for r in requests], values)


def _column_statistics(column: str, ctx: EvalContext) -> AnalyzerPlan:
    """AllStatistics for one column: the statistics the rule types offer for its type."""
    requests: list[MetricRequest] = [
        Completeness(column),
        DistinctValuesCount(column, include_null=True),
        UniqueValueRatio(column),
        Uniqueness(column),
        Entropy(column),
    ]
    lengths = None
    if ctx.is_numeric(column):
        requests += [Minimum(column), Maximum(column), Mean(column), Sum(column)]
        requests += [StandardDeviation(column)]
    elif ctx.is_string(column):
        lengths = _LengthMetrics(column, None)
        requests += lengths.requests
    simple = _simple_metrics(requests[:5] if lengths else requests)

    def collect(values: Values) -> dict[str, float]:
        out = simple(values)
        if lengths is not None:
            lo, hi = lengths.values(values)
            if lo is not None and hi is not None:
                out[f"Column.{column}.MinimumLength"] = lo
                out[f"Column.{column}.MaximumLength"] = hi
        return out

    return AnalyzerPlan(Rule("AllStatistics", text=column), tuple(requests), collect)


def _analyzer_all_statistics(rule: Rule, ctx: EvalContext) -> AnalyzerPlan:
    from lakehouse.dq.rule_types import ALL_COLUMNS

    target = rule.values[0]
    if target == ALL_COLUMNS and rule.parameters[0].quoted is False:
        columns = [f.name for f in ctx.schema.fields]
    else:
        columns = [target]
    rows = RowCount()
    parts = [_column_statistics(c, ctx) for c in columns]

    def collect(values: Values) -> dict[str, float]:
        out = _metrics([(rows, rows.glue_name)], values)
        for p in parts:
            out.update(p.collect(values))
        return out

    requests = (rows, *(r for p in parts for r in p.requests))
    return AnalyzerPlan(rule, requests, collect)


def _analyzer_column_values(rule: Rule, ctx: EvalContext) -> AnalyzerPlan:
    col = rule.values[0]
    if ctx.is_numeric(col):
        requests: list[MetricRequest] = [Minimum(col), Maximum(col)]
    else:
        requests = []
    return AnalyzerPlan(rule, tuple(requests), _simple_metrics(requests))


def _analyzer_column_length(rule: Rule, ctx: EvalContext) -> AnalyzerPlan:
    col = rule.values[0]
    lengths = _LengthMetrics(col, None)

    def collect(values: Values) -> dict[str, float]:
        lo, hi = lengths.values(values)
        if lo is None or hi is None:
            return {}
        return {f"Column.{col}.MinimumLength": lo, f"Column.{col}.MaximumLength": hi}

    return AnalyzerPlan(rule, tuple(lengths.requests), collect)


def _analyzer_column_count(rule: Rule, ctx: EvalContext) -> AnalyzerPlan:
    count = float(len(ctx.schema.fields))
    return AnalyzerPlan(rule, (), lambda values: {"Dataset.*.ColumnCount": count})


def _analyzer_metric(factory: Callable[[Rule], MetricRequest]) -> Callable[..., AnalyzerPlan]:
    def build(rule: Rule, ctx: EvalContext) -> AnalyzerPlan:
        request = factory(rule)
        return AnalyzerPlan(rule, (request,), _simple_metrics([request]))

    return build


ANALYZERS: dict[str, Callable[[Rule, EvalContext], AnalyzerPlan]] = {
    "RowCount": _analyzer_metric(lambda r: RowCount()),
    "ColumnCount": _analyzer_column_count,
    "Completeness": _analyzer_metric(lambda r: Completeness(r.values[0])),
    "Uniqueness": _analyzer_metric(lambda r: Uniqueness(tuple(r.values))),
    "UniqueValueRatio": _analyzer_metric(lambda r: UniqueValueRatio(r.values[0])),
    "DistinctValuesCount": _analyzer_metric(
        lambda r: DistinctValuesCount(r.values[0], include_null=True)
    ),
    "Entropy": _analyzer_metric(lambda r: Entropy(r.values[0])),
    "Mean": _analyzer_metric(lambda r: Mean(r.values[0])),
    "Sum": _analyzer_metric(lambda r: Sum(r.values[0])),
    "StandardDeviation": _analyzer_metric(lambda r: StandardDeviation(r.values[0])),
    "Variance": _analyzer_metric(lambda r: Variance(r.values[0])),
    "ColumnCorrelation": _analyzer_metric(lambda r: Correlation(r.values[0], r.values[1])),
    "ColumnValues": _analyzer_column_values,
    "ColumnLength": _analyzer_column_length,
    "AllStatistics": _analyzer_all_statistics,
}


def analyzer_requests(rule: Rule, ctx: EvalContext) -> AnalyzerPlan:
    return ANALYZERS[rule.rule_type](rule, ctx)
