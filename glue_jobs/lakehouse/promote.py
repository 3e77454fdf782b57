"""Read Silver/Bronze tables and publish Silver tables as new versions (recording both)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse import catalog
from lakehouse.observe import describe_output
from lakehouse.runtime import JobRun

KEEP_VERSIONS = 3


def read_table(job: JobRun, table: str) -> DataFrame:
    """Read a catalog table, failing with a message that says what to run first."""
    if not catalog.table_exists(job.spark, table):
        raise RuntimeError(
            f"table {table} does not exist in the catalog of {job.lake_root}: "
            "run the jobs that write it first (e.g. `lakehouse workflow run daily_batch`)"
        )
    df = job.spark.table(table)
    job.track_input(table, df, catalog.table_location(job.spark, table))
    return df


def publish_table(
    job: JobRun,
    table: str,
    df: DataFrame,
    keep: int = KEEP_VERSIONS,
    count_as: str = "rows_written",
) -> DataFrame:
    """Write ``df`` as the new version of ``layer.table`` and return the published table.

    Its row count is added to the job metric ``count_as`` (``rows_quarantined`` makes the table
    a quarantine output).
    """
    layer, name = table.split(".")
    catalog.ensure_layer_databases(job.spark, job.lake_root, (layer,))
    version = catalog.replace_table(df, table, job.path(layer, name), job.run_id, keep)
    kind = "quarantine" if count_as == "rows_quarantined" else "table"
    output = describe_output(
        table, job.spark.read.parquet(version.location), version.location, kind
    )
    job.track_output(output)
    job.add_metrics(**{count_as: output["rows"]})
    return job.spark.table(table)
