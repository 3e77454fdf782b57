"""What a person types: `lakehouse` commands and Glue scripts run as separate processes."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("cli")]

PROJECT = Path(__file__).resolve().parents[2]
LAKEHOUSE = [sys.executable, "-m", "lakehouse.cli"]
DAY = "2026-04-01"


def run(args: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    env.pop("LAKE_ROOT", None)
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, cwd=PROJECT, env=env
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli_lake")
    done = run([*LAKEHOUSE, "generate", "--lake-root", str(root), "--date", DAY, "--scale", "0.01"])
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture(scope="module")
def workflow_run(lake) -> subprocess.CompletedProcess:
    return run(
        [
            *LAKEHOUSE,
            "workflow",
            "run",
            "daily_batch",
            "--lake-root",
            str(lake),
            "--batch-date",
            DAY,
        ]
    )


def test_workflow_run_prints_a_summary_of_every_job_and_exits_0(workflow_run):
    assert workflow_run.returncode == 0, workflow_run.stdout + workflow_run.stderr
    out = workflow_run.stdout
    for job in (
        "ingest_hubspot_contacts",
        "ingest_order_events",
        "bronze_to_silver",
        "silver_to_gold",
    ):
        assert job in out
    assert "11 succeeded, 1 not run" in out
    assert "lakehouse sql" in out, "tells the user how to query what was produced"
    assert "rows written" in out and "DQ" in out, "ends with the run view"


def test_runs_list_and_show_describe_the_recorded_run(workflow_run, lake):
    listed = run([*LAKEHOUSE, "runs", "list", "--lake-root", str(lake), "--json"])
    assert listed.returncode == 0, listed.stderr
    (summary,) = json.loads(listed.stdout)
    assert summary["batch_date"] == DAY and summary["status"] == "COMPLETED"
    shown = run([*LAKEHOUSE, "runs", "show", summary["run_id"], "--lake-root", str(lake)])
    assert shown.returncode == 0, shown.stderr
    for job in ("dq_bronze", "dq_silver", "dq_gold", "publish_gold", "notify_failure"):
        assert job in shown.stdout
    assert "NOT_RUN" in shown.stdout  # notify_failure: nothing failed
    assert "warn" in shown.stdout  # sample data of April 2026 is stale: the warn rules say so
    missing = run([*LAKEHOUSE, "runs", "show", "wr_nope", "--lake-root", str(lake)])
    assert missing.returncode == 2 and summary["run_id"] in missing.stderr


def test_gold_versions_lists_the_published_version(workflow_run, lake):
    versions = run([*LAKEHOUSE, "gold", "versions", "agg_daily_revenue", "--lake-root", str(lake)])
    assert versions.returncode == 0, versions.stderr
    (line,) = [line for line in versions.stdout.splitlines() if "│ v" in line]
    assert "current" in line  # one run, one version, and the catalog serves it


def test_sql_prints_rows_from_the_local_catalog(workflow_run, lake):
    done = run([
        *LAKEHOUSE, "sql", "--lake-root", str(lake), "--format", "json",
        "select order_date, country, sum(revenue_usd) r from gold.agg_daily_revenue group by 1, 2",
    ])  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows and {"order_date", "country", "r"} <= rows[0].keys()


def test_sql_reports_a_bad_query_in_one_line(workflow_run, lake):
    done = run([*LAKEHOUSE, "sql", "--lake-root", str(lake), "select * from gold.no_such_table"])
    assert done.returncode == 1
    assert "no_such_table" in done.stderr.lower()
    assert "Traceback" not in done.stderr


def test_a_glue_script_runs_alone_with_glue_style_arguments(workflow_run, lake):
    done = run([
        sys.executable, "glue_jobs/silver_to_gold.py",
        "--JOB_NAME", "silver_to_gold", "--lake_root", str(lake),
    ])  # fmt: skip
    assert done.returncode == 0, done.stderr
    (record,) = [json.loads(p.read_text()) for p in (lake / "_runs").glob("jr_*/jobs/*.json")]
    assert record["state"] == "SUCCEEDED" and record["metrics"]["rows_written"] > 0
    assert {o["kind"] for o in record["outputs"]} == {"staged"}
    versions = sorted(
        p.name for p in (lake / "gold" / "fct_orders").iterdir() if p.name.startswith("v")
    )
    assert len(versions) == 2, "the standalone run staged a second version beside the first"
    log = json.loads((lake / "gold" / "fct_orders" / "_publications.json").read_text())
    assert [e["version"] for e in log] == [versions[0]], "outside the workflow nothing publishes"


def test_a_glue_script_without_its_required_arguments_fails_clearly(lake):
    done = run(
        [sys.executable, "glue_jobs/silver_to_gold.py", "--lake_root", str(lake)], timeout=120
    )
    assert done.returncode != 0
    assert "JOB_NAME" in done.stderr


def test_a_failed_ingest_stops_everything_downstream_while_other_ingests_finish(tmp_path):
    day = "2026-04-02"
    assert (
        run(
            [*LAKEHOUSE, "generate", "--lake-root", str(tmp_path), "--date", day, "--scale", "0.01"]
        ).returncode
        == 0
    )
    broken = next((tmp_path / "landing" / "snowflake_orders").glob("*/orders_*.csv.gz"))
    broken.write_bytes(gzip.compress(b"ORDER_ID;WRONG;HEADER\n1;2;3\n"))
    done = run(
        [
            *LAKEHOUSE,
            "workflow",
            "run",
            "daily_batch",
            "--lake-root",
            str(tmp_path),
            "--batch-date",
            day,
        ]
    )
    assert done.returncode == 1
    (record_file,) = (tmp_path / "_runs").glob("wr_*/workflow_run.json")
    states = {n["job_name"]: n["state"] for n in json.loads(record_file.read_text())["nodes"]}
    assert states["ingest_snowflake_orders"] == "FAILED"
    assert states["ingest_hubspot_contacts"] == states["ingest_fx_rates"] == "SUCCEEDED"
    assert (
        states["dq_bronze"] == states["bronze_to_silver"] == states["silver_to_gold"] == "NOT_RUN"
    )
    assert states["notify_failure"] == "SUCCEEDED"
    assert "FAILED" in done.stdout and "NOT_RUN" in done.stdout
    assert "orders_0_0_0.csv.gz" in done.stdout, "says where"
    assert "missing required column(s) ORDER_ID" in done.stdout, "says what"
    assert "\tat org.apache" not in done.stdout + done.stderr, "no JVM stack traces"
