"""Glue job: build the four Gold tables from Silver and stage them (write-audit-publish).

Each Gold table is written as a new, unpublished version; the catalog keeps serving the last
published Gold until ``dq_gold`` has passed the staged versions and ``publish_gold`` switches
them in. The staged locations go to the workflow run's properties (``staged_gold``).
Arguments: --JOB_NAME; optional --lake_root, --batch_date.
"""

from lakehouse import catalog
from lakehouse.faults import crash_point
from lakehouse.layers import gold
from lakehouse.promote import read_table
from lakehouse.runtime import start_job
from lakehouse.wap import stage

REQUIRED_ARGS: tuple[str, ...] = ()
OPTIONAL_ARGS: dict[str, str | None] = {}


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        catalog.ensure_layer_databases(job.spark, job.lake_root, ("gold",))
        orders = read_table(job, "silver.orders")
        contacts = read_table(job, "silver.contacts")
        products = read_table(job, "silver.products")
        events = read_table(job, "silver.order_events")
        job.add_metrics(rows_read=sum(df.count() for df in (orders, contacts, products, events)))
        fct = stage(job, "gold.fct_orders", gold.fct_orders(orders, products))
        customers = stage(job, "gold.dim_customer", gold.dim_customer(contacts, fct))
        crash_point("gold.during_staging")
        stage(job, "gold.agg_daily_revenue", gold.agg_daily_revenue(fct, customers))
        stage(job, "gold.fct_order_fulfillment", gold.fct_order_fulfillment(events))


if __name__ == "__main__":
    main()
