"""Glue job: unload changed Snowflake orders (when configured), then ingest the batch's files.

Arguments: --JOB_NAME; optional --lake_root, --batch_date (else the workflow run's batch date),
--snowflake_connection_name and --snowflake_table (AWS: Glue's native Snowflake connector reads
the orders whose UPDATED_AT is after the saved watermark and before the batch date, and lands
them as gzip CSV like a ``COPY INTO`` unload); without them the job ingests the unloaded files
already in the landing zone (locally: what ``lakehouse generate`` wrote).
"""

from lakehouse.clients import snowflake
from lakehouse.clients.state import StateStore
from lakehouse.ingest import ingest_landed_batch, landing_folder
from lakehouse.runtime import JobRun, start_job

REQUIRED_ARGS: tuple[str, ...] = ()
OPTIONAL_ARGS = {"snowflake_connection_name": None, "snowflake_table": "ORDERS"}
STATE = "snowflake_orders"


def land_from_snowflake(job: JobRun) -> None:
    """Read the changed orders through the connector and land them as gzip CSV files."""
    from pyspark.sql import functions as F

    state = StateStore(job.lake_root)
    watermark = (state.get(STATE) or {}).get("updated_at")
    options = snowflake.connection_options(
        job.args["snowflake_connection_name"],
        job.args["snowflake_table"],
        watermark,
        f"{job.batch_date.isoformat()} 00:00:00",
    )
    orders = snowflake.read_orders(job.engine.glue_context, options).cache()
    newest = orders.agg(F.max("UPDATED_AT")).first()[0]
    text = orders.select([F.col(c).cast("string") for c in orders.columns])
    text.write.mode("overwrite").option("header", True).option("compression", "gzip").csv(
        landing_folder(job, "snowflake_orders")
    )
    if newest is not None:  # the next pull starts after the newest change actually read
        state.put(STATE, {"updated_at": str(newest)[:23]})


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        if job.args.get("snowflake_connection_name"):
            land_from_snowflake(job)
        ingest_landed_batch(job, "snowflake_orders")


if __name__ == "__main__":
    main()
