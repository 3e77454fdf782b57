"""Glue job: pull daily FX rates (when configured), then ingest the batch's landed documents.

Arguments: --JOB_NAME; optional --lake_root, --batch_date (else the workflow run's batch date),
--fx_base_url and --fx_secret_name (Secrets Manager secret with the API key, field
``api_key``): when both are given, the job first lands the rate documents of every date since
the last one landed; without them it ingests what is already in the landing zone.
"""

from lakehouse.clients.fx import FxClient, land_fx_rates
from lakehouse.clients.state import StateStore
from lakehouse.ingest import ingest_landed_batch, landing_folder
from lakehouse.runtime import start_job

REQUIRED_ARGS: tuple[str, ...] = ()
OPTIONAL_ARGS = {"fx_base_url": None, "fx_secret_name": None}


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        if job.args.get("fx_base_url") and job.args.get("fx_secret_name"):
            client = FxClient.from_secret(job.args["fx_base_url"], job.args["fx_secret_name"])
            folder = landing_folder(job, "fx_rates")
            land_fx_rates(client, folder, StateStore(job.lake_root), job.batch_date)
        ingest_landed_batch(job, "fx_rates")


if __name__ == "__main__":
    main()
