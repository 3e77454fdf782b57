"""Shared e2e fixtures: two days of generated data run through the daily workflow, in-process.

Session-scoped per pytest worker; every e2e test module is in the xdist group "e2e", so they all
run on one worker and share the runs (each run costs about a minute).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from lakehouse import cli

DAY1 = dt.date(2026, 3, 1)
DAY2 = DAY1 + dt.timedelta(days=1)
SCALE = "0.02"
GOLD = ["fct_orders", "dim_customer", "agg_daily_revenue", "fct_order_fulfillment"]


def generate(lake: Path, day: dt.date, clean: bool = False, scale: str = SCALE) -> None:
    """Generate ``day``'s batch; with defects (the default), as ``make run`` does."""
    args = ["generate", "--lake-root", str(lake), "--date", day.isoformat(), "--scale", scale]
    assert cli.main(args + (["--clean"] if clean else [])) == 0


def manifest_batch(lake: Path, day: dt.date) -> dict:
    """``manifest.json``'s entry of ``day``: source -> {records, defects, files, ...}."""
    manifest = json.loads((lake / "landing" / "manifest.json").read_text())
    return manifest["batches"][day.isoformat()]["sources"]


def accounting(lake: Path, record: dict, source: str) -> dict:
    """The ingest accounting of ``source`` in the workflow run ``record``."""
    return json.loads(
        (lake / "_runs" / record["run_id"] / "accounting" / f"{source}.json").read_text()
    )


def run_workflow(lake: Path, day: dt.date) -> dict:
    """Run daily_batch for ``day``; return the run record the runner saved."""
    runs = lake / "_runs"
    before = set(runs.glob("wr_*")) if runs.exists() else set()
    code = cli.main(
        [
            "workflow",
            "run",
            "daily_batch",
            "--lake-root",
            str(lake),
            "--batch-date",
            day.isoformat(),
        ]
    )
    (new_run,) = set(runs.glob("wr_*")) - before
    record = json.loads((new_run / "workflow_run.json").read_text())
    assert code == 0, [n for n in record["nodes"] if n["state"] not in ("SUCCEEDED", "NOT_RUN")]
    return record


@contextmanager
def cloudwatch():
    """Jobs publish their metrics to (moto's) CloudWatch as well as to the JSON-lines file.

    Yields a function returning every metric in the namespace with the sum of its values:
    ``[{"name", "dimensions", "sum"}]``.
    """
    import boto3
    from moto import mock_aws

    from lakehouse.metrics import NAMESPACE

    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1", LAKEHOUSE_METRICS_SINK="jsonl,cloudwatch",
    )  # fmt: skip
    try:
        with mock_aws():

            def read() -> list[dict]:
                client = boto3.client("cloudwatch")
                listed = [
                    m
                    for page in client.get_paginator("list_metrics").paginate(Namespace=NAMESPACE)
                    for m in page["Metrics"]
                ]
                now = dt.datetime.now(dt.UTC)
                out = []
                for start in range(0, len(listed), 400):
                    chunk = listed[start : start + 400]
                    queries = [
                        {"Id": f"m{i}", "MetricStat": {"Metric": m, "Period": 86400, "Stat": "Sum"}}
                        for i, m in enumerate(chunk)
                    ]
                    data = client.get_metric_data(
                        MetricDataQueries=queries,
                        StartTime=now - dt.timedelta(days=1),
                        EndTime=now + dt.timedelta(hours=1),
                    )["MetricDataResults"]
                    sums = {r["Id"]: sum(r["Values"]) for r in data}
                    for i, m in enumerate(chunk):
                        dims = {d["Name"]: d["Value"] for d in m["Dimensions"]}
                        out.append(
                            {"name": m["MetricName"], "dimensions": dims, "sum": sums[f"m{i}"]}
                        )
                return out

            yield read
    finally:
        os.environ.clear()
        os.environ.update(saved)


def node(record: dict, job: str) -> dict:
    return next(n for n in record["nodes"] if n["job_name"] == job)


def snapshot(spark, table: str) -> list[tuple]:
    return sorted(tuple(r) for r in spark.table(table).collect())


@pytest.fixture(scope="session")
def lake(spark, spark_lake):
    return spark_lake


@pytest.fixture(scope="session")
def day1(lake, spark):
    """Day 1 with defects; its metrics also go to moto's CloudWatch (``record["_cloudwatch"]``)."""
    generate(lake, DAY1)
    with cloudwatch() as read_metrics:
        record = run_workflow(lake, DAY1)
        record["_cloudwatch"] = read_metrics()
    return record, {t: snapshot(spark, f"gold.{t}") for t in GOLD}


@pytest.fixture(scope="session")
def day1_rerun(day1, lake):
    generate(lake, DAY1)  # make run regenerates the same files...
    return run_workflow(lake, DAY1)  # ...and runs the same batch again


@pytest.fixture(scope="session")
def clean_landing(lake) -> Path:
    """The same two batches generated without defects: what Gold must be computed from."""
    twin = lake.parent / f"{lake.name}-clean-twin"
    for day in (DAY1, DAY2):
        generate(twin, day, clean=True)
    return twin / "landing"


@pytest.fixture(scope="session")
def day2(day1_rerun, lake):
    generate(lake, DAY2)
    return run_workflow(lake, DAY2)
