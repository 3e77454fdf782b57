"""Metrics of a job run: the datums of each kind of job, the JSON-lines file and CloudWatch."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import threading
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from lakehouse import metrics
from lakehouse.metrics import CloudWatchSink, JsonLinesSink, metric_data, publish, sinks_for

PROJECT = Path(__file__).resolve().parents[2]
WF = "daily_batch"
ENDED = "2026-03-02T06:00:00+00:00"


def job_record(job_name: str, **fields: Any) -> dict[str, Any]:
    """A finished job-run record as ``lakehouse.runtime`` writes it."""
    record = {
        "job_name": job_name,
        "job_run_id": f"jr_{job_name}",
        "run_id": "wr_0001",
        "workflow_name": WF,
        "batch_date": "2026-03-01",
        "mode": "local",
        "state": "SUCCEEDED",
        "started_at": "2026-03-02T05:59:30+00:00",
        "ended_at": ENDED,
        "duration_s": 30.5,
        "metrics": {},
        "inputs": [],
        "outputs": [],
        "dq": [],
        "error": None,
        "traceback": None,
    }
    record.update(fields)
    return record


def output(table: str, rows: int | None, kind: str = "table", newest: str | None = None) -> dict:
    layer, name = table.split(".")
    return {
        "table": table,
        "layer": layer,
        "kind": kind,
        "location": f"/lake/{layer}/{name}",
        "schema": [{"name": "id", "type": "bigint"}],
        "rows": rows,
        "bytes": 1000,
        "files": 1,
        "newest_record_at": newest,
    }


def dataset(table: str, rows: int | None = None) -> dict:
    return {
        "table": table,
        "layer": table.split(".")[0],
        "location": "/x",
        "schema": [],
        "rows": rows,
    }


def rule(table: str, rule_text: str, outcome: str, severity: str = "halt", **extra: Any) -> dict:
    layer, name = table.split(".")
    return {
        "layer": layer,
        "table": name,
        "dataset": table,
        "rule": rule_text,
        "outcome": outcome,
        "severity": severity,
        "action": extra.pop("action", severity),
        "failure_reason": None
        if outcome == "Passed"
        else "Value: 0.98 does not meet the constraint",
        "metrics": {},
        "labels": {},
        "rows_quarantined": extra.pop("rows_quarantined", 0),
    }


INGEST = job_record(
    "ingest_snowflake_orders",
    metrics={"rows_read": 1200, "rows_written": 1180, "rows_quarantined": 20, "duration_s": 30.1},
    inputs=[dataset("landing.snowflake_orders")],
    outputs=[
        output("quarantine.snowflake_orders", 20, kind="quarantine"),
        output("bronze.snowflake_orders", 1180, newest="2026-03-01T23:59:00.000000+00:00"),
    ],
)
SILVER_TABLES = ("contacts", "fx_rates", "order_events", "orders", "products")
BRONZE_TO_SILVER = job_record(
    "bronze_to_silver",
    metrics={"rows_read": 5000, "rows_written": 4890, "rows_quarantined": 7},
    inputs=[dataset("bronze.snowflake_orders"), dataset("bronze.hubspot_contacts")],
    outputs=[output(f"silver.{t}", 978, newest="2026-03-01T12:00:00+00:00") for t in SILVER_TABLES]
    + [output("quarantine.orders", 7, kind="quarantine")],
)
DQ_BRONZE = job_record(
    "dq_bronze",
    state="FAILED",
    error="dq_bronze: 1 halting DQ rule(s) failed on bronze.snowflake_orders",
    metrics={
        "dq_rules_passed": 2,
        "dq_rules_failed": 1,
        "dq_rules_warned": 1,
        "rows_quarantined": 3,
    },
    inputs=[dataset("bronze.snowflake_orders"), dataset("bronze.hubspot_contacts")],
    # The gates keep the rows of every table in one quarantine table.
    outputs=[output("quarantine.dq_rows", 3, kind="quarantine")],
    dq=[
        rule("bronze.snowflake_orders", 'IsComplete "contact_id"', "Failed", "halt"),
        rule("bronze.snowflake_orders", 'ColumnValues "amount" > 0', "Failed", "warn"),
        rule("bronze.snowflake_orders", "RowCount > 0", "Passed"),
        rule("bronze.hubspot_contacts", 'IsUnique "contact_id"', "Passed"),
        rule(
            "bronze.hubspot_contacts",
            'ColumnValues "email" matches "[^@]+@[^@]+"',
            "Failed",
            "halt",  # not labelled warn, but its action quarantines instead of halting
            action="quarantine",
            rows_quarantined=3,
        ),
    ],
)
GOLD_TABLES = ("agg_daily_revenue", "dim_customer", "fct_order_fulfillment", "fct_orders")
PUBLISH_GOLD = job_record(
    "publish_gold",
    inputs=[dataset(f"gold.{t}") for t in GOLD_TABLES],
    outputs=[
        output("gold.agg_daily_revenue", 540, newest=None),
        output("gold.dim_customer", 25000, newest="2026-03-01T20:00:00+00:00"),
        output("gold.fct_order_fulfillment", 99000, newest="2026-03-01T22:00:00+00:00"),
        output("gold.fct_orders", 100200, newest="2026-03-01T23:59:00+00:00"),
    ],
)


def values(datums: list[metrics.MetricDatum]) -> dict[tuple, float]:
    """``{(metric, (("Dim", "value"), ...)): value}``; each combination occurs once per record."""
    table: dict[tuple, float] = {}
    for d in datums:
        key = (d.name, tuple(sorted(d.dimensions.items())))
        assert key not in table, f"{key} twice"
        table[key] = d.value
    return table


def dims(job: str | None = None, **more: str) -> tuple:
    base = {"Pipeline": WF, **({"Job": job} if job else {}), **more}
    return tuple(sorted(base.items()))


# ---------------------------------------------------------------- datums per kind of job


def test_ingest_job_reports_rows_quarantine_and_freshness_of_its_bronze_table():
    got = values(metric_data(INGEST))
    job = "ingest_snowflake_orders"
    table = dims(job, Layer="bronze", Table="snowflake_orders")
    assert got[("RowsWritten", table)] == 1180
    # The quarantine output counts against the Bronze table it was refused from.
    assert got[("RowsQuarantined", table)] == 20
    assert got[("FreshnessSeconds", table)] == 6 * 3600 + 60  # 23:59 -> ended 06:00
    assert got[("RowsRead", dims(job))] == 1200
    assert got[("RowsWritten", dims(job))] == 1180
    assert got[("RowsQuarantined", dims(job))] == 20
    assert got[("DurationSeconds", dims(job))] == 30.5
    assert got[("JobSucceeded", dims(job))] == 1
    assert got[("JobFailed", dims(job))] == 0
    assert got[("JobFailed", dims())] == 0
    assert not any(name.startswith("Dq") or name == "TablesPublished" for name, _ in got)
    assert {d.unit for d in metric_data(INGEST) if d.name.endswith("Seconds")} == {"Seconds"}
    assert {d.unit for d in metric_data(INGEST) if not d.name.endswith("Seconds")} == {"Count"}


def test_clean_ingest_reports_zero_quarantined_so_the_ratio_is_defined():
    clean = copy.deepcopy(INGEST)
    clean["metrics"]["rows_quarantined"] = 0
    clean["outputs"] = [o for o in clean["outputs"] if o["kind"] != "quarantine"]
    got = values(metric_data(clean))
    table = dims("ingest_snowflake_orders", Layer="bronze", Table="snowflake_orders")
    assert got[("RowsQuarantined", table)] == 0
    assert got[("RowsWritten", table)] == 1180


def test_bronze_to_silver_reports_every_silver_table_and_its_orphans():
    got = values(metric_data(BRONZE_TO_SILVER))
    for name in SILVER_TABLES:
        table = dims("bronze_to_silver", Layer="silver", Table=name)
        assert got[("RowsWritten", table)] == 978
        assert got[("FreshnessSeconds", table)] == 18 * 3600
        assert got[("RowsQuarantined", table)] == (7 if name == "orders" else 0)
    assert (
        "RowsQuarantined",
        dims("bronze_to_silver", Layer="quarantine", Table="orders"),
    ) not in got
    assert got[("RowsRead", dims("bronze_to_silver"))] == 5000


def test_dq_gate_counts_rules_per_table_and_severity():
    got = values(metric_data(DQ_BRONZE))
    job = "dq_bronze"
    orders = {"Layer": "bronze", "Table": "snowflake_orders"}
    contacts = {"Layer": "bronze", "Table": "hubspot_contacts"}
    assert got[("DqRulesPassed", dims(job, **orders))] == 1
    assert got[("DqRulesFailed", dims(job, **orders))] == 2
    assert got[("DqRulesFailed", dims(job, **orders, Severity="halt"))] == 1
    assert got[("DqRulesFailed", dims(job, **orders, Severity="warn"))] == 1
    assert got[("DqRulesPassed", dims(job, **contacts))] == 1
    assert got[("DqRulesFailed", dims(job, **contacts))] == 1
    assert got[("DqRulesFailed", dims(job, **contacts, Severity="halt"))] == 0
    assert got[("DqRulesFailed", dims(job, **contacts, Severity="warn"))] == 1
    assert got[("DqRowsQuarantined", dims(job, **contacts))] == 3
    assert ("DqRowsQuarantined", dims(job, **orders)) not in got  # no quarantine rule on that table
    # Job and pipeline totals, for one alarm per gate or per pipeline.
    assert got[("DqRulesPassed", dims(job))] == 2
    assert got[("DqRulesFailed", dims(job))] == 3
    assert got[("DqRulesFailed", dims(job, Severity="halt"))] == 1
    assert got[("DqRulesFailed", dims(job, Severity="warn"))] == 2
    assert got[("DqRulesFailed", dims())] == 3
    # A halting failure fails the gate.
    assert got[("JobFailed", dims(job))] == 1
    assert got[("JobFailed", dims())] == 1
    assert got[("JobSucceeded", dims(job))] == 0
    assert got[("RowsQuarantined", dims(job))] == 3
    # quarantine.dq_rows belongs to no one table: per table, see DqRowsQuarantined.
    assert not any(n == "RowsQuarantined" and "Table" in dict(d) for n, d in got)
    assert ("RowsWritten", dims(job)) not in got
    assert ("RowsRead", dims(job)) not in got  # the gate does not count its inputs


def test_publish_gold_counts_published_tables_and_their_freshness():
    got = values(metric_data(PUBLISH_GOLD))
    job = "publish_gold"
    assert got[("TablesPublished", dims(job))] == 4
    assert got[("RowsWritten", dims(job))] == 540 + 25000 + 99000 + 100200
    assert got[("FreshnessSeconds", dims(job, Layer="gold", Table="fct_orders"))] == 6 * 3600 + 60
    assert got[("FreshnessSeconds", dims(job, Layer="gold", Table="dim_customer"))] == 10 * 3600
    # No newest record known: no freshness datum rather than a made-up one.
    assert ("FreshnessSeconds", dims(job, Layer="gold", Table="agg_daily_revenue")) not in got
    assert not any(name == "RowsQuarantined" for name, _ in got)


def test_failed_publish_reports_zero_tables_published():
    failed = {**PUBLISH_GOLD, "state": "FAILED", "error": "swap failed"}
    got = values(metric_data(failed))
    assert got[("TablesPublished", dims("publish_gold"))] == 0
    assert got[("JobFailed", dims("publish_gold"))] == 1


def test_failed_ingest_that_only_quarantined_reports_against_its_bronze_table():
    failed = job_record(
        "ingest_vendor_products",
        state="FAILED",
        error="vendor_products: schema break in products_2026-03-01.csv",
        metrics={"rows_read": 40, "rows_written": 0, "rows_quarantined": 40},
        inputs=[dataset("landing.vendor_products")],
        outputs=[output("quarantine.vendor_products", 40, kind="quarantine")],
    )
    got = values(metric_data(failed))
    job = "ingest_vendor_products"
    assert got[("RowsQuarantined", dims(job, Layer="bronze", Table="vendor_products"))] == 40
    assert got[("JobFailed", dims(job))] == 1
    assert got[("JobSucceeded", dims(job))] == 0


def test_running_record_has_no_metrics():
    running = {**INGEST, "state": "RUNNING", "ended_at": None, "duration_s": None}
    assert metric_data(running) == []
    assert publish(running, [metrics.JsonLinesSink("/nonexistent/never/written")]) == []


def test_standalone_run_is_its_own_pipeline_and_now_moves_freshness():
    standalone = {**INGEST, "workflow_name": None}
    later = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)
    datums = metric_data(standalone, now=later)
    assert {d.dimensions["Pipeline"] for d in datums} == {"standalone"}
    fresh = next(d for d in datums if d.name == "FreshnessSeconds")
    assert fresh.value == 7 * 3600 + 60
    assert {d.timestamp for d in datums} == {later}
    assert {d.timestamp for d in metric_data(INGEST)} == {dt.datetime.fromisoformat(ENDED)}


# ---------------------------------------------------------------- JSON lines


def test_jsonl_lines_from_parallel_jobs_stay_intact(tmp_path: Path):
    path = tmp_path / "_runs" / "wr_0001" / "metrics.jsonl"
    # Wide jobs: one job run's lines are larger than an I/O buffer.
    wide = job_record(
        "bronze_to_silver",
        outputs=[output(f"silver.t{n}", n, newest="2026-03-01T00:00:00+00:00") for n in range(60)],
    )
    records = [{**wide, "job_run_id": f"jr_{thread}_{n}"} for thread in range(8) for n in range(8)]
    per_record = len(metric_data(wide))
    start = threading.Barrier(8)

    def run_jobs(thread: int) -> None:
        start.wait()
        for record in records[thread * 8 : (thread + 1) * 8]:
            publish(record, [JsonLinesSink(path)])  # one sink per job, like runtime does

    threads = [threading.Thread(target=run_jobs, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    lines = path.read_text().splitlines()
    assert len(lines) == len(records) * per_record
    parsed = [json.loads(line) for line in lines]
    for record in records:
        assert sum(p["job_run_id"] == record["job_run_id"] for p in parsed) == per_record


def test_jsonl_line_carries_namespace_run_ids_and_dimensions(tmp_path: Path):
    [sink] = sinks_for("local", tmp_path / "wr_0001", None)
    publish(INGEST, [sink])
    lines = [json.loads(line) for line in (tmp_path / "wr_0001" / "metrics.jsonl").open()]
    written = next(
        line for line in lines if line["metric"] == "RowsWritten" and "Table" in line["dimensions"]
    )
    assert written == {
        "namespace": "Lakehouse",
        "metric": "RowsWritten",
        "value": 1180,
        "unit": "Count",
        "dimensions": {
            "Pipeline": WF,
            "Job": "ingest_snowflake_orders",
            "Layer": "bronze",
            "Table": "snowflake_orders",
        },
        "timestamp": ENDED,
        "run_id": "wr_0001",
        "job_run_id": "jr_ingest_snowflake_orders",
    }


# ---------------------------------------------------------------- choosing sinks


def test_default_sinks_per_mode(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(metrics.SINK_ENV, raising=False)
    [local] = sinks_for("local", tmp_path, None)
    assert isinstance(local, JsonLinesSink)
    assert local.path == tmp_path / "metrics.jsonl"
    assert [type(s) for s in sinks_for("glue", "s3://bucket/lake/_runs/wr_1", None)] == [
        CloudWatchSink
    ]
    assert [type(s) for s in sinks_for("glue", None, None)] == [CloudWatchSink]
    assert [type(s) for s in sinks_for("glue", tmp_path, None)] == [CloudWatchSink, JsonLinesSink]


def test_configured_sinks_env_and_namespace(tmp_path: Path, monkeypatch, caplog):
    monkeypatch.delenv(metrics.SINK_ENV, raising=False)
    assert sinks_for("local", tmp_path, "none") == []
    both = sinks_for("local", tmp_path, " cloudwatch , jsonl ")
    assert [type(s) for s in both] == [CloudWatchSink, JsonLinesSink]
    monkeypatch.setenv(metrics.SINK_ENV, "cloudwatch")
    monkeypatch.setenv(metrics.NAMESPACE_ENV, "Lakehouse/dev")
    [from_env] = sinks_for("local", tmp_path, None)
    assert isinstance(from_env, CloudWatchSink)
    assert from_env.namespace == "Lakehouse/dev"
    # The job argument wins over the environment.
    assert [type(s) for s in sinks_for("local", tmp_path, "jsonl")] == [JsonLinesSink]
    with caplog.at_level(logging.WARNING, logger="lakehouse.metrics"):
        assert sinks_for("local", tmp_path, "statsd") == []
        assert sinks_for("glue", "s3://bucket/_runs/wr_1", "jsonl") == []
    assert "statsd" in caplog.text
    assert "needs a local run folder" in caplog.text


# ---------------------------------------------------------------- CloudWatch

# The metrics the three records below create, exactly: what the alarms can reference.
EXPECTED_CLOUDWATCH = {
    ("JobFailed", dims()),
    ("DqRulesFailed", dims()),
    # ingest_snowflake_orders
    *[
        (m, dims("ingest_snowflake_orders"))
        for m in (
            "JobSucceeded",
            "JobFailed",
            "DurationSeconds",
            "RowsRead",
            "RowsWritten",
            "RowsQuarantined",
        )
    ],
    *[
        (m, dims("ingest_snowflake_orders", Layer="bronze", Table="snowflake_orders"))
        for m in ("RowsWritten", "RowsQuarantined", "FreshnessSeconds")
    ],
    # dq_bronze
    *[
        (m, dims("dq_bronze"))
        for m in (
            "JobSucceeded",
            "JobFailed",
            "DurationSeconds",
            "RowsQuarantined",
            "DqRulesPassed",
            "DqRulesFailed",
        )
    ],
    ("DqRulesFailed", dims("dq_bronze", Severity="halt")),
    ("DqRulesFailed", dims("dq_bronze", Severity="warn")),
    *[
        (m, dims("dq_bronze", Layer="bronze", Table=t, **sev))
        for t in ("snowflake_orders", "hubspot_contacts")
        for m, sev in (
            ("DqRulesPassed", {}),
            ("DqRulesFailed", {}),
            ("DqRulesFailed", {"Severity": "halt"}),
            ("DqRulesFailed", {"Severity": "warn"}),
        )
    ],
    ("DqRowsQuarantined", dims("dq_bronze", Layer="bronze", Table="hubspot_contacts")),
    # publish_gold
    *[
        (m, dims("publish_gold"))
        for m in ("JobSucceeded", "JobFailed", "DurationSeconds", "RowsWritten", "TablesPublished")
    ],
    *[
        (m, dims("publish_gold", Layer="gold", Table=t))
        for t in GOLD_TABLES
        for m in ["RowsWritten"]
    ],
    *[
        ("FreshnessSeconds", dims("publish_gold", Layer="gold", Table=t))
        for t in GOLD_TABLES
        if t != "agg_daily_revenue"
    ],
}


def listed_metrics(client: Any, namespace: str) -> list[tuple]:
    pages = client.get_paginator("list_metrics").paginate(Namespace=namespace)
    return [
        (m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
        for page in pages
        for m in page["Metrics"]
    ]


def statistic(client: Any, name: str, dimensions: tuple, stat: str = "Sum") -> float:
    """The value CloudWatch holds for exactly this metric (GetMetricData matches dimensions
    exactly, like CloudWatch; moto's GetMetricStatistics also matches supersets)."""
    end = dt.datetime.fromisoformat(ENDED)
    metric = {
        "Namespace": metrics.NAMESPACE,
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions],
    }
    result = client.get_metric_data(
        MetricDataQueries=[
            {"Id": "m", "MetricStat": {"Metric": metric, "Period": 86400, "Stat": stat}}
        ],
        StartTime=end - dt.timedelta(days=1),
        EndTime=end + dt.timedelta(days=1),
    )
    return sum(result["MetricDataResults"][0]["Values"])


@mock_aws
def test_cloudwatch_holds_exactly_the_documented_metrics(aws_credentials):
    client = boto3.client("cloudwatch")
    sink = CloudWatchSink(client)
    for record in (INGEST, DQ_BRONZE, PUBLISH_GOLD):
        publish(record, [sink])

    listed = listed_metrics(client, "Lakehouse")
    assert len(listed) == len(set(listed))
    assert set(listed) == EXPECTED_CLOUDWATCH

    ingest_table = dims("ingest_snowflake_orders", Layer="bronze", Table="snowflake_orders")
    end = dt.datetime.fromisoformat(ENDED)
    stats = client.get_metric_statistics(
        Namespace="Lakehouse",
        MetricName="RowsQuarantined",
        Dimensions=[{"Name": k, "Value": v} for k, v in ingest_table],
        StartTime=end - dt.timedelta(hours=1),
        EndTime=end + dt.timedelta(hours=1),
        Period=3600,
        Statistics=["Sum"],
    )
    assert [(p["Sum"], p["Unit"]) for p in stats["Datapoints"]] == [(20.0, "Count")]
    assert statistic(client, "RowsWritten", ingest_table) == 1180
    assert statistic(client, "JobFailed", dims()) == 1  # the dq gate, across the pipeline
    assert statistic(client, "DqRulesFailed", dims()) == 3
    assert statistic(client, "DqRulesFailed", dims("dq_bronze", Severity="warn")) == 2
    assert statistic(client, "TablesPublished", dims("publish_gold")) == 4
    fresh = dims("publish_gold", Layer="gold", Table="fct_orders")
    assert statistic(client, "FreshnessSeconds", fresh, "Maximum") == 6 * 3600 + 60


class Recording:
    """A CloudWatch client that remembers the size of each PutMetricData request."""

    def __init__(self, client: Any):
        self.client = client
        self.request_sizes: list[int] = []

    def put_metric_data(self, **request: Any) -> Any:
        self.request_sizes.append(len(request["MetricData"]))
        return self.client.put_metric_data(**request)


@mock_aws
def test_many_datums_are_split_into_requests_within_the_api_limit(aws_credentials):
    client = boto3.client("cloudwatch")
    big = job_record(
        "silver_to_gold",
        outputs=[
            output(f"gold.t{n:04d}", n, kind="staged", newest="2026-03-01T00:00:00+00:00")
            for n in range(510)
        ],
    )
    recording = Recording(client)
    datums = publish(big, [CloudWatchSink(recording)])

    assert len(datums) > 1000
    assert len(recording.request_sizes) >= 2
    assert max(recording.request_sizes) <= 1000  # PutMetricData's documented limit
    assert sum(recording.request_sizes) == len(datums)
    assert len(listed_metrics(client, "Lakehouse")) == len(datums)
    assert (
        statistic(client, "RowsWritten", dims("silver_to_gold", Layer="gold", Table="t0509")) == 509
    )


class Refusing:
    def put_metric_data(self, **request: Any) -> Any:
        error = {
            "Code": "AccessDenied",
            "Message": "not authorized to perform cloudwatch:PutMetricData",
        }
        raise ClientError({"Error": error}, "PutMetricData")


def test_a_failing_sink_neither_raises_nor_stops_the_others(tmp_path: Path, caplog):
    before = metrics.failure_counts().get("cloudwatch", 0)
    secret = {**DQ_BRONZE, "error": "password=hunter2 in the connection string"}
    path = tmp_path / "metrics.jsonl"
    with caplog.at_level(logging.WARNING, logger="lakehouse.metrics"):
        datums = publish(secret, [CloudWatchSink(Refusing()), JsonLinesSink(path)])

    assert datums == metric_data(secret)
    assert len(path.read_text().splitlines()) == len(datums)
    assert metrics.failure_counts()["cloudwatch"] == before + 1
    assert "AccessDenied" in caplog.text
    assert "jr_dq_bronze" in caplog.text
    assert "hunter2" not in caplog.text


def test_a_malformed_record_does_not_raise(caplog):
    with caplog.at_level(logging.WARNING, logger="lakehouse.metrics"):
        assert publish({"state": "SUCCEEDED", "metrics": ["not", "a", "mapping"]}, []) == []
    assert metrics.failure_counts().get("build", 0) >= 1


def test_docs_describe_every_metric_with_its_unit():
    doc = (PROJECT / "docs" / "metrics.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| `")}
    for name, unit in metrics.METRIC_UNITS.items():
        assert f"`{name}`" in rows, name
        assert unit in rows[f"`{name}`"], name
    for datum in metric_data(INGEST) + metric_data(DQ_BRONZE) + metric_data(PUBLISH_GOLD):
        assert datum.unit == metrics.METRIC_UNITS[datum.name]
