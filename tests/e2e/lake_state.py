"""Dump what a lake's catalog shows, from a separate process (Derby: one process per lake).

``python -m tests.e2e.lake_state <lake> <out.pkl>`` pickles ``{"gold": {table: {"location",
"rows"}}, "silver": {table: {"rows", "keys"}}, "bronze": {table: rows}, "quarantine": {...}}``:
the Gold rows as Python values (Decimal, date, datetime), and for Silver the row count next to
the number of distinct primary keys (equal when there are no duplicates).
"""

from __future__ import annotations

import pickle
import sys

GOLD = ["fct_orders", "dim_customer", "agg_daily_revenue", "fct_order_fulfillment"]
SILVER_KEYS = {
    "contacts": ["contact_id"],
    "orders": ["order_id"],
    "products": ["sku"],
    "fx_rates": ["rate_date", "currency"],
    "order_events": ["event_id"],
}


def main(lake: str, out: str) -> None:
    from lakehouse import catalog, runtime

    spark = runtime.engine(lake).spark
    state: dict = {"gold": {}, "silver": {}, "bronze": {}, "quarantine": {}}
    for table in GOLD:
        name = f"gold.{table}"
        if catalog.table_exists(spark, name):
            rows = [r.asDict() for r in spark.table(name).collect()]
            state["gold"][table] = {"location": catalog.table_location(spark, name), "rows": rows}
    for table, keys in SILVER_KEYS.items():
        name = f"silver.{table}"
        if catalog.table_exists(spark, name):
            df = spark.table(name)
            state["silver"][table] = {
                "rows": df.count(),
                "keys": df.select(*keys).distinct().count(),
                "location": catalog.table_location(spark, name),
            }
    for database in ("bronze", "quarantine"):
        if spark.catalog.databaseExists(database):
            for entry in spark.catalog.listTables(database):
                state[database][entry.name] = spark.table(f"{database}.{entry.name}").count()
    with open(out, "wb") as handle:
        pickle.dump(state, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
