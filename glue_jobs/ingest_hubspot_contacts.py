"""Glue job: ingest this batch's landed HubSpot contact pages into bronze.hubspot_contacts.

Arguments: --JOB_NAME; optional --lake_root, --batch_date (else the workflow run's batch date).
"""

from lakehouse.ingest import ingest_landed_batch
from lakehouse.runtime import start_job


def main(argv: list[str] | None = None) -> None:
    with start_job(argv) as job:
        ingest_landed_batch(job, "hubspot_contacts")


if __name__ == "__main__":
    main()
