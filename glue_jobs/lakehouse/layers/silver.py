"""Silver: cleaned, typed, deduplicated (latest version per key wins) and conformed tables.

Every function takes Bronze frames (all batches so far) and returns the whole Silver table, so a
rerun over the same Bronze gives the same Silver.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

BASE_CURRENCY = "USD"
# Statuses whose money counts as revenue; cancelled and refunded orders are excluded.
REVENUE_STATUSES = ("PLACED", "PAID", "SHIPPED")


def latest_per_key(df: DataFrame, keys: list[str], order: list[Column]) -> DataFrame:
    """Keep one row per key: the first by ``order`` (newest first)."""
    window = Window.partitionBy(*keys).orderBy(*order)
    return df.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def _newest_delivery() -> list[Column]:
    """Tie-breakers after the business timestamp: the later batch, then the later file."""
    return [F.col("ingest_date").desc(), F.col("_source").desc()]


def contacts(bronze_contacts: DataFrame) -> DataFrame:
    """One row per contact: the latest version; email trimmed and lower-cased."""
    latest = latest_per_key(
        bronze_contacts, ["id"], [F.col("updated_at").desc(), *_newest_delivery()]
    )
    return latest.select(
        F.col("id").alias("contact_id"),
        F.lower(F.trim("email")).alias("email"),
        F.trim("firstname").alias("first_name"),
        F.trim("lastname").alias("last_name"),
        F.trim("phone").alias("phone"),
        F.trim("company").alias("company"),
        F.upper(F.trim("country")).alias("country"),
        F.lower(F.trim("lifecyclestage")).alias("lifecycle_stage"),
        "created_at",
        "updated_at",
        "archived",
        F.col("ingest_date").alias("_ingest_date"),
        "_source",
    )


def products(bronze_products: DataFrame) -> DataFrame:
    """One row per SKU: the price list entry with the latest effective date."""
    latest = latest_per_key(
        bronze_products, ["sku"], [F.col("effective_date").desc(), *_newest_delivery()]
    )
    return latest.select(
        "sku",
        F.trim("product_name").alias("product_name"),
        F.trim("category").alias("category"),
        "unit_price",
        F.upper("currency").alias("currency"),
        "vendor_id",
        "effective_date",
        F.col("ingest_date").alias("_ingest_date"),
        "_source",
    )


def fx_rates(bronze_fx: DataFrame) -> DataFrame:
    """One rate per (date, currency), plus the base currency at rate 1 for every date."""
    latest = latest_per_key(bronze_fx, ["rate_date", "currency"], _newest_delivery())
    rates = latest.select(
        "rate_date", "base_currency", F.upper("currency").alias("currency"), "rate"
    )
    base = (
        rates.select("rate_date", "base_currency")
        .distinct()
        .select(
            "rate_date",
            "base_currency",
            F.col("base_currency").alias("currency"),
            F.lit(1).cast(rates.schema["rate"].dataType).alias("rate"),
        )
    )
    return rates.unionByName(base)


def orders(bronze_orders: DataFrame, silver_fx: DataFrame) -> DataFrame:
    """One row per order (latest UPDATED_AT wins), with ``amount_usd`` at the order date's rate.

    ``amount_usd`` is NULL when no rate exists for the order's date and currency.
    """
    latest = latest_per_key(
        bronze_orders, ["order_id"], [F.col("updated_at").desc(), *_newest_delivery()]
    )
    rates = silver_fx.where(F.col("base_currency") == BASE_CURRENCY).select(
        F.col("rate_date"), F.col("currency").alias("_fx_currency"), "rate"
    )
    with_date = latest.withColumn("order_date", F.to_date("order_ts")).withColumn(
        "currency", F.upper("currency")
    )
    joined = with_date.join(
        F.broadcast(rates),
        (with_date["order_date"] == rates["rate_date"])
        & (with_date["currency"] == rates["_fx_currency"]),
        "left",
    )
    return joined.select(
        "order_id",
        "contact_id",
        "order_ts",
        "order_date",
        F.upper("status").alias("status"),
        "sku",
        "quantity",
        "amount",
        "currency",
        F.round(F.col("amount") / F.col("rate"), 2).cast("decimal(18,2)").alias("amount_usd"),
        F.col("rate").alias("fx_rate"),
        "updated_at",
        F.col("ingest_date").alias("_ingest_date"),
        "_source",
    )


def order_events(bronze_events: DataFrame) -> DataFrame:
    """One row per event id: a redelivered event is kept once (its first delivery)."""
    first = latest_per_key(
        bronze_events,
        ["event_id"],
        [
            F.col("kafka_timestamp").asc(),
            F.col("kafka_partition").asc(),
            F.col("kafka_offset").asc(),
        ],
    )
    return first.select(
        "event_id",
        "order_id",
        F.upper("event_type").alias("event_type"),
        "event_ts",
        "amount",
        "currency",
        "kafka_partition",
        "kafka_offset",
        "kafka_timestamp",
        F.col("ingest_date").alias("_ingest_date"),
    )


ORPHAN_REASONS = {"contact_id": "orphan_contact_id", "sku": "orphan_sku"}


def split_orphan_orders(
    orders_: DataFrame, contacts_: DataFrame, products_: DataFrame
) -> tuple[DataFrame, DataFrame]:
    """Split Silver orders into those whose contact and product exist, and the orphans.

    Orphans come back as checked records (``_violations``, ``_raw``, ``_source``,
    ``_position``) for the quarantine; one violation per missing reference.
    """
    known_contacts = contacts_.select(F.col("contact_id").alias("_known_contact")).distinct()
    known_skus = products_.select(F.col("sku").alias("_known_sku")).distinct()
    joined = orders_.join(
        F.broadcast(known_contacts), orders_["contact_id"] == F.col("_known_contact"), "left"
    ).join(F.broadcast(known_skus), orders_["sku"] == F.col("_known_sku"), "left")
    checks = []
    for column, known in (("contact_id", "_known_contact"), ("sku", "_known_sku")):
        detail = f"no {'contact' if column == 'contact_id' else 'product'} with this {column}"
        checks.append(
            F.when(
                F.col(known).isNull(),
                F.struct(
                    F.lit(ORPHAN_REASONS[column]).alias("rule"),
                    F.lit(column).alias("field"),
                    F.col(column).cast("string").alias("value"),
                    F.lit(detail).alias("detail"),
                ),
            )
        )
    flagged = joined.withColumn(
        "_violations", F.filter(F.array(*checks), lambda v: v.isNotNull())
    ).drop("_known_contact", "_known_sku")
    kept = flagged.where(F.size("_violations") == 0).drop("_violations")
    order_columns = [c for c in orders_.columns]
    orphans = flagged.where(F.size("_violations") > 0).select(
        "_violations",
        F.to_json(F.struct(*[c for c in order_columns if not c.startswith("_")])).alias("_raw"),
        "_source",
        F.lit(None).cast("bigint").alias("_position"),
        F.col("_ingest_date").alias("ingest_date"),
    )
    return kept, orphans
