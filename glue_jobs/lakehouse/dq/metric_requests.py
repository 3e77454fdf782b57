"""Metric requests: the questions the DQ evaluator asks the metric engine.

Every request is a frozen, hashable dataclass, so it can key a dict and identical requests
coming from different rules collapse into one computation. Each carries an optional ``where``
(a Spark SQL predicate; rows for which it is not TRUE are ignored), always passed by keyword.

``glue_name`` is the key Glue puts into a rule outcome's ``EvaluatedMetrics`` map. The names
follow Deequ's open-source DQDL translation (``awslabs/deequ`` ``dqdl/translation/rules`` and
``dqdl/execution/executors``): ``<Entity>.<instance>.<Metric>`` where the entity is ``Dataset``
(instance ``*``), ``Column`` (one column) or ``Multicolumn`` (comma-joined columns, no spaces).

The engine itself (planning, fused Spark execution, the naive reference) lives in
``metric_plan``, ``metrics`` and ``metric_naive``; this module imports nothing from Spark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

__all__ = [
    "COLUMN_DATA_TYPE_COMPLIANCE",
    "COLUMN_VALUES_COMPLIANCE",
    "DATA_FRESHNESS_COMPLIANCE",
    "GLUE_CAST_TYPES",
    "LENGTH_COMPLIANCE",
    "Completeness",
    "Compliance",
    "Correlation",
    "DistinctValuesCount",
    "Distinctness",
    "Entropy",
    "FrequencyRequest",
    "MaxLength",
    "Maximum",
    "Mean",
    "MetricRequest",
    "MetricValue",
    "MinLength",
    "Minimum",
    "RowCount",
    "StandardDeviation",
    "Sum",
    "UniqueValueRatio",
    "Uniqueness",
    "Variance",
    "castable_predicate",
    "quote_identifier",
]

# Suffixes of Compliance metric names, per the DQDL rule that produced the predicate.
COLUMN_VALUES_COMPLIANCE = "ColumnValues.Compliance"
COLUMN_DATA_TYPE_COMPLIANCE = "ColumnDataType.Compliance"
DATA_FRESHNESS_COMPLIANCE = "DataFreshness.Compliance"
LENGTH_COMPLIANCE = "LengthCompliance"  # ColumnLength in/not in/not between (Deequ's name)


def quote_identifier(name: str) -> str:
    """Quote a column name for Spark SQL: backticks around it, inner backticks doubled.

    ``a.b`` is then one top-level column called "a.b", not field b of struct a.
    """
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True)
class MetricValue:
    """The outcome of one request.

    ``value`` is None when there is no value (empty input, an all-NULL column for Mean ...),
    which Deequ calls the "Empty state"; the rule that needs it fails. ``error`` is set when
    the metric could not be computed at all (missing column, invalid SQL ...); then ``value``
    is None too and the rule is reported Failed with that reason.
    """

    value: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _columns_tuple(columns: str | Iterable[str]) -> tuple[str, ...]:
    cols = (columns,) if isinstance(columns, str) else tuple(columns)
    if not cols:
        raise ValueError("at least one column is needed")
    for c in cols:
        if not isinstance(c, str) or not c:
            raise ValueError(f"column names must be non-empty strings, got {c!r}")
    return cols


@dataclass(frozen=True)
class MetricRequest:
    """Base class. ``where`` filters the rows first; requests with equal ``where`` share scans."""

    where: str | None = field(default=None, kw_only=True)

    #: "aggregate" (scan-shareable, one fused df.agg) or "frequency" (needs a frequency table).
    family: ClassVar[str] = "aggregate"
    #: Metric name as Glue spells it in EvaluatedMetrics.
    metric: ClassVar[str] = ""

    @property
    def columns_used(self) -> tuple[str, ...]:
        """Columns that must exist in the input (checked before anything runs)."""
        return ()

    @property
    def glue_name(self) -> str:
        raise NotImplementedError

    def label(self) -> str:
        """Short human-readable form, used by MetricPlan.describe()."""
        args = ",".join(self.columns_used)
        text = f"{type(self).__name__}({args})"
        return text if self.where is None else f"{text} where {self.where}"


@dataclass(frozen=True)
class RowCount(MetricRequest):
    metric: ClassVar[str] = "RowCount"

    @property
    def glue_name(self) -> str:
        return "Dataset.*.RowCount"


@dataclass(frozen=True)
class _ColumnMetric(MetricRequest):
    column: str

    def __post_init__(self) -> None:
        _columns_tuple(self.column)

    @property
    def columns_used(self) -> tuple[str, ...]:
        return (self.column,)

    @property
    def glue_name(self) -> str:
        return f"Column.{self.column}.{self.metric}"


@dataclass(frozen=True)
class Completeness(_ColumnMetric):
    """Non-NULL rows / rows."""

    metric: ClassVar[str] = "Completeness"


@dataclass(frozen=True)
class Minimum(_ColumnMetric):
    metric: ClassVar[str] = "Minimum"


@dataclass(frozen=True)
class Maximum(_ColumnMetric):
    metric: ClassVar[str] = "Maximum"


@dataclass(frozen=True)
class Mean(_ColumnMetric):
    metric: ClassVar[str] = "Mean"


@dataclass(frozen=True)
class Sum(_ColumnMetric):
    metric: ClassVar[str] = "Sum"


@dataclass(frozen=True)
class StandardDeviation(_ColumnMetric):
    """Population standard deviation (divides by n, as Deequ's stateful_stddev_pop)."""

    metric: ClassVar[str] = "StandardDeviation"


@dataclass(frozen=True)
class Variance(_ColumnMetric):
    """Population variance (m2 / n, as Deequ's Variance analyzer)."""

    metric: ClassVar[str] = "Variance"


@dataclass(frozen=True)
class MinLength(_ColumnMetric):
    metric: ClassVar[str] = "MinimumLength"


@dataclass(frozen=True)
class MaxLength(_ColumnMetric):
    metric: ClassVar[str] = "MaximumLength"


@dataclass(frozen=True)
class Compliance(MetricRequest):
    """Share of rows (after ``where``) for which ``predicate_sql`` is TRUE; NULL counts as not.

    ``name`` is the metric instance (normally the rule's column) and ``suffix`` says which rule
    produced it: ``glue_name`` is ``Column.<name>.<suffix>``, e.g. ``ColumnValues.Compliance``
    (constants COLUMN_VALUES_COMPLIANCE, COLUMN_DATA_TYPE_COMPLIANCE, DATA_FRESHNESS_COMPLIANCE,
    LENGTH_COMPLIANCE). Optional ``columns`` are the
    columns the predicate reads; when given they are checked up front, so a missing column
    gets the same message as for every other metric instead of Spark's analysis error.
    """

    name: str
    predicate_sql: str
    suffix: str = COLUMN_VALUES_COMPLIANCE
    columns: tuple[str, ...] = ()
    metric: ClassVar[str] = "Compliance"

    def __post_init__(self) -> None:
        if not isinstance(self.predicate_sql, str) or not self.predicate_sql.strip():
            raise ValueError("Compliance needs a non-empty SQL predicate")
        if self.columns:
            object.__setattr__(self, "columns", _columns_tuple(self.columns))

    @property
    def columns_used(self) -> tuple[str, ...]:
        return self.columns

    @property
    def glue_name(self) -> str:
        return f"Column.{self.name}.{self.suffix}"

    def label(self) -> str:
        text = f"Compliance({self.name}: {self.predicate_sql})"
        return text if self.where is None else f"{text} where {self.where}"


@dataclass(frozen=True)
class Correlation(MetricRequest):
    """Pearson correlation over the rows where both columns are non-NULL."""

    column_a: str
    column_b: str
    metric: ClassVar[str] = "ColumnCorrelation"

    def __post_init__(self) -> None:
        _columns_tuple((self.column_a, self.column_b))

    @property
    def columns_used(self) -> tuple[str, ...]:
        return (self.column_a, self.column_b)

    @property
    def glue_name(self) -> str:
        return f"Multicolumn.{self.column_a},{self.column_b}.ColumnCorrelation"


@dataclass(frozen=True)
class FrequencyRequest(MetricRequest):
    """A metric computed from the frequency table of the key columns (Deequ's grouping family).

    Rows whose key columns are all NULL are left out of both numerator and denominator.
    ``columns`` accepts one name or a sequence; it is stored as a tuple.
    """

    columns: tuple[str, ...]
    family: ClassVar[str] = "frequency"

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", _columns_tuple(self.columns))

    @property
    def columns_used(self) -> tuple[str, ...]:
        return self.columns

    @property
    def glue_name(self) -> str:
        entity = "Column" if len(self.columns) == 1 else "Multicolumn"
        return f"{entity}.{','.join(self.columns)}.{self.metric}"


@dataclass(frozen=True)
class Uniqueness(FrequencyRequest):
    """Rows whose key occurs exactly once / rows with a (not all-NULL) key."""

    metric: ClassVar[str] = "Uniqueness"


@dataclass(frozen=True)
class Distinctness(FrequencyRequest):
    """Distinct keys / rows with a (not all-NULL) key."""

    metric: ClassVar[str] = "Distinctness"


@dataclass(frozen=True)
class UniqueValueRatio(FrequencyRequest):
    """Keys occurring exactly once / distinct keys."""

    metric: ClassVar[str] = "UniqueValueRatio"


@dataclass(frozen=True)
class DistinctValuesCount(FrequencyRequest):
    """Number of distinct keys. ``include_null=True`` counts the all-NULL key as one more value
    (what Deequ's DQDL translation does, since it reads ``Histogram.bins``)."""

    include_null: bool = False
    metric: ClassVar[str] = "DistinctValuesCount"

    def label(self) -> str:
        text = super().label()
        if not self.include_null:
            return text
        head, sep, tail = text.partition(")")
        return f"{head}, include_null{sep}{tail}"


@dataclass(frozen=True)
class Entropy(FrequencyRequest):
    """-sum(p * ln p) over the frequencies of the non-NULL values (natural log, as Deequ)."""

    metric: ClassVar[str] = "Entropy"

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.columns) != 1:
            raise ValueError("Entropy takes exactly one column")

    @property
    def column(self) -> str:
        return self.columns[0]


# Glue's ColumnDataType types -> the Spark SQL type a value must cast to.
GLUE_CAST_TYPES: dict[str, str] = {
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "INTEGER": "INT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "LONG": "BIGINT",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def castable_predicate(column: str, glue_type: str) -> str:
    """SQL predicate "the value of ``column`` casts to ``glue_type``", for ColumnDataType.

    ``glue_type`` is one of Boolean, Date, Timestamp, Integer, Double, Float, Long (any case),
    or ``DECIMAL(p,s)`` (Deequ accepts it too). As in Deequ's ColumnDataType rule the test is
    ``CAST(col AS type) IS NOT NULL``, so a NULL value does **not** comply, and used as a
    Compliance the denominator is every row after ``where`` (Deequ divides the number of
    passing rows by the filtered row count). For "share of the non-NULL values", add
    ``<col> IS NOT NULL`` to the request's ``where``. The cast is Spark's own: with the
    default non-ANSI mode ``'1.5'`` casts to INT (truncated) and ``' 7 '`` is trimmed; under
    ``spark.sql.ansi.enabled=true`` a bad value raises and the request reports an error.
    """
    key = glue_type.strip().upper()
    sql_type = GLUE_CAST_TYPES.get(key)
    if sql_type is None:
        match = _DECIMAL.fullmatch(key)
        if match is None:
            raise ValueError(
                f"unknown ColumnDataType type {glue_type!r}; expected one of "
                f"{', '.join(t.title() for t in GLUE_CAST_TYPES)} or DECIMAL(p,s)"
            )
        sql_type = f"DECIMAL({match.group(1)},{match.group(2)})"
    return f"CAST({quote_identifier(column)} AS {sql_type}) IS NOT NULL"
