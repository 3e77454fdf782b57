"""Crash safety, resume and the DQ gates, with the real CLI in separate processes.

One lake, one story (each fixture builds on the one before):

1. day 1 runs cleanly and publishes Gold;
2. day 2 runs, and the runner process is killed with SIGKILL at five points (during an ingest
   write, between two Silver tables, during Gold staging, during dq_gold, between publishing two
   Gold tables); every kill is followed by ``workflow resume``, which is killed at the next point,
   until the last resume finishes. Gold must then equal what plain Python recomputes from the
   clean batches, with no duplicates anywhere and no half-written version ever visible;
3. day 3 lands ``--scenario gold-dq-fail``: dq_gold stops the run, the published Gold stays
   byte-identical and the staged version is not published;
4. day 4 lands ``--scenario bronze-dq-fail``: dq_bronze stops the run before Silver and Gold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse import cli
from lakehouse.faults import CRASH_POINTS, ENV
from tests.e2e import recompute
from tests.e2e.conftest import DAY1, DAY2, GOLD, generate, manifest_batch, node
from tests.openlineage_spec.validate import validate_event

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("wap")]
SMALL = "0.01"  # each process pays ~30 s of Spark warm-up: keep the data small

PROJECT = Path(__file__).resolve().parents[2]
DAY3 = DAY2 + dt.timedelta(days=1)
DAY4 = DAY3 + dt.timedelta(days=1)
KILLS = [
    ("ingest.after_bronze_write", "ingest_"),
    ("silver.between_tables", "bronze_to_silver"),
    ("gold.during_staging", "silver_to_gold"),
    ("dq_gold.during_evaluation", "dq_gold"),
    ("publish.between_tables", "publish_gold"),
]
SOURCES = ["hubspot_contacts", "snowflake_orders", "vendor_products", "fx_rates", "order_events"]


def lakehouse(lake: Path, *args: str, crash: str | None = None) -> subprocess.CompletedProcess:
    """Run the CLI in its own process (its own JVM and Derby metastore)."""
    env = {**os.environ, "LAKEHOUSE_DRIVER_MEMORY": "1g", "COLUMNS": "200"}
    env.pop(ENV, None)
    if crash:
        env[ENV] = crash
    return subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *args, "--lake-root", str(lake)],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip


def run_day(lake: Path, day: dt.date, crash: str | None = None) -> subprocess.CompletedProcess:
    return lakehouse(lake, "workflow", "run", "daily_batch", "--batch-date", day.isoformat(),
                     crash=crash)  # fmt: skip


def newest_run(lake: Path) -> dict:
    path = max((lake / "_runs").glob("wr_*/workflow_run.json"))
    return json.loads(path.read_text())


def state(lake: Path) -> dict:
    """What the lake's catalog shows (see tests/e2e/lake_state.py)."""
    out = lake.parent / f"{lake.name}-state.pkl"
    subprocess.run(
        [sys.executable, "-m", "tests.e2e.lake_state", str(lake), str(out)],
        cwd=PROJECT, env={**os.environ, "LAKEHOUSE_DRIVER_MEMORY": "1g"}, check=True,
        capture_output=True, timeout=600,
    )  # fmt: skip
    return pickle.loads(out.read_bytes())


def folder(location: str) -> Path:
    return Path(location.removeprefix("file:"))


def checksums(location: str) -> dict[str, str]:
    root = folder(location)
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def published(lake: Path) -> dict[str, str]:
    """Each Gold table's location as publish_gold last switched it (its publication log)."""
    return {
        t: json.loads((lake / "gold" / t / "_publications.json").read_text())[-1]["location"]
        for t in GOLD
    }


def gold_files(locations: dict[str, str]) -> dict[str, dict[str, str]]:
    return {t: checksums(location) for t, location in locations.items()}


def layer_files(lake: Path, layer: str) -> dict[str, str]:
    """Checksums of every data file of a layer (all versions), by path."""
    root = lake / layer
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def publications(lake: Path) -> dict[str, str]:
    return {t: (lake / "gold" / t / "_publications.json").read_text() for t in GOLD}


# ---------------------------------------------------------------- the story


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("wap") / "lake"


@pytest.fixture(scope="module")
def day1(lake):
    """Day 1 published: where each Gold table points."""
    generate(lake, DAY1, scale=SMALL)
    done = run_day(lake, DAY1)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return published(lake)


@pytest.fixture(scope="module")
def crash_chain(lake, day1):
    """Day 2, killed at every point in turn and resumed; returns what was seen at each step."""
    generate(lake, DAY2, scale=SMALL)
    steps = []
    proc = run_day(lake, DAY2, crash=KILLS[0][0])
    for index, (point, job) in enumerate(KILLS):
        killed = newest_run(lake)
        steps.append(
            {
                "point": point,
                "job": job,
                "returncode": proc.returncode,
                "record": killed,
                "gold_files": gold_files(day1),
                "publications": publications(lake),
                "published": published(lake),
            }
        )
        following = KILLS[index + 1][0] if index + 1 < len(KILLS) else None
        proc = lakehouse(lake, "workflow", "resume", killed["run_id"], crash=following)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return steps, newest_run(lake), state(lake), proc.stdout


def test_every_kill_was_a_sigkill_in_the_job_it_names(crash_chain):
    steps, _, _, _ = crash_chain
    assert set(CRASH_POINTS) == {s["point"] for s in steps}
    for step in steps:
        assert step["returncode"] == -signal.SIGKILL, step["point"]
        record = step["record"]
        assert record["status"] == "RUNNING"  # the runner never got to finish its record
        running = [n["job_name"] for n in record["nodes"] if n["state"] == "RUNNING"]
        assert any(j.startswith(step["job"]) for j in running), (step["point"], running)


def test_no_kill_before_publish_changed_what_readers_see(crash_chain, day1, lake):
    steps, _, _, _ = crash_chain
    published_before = gold_files(day1)  # computed before the first kill
    first_logs = steps[0]["publications"]
    for step in steps[:-1]:
        assert step["gold_files"] == published_before, step["point"]
        assert step["publications"] == first_logs, step["point"]


def test_a_kill_between_two_publishes_leaves_each_table_whole(crash_chain, day1, lake):
    steps, _, _, _ = crash_chain
    at_kill = steps[-1]["published"]
    switched = [t for t in GOLD if at_kill[t] != day1[t]]
    assert switched == ["fct_orders"]  # the first table switched, the others not yet
    assert steps[-1]["gold_files"] == gold_files(day1)  # and the old versions are intact
    killed_in_staging = lake / "_runs" / steps[2]["record"]["run_id"] / "run_properties.json"
    assert "staged_gold" in json.loads(killed_in_staging.read_text())  # staged, never published


def test_resumes_rerun_the_killed_job_and_what_follows_and_keep_the_batch(crash_chain):
    steps, final, _, _ = crash_chain
    assert final["resumed_from"] == steps[-1]["record"]["run_id"]
    assert final["batch_date"] == DAY2.isoformat()
    carried = {n["job_name"] for n in final["nodes"] if n["carried_over_from"]}
    ran = {n["job_name"] for n in final["nodes"] if n["state"] == "SUCCEEDED"} - carried
    assert ran == {"publish_gold"}
    assert node(final, "notify_failure")["state"] == "NOT_RUN"
    assert final["ok"] and final["status"] == "COMPLETED"


def test_after_the_last_resume_gold_equals_a_clean_run(crash_chain, lake):
    _, _, after, _ = crash_chain
    catalog = {t: folder(after["gold"][t]["location"]) for t in GOLD}
    assert catalog == {t: folder(location) for t, location in published(lake).items()}
    twin = lake.parent / "clean-twin"
    for day in (DAY1, DAY2):
        generate(twin, day, clean=True, scale=SMALL)
    gold = {t: after["gold"][t]["rows"] for t in GOLD}
    recompute.assert_gold_matches(gold, twin / "landing")


def test_no_duplicates_anywhere_after_the_crashes(crash_chain, lake):
    _, _, after, _ = crash_chain
    for table, counts in after["silver"].items():
        assert counts["rows"] == counts["keys"], table
    for source in SOURCES:
        landed = sum(manifest_batch(lake, day)[source]["records"] for day in (DAY1, DAY2))
        assert after["bronze"][source] + after["quarantine"][source] == landed, source


def test_killed_job_runs_got_abort_events_and_every_event_validates(crash_chain, lake):
    steps, _, _, _ = crash_chain
    for step in steps:
        run_dir = lake / "_runs" / step["record"]["run_id"]
        events = [json.loads(line) for line in (run_dir / "lineage.jsonl").read_text().splitlines()]
        for event in events:
            validate_event(event)
        aborted = [e["job"]["name"] for e in events if e["eventType"] == "ABORT"]
        assert any(j.startswith(step["job"]) for j in aborted), (step["point"], aborted)
        settled = json.loads((run_dir / "workflow_run.json").read_text())
        assert settled["status"] == "STOPPED"
        assert "runner process died" in str([n["error"] for n in settled["nodes"]])


# ---------------------------------------------------------------- the gates


@pytest.fixture(scope="module")
def gold_dq_fail(lake, crash_chain):
    before = published(lake)
    files_before, logs_before = gold_files(before), publications(lake)
    assert cli.main(["generate", "--lake-root", str(lake), "--date", DAY3.isoformat(),
                     "--scale", SMALL, "--scenario", "gold-dq-fail"]) == 0  # fmt: skip
    proc = run_day(lake, DAY3)
    return before, files_before, logs_before, proc, newest_run(lake)


def test_gold_dq_fail_stops_at_dq_gold_and_keeps_the_published_gold(gold_dq_fail, lake):
    before, files_before, logs_before, proc, record = gold_dq_fail
    assert proc.returncode == 1
    states = {n["job_name"]: n["state"] for n in record["nodes"]}
    assert states["dq_gold"] == "FAILED" and states["publish_gold"] == "NOT_RUN"
    assert states["notify_failure"] == "SUCCEEDED"
    assert "shipped_at < paid_at" in node(record, "dq_gold")["error"]
    assert "the published Gold is unchanged" in node(record, "dq_gold")["error"]
    assert publications(lake) == logs_before  # nothing was switched
    assert gold_files(before) == files_before  # the published versions are byte-identical
    staged = json.loads((lake / "_runs" / record["run_id"] / "run_properties.json").read_text())[
        "staged_gold"
    ]
    for table in GOLD:  # each table has a newer staged version that was never published
        location = json.loads(staged)[f"gold.{table}"]
        assert folder(location).is_dir() and location != before[table], table


@pytest.fixture(scope="module")
def bronze_dq_fail(lake, gold_dq_fail):
    silver, gold = layer_files(lake, "silver"), layer_files(lake, "gold")
    assert cli.main(["generate", "--lake-root", str(lake), "--date", DAY4.isoformat(),
                     "--scale", SMALL, "--scenario", "bronze-dq-fail"]) == 0  # fmt: skip
    proc = run_day(lake, DAY4)
    return silver, gold, proc, newest_run(lake)


def test_bronze_dq_fail_stops_before_silver_and_gold(bronze_dq_fail, lake):
    silver, gold, proc, record = bronze_dq_fail
    assert proc.returncode == 1
    states = {n["job_name"]: n["state"] for n in record["nodes"]}
    assert states["dq_bronze"] == "FAILED"
    for job in ("bronze_to_silver", "dq_silver", "silver_to_gold", "dq_gold", "publish_gold"):
        assert states[job] == "NOT_RUN", job
    assert states["notify_failure"] == "SUCCEEDED"
    assert layer_files(lake, "silver") == silver
    assert layer_files(lake, "gold") == gold
    message = node(record, "dq_bronze")["error"]
    assert "updated_at < order_ts" in message and "bronze.snowflake_orders" in message
    assert "Silver and Gold were not changed" in message
    assert "updated_at < order_ts" in proc.stdout  # the person running it sees the rule
    failure = json.loads((lake / "_runs" / record["run_id"] / "failure.json").read_text())
    assert [j["job_name"] for j in failure["failed_jobs"]] == ["dq_bronze"]
