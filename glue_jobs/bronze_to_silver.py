"""Glue job: promote Bronze to Silver (clean, deduplicate, conform to USD).

Each Silver table is rebuilt from all Bronze batches and published as a new version by an
atomic catalog location switch, so a rerun replaces it and readers never see half a table.
Arguments: --JOB_NAME; optional --lake_root, --batch_date.
"""

from lakehouse.layers import silver
from lakehouse.promote import publish_table, read_table
from lakehouse.runtime import start_job

BRONZE_TABLES = (
    "hubspot_contacts",
    "snowflake_orders",
    "vendor_products",
    "fx_rates",
    "order_events",
)


def main(argv: list[str] | None = None) -> None:
    with start_job(argv) as job:
        bronze = {name: read_table(job, f"bronze.{name}") for name in BRONZE_TABLES}
        job.add_metrics(rows_read=sum(df.count() for df in bronze.values()))
        fx = publish_table(job, "silver.fx_rates", silver.fx_rates(bronze["fx_rates"]))
        publish_table(job, "silver.contacts", silver.contacts(bronze["hubspot_contacts"]))
        publish_table(job, "silver.products", silver.products(bronze["vendor_products"]))
        publish_table(job, "silver.orders", silver.orders(bronze["snowflake_orders"], fx))
        publish_table(job, "silver.order_events", silver.order_events(bronze["order_events"]))


if __name__ == "__main__":
    main()
