"""The local runner's record of a workflow run: ``<lake>/_runs/<run_id>/workflow_run.json``.

:class:`RunRecorder` rewrites it (atomically) at every event of the run, so it exists while the
run goes on and tells, after a crash, which jobs had finished and which were running.
:func:`load_run_record` reads it back for ``workflow resume`` and ``runs show``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .definition import WorkflowDefinition
from .runner import NodeResult, NodeState, RunListener, WorkflowRunResult

RECORD_NAME = "workflow_run.json"


def run_dir(lake_root: str | Path, run_id: str) -> Path:
    return Path(lake_root) / "_runs" / run_id


def save_run_record(lake_root: str | Path, result: WorkflowRunResult) -> Path:
    folder = run_dir(lake_root, result.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RECORD_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result.to_dict(), indent=2, default=str))
    tmp.replace(path)
    return path


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def node_from_dict(data: dict[str, Any]) -> NodeResult:
    return NodeResult(
        job_name=data["job_name"],
        state=NodeState(data["state"]),
        job_run_id=data.get("job_run_id"),
        started_at=_time(data.get("started_at")),
        ended_at=_time(data.get("ended_at")),
        duration_s=data.get("duration_s"),
        rows_read=data.get("rows_read"),
        rows_written=data.get("rows_written"),
        error=data.get("error"),
        fired_by=data.get("fired_by"),
        details=dict(data.get("details") or {}),
        carried_over_from=data.get("carried_over_from"),
    )


def load_run_record(lake_root: str | Path, run_id: str) -> WorkflowRunResult:
    """The saved run; raises FileNotFoundError naming the run when there is none."""
    path = run_dir(lake_root, run_id) / RECORD_NAME
    if not path.exists():
        raise FileNotFoundError(f"no workflow run {run_id} in {Path(lake_root) / '_runs'}")
    data = json.loads(path.read_text())
    return WorkflowRunResult(
        workflow_name=data["workflow_name"],
        run_id=data["run_id"],
        started_at=_time(data["started_at"]),
        ended_at=_time(data.get("ended_at")),
        status=data["status"],
        nodes=[node_from_dict(n) for n in data["nodes"]],
        fired_triggers=list(data.get("fired_triggers") or []),
        batch_date=data.get("batch_date"),
        resumed_from=data.get("resumed_from"),
        pid=data.get("pid"),
    )


class RunRecorder(RunListener):
    """Keeps ``workflow_run.json`` current during a run."""

    def __init__(self, lake_root: str | Path) -> None:
        self.lake_root = lake_root
        self.result: WorkflowRunResult | None = None
        self._lock = threading.Lock()

    def _save(self) -> None:
        if self.result is not None:
            save_run_record(self.lake_root, self.result)

    def run_started(self, workflow: WorkflowDefinition, run: WorkflowRunResult) -> None:
        with self._lock:
            self.result = run
            self._save()

    def _update(self, node: NodeResult) -> None:
        with self._lock:
            if self.result is None:
                return
            self.result.nodes = [
                replace(node, details=dict(node.details)) if n.job_name == node.job_name else n
                for n in self.result.nodes
            ]
            self._save()

    def job_started(self, node: NodeResult) -> None:
        self._update(node)

    def job_ended(self, node: NodeResult) -> None:
        self._update(node)

    def run_ended(self, result: WorkflowRunResult) -> None:
        with self._lock:
            self.result = result
            self._save()


class Listeners(RunListener):
    """Passes every event to several listeners, in order."""

    def __init__(self, *listeners: RunListener) -> None:
        self.listeners = listeners

    def run_started(self, workflow: WorkflowDefinition, run: WorkflowRunResult) -> None:
        for listener in self.listeners:
            listener.run_started(workflow, run)

    def trigger_fired(self, trigger_name: str, job_names: list[str]) -> None:
        for listener in self.listeners:
            listener.trigger_fired(trigger_name, job_names)

    def job_started(self, node: NodeResult) -> None:
        for listener in self.listeners:
            listener.job_started(node)

    def job_ended(self, node: NodeResult) -> None:
        for listener in self.listeners:
            listener.job_ended(node)

    def run_ended(self, result: WorkflowRunResult) -> None:
        for listener in self.listeners:
            listener.run_ended(result)
