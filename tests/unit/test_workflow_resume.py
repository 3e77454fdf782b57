"""Resuming a workflow run (Glue's ResumeWorkflowRun) and the run record kept during a run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lakehouse.workflow import JobInvocation, JobResult, load_workflow, run_workflow
from lakehouse.workflow.record import RunRecorder, load_run_record
from lakehouse.workflow.resume import KILLED, ResumeRefused, settle_previous_run
from lakehouse.workflow.runner import NodeState, ResumeError, plan_resume

DAILY_BATCH = Path(__file__).resolve().parents[2] / "workflows" / "daily_batch.yaml"


class Scripted:
    """Succeeds unless told otherwise; remembers the order of calls."""

    def __init__(self, failing: dict[str, str] | None = None) -> None:
        self.failing = failing or {}
        self.order: list[str] = []

    def __call__(self, inv: JobInvocation) -> JobResult:
        self.order.append(inv.job_name)
        state = self.failing.get(inv.job_name, "SUCCEEDED")
        return JobResult(state, error=None if state == "SUCCEEDED" else "broken on purpose")


@pytest.fixture
def workflow():
    return load_workflow(DAILY_BATCH)


def states(result) -> dict[str, str]:
    return {n.job_name: str(n.state) for n in result.nodes}


def test_resume_reruns_the_failed_gate_and_everything_after_it_only(workflow):
    failed = run_workflow(workflow, Scripted({"dq_silver": "FAILED"}), run_id="wr_a")
    plan = plan_resume(workflow, failed)
    assert plan.start_jobs == ("dq_silver",)
    assert plan.rerun == {
        "dq_silver",
        "silver_to_gold",
        "dq_gold",
        "publish_gold",
        "notify_failure",
    }

    again = Scripted()
    resumed = run_workflow(workflow, again, run_id="wr_b", resume=plan, batch_date="2026-03-01")
    assert again.order == ["dq_silver", "silver_to_gold", "dq_gold", "publish_gold"]
    assert resumed.ok and resumed.resumed_from == "wr_a"
    assert states(resumed)["notify_failure"] == "NOT_RUN"
    carried = {n.job_name: n.carried_over_from for n in resumed.nodes if n.carried_over_from}
    assert carried == {j: "wr_a" for j in workflow.jobs if j.startswith("ingest_")} | {
        "dq_bronze": "wr_a",
        "bronze_to_silver": "wr_a",
    }
    # a carried node keeps the job run id of the run that really ran it
    assert resumed.node("dq_bronze").job_run_id == failed.node("dq_bronze").job_run_id


def test_resume_from_a_job_reruns_it_and_downstream_even_after_success(workflow):
    ok = run_workflow(workflow, Scripted(), run_id="wr_a")
    with pytest.raises(ResumeError, match="no failed"):
        plan_resume(workflow, ok)
    plan = plan_resume(workflow, ok, from_job="silver_to_gold")
    again = Scripted()
    run_workflow(workflow, again, run_id="wr_b", resume=plan)
    assert again.order == ["silver_to_gold", "dq_gold", "publish_gold"]
    with pytest.raises(ResumeError, match="not a job"):
        plan_resume(workflow, ok, from_job="silver_to_golden")


def test_a_failing_resume_fails_again_and_notifies_and_can_be_resumed_again(workflow):
    first = run_workflow(workflow, Scripted({"ingest_fx_rates": "FAILED"}), run_id="wr_a")
    second = run_workflow(
        workflow,
        Scripted({"dq_gold": "FAILED"}),
        run_id="wr_b",
        resume=plan_resume(workflow, first),
    )
    assert [n.job_name for n in second.failed_nodes] == ["dq_gold"]
    assert states(second)["notify_failure"] == "SUCCEEDED"
    third = Scripted()
    final = run_workflow(workflow, third, run_id="wr_c", resume=plan_resume(workflow, second))
    assert third.order == ["dq_gold", "publish_gold"]
    # carried over twice: still points at the run that really ran it
    assert final.node("ingest_hubspot_contacts").carried_over_from == "wr_a"
    assert final.node("silver_to_gold").carried_over_from == "wr_b"


def test_the_run_record_is_on_disk_while_the_run_goes_on(workflow, tmp_path):
    seen: list[dict[str, str]] = []

    def peek(inv: JobInvocation) -> JobResult:
        record = load_run_record(tmp_path, "wr_live")
        seen.append(states(record))
        return JobResult("SUCCEEDED")

    run_workflow(workflow, peek, run_id="wr_live", listener=RunRecorder(tmp_path),
                 max_parallel=1, batch_date="2026-03-01")  # fmt: skip
    assert seen[0]["ingest_hubspot_contacts"] == "RUNNING"
    assert seen[-1]["publish_gold"] == "RUNNING" and seen[-1]["dq_gold"] == "SUCCEEDED"
    final = load_run_record(tmp_path, "wr_live")
    assert final.status == "COMPLETED" and final.batch_date == "2026-03-01"
    assert final.pid == os.getpid()


def _killed_run(workflow, tmp_path, pid: int):
    """A record as a runner killed during silver_to_gold leaves it."""

    def crash_at_gold(inv: JobInvocation) -> JobResult:
        if inv.job_name == "silver_to_gold":
            raise KeyboardInterrupt
        return JobResult("SUCCEEDED")

    recorder = RunRecorder(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run_workflow(workflow, crash_at_gold, run_id="wr_dead", listener=recorder, max_parallel=1)
    record = load_run_record(tmp_path, "wr_dead")
    nodes = [
        n
        if n.job_name != "silver_to_gold"
        else type(n)(**{**n.__dict__, "state": NodeState.RUNNING})
        for n in record.nodes
    ]
    dead = type(record)(**{**record.__dict__, "nodes": nodes, "status": "RUNNING", "pid": pid})
    return dead


def test_a_killed_run_is_settled_before_resume_and_a_live_one_is_refused(workflow, tmp_path):
    child = subprocess.Popen(["true"])
    child.wait()
    dead = _killed_run(workflow, tmp_path, pid=child.pid)
    settled = settle_previous_run(str(tmp_path), dead)
    assert settled.status == "STOPPED"
    node = settled.node("silver_to_gold")
    assert node.state == NodeState.STOPPED and node.error == KILLED
    assert load_run_record(tmp_path, "wr_dead").node("silver_to_gold").state == "STOPPED"
    plan = plan_resume(workflow, settled)
    assert plan.start_jobs == ("silver_to_gold",)

    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        alive = _killed_run(workflow, tmp_path, pid=sleeper.pid)
        with pytest.raises(ResumeRefused, match="still running"):
            settle_previous_run(str(tmp_path), alive)
    finally:
        sleeper.kill()


def test_jobs_that_were_due_but_never_started_are_resumed_too(workflow):
    """One slot, Ctrl-C during the first ingest: the other four never started (NOT_RUN)."""

    def interrupt_first(inv: JobInvocation) -> JobResult:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        run_workflow(workflow, interrupt_first, run_id="wr_a", max_parallel=1)
    interrupted = caught.value.result
    assert states(interrupted)["ingest_fx_rates"] == "NOT_RUN"
    plan = plan_resume(workflow, interrupted)
    assert set(plan.start_jobs) == {j for j in workflow.jobs if j.startswith("ingest_")}
    again = Scripted()
    resumed = run_workflow(workflow, again, run_id="wr_b", resume=plan)
    assert resumed.ok and "publish_gold" in again.order
