"""Quarantine: records that failed their contract (or a Silver check), kept with every reason.

``quarantine.<source>`` holds what ingestion refused; ``quarantine.<silver table>`` what
promotion to Silver refused (e.g. orders whose contact or product is unknown). A row keeps the
record as it landed (``raw_record``), where it came from (``source_file``, ``position``: CSV
line, record number in a page or document, or Kafka offset), the first broken rule
(``reason``) and all of them (``violations``: rule, field, value snippet with PII masked,
detail), the run that refused it and when.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

DATABASE = "quarantine"
COLUMNS = [
    "reason",
    "violations",
    "raw_record",
    "source_file",
    "position",
    "layer",
    "_run_id",
    "_quarantined_at",
]


def table_name(dataset: str) -> str:
    return f"{DATABASE}.{dataset}"


def reason_of(violations: Column) -> Column:
    """The quarantine reason of a record: its first violated rule (NULL if none)."""
    return F.element_at(violations, 1)["rule"]


def quarantine_rows(
    rejected: DataFrame, layer: str, run_id: str, at: dt.datetime, keep: list[str] | None = None
) -> DataFrame:
    """Quarantine rows from checked records (``_violations``, ``_raw``, ``_source``, ``_position``).

    Columns named in ``keep`` (e.g. partition columns) are carried over.
    """
    return rejected.select(
        reason_of(F.col("_violations")).alias("reason"),
        F.col("_violations").alias("violations"),
        F.col("_raw").alias("raw_record"),
        F.col("_source").alias("source_file"),
        F.col("_position").cast("bigint").alias("position"),
        F.lit(layer).alias("layer"),
        F.lit(run_id).alias("_run_id"),
        F.lit(at).cast("timestamp").alias("_quarantined_at"),
        *[F.col(c) for c in keep or []],
    )
