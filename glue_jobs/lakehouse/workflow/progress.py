"""Show a workflow run as it goes, with rich.

On a terminal: a live table of the jobs (state, trigger, start, elapsed, rows). Elsewhere (CI,
pipes, files): one plain line per event. Either way the run ends with a summary table and a
one-line verdict such as ``4 succeeded, 1 failed, 2 not run``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .definition import WorkflowDefinition
from .runner import NodeResult, NodeState, RunListener, WorkflowRunResult

STATE_STYLES: dict[str, str] = {
    NodeState.SUCCEEDED: "green",
    NodeState.FAILED: "red",
    NodeState.TIMEOUT: "red",
    NodeState.STOPPED: "red",
    NodeState.NOT_RUN: "dim",
    NodeState.WAITING: "dim",
    NodeState.RUNNING: "yellow",
}

ERROR_WIDTH = 60


def _clock(value: datetime | None) -> str:
    """Local wall-clock time, HH:MM:SS."""
    return value.astimezone().strftime("%H:%M:%S") if value is not None else "-"


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def first_line(text: str | None, width: int = ERROR_WIDTH) -> str:
    """The first non-empty line of ``text``, cut to ``width`` characters."""
    if not text:
        return ""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def _state_text(state: str) -> Text:
    return Text(str(state), style=STATE_STYLES.get(state, ""))


class RichProgress(RunListener):
    """A ``RunListener`` that renders the run with rich.

    ``console`` defaults to a new stdout console; ``live`` defaults to ``console.is_terminal``.
    """

    def __init__(
        self,
        console: Console | None = None,
        *,
        live: bool | None = None,
        refresh_per_second: float = 4,
    ) -> None:
        self.console = console or Console()
        self.live = self.console.is_terminal if live is None else live
        self.refresh_per_second = refresh_per_second
        self.result: WorkflowRunResult | None = None
        self._lock = threading.Lock()
        self._nodes: dict[str, NodeResult] = {}
        self._workflow_name = ""
        self._run_id = ""
        self._width = 0
        self._live: Live | None = None

    # -- events -----------------------------------------------------------------------------

    def run_started(self, workflow: WorkflowDefinition, run: WorkflowRunResult) -> None:
        with self._lock:
            self._workflow_name = workflow.name
            self._run_id = run.run_id
            self._nodes = {n.job_name: n for n in run.nodes}
            self._width = max((len(n) for n in self._nodes), default=0)
        if self.live:
            self._live = Live(
                console=self.console,
                get_renderable=self._render_live,
                refresh_per_second=self.refresh_per_second,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        else:
            self._line(
                run.started_at,
                Text(f"workflow {workflow.name} run {run.run_id} started ({len(run.nodes)} jobs)"),
            )

    def trigger_fired(self, trigger_name: str, job_names: list[str]) -> None:
        if not self.live:
            self._line(
                datetime.now(UTC), Text(f"trigger {trigger_name} fired -> {', '.join(job_names)}")
            )

    def job_started(self, node: NodeResult) -> None:
        with self._lock:
            self._nodes[node.job_name] = node
        if not self.live:
            text = self._job_prefix(node)
            if node.fired_by:
                text.append(f"  (trigger {node.fired_by})", style="dim")
            self._line(node.started_at, text)

    def job_ended(self, node: NodeResult) -> None:
        with self._lock:
            self._nodes[node.job_name] = node
        if not self.live:
            text = self._job_prefix(node)
            text.append(f"  {_seconds(node.duration_s)}")
            if node.rows_read is not None or node.rows_written is not None:
                text.append(f"  rows in {_count(node.rows_read)} out {_count(node.rows_written)}")
            if node.error:
                text.append(f"  {first_line(node.error, 200)}", style="red")
            self._line(node.ended_at, text)

    def run_ended(self, result: WorkflowRunResult) -> None:
        with self._lock:
            self.result = result
            self._nodes = {n.job_name: n for n in result.nodes}
        if self._live is not None:
            self._live.stop()
            self._live = None
        self.console.print(self.summary_table(result))
        self.console.print(self.verdict_text(result), soft_wrap=True, highlight=False)

    # -- rendering --------------------------------------------------------------------------

    def _line(self, when: datetime | None, text: Text) -> None:
        line = Text(f"{_clock(when)}  ")
        line.append_text(text)
        self.console.print(line, soft_wrap=True, highlight=False)

    def _job_prefix(self, node: NodeResult) -> Text:
        text = Text(f"{node.job_name:<{self._width}}  ")
        text.append(f"{node.state!s:<9}", style=STATE_STYLES.get(node.state, ""))
        return text

    def _render_live(self) -> RenderableType:
        now = datetime.now(UTC)
        with self._lock:
            nodes = list(self._nodes.values())
            title = f"{self._workflow_name}  run {self._run_id}"
        table = Table(title=title, title_justify="left", expand=False)
        table.add_column("job", no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("trigger", no_wrap=True, style="dim")
        table.add_column("start", no_wrap=True)
        table.add_column("elapsed", justify="right", no_wrap=True)
        table.add_column("rows in", justify="right", no_wrap=True)
        table.add_column("rows out", justify="right", no_wrap=True)
        for n in nodes:
            if n.state == NodeState.RUNNING and n.started_at is not None:
                elapsed = _seconds((now - n.started_at).total_seconds())
            else:
                elapsed = _seconds(n.duration_s)
            table.add_row(
                n.job_name,
                _state_text(n.state),
                n.fired_by or "",
                _clock(n.started_at) if n.started_at else "",
                elapsed if n.started_at else "",
                _count(n.rows_read) if n.rows_read is not None else "",
                _count(n.rows_written) if n.rows_written is not None else "",
            )
        running = sum(1 for n in nodes if n.state == NodeState.RUNNING)
        done = sum(1 for n in nodes if n.state not in (NodeState.RUNNING, NodeState.WAITING))
        footer = Text(f"{done}/{len(nodes)} done, {running} running", style="dim")
        return Group(table, footer)

    @staticmethod
    def summary_table(result: WorkflowRunResult) -> Table:
        """Job, state, start, duration, rows in, rows out and the first line of any error."""
        table = Table(title=f"{result.workflow_name}  run {result.run_id}", title_justify="left")
        table.add_column("job", no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("start", no_wrap=True)
        table.add_column("duration", justify="right", no_wrap=True)
        table.add_column("rows in", justify="right", no_wrap=True)
        table.add_column("rows out", justify="right", no_wrap=True)
        table.add_column("error", overflow="fold", style="red")
        for n in result.nodes:
            table.add_row(
                n.job_name,
                _state_text(n.state),
                _clock(n.started_at),
                _seconds(n.duration_s),
                _count(n.rows_read),
                _count(n.rows_written),
                first_line(n.error),
            )
        return table

    @staticmethod
    def verdict_text(result: WorkflowRunResult) -> Text:
        """E.g. ``daily_batch COMPLETED in 12.3s: 4 succeeded, 1 failed, 2 not run``."""
        style = "bold green" if result.ok else "bold red"
        text = Text(f"{result.workflow_name} {result.status}")
        if result.duration_s is not None:
            text.append(f" in {_seconds(result.duration_s)}")
        text.append(": ")
        text.append(result.verdict(), style=style)
        return text
