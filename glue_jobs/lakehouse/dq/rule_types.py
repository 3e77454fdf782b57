"""The registry of DQDL rule types: what each one takes and what our engine does with it.

Sources: the AWS DQDL rule-type reference (its "Supported as Analyzer / Returns row-level results /
Dynamic rule support / Supports where clause" table and the per-rule pages), the awslabs/dqdl
``rules-config.json`` and parser tests, and ``/work/shared/reference/glue-facts.md`` section 2.4.

Parameter kinds (``ParamKind``) group into the four families the parser and evaluator care about:
columns of the primary dataset, free strings (SQL, regexes, aggregate expressions, S3 paths), data
source aliases, and rule names (``DetectAnomalies``). Numbers are never parameters in DQDL.

``condition_kinds`` lists the operand families a rule's condition may use: ``number`` (literals,
dynamic expressions, ``NULL``), ``string`` (quoted strings, ``EMPTY``, ``WHITESPACES_ONLY``,
``matches``), ``date`` (``"2024-01-31"``, ``now()``, ``(now() - 3 days)``, times), ``duration``
(``24 hours``) and ``size`` (``5 GB``; plain numbers count as bytes).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class ParamKind(StrEnum):
    """What a rule parameter holds."""

    COLUMN = "column"  # one column of the primary dataset
    COLUMN_LIST = "column_list"  # "a,b": comma-separated primary columns (ReferentialIntegrity)
    REFERENCE_COLUMNS = "reference_columns"  # "ref.col" or "ref.{a,b}"
    COLUMN_MAPPINGS = "column_mappings"  # "id->rid,c2" (DatasetMatch)
    DATA_SOURCE = "data_source"  # an alias of an additional data source
    AGGREGATE = "aggregate"  # "sum(col)" / "avg(ref.col)" (AggregateMatch)
    SQL = "sql"  # a Spark SQL statement (CustomSql)
    REGEX = "regex"  # a Java regular expression (ColumnNamesMatchPattern)
    PATH = "path"  # an S3 path (file rules)
    RULE_NAME = "rule_name"  # the rule whose metric DetectAnomalies watches
    RULE_ARGUMENT = "rule_argument"  # that rule's own parameters

    @property
    def family(self) -> str:
        """``columns`` / ``strings`` / ``data_sources`` / ``rule_names``."""
        if self in (ParamKind.COLUMN, ParamKind.COLUMN_LIST, ParamKind.RULE_ARGUMENT):
            return "columns"
        if self is ParamKind.DATA_SOURCE:
            return "data_sources"
        if self is ParamKind.RULE_NAME:
            return "rule_names"
        return "strings"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    kind: ParamKind
    optional: bool = False
    variadic: bool = False  # this one may repeat (always the last parameter)


@dataclass(frozen=True, slots=True)
class RuleTypeSpec:
    """One rule type.

    ``condition`` is ``"required"``, ``"optional"`` (CustomSql row mode, FileMatch) or ``"none"``.
    ``options`` are the ``with <key> = <value>`` tags a rule accepts besides ``with threshold``
    (for analyzers: their ``with bins = 20, rebin = false`` options).
    """

    name: str
    description: str
    params: tuple[ParamSpec, ...]
    condition: str
    condition_kinds: frozenset[str]
    where: bool = False
    threshold: bool = False
    rule: bool = True
    analyzer: bool = False
    row_level: bool = False
    dynamic: bool = False  # last()/avg(...) allowed in the condition
    dynamic_in_threshold: bool = False  # ... or only in the `with threshold` condition
    etl_only: bool = False
    supported: bool = True
    unsupported_reason: str | None = None
    options: frozenset[str] = frozenset()
    experimental: bool = False

    @property
    def min_params(self) -> int:
        return sum(1 for p in self.params if not p.optional)

    @property
    def max_params(self) -> int | None:
        """``None`` when the last parameter repeats."""
        if self.params and self.params[-1].variadic:
            return None
        return len(self.params)

    def param_spec(self, index: int) -> ParamSpec | None:
        """The spec for the ``index``-th parameter given (repeating the variadic last one)."""
        if index < len(self.params):
            return self.params[index]
        if self.params and self.params[-1].variadic:
            return self.params[-1]
        return None

    def arity_text(self) -> str:
        lo, hi = self.min_params, self.max_params
        noun = "parameter" if (hi == 1 or (hi is None and lo == 1)) else "parameters"
        if hi is None:
            return f"at least {lo} {noun}"
        if lo == hi:
            return "no parameters" if lo == 0 else f"exactly {lo} {noun}"
        return f"{lo} to {hi} {noun}"


_NUM = frozenset({"number"})
_S3 = "reads S3 object metadata (listings, sizes, modification times, checksums); the local engine only evaluates DataFrames"

_C = ParamSpec("TargetColumn", ParamKind.COLUMN)
_CS = ParamSpec("TargetColumns", ParamKind.COLUMN, variadic=True)
_PATH = ParamSpec("DataPath", ParamKind.PATH, optional=True)
_FILE_TAGS = frozenset({"recentFiles", "uriRegex", "filterOrder", "dataFrame"})


def _aggregate(name: str, description: str) -> RuleTypeSpec:
    return RuleTypeSpec(
        name,
        description,
        (_C,),
        "required",
        _NUM,
        where=True,
        analyzer=True,
        dynamic=True,
    )


_SPECS: tuple[RuleTypeSpec, ...] = (
    RuleTypeSpec(
        "RowCount",
        "Number of rows in the dataset.",
        (),
        "required",
        _NUM,
        where=True,
        analyzer=True,
        dynamic=True,
    ),
    RuleTypeSpec(
        "RowCountMatch",
        "Row count of the primary dataset divided by that of a reference dataset.",
        (ParamSpec("ReferenceDatasetAlias", ParamKind.DATA_SOURCE),),
        "required",
        _NUM,
        dynamic=True,
    ),
    RuleTypeSpec(
        "ColumnCount",
        "Number of columns in the dataset.",
        (),
        "required",
        _NUM,
        analyzer=True,
        dynamic=True,
    ),
    RuleTypeSpec(
        "ColumnExists",
        "The column exists in the dataset.",
        (_C,),
        "none",
        frozenset(),
    ),
    RuleTypeSpec(
        "ColumnNamesMatchPattern",
        "Every column name matches a regular expression.",
        (ParamSpec("PatternToMatch", ParamKind.REGEX),),
        "none",
        frozenset(),
    ),
    RuleTypeSpec(
        "ColumnDataType",
        "Share of values castable to a type (Boolean, Date, Timestamp, Integer, Double, Float, Long).",
        (_C,),
        "required",
        frozenset({"string"}),
        where=True,
        threshold=True,
        dynamic_in_threshold=True,
    ),
    RuleTypeSpec(
        "IsComplete",
        "Every value of the column is non-null.",
        (_C,),
        "none",
        frozenset(),
        where=True,
        row_level=True,
    ),
    RuleTypeSpec(
        "Completeness",
        "Share of non-null values.",
        (_C,),
        "required",
        _NUM,
        where=True,
        analyzer=True,
        row_level=True,
        dynamic=True,
    ),
    RuleTypeSpec(
        "IsUnique",
        "Every (non-null) value or value combination occurs once.",
        (_CS,),
        "none",
        frozenset(),
        where=True,
        row_level=True,
    ),
    RuleTypeSpec(
        "Uniqueness",
        "Share of non-null rows whose value (combination) occurs once.",
        (_CS,),
        "required",
        _NUM,
        where=True,
        analyzer=True,
        row_level=True,
        dynamic=True,
    ),
    RuleTypeSpec(
        "IsPrimaryKey",
        "The column(s) are unique and complete.",
        (_CS,),
        "none",
        frozenset(),
        where=True,
        row_level=True,
    ),
    _aggregate("UniqueValueRatio", "Values seen once divided by distinct values."),
    _aggregate("DistinctValuesCount", "Number of distinct values."),
    RuleTypeSpec(
        "ColumnValues",
        "Each value meets the condition (or a share of them does, with a threshold).",
        (_C,),
        "required",
        frozenset({"number", "string", "date"}),
        where=True,
        threshold=True,
        analyzer=True,
        row_level=True,
    ),
    RuleTypeSpec(
        "ColumnLength",
        "Value lengths (NULL counts as length 0) meet the condition.",
        (_C,),
        "required",
        _NUM,
        where=True,
        threshold=True,
        analyzer=True,
        row_level=True,
    ),
    _aggregate("Mean", "Mean of the column (NULLs ignored)."),
    _aggregate("Sum", "Sum of the column."),
    _aggregate("StandardDeviation", "Standard deviation of the column."),
    _aggregate("Variance", "Variance of the column (listed in the awslabs/dqdl rule config)."),
    _aggregate("Entropy", "Entropy of the column's value distribution."),
    RuleTypeSpec(
        "ColumnCorrelation",
        "Pearson correlation of two columns.",
        (
            ParamSpec("TargetColumn1", ParamKind.COLUMN),
            ParamSpec("TargetColumn2", ParamKind.COLUMN),
        ),
        "required",
        _NUM,
        where=True,
        analyzer=True,
        dynamic=True,
    ),
    RuleTypeSpec(
        "CustomSql",
        "A SQL statement returning one number (checked by the condition), or rows of the primary "
        "dataset that pass (row mode, optionally `with threshold`).",
        (ParamSpec("CustomSqlStatement", ParamKind.SQL),),
        "optional",
        _NUM,
        threshold=True,
        row_level=True,
        dynamic=True,
    ),
    RuleTypeSpec(
        "DataFreshness",
        "Age of each value (now minus the date/timestamp) meets the duration condition.",
        (_C,),
        "required",
        frozenset({"duration"}),
        where=True,
        row_level=True,
    ),
    RuleTypeSpec(
        "ReferentialIntegrity",
        "Share of primary key values found in a reference dataset.",
        (
            ParamSpec("PrimaryDatasetColumns", ParamKind.COLUMN_LIST),
            ParamSpec("ReferenceDatasetColumns", ParamKind.REFERENCE_COLUMNS),
        ),
        "required",
        _NUM,
        dynamic=True,
    ),
    RuleTypeSpec(
        "DatasetMatch",
        "Share of rows equal to a reference dataset after joining on key columns.",
        (
            ParamSpec("ReferenceDatasetAlias", ParamKind.DATA_SOURCE),
            ParamSpec("KeyColumnMappings", ParamKind.COLUMN_MAPPINGS),
            ParamSpec("MatchColumnMappings", ParamKind.COLUMN_MAPPINGS, optional=True),
        ),
        "required",
        _NUM,
        dynamic=True,
    ),
    RuleTypeSpec(
        "SchemaMatch",
        "Share of matching schema between the primary and a reference dataset.",
        (ParamSpec("ReferenceDatasetAlias", ParamKind.DATA_SOURCE),),
        "required",
        _NUM,
        dynamic=True,
    ),
    RuleTypeSpec(
        "AggregateMatch",
        "Ratio of two aggregates (sum/avg), each from the primary or a reference dataset.",
        (
            ParamSpec("AggregateExpression1", ParamKind.AGGREGATE),
            ParamSpec("AggregateExpression2", ParamKind.AGGREGATE),
        ),
        "required",
        _NUM,
    ),
    RuleTypeSpec(
        "DetectAnomalies",
        "Flags an anomalous value of another rule's metric using the run history.",
        (
            ParamSpec("RuleName", ParamKind.RULE_NAME),
            ParamSpec("RuleParameters", ParamKind.RULE_ARGUMENT, optional=True, variadic=True),
        ),
        "none",
        frozenset(),
        etl_only=True,
        supported=False,
        unsupported_reason="needs Glue's anomaly-detection model and its stored metric history",
        experimental=True,
    ),
    RuleTypeSpec(
        "FileFreshness",
        "Files (under an S3 path, or those read into the frame) were modified within the condition.",
        (_PATH,),
        "required",
        frozenset({"date"}),
        threshold=True,
        supported=False,
        unsupported_reason=_S3,
        options=_FILE_TAGS,
        experimental=True,
    ),
    RuleTypeSpec(
        "FileMatch",
        "Files match other files or one of a list of checksums.",
        (_PATH, ParamSpec("CompareDataPath", ParamKind.PATH, optional=True)),
        "optional",
        frozenset({"string"}),
        supported=False,
        unsupported_reason=_S3,
        options=_FILE_TAGS | {"hashAlgorithm"},
        experimental=True,
    ),
    RuleTypeSpec(
        "FileUniqueness",
        "Share of files that are not duplicates.",
        (_PATH,),
        "required",
        _NUM,
        supported=False,
        unsupported_reason=_S3,
        options=_FILE_TAGS | {"matchFileName"},
        experimental=True,
    ),
    RuleTypeSpec(
        "FileSize",
        "File sizes meet the condition (B KB MB GB TB, 1024-based; plain numbers are bytes).",
        (_PATH,),
        "required",
        frozenset({"size"}),
        threshold=True,
        supported=False,
        unsupported_reason=_S3,
        options=_FILE_TAGS,
        experimental=True,
    ),
    RuleTypeSpec(
        "AllStatistics",
        "Analyzer only: row count, completeness, uniqueness and type-specific statistics.",
        (_C,),
        "none",
        frozenset(),
        rule=False,
        analyzer=True,
        etl_only=True,
        experimental=True,
    ),
    RuleTypeSpec(
        "Distribution",
        "Analyzer only: histogram (numeric) or top-20 value frequencies of a column.",
        (_C,),
        "none",
        frozenset(),
        rule=False,
        analyzer=True,
        etl_only=True,
        options=frozenset({"bins", "rebin"}),
    ),
)

RULE_TYPES: Mapping[str, RuleTypeSpec] = {s.name: s for s in _SPECS}

# The rule names DetectAnomalies accepts (AWS docs spell CustomSql's as "CustomSQL").
ANOMALY_RULE_NAMES: frozenset[str] = frozenset(
    {
        "RowCount",
        "Completeness",
        "Uniqueness",
        "Mean",
        "Sum",
        "StandardDeviation",
        "Entropy",
        "DistinctValuesCount",
        "UniqueValueRatio",
        "ColumnLength",
        "ColumnValues",
        "ColumnCorrelation",
        "CustomSQL",
        "CustomSql",
        "ColumnCount",
    }
)

# Words AllStatistics/Distribution accept instead of a column.
ALL_COLUMNS = "AllColumns"

HASH_ALGORITHMS = ("MD5", "SHA-1", "SHA-256")

# Dynamic-rule functions: name -> (min args, max args).
DYNAMIC_FUNCTIONS: Mapping[str, tuple[int, int]] = {
    "last": (1, 1),
    "avg": (1, 1),
    "median": (1, 1),
    "max": (1, 1),
    "min": (1, 1),
    "sum": (1, 1),
    "std": (1, 1),
    "abs": (1, 1),
    "index": (2, 2),
}
LIST_AGGREGATES = frozenset({"avg", "median", "max", "min", "sum", "std"})


def get(name: str) -> RuleTypeSpec | None:
    return RULE_TYPES.get(name)


def suggest(
    word: str, choices: list[str] | tuple[str, ...] | frozenset[str] | None = None
) -> str | None:
    """The closest known name (case-insensitive first), or ``None``."""
    names = sorted(choices if choices is not None else RULE_TYPES)
    for name in names:
        if name.lower() == word.lower():
            return name
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if close:
        return close[0]
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def unsupported() -> dict[str, str]:
    """Rule types the local engine will not evaluate, with the reason."""
    return {s.name: s.unsupported_reason or "" for s in _SPECS if not s.supported}
