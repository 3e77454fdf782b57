"""The run view: workflow-run and job-run records in the lake, read and rendered (no Spark)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from lakehouse.runs_view import (
    RunNotFound,
    RunRecordError,
    list_runs,
    load_run,
    render_run,
    render_run_list,
    short_run_id,
)

INGEST = [
    "ingest_hubspot_contacts",
    "ingest_snowflake_orders",
    "ingest_vendor_products",
    "ingest_fx_rates",
    "ingest_order_events",
]
DOWNSTREAM = ["dq_bronze", "bronze_to_silver", "dq_silver", "silver_to_gold", "dq_gold"]
JOBS = [*INGEST, *DOWNSTREAM, "publish_gold", "notify_failure"]
T0 = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)
ROWS = {  # rows read, written, quarantined
    "ingest_hubspot_contacts": (500, 497, 3),
    "ingest_snowflake_orders": (1200, 1180, 20),
    "ingest_vendor_products": (80, 80, 0),
    "ingest_fx_rates": (31, 31, 0),
    "ingest_order_events": (2400, 2400, 0),
    "bronze_to_silver": (4211, 4188, 0),
    "silver_to_gold": (4188, 2050, 0),
    "publish_gold": (4, 4, 0),
}


def run_id(name: str) -> str:
    return "wr_" + hashlib.sha256(name.encode()).hexdigest()


def job_run_id(run: str, job: str) -> str:
    return "jr_" + hashlib.sha256(f"{run}/{job}".encode()).hexdigest()


def dq_outcome(
    table: str,
    rule: str,
    outcome: str = "Passed",
    *,
    severity: str = "halt",
    action: str | None = None,
    reason: str | None = None,
    metrics: dict[str, float] | None = None,
    rows_quarantined: int = 0,
) -> dict[str, Any]:
    layer, name = table.split(".")
    return {
        "layer": layer,
        "table": name,
        "dataset": table,
        "rule": rule,
        "outcome": outcome,
        "severity": severity,
        "action": action or severity,
        "failure_reason": reason,
        "metrics": metrics or {},
        "labels": {"layer": layer, "table": name},
        "rows_quarantined": rows_quarantined,
    }


def passing(n: int, table: str = "bronze.snowflake_orders") -> list[dict[str, Any]]:
    return [dq_outcome(table, f'IsComplete "col_{i}"') for i in range(n)]


class RunBuilder:
    """Writes one run folder: workflow_run.json plus a job-run record per node that ran."""

    def __init__(self, lake: Path, name: str, *, started: datetime = T0) -> None:
        self.lake = lake
        self.run_id = run_id(name)
        self.started = started
        self.nodes: list[dict[str, Any]] = []
        self.clock = started
        self.dir = lake / "_runs" / self.run_id

    def job(
        self,
        job: str,
        state: str = "SUCCEEDED",
        *,
        seconds: float = 4.0,
        dq: list[dict[str, Any]] | None = None,
        error: str | None = None,
        node_state: str | None = None,
        node_details: bool = True,
        carried_over_from: str | None = None,
        write_record: bool = True,
    ) -> RunBuilder:
        """A node; ``node_state`` is what the workflow record says when it differs from the
        job-run record (e.g. RUNNING after a crash)."""
        if state in ("NOT_RUN", "WAITING"):
            self.nodes.append({"job_name": job, "state": state, "details": {}})
            return self
        owner = carried_over_from or self.run_id
        jr = job_run_id(owner, job)
        start, self.clock = self.clock, self.clock + timedelta(seconds=seconds)
        read, written, quarantined = ROWS.get(job, (None, None, None))
        final = state != "RUNNING"
        record = {
            "job_name": job,
            "job_run_id": jr,
            "run_id": owner,
            "workflow_name": "daily_batch",
            "batch_date": "2026-03-01",
            "mode": "local",
            "state": state,
            "started_at": start.isoformat(),
            "ended_at": self.clock.isoformat() if final else None,
            "duration_s": seconds if final else None,
            "metrics": {}
            if read is None
            else {"rows_read": read, "rows_written": written, "rows_quarantined": quarantined},
            "inputs": [],
            "outputs": [],
            "dq": dq or [],
            "error": error,
            "traceback": "Traceback (most recent call last):\n  ..." if error else None,
        }
        if write_record:
            path = self.lake / "_runs" / owner / "jobs" / f"{jr}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(record, indent=2))
        shown = node_state or state
        running = shown == "RUNNING"
        self.nodes.append(
            {
                "job_name": job,
                "state": shown,
                "job_run_id": jr,
                "started_at": record["started_at"],
                "ended_at": None if running else record["ended_at"],
                "duration_s": None if running else record["duration_s"],
                "rows_read": None if running or not node_details else read,
                "rows_written": None if running or not node_details else written,
                "error": None if running else error,
                "fired_by": "daily_batch_start" if job in INGEST else "bronze_ready",
                "carried_over_from": carried_over_from,
                "details": record if node_details and not running else {},
            }
        )
        return self

    def write(
        self, status: str = "COMPLETED", *, pid: int = 1, resumed_from: str | None = None
    ) -> str:
        counts: dict[str, int] = {}
        for n in self.nodes:
            counts[n["state"]] = counts.get(n["state"], 0) + 1
        failed = [n["job_name"] for n in self.nodes if n["state"] in ("FAILED", "TIMEOUT")]
        ended = None if status == "RUNNING" else self.clock + timedelta(seconds=1)
        record = {
            "workflow_name": "daily_batch",
            "run_id": self.run_id,
            "status": status,
            "ok": not failed,
            "batch_date": "2026-03-01",
            "resumed_from": resumed_from,
            "pid": pid,
            "started_at": self.started.isoformat(),
            "ended_at": ended and ended.isoformat(),
            "duration_s": ended and (ended - self.started).total_seconds(),
            "counts": counts,
            "failed_nodes": failed,
            "fired_triggers": ["daily_batch_start"],
            "nodes": self.nodes,
        }
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "workflow_run.json").write_text(json.dumps(record, indent=2))
        (self.dir / "run_properties.json").write_text(
            json.dumps({"run_id": self.run_id, "batch_date": "2026-03-01"})
        )
        return self.run_id


def clean_run(lake: Path, name: str = "clean", started: datetime = T0) -> str:
    run = RunBuilder(lake, name, started=started)
    for job in INGEST:
        run.job(job)
    warn = dq_outcome(
        "bronze.hubspot_contacts",
        'ColumnValues "country" in ["DE","FR"]',
        "Failed",
        severity="warn",
        reason="Value: 0.97 does not meet the constraint requirement!",
        metrics={"Column.country.ColumnValues.Compliance": 0.97},
    )
    run.job("dq_bronze", dq=[*passing(38), warn])
    for job in DOWNSTREAM[1:]:
        run.job(job, dq=passing(20, "silver.orders") if job.startswith("dq_") else None)
    run.job("publish_gold").job("notify_failure", "NOT_RUN")
    (run.dir).mkdir(parents=True, exist_ok=True)
    (run.dir / "lineage.jsonl").write_text("{}\n")
    (run.dir / "metrics.jsonl").write_text("{}\n")
    return run.write()


GATE_ERROR = (
    "DqGateFailed: bronze gate: 2 rule(s) failed [halt] on bronze.snowflake_orders\n"
    "second line of the message with [bold]markup-like[/bold] text"
)


def failed_run(lake: Path, name: str = "failed", started: datetime = T0) -> str:
    run = RunBuilder(lake, name, started=started)
    for job in INGEST:
        run.job(job)
    dq = [
        *passing(12),
        dq_outcome(
            "bronze.snowflake_orders",
            'IsComplete "contact_id"',
            "Failed",
            reason="Value: 0.98 does not meet the constraint requirement!",
            metrics={"Column.contact_id.Completeness": 0.98},
        ),
        dq_outcome(
            "bronze.snowflake_orders",
            'ColumnValues "amount" >= 0',
            "Failed",
            reason="Value: -12.5 does not meet the constraint requirement!",
            metrics={"Column.amount.Minimum": -12.5},
        ),
        dq_outcome(
            "bronze.snowflake_orders",
            'ColumnValues "currency" in ["EUR","USD"]',
            "Failed",
            action="quarantine",
            reason="3 rows do not match",
            rows_quarantined=3,
        ),
    ]
    # The workflow record has no details for the gate: the job-run record fills them in.
    run.job("dq_bronze", "FAILED", dq=dq, error=GATE_ERROR, node_details=False)
    for job in [*DOWNSTREAM[1:], "publish_gold"]:
        run.job(job, "NOT_RUN")
    run.job("notify_failure")
    return run.write()


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def crashed_run(lake: Path, name: str = "crashed") -> str:
    run = RunBuilder(lake, name)
    for job in INGEST[:4]:
        run.job(job)
    # Finished (its own record says so) but the runner died before writing that down.
    run.job("ingest_order_events", node_state="RUNNING")
    run.job("dq_bronze", "RUNNING")
    for job in [*DOWNSTREAM[1:], "publish_gold", "notify_failure"]:
        run.job(job, "WAITING")
    return run.write("RUNNING", pid=dead_pid())


def render(view_or_runs: Any, width: int = 200) -> str:
    console = Console(record=True, width=width)
    if isinstance(view_or_runs, list):
        render_run_list(view_or_runs, console)
    else:
        render_run(view_or_runs, console)
    return console.export_text()


def row(text: str, job: str) -> str:
    """The node-table line of ``job``."""
    return next(line for line in text.splitlines() if f" {job} " in line)


# ---------------------------------------------------------------- show one run


def test_clean_run_shows_every_job_rows_and_dq_warnings(tmp_path: Path) -> None:
    rid = clean_run(tmp_path)
    view = load_run(tmp_path, rid)
    text = render(view)

    assert f"daily_batch  run {rid}  batch 2026-03-01  COMPLETED" in text
    assert "started 2026-03-02 02:00:00 UTC" in text
    for job in [*INGEST, *DOWNSTREAM, "publish_gold"]:
        assert "SUCCEEDED" in row(text, job)
    assert "NOT_RUN" in row(text, "notify_failure")
    orders = row(text, "ingest_snowflake_orders")
    assert "1,200" in orders and "1,180" in orders and " 20 " in orders
    assert "38 passed · 1 warn" in row(text, "dq_bronze")
    assert "20 passed" in row(text, "dq_silver")
    assert "11 succeeded, 1 not run" in text
    assert "DQ warnings" in text
    assert (
        'bronze.hubspot_contacts  ColumnValues "country" in ["DE","FR"]  → Value: 0.97 does not '
        "meet the constraint requirement! (Column.country.ColumnValues.Compliance=0.97)"
    ) in text
    assert "failed DQ rules" not in text
    assert "resume" not in text
    assert f"lineage: {tmp_path / '_runs' / rid / 'lineage.jsonl'}" in text
    assert f"metrics: {tmp_path / '_runs' / rid / 'metrics.jsonl'}" in text
    assert view.ok is True and view.result == "ok"


def test_run_failed_at_the_bronze_gate(tmp_path: Path) -> None:
    rid = failed_run(tmp_path)
    view = load_run(tmp_path, rid)
    text = render(view)

    for job in INGEST:
        assert "SUCCEEDED" in row(text, job)
    gate = row(text, "dq_bronze")
    assert "FAILED" in gate
    assert "12 passed · 2 FAILED · 1 quarantined" in gate  # filled in from the job-run record
    assert "DqGateFailed: bronze gate: 2 rule(s)" in gate
    for job in [*DOWNSTREAM[1:], "publish_gold"]:
        assert "NOT_RUN" in row(text, job)
    assert "SUCCEEDED" in row(text, "notify_failure")
    assert "6 succeeded, 1 failed, 5 not run" in text

    halt_section = text.split("failed DQ rules (halt):")[1].split("\n\n")[0]
    assert (
        'bronze.snowflake_orders  IsComplete "contact_id"  → Value: 0.98 does not meet the '
        "constraint requirement! (Column.contact_id.Completeness=0.98)"
    ) in halt_section
    assert "Column.amount.Minimum=-12.5" in halt_section
    assert "currency" not in halt_section
    assert "3 row(s) quarantined" in text.split("quarantined rows:")[1]
    # The full error, markup-like text printed literally, and where the traceback is.
    assert "second line of the message with [bold]markup-like[/bold] text" in text
    assert f"traceback: {tmp_path / '_runs' / rid / 'jobs'}" in text
    assert f"resume with: lakehouse workflow resume {rid}" in text
    assert view.result == "1 failed" and view.ok is False


def test_crashed_run_is_shown_as_runner_died_with_the_resume_hint(tmp_path: Path) -> None:
    rid = crashed_run(tmp_path)
    view = load_run(tmp_path, rid)
    text = render(view)

    assert view.status == "RUNNER DIED"
    assert "RUNNER DIED" in text and "is gone" in text
    assert "KILLED" in row(text, "dq_bronze")
    # The workflow record stopped at RUNNING, the job-run record knows it succeeded.
    events = row(text, "ingest_order_events")
    assert "SUCCEEDED" in events and "2,400" in events
    for job in [*DOWNSTREAM[1:], "publish_gold", "notify_failure"]:
        assert "NOT_RUN" in row(text, job)
    assert "5 succeeded, 1 killed, 6 not run" in text
    assert f"resume with: lakehouse workflow resume {rid}" in text


def test_a_run_whose_runner_is_alive_is_running_without_a_hint(tmp_path: Path) -> None:
    run = RunBuilder(tmp_path, "live")
    run.job(INGEST[0]).job(INGEST[1], "RUNNING")
    rid = run.write("RUNNING", pid=os.getpid())
    view = load_run(tmp_path, rid)
    text = render(view)

    assert view.status == "RUNNING" and view.ok is None
    assert "RUNNING" in row(text, INGEST[1])
    assert "KILLED" not in text and "resume" not in text


def test_resumed_run_marks_carried_over_nodes_and_reads_their_old_records(
    tmp_path: Path,
) -> None:
    old = failed_run(tmp_path)
    run = RunBuilder(tmp_path, "resumed", started=T0 + timedelta(hours=1))
    for job in INGEST:
        # The resumed record keeps only the old job run id; rows come from the old run's record.
        run.job(job, carried_over_from=old, node_details=False, write_record=False)
    run.job("dq_bronze", dq=passing(15))
    for job in DOWNSTREAM[1:]:
        run.job(job)
    run.job("publish_gold").job("notify_failure", "NOT_RUN")
    rid = run.write(resumed_from=old)
    view = load_run(tmp_path, rid)
    text = render(view)

    assert f"resumed from {old}" in text
    assert "carried over: " + ", ".join(INGEST) in text
    orders = row(text, "ingest_snowflake_orders")
    assert f"SUCCEEDED (from {old[:11]}…)" in orders
    assert "1,200" in orders and "1,180" in orders
    assert "SUCCEEDED (from" not in row(text, "dq_bronze")
    assert "11 succeeded (5 carried over), 1 not run" in text
    assert view.to_dict()["carried_over"] == dict.fromkeys(INGEST, old)


def test_to_dict_is_json_for_machines(tmp_path: Path) -> None:
    data = load_run(tmp_path, failed_run(tmp_path)).to_dict()
    data = json.loads(json.dumps(data))

    assert data["status"] == "COMPLETED" and data["result"] == "1 failed"
    assert data["failed_nodes"] == ["dq_bronze"]
    assert {n["job_name"]: n["state"] for n in data["nodes"]}["bronze_to_silver"] == "NOT_RUN"
    assert len(data["dq_failures"]) == 2 and len(data["dq_quarantined"]) == 1
    assert data["resume_command"].startswith("lakehouse workflow resume wr_")


# ---------------------------------------------------------------- list runs


def test_list_runs_newest_first_with_limit(tmp_path: Path) -> None:
    # Folder names sort differently from the start times.
    middle = failed_run(tmp_path, "b", started=T0 + timedelta(days=1))
    oldest = clean_run(tmp_path, "c", started=T0)
    newest = clean_run(tmp_path, "a", started=T0 + timedelta(days=2))

    runs = list_runs(tmp_path)
    assert [r.run_id for r in runs] == [newest, middle, oldest]
    assert [r.run_id for r in list_runs(tmp_path, limit=2)] == [newest, middle]
    assert [r.result for r in runs] == ["ok", "1 failed", "ok"]

    text = render(runs, width=160)  # what cli.py uses when piped
    failed_line = row(text, short_run_id(middle))
    assert "daily_batch" in failed_line and "2026-03-01" in failed_line
    assert "COMPLETED" in failed_line and "1 failed" in failed_line
    assert "2026-03-03 02:00:00" in failed_line
    assert "6 succeeded, 1 failed, 5 not run" in failed_line
    assert "11 succeeded, 1 not run" in row(text, short_run_id(newest))


def test_list_runs_shows_resumed_from_and_dead_runners(tmp_path: Path) -> None:
    old = failed_run(tmp_path)
    crashed = crashed_run(tmp_path)
    run = RunBuilder(tmp_path, "resumed", started=T0 + timedelta(hours=2))
    run.job(INGEST[0], carried_over_from=old, node_details=False, write_record=False)
    resumed = run.write(resumed_from=old)

    text = render(list_runs(tmp_path))
    assert short_run_id(old) in row(text, short_run_id(resumed))
    assert "RUNNER DIED" in row(text, short_run_id(crashed))


def test_no_runs_yet(tmp_path: Path) -> None:
    assert list_runs(tmp_path) == []
    assert "no workflow runs yet" in render([])


# ---------------------------------------------------------------- errors and lookup


def test_unknown_run_id_lists_the_five_newest(tmp_path: Path) -> None:
    ids = [clean_run(tmp_path, f"r{i}", started=T0 + timedelta(hours=i)) for i in range(7)]

    with pytest.raises(RunNotFound) as caught:
        load_run(tmp_path, "wr_nope")
    message = str(caught.value)
    assert "wr_nope" in message
    assert all(rid in message for rid in ids[2:])
    assert ids[0] not in message and ids[1] not in message
    assert message.index(ids[6]) < message.index(ids[2])  # newest first


def test_unknown_run_id_in_an_empty_lake(tmp_path: Path) -> None:
    with pytest.raises(RunNotFound, match="no workflow runs"):
        load_run(tmp_path, "wr_nope")


def test_a_short_id_or_unique_prefix_finds_the_run(tmp_path: Path) -> None:
    rid = clean_run(tmp_path)
    failed_run(tmp_path)
    assert load_run(tmp_path, short_run_id(rid)).run_id == rid
    assert load_run(tmp_path, rid[:12]).run_id == rid
    with pytest.raises(RunNotFound, match="ambiguous"):
        load_run(tmp_path, "wr_")


def test_corrupt_records_name_the_file(tmp_path: Path) -> None:
    rid = clean_run(tmp_path)
    record = tmp_path / "_runs" / rid / "workflow_run.json"
    record.write_text('{"workflow_name": "daily_batch", "nodes": [')
    with pytest.raises(RunRecordError, match=str(record)):
        load_run(tmp_path, rid)
    with pytest.raises(RunRecordError, match="not valid JSON"):
        list_runs(tmp_path)


def test_corrupt_job_run_record_names_the_file(tmp_path: Path) -> None:
    rid = failed_run(tmp_path)
    job_file = next((tmp_path / "_runs" / rid / "jobs").glob("*.json"))
    job_file.write_text("not json")
    with pytest.raises(RunRecordError, match=str(job_file)):
        load_run(tmp_path, rid)
