"""Write a Silver or Gold table as a new version and switch the catalog to it."""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse import catalog
from lakehouse.runtime import JobRun

KEEP_VERSIONS = 3


def read_table(job: JobRun, table: str) -> DataFrame:
    """Read a catalog table, failing with a message that says what to run first."""
    if not catalog.table_exists(job.spark, table):
        raise RuntimeError(
            f"table {table} does not exist in the catalog of {job.lake_root}: "
            "run the jobs that write it first (e.g. `lakehouse workflow run daily_batch`)"
        )
    return job.spark.table(table)


def publish_table(
    job: JobRun,
    table: str,
    df: DataFrame,
    keep: int = KEEP_VERSIONS,
    count_as: str = "rows_written",
) -> DataFrame:
    """Write ``df`` as the new version of ``layer.table`` and return the published table.

    Its row count is added to the job metric ``count_as``.
    """
    layer, name = table.split(".")
    catalog.ensure_layer_databases(job.spark, job.lake_root, (layer,))
    version = catalog.replace_table(df, table, job.path(layer, name), job.run_id, keep)
    job.add_metrics(**{count_as: catalog.count_rows(job.spark, version.location)})
    return job.spark.table(table)
