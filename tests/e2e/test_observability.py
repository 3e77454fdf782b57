"""Every job run of a real workflow run has lineage events, metrics and DQ results.

Runs on the shared day-1 run (with the generator's defects; its metrics also went to moto's
CloudWatch). March 2026 sample data is stale, so Silver's freshness rules, labelled
``"severity"="warn"``, fail: a warn-only failure that must not stop the run.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from lakehouse import metrics
from lakehouse.gate import RESULTS_TABLE
from tests.e2e.conftest import node
from tests.openlineage_spec.validate import validate_event

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def events(lake, record) -> list[dict]:
    path = lake / "_runs" / record["run_id"] / "lineage.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def ran(record) -> list[dict]:
    return [n for n in record["nodes"] if n["state"] == "SUCCEEDED"]


def test_every_job_run_has_a_start_and_a_complete_event_that_validate(day1, lake):
    record, _ = day1
    by_run = defaultdict(list)
    for event in events(lake, record):
        validate_event(event)
        by_run[event["run"]["runId"]].append(event)
    assert len(by_run) == len(ran(record)) == 11
    names = set()
    parents = set()
    for run_events in by_run.values():
        assert [e["eventType"] for e in run_events] == ["START", "COMPLETE"]
        assert run_events[0]["eventTime"] <= run_events[1]["eventTime"]
        names.add(run_events[0]["job"]["name"])
        parents.add(run_events[1]["run"]["facets"]["parent"]["run"]["runId"])
    assert names == {n["job_name"] for n in ran(record)}
    assert len(parents) == 1, "every job run names the same workflow run as its parent"


def complete(lake, record, job: str) -> dict:
    return next(
        e for e in events(lake, record) if e["job"]["name"] == job and e["eventType"] == "COMPLETE"
    )


def test_gate_events_carry_the_rule_outcomes_of_each_table(day1, lake):
    record, _ = day1
    event = complete(lake, record, "dq_bronze")
    checked = {i["name"].rsplit("/", 1)[-1]: i for i in event["inputs"]}
    assert set(checked) == {
        "hubspot_contacts", "snowflake_orders", "vendor_products", "fx_rates", "order_events"
    }  # fmt: skip
    dq = node(record, "dq_bronze")["details"]["dq"]
    for table, dataset in checked.items():
        assertions = dataset["inputFacets"]["dataQualityAssertions"]["assertions"]
        expected = [e for e in dq if e["table"] == table]
        assert [a["assertion"] for a in assertions] == [e["rule"] for e in expected]
        assert all(a["success"] for a in assertions)


def test_silver_and_gold_outputs_have_statistics_schema_and_column_lineage(day1, lake):
    record, _ = day1
    for job, layer in (("bronze_to_silver", "silver"), ("silver_to_gold", "gold")):
        outputs = complete(lake, record, job)["outputs"]
        recorded = {o["table"]: o for o in node(record, job)["details"]["outputs"]}
        tables = [o for o in outputs if f"/{layer}/" in o["name"]]
        assert tables, job
        for dataset in tables:
            table = f"{layer}.{dataset['name'].rsplit('/', 1)[-1]}"
            stats = dataset["outputFacets"]["outputStatistics"]
            assert stats["rowCount"] == recorded[table]["rows"] > 0, table
            assert stats["size"] > 0
            fields = {f["name"] for f in dataset["facets"]["schema"]["fields"]}
            lineage = dataset["facets"]["columnLineage"]["fields"]
            assert set(lineage) == fields, table


def test_every_job_publishes_its_metrics_to_cloudwatch(day1):
    record, _ = day1
    published = record["_cloudwatch"]
    assert {m["name"] for m in published} <= set(metrics.METRIC_UNITS)
    succeeded = {
        m["dimensions"]["Job"]: m["sum"] for m in published if m["name"] == metrics.JOB_SUCCEEDED
    }
    assert succeeded == {n["job_name"]: 1.0 for n in ran(record)}
    written = {
        (m["dimensions"]["Job"], m["dimensions"]["Layer"], m["dimensions"]["Table"]): m["sum"]
        for m in published
        if m["name"] == metrics.ROWS_WRITTEN and "Table" in m["dimensions"]
    }
    for job in ("ingest_snowflake_orders", "bronze_to_silver", "publish_gold"):
        for output in node(record, job)["details"]["outputs"]:
            if output["kind"] != "quarantine":
                layer, table = output["table"].split(".")
                assert written[(job, layer, table)] == output["rows"], (job, table)
    published_gold = [
        m
        for m in published
        if m["name"] == metrics.TABLES_PUBLISHED and "Table" not in m["dimensions"]
    ]
    assert [m["sum"] for m in published_gold] == [4.0]


def test_the_same_metrics_are_in_the_run_s_json_lines_file(day1, lake):
    record, _ = day1
    path = lake / "_runs" / record["run_id"] / "metrics.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    local = {(d["metric"], tuple(sorted(d["dimensions"].items()))) for d in lines}
    remote = {(m["name"], tuple(sorted(m["dimensions"].items()))) for m in record["_cloudwatch"]}
    assert local == remote


def test_a_warn_only_failure_publishes_and_shows_in_results_and_metrics(day1, spark):
    record, _ = day1
    assert node(record, "dq_silver")["state"] == "SUCCEEDED"
    assert node(record, "publish_gold")["state"] == "SUCCEEDED"
    warned = spark.sql(
        f"select table_name, rule from {RESULTS_TABLE} where run_id = '{record['run_id']}' "
        "and outcome = 'Failed' and severity = 'warn'"
    ).collect()
    assert {r["table_name"] for r in warned} == {"orders", "fx_rates"}
    halted = spark.sql(
        f"select count(*) n from {RESULTS_TABLE} where run_id = '{record['run_id']}' "
        "and outcome = 'Failed' and action = 'halt'"
    ).first()["n"]
    assert halted == 0
    warn_metric = [
        m["sum"]
        for m in record["_cloudwatch"]
        if m["name"] == metrics.DQ_RULES_FAILED
        and m["dimensions"] == {"Pipeline": "daily_batch", "Job": "dq_silver", "Severity": "warn"}
    ]
    assert warn_metric == [2.0]
    stored = spark.sql(
        f"select count(*) n from {RESULTS_TABLE} where run_id = '{record['run_id']}'"
    ).first()["n"]
    assert stored == sum(
        len(node(record, g)["details"]["dq"]) for g in ("dq_bronze", "dq_silver", "dq_gold")
    )
