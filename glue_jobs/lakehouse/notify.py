"""Record a workflow run's failed jobs and publish a summary to SNS (the notify_failure job)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from lakehouse.runtime import JobRun

log = logging.getLogger(__name__)
FAILED_STATES = ("FAILED", "TIMEOUT", "ERROR", "STOPPED")
SUBJECT_LIMIT = 100  # SNS rejects longer subjects


def failed_jobs_local(lake_root: str, run_id: str) -> list[dict[str, Any]]:
    """Failed job runs of a local workflow run, from the runner's record (else the job records)."""
    run_dir = Path(lake_root) / "_runs" / run_id
    workflow = run_dir / "workflow_run.json"
    if workflow.exists():
        nodes = json.loads(workflow.read_text())["nodes"]
        return [
            {"job_name": n["job_name"], "job_run_id": n["job_run_id"], "state": n["state"],
             "error": n.get("error")}
            for n in nodes if n["state"] in FAILED_STATES
        ]  # fmt: skip
    records = [json.loads(p.read_text()) for p in sorted((run_dir / "jobs").glob("*.json"))]
    return [
        {"job_name": r["job_name"], "job_run_id": r["job_run_id"], "state": r["state"],
         "error": r.get("error")}
        for r in records if r["state"] in FAILED_STATES
    ]  # fmt: skip


def failed_jobs_glue(client: Any, workflow: str, run_id: str) -> list[dict[str, Any]]:
    """Failed job runs of a Glue workflow run (``GetWorkflowRun`` with its graph)."""
    run = client.get_workflow_run(Name=workflow, RunId=run_id, IncludeGraph=True)["Run"]
    failed = []
    for node in run.get("Graph", {}).get("Nodes", []):
        for job_run in (node.get("JobDetails") or {}).get("JobRuns", []):
            if job_run.get("JobRunState") in FAILED_STATES:
                failed.append(
                    {"job_name": job_run.get("JobName"), "job_run_id": job_run.get("Id"),
                     "state": job_run.get("JobRunState"), "error": job_run.get("ErrorMessage")}
                )  # fmt: skip
    return failed


def summary(workflow: str, run_id: str, batch_date: str, failed: list[dict[str, Any]]) -> str:
    """The message: one block per failed job with the first lines of its error."""
    lines = [f"Workflow {workflow} run {run_id} (batch {batch_date}): {len(failed)} job(s) failed."]
    for job in failed:
        error = (job.get("error") or "no error message").strip().splitlines()
        lines.append(f"- {job['job_name']} {job['state']} ({job['job_run_id']}): {error[0]}")
        lines += [f"    {line}" for line in error[1:6]]
    lines.append(f"Resume after fixing: lakehouse workflow resume {run_id}")
    return "\n".join(lines)


def notify_failure(job: JobRun, topic_arn: str | None, sns: Any = None, glue: Any = None) -> dict:
    """Write ``failure.json`` in the run's folder (local lakes) and publish to ``topic_arn``."""
    workflow = job.workflow_name or "standalone"
    if job.mode == "glue" and job.workflow_name:
        import boto3

        failed = failed_jobs_glue(glue or boto3.client("glue"), workflow, job.run_id)
    else:
        failed = failed_jobs_local(job.lake_root, job.run_id)
    failed = [f for f in failed if f["job_name"] != job.name]
    record = {
        "workflow_name": workflow,
        "run_id": job.run_id,
        "batch_date": job.batch_date.isoformat(),
        "failed_jobs": failed,
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(),
        "notified": None,
    }
    if topic_arn:
        import boto3

        client = sns or boto3.client("sns")
        subject = f"[lakehouse] {workflow} failed: " + ", ".join(f["job_name"] for f in failed)
        response = client.publish(
            TopicArn=topic_arn,
            Subject=subject[:SUBJECT_LIMIT],
            Message=summary(workflow, job.run_id, record["batch_date"], failed),
        )
        record["notified"] = {"topic_arn": topic_arn, "message_id": response.get("MessageId")}
    if "://" not in job.lake_root:
        path = Path(job.run_dir) / "failure.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2))
    log.warning("%s", summary(workflow, job.run_id, record["batch_date"], failed))
    job.add_metrics(failed_jobs=len(failed))
    return record
