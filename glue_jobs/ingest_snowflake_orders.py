"""Glue job: ingest this batch's landed Snowflake order unloads (gzip CSV) into bronze.snowflake_orders.

Arguments: --JOB_NAME; optional --lake_root, --batch_date (else the workflow run's batch date).
"""

from lakehouse.ingest import ingest_landed_batch
from lakehouse.runtime import start_job


def main(argv: list[str] | None = None) -> None:
    with start_job(argv) as job:
        ingest_landed_batch(job, "snowflake_orders")


if __name__ == "__main__":
    main()
