"""Fused data-quality metric engine (Deequ-style scan sharing) for the DQDL evaluator.

``compute_metrics(df, requests)`` returns ``{request: MetricValue}``. With the default plan it
runs at most TWO Spark queries, whatever the number of rules and ``where`` clauses:

1. one ``df.agg(...)`` for every scan-shareable request (RowCount, Completeness, Minimum,
   Maximum, Mean, Sum, StandardDeviation, Variance, MinLength, MaxLength, Compliance,
   Correlation); each request's ``where`` is applied inside the aggregate
   (``CASE WHEN where THEN x END``, Deequ's ``conditionalSelection``), so all filters share
   the scan;
2. one frequency query for every grouping request (Uniqueness, Distinctness,
   UniqueValueRatio, DistinctValuesCount, Entropy): each (key columns, where) pair is one
   frequency table, ``groupBy(keys).count()``; all tables are computed in the same query and
   reduced by one ``groupBy(table).agg(...)`` to five numbers per table. Either one pipeline
   reads the input once for all tables ("single_pass") or there is one narrow pipeline per
   key-column set ("per_columns"); "auto" picks per_columns when the input is a plain
   file/table/cached scan and single_pass otherwise (see ``metric_plan`` for measurements).

``plan_metrics(requests)`` shows the plan (``MetricPlan.describe()``). ``fuse_filters=False``
runs one aggregate and one frequency query per distinct ``where`` over ``df.filter(where)``
instead (useful when the filter prunes partitions). ``cache=True`` persists the input while a
plan with more than one scan runs (and unpersists it). The default is no caching: each query
reads only the columns it needs, while persisting caches every column; in our (noisy)
measurements caching never paid off for two queries, neither on a parquet scan nor on a join
lineage.

Errors never escape for a single request: a missing column or wrong type is found from the
schema up front; an invalid ``where`` (checked once per clause, analysis only, no job) fails
just the requests using it; a Compliance predicate is parsed on its own first (so SQL text is
only ever embedded as one complete expression) and one that does not analyse fails only its
own request (the fused query is rebuilt without it, still one Spark query); a failure while
a query runs (e.g. an ANSI cast error) is isolated by re-running the filter groups, then the
requests, separately (only then does a run cost more than two queries).

User SQL (``where``, predicates) is embedded in generated SQL in parentheses, on lines of its
own; it must be a row-level boolean expression (no subqueries, no aggregates), as in Glue.

Semantics (n = rows left after ``where``; "None" = no value, Deequ's "Empty state"):

=====================  ======================================================================
Metric                 Value
=====================  ======================================================================
RowCount               n (0 for empty input; the only metric with a value when n = 0)
Completeness(c)        non-NULL c / n
Minimum/Maximum(c)     min/max of the non-NULL values (numeric c); None if there are none
Mean/Sum(c)            mean/sum of the non-NULL values; None if there are none
StandardDeviation(c)   population stddev sqrt(m2/n') over the n' non-NULL values (Deequ)
Variance(c)            population variance m2/n' (Deequ); 0.0 for a single value
MinLength/MaxLength    min/max character length of the non-NULL strings; None if none
Compliance(p)          rows where p is TRUE / n   (p NULL or FALSE = not compliant; Deequ
                       divides by the filtered row count, NULL rows included)
Correlation(a, b)      Pearson r over rows where a and b are both non-NULL; None if fewer
                       than 2 such rows or either column is constant there (clamped to ±1)
Uniqueness(K)          keys seen exactly once / rows whose key K is not all-NULL
Distinctness(K)        distinct keys / rows whose key is not all-NULL
UniqueValueRatio(K)    keys seen exactly once / distinct keys
DistinctValuesCount    distinct keys that are not all-NULL (+1 for the NULL key when
                       include_null=True, as Deequ's Histogram.bins); 0.0 if all keys NULL
Entropy(c)             -sum(p ln p), p = count/rows over non-NULL values (natural log)
=====================  ======================================================================

Uniqueness family: rows whose key columns are ALL NULL leave numerator and denominator; a
partly-NULL multi-column key is a normal key (NULLs compare equal within a key, as in
``groupBy``). If every key is NULL, Uniqueness/Distinctness/UniqueValueRatio/Entropy are None.
With n = 0 (empty input or all rows filtered out) every metric except RowCount is None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import reduce
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.dq.metric_naive import compute_metric_naively, naive_metric_from_rows
from lakehouse.dq.metric_plan import (
    PER_COLUMNS,
    SINGLE_PASS,
    Aggregate,
    FrequencyStats,
    FrequencyTable,
    MetricPlan,
    aggregates_for,
    plan_metrics,
    value_from_aggregates,
    value_from_frequencies,
)
from lakehouse.dq.metric_requests import (
    COLUMN_DATA_TYPE_COMPLIANCE,
    COLUMN_VALUES_COMPLIANCE,
    DATA_FRESHNESS_COMPLIANCE,
    LENGTH_COMPLIANCE,
    Completeness,
    Compliance,
    Correlation,
    Distinctness,
    DistinctValuesCount,
    Entropy,
    FrequencyRequest,
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
from lakehouse.dq.metric_schema import MetricError, error_text, is_case_sensitive, resolve_request

__all__ = [
    "COLUMN_DATA_TYPE_COMPLIANCE",
    "COLUMN_VALUES_COMPLIANCE",
    "DATA_FRESHNESS_COMPLIANCE",
    "LENGTH_COMPLIANCE",
    "Completeness",
    "Compliance",
    "Correlation",
    "DistinctValuesCount",
    "Distinctness",
    "Entropy",
    "MaxLength",
    "Maximum",
    "Mean",
    "MetricPlan",
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
    "choose_frequency_strategy",
    "compute_metric_naively",
    "compute_metrics",
    "execute_plan",
    "naive_metric_from_rows",
    "plan_metrics",
    "quote_identifier",
]

Unit = tuple[str | None, tuple[MetricRequest, ...]]  # (where applied inside the scan, requests)
TableUnit = tuple[str | None, FrequencyTable]


def compute_metrics(
    df: DataFrame,
    requests: Iterable[MetricRequest],
    *,
    fuse_filters: bool = True,
    frequency_strategy: str = "auto",
    cache: bool = False,
) -> dict[MetricRequest, MetricValue]:
    """Compute every request on ``df`` with as few scans as possible; never raises per request.

    The result has one entry per distinct request, in first-seen order. ``frequency_strategy``
    is "single_pass", "per_columns" or "auto" (see ``choose_frequency_strategy``).
    """
    ordered = list(dict.fromkeys(requests))
    for r in ordered:
        if not isinstance(r, MetricRequest):
            raise TypeError(f"not a MetricRequest: {r!r}")
    results: dict[MetricRequest, MetricValue] = {}
    resolved: dict[MetricRequest, MetricRequest] = {}
    schema, case_sensitive = df.schema, is_case_sensitive(df)
    for r in ordered:
        try:
            resolved[r] = resolve_request(schema, r, case_sensitive)
        except MetricError as exc:
            results[r] = MetricValue(error=str(exc))

    problems = _sql_problems(df, list(resolved.values()), fuse_filters)
    for r, rr in list(resolved.items()):
        if rr in problems:
            results[r] = MetricValue(error=problems[rr])
            del resolved[r]

    if frequency_strategy == "auto":
        needs_frequencies = any(r.family == "frequency" for r in resolved.values())
        frequency_strategy = choose_frequency_strategy(df) if needs_frequencies else SINGLE_PASS
    plan = plan_metrics(
        resolved.values(), fuse_filters=fuse_filters, frequency_strategy=frequency_strategy
    )
    computed = execute_plan(df, plan, cache)
    for r, rr in resolved.items():
        results[r] = computed[rr]
    return {r: results[r] for r in ordered}


def execute_plan(
    df: DataFrame, plan: MetricPlan, cache: bool = False
) -> dict[MetricRequest, MetricValue]:
    """Run a plan whose requests are already checked against ``df`` (see compute_metrics)."""
    out: dict[MetricRequest, MetricValue] = {}
    persist = cache and len(plan.scans) > 1 and not df.is_cached
    if persist:
        df.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        for scan in plan.scans:
            fused = scan.input_filter is None
            source = df if fused else df.filter(scan.input_filter)
            if scan.kind == "aggregate":
                units = [(g.where if fused else None, g.requests) for g in scan.groups]
                out.update(_run_aggregates(source, units))
            else:
                tables = [(t.where if fused else None, t) for t in scan.tables]
                out.update(_run_frequencies(source, tables, scan.strategy))
    finally:
        if persist:
            df.unpersist()
    return out


def _sql_problems(
    df: DataFrame, requests: list[MetricRequest], fused: bool
) -> dict[MetricRequest, str]:
    """Check each distinct where clause and Compliance predicate once; map request -> problem."""
    wheres = {w: _check_where(df, w, fused) for w in {r.where for r in requests} - {None}}
    predicates = {
        p: _check_predicate(p)
        for p in {r.predicate_sql for r in requests if isinstance(r, Compliance)}
    }
    problems: dict[MetricRequest, str] = {}
    for r in requests:
        problem = wheres.get(r.where) if r.where is not None else None
        if problem is None and isinstance(r, Compliance):
            problem = predicates[r.predicate_sql]
        if problem is not None:
            problems[r] = problem
    return problems


def _check_where(df: DataFrame, where: str, fused: bool) -> str | None:
    """Analyse the clause the way it will be used (no Spark job); return the problem, if any.

    Fused plans also use it inside aggregates (``count(CASE WHEN (where) THEN 1 END)``),
    which rejects what only a Filter may contain (e.g. subqueries).
    """
    try:
        df.filter(where)
    except Exception as exc:
        return f"Invalid where clause {where!r}: {error_text(exc)}"
    if fused:
        try:
            df.selectExpr(f"count(CASE WHEN {_paren(where)} THEN 1 END)")
        except Exception as exc:
            return f"Where clause {where!r} is not a row-level predicate: {error_text(exc)}"
    return None


def _check_predicate(predicate: str) -> str | None:
    """Parse a Compliance predicate on its own (no analysis, no job), so that SQL text is
    embedded into the fused query only when it is one complete expression."""
    try:
        F.expr(predicate)
    except Exception as exc:
        return f"Invalid predicate {predicate!r}: {error_text(exc)}"
    return None


# --------------------------------------------------------------------------- aggregate scan
# Expressions are generated as SQL text: one py4j call builds a whole query (building Column
# objects costs a JVM round trip per function call, seconds for a large ruleset).


def _paren(sql: str) -> str:
    """User SQL as a parenthesised sub-expression (newlines end any trailing -- comment)."""
    return f"(\n{sql}\n)"


def _agg_sql(a: Aggregate, where: str | None) -> str:
    """SQL for primitive ``a`` restricted to the rows where ``where`` is TRUE."""
    cond = None if where is None else _paren(where)

    def sel(x: str) -> str:
        return x if cond is None else f"CASE WHEN {cond} THEN {x} END"

    def both(extra: str) -> str:
        return extra if cond is None else f"({cond} AND {extra})"

    op = a.op
    if op == "rows":
        return f"count({sel('1')})"
    if op == "comply":
        return f"count(CASE WHEN {both(_paren(a.args[0]))} THEN 1 END)"
    if op in ("pairs", "covar", "pvar_a", "pvar_b"):
        x, y = (f"CAST({quote_identifier(c)} AS DOUBLE)" for c in a.args)
        paired = both(f"({x} IS NOT NULL AND {y} IS NOT NULL)")
        if op == "pairs":
            return f"count(CASE WHEN {paired} THEN 1 END)"
        if op == "covar":
            return f"covar_pop(CASE WHEN {paired} THEN {x} END, CASE WHEN {paired} THEN {y} END)"
        return f"var_pop(CASE WHEN {paired} THEN {x if op == 'pvar_a' else y} END)"
    c = quote_identifier(a.args[0])
    if op in ("nonnull", "min", "max"):
        return f"{'count' if op == 'nonnull' else op}({sel(c)})"
    if op in ("minlen", "maxlen"):
        return f"{op[:3]}(length({sel(c)}))"
    functions = {"mean": "avg", "sum": "sum", "stddev": "stddev_pop", "variance": "var_pop"}
    if op in functions:
        return f"{functions[op]}({sel(f'CAST({c} AS DOUBLE)')})"
    raise ValueError(f"unknown aggregate {op!r}")


def _run_aggregates(source: DataFrame, units: list[Unit]) -> dict[MetricRequest, MetricValue]:
    """One aggregation (one Spark query) for all units; isolate failures if any."""
    units = [u for u in units if u[1]]
    if not units:
        return {}
    expressions: list[str] = []
    index: list[dict[Aggregate, str]] = []
    for where, reqs in units:
        aliases: dict[Aggregate, str] = {}
        for r in reqs:
            for a in aggregates_for(r):
                if a not in aliases:
                    aliases[a] = f"_m{len(expressions)}"
                    expressions.append(f"{_agg_sql(a, where)} AS {aliases[a]}")
        index.append(aliases)
    try:
        query = source.selectExpr(*expressions)  # parsed and analysed here: no job yet
    except Exception as exc:
        return _isolate_invalid(source, units, exc)
    try:
        row = query.collect()[0]
    except Exception as exc:
        return _split_after_failure(source, units, exc)
    out: dict[MetricRequest, MetricValue] = {}
    for (_, reqs), aliases in zip(units, index, strict=True):
        values: dict[Aggregate, Any] = {a: row[alias] for a, alias in aliases.items()}
        for r in reqs:
            try:
                out[r] = MetricValue(value_from_aggregates(r, values))
            except Exception as exc:  # pragma: no cover - defensive
                out[r] = MetricValue(error=error_text(exc))
    return out


def _isolate_invalid(
    source: DataFrame, units: list[Unit], exc: Exception
) -> dict[MetricRequest, MetricValue]:
    """The fused aggregate did not analyse: find the culprits (analysis only), rerun the rest."""
    errors: dict[MetricRequest, MetricValue] = {}
    good_units: list[Unit] = []
    for where, reqs in units:
        good: list[MetricRequest] = []
        for r in reqs:
            # Columns, types and where clauses were checked already: only a Compliance
            # predicate (arbitrary SQL) can still fail analysis, so only those are probed.
            if not isinstance(r, Compliance):
                good.append(r)
                continue
            try:
                source.selectExpr(*(_agg_sql(a, where) for a in aggregates_for(r)))
            except Exception as problem:
                errors[r] = MetricValue(error=error_text(problem))
            else:
                good.append(r)
        if good:
            good_units.append((where, tuple(good)))
    if not errors:  # nothing to blame on one request: fall back to splitting
        return _split_after_failure(source, units, exc)
    return errors | _run_aggregates(source, good_units)


def _split_after_failure(
    source: DataFrame, units: list[Unit], exc: Exception
) -> dict[MetricRequest, MetricValue]:
    """The query failed while running: retry per where-group, then per request."""
    count = sum(len(reqs) for _, reqs in units)
    if count == 1:
        return {units[0][1][0]: MetricValue(error=error_text(exc))}
    if len(units) > 1:
        parts = [[u] for u in units]
    else:
        where, reqs = units[0]
        parts = [[(where, (r,))] for r in reqs]
    out: dict[MetricRequest, MetricValue] = {}
    for part in parts:
        out.update(_run_aggregates(source, part))
    return out


# --------------------------------------------------------------------------- frequency scan


_STATS = (
    "sum(count) AS total",
    "sum(CASE WHEN NOT _nul THEN count END) AS rows",
    "count(CASE WHEN NOT _nul THEN 1 END) AS groups",
    "count(CASE WHEN NOT _nul AND count = 1 THEN 1 END) AS singles",
    "sum(CASE WHEN NOT _nul AND count > 1 THEN count * ln(count) END) AS clnc",
)
# Logical plan nodes that make re-reading the input cheap (a file/table scan, cached data).
_CHEAP_NODES = frozenset(
    {
        "Project",
        "Filter",
        "SubqueryAlias",
        "View",
        "Relation",
        "LogicalRelation",
        "HiveTableRelation",
        "DataSourceV2Relation",
        "DataSourceV2ScanRelation",
        "InMemoryRelation",
        "LocalRelation",
        "Range",
    }
)


def choose_frequency_strategy(df: DataFrame) -> str:
    """ "per_columns" when the input is a plain scan of files/tables/cached data (re-reading
    a few columns is cheaper than one wide single pass), else "single_pass" (joins,
    aggregations, Python UDFs, RDD/DynamicFrame-backed frames: computed only once)."""
    try:
        text = str(df._jdf.queryExecution().optimizedPlan().toString())
    except Exception:  # pragma: no cover - py4j/plan access problem: be safe
        return SINGLE_PASS
    nodes: set[str] = set()
    cached_at: int | None = None  # depth of an InMemoryRelation, whose plan is printed below it
    for line in text.splitlines():
        match = re.match(r"([\s:+|!*()0-9-]*)([A-Za-z]\w*)", line)
        if match is None:
            continue
        depth = len(match.group(1))
        if cached_at is not None and depth > cached_at:
            continue
        cached_at = depth if match.group(2) == "InMemoryRelation" else None
        nodes.add(match.group(2))
    return PER_COLUMNS if nodes and nodes <= _CHEAP_NODES else SINGLE_PASS


def _tagged_rows(
    source: DataFrame, tables: list[tuple[int, str | None, FrequencyTable]]
) -> tuple[DataFrame, int]:
    """Rows ``(_gid, _nul, _k0, _k1, ...)``: each input row once per table it belongs to."""
    types = {f.name: f.dataType for f in source.schema.fields}
    keys = list(dict.fromkeys(c for _, _, t in tables for c in t.columns))

    def fields(gid: int, table: FrequencyTable) -> list[str]:
        all_null = " AND ".join(f"{quote_identifier(c)} IS NULL" for c in table.columns)
        out = [f"{gid} AS _gid", f"({all_null}) AS _nul"]
        for i, c in enumerate(keys):
            value = (
                quote_identifier(c)
                if c in table.columns
                else f"CAST(NULL AS {types[c].simpleString()})"
            )
            out.append(f"{value} AS _k{i}")
        return out

    if len(tables) == 1:
        gid, where, table = tables[0]
        rows = source if where is None else source.where(where)  # lets Spark push it down
        return rows.selectExpr(*fields(gid, table)), len(keys)
    structs = []
    for gid, where, table in tables:
        keep = "true" if where is None else f"coalesce({_paren(where)}, false)"
        structs.append(f"struct({keep} AS _keep, {', '.join(fields(gid, table))})")
    tagged = source.selectExpr(f"inline(array({', '.join(structs)}))")
    if any(where is not None for _, where, _ in tables):
        tagged = tagged.where("_keep")
    return tagged.drop("_keep"), len(keys)


def _frequency_query(source: DataFrame, tables: list[TableUnit], strategy: str) -> DataFrame:
    """One query; per table id: total rows, non-all-NULL rows, groups, singletons,
    sum(c * ln c). single_pass: one pipeline for all tables; per_columns: one pipeline per
    distinct key-column set."""
    numbered = [(gid, where, table) for gid, (where, table) in enumerate(tables)]
    if strategy == SINGLE_PASS:
        pipelines = [numbered]
    else:
        by_columns: dict[tuple[str, ...], list[tuple[int, str | None, FrequencyTable]]] = {}
        for item in numbered:
            by_columns.setdefault(item[2].columns, []).append(item)
        pipelines = list(by_columns.values())
    parts = []
    for pipeline in pipelines:
        tagged, n_keys = _tagged_rows(source, pipeline)
        counts = tagged.groupBy("_gid", "_nul", *(f"_k{i}" for i in range(n_keys))).count()
        parts.append(counts.select("_gid", "_nul", "count"))
    return reduce(DataFrame.unionAll, parts).groupBy("_gid").agg(*(F.expr(e) for e in _STATS))


def _run_frequencies(
    source: DataFrame, tables: list[TableUnit], strategy: str
) -> dict[MetricRequest, MetricValue]:
    if not tables:
        return {}
    try:
        collected = _frequency_query(source, tables, strategy).collect()
    except Exception as exc:
        if len(tables) > 1:
            out: dict[MetricRequest, MetricValue] = {}
            for t in tables:
                out.update(_run_frequencies(source, [t], strategy))
            return out
        failure = MetricValue(error=error_text(exc))
        return dict.fromkeys(tables[0][1].requests, failure)
    stats = {
        row["_gid"]: FrequencyStats(
            total_rows=int(row["total"] or 0),
            rows=int(row["rows"] or 0),
            groups=int(row["groups"] or 0),
            singletons=int(row["singles"] or 0),
            sum_c_ln_c=float(row["clnc"] or 0.0),
        )
        for row in collected
    }
    result: dict[MetricRequest, MetricValue] = {}
    for gid, (_, table) in enumerate(tables):
        table_stats = stats.get(gid, FrequencyStats.empty())
        for r in table.requests:
            result[r] = MetricValue(value_from_frequencies(_as_frequency(r), table_stats))
    return result


def _as_frequency(r: MetricRequest) -> FrequencyRequest:
    assert isinstance(r, FrequencyRequest)
    return r
