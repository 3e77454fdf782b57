"""Run one workflow locally with AWS Glue's trigger semantics.

* The start trigger fires at once and starts all its actions.
* Whenever a job run ends, every CONDITIONAL trigger that has not fired yet in this run is
  re-evaluated against the current states of the jobs in this run: ``AND`` needs every condition,
  ``ANY`` at least one. A trigger fires at most once per run, starting all its actions.
* A job whose trigger never fires ends ``NOT_RUN``; a failure therefore stops everything
  downstream of it while independent branches carry on.
* Like Glue, the workflow run itself ends ``COMPLETED`` even when nodes failed; read
  ``WorkflowRunResult.ok`` / ``failed_nodes``.

The runner never runs a job itself: an *executor* (``execute(invocation) -> JobResult``) does.
Jobs run on a thread pool, at most ``max_parallel`` at a time; the rest wait in a FIFO queue, in
the order their triggers fired and their actions are listed, so runs are reproducible with
``max_parallel=1``.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import secrets
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from .definition import JOB_STATES, RESERVED_ARGUMENTS, JobDefinition, WorkflowDefinition

log = logging.getLogger(__name__)


class NodeState(StrEnum):
    """States of a job node in a workflow run. Members compare equal to their plain strings."""

    WAITING = "WAITING"  # not started (yet); becomes NOT_RUN if the run ends first
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"
    TIMEOUT = "TIMEOUT"
    NOT_RUN = "NOT_RUN"


FINAL_JOB_STATES = frozenset(NodeState(s) for s in JOB_STATES)
BAD_STATES = frozenset({NodeState.FAILED, NodeState.TIMEOUT, NodeState.STOPPED})
RUN_COMPLETED = "COMPLETED"
RUN_STOPPED = "STOPPED"
# The run loop wakes this often even when no job ends, so that a Ctrl-C which the OS delivered to a
# worker thread is still noticed promptly by the main thread.
_POLL_S = 0.2
_ANNOUNCE_WAIT_S = 5.0


def new_run_id() -> str:
    """A workflow run id in Glue's shape: ``wr_`` + 64 hex digits."""
    return "wr_" + secrets.token_hex(32)


def new_job_run_id() -> str:
    """A job run id in Glue's shape: ``jr_`` + 64 hex digits."""
    return "jr_" + secrets.token_hex(32)


@dataclass(frozen=True)
class JobInvocation:
    """Everything an executor needs to run one job run."""

    workflow_name: str
    workflow_run_id: str
    job_name: str
    job_run_id: str
    job: JobDefinition
    argv: list[str]
    trigger_name: str | None = None  # the trigger whose action started this run
    timeout_minutes: int | None = None  # the action's Timeout, else the job's; None = no limit


@dataclass
class JobResult:
    """What an executor reports for one job run."""

    state: str  # SUCCEEDED | FAILED | STOPPED | TIMEOUT
    error: str | None = None
    rows_read: int | None = None
    rows_written: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class JobExecutor(Protocol):
    """Runs one job run. It may also define ``stop(invocation) -> None``: on an interrupt the
    runner calls it for every running job so the job can end early (and report STOPPED)."""

    def execute(self, invocation: JobInvocation) -> JobResult: ...


ExecutorLike = JobExecutor | Callable[[JobInvocation], JobResult]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class NodeResult:
    """One job node of a workflow run."""

    job_name: str
    state: NodeState = NodeState.WAITING
    job_run_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    rows_read: int | None = None
    rows_written: int | None = None
    error: str | None = None
    fired_by: str | None = None  # the trigger that started it
    details: dict[str, Any] = field(default_factory=dict)
    carried_over_from: str | None = None  # a resumed run reused this node's success from it

    @property
    def ok(self) -> bool:
        return self.state not in BAD_STATES

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_name": self.job_name,
            "state": str(self.state),
            "job_run_id": self.job_run_id,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "error": self.error,
            "fired_by": self.fired_by,
            "carried_over_from": self.carried_over_from,
            "details": dict(self.details),
        }


@dataclass
class WorkflowRunResult:
    workflow_name: str
    run_id: str
    started_at: datetime
    ended_at: datetime | None = None
    status: str = "RUNNING"  # COMPLETED, or STOPPED when interrupted
    nodes: list[NodeResult] = field(default_factory=list)  # in the order of the definition's Jobs
    fired_triggers: list[str] = field(default_factory=list)  # in firing order
    batch_date: str | None = None
    resumed_from: str | None = None  # the run this one resumed (Glue's previous run id)
    pid: int | None = None  # the runner's process, to tell a crashed run from a running one

    @property
    def ok(self) -> bool:
        """False if any node FAILED, TIMED OUT or was STOPPED (NOT_RUN alone is not a failure)."""
        return not self.failed_nodes

    @property
    def failed_nodes(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.state in BAD_STATES]

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def node(self, job_name: str) -> NodeResult:
        for n in self.nodes:
            if n.job_name == job_name:
                return n
        raise KeyError(job_name)

    def counts(self) -> dict[str, int]:
        """Number of nodes per state, for the states that occur."""
        result: dict[str, int] = {}
        for n in self.nodes:
            result[str(n.state)] = result.get(str(n.state), 0) + 1
        return result

    def verdict(self) -> str:
        """E.g. ``"4 succeeded, 1 failed, 2 not run"``."""
        counts = self.counts()
        parts = [f"{counts.get('SUCCEEDED', 0)} succeeded"]
        for state, label in (
            ("FAILED", "failed"),
            ("TIMEOUT", "timed out"),
            ("STOPPED", "stopped"),
            ("RUNNING", "running"),
            ("WAITING", "waiting"),
            ("NOT_RUN", "not run"),
        ):
            if counts.get(state):
                parts.append(f"{counts[state]} {label}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflow_name": self.workflow_name,
            "run_id": self.run_id,
            "status": self.status,
            "ok": self.ok,
            "batch_date": self.batch_date,
            "resumed_from": self.resumed_from,
            "pid": self.pid,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "counts": self.counts(),
            "failed_nodes": [n.job_name for n in self.failed_nodes],
            "fired_triggers": list(self.fired_triggers),
            "nodes": [n.to_dict() for n in self.nodes],
        }


class RunListener:
    """Receives the events of a workflow run; every method is a no-op by default.

    Events are delivered from the thread that called ``run_workflow``, one at a time. Each gets a
    snapshot (a copy), so a listener may keep it. An exception in a listener is logged, not raised.
    """

    def run_started(self, workflow: WorkflowDefinition, run: WorkflowRunResult) -> None:
        """The run began; ``run.nodes`` are all WAITING."""

    def trigger_fired(self, trigger_name: str, job_names: list[str]) -> None:
        """A trigger fired; ``job_names`` are its actions, in order."""

    def job_started(self, node: NodeResult) -> None:
        """A job run started (``node.state`` is RUNNING)."""

    def job_ended(self, node: NodeResult) -> None:
        """A job run ended in SUCCEEDED, FAILED, STOPPED or TIMEOUT."""

    def run_ended(self, result: WorkflowRunResult) -> None:
        """The run is over; NOT_RUN nodes are marked. Also called when interrupted."""


class WorkflowInterrupted(KeyboardInterrupt):
    """Raised by ``run_workflow`` after recording an interrupted run; ``result`` is that run."""

    def __init__(self, result: WorkflowRunResult) -> None:
        super().__init__(f"workflow run {result.run_id} of {result.workflow_name} was interrupted")
        self.result = result


# --------------------------------------------------------------------------------------------


def build_argv(
    workflow: WorkflowDefinition,
    job: JobDefinition,
    *,
    run_id: str,
    job_run_id: str,
    base_arguments: Mapping[str, str] | None = None,
    action_arguments: Mapping[str, str] | None = None,
) -> list[str]:
    """The argv Glue would pass: the injected ``--JOB_NAME``, ``--JOB_RUN_ID``,
    ``--WORKFLOW_NAME``, ``--WORKFLOW_RUN_ID`` first, then, lowest to highest precedence,
    DefaultArguments < ``base_arguments`` < the action's Arguments < NonOverridableArguments."""
    merged: dict[str, str] = {}
    for layer in (
        job.default_arguments,
        base_arguments or {},
        action_arguments or {},
        job.non_overridable_arguments,
    ):
        merged.update(layer)
    argv = [
        "--JOB_NAME",
        job.name,
        "--JOB_RUN_ID",
        job_run_id,
        "--WORKFLOW_NAME",
        workflow.name,
        "--WORKFLOW_RUN_ID",
        run_id,
    ]
    for key, value in merged.items():
        argv += [key, value]
    return argv


@dataclass
class _Outcome:
    """What a worker thread hands back to the run loop."""

    result: JobResult
    started_at: datetime
    ended_at: datetime
    duration_s: float
    interrupted: bool = False


def _call_executor(execute: Callable[[JobInvocation], JobResult], inv: JobInvocation) -> _Outcome:
    """Run one job; never raises (except for errors the runner cannot survive anyway)."""
    started_at = datetime.now(UTC)
    t0 = time.monotonic()
    interrupted = False
    try:
        result = execute(inv)
        if not isinstance(result, JobResult):
            result = JobResult(
                "FAILED", error=f"executor returned {type(result).__name__}, not a JobResult"
            )
        elif result.state not in JOB_STATES:
            result = JobResult(
                "FAILED",
                error=f"executor returned invalid state {result.state!r}"
                + (f": {result.error}" if result.error else ""),
                rows_read=result.rows_read,
                rows_written=result.rows_written,
                details=result.details,
            )
    except KeyboardInterrupt:
        interrupted = True
        result = JobResult("STOPPED", error="interrupted")
    except BaseException as exc:  # SystemExit from a script included: the runner must go on
        message = str(exc) or type(exc).__name__
        result = JobResult(
            "FAILED",
            error=f"{type(exc).__name__}: {message}",
            details={"traceback": traceback.format_exc()},
        )
        log.debug("job %s raised", inv.job_name, exc_info=True)
    return _Outcome(
        result=result,
        started_at=started_at,
        ended_at=datetime.now(UTC),
        duration_s=time.monotonic() - t0,
        interrupted=interrupted,
    )


@dataclass(eq=False)
class _Entry:
    """One dispatched job run. Registered before it is submitted to the pool; the worker decides
    under the run lock whether the executor really starts, so an interrupt can't lose track."""

    seq: int
    invocation: JobInvocation
    announced: threading.Event = field(default_factory=threading.Event)  # job_started delivered
    started: bool = False  # the executor was called
    done: bool = False  # the worker finished (ran the executor, or skipped it)
    outcome: _Outcome | None = None


@dataclass(frozen=True)
class ResumePlan:
    """How a new run resumes an earlier one (Glue's ResumeWorkflowRun): the ``start_jobs`` run
    first, everything downstream follows through the triggers, and the ``carried`` nodes keep
    their SUCCEEDED results from ``previous_run_id`` without running again."""

    previous_run_id: str
    start_jobs: tuple[str, ...]
    carried: Mapping[str, NodeResult]
    rerun: frozenset[str]


class ResumeError(ValueError):
    """The run cannot be resumed as asked."""


RESUMABLE_STATES = frozenset({NodeState.FAILED, NodeState.TIMEOUT, NodeState.STOPPED})


PENDING = frozenset({NodeState.NOT_RUN, NodeState.WAITING, NodeState.RUNNING})


def _was_due(workflow: WorkflowDefinition, job: str, states: Mapping[str, NodeState]) -> bool:
    """Whether ``job`` should have run: it is started by the start trigger, or a trigger of it
    held on the run's final states. An interrupted or killed run leaves such jobs not run."""
    for trigger in workflow.triggers_starting(job):
        if trigger.is_start:
            return True
        hits = [states.get(c.job_name) == c.state for c in trigger.conditions]
        if any(hits) if trigger.logical == "ANY" else all(hits):
            return True
    return False


def plan_resume(
    workflow: WorkflowDefinition, previous: WorkflowRunResult, from_job: str | None = None
) -> ResumePlan:
    """Which nodes a resume re-runs: ``from_job`` (or every failed, stopped or timed-out node,
    and every node that was due but never started because the run was interrupted or killed)
    and everything downstream of it; every other SUCCEEDED node is carried over."""
    states = {n.job_name: n.state for n in previous.nodes}
    if from_job is not None:
        if from_job not in workflow.jobs:
            raise ResumeError(
                f"{from_job!r} is not a job of {workflow.name}: {', '.join(workflow.jobs)}"
            )
        starts = [from_job]
    else:
        bad = [
            name
            for name, state in states.items()
            if state in RESUMABLE_STATES or (state in PENDING and _was_due(workflow, name, states))
        ]
        if not bad:
            raise ResumeError(
                f"run {previous.run_id} has no failed, stopped or timed-out job to resume; "
                "use --from JOB to run a job and everything after it again"
            )
        below = set().union(*(workflow.downstream_jobs(b) for b in bad))
        starts = [b for b in bad if b not in below]
    rerun = set(starts).union(*(workflow.downstream_jobs(j) for j in starts))
    carried = {
        n.job_name: n
        for n in previous.nodes
        if n.state == NodeState.SUCCEEDED and n.job_name not in rerun
    }
    return ResumePlan(previous.run_id, tuple(starts), carried, frozenset(rerun))


class _Run:
    def __init__(
        self,
        workflow: WorkflowDefinition,
        execute: Callable[[JobInvocation], JobResult],
        run_id: str,
        base_arguments: Mapping[str, str],
        max_parallel: int,
        listener: RunListener,
        stop: Callable[[JobInvocation], Any] | None = None,
        resume: ResumePlan | None = None,
        batch_date: str | None = None,
    ) -> None:
        self.workflow = workflow
        self.execute = execute
        self.stop = stop
        self.run_id = run_id
        self.base_arguments = dict(base_arguments)
        self.max_parallel = max_parallel
        self.listener = listener
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)  # notified when a worker finishes
        self.result = WorkflowRunResult(
            workflow_name=workflow.name,
            run_id=run_id,
            started_at=datetime.now(UTC),
            nodes=[NodeResult(job_name=name) for name in workflow.jobs],
            batch_date=batch_date,
            resumed_from=resume.previous_run_id if resume else None,
            pid=os.getpid(),
        )
        self.resume = resume
        if resume is not None:
            self.result.nodes = [
                replace(
                    resume.carried[n.job_name],
                    details=dict(resume.carried[n.job_name].details),
                    carried_over_from=resume.carried[n.job_name].carried_over_from
                    or resume.previous_run_id,
                )
                if n.job_name in resume.carried
                else n
                for n in self.result.nodes
            ]
        self.nodes = {n.job_name: n for n in self.result.nodes}
        self.fired: set[str] = set()
        self.queue: deque[tuple[str, str, Mapping[str, str], int | None]] = deque()
        self.running: list[_Entry] = []  # in start order
        self.sequence = 0
        self.stop_starting = False

    # -- events -----------------------------------------------------------------------------

    def emit(self, method: str, *args: Any) -> None:
        try:
            getattr(self.listener, method)(*args)
        except Exception:
            log.exception("run listener %s.%s failed", type(self.listener).__name__, method)

    # -- worker side --------------------------------------------------------------------------

    def work(self, entry: _Entry) -> None:
        # Listeners (the run record) hear of the start before the job's code runs; the timeout
        # only guards against an interrupt landing between submit and announce.
        entry.announced.wait(timeout=_ANNOUNCE_WAIT_S)
        with self.lock:
            if self.stop_starting:  # interrupted before this job really began
                entry.done = True
                self.changed.notify_all()
                return
            entry.started = True
        outcome = _call_executor(self.execute, entry.invocation)
        with self.lock:
            entry.outcome = outcome
            entry.done = True
            self.changed.notify_all()

    # -- state changes (all under self.lock) ------------------------------------------------

    def fire(self, trigger_name: str) -> None:
        trigger = self.workflow.trigger(trigger_name)
        with self.lock:
            self.fired.add(trigger.name)
            self.result.fired_triggers.append(trigger.name)
            for action in trigger.actions:
                node = self.nodes[action.job_name]
                queued = any(q[0] == action.job_name for q in self.queue)
                if node.state != NodeState.WAITING or queued:
                    # A job runs at most once per local workflow run.
                    log.info(
                        "trigger %s: job %s was already started in this run; not starting it again",
                        trigger.name,
                        action.job_name,
                    )
                    continue
                self.queue.append((action.job_name, trigger.name, action.arguments, action.timeout))
        self.emit("trigger_fired", trigger.name, list(trigger.action_job_names))

    def start_resumed(self, job_names: tuple[str, ...]) -> None:
        """Queue the first jobs of a resumed run, with the arguments their triggers give them."""
        with self.lock:
            for name in job_names:
                trigger = self.workflow.triggers_starting(name)[0]
                action = next(a for a in trigger.actions if a.job_name == name)
                self.queue.append(
                    (
                        name,
                        f"resume of {self.resume.previous_run_id}",
                        action.arguments,
                        action.timeout,
                    )
                )
        self.emit("trigger_fired", "resume", list(job_names))

    def evaluate_triggers(self) -> None:
        for trigger in self.workflow.conditional_triggers:
            with self.lock:
                if trigger.name in self.fired:
                    continue
                hits = [self.nodes[c.job_name].state == c.state for c in trigger.conditions]
                fires = any(hits) if trigger.logical == "ANY" else all(hits)
            if fires:
                self.fire(trigger.name)

    def dispatch(self, pool: cf.ThreadPoolExecutor) -> None:
        while True:
            with self.lock:
                if self.stop_starting or not self.queue or len(self.running) >= self.max_parallel:
                    return
                job_name, trigger_name, action_args, action_timeout = self.queue.popleft()
                job = self.workflow.jobs[job_name]
                job_run_id = new_job_run_id()
                timeout = action_timeout if action_timeout is not None else job.timeout
                inv = JobInvocation(
                    workflow_name=self.workflow.name,
                    workflow_run_id=self.run_id,
                    job_name=job_name,
                    job_run_id=job_run_id,
                    job=job,
                    argv=build_argv(
                        self.workflow,
                        job,
                        run_id=self.run_id,
                        job_run_id=job_run_id,
                        base_arguments=self.base_arguments,
                        action_arguments=action_args,
                    ),
                    trigger_name=trigger_name,
                    timeout_minutes=timeout or None,
                )
                node = self.nodes[job_name]
                node.state = NodeState.RUNNING
                node.job_run_id = job_run_id
                node.fired_by = trigger_name
                node.started_at = datetime.now(UTC)
                entry = _Entry(self.sequence, inv)
                self.sequence += 1
                self.running.append(entry)  # before submit: never lose a submitted job
                pool.submit(self.work, entry)
                snapshot = replace(node, details=dict(node.details))
            self.emit("job_started", snapshot)
            entry.announced.set()

    def record(self, entry: _Entry) -> bool:
        """Record a finished job run; returns True if the executor was interrupted."""
        with self.lock:
            node = self.nodes[entry.invocation.job_name]
            outcome = entry.outcome
            assert outcome is not None
            res = outcome.result
            node.state = NodeState(res.state)
            node.started_at = outcome.started_at
            node.ended_at = outcome.ended_at
            node.duration_s = outcome.duration_s
            node.rows_read = res.rows_read
            node.rows_written = res.rows_written
            node.error = res.error
            node.details = dict(res.details or {})
            if entry in self.running:
                self.running.remove(entry)  # last, so an interrupt above leaves it tracked
            snapshot = replace(node, details=dict(node.details))
        self.emit("job_ended", snapshot)
        return outcome.interrupted

    def wait_for_finished(self) -> list[_Entry] | None:
        """Finished entries in start order; [] if none finished yet; None if nothing runs."""
        with self.lock:
            if not self.running:
                return None
            finished = [e for e in self.running if e.done]
            if not finished:
                self.changed.wait(timeout=_POLL_S)
                finished = [e for e in self.running if e.done]
            return finished

    def finish(self, status: str) -> WorkflowRunResult:
        with self.lock:
            self.queue.clear()
            now = datetime.now(UTC)
            for node in self.result.nodes:
                if node.state == NodeState.WAITING:
                    node.state = NodeState.NOT_RUN
                elif node.state == NodeState.RUNNING:  # only if the runner gave up waiting
                    node.state = NodeState.STOPPED
                    node.error = node.error or "interrupted"
                    node.ended_at = now
            self.result.status = status
            self.result.ended_at = now
        self.emit("run_ended", self.result)
        return self.result

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> WorkflowRunResult:
        self.emit("run_started", self.workflow, _copy_result(self.result))
        pool = cf.ThreadPoolExecutor(
            max_workers=self.max_parallel, thread_name_prefix=f"wf-{self.workflow.name}"
        )
        try:
            if self.resume is None:
                self.fire(self.workflow.start_trigger.name)
            else:
                self.start_resumed(self.resume.start_jobs)
            self.dispatch(pool)
            while (finished := self.wait_for_finished()) is not None:
                interrupted = False
                for entry in finished:
                    interrupted = self.record(entry) or interrupted
                if interrupted:
                    raise KeyboardInterrupt
                self.evaluate_triggers()
                self.dispatch(pool)
        except KeyboardInterrupt as exc:
            gave_up = self.drain_after_interrupt(pool)
            result = self.finish(RUN_STOPPED)
            pool.shutdown(wait=not gave_up, cancel_futures=True)
            raise WorkflowInterrupted(result) from exc
        pool.shutdown(wait=True)
        return self.finish(RUN_COMPLETED)

    def drain_after_interrupt(self, pool: cf.ThreadPoolExecutor) -> bool:
        """Start nothing new and wait for running jobs to report (e.g. STOPPED). A second
        interrupt gives up waiting and marks them STOPPED; returns True in that case."""
        with self.lock:
            self.stop_starting = True
            self.queue.clear()
            # Jobs whose worker has not begun will now never call the executor: not run.
            for entry in [e for e in self.running if not e.started]:
                self.running.remove(entry)
                self.nodes[entry.invocation.job_name] = self._reset(entry.invocation.job_name)
            to_stop = [e.invocation for e in self.running if not e.done]
        pool.shutdown(wait=False, cancel_futures=True)
        if self.stop is not None:
            for invocation in to_stop:
                try:
                    self.stop(invocation)
                except Exception:
                    log.exception("stopping job %s failed", invocation.job_name)
        try:
            while (finished := self.wait_for_finished()) is not None:
                for entry in finished:
                    if entry.outcome is not None:
                        self.record(entry)
                    else:
                        with self.lock:
                            self.running.remove(entry)
            return False
        except KeyboardInterrupt:
            now = datetime.now(UTC)
            with self.lock:
                for entry in self.running:
                    node = self.nodes[entry.invocation.job_name]
                    node.state = NodeState.STOPPED
                    node.error = "interrupted; the runner stopped waiting for the job"
                    node.ended_at = now
                    if node.started_at is not None:
                        node.duration_s = (now - node.started_at).total_seconds()
                self.running.clear()
            return True

    def _reset(self, job_name: str) -> NodeResult:
        """Put a node back to WAITING (it becomes NOT_RUN), keeping its place in the result."""
        fresh = NodeResult(job_name=job_name)
        index = next(i for i, n in enumerate(self.result.nodes) if n.job_name == job_name)
        self.result.nodes[index] = fresh
        return fresh


def _copy_result(result: WorkflowRunResult) -> WorkflowRunResult:
    return replace(
        result,
        nodes=[replace(n, details=dict(n.details)) for n in result.nodes],
        fired_triggers=list(result.fired_triggers),
    )


def run_workflow(
    workflow: WorkflowDefinition,
    executor: ExecutorLike,
    *,
    run_id: str,
    base_arguments: Mapping[str, str] | None = None,
    max_parallel: int = 2,
    listener: RunListener | None = None,
    resume: ResumePlan | None = None,
    batch_date: str | None = None,
) -> WorkflowRunResult:
    """Execute one run of ``workflow`` and return its result (status COMPLETED even when jobs
    failed; check ``.ok``).

    ``executor`` is an object with ``execute(invocation) -> JobResult`` or a plain callable.
    ``base_arguments`` (``{"--lake_root": "/p"}``) override the jobs' DefaultArguments and are
    overridden by trigger-action Arguments and NonOverridableArguments.

    On KeyboardInterrupt (Ctrl-C, or the executor raising it) no new job starts, waiting jobs
    become NOT_RUN, ``executor.stop(invocation)`` is called for each running job if the executor
    has such a method, running jobs are waited for so they can report (e.g. STOPPED; a second
    Ctrl-C stops waiting and marks them STOPPED), the listener gets ``run_ended`` and
    ``WorkflowInterrupted`` (a KeyboardInterrupt carrying ``.result``) is raised.

    ``resume`` (see :func:`plan_resume`) makes this run a resumption of an earlier one: its start
    jobs run first instead of the start trigger's, carried-over nodes count as SUCCEEDED.
    """
    if max_parallel < 1:
        raise ValueError(f"max_parallel must be at least 1, got {max_parallel}")
    base = dict(base_arguments or {})
    for key, value in base.items():
        if not isinstance(key, str) or not key.startswith("--"):
            raise ValueError(f"base argument {key!r} must start with '--'")
        if key in RESERVED_ARGUMENTS:
            raise ValueError(f"base argument {key} is set by the runner itself")
        if not isinstance(value, str):
            raise ValueError(f"base argument {key} must be a string, got {value!r}")
    execute = executor.execute if isinstance(executor, JobExecutor) else executor
    if not callable(execute):
        raise TypeError("executor must be callable or have an execute(invocation) method")
    stop = getattr(executor, "stop", None)
    run = _Run(
        workflow,
        execute,
        run_id,
        base,
        max_parallel,
        listener or RunListener(),
        stop=stop if callable(stop) else None,
        resume=resume,
        batch_date=batch_date,
    )
    return run.run()
