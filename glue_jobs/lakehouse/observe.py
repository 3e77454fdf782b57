"""What a job run read and wrote: the inputs and outputs of its job-run record.

Lineage events, metrics and the run view are all built from these descriptions, so a job only
says *which* table it read or wrote; schema, size, row count and the newest record are measured
here from what is really stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse import storage

# The event-time column of a table: the first of these it has. Freshness is the age of its
# newest value.
EVENT_TIME_COLUMNS = (
    "updated_at",
    "event_ts",
    "lastmodifieddate",
    "order_ts",
    "shipped_at",
    "placed_at",
    "last_order_date",
    "order_date",
    "rate_date",
    "effective_date",
)
OUTPUT_KINDS = ("table", "quarantine", "staged")


def schema_of(df: DataFrame) -> list[dict[str, str]]:
    """``[{"name", "type"}]`` with Spark's simple type strings."""
    return [{"name": f.name, "type": f.dataType.simpleString()} for f in df.schema.fields]


def event_time_column(columns: Sequence[str]) -> str | None:
    return next((c for c in EVENT_TIME_COLUMNS if c in columns), None)


def describe_input(table: str, df: DataFrame, location: str | None) -> dict[str, Any]:
    """An input dataset: the table, its location and schema (rows are not counted here)."""
    return {
        "table": table,
        "layer": table.split(".", 1)[0],
        "location": location,
        "schema": schema_of(df),
        "rows": None,
    }


def describe_output(
    table: str,
    stored: DataFrame,
    location: str,
    kind: str = "table",
    measured_at: Sequence[str] | None = None,
) -> dict[str, Any]:
    """An output dataset measured from what is stored: rows, bytes, files, newest record.

    ``stored`` reads exactly the rows this job wrote (a version folder, or the table filtered to
    the partitions written); ``measured_at`` are the storage folders holding them (default
    ``location``), whose bytes and files are summed.
    """
    if kind not in OUTPUT_KINDS:
        raise ValueError(f"output kind must be one of {OUTPUT_KINDS}, got {kind!r}")
    spark = stored.sparkSession
    column = event_time_column(stored.columns)
    aggregates = [F.count(F.lit(1)).alias("rows")]
    if column is not None:
        # Formatted by Spark in the session time zone (UTC): Python would use the local one.
        newest = F.max(F.col(column).cast("timestamp"))
        aggregates.append(F.date_format(newest, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx").alias("newest"))
    row = stored.agg(*aggregates).first()
    size = files = 0
    for folder in measured_at or [location]:
        more_bytes, more_files = storage.size_of(spark, folder)
        size, files = size + more_bytes, files + more_files
    return {
        "table": table,
        "layer": table.split(".", 1)[0],
        "kind": kind,
        "location": location,
        "schema": schema_of(stored),
        "rows": int(row["rows"]),
        "bytes": size,
        "files": files,
        "newest_record_at": row["newest"] if column is not None else None,
    }
