"""Before a resume: settle what the earlier run left behind.

A run whose record still says RUNNING either is running (its runner process is alive: refuse)
or was killed (``kill -9``, a lost machine). For a killed run, the jobs that were running are
marked STOPPED, their job-run records too, and an OpenLineage ABORT event is emitted for each,
so lineage shows the killed job runs ended.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace
from pathlib import Path

from lakehouse import lineage, runtime

from .record import run_dir, save_run_record
from .runner import NodeState, WorkflowRunResult

KILLED = "the runner process died while this job ran (found at resume)"


class ResumeRefused(RuntimeError):
    """The run is still going; resuming it would run its jobs twice."""


def runner_alive(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def settle_previous_run(lake_root: str, previous: WorkflowRunResult) -> WorkflowRunResult:
    """The run, with a killed run's leftovers settled (and saved); see the module docs."""
    if previous.status != "RUNNING":
        return previous
    if runner_alive(previous.pid):
        raise ResumeRefused(
            f"run {previous.run_id} is still running (runner pid {previous.pid}); "
            "wait for it or stop it first"
        )
    now = dt.datetime.now(dt.UTC)
    emitter = lineage.emitter_from_config(None, run_dir=run_dir(lake_root, previous.run_id))
    nodes = []
    for node in previous.nodes:
        if node.state == NodeState.RUNNING:
            record = _abort_job_record(lake_root, previous.run_id, node.job_run_id, now)
            if record is not None:
                emitter.emit(lineage.build_event(record, "ABORT"))
            node = replace(node, state=NodeState.STOPPED, error=KILLED, ended_at=now,
                           details=record or node.details)  # fmt: skip
        elif node.state == NodeState.WAITING:
            node = replace(node, state=NodeState.NOT_RUN)
        nodes.append(node)
    settled = replace(previous, nodes=nodes, status="STOPPED", ended_at=now)
    save_run_record(lake_root, settled)
    return settled


def _abort_job_record(
    lake_root: str, run_id: str, job_run_id: str | None, now: dt.datetime
) -> dict | None:
    if job_run_id is None:
        return None
    path = runtime.job_record_path(lake_root, run_id, job_run_id)
    if not Path(path).exists():
        return None
    record = json.loads(Path(path).read_text())
    if record["state"] != "RUNNING":
        return record
    started = dt.datetime.fromisoformat(record["started_at"])
    record.update(state="STOPPED", error=KILLED, ended_at=now.isoformat(),
                  duration_s=round((now - started).total_seconds(), 3))  # fmt: skip
    runtime.write_job_record(lake_root, record)
    return record
