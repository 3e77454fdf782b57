"""Glue job: ingest this batch's landed vendor product files into bronze.vendor_products.

Arguments: --JOB_NAME; optional --lake_root, --batch_date (else the workflow run's batch date).
"""

from lakehouse.ingest import ingest_landed_batch
from lakehouse.runtime import start_job

REQUIRED_ARGS: tuple[str, ...] = ()
OPTIONAL_ARGS: dict[str, str | None] = {}


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        ingest_landed_batch(job, "vendor_products")


if __name__ == "__main__":
    main()
