"""The daily workflow end to end, in-process on this worker's SparkSession.

Two batches of generated data (with the generator's defects, as ``make run`` lands them) go
through the whole workflow; Gold must equal what plain Python recomputes from the same batches
generated without defects (bad input must never reach Gold), and reruns must change nothing.
"""

from __future__ import annotations

import pytest

from tests.e2e import recompute
from tests.e2e.conftest import DAY1, DAY2, GOLD, manifest_batch, node, snapshot

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_run_succeeds_on_every_node_and_reads_every_landed_record(day1, lake):
    record, _ = day1
    assert [n["state"] for n in record["nodes"]] == ["SUCCEEDED"] * 11 + ["NOT_RUN"]
    assert record["nodes"][-1]["job_name"] == "notify_failure"  # nothing failed
    landed = manifest_batch(lake, DAY1)
    for source in landed:
        ingest = node(record, f"ingest_{source}")
        assert ingest["rows_read"] == landed[source]["records"], source
        assert 0 < ingest["rows_written"] < ingest["rows_read"], source  # defects held back


def test_rerunning_a_batch_leaves_gold_identical_and_bronze_without_duplicates(
    day1, day1_rerun, spark, lake
):
    _, gold_before = day1
    for table in GOLD:
        assert snapshot(spark, f"gold.{table}") == gold_before[table], table
    record, _ = day1
    for source in manifest_batch(lake, DAY1):
        accepted = node(record, f"ingest_{source}")["rows_written"]
        assert spark.table(f"bronze.{source}").count() == accepted, source


def test_the_stream_reads_nothing_new_on_a_rerun(day1_rerun):
    events = node(day1_rerun, "ingest_order_events")
    assert events["state"] == "SUCCEEDED"
    assert events["rows_read"] == 0


def test_gold_matches_an_independent_recomputation_after_two_batches(day2, spark, clean_landing):
    gold = {t: [r.asDict() for r in spark.table(f"gold.{t}").collect()] for t in GOLD}
    recompute.assert_gold_matches(gold, clean_landing)


def test_day_two_brings_updates_that_replace_older_versions(day2, spark, lake):
    batch = manifest_batch(lake, DAY2)
    assert batch["snowflake_orders"]["updates"] > 0
    assert batch["hubspot_contacts"]["updates"] > 0
    bronze_orders = spark.table("bronze.snowflake_orders").count()
    assert spark.table("silver.orders").count() < bronze_orders, (
        "updates collapse to one row per order"
    )
    assert spark.table("gold.fct_orders").count() == spark.table("silver.orders").count()


def test_revenue_per_day_and_country_and_orders_per_customer_are_consistent(day2, spark):
    """Sanity across Gold tables: the aggregate equals the facts it summarises."""
    by_day = {
        r["order_date"]: r["revenue"]
        for r in spark.sql(
            "select order_date, sum(revenue_usd) revenue from gold.agg_daily_revenue group by 1"
        ).collect()
    }
    from_facts = {
        r["order_date"]: r["revenue"]
        for r in spark.sql(
            "select order_date, sum(amount_usd) revenue from gold.fct_orders "
            "where status in ('PLACED','PAID','SHIPPED') group by 1"
        ).collect()
    }
    assert by_day == from_facts
    orders_total = spark.sql("select sum(orders_count) n from gold.dim_customer").collect()[0]["n"]
    assert orders_total == spark.table("gold.fct_orders").count()


def test_the_e2e_tests_run_together_on_one_worker(request):
    """With ``--dist loadgroup`` the group's tests share one worker and its day-1/day-2 runs."""
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@e2e"), request.node.nodeid
