"""Read workflow-run records from the lake and show them like the Glue console's run view.

A run lives in ``<lake>/_runs/<run id>/``: ``workflow_run.json`` (written by the local runner
after every node event) and one ``jobs/<job run id>.json`` per job run (written by the job).
The job-run records fill in what a node of the workflow record lacks, e.g. the end of a job whose
runner died before it could record it. A run still ``RUNNING`` whose runner process is gone is
shown as ``RUNNER DIED``, its running jobs as ``KILLED``.
"""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lakehouse.workflow.progress import STATE_STYLES, _seconds, first_line

RUNNER_DIED = "RUNNER DIED"
KILLED = "KILLED"  # a job that was RUNNING when its runner died
FINAL_JOB_STATES = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT"})
BAD_STATES = frozenset({"FAILED", "TIMEOUT", "STOPPED", KILLED})
RECENT_IDS_SHOWN = 5
_VERDICT_LABELS = (
    ("FAILED", "failed"),
    ("TIMEOUT", "timed out"),
    ("STOPPED", "stopped"),
    (KILLED, "killed"),
    ("RUNNING", "running"),
    ("WAITING", "waiting"),
    ("NOT_RUN", "not run"),
)
_STYLES = {**STATE_STYLES, KILLED: "bold red"}


class RunNotFound(LookupError):
    """No run with that id (the message lists the newest run ids)."""


class RunRecordError(RuntimeError):
    """A run record that cannot be read (the message names the file)."""


# ---------------------------------------------------------------- values


@dataclass
class DqOutcome:
    """One DQ rule outcome of a dq_gate job."""

    dataset: str
    rule: str
    outcome: str
    kind: str  # passed | halt | warn | quarantine
    failure_reason: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    rows_quarantined: int | None = None

    @classmethod
    def from_record(cls, item: dict[str, Any]) -> DqOutcome:
        dataset = item.get("dataset") or ".".join(
            p for p in (item.get("layer"), item.get("table")) if p
        )
        action = item.get("action")
        if item.get("outcome") == "Passed":
            kind = "passed"
        elif action in ("halt", "warn", "quarantine"):  # the gate's verdict on a failed rule
            kind = str(action)
        else:
            kind = "warn" if item.get("severity") == "warn" else "halt"
        return cls(
            dataset=str(dataset),
            rule=str(item.get("rule", "")),
            outcome=str(item.get("outcome", "")),
            kind=kind,
            failure_reason=item.get("failure_reason"),
            metrics=dict(item.get("metrics") or {}),
            rows_quarantined=item.get("rows_quarantined"),
        )

    def line(self) -> str:
        """``layer.table  rule  → failure reason (metric=value)``."""
        text = f"{self.dataset}  {self.rule}  → {self.failure_reason or self.outcome}"
        if self.metrics:
            text += f" ({', '.join(f'{k}={_number(v)}' for k, v in self.metrics.items())})"
        if self.kind == "quarantine" and self.rows_quarantined:
            text += f"; {self.rows_quarantined:,} row(s) quarantined"
        return text


@dataclass
class NodeView:
    """One job node of a run, merged from the workflow record and its job-run record."""

    job_name: str
    state: str  # as recorded (or as the job-run record finished it)
    display_state: str  # what to show: KILLED / NOT_RUN for jobs of a run whose runner died
    job_run_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    rows_read: int | None = None
    rows_written: int | None = None
    rows_quarantined: int | None = None
    error: str | None = None
    fired_by: str | None = None
    carried_over_from: str | None = None
    dq: list[DqOutcome] = field(default_factory=list)
    record_path: Path | None = None  # the job-run record, when found
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.display_state in BAD_STATES

    def dq_summary(self) -> str:
        """E.g. ``38 passed · 1 warn`` or ``12 passed · 2 FAILED · 1 quarantined``."""
        if not self.dq:
            return ""
        kinds = [o.kind for o in self.dq]
        parts = [f"{kinds.count('passed')} passed"]
        for kind, label in (("halt", "FAILED"), ("warn", "warn"), ("quarantine", "quarantined")):
            if kinds.count(kind):
                parts.append(f"{kinds.count(kind)} {label}")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_name": self.job_name,
            "state": self.display_state,
            "recorded_state": self.state,
            "job_run_id": self.job_run_id,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "duration_s": self.duration_s,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_quarantined": self.rows_quarantined,
            "dq_summary": self.dq_summary() or None,
            "error": self.error,
            "fired_by": self.fired_by,
            "carried_over_from": self.carried_over_from,
            "record_path": None if self.record_path is None else str(self.record_path),
            "details": self.details,
        }


@dataclass
class RunView:
    """A workflow run as the run view shows it."""

    run_id: str
    workflow_name: str
    batch_date: str | None
    status: str  # COMPLETED | STOPPED | RUNNING | RUNNER DIED
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    resumed_from: str | None
    pid: int | None
    nodes: list[NodeView]
    run_dir: Path

    @property
    def failed_nodes(self) -> list[NodeView]:
        return [n for n in self.nodes if n.failed]

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"

    @property
    def ok(self) -> bool | None:
        """True when finished with no failed node; None while running."""
        if self.running:
            return None
        return self.status == "COMPLETED" and not self.failed_nodes

    @property
    def result(self) -> str:
        """``ok``, ``N failed``, ``running`` or ``incomplete``."""
        if self.failed_nodes:
            return f"{len(self.failed_nodes)} failed"
        return {True: "ok", None: "running"}.get(self.ok, "incomplete")

    @property
    def carried_over(self) -> list[NodeView]:
        return [n for n in self.nodes if n.carried_over_from]

    @property
    def resume_command(self) -> str | None:
        """The command that carries on after a failed, stopped or dead run."""
        if self.ok is False:
            return f"lakehouse workflow resume {self.run_id}"
        return None

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for n in self.nodes:
            result[n.display_state] = result.get(n.display_state, 0) + 1
        return result

    def verdict(self) -> str:
        """E.g. ``9 succeeded (5 carried over), 1 failed, 3 not run``."""
        counts = self.counts()
        first = f"{counts.get('SUCCEEDED', 0)} succeeded"
        if self.carried_over:
            first += f" ({len(self.carried_over)} carried over)"
        parts = [first]
        parts += [f"{counts[s]} {label}" for s, label in _VERDICT_LABELS if counts.get(s)]
        return ", ".join(parts)

    def files(self) -> dict[str, Path]:
        """The lineage and metrics files of the run that exist."""
        found = {}
        for name in ("lineage.jsonl", "metrics.jsonl"):
            path = self.run_dir / name
            if path.is_file():
                found[name.split(".")[0]] = path
        return found

    def summary(self) -> RunSummary:
        return RunSummary(
            run_id=self.run_id,
            workflow_name=self.workflow_name,
            batch_date=self.batch_date,
            status=self.status,
            result=self.result,
            ok=self.ok,
            started_at=self.started_at,
            duration_s=self.duration_s,
            verdict=self.verdict(),
            resumed_from=self.resumed_from,
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything the view shows, JSON-ready (for ``--json``)."""
        dq = [o for n in self.nodes for o in n.dq]
        return {
            **self.summary().to_dict(),
            "ended_at": _iso(self.ended_at),
            "pid": self.pid,
            "run_dir": str(self.run_dir),
            "counts": self.counts(),
            "failed_nodes": [n.job_name for n in self.failed_nodes],
            "carried_over": {n.job_name: n.carried_over_from for n in self.carried_over},
            "dq_failures": [o.line() for o in dq if o.kind == "halt"],
            "dq_warnings": [o.line() for o in dq if o.kind == "warn"],
            "dq_quarantined": [o.line() for o in dq if o.kind == "quarantine"],
            "files": {k: str(v) for k, v in self.files().items()},
            "resume_command": self.resume_command,
            "nodes": [n.to_dict() for n in self.nodes],
        }


@dataclass
class RunSummary:
    """One line of the run list."""

    run_id: str
    workflow_name: str
    batch_date: str | None
    status: str
    result: str
    ok: bool | None
    started_at: datetime | None
    duration_s: float | None
    verdict: str
    resumed_from: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "workflow_name": self.workflow_name,
            "batch_date": self.batch_date,
            "status": self.status,
            "result": self.result,
            "ok": self.ok,
            "started_at": _iso(self.started_at),
            "duration_s": self.duration_s,
            "verdict": self.verdict,
            "resumed_from": self.resumed_from,
        }


# ---------------------------------------------------------------- reading


def runs_dir(lake_root: str | Path) -> Path:
    return Path(lake_root) / "_runs"


def list_runs(lake_root: str | Path, limit: int | None = None) -> list[RunSummary]:
    """The workflow runs of the lake, newest first (by ``started_at``), at most ``limit``.

    A record that cannot be read raises :class:`RunRecordError` naming the file.
    """
    ordered = _records_newest_first(lake_root)
    if limit is not None:
        ordered = ordered[: max(limit, 0)]
    return [_view(lake_root, path, record).summary() for path, record in ordered]


def load_run(lake_root: str | Path, run_id: str) -> RunView:
    """One run by its id (or a unique prefix of it, as the short ids shown are)."""
    base = runs_dir(lake_root)
    wanted = run_id.strip().rstrip("…")
    if not wanted or "/" in wanted or os.sep in wanted:
        raise RunNotFound(_not_found_message(lake_root, run_id, []))
    path = base / wanted / "workflow_run.json"
    if not path.is_file():
        matches = sorted(base.glob(f"{glob.escape(wanted)}*/workflow_run.json"))
        if len(matches) != 1:
            raise RunNotFound(_not_found_message(lake_root, run_id, matches))
        path = matches[0]
    return _view(lake_root, path, _read_json(path))


def _records_newest_first(lake_root: str | Path) -> list[tuple[Path, dict[str, Any]]]:
    found = [(p, _read_json(p)) for p in runs_dir(lake_root).glob("wr_*/workflow_run.json")]

    def started(item: tuple[Path, dict[str, Any]]) -> float:
        when = _time(item[1].get("started_at"))
        return when.timestamp() if when is not None else item[0].stat().st_mtime

    return sorted(found, key=started, reverse=True)


def _not_found_message(lake_root: str | Path, run_id: str, matches: list[Path]) -> str:
    if matches:
        ids = ", ".join(p.parent.name for p in matches[:RECENT_IDS_SHOWN])
        more = ", …" if len(matches) > RECENT_IDS_SHOWN else ""
        return f"run id {run_id!r} is ambiguous: {len(matches)} runs start with it ({ids}{more})"
    try:
        recent = [p.parent.name for p, _ in _records_newest_first(lake_root)][:RECENT_IDS_SHOWN]
    except RunRecordError:
        recent = sorted(p.parent.name for p in runs_dir(lake_root).glob("wr_*/workflow_run.json"))
    where = runs_dir(lake_root)
    if not recent:
        return f"no run {run_id!r}: there are no workflow runs in {where}"
    return f"no run {run_id!r} in {where}; the newest runs are: " + ", ".join(recent)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RunRecordError(f"{path}: not valid JSON ({exc})") from None
    except OSError as exc:
        raise RunRecordError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not isinstance(data, dict):
        raise RunRecordError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _job_records(run_dir: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The job-run records of one run, by job run id."""
    records = {}
    for path in sorted((run_dir / "jobs").glob("*.json")):
        record = _read_json(path)
        records[str(record.get("job_run_id") or path.stem)] = (path, record)
    return records


def _pid_alive(pid: Any) -> bool | None:
    """Whether process ``pid`` runs on this machine; None when there is no usable pid."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _view(lake_root: str | Path, path: Path, record: dict[str, Any]) -> RunView:
    run_dir = path.parent
    status = str(record.get("status") or "RUNNING")
    runner_died = status == "RUNNING" and _pid_alive(record.get("pid")) is False
    jobs = _job_records(run_dir)
    other_runs: dict[str, dict[str, tuple[Path, dict[str, Any]]]] = {}
    nodes = []
    for node in record.get("nodes") or []:
        source = node.get("carried_over_from")
        if source and node.get("job_run_id") not in jobs:
            if source not in other_runs:
                try:
                    other_runs[source] = _job_records(runs_dir(lake_root) / source)
                except RunRecordError:
                    other_runs[source] = {}
            found = other_runs[source].get(str(node.get("job_run_id")))
        else:
            found = _job_record_for(node, jobs)
        nodes.append(_node(node, found, runner_died))
    properties = run_dir / "run_properties.json"
    props = _read_json(properties) if properties.is_file() else {}
    batch_date = record.get("batch_date") or props.get("batch_date")
    batch_date = batch_date or next(
        (n.details.get("batch_date") for n in nodes if n.details.get("batch_date")), None
    )
    return RunView(
        run_id=str(record.get("run_id") or run_dir.name),
        workflow_name=str(record.get("workflow_name") or props.get("workflow_name") or "?"),
        batch_date=batch_date,
        status=RUNNER_DIED if runner_died else status,
        started_at=_time(record.get("started_at")),
        ended_at=_time(record.get("ended_at")),
        duration_s=record.get("duration_s"),
        resumed_from=record.get("resumed_from") or props.get("resumed_from") or None,
        pid=record.get("pid"),
        nodes=nodes,
        run_dir=run_dir,
    )


def _job_record_for(
    node: dict[str, Any], jobs: dict[str, tuple[Path, dict[str, Any]]]
) -> tuple[Path, dict[str, Any]] | None:
    """The node's job-run record: by job run id, else the latest of the same job name."""
    if node.get("job_run_id"):
        return jobs.get(str(node["job_run_id"]))
    same = [j for j in jobs.values() if j[1].get("job_name") == node.get("job_name")]
    return max(same, key=lambda j: str(j[1].get("started_at") or ""), default=None)


def _node(
    node: dict[str, Any], found: tuple[Path, dict[str, Any]] | None, runner_died: bool
) -> NodeView:
    state = str(node.get("state") or "WAITING")
    details = dict(node.get("details") or {})
    path, job = found if found is not None else (None, {})
    job_state = str(job.get("state") or "")
    newer = state in ("RUNNING", "WAITING") and job_state in FINAL_JOB_STATES
    if job and (not details or newer):
        details = job
    if newer:
        state = job_state
    merged = {**job, **{k: v for k, v in node.items() if v is not None}} if job else dict(node)
    if newer:  # the job record knows how it ended; the workflow record stopped at RUNNING
        merged.update({k: job.get(k) for k in ("state", "ended_at", "duration_s", "error")})
    metrics = details.get("metrics") or {}
    display = state
    if runner_died and state == "RUNNING":
        display = KILLED
    elif runner_died and state == "WAITING":
        display = "NOT_RUN"
    elif node.get("carried_over_from"):
        display = "SUCCEEDED"
    return NodeView(
        job_name=str(node.get("job_name")),
        state=state,
        display_state=display,
        job_run_id=merged.get("job_run_id"),
        started_at=_time(merged.get("started_at")),
        ended_at=_time(merged.get("ended_at")),
        duration_s=merged.get("duration_s"),
        rows_read=_first(node.get("rows_read"), metrics.get("rows_read")),
        rows_written=_first(node.get("rows_written"), metrics.get("rows_written")),
        rows_quarantined=metrics.get("rows_quarantined"),
        error=merged.get("error"),
        fired_by=node.get("fired_by"),
        carried_over_from=node.get("carried_over_from"),
        dq=[DqOutcome.from_record(d) for d in details.get("dq") or [] if isinstance(d, dict)],
        record_path=path,
        details=details,
    )


# ---------------------------------------------------------------- rendering


def short_run_id(run_id: str | None) -> str:
    """``wr_`` + the first 8 hex digits of a Glue-shaped id; other ids unchanged."""
    if not run_id:
        return ""
    prefix, _, rest = run_id.partition("_")
    if len(rest) > 12 and all(c in "0123456789abcdef" for c in rest.lower()):
        return f"{prefix}_{rest[:8]}…"
    return run_id


def render_run_list(runs: list[RunSummary], console: Console) -> None:
    """A table of runs: short id, workflow, batch, status, result, start, duration, nodes and the
    run it resumed."""
    if not runs:
        console.print("no workflow runs yet (lakehouse workflow run daily_batch)")
        return
    table = Table(
        title="workflow runs, newest first (lakehouse runs show RUN_ID; a short id will do)",
        title_justify="left",
    )
    table.add_column("run id", no_wrap=True)
    for name in ("workflow", "batch date", "status", "result"):
        table.add_column(name, no_wrap=True)
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("duration", justify="right", no_wrap=True)
    table.add_column("nodes")
    table.add_column("resumed from", no_wrap=True)
    for run in runs:
        table.add_row(
            short_run_id(run.run_id),
            run.workflow_name,
            run.batch_date or "-",
            _status_text(run.status, run.ok),
            _result_text(run.result, run.ok),
            _utc(run.started_at),
            _seconds(run.duration_s),
            run.verdict,
            short_run_id(run.resumed_from),
        )
    console.print(table)


def render_run(view: RunView, console: Console) -> None:
    """The run header, the node table, then DQ failures, errors, files and the next step."""
    for line in _header(view):
        console.print(line, soft_wrap=True)
    console.print(_node_table(view))
    console.print(_verdict(view), soft_wrap=True)
    dq = [o for n in view.nodes for o in n.dq]
    for kind, title, style in (
        ("halt", "failed DQ rules (halt):", "red"),
        ("quarantine", "DQ rules that quarantined rows:", "yellow"),
        ("warn", "DQ warnings (did not fail the run):", "yellow"),
    ):
        outcomes = [o for o in dq if o.kind == kind]
        if outcomes:
            console.print(Text(f"\n{title}", style=f"bold {style}"))
            for outcome in outcomes:
                console.print(Text(f"  {outcome.line()}", style=style), soft_wrap=True)
    for node in view.failed_nodes:
        console.print(Text(f"\n{node.job_name} {node.display_state}", style="bold red"))
        if node.display_state == KILLED:
            console.print(Text("killed with its runner; the job never recorded an end"))
        if node.error:
            console.print(Text(node.error), soft_wrap=True)
        if node.record_path is not None and node.details.get("traceback"):
            console.print(Text(f"traceback: {node.record_path}", style="dim"), soft_wrap=True)
    files = view.files()
    if files:
        console.print()
        for name, path in files.items():
            console.print(Text(f"{name}: {path}"), soft_wrap=True)
    if view.resume_command:
        console.print(Text("\nresume with: ").append(view.resume_command, style="bold"))


def _header(view: RunView) -> list[Text]:
    title = Text(view.workflow_name, style="bold")
    title.append(f"  run {view.run_id}  batch {view.batch_date or '-'}  ")
    title.append_text(_status_text(view.status, view.ok))
    if view.status == RUNNER_DIED:
        title.append(f" (pid {view.pid} is gone; the run never finished)", style="red")
    elif view.running and view.pid:
        title.append(f" (pid {view.pid})", style="dim")
    lines = [title]
    timing = f"started {_utc(view.started_at)} UTC"
    if view.ended_at is not None:
        timing += f"  ended {_utc(view.ended_at)} UTC  duration {_seconds(view.duration_s)}"
    elif view.running and view.started_at is not None:
        elapsed = (datetime.now(UTC) - view.started_at).total_seconds()
        timing += f"  running for {_seconds(elapsed)}"
    lines.append(Text(timing))
    if view.resumed_from:
        resumed = Text(f"resumed from {view.resumed_from}")
        if view.carried_over:
            names = ", ".join(n.job_name for n in view.carried_over)
            resumed.append(f"; carried over: {names}", style="dim")
        lines.append(resumed)
    return lines


def _node_table(view: RunView) -> Table:
    # Only state, DQ and error may wrap, so a 160-column console still shows every column.
    table = Table(title="jobs (times in UTC)", title_justify="left")
    table.add_column("job", no_wrap=True)
    table.add_column("state")
    table.add_column("start", no_wrap=True)
    table.add_column("end", no_wrap=True)
    table.add_column("duration", justify="right", no_wrap=True)
    for name in ("rows read", "rows written", "quarantined"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("DQ")
    table.add_column("error", overflow="fold", style="red")
    for n in view.nodes:
        state = Text(n.display_state, style=_STYLES.get(n.display_state, ""))
        if n.carried_over_from:
            state.append(f" (from {short_run_id(n.carried_over_from)})", style="dim")
        table.add_row(
            n.job_name,
            state,
            _clock(n.started_at),
            _clock(n.ended_at),
            _node_duration(n),
            _count(n.rows_read),
            _count(n.rows_written),
            _count(n.rows_quarantined),
            _dq_text(n),
            Text(first_line(n.error)),
        )
    return table


def _node_duration(node: NodeView) -> str:
    if node.display_state == "RUNNING" and node.started_at is not None:
        return _seconds((datetime.now(UTC) - node.started_at).total_seconds())
    return _seconds(node.duration_s) if node.duration_s is not None else ""


def _verdict(view: RunView) -> Text:
    text = Text(f"{view.workflow_name} {view.status}: ")
    text.append(view.verdict(), style={True: "bold green", False: "bold red"}.get(view.ok, ""))
    return text


def _dq_text(node: NodeView) -> Text:
    summary = node.dq_summary()
    kinds = {o.kind for o in node.dq}
    style = "red" if "halt" in kinds else "yellow" if kinds - {"passed"} else "green"
    return Text(summary, style=style if summary else "")


def _status_text(status: str, ok: bool | None) -> Text:
    if status == "COMPLETED":
        style = "green" if ok else "yellow"
    else:
        style = {"RUNNING": "yellow", RUNNER_DIED: "bold red"}.get(status, "red")
    return Text(status, style=style)


def _result_text(result: str, ok: bool | None) -> Text:
    return Text(result, style={True: "green", False: "red"}.get(ok, "yellow"))


# ---------------------------------------------------------------- small helpers


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _utc(value: datetime | None) -> str:
    """``2026-11-27 16:40:01`` in UTC."""
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _clock(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%H:%M:%S")


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else ""


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)
