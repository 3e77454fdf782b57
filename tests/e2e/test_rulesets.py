"""Every ruleset in dq_rulesets/ passes on clean data and catches the defect it is there for.

Runs on the tables the e2e daily runs built (sample data of March 2026, so the freshness rules,
which are labelled severity=warn, rightly report the data as stale).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from lakehouse.dq.evaluator import evaluate_ruleset
from lakehouse.dq.history import JsonLinesHistory
from lakehouse.dq.parser import parse_file
from tests.e2e.conftest import DAY2

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

RULESETS = Path(__file__).resolve().parents[2] / "dq_rulesets"
REFERENCES = {"silver/orders": {"contacts": "silver.contacts", "products": "silver.products"}}


def table_for(spark, ruleset: str):
    layer, name = ruleset.split("/")
    df = spark.table(f"{layer}.{name}")
    if layer == "bronze":  # the gate checks the batch just ingested
        df = df.where(F.col("ingest_date") == F.lit(DAY2))
    return df


def evaluate(spark, ruleset: str, df, history=None):
    references = {k: spark.table(v) for k, v in REFERENCES.get(ruleset, {}).items()}
    return evaluate_ruleset(
        df, parse_file(RULESETS / f"{ruleset}.dqdl"), references=references, history=history,
        ruleset_name=ruleset, dataset_name=ruleset,
    )  # fmt: skip


ALL = sorted(p.relative_to(RULESETS).with_suffix("").as_posix() for p in RULESETS.rglob("*.dqdl"))


@pytest.mark.parametrize("ruleset", ALL)
def test_ruleset_passes_on_clean_data_except_staleness_warnings(day2, spark, ruleset):
    result = evaluate(spark, ruleset, table_for(spark, ruleset))
    halting = [o for o in result.failed if o.labels.get("severity") != "warn"]
    assert not halting, [(o.rule, o.failure_reason) for o in halting]
    for outcome in result.outcomes:
        if outcome.labels.get("severity") == "warn":
            assert not outcome.passed, f"{outcome.rule}: March 2026 data must look stale"


def first_row_with(df, **changes):
    """The frame plus a copy of its first row with some columns changed (SQL expressions)."""
    bad = df.limit(1)
    for column, expression in changes.items():
        bad = bad.withColumn(column, F.expr(expression).cast(df.schema[column].dataType))
    return df.unionByName(bad)


DEFECTS = [
    ("bronze/hubspot_contacts", {"email": "null"}, 'IsComplete "email"'),
    ("bronze/hubspot_contacts", {"lifecyclestage": "'prospect'"}, 'ColumnValues "lifecyclestage"'),
    ("bronze/snowflake_orders", {"order_id": "order_id + 10000000", "quantity": "0"}, 'ColumnValues "quantity" > 0'),
    ("bronze/snowflake_orders", {}, 'IsPrimaryKey "order_id"'),
    ("bronze/vendor_products", {"unit_price": "0"}, 'ColumnValues "unit_price" > 0'),
    ("bronze/fx_rates", {}, 'IsPrimaryKey "rate_date" "currency"'),
    ("bronze/order_events", {"event_type": "'ORDER_LOST'"}, 'ColumnValues "event_type"'),
    ("silver/contacts", {"contact_id": "-1", "email": "'Someone@Example.com'"}, 'ColumnValues "email"'),
    ("silver/orders", {"order_id": "-1", "contact_id": "-42"}, 'ReferentialIntegrity "contact_id"'),
    ("silver/products", {"sku": "'X-1'", "category": "null"}, 'IsComplete "category"'),
    ("silver/fx_rates", {"rate_date": "date'1999-01-01'", "currency": "'USD'", "rate": "2"}, "currency = 'USD' and rate <> 1"),
    ("silver/order_events", {}, 'IsPrimaryKey "event_id"'),
    ("gold/fct_orders", {"order_id": "-1", "amount_usd": "null"}, 'IsComplete "amount_usd"'),
    ("gold/dim_customer", {"contact_id": "-1", "email_sha256": "'ana@example.com'"}, 'ColumnValues "email_sha256"'),
    ("gold/agg_daily_revenue", {"order_date": "date'1999-01-01'", "orders": "0"}, 'ColumnValues "orders" > 0'),
    ("gold/fct_order_fulfillment", {"order_id": "-1", "hours_to_ship": "-5"}, 'ColumnValues "hours_to_ship"'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("ruleset", "changes", "rule"), DEFECTS, ids=[f"{d[0]}:{d[2][:30]}" for d in DEFECTS]
)
def test_ruleset_catches_its_defect(day2, spark, ruleset, changes, rule):
    defective = first_row_with(table_for(spark, ruleset), **changes)
    result = evaluate(spark, ruleset, defective)
    failed = [o.rule for o in result.failed if o.labels.get("severity") != "warn"]
    assert any(rule in text for text in failed), failed


def test_silver_row_count_rule_catches_a_shrinking_table(day2, spark, tmp_path):
    history = JsonLinesHistory(tmp_path)
    orders = table_for(spark, "silver/orders")
    assert evaluate(spark, "silver/orders", orders, history).passed is False  # only the warn rule
    shrunk = evaluate(spark, "silver/orders", orders.limit(10), history)
    assert any(o.rule.startswith("RowCount >= max(last(3))") for o in shrunk.failed)
