"""Glue job: pull HubSpot contacts (when configured), then ingest the batch's landed pages.

Arguments: --JOB_NAME; optional --lake_root, --batch_date (else the workflow run's batch date),
--hubspot_secret_name (Secrets Manager secret with the private-app token, field ``token``):
when given, the job first lands the contacts changed since the last pull from
--hubspot_base_url (default https://api.hubapi.com), page by page; without it, the job ingests
what is already in the landing zone (locally: what ``lakehouse generate`` wrote).
"""

from lakehouse.clients.hubspot import DEFAULT_BASE_URL, HubSpotClient, land_contacts
from lakehouse.clients.state import StateStore
from lakehouse.ingest import ingest_landed_batch, landing_folder
from lakehouse.runtime import start_job

REQUIRED_ARGS: tuple[str, ...] = ()
OPTIONAL_ARGS = {"hubspot_secret_name": None, "hubspot_base_url": DEFAULT_BASE_URL}


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        if job.args.get("hubspot_secret_name"):
            client = HubSpotClient.from_secret(
                job.args["hubspot_secret_name"], base_url=job.args["hubspot_base_url"]
            )
            land_contacts(
                client, landing_folder(job, "hubspot_contacts"), StateStore(job.lake_root)
            )
        ingest_landed_batch(job, "hubspot_contacts")


if __name__ == "__main__":
    main()
