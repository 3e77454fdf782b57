"""Glue job: build the four Gold tables from Silver.

Each Gold table is written as a new version and switched in by an atomic catalog location
change; the previous versions are kept for rollback.
Arguments: --JOB_NAME; optional --lake_root, --batch_date.
"""

from lakehouse.layers import gold
from lakehouse.promote import publish_table, read_table
from lakehouse.runtime import start_job


def main(argv: list[str] | None = None) -> None:
    with start_job(argv) as job:
        orders = read_table(job, "silver.orders")
        contacts = read_table(job, "silver.contacts")
        products = read_table(job, "silver.products")
        events = read_table(job, "silver.order_events")
        job.add_metrics(rows_read=sum(df.count() for df in (orders, contacts, products, events)))
        fct = publish_table(job, "gold.fct_orders", gold.fct_orders(orders, products))
        customers = publish_table(job, "gold.dim_customer", gold.dim_customer(contacts, fct))
        publish_table(job, "gold.agg_daily_revenue", gold.agg_daily_revenue(fct, customers))
        publish_table(job, "gold.fct_order_fulfillment", gold.fct_order_fulfillment(events))


if __name__ == "__main__":
    main()
