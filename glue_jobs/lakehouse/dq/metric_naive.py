"""Naive reference for the metric engine: one request at a time, computed in plain Python.

``compute_metric_naively(df, request)`` lets Spark do only what needs SQL (the ``where``
filter and a Compliance predicate), collects the few columns the request reads and computes
the value in Python, with none of the fused engine's tricks. It is meant for tests on small
frames; ``naive_metric_from_rows`` is the pure-Python part, usable without Spark.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from lakehouse.dq.metric_requests import (
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
    quote_identifier,
)
from lakehouse.dq.metric_schema import MetricError, error_text, is_case_sensitive, resolve_request

__all__ = ["compute_metric_naively", "naive_input_columns", "naive_metric_from_rows"]


def naive_input_columns(request: MetricRequest) -> tuple[str, ...]:
    """The values each row tuple holds for ``naive_metric_from_rows``.

    Column names in order, except: RowCount -> no values (empty tuples) and Compliance -> one
    value, the predicate's result (True/False/None).
    """
    if isinstance(request, RowCount | Compliance):
        return ()
    return request.columns_used


def compute_metric_naively(df, request: MetricRequest) -> MetricValue:
    """Compute one request on its own: Spark filters and projects, Python computes."""
    from pyspark.sql import functions as F

    try:
        request = resolve_request(df.schema, request, is_case_sensitive(df))
    except MetricError as exc:
        return MetricValue(error=str(exc))
    try:
        source = df if request.where is None else df.filter(request.where)
        if isinstance(request, Compliance):
            projection = [F.when(F.expr(request.predicate_sql), F.lit(True)).alias("p")]
        elif isinstance(request, RowCount):
            projection = [F.lit(1).alias("one")]
        else:
            projection = [F.col(quote_identifier(c)) for c in naive_input_columns(request)]
        rows = [tuple(row) for row in source.select(*projection).collect()]
    except Exception as exc:
        return MetricValue(error=error_text(exc))
    if isinstance(request, RowCount):
        rows = [() for _ in rows]
    return MetricValue(naive_metric_from_rows(request, rows))


def naive_metric_from_rows(request: MetricRequest, rows: Sequence[tuple[Any, ...]]) -> float | None:
    """The request's value from the rows left after ``where`` (see naive_input_columns)."""
    n = len(rows)
    if isinstance(request, RowCount):
        return float(n)
    if n == 0:
        return None
    if isinstance(request, Compliance):
        return sum(1 for (p,) in rows if p is True) / n
    if isinstance(request, Correlation):
        return _pearson([(a, b) for a, b in rows if a is not None and b is not None])
    if isinstance(request, FrequencyRequest):
        return _from_keys(request, [tuple(r) for r in rows])
    values = [r[0] for r in rows if r[0] is not None]
    if isinstance(request, Completeness):
        return len(values) / n
    if not values:
        return None
    if isinstance(request, MinLength | MaxLength):
        lengths = [len(v) for v in values]
        return float(min(lengths) if isinstance(request, MinLength) else max(lengths))
    numbers = [float(v) for v in values]
    if isinstance(request, Minimum):
        return min(numbers)
    if isinstance(request, Maximum):
        return max(numbers)
    total = math.fsum(numbers)
    if isinstance(request, Sum):
        return total
    mean = total / len(numbers)
    if isinstance(request, Mean):
        return mean
    variance = math.fsum((x - mean) ** 2 for x in numbers) / len(numbers)
    if isinstance(request, Variance):
        return variance
    if isinstance(request, StandardDeviation):
        return math.sqrt(variance)
    raise TypeError(f"unknown metric request {request!r}")


def _pearson(pairs: list[tuple[Any, Any]]) -> float | None:
    if len(pairs) < 2:
        return None
    xs = [float(a) for a, _ in pairs]
    ys = [float(b) for _, b in pairs]
    if len(set(xs)) == 1 or len(set(ys)) == 1:
        return None  # a constant column has no correlation
    mx, my = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _from_keys(request: FrequencyRequest, keys: list[tuple[Any, ...]]) -> float | None:
    has_null_key = any(all(v is None for v in k) for k in keys)
    counts = Counter(k for k in keys if not all(v is None for v in k))
    rows = sum(counts.values())
    if isinstance(request, DistinctValuesCount):
        return float(len(counts) + (1 if request.include_null and has_null_key else 0))
    if rows == 0:
        return None
    singles = sum(1 for c in counts.values() if c == 1)
    if isinstance(request, Uniqueness):
        return singles / rows
    if isinstance(request, Distinctness):
        return len(counts) / rows
    if isinstance(request, UniqueValueRatio):
        return singles / len(counts)
    if isinstance(request, Entropy):
        return -math.fsum((c / rows) * math.log(c / rows) for c in counts.values())
    raise TypeError(f"unknown metric request {request!r}")
