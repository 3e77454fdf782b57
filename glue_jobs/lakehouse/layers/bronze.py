"""Bronze: the accepted source records, typed per contract, with lineage columns."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.contracts import Contract
from lakehouse.contracts.drift import keeps_extra_columns

LINEAGE_COLUMNS = ["_run_id", "_ingested_at", "_source"]
PARTITION_COLUMN = "ingest_date"
EXTRA_COLUMNS = "_extra_columns"


def to_bronze(
    checked: DataFrame,
    contract: Contract,
    run_id: str,
    ingested_at: dt.datetime,
    batch_date: dt.date,
    keep: list[str] | None = None,
) -> DataFrame:
    """Select the contract's typed columns and add ``_run_id``, ``_ingested_at``, ``_source``.

    The frame is partitioned by ``ingest_date`` (the batch date), so a rerun of the same batch
    replaces exactly its own partition. A contract whose drift policy is ``evolve`` keeps
    unexpected columns in ``_extra_columns``. Columns in ``keep`` are carried over.
    """
    extra = [F.col(EXTRA_COLUMNS)] if keeps_extra_columns(contract) else []
    return checked.select(
        *contract.column_names,
        *extra,
        F.lit(run_id).alias("_run_id"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
        F.col("_source"),
        F.lit(batch_date).cast("date").alias(PARTITION_COLUMN),
        *[F.col(c) for c in keep or []],
    )
