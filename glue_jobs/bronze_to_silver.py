"""Glue job: promote Bronze to Silver (clean, deduplicate, conform to USD).

Each Silver table is rebuilt from all Bronze batches and published as a new version by an
atomic catalog location switch, so a rerun replaces it and readers never see half a table.
Orders whose contact or product is unknown are quarantined here, in ``quarantine.orders``
(rebuilt with Silver); redelivered order events are deduplicated and counted.
Arguments: --JOB_NAME; optional --lake_root, --batch_date.
"""

from lakehouse import quarantine
from lakehouse.faults import crash_point
from lakehouse.layers import silver
from lakehouse.promote import publish_table, read_table
from lakehouse.runtime import start_job

REQUIRED_ARGS: tuple[str, ...] = ()
OPTIONAL_ARGS: dict[str, str | None] = {}

BRONZE_TABLES = (
    "hubspot_contacts",
    "snowflake_orders",
    "vendor_products",
    "fx_rates",
    "order_events",
)


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        bronze = {name: read_table(job, f"bronze.{name}") for name in BRONZE_TABLES}
        job.add_metrics(rows_read=sum(df.count() for df in bronze.values()))
        fx = publish_table(job, "silver.fx_rates", silver.fx_rates(bronze["fx_rates"]))
        contacts = publish_table(
            job, "silver.contacts", silver.contacts(bronze["hubspot_contacts"])
        )
        products = publish_table(job, "silver.products", silver.products(bronze["vendor_products"]))
        crash_point("silver.between_tables")
        orders, orphans = silver.split_orphan_orders(
            silver.orders(bronze["snowflake_orders"], fx), contacts, products
        )
        publish_table(job, "silver.orders", orders)
        rows = quarantine.quarantine_rows(
            orphans, "silver", job.run_id, job.started_at, ["ingest_date"]
        )
        publish_table(job, quarantine.table_name("orders"), rows, count_as="rows_quarantined")
        events = publish_table(
            job, "silver.order_events", silver.order_events(bronze["order_events"])
        )
        job.add_metrics(events_deduplicated=bronze["order_events"].count() - events.count())


if __name__ == "__main__":
    main()
