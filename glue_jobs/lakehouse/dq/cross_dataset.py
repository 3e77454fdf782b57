"""Rules that need scans of their own: CustomSql and the rules over reference datasets.

Everything else is computed by the fused metric engine; these rules cannot be, so each runs the
few Spark queries it must (and no more), from its ``judge`` (see ``lakehouse.dq.translators``).
The primary-side parts of RowCountMatch (row count) and AggregateMatch (sum/avg of a primary
column) are ordinary metric requests and ride along in the fused scan; the reference-side
aggregates of all rules are computed with ONE query per reference dataset.

SQL isolation
    CustomSql runs in a dedicated SparkSession (``spark.newSession()``: same SparkContext and
    catalog, its own temporary views and SQL configuration, copied from the caller's session).
    The primary frame is registered there as the temporary view ``primary`` and every reference
    under its alias, so concurrent evaluations in one application never see each other's views
    and the caller's own ``primary`` view (if any) is left alone.

Semantics (Deequ's DQDL executors unless marked *choice*)
    CustomSql, scalar (a condition is given): the statement must return one row with one
        numeric column; ``Dataset.*.CustomSQL`` is tested against the condition. Several rows,
        columns, a NULL or a non-number fail the rule with a reason.
    CustomSql, row mode (no condition; optional ``with threshold``): the statement returns rows
        of ``primary``; its columns must all be columns of ``primary``. A primary row passes when
        it equals (NULL-safe, on the returned columns) a returned row.
        ``Dataset.*.CustomSQL.Compliance`` = passing rows / rows; without a threshold it must be
        1.0. An empty primary frame fails the rule ("could not be evaluated ... empty").
    ReferentialIntegrity ``"a,b" "ref.{x,y}"``: ``Column.ref.ReferentialIntegrity`` = primary
        rows whose key is found in the reference / all primary rows. A key with a NULL part is
        never found (Deequ joins with ``=``), so NULL keys count against the ratio. An empty
        primary fails ("Primary data frame contains no data.").
    RowCountMatch ``"ref"``: ``Dataset.ref.RowCountMatch`` = rows(primary) / rows(ref) as a Java
        double division (x/0 is Infinity, 0/0 NaN, which fails every condition but ``!=``).
    DatasetMatch ``"ref" "k->rk" ["c->rc"]``: the key columns must be unique in both frames
        (else the rule fails, Deequ's message); without match mappings every non-key primary
        column is compared with the reference column of the same name. A primary row matches
        when a reference row has equal keys (``=``) and equal compared values (NULL-safe).
        ``Dataset.ref.DatasetMatch`` = matching rows / primary rows; an empty primary fails.
    SchemaMatch ``"ref"``: no scan. ``Dataset.ref.SchemaMatch`` = columns of the primary whose
        name (exact) and type name exist in the reference / primary columns; frames with
        different column counts fail with 0.0 ("Column counts do not match"), as in Deequ.
    AggregateMatch ``"sum(a)" "avg(ref.b)"``: ratio of the two aggregates (sum/avg over the
        non-NULL values, as doubles; ``primary.col`` and plain ``col`` mean the primary frame):
        both 0 gives 1.0, a zero denominator 0.0 (Deequ). *Choice*: an aggregate with no value
        (no rows / only NULLs) fails the rule instead of counting as 0 (Deequ unboxes NULL to
        0). Metric ``Column.a.AggregateMatch`` or ``Column.a,b.AggregateMatch``.
"""

from __future__ import annotations

import contextlib
import functools
import math
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from lakehouse.dq.ast import Rule, aggregate_expression, column_mappings, reference_columns
from lakehouse.dq.metric_requests import Mean, MetricRequest, RowCount, Sum, quote_identifier
from lakehouse.dq.metric_schema import error_text
from lakehouse.dq.translators import (
    EvalContext,
    LeafPlan,
    RowSpec,
    Values,
    Verdict,
    _condition_check,
    _first_error,
    _no_value,
    not_met,
    translator,
)

__all__ = ["Scope"]

PRIMARY = "primary"
_EMPTY_SQL = "Custom SQL rule could not be evaluated due to data frame being empty"


def _not_found(alias: str) -> str:
    return f"Reference dataset '{alias}' not found in additional data sources"


def _java_div(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


class Scope:
    """Per-evaluation access to the primary frame, the references and an isolated SQL session.

    Nothing is created until a rule asks for it. Reference-side aggregates are requested
    (``need``) while rules are translated and computed together on first use.
    """

    def __init__(self, df: Any, references: Mapping[str, Any], case_sensitive: bool = False):
        self.df = df
        self.references = dict(references)
        self.case_sensitive = case_sensitive
        self._needs: dict[str, dict[tuple[str, str | None], None]] = {}
        self._aggregates: dict[str, dict[tuple[str, str | None], float | None] | str] = {}
        self._token = uuid.uuid4().hex[:8]

    # ----------------------------------------------------------------- SQL session

    @functools.cached_property
    def session(self) -> Any:
        """A new SparkSession sharing the context, with the caller's SQL settings."""
        parent = self.df.sparkSession
        session = parent.newSession()
        try:
            jvm = parent._jvm
            confs = jvm.scala.collection.JavaConverters.mapAsJavaMapConverter(
                parent._jsparkSession.conf().getAll()
            ).asJava()
            for key in list(confs.keySet()):
                if key.startswith("spark.sql.") and session.conf.isModifiable(key):
                    session.conf.set(key, confs.get(key))
        except Exception:  # pragma: no cover - best effort: the defaults still work
            pass
        return session

    def rebind(self, frame: Any) -> Any:
        """``frame`` as a DataFrame of the isolated session (same plan, no data copied)."""
        from pyspark.sql import DataFrame

        session = self.session
        jdf = session._jvm.org.apache.spark.sql.Dataset.ofRows(
            session._jsparkSession, frame._jdf.logicalPlan()
        )
        return DataFrame(jdf, session)

    @functools.cached_property
    def primary(self) -> Any:
        """The primary frame in the isolated session, with every view registered."""
        primary = self.rebind(self.df)
        primary.createOrReplaceTempView(PRIMARY)
        for alias, frame in self.references.items():
            if alias != PRIMARY:
                self.rebind(frame).createOrReplaceTempView(quote_identifier(alias))
        return primary

    def sql(self, statement: str) -> Any:
        """Analyse ``statement`` in the isolated session (no job runs until an action)."""
        _ = self.primary
        return self.session.sql(statement)

    def close(self) -> None:
        """Drop the temporary views (the session itself is garbage collected)."""
        if "primary" in self.__dict__:
            catalog = self.session.catalog
            for name in [PRIMARY, *self.references]:
                with contextlib.suppress(Exception):
                    catalog.dropTempView(name)

    # ----------------------------------------------------------------- CustomSql rows

    def _primary_column(self, name: str) -> str | None:
        for f in self.df.schema.fields:
            if f.name == name:
                return f.name
        if not self.case_sensitive:
            for f in self.df.schema.fields:
                if f.name.lower() == name.lower():
                    return f.name
        return None

    def join_custom_sql(self, base: Any, statement: str, marker: str) -> Any:
        """``base`` (a frame of the isolated session with primary's columns) plus a boolean
        column ``marker``: the row equals a row the statement returns. Raises ValueError with
        Deequ's messages when the statement's columns do not fit."""
        from pyspark.sql import functions as F

        result = self.sql(statement)
        columns = result.columns
        mapped = {c: self._primary_column(c) for c in columns}
        if not any(mapped.values()):
            raise ValueError(
                "The output from CustomSQL must contain at least one column that matches the "
                "input dataset. Ensure that matching columns are returned from the SQL."
            )
        extra = [c for c, p in mapped.items() if p is None]
        if extra:
            raise ValueError(
                "The columns returned from the SQL statement should only belong to the primary "
                f"table. Columns not found: {', '.join(extra)}"
            )
        tag = f"__dq_{uuid.uuid4().hex[:8]}"
        right = result.select(
            *(F.col(quote_identifier(c)).alias(f"{tag}_{i}") for i, c in enumerate(columns))
        ).distinct()
        right = right.withColumn(f"{tag}_m", F.lit(True))
        condition = None
        for i, c in enumerate(columns):
            test = F.col(quote_identifier(mapped[c] or c)).eqNullSafe(F.col(f"{tag}_{i}"))
            condition = test if condition is None else condition & test
        joined = base.join(right, condition, "left")
        flag = F.col(f"{tag}_m").isNotNull().alias(marker)
        return joined.select(*(F.col(quote_identifier(c)) for c in base.columns), flag)

    def custom_sql_compliance(self, statement: str) -> tuple[int, int]:
        """(matching rows, rows) of the primary frame for a row-mode statement."""
        from pyspark.sql import functions as F

        marker = f"__dq_m_{uuid.uuid4().hex[:8]}"
        joined = self.join_custom_sql(self.primary, statement, marker)
        row = joined.agg(
            F.count(F.lit(1)).alias("n"), F.count(F.when(F.col(marker), 1)).alias("m")
        ).collect()[0]
        return int(row["m"]), int(row["n"])

    # ----------------------------------------------------------------- reference aggregates

    def need(self, alias: str, func: str, column: str | None = None) -> None:
        """Register an aggregate (``count``, ``sum``, ``avg``) of a reference dataset."""
        self._needs.setdefault(alias, {})[(func, column)] = None

    def aggregate(self, alias: str, func: str, column: str | None = None) -> float | None:
        """The value of a registered aggregate; raises RuntimeError if the query failed."""
        from pyspark.sql import functions as F

        if alias not in self._aggregates:
            needed = list(self._needs.get(alias, {}))
            if (func, column) not in needed:
                needed.append((func, column))
            frame = self.references[alias]
            expressions = []
            for i, (fn, col) in enumerate(needed):
                if fn == "count":
                    expressions.append(F.count(F.lit(1)).alias(f"a{i}"))
                else:
                    value = F.col(quote_identifier(col or "")).cast("double")
                    agg = F.sum(value) if fn == "sum" else F.avg(value)
                    expressions.append(agg.alias(f"a{i}"))
            try:
                row = frame.agg(*expressions).collect()[0]
                self._aggregates[alias] = {
                    key: None if row[f"a{i}"] is None else float(row[f"a{i}"])
                    for i, key in enumerate(needed)
                }
            except Exception as exc:
                self._aggregates[alias] = error_text(exc)
        found = self._aggregates[alias]
        if isinstance(found, str):
            raise RuntimeError(found)
        if (func, column) not in found:
            del self._aggregates[alias]
            self.need(alias, func, column)
            return self.aggregate(alias, func, column)
        return found[(func, column)]


def _reference_field(frame: Any, name: str, case_sensitive: bool) -> str | None:
    for f in frame.schema.fields:
        if f.name == name:
            return f.name
    if not case_sensitive:
        for f in frame.schema.fields:
            if f.name.lower() == name.lower():
                return f.name
    return None


def _ratio_verdict(
    rule: Rule, ctx: EvalContext, metric: str, ratio: float, *, forced_reason: str | None = None
) -> Verdict:
    metrics = {metric: ratio}
    if forced_reason is not None:
        return Verdict.fail(forced_reason, metrics)
    assert rule.condition is not None
    if _condition_check(rule, rule.condition, ratio, metric, ctx):
        return Verdict(True, None, metrics)
    return Verdict.fail(not_met(ratio), metrics)


# --------------------------------------------------------------------------- CustomSql


@translator("CustomSql")
def _custom_sql(rule: Rule, ctx: EvalContext) -> LeafPlan:
    statement = rule.values[0]
    if rule.condition is not None:
        return LeafPlan(
            rule, (), lambda values: _custom_sql_scalar(rule, ctx, statement), None, True
        )
    row = RowSpec("custom_sql", sql=statement)
    return LeafPlan(rule, (), lambda values: _custom_sql_rows(rule, ctx, statement), row)


def _custom_sql_scalar(rule: Rule, ctx: EvalContext, statement: str) -> Verdict:
    metric = "Dataset.*.CustomSQL"
    try:
        result = ctx.scope.sql(statement)
        if len(result.columns) != 1:
            return Verdict.fail(
                "The CustomSql statement must return one numeric value; it returns "
                f"{len(result.columns)} columns (use no condition for a row-level statement)"
            )
        rows = result.limit(2).collect()
    except Exception as exc:
        return Verdict.error(f"Error executing SQL statement: {error_text(exc)}")
    if len(rows) != 1:
        return Verdict.fail(
            f"The CustomSql statement must return exactly one row; it returned {len(rows)}"
            + ("" if len(rows) < 2 else " or more")
        )
    raw = rows[0][0]
    if raw is None:
        return Verdict.fail(f"No value for {metric}: the CustomSql statement returned NULL")
    value = _as_number(raw)
    if value is None:
        return Verdict.fail(f"The CustomSql statement returned {raw!r}, which is not a number")
    return _ratio_verdict(rule, ctx, metric, value)


def _custom_sql_rows(rule: Rule, ctx: EvalContext, statement: str) -> Verdict:
    metric = "Dataset.*.CustomSQL.Compliance"
    try:
        matched, total = ctx.scope.custom_sql_compliance(statement)
    except ValueError as exc:
        return Verdict.error(str(exc))
    except Exception as exc:
        return Verdict.error(f"Error executing SQL statement: {error_text(exc)}")
    if total == 0:
        return Verdict.fail(_EMPTY_SQL)
    ratio = matched / total
    metrics = {metric: ratio}
    if rule.threshold is not None:
        if _condition_check(rule, rule.threshold, ratio, metric, ctx):
            return Verdict(True, None, metrics)
        return Verdict.fail(not_met(ratio), metrics)
    if ratio == 1.0:
        return Verdict(True, None, metrics)
    return Verdict.fail(not_met(ratio), metrics)


# --------------------------------------------------------------------------- ReferentialIntegrity


@translator("ReferentialIntegrity")
def _referential_integrity(rule: Rule, ctx: EvalContext) -> LeafPlan:
    from lakehouse.dq.ast import split_columns

    primary_columns = split_columns(rule.values[0])
    try:
        alias, reference_cols = reference_columns(rule.values[1])
    except ValueError:
        reason = "Could not parse ReferenceDatasetColumns parameter"
        return LeafPlan(rule, (), lambda values: Verdict.fail(reason), None, True)

    def judge(values: Values) -> Verdict:
        from pyspark.sql import functions as F

        reference = ctx.references.get(alias)
        if reference is None:
            return Verdict.fail(_not_found(alias))
        if len(primary_columns) != len(reference_cols):
            return Verdict.fail(
                "The number of columns to check from the primary data frame must equal the "
                "number of columns to check from the reference data frame."
            )
        missing = [c for c in primary_columns if ctx.field(c) is None]
        if missing:
            return Verdict.fail(_missing(missing, "primary"))
        ref_names = [_reference_field(reference, c, ctx.case_sensitive) for c in reference_cols]
        missing = [c for c, n in zip(reference_cols, ref_names, strict=True) if n is None]
        if missing:
            return Verdict.fail(_missing(missing, "reference"))
        tag = f"__dq_{uuid.uuid4().hex[:8]}"
        right = reference.select(
            *(F.col(quote_identifier(n or "")).alias(f"{tag}_{i}") for i, n in enumerate(ref_names))
        ).distinct()
        right = right.withColumn(f"{tag}_m", F.lit(True))
        left = ctx.scope.df.select(
            *(
                F.col(quote_identifier(c)).alias(f"{tag}_p{i}")
                for i, c in enumerate(primary_columns)
            )
        )
        condition = None
        for i in range(len(primary_columns)):
            test = F.col(f"{tag}_p{i}") == F.col(f"{tag}_{i}")
            condition = test if condition is None else condition & test
        try:
            row = (
                left.join(right, condition, "left")
                .agg(F.count(F.lit(1)).alias("n"), F.count(F.col(f"{tag}_m")).alias("m"))
                .collect()[0]
            )
        except Exception as exc:
            return Verdict.fail(f"Exception thrown while evaluating rule: {error_text(exc)}")
        total, matched = int(row["n"]), int(row["m"])
        if total == 0:
            return Verdict.fail("Primary data frame contains no data.")
        return _ratio_verdict(rule, ctx, f"Column.{alias}.ReferentialIntegrity", matched / total)

    return LeafPlan(rule, (), judge, None, True)


def _missing(columns: list[str], frame: str) -> str:
    if len(columns) == 1:
        return f"Column {columns[0]} does not exist in {frame} data frame."
    return f"Columns {', '.join(columns)} do not exist in {frame} data frame."


# --------------------------------------------------------------------------- RowCountMatch


@translator("RowCountMatch")
def _row_count_match(rule: Rule, ctx: EvalContext) -> LeafPlan:
    alias = rule.values[0]
    rows = RowCount()
    if alias in ctx.references and ctx.scope is not None:
        ctx.scope.need(alias, "count")

    def judge(values: Values) -> Verdict:
        if alias not in ctx.references:
            return Verdict.fail(_not_found(alias))
        error = _first_error(values, [rows])
        if error:
            return Verdict.error(error)
        try:
            reference_rows = ctx.scope.aggregate(alias, "count")
        except RuntimeError as exc:
            return Verdict.fail(f"Exception thrown while evaluating rule: {exc}")
        primary_rows = values[rows].value or 0.0
        ratio = _java_div(float(primary_rows), float(reference_rows or 0.0))
        return _ratio_verdict(rule, ctx, f"Dataset.{alias}.RowCountMatch", ratio)

    return LeafPlan(rule, (rows,), judge, None, True)


# --------------------------------------------------------------------------- SchemaMatch


@translator("SchemaMatch")
def _schema_match(rule: Rule, ctx: EvalContext) -> LeafPlan:
    alias = rule.values[0]
    metric = f"Dataset.{alias}.SchemaMatch"

    def judge(values: Values) -> Verdict:
        reference = ctx.references.get(alias)
        if reference is None:
            return Verdict.fail(_not_found(alias))
        primary = {f.name: f.dataType.typeName() for f in ctx.schema.fields}
        other = {f.name: f.dataType.typeName() for f in reference.schema.fields}
        if not primary or not other:
            return _ratio_verdict(
                rule, ctx, metric, 0.0, forced_reason="One or both DataFrames have no columns"
            )
        if len(primary) != len(other):
            return _ratio_verdict(
                rule, ctx, metric, 0.0, forced_reason="Column counts do not match"
            )
        matched = sum(1 for name, kind in primary.items() if other.get(name) == kind)
        return _ratio_verdict(rule, ctx, metric, matched / len(primary))

    return LeafPlan(rule, (), judge, None, True)


# --------------------------------------------------------------------------- AggregateMatch


@translator("AggregateMatch")
def _aggregate_match(rule: Rule, ctx: EvalContext) -> LeafPlan:
    sides: list[tuple[str, str | None, str]] = []
    try:
        for text in rule.values[:2]:
            func, alias, column = aggregate_expression(text)
            if alias is not None and (alias == PRIMARY or alias not in ctx.references):
                if alias == PRIMARY:
                    alias = None
                elif ctx.field(f"{alias}.{column}") is not None:  # a primary column "a.b"
                    alias, column = None, f"{alias}.{column}"
            sides.append((func, alias, column))
    except ValueError as exc:
        reason = str(exc)
        return LeafPlan(rule, (), lambda values: Verdict.fail(reason), None, True)
    requests: list[MetricRequest] = []
    primary_requests: dict[int, MetricRequest] = {}
    for i, (func, alias, column) in enumerate(sides):
        if alias is None:
            request = Sum(column) if func == "sum" else Mean(column)
            primary_requests[i] = request
            requests.append(request)
        elif alias in ctx.references and ctx.scope is not None:
            frame = ctx.references[alias]
            name = _reference_field(frame, column, ctx.case_sensitive)
            if name is not None:
                ctx.scope.need(alias, func, name)
    rows = RowCount()
    requests.append(rows)
    first_col, second_col = sides[0][2], sides[1][2]
    instance = first_col if first_col == second_col else f"{first_col},{second_col}"
    metric = f"Column.{instance}.AggregateMatch"

    def side_value(i: int, values: Values) -> float | str | None:
        func, alias, column = sides[i]
        if alias is None:
            request = primary_requests[i]
            v = values[request]
            if v.error:
                return v.error
            if v.value is None:
                return _no_value(f"{func}({column})", values, rows)
            return float(v.value)
        frame = ctx.references.get(alias)
        if frame is None:
            return _not_found(alias)
        name = _reference_field(frame, column, ctx.case_sensitive)
        if name is None:
            return f"Column {column} does not exist in reference data frame {alias}."
        try:
            value = ctx.scope.aggregate(alias, func, name)
        except RuntimeError as exc:
            return f"Exception thrown while evaluating rule: {exc}"
        if value is None:
            return f"No value for {func}({alias}.{column}): there are no non-NULL values"
        return value

    def judge(values: Values) -> Verdict:
        first, second = side_value(0, values), side_value(1, values)
        for side in (first, second):
            if isinstance(side, str):
                return Verdict.fail(side)
        assert isinstance(first, float) and isinstance(second, float)
        if first == 0 and second == 0:
            ratio = 1.0
        elif second == 0:
            ratio = 0.0
        else:
            ratio = first / second
        return _ratio_verdict(rule, ctx, metric, ratio)

    return LeafPlan(rule, tuple(requests), judge, None, True)


# --------------------------------------------------------------------------- DatasetMatch


@translator("DatasetMatch")
def _dataset_match(rule: Rule, ctx: EvalContext) -> LeafPlan:
    alias = rule.values[0]
    metric = f"Dataset.{alias}.DatasetMatch"
    try:
        keys = column_mappings(rule.values[1])
        compared = column_mappings(rule.values[2]) if len(rule.values) > 2 else None
    except ValueError as exc:
        reason = str(exc)
        return LeafPlan(rule, (), lambda values: Verdict.fail(reason), None, True)

    def judge(values: Values) -> Verdict:
        reference = ctx.references.get(alias)
        if reference is None:
            return Verdict.fail(_not_found(alias))
        return _dataset_match_verdict(rule, ctx, reference, keys, compared, metric)

    return LeafPlan(rule, (), judge, None, True)


def _dataset_match_verdict(
    rule: Rule,
    ctx: EvalContext,
    reference: Any,
    keys: tuple[tuple[str, str], ...],
    compared: tuple[tuple[str, str], ...] | None,
    metric: str,
) -> Verdict:
    from pyspark.sql import functions as F

    cs = ctx.case_sensitive
    primary = ctx.scope.df

    def resolve(pairs):
        left = [(ctx.field(a).name if ctx.field(a) is not None else None) for a, _ in pairs]
        right = [_reference_field(reference, b, cs) for _, b in pairs]
        return left, right

    key_left, key_right = resolve(keys)
    if None in key_left:
        missing = [a for (a, _), n in zip(keys, key_left, strict=True) if n is None]
        return Verdict.fail(
            f"The following key columns were not found in the first dataset: {', '.join(missing)}"
        )
    if None in key_right:
        missing = [b for (_, b), n in zip(keys, key_right, strict=True) if n is None]
        return Verdict.fail(
            f"The following key columns were not found in the second dataset: {', '.join(missing)}"
        )
    if compared is None:
        key_set = {k.lower() if not cs else k for k in key_left if k}
        others = [
            f.name for f in ctx.schema.fields if (f.name if cs else f.name.lower()) not in key_set
        ]
        pairs = tuple((c, c) for c in others)
        cmp_left, cmp_right = resolve(pairs)
        if None in cmp_right:
            return Verdict.fail("Non key columns in the given data frames do not match.")
    else:
        if not compared:
            return Verdict.fail("Empty column comparison map provided.")
        cmp_left, cmp_right = resolve(compared)
        if None in cmp_left:
            missing = [a for (a, _), n in zip(compared, cmp_left, strict=True) if n is None]
            return Verdict.fail(
                "The following columns were not found in the first dataset: " + ", ".join(missing)
            )
        if None in cmp_right:
            missing = [b for (_, b), n in zip(compared, cmp_right, strict=True) if n is None]
            return Verdict.fail(
                "The following columns were not found in the second dataset: " + ", ".join(missing)
            )
    tag = f"__dq_{uuid.uuid4().hex[:8]}"

    def q(name: str | None) -> Any:
        return F.col(quote_identifier(name or ""))

    ref_key_struct = F.struct(*(q(n) for n in key_right))
    prim_key_struct = F.struct(*(q(n) for n in key_left))
    right = reference.select(
        *(q(n).alias(f"{tag}_k{i}") for i, n in enumerate(key_right)),
        *(q(n).alias(f"{tag}_c{i}") for i, n in enumerate(cmp_right)),
    ).distinct()
    right = right.withColumn(f"{tag}_m", F.lit(True))
    left = primary.select(
        *(q(n).alias(f"{tag}_pk{i}") for i, n in enumerate(key_left)),
        *(q(n).alias(f"{tag}_pc{i}") for i, n in enumerate(cmp_left)),
    )
    condition = None
    for i in range(len(key_left)):
        test = F.col(f"{tag}_pk{i}") == F.col(f"{tag}_k{i}")
        condition = test if condition is None else condition & test
    for i in range(len(cmp_left)):
        condition = condition & F.col(f"{tag}_pc{i}").eqNullSafe(F.col(f"{tag}_c{i}"))
    try:
        ref_row = reference.agg(
            F.count(F.lit(1)).alias("n"), F.countDistinct(ref_key_struct).alias("u")
        ).collect()[0]
        prim_row = (
            primary.agg(F.count(F.lit(1)).alias("n"), F.countDistinct(prim_key_struct).alias("u"))
            .crossJoin(
                left.join(right, condition, "left").agg(F.count(F.col(f"{tag}_m")).alias("m"))
            )
            .collect()[0]
        )
    except Exception as exc:
        return Verdict.fail(f"Exception thrown while evaluating rule: {error_text(exc)}")
    p_rows, p_unique, matched = int(prim_row["n"]), int(prim_row["u"]), int(prim_row["m"])
    r_rows, r_unique = int(ref_row["n"]), int(ref_row["u"])
    if p_rows != p_unique or r_rows != r_unique:
        return Verdict.fail(
            "The selected columns are not comparable due to duplicates present in the dataset."
            f"Comparison keys must be unique, but in Dataframe 1, there are {p_unique} unique "
            f"records and {p_rows} rows, and in Dataframe 2, there are {r_unique} unique records "
            f"and {r_rows} rows, based on the combination of keys "
            f"{{{', '.join(a for a, _ in keys)}}} in Dataframe 1 and "
            f"{{{', '.join(b for _, b in keys)}}} in Dataframe 2"
        )
    if p_rows == 0:
        return Verdict.fail("Cannot evaluate: primary DataFrame is empty")
    return _ratio_verdict(rule, ctx, metric, matched / p_rows)
