"""Ingest one batch of a source from the landing zone into its Bronze table."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pyspark.sql import DataFrame

from lakehouse import catalog
from lakehouse.contracts import Contract, load_contract
from lakehouse.layers.bronze import PARTITION_COLUMN, to_bronze
from lakehouse.runtime import JobRun
from lakehouse.sources import (
    fx_rates,
    hubspot_contacts,
    snowflake_orders,
    vendor_products,
)

log = logging.getLogger("lakehouse.ingest")

Reader = Callable[[Any, str, Contract], DataFrame | None]
BATCH_READERS: dict[str, Reader] = {
    "hubspot_contacts": hubspot_contacts.read_landed,
    "snowflake_orders": snowflake_orders.read_landed,
    "vendor_products": vendor_products.read_landed,
    "fx_rates": fx_rates.read_landed,
}
LAYERS = ("bronze", "silver", "gold")


def landing_folder(job: JobRun, source: str) -> str:
    return job.path("landing", source, f"{PARTITION_COLUMN}={job.batch_date.isoformat()}")


def write_bronze(job: JobRun, raw: DataFrame, contract: Contract) -> int:
    """Type ``raw`` per contract, add lineage and replace this batch's Bronze partition(s)."""
    catalog.ensure_layer_databases(job.spark, job.lake_root, LAYERS)
    bronze = to_bronze(raw, contract, job.run_id, job.started_at, job.batch_date).persist()
    try:
        rows = bronze.count()
        catalog.overwrite_partitions(
            bronze, contract.table, job.path("bronze", contract.dataset), [PARTITION_COLUMN]
        )
    finally:
        bronze.unpersist()
    return rows


def ingest_landed_batch(job: JobRun, source: str) -> int:
    """Read the batch's landed files of ``source`` and write them to Bronze; return the rows."""
    contract = load_contract(source)
    folder = landing_folder(job, source)
    raw = BATCH_READERS[source](job.spark, folder, contract)
    if raw is None:
        log.warning("%s: no landed files in %s", source, folder)
        job.add_metrics(rows_read=0, rows_written=0)
        return 0
    rows = write_bronze(job, raw, contract)
    job.add_metrics(rows_read=rows, rows_written=rows)
    log.info("%s: %d rows from %s into %s", source, rows, folder, contract.table)
    return rows
