"""Silver and Gold transforms on small hand-made frames."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest

from lakehouse.layers import gold, silver

pytestmark = pytest.mark.spark

D = dt.date
TS = dt.datetime


def bronze_orders(spark, rows):
    columns = "order_id contact_id order_ts status sku quantity amount currency updated_at ingest_date _source"
    return spark.createDataFrame(rows, columns.split()).selectExpr(
        "order_id", "contact_id", "order_ts", "status", "sku", "cast(quantity as int) quantity",
        "cast(amount as decimal(18,2)) amount", "currency", "updated_at", "ingest_date", "_source",
    )  # fmt: skip


def fx(spark, rows):
    frame = spark.createDataFrame(rows, "rate_date date, currency string, rate string")
    return frame.selectExpr(
        "rate_date", "'USD' base_currency", "currency", "cast(rate as decimal(18,8)) rate",
        "date'2026-01-02' ingest_date", "'f' _source",
    )  # fmt: skip


def test_latest_version_per_key_wins_and_ties_go_to_the_later_batch(spark):
    rows = [
        (1, 10, TS(2026, 1, 1, 9), "PLACED", "A", 1, "10.00", "EUR", TS(2026, 1, 1, 9), D(2026, 1, 2), "a"),
        (1, 10, TS(2026, 1, 1, 9), "SHIPPED", "A", 1, "10.00", "EUR", TS(2026, 1, 3, 9), D(2026, 1, 4), "b"),
        (2, 11, TS(2026, 1, 1, 9), "PLACED", "A", 1, "5.00", "EUR", TS(2026, 1, 1, 9), D(2026, 1, 2), "a"),
        (2, 11, TS(2026, 1, 1, 9), "PAID", "A", 1, "5.00", "EUR", TS(2026, 1, 1, 9), D(2026, 1, 3), "c"),
    ]  # fmt: skip
    rates = silver.fx_rates(fx(spark, [(D(2026, 1, 1), "EUR", "0.5")]))
    result = {r["order_id"]: r for r in silver.orders(bronze_orders(spark, rows), rates).collect()}
    assert result[1]["status"] == "SHIPPED"
    assert result[2]["status"] == "PAID", "same UPDATED_AT: the later batch wins"
    assert len(result) == 2


def test_amounts_convert_to_usd_at_the_order_dates_rate(spark):
    rows = [
        (1, 10, TS(2026, 1, 1, 23, 59), "PAID", "A", 1, "10.00", "EUR", TS(2026, 1, 1, 23, 59), D(2026, 1, 2), "a"),
        (2, 10, TS(2026, 1, 2, 0, 1), "PAID", "A", 1, "10.00", "EUR", TS(2026, 1, 2, 0, 1), D(2026, 1, 3), "a"),
        (3, 10, TS(2026, 1, 2, 0, 1), "PAID", "A", 1, "7.77", "USD", TS(2026, 1, 2, 0, 1), D(2026, 1, 3), "a"),
        (4, 10, TS(2026, 1, 9, 0, 1), "PAID", "A", 1, "1.00", "EUR", TS(2026, 1, 9, 0, 1), D(2026, 1, 10), "a"),
    ]  # fmt: skip
    rates = silver.fx_rates(
        fx(spark, [(D(2026, 1, 1), "EUR", "0.8"), (D(2026, 1, 2), "EUR", "0.9")])
    )
    usd = {
        r["order_id"]: r["amount_usd"]
        for r in silver.orders(bronze_orders(spark, rows), rates).collect()
    }
    assert usd[1] == Decimal("12.50")  # 10 / 0.8
    assert usd[2] == Decimal("11.11")  # 10 / 0.9, rounded half up
    assert usd[3] == Decimal("7.77"), "USD converts at 1"
    assert usd[4] is None, "no rate for that date: NULL, never a guess"


def test_fx_rates_keep_the_latest_delivery_and_add_the_base_currency(spark):
    bronze = fx(spark, [(D(2026, 1, 1), "EUR", "0.8")]).unionByName(
        fx(spark, [(D(2026, 1, 1), "EUR", "0.81")]).selectExpr(
            "rate_date",
            "base_currency",
            "currency",
            "rate",
            "date'2026-01-05' ingest_date",
            "_source",
        )
    )
    rates = {(r["currency"]): r["rate"] for r in silver.fx_rates(bronze).collect()}
    assert rates == {"EUR": Decimal("0.81"), "USD": Decimal("1")}


def contacts_frame(spark, rows):
    schema = (
        "id bigint, email string, firstname string, lastname string, phone string, company string, "
        "country string, lifecyclestage string, createdate timestamp, lastmodifieddate timestamp, "
        "hs_object_id bigint, created_at timestamp, updated_at timestamp, archived boolean, "
        "ingest_date date, _source string"
    )
    return spark.createDataFrame(rows, schema)


JAN_1 = TS(2026, 1, 1)


def contact(cid, email, country="DE", updated=JAN_1, stage="lead"):
    created = TS(2025, 12, 1)
    return (cid, email, "Ana", "Müller", None, None, country, stage, created, updated, cid, created, updated, False, D(2026, 1, 2), "p1")  # fmt: skip


def test_contacts_trim_and_lower_case_emails_and_keep_the_latest(spark):
    rows = [
        contact(1, "  Ana.Mueller@Example.COM ", updated=TS(2026, 1, 1)),
        contact(1, "ana.mueller@example.com", stage="customer", updated=TS(2026, 1, 5)),
    ]
    result = silver.contacts(contacts_frame(spark, rows)).collect()
    assert len(result) == 1
    assert result[0]["email"] == "ana.mueller@example.com"
    assert result[0]["lifecycle_stage"] == "customer"


def test_redelivered_events_are_kept_once(spark):
    schema = (
        "event_id string, order_id bigint, event_type string, event_ts timestamp, "
        "amount decimal(18,2), currency string, kafka_partition int, kafka_offset bigint, "
        "kafka_timestamp timestamp, ingest_date date"
    )
    t = TS(2026, 1, 1, 10)
    rows = [
        ("e1", 1, "ORDER_PLACED", t, Decimal("1.00"), "EUR", 0, 5, t, D(2026, 1, 2)),
        ("e1", 1, "ORDER_PLACED", t, Decimal("1.00"), "EUR", 0, 9, TS(2026, 1, 3), D(2026, 1, 4)),
        ("e2", 1, "ORDER_PAID", t, Decimal("1.00"), "EUR", 0, 6, t, D(2026, 1, 2)),
    ]
    events = silver.order_events(spark.createDataFrame(rows, schema)).collect()
    assert sorted((e["event_id"], e["kafka_offset"]) for e in events) == [("e1", 5), ("e2", 6)]


def silver_orders(spark, rows):
    schema = (
        "order_id bigint, contact_id bigint, order_date date, status string, sku string, "
        "quantity int, amount decimal(18,2), currency string, amount_usd decimal(18,2), "
        "updated_at timestamp"
    )
    return spark.createDataFrame(rows, schema)


def test_gold_customer_value_excludes_cancelled_and_refunded_and_hides_the_email(spark):
    contacts = silver.contacts(
        contacts_frame(spark, [contact(1, "a@x.io"), contact(2, "b@x.io", country="FR")])
    )
    t = TS(2026, 1, 1)
    orders = silver_orders(spark, [
        (10, 1, D(2026, 1, 3), "PAID", "A", 1, Decimal("5"), "USD", Decimal("5.00"), t),
        (11, 1, D(2026, 1, 2), "CANCELLED", "A", 1, Decimal("7"), "USD", Decimal("7.00"), t),
        (12, 1, D(2026, 1, 4), "SHIPPED", "B", 1, Decimal("3"), "USD", Decimal("3.00"), t),
    ])  # fmt: skip
    products = spark.createDataFrame(
        [("A", "kitchen"), ("B", "garden")], "sku string, category string"
    )
    fct = gold.fct_orders(orders, products)
    customers = {r["contact_id"]: r for r in gold.dim_customer(contacts, fct).collect()}
    assert customers[1]["orders_count"] == 3
    assert customers[1]["lifetime_value_usd"] == Decimal("8.00")
    assert customers[1]["first_order_date"] == D(2026, 1, 2)
    assert customers[1]["email_sha256"] == hashlib.sha256(b"a@x.io").hexdigest()
    assert "email" not in gold.dim_customer(contacts, fct).columns
    assert customers[2]["orders_count"] == 0
    assert customers[2]["lifetime_value_usd"] == Decimal("0.00")

    revenue = gold.agg_daily_revenue(fct, gold.dim_customer(contacts, fct)).collect()
    assert sorted((r["order_date"], r["country"], r["product_category"], r["orders"], r["revenue_usd"]) for r in revenue) == [
        (D(2026, 1, 3), "DE", "kitchen", 1, Decimal("5.00")),
        (D(2026, 1, 4), "DE", "garden", 1, Decimal("3.00")),
    ]  # fmt: skip


def test_fulfillment_takes_each_steps_first_event_and_hours_to_ship(spark):
    schema = "order_id bigint, event_type string, event_ts timestamp"
    rows = [
        (1, "ORDER_PLACED", TS(2026, 1, 1, 10, 0)),
        (1, "ORDER_PAID", TS(2026, 1, 1, 11, 0)),
        (1, "ORDER_SHIPPED", TS(2026, 1, 2, 12, 20)),
        (2, "ORDER_PLACED", TS(2026, 1, 1, 10, 0)),
        (2, "ORDER_CANCELLED", TS(2026, 1, 1, 12, 0)),
    ]
    result = {
        r["order_id"]: r
        for r in gold.fct_order_fulfillment(spark.createDataFrame(rows, schema)).collect()
    }
    assert result[1]["hours_to_ship"] == Decimal("26.33")
    assert result[1]["paid_at"] == TS(2026, 1, 1, 11)
    assert result[2]["hours_to_ship"] is None
    assert result[2]["cancelled_at"] == TS(2026, 1, 1, 12)
