"""Gold: the four tables analysts query, built from Silver."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.layers.silver import REVENUE_STATUSES

MONEY = "decimal(18,2)"
EVENT_COLUMNS = {
    "ORDER_PLACED": "placed_at",
    "ORDER_PAID": "paid_at",
    "ORDER_SHIPPED": "shipped_at",
    "ORDER_CANCELLED": "cancelled_at",
    "ORDER_REFUNDED": "refunded_at",
}


def _is_revenue() -> F.Column:
    return F.col("status").isin(*REVENUE_STATUSES)


def fct_orders(silver_orders: DataFrame, silver_products: DataFrame) -> DataFrame:
    """One row per order with its product category."""
    categories = silver_products.select("sku", F.col("category").alias("product_category"))
    return silver_orders.join(F.broadcast(categories), "sku", "left").select(
        "order_id",
        "contact_id",
        "order_date",
        "status",
        "sku",
        "product_category",
        "quantity",
        "amount",
        "currency",
        "amount_usd",
        "updated_at",
    )


def dim_customer(silver_contacts: DataFrame, fct: DataFrame) -> DataFrame:
    """One row per contact: hashed email (no raw PII), first order, order count, lifetime value.

    ``orders_count`` counts every order; ``lifetime_value_usd`` sums only revenue orders
    (cancelled and refunded excluded) and is 0 for a contact without any.
    """
    per_contact = fct.groupBy("contact_id").agg(
        F.min("order_date").alias("first_order_date"),
        F.count(F.lit(1)).alias("orders_count"),
        F.sum(F.when(_is_revenue(), F.col("amount_usd"))).alias("_ltv"),
    )
    joined = silver_contacts.join(per_contact, "contact_id", "left")
    return joined.select(
        "contact_id",
        F.sha2(F.col("email"), 256).alias("email_sha256"),
        "country",
        "lifecycle_stage",
        "created_at",
        "first_order_date",
        F.coalesce("orders_count", F.lit(0)).cast("bigint").alias("orders_count"),
        F.coalesce("_ltv", F.lit(0)).cast(MONEY).alias("lifetime_value_usd"),
    )


def agg_daily_revenue(fct: DataFrame, customers: DataFrame) -> DataFrame:
    """Revenue orders per order date x customer country x product category."""
    countries = customers.select("contact_id", "country")
    revenue = fct.where(_is_revenue()).join(countries, "contact_id", "left")
    return revenue.groupBy("order_date", "country", "product_category").agg(
        F.count(F.lit(1)).alias("orders"),
        F.sum("amount_usd").cast(MONEY).alias("revenue_usd"),
    )


def fct_order_fulfillment(silver_events: DataFrame) -> DataFrame:
    """One row per order seen in the events: when each lifecycle step happened.

    Each step takes its earliest event; ``hours_to_ship`` is shipped_at - placed_at in hours
    (2 decimals), NULL until both are known.
    """
    steps = [
        F.min(F.when(F.col("event_type") == kind, F.col("event_ts"))).alias(column)
        for kind, column in EVENT_COLUMNS.items()
    ]
    per_order = silver_events.groupBy("order_id").agg(*steps)
    millis = F.unix_millis("shipped_at") - F.unix_millis("placed_at")
    hours = F.round(millis.cast("decimal(20,0)") / F.lit(3_600_000), 2).cast("decimal(10,2)")
    return per_order.select("order_id", *EVENT_COLUMNS.values(), hours.alias("hours_to_ship"))
