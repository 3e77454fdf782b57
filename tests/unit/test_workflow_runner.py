"""The local workflow runner: Glue's trigger semantics, arguments, concurrency, interrupts."""

from __future__ import annotations

import io
import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from lakehouse.workflow import (
    JobInvocation,
    JobResult,
    NodeResult,
    RunListener,
    WorkflowDefinition,
    WorkflowInterrupted,
    WorkflowRunResult,
    load_workflow,
    run_workflow,
    workflow_from_dict,
)
from lakehouse.workflow.progress import RichProgress, first_line

REPO = Path(__file__).resolve().parents[2]
DAILY_BATCH = REPO / "workflows" / "daily_batch.yaml"
RUN_ID = "wr_test"
GATED = ["dq_bronze", "bronze_to_silver", "dq_silver", "silver_to_gold", "dq_gold", "publish_gold"]

Behaviour = str | JobResult | Callable[[JobInvocation], JobResult]


class FakeExecutor:
    """Returns a scripted state (or result, or callable's result) per job, SUCCEEDED by default,
    and records every invocation in call order."""

    def __init__(self, behaviour: dict[str, Behaviour] | None = None) -> None:
        self.behaviour = behaviour or {}
        self.calls: list[JobInvocation] = []
        self._lock = threading.Lock()

    def execute(self, invocation: JobInvocation) -> JobResult:
        with self._lock:
            self.calls.append(invocation)
        spec = self.behaviour.get(invocation.job_name, "SUCCEEDED")
        if isinstance(spec, str):
            return JobResult(spec, error=None if spec == "SUCCEEDED" else f"{spec} on purpose")
        if isinstance(spec, JobResult):
            return spec
        return spec(invocation)

    @property
    def order(self) -> list[str]:
        return [c.job_name for c in self.calls]

    def call(self, job_name: str) -> JobInvocation:
        return next(c for c in self.calls if c.job_name == job_name)


def job(**extra) -> dict:
    return {"Command": {"Name": "glueetl", "ScriptLocation": "x.py"}, **extra}


def cond(job_name: str, state: str = "SUCCEEDED") -> dict:
    return {"LogicalOperator": "EQUALS", "JobName": job_name, "State": state}


def conditional(name: str, logical: str, conditions: list[dict], actions: list[str]) -> dict:
    return {
        "Name": name,
        "Type": "CONDITIONAL",
        "Predicate": {"Logical": logical, "Conditions": conditions},
        "Actions": [{"JobName": a} for a in actions],
    }


def branching() -> WorkflowDefinition:
    """extract_a -> transform_a --+
                                  +-> publish      notify_failure on ANY(extract_a FAILED,
    extract_b -> transform_b --+                                       transform_a FAILED)"""
    return workflow_from_dict(
        {
            "Name": "branching",
            "Jobs": {
                name: job()
                for name in (
                    "extract_a",
                    "extract_b",
                    "transform_a",
                    "transform_b",
                    "publish",
                    "notify_failure",
                )
            },
            "Triggers": [
                {
                    "Name": "start",
                    "Type": "ON_DEMAND",
                    "Actions": [{"JobName": "extract_a"}, {"JobName": "extract_b"}],
                },
                conditional("a_done", "AND", [cond("extract_a")], ["transform_a"]),
                conditional("b_done", "AND", [cond("extract_b")], ["transform_b"]),
                conditional(
                    "both_done", "AND", [cond("transform_a"), cond("transform_b")], ["publish"]
                ),
                conditional(
                    "on_failure",
                    "ANY",
                    [cond("extract_a", "FAILED"), cond("transform_a", "FAILED")],
                    ["notify_failure"],
                ),
            ],
        }
    )


def states(result: WorkflowRunResult) -> dict[str, str]:
    return {n.job_name: str(n.state) for n in result.nodes}


def argv_dict(argv: list[str]) -> dict[str, str]:
    assert len(argv) % 2 == 0
    return dict(zip(argv[::2], argv[1::2], strict=True))


# --------------------------------------------------------------------------------------------
# trigger semantics


def test_all_succeed_in_definition_order_with_one_slot():
    ex = FakeExecutor()
    result = run_workflow(branching(), ex, run_id=RUN_ID, max_parallel=1)
    assert ex.order == ["extract_a", "extract_b", "transform_a", "transform_b", "publish"]
    assert states(result) == {
        "extract_a": "SUCCEEDED",
        "extract_b": "SUCCEEDED",
        "transform_a": "SUCCEEDED",
        "transform_b": "SUCCEEDED",
        "publish": "SUCCEEDED",
        "notify_failure": "NOT_RUN",
    }
    assert result.ok and result.failed_nodes == []
    assert result.status == "COMPLETED"
    assert result.fired_triggers == ["start", "a_done", "b_done", "both_done"]
    assert [n.job_name for n in result.nodes] == list(branching().jobs)  # definition order
    assert result.node("publish").fired_by == "both_done"
    assert result.node("extract_a").fired_by == "start"


def test_failure_stops_downstream_but_not_the_independent_branch_and_fires_notify():
    ex = FakeExecutor({"extract_a": "FAILED"})
    result = run_workflow(branching(), ex, run_id=RUN_ID, max_parallel=1)
    assert states(result) == {
        "extract_a": "FAILED",
        "extract_b": "SUCCEEDED",
        "transform_a": "NOT_RUN",
        "transform_b": "SUCCEEDED",
        "publish": "NOT_RUN",
        "notify_failure": "SUCCEEDED",
    }
    assert result.node("notify_failure").fired_by == "on_failure"
    assert result.node("extract_a").error == "FAILED on purpose"
    # Like Glue: the run completes; the result carries the failure.
    assert result.status == "COMPLETED"
    assert not result.ok
    assert [n.job_name for n in result.failed_nodes] == ["extract_a"]
    assert result.verdict() == "3 succeeded, 1 failed, 2 not run"
    assert "transform_a" not in ex.order and "publish" not in ex.order


@pytest.mark.parametrize("bad_state", ["TIMEOUT", "STOPPED"])
def test_timeout_and_stopped_also_stop_downstream_and_mark_run_not_ok(bad_state):
    result = run_workflow(branching(), FakeExecutor({"transform_b": bad_state}), run_id=RUN_ID)
    assert states(result)["transform_b"] == bad_state
    assert states(result)["publish"] == "NOT_RUN"
    assert states(result)["notify_failure"] == "NOT_RUN"  # only FAILED of the a-branch notifies
    assert not result.ok


def test_any_trigger_fires_once_even_when_several_conditions_become_true():
    # transform_a fails after extract_a succeeded: only the second ANY condition matches; and
    # when both extracts succeed an ANY(extract_a, extract_b) trigger fires only once.
    wf = workflow_from_dict(
        {
            "Name": "any_once",
            "Jobs": {"a": job(), "b": job(), "c": job(), "after_any": job()},
            "Triggers": [
                {
                    "Name": "start",
                    "Type": "ON_DEMAND",
                    "Actions": [{"JobName": "a"}, {"JobName": "b"}, {"JobName": "c"}],
                },
                conditional("any_done", "ANY", [cond("a"), cond("b"), cond("c")], ["after_any"]),
            ],
        }
    )
    ex = FakeExecutor()
    result = run_workflow(wf, ex, run_id=RUN_ID, max_parallel=1)
    assert ex.order.count("after_any") == 1
    assert result.fired_triggers.count("any_done") == 1
    # fired right after the first job ended, before the queued b and c
    assert ex.order == ["a", "b", "c", "after_any"]
    assert result.fired_triggers == ["start", "any_done"]


@pytest.mark.parametrize(
    ("logical", "b_state", "expected"),
    [
        ("AND", "SUCCEEDED", "SUCCEEDED"),
        ("AND", "FAILED", "NOT_RUN"),
        ("ANY", "FAILED", "SUCCEEDED"),
        ("ANY", "SUCCEEDED", "SUCCEEDED"),
    ],
)
def test_and_versus_any(logical, b_state, expected):
    wf = workflow_from_dict(
        {
            "Name": "and_any",
            "Jobs": {"a": job(), "b": job(), "join": job()},
            "Triggers": [
                {
                    "Name": "start",
                    "Type": "ON_DEMAND",
                    "Actions": [{"JobName": "a"}, {"JobName": "b"}],
                },
                conditional("joined", logical, [cond("a"), cond("b")], ["join"]),
            ],
        }
    )
    result = run_workflow(wf, FakeExecutor({"b": b_state}), run_id=RUN_ID)
    assert states(result)["join"] == expected


def test_any_failure_trigger_for_several_jobs_runs_notify_once():
    wf = workflow_from_dict(
        {
            "Name": "notify",
            "Jobs": {"a": job(), "b": job(), "notify_failure": job()},
            "Triggers": [
                {
                    "Name": "start",
                    "Type": "ON_DEMAND",
                    "Actions": [{"JobName": "a"}, {"JobName": "b"}],
                },
                conditional(
                    "on_failure",
                    "ANY",
                    [cond("a", "FAILED"), cond("b", "FAILED"), cond("b", "TIMEOUT")],
                    ["notify_failure"],
                ),
            ],
        }
    )
    ex = FakeExecutor({"a": "FAILED", "b": "TIMEOUT"})
    result = run_workflow(wf, ex, run_id=RUN_ID, max_parallel=2)
    assert ex.order.count("notify_failure") == 1
    assert states(result) == {"a": "FAILED", "b": "TIMEOUT", "notify_failure": "SUCCEEDED"}
    assert {n.job_name for n in result.failed_nodes} == {"a", "b"}


def test_daily_batch_runs_end_to_end_and_a_failed_ingest_blocks_bronze_to_silver():
    wf = load_workflow(DAILY_BATCH)
    ok = run_workflow(wf, FakeExecutor(), run_id=RUN_ID, max_parallel=2)
    assert ok.ok and states(ok).pop("notify_failure") == "NOT_RUN"
    assert set(states(ok).values()) - {"NOT_RUN"} == {"SUCCEEDED"}

    ex = FakeExecutor({"ingest_fx_rates": "FAILED"})
    bad = run_workflow(wf, ex, run_id=RUN_ID, max_parallel=2)
    for job in ("dq_bronze", "bronze_to_silver", "silver_to_gold", "publish_gold"):
        assert states(bad)[job] == "NOT_RUN"
    assert states(bad)["ingest_order_events"] == "SUCCEEDED"
    assert states(bad)["notify_failure"] == "SUCCEEDED"
    assert bad.verdict() == "5 succeeded, 1 failed, 6 not run"


@pytest.mark.parametrize(
    ("gate", "not_run"),
    [
        ("dq_bronze", GATED[1:]),
        ("dq_silver", ["silver_to_gold", "dq_gold", "publish_gold"]),
        ("dq_gold", ["publish_gold"]),
    ],
)
def test_a_failed_dq_gate_stops_everything_after_it_and_runs_notify_failure(gate, not_run):
    ex = FakeExecutor({gate: "FAILED"})
    result = run_workflow(load_workflow(DAILY_BATCH), ex, run_id=RUN_ID, max_parallel=2)
    assert [n.job_name for n in result.failed_nodes] == [gate]
    assert [j for j, s in states(result).items() if s == "NOT_RUN"] == not_run
    assert states(result)["notify_failure"] == "SUCCEEDED"
    assert not set(not_run) & set(ex.order)


# --------------------------------------------------------------------------------------------
# executor misbehaviour


def test_executor_raising_marks_the_node_failed_with_the_message_and_the_run_goes_on():
    def explode(inv: JobInvocation) -> JobResult:
        raise RuntimeError("disk full on /lake")

    result = run_workflow(branching(), FakeExecutor({"extract_b": explode}), run_id=RUN_ID)
    node = result.node("extract_b")
    assert node.state == "FAILED"
    assert "disk full on /lake" in node.error and "RuntimeError" in node.error
    assert node.duration_s is not None and node.ended_at is not None
    assert "disk full on /lake" in node.details["traceback"]
    assert states(result)["transform_b"] == "NOT_RUN"
    assert states(result)["transform_a"] == "SUCCEEDED"


def test_a_script_calling_sys_exit_does_not_kill_the_runner():
    def bail(inv: JobInvocation) -> JobResult:
        raise SystemExit(3)

    result = run_workflow(branching(), FakeExecutor({"extract_a": bail}), run_id=RUN_ID)
    assert result.node("extract_a").state == "FAILED"
    assert result.node("extract_a").error == "SystemExit: 3"
    assert result.node("transform_b").state == "SUCCEEDED"


@pytest.mark.parametrize(
    ("returned", "needle"),
    [(JobResult("DONE"), "invalid state 'DONE'"), ("not a result", "not a JobResult")],
)
def test_executor_returning_garbage_marks_the_node_failed(returned, needle):
    result = run_workflow(
        branching(), FakeExecutor({"extract_a": lambda inv: returned}), run_id=RUN_ID
    )
    assert result.node("extract_a").state == "FAILED"
    assert needle in result.node("extract_a").error


def test_result_fields_are_copied_from_the_executor_and_serialise_to_json():
    res = JobResult("SUCCEEDED", rows_read=5400, rows_written=5300, details={"table": "bronze.x"})
    result = run_workflow(branching(), FakeExecutor({"extract_a": res}), run_id=RUN_ID)
    node = result.node("extract_a")
    assert (node.rows_read, node.rows_written, node.details) == (5400, 5300, {"table": "bronze.x"})
    assert node.started_at <= node.ended_at and node.duration_s >= 0
    data = json.loads(json.dumps(result.to_dict()))
    assert data["run_id"] == RUN_ID and data["workflow_name"] == "branching"
    assert data["status"] == "COMPLETED" and data["ok"] is True
    assert data["nodes"][0]["job_name"] == "extract_a"
    assert data["nodes"][0]["rows_read"] == 5400
    assert data["counts"] == {"SUCCEEDED": 5, "NOT_RUN": 1}


def test_a_plain_callable_works_as_executor():
    seen: list[str] = []

    def executor(inv: JobInvocation) -> JobResult:
        seen.append(inv.job_name)
        return JobResult("SUCCEEDED")

    assert run_workflow(branching(), executor, run_id=RUN_ID).ok
    assert len(seen) == 5


# --------------------------------------------------------------------------------------------
# arguments


def precedence_workflow() -> WorkflowDefinition:
    return workflow_from_dict(
        {
            "Name": "args_wf",
            "Jobs": {
                "first": job(
                    DefaultArguments={
                        "--only_default": "default",
                        "--lake_root": "default",
                        "--from_action": "default",
                        "--locked": "default",
                    },
                    NonOverridableArguments={"--locked": "non-overridable"},
                    Timeout=30,
                ),
                "second": job(DefaultArguments={"--lake_root": "default"}, Timeout=30),
            },
            "Triggers": [
                {
                    "Name": "go",
                    "Type": "ON_DEMAND",
                    "Actions": [
                        {
                            "JobName": "first",
                            "Arguments": {"--from_action": "action", "--locked": "action"},
                            "Timeout": 5,
                        }
                    ],
                },
                conditional("then", "AND", [cond("first")], ["second"]),
            ],
        }
    )


def test_argument_precedence_and_glue_injected_arguments():
    ex = FakeExecutor()
    result = run_workflow(
        precedence_workflow(),
        ex,
        run_id="wr_abc",
        base_arguments={
            "--lake_root": "/tmp/lake",
            "--batch_date": "2026-01-01",
            "--locked": "base",
        },
    )
    inv = ex.call("first")
    assert inv.argv[:2] == ["--JOB_NAME", "first"]
    args = argv_dict(inv.argv)
    assert args == {
        "--JOB_NAME": "first",
        "--JOB_RUN_ID": inv.job_run_id,
        "--WORKFLOW_NAME": "args_wf",
        "--WORKFLOW_RUN_ID": "wr_abc",
        "--only_default": "default",  # DefaultArguments
        "--lake_root": "/tmp/lake",  # base beats DefaultArguments
        "--batch_date": "2026-01-01",
        "--from_action": "action",  # trigger action beats base and default
        "--locked": "non-overridable",  # NonOverridableArguments beat everything
    }
    assert inv.job_run_id.startswith("jr_")
    assert inv.job_run_id == result.node("first").job_run_id
    assert (inv.workflow_name, inv.workflow_run_id, inv.job_name) == ("args_wf", "wr_abc", "first")
    assert inv.job == precedence_workflow().jobs["first"]
    assert inv.trigger_name == "go"
    assert inv.timeout_minutes == 5  # the action's Timeout overrides the job's

    second = ex.call("second")
    args2 = argv_dict(second.argv)
    assert args2["--JOB_NAME"] == "second"
    assert args2["--lake_root"] == "/tmp/lake"
    assert "--from_action" not in args2  # action arguments belong to that action only
    assert second.timeout_minutes == 30
    assert second.job_run_id != inv.job_run_id


@pytest.mark.parametrize(
    "base",
    [{"lake_root": "/p"}, {"--JOB_NAME": "x"}, {"--WORKFLOW_RUN_ID": "x"}, {"--n": 3}],
)
def test_bad_base_arguments_are_rejected(base):
    with pytest.raises(ValueError):
        run_workflow(branching(), FakeExecutor(), run_id=RUN_ID, base_arguments=base)


def test_max_parallel_must_be_positive():
    with pytest.raises(ValueError, match="max_parallel"):
        run_workflow(branching(), FakeExecutor(), run_id=RUN_ID, max_parallel=0)


# --------------------------------------------------------------------------------------------
# concurrency


def test_two_independent_jobs_overlap_with_max_parallel_2():
    barrier = threading.Barrier(2, timeout=5)

    def meet(inv: JobInvocation) -> JobResult:
        barrier.wait()  # only passes if both extracts run at the same time
        return JobResult("SUCCEEDED")

    result = run_workflow(
        branching(), FakeExecutor({"extract_a": meet, "extract_b": meet}), run_id=RUN_ID
    )
    assert states(result)["extract_a"] == states(result)["extract_b"] == "SUCCEEDED"
    assert result.ok


def test_never_more_than_max_parallel_jobs_at_once():
    wf = workflow_from_dict(
        {
            "Name": "wide",
            "Jobs": {f"j{i}": job() for i in range(5)},
            "Triggers": [
                {
                    "Name": "start",
                    "Type": "ON_DEMAND",
                    "Actions": [{"JobName": f"j{i}"} for i in range(5)],
                }
            ],
        }
    )
    lock = threading.Lock()
    running = peak = 0
    barrier = threading.Barrier(2, timeout=5)

    def tracked(inv: JobInvocation) -> JobResult:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        if inv.job_name in ("j0", "j1"):
            barrier.wait()  # the first two must overlap
        with lock:
            running -= 1
        return JobResult("SUCCEEDED")

    ex = FakeExecutor({f"j{i}": tracked for i in range(5)})
    result = run_workflow(wf, ex, run_id=RUN_ID, max_parallel=2)
    assert result.ok
    assert peak == 2
    assert ex.order[:2] == ["j0", "j1"] or set(ex.order[:2]) == {"j0", "j1"}


def test_queued_jobs_start_in_definition_order_with_one_slot():
    wf = load_workflow(DAILY_BATCH)
    ex = FakeExecutor()
    run_workflow(wf, ex, run_id=RUN_ID, max_parallel=1)
    assert ex.order == [j for j in wf.jobs if j != "notify_failure"]


# --------------------------------------------------------------------------------------------
# listener


class Recorder(RunListener):
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def run_started(self, workflow, run):
        self.events.append(("run_started", workflow.name, [str(n.state) for n in run.nodes]))

    def trigger_fired(self, trigger_name, job_names):
        self.events.append(("trigger_fired", trigger_name, tuple(job_names)))

    def job_started(self, node: NodeResult):
        self.events.append(("job_started", node.job_name, str(node.state)))

    def job_ended(self, node: NodeResult):
        self.events.append(("job_ended", node.job_name, str(node.state)))

    def run_ended(self, result):
        self.events.append(("run_ended", result.status, result.verdict()))


def test_listener_receives_events_in_order():
    rec = Recorder()
    run_workflow(
        branching(),
        FakeExecutor({"extract_a": "FAILED"}),
        run_id=RUN_ID,
        max_parallel=1,
        listener=rec,
    )
    assert rec.events == [
        ("run_started", "branching", ["WAITING"] * 6),
        ("trigger_fired", "start", ("extract_a", "extract_b")),
        ("job_started", "extract_a", "RUNNING"),
        ("job_ended", "extract_a", "FAILED"),
        ("trigger_fired", "on_failure", ("notify_failure",)),
        ("job_started", "extract_b", "RUNNING"),
        ("job_ended", "extract_b", "SUCCEEDED"),
        ("trigger_fired", "b_done", ("transform_b",)),
        ("job_started", "notify_failure", "RUNNING"),
        ("job_ended", "notify_failure", "SUCCEEDED"),
        ("job_started", "transform_b", "RUNNING"),
        ("job_ended", "transform_b", "SUCCEEDED"),
        ("run_ended", "COMPLETED", "3 succeeded, 1 failed, 2 not run"),
    ]


def test_a_failing_listener_does_not_break_the_run(caplog):
    class Broken(RunListener):
        def job_ended(self, node):
            raise RuntimeError("listener bug")

    result = run_workflow(branching(), FakeExecutor(), run_id=RUN_ID, listener=Broken())
    assert result.ok
    assert "listener bug" in caplog.text


# --------------------------------------------------------------------------------------------
# interrupts


def test_keyboard_interrupt_from_a_job_stops_the_run_and_is_reraised():
    def interrupted(inv: JobInvocation) -> JobResult:
        raise KeyboardInterrupt

    rec = Recorder()
    ex = FakeExecutor({"extract_a": interrupted})
    with pytest.raises(KeyboardInterrupt) as info:
        run_workflow(branching(), ex, run_id=RUN_ID, max_parallel=1, listener=rec)
    assert isinstance(info.value, WorkflowInterrupted)
    result = info.value.result
    assert result.status == "STOPPED"
    assert states(result) == {
        "extract_a": "STOPPED",
        "extract_b": "NOT_RUN",  # was queued, never started
        "transform_a": "NOT_RUN",
        "transform_b": "NOT_RUN",
        "publish": "NOT_RUN",
        "notify_failure": "NOT_RUN",
    }
    assert ex.order == ["extract_a"]
    assert not result.ok
    assert rec.events[-1][:2] == ("run_ended", "STOPPED")


def test_ctrl_c_lets_running_jobs_report_and_starts_nothing_new():
    """A real SIGINT to the main thread while two jobs run: both report STOPPED, nothing new
    starts (extract_b's downstream never runs), and the interrupt is re-raised."""
    seen = threading.Event()
    both_running = threading.Barrier(2, timeout=5)

    def on_sigint(signum, frame):
        seen.set()
        raise KeyboardInterrupt

    def job_a(inv: JobInvocation) -> JobResult:
        both_running.wait()
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        assert seen.wait(5)
        return JobResult("STOPPED", error="stopped by Ctrl-C")

    def job_b(inv: JobInvocation) -> JobResult:
        both_running.wait()
        assert seen.wait(5)
        return JobResult("SUCCEEDED")  # finishes, but its downstream must not start

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        ex = FakeExecutor({"extract_a": job_a, "extract_b": job_b})
        with pytest.raises(WorkflowInterrupted) as info:
            run_workflow(branching(), ex, run_id=RUN_ID, max_parallel=2)
    finally:
        signal.signal(signal.SIGINT, previous)
    result = info.value.result
    assert states(result) == {
        "extract_a": "STOPPED",
        "extract_b": "SUCCEEDED",
        "transform_a": "NOT_RUN",
        "transform_b": "NOT_RUN",
        "publish": "NOT_RUN",
        "notify_failure": "NOT_RUN",
    }
    assert result.node("extract_a").error == "stopped by Ctrl-C"
    assert sorted(ex.order) == ["extract_a", "extract_b"]


def test_ctrl_c_asks_the_executor_to_stop_running_jobs():
    class Stoppable(FakeExecutor):
        def __init__(self) -> None:
            super().__init__({"extract_a": self.long_job})
            self.stop_requested = threading.Event()
            self.stopped: list[str] = []

        def long_job(self, inv: JobInvocation) -> JobResult:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            if self.stop_requested.wait(5):
                return JobResult("STOPPED", error="cancelled")
            return JobResult("SUCCEEDED")

        def stop(self, inv: JobInvocation) -> None:
            self.stopped.append(inv.job_name)
            self.stop_requested.set()

    ex = Stoppable()
    with pytest.raises(WorkflowInterrupted) as info:
        run_workflow(branching(), ex, run_id=RUN_ID, max_parallel=1)
    assert ex.stopped == ["extract_a"]
    assert info.value.result.node("extract_a").state == "STOPPED"
    assert info.value.result.node("extract_a").error == "cancelled"
    assert states(info.value.result)["extract_b"] == "NOT_RUN"


# --------------------------------------------------------------------------------------------
# progress


def test_progress_without_a_tty_prints_one_line_per_event_and_a_summary():
    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=False, color_system=None)
    progress = RichProgress(console)
    assert progress.live is False

    def bad_schema(inv: JobInvocation) -> JobResult:
        raise ValueError("bad schema\nTraceback ...")

    ex = FakeExecutor(
        {
            "extract_a": JobResult("SUCCEEDED", rows_read=5400, rows_written=5400),
            "extract_b": bad_schema,
        }
    )
    result = run_workflow(branching(), ex, run_id=RUN_ID, max_parallel=1, listener=progress)
    out = buf.getvalue()
    lines = out.splitlines()
    assert any(
        "extract_a" in ln and "SUCCEEDED" in ln and "rows in 5,400 out 5,400" in ln for ln in lines
    )
    assert any(
        "extract_b" in ln and "FAILED" in ln and "ValueError: bad schema" in ln for ln in lines
    )
    assert any("trigger a_done fired" in ln for ln in lines)
    assert "Traceback" not in out  # only the first line of an error
    # the summary table lists every job, with NOT_RUN ones too
    summary = out.split("branching  run wr_test")[1]
    for name, state in states(result).items():
        assert name in summary and state in summary
    assert lines[-1].startswith("branching COMPLETED in ")
    assert lines[-1].endswith(": 2 succeeded, 1 failed, 3 not run")
    assert "\x1b[" not in out  # no colour codes when not a terminal
    assert progress.result is result


def test_progress_on_a_terminal_uses_a_live_table_then_prints_the_summary():
    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=True)
    progress = RichProgress(console, refresh_per_second=50)
    assert progress.live is True
    run_workflow(
        branching(), FakeExecutor({"extract_a": "FAILED"}), run_id=RUN_ID, listener=progress
    )
    out = buf.getvalue()
    assert "notify_failure" in out and "NOT_RUN" in out
    assert "3 succeeded, 1 failed, 2 not run" in out


def test_first_line_truncates():
    assert first_line("boom\nmore") == "boom"
    assert first_line("\n  spaced  \n") == "spaced"
    assert first_line(None) == ""
    assert first_line("x" * 100, width=10) == "x" * 9 + "…"
