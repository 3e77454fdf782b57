"""Glue job: ingest this batch's landed FX rate documents into bronze.fx_rates.

Arguments: --JOB_NAME; optional --lake_root, --batch_date (else the workflow run's batch date).
"""

from lakehouse.ingest import ingest_landed_batch
from lakehouse.runtime import start_job


def main(argv: list[str] | None = None) -> None:
    with start_job(argv) as job:
        ingest_landed_batch(job, "fx_rates")


if __name__ == "__main__":
    main()
