"""Bronze: the source records typed per contract, with lineage columns."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.contracts import Contract
from lakehouse.contracts.spark import to_typed

LINEAGE_COLUMNS = ["_run_id", "_ingested_at", "_source"]
PARTITION_COLUMN = "ingest_date"


def to_bronze(
    raw: DataFrame, contract: Contract, run_id: str, ingested_at: dt.datetime, batch_date: dt.date
) -> DataFrame:
    """Type the raw columns per contract and add ``_run_id``, ``_ingested_at``, ``_source``.

    The frame is partitioned by ``ingest_date`` (the batch date), so a rerun of the same batch
    replaces exactly its own partition.
    """
    typed = to_typed(raw, contract, keep=["_source"])
    return typed.select(
        *contract.column_names,
        F.lit(run_id).alias("_run_id"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
        F.col("_source"),
        F.lit(batch_date).cast("date").alias(PARTITION_COLUMN),
    )
