"""Checks of metric requests against a DataFrame schema, before any Spark job runs.

A request whose column is missing, or of a type the metric cannot use, gets an error of its
own; the other requests still compute (Glue reports such a rule Failed with the reason).
Column names are resolved like Spark does: exact match first, then case-insensitively unless
``spark.sql.caseSensitive`` is on. Names are always top-level columns (a dot is part of the
name, never a struct path; Glue DQ does not support nested columns).
"""

from __future__ import annotations

import dataclasses

from pyspark.sql import types as T

from lakehouse.dq.metric_requests import (
    Compliance,
    Correlation,
    FrequencyRequest,
    Maximum,
    MaxLength,
    Mean,
    MetricRequest,
    Minimum,
    MinLength,
    StandardDeviation,
    Sum,
    Variance,
)

__all__ = ["MetricError", "error_text", "is_case_sensitive", "resolve_request"]

_NUMERIC = (
    T.ByteType,
    T.ShortType,
    T.IntegerType,
    T.LongType,
    T.FloatType,
    T.DoubleType,
    T.DecimalType,
)
_NESTED = (T.ArrayType, T.MapType, T.StructType)
_NUMERIC_METRICS = (Minimum, Maximum, Mean, Sum, StandardDeviation, Variance, Correlation)
_STRING_METRICS = (MinLength, MaxLength)


class MetricError(Exception):
    """A request that cannot be computed; the message becomes MetricValue.error."""


def is_case_sensitive(df) -> bool:
    try:
        return str(df.sparkSession.conf.get("spark.sql.caseSensitive", "false")).lower() == "true"
    except Exception:  # pragma: no cover - conf access should not fail
        return False


def _find(schema: T.StructType, name: str, case_sensitive: bool) -> T.StructField:
    for f in schema.fields:
        if f.name == name:
            return f
    if not case_sensitive:
        matches = [f for f in schema.fields if f.name.lower() == name.lower()]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            found = ", ".join(f.name for f in matches)
            raise MetricError(f"Column {name} is ambiguous in the dataset ({found})")
    raise MetricError(f"Column {name} does not exist in the dataset")


def resolve_request(
    schema: T.StructType, request: MetricRequest, case_sensitive: bool = False
) -> MetricRequest:
    """Return ``request`` with its column names replaced by the schema's spelling.

    Raises MetricError when a column is missing or has a type the metric cannot use.
    """
    fields = {c: _find(schema, c, case_sensitive) for c in request.columns_used}
    metric = type(request).__name__
    for name, f in fields.items():
        dtype = f.dataType
        if isinstance(request, _NUMERIC_METRICS) and not isinstance(dtype, _NUMERIC):
            raise MetricError(
                f"Column {name} has type {dtype.simpleString()}; {metric} needs a numeric column"
            )
        if isinstance(request, _STRING_METRICS) and not isinstance(dtype, T.StringType):
            raise MetricError(
                f"Column {name} has type {dtype.simpleString()}; {metric} needs a string column"
            )
        if isinstance(request, FrequencyRequest) and isinstance(dtype, _NESTED):
            raise MetricError(
                f"Column {name} has type {dtype.simpleString()}; {metric} does not support "
                "nested columns"
            )
    real = {c: f.name for c, f in fields.items()}
    if all(k == v for k, v in real.items()):
        return request
    if isinstance(request, FrequencyRequest | Compliance):
        return dataclasses.replace(request, columns=tuple(real[c] for c in request.columns))
    if isinstance(request, Correlation):
        return dataclasses.replace(
            request, column_a=real[request.column_a], column_b=real[request.column_b]
        )
    return dataclasses.replace(request, column=real[request.column])  # type: ignore[attr-defined]


def error_text(exc: BaseException, limit: int = 500) -> str:
    """A one-line message for a Spark/py4j exception (the root cause for Java errors)."""
    text = ""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            cause = java
            while cause.getCause() is not None:
                cause = cause.getCause()
            text = str(cause.getMessage() or cause.toString())
        except Exception:
            text = ""
    if not text:
        text = str(exc)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return first[:limit]
