"""notify_failure: which jobs of a workflow run failed, failure.json, and the SNS message."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from lakehouse import notify, runtime
from lakehouse.workflow.record import save_run_record
from lakehouse.workflow.runner import NodeResult, NodeState, WorkflowRunResult

RUN_ID = "wr_notify_1"
ROW_DATA = "alice@example.com"  # a value from the data: it must never reach the message
TRACEBACK = "\n".join(f"  File 'job.py', line {n}" for n in range(20))


def make_job(lake: str, mode: str = "local", run_id: str = RUN_ID) -> runtime.JobRun:
    """The notify_failure job run, without Spark."""
    return runtime.JobRun(
        name="notify_failure",
        job_run_id=f"jr_{run_id}_notify",
        run_id=run_id,
        batch_date=dt.date(2026, 3, 1),
        args={},
        engine=runtime.Engine(spark=None, mode=mode, lake_root=lake),
        run_properties=None,
        started_at=dt.datetime.now(dt.UTC),
        workflow_name="daily_batch",
    )


def node(name: str, state: NodeState, error: str | None = None) -> NodeResult:
    details = {"dq": [{"rule": 'IsComplete "email"', "sample": ROW_DATA}]} if error else {}
    return NodeResult(name, state, job_run_id=f"jr_{name}", error=error, details=details)


@pytest.fixture
def failed_run(tmp_path: Path) -> Path:
    """A local run where dq_silver FAILED and silver_to_gold TIMED OUT; others did not fail."""
    nodes = [
        node("bronze_to_silver", NodeState.SUCCEEDED),
        node("dq_silver", NodeState.FAILED, "dq_silver: 1 halting DQ rule(s) failed\n" + TRACEBACK),
        node("silver_to_gold", NodeState.TIMEOUT, "timed out after 60 minutes"),
        node("publish_gold", NodeState.NOT_RUN),
        node("notify_failure", NodeState.RUNNING),
    ]
    run = WorkflowRunResult("daily_batch", RUN_ID, dt.datetime.now(dt.UTC), nodes=nodes)
    save_run_record(tmp_path, run)
    return tmp_path


def test_failed_jobs_local_lists_failed_and_timed_out_nodes(failed_run):
    failed = notify.failed_jobs_local(str(failed_run), RUN_ID)
    assert [(f["job_name"], f["state"], f["job_run_id"]) for f in failed] == [
        ("dq_silver", "FAILED", "jr_dq_silver"),
        ("silver_to_gold", "TIMEOUT", "jr_silver_to_gold"),
    ]
    assert failed[0]["error"].startswith("dq_silver: 1 halting DQ rule(s) failed")


def test_failed_jobs_local_falls_back_to_the_job_records(tmp_path):
    """Without a runner record (a job run by hand), the job-run records tell."""
    for name, state in [("dq_bronze", "FAILED"), ("ingest_fx_rates", "SUCCEEDED")]:
        record = {"job_name": name, "job_run_id": f"jr_{name}", "run_id": RUN_ID,
                  "state": state, "error": "boom" if state == "FAILED" else None}  # fmt: skip
        runtime.write_job_record(str(tmp_path), record)
    assert notify.failed_jobs_local(str(tmp_path), RUN_ID) == [
        {"job_name": "dq_bronze", "job_run_id": "jr_dq_bronze", "state": "FAILED", "error": "boom"}
    ]


def test_failure_json_is_written_in_the_run_folder(failed_run):
    job = make_job(str(failed_run))
    record = notify.notify_failure(job, topic_arn=None)

    saved = json.loads((failed_run / "_runs" / RUN_ID / "failure.json").read_text())
    assert saved == record
    assert saved["workflow_name"] == "daily_batch" and saved["batch_date"] == "2026-03-01"
    assert [f["job_name"] for f in saved["failed_jobs"]] == ["dq_silver", "silver_to_gold"]
    assert saved["notified"] is None
    assert job.metrics["failed_jobs"] == 2


def test_the_summary_gives_the_first_lines_of_each_error_and_the_resume_command():
    failed = [{"job_name": "dq_gold", "job_run_id": "jr_1", "state": "FAILED",
               "error": "dq_gold: RowCount = 4 failed\n" + TRACEBACK}]  # fmt: skip
    text = notify.summary("daily_batch", RUN_ID, "2026-03-01", failed)
    assert text.splitlines()[0] == (
        f"Workflow daily_batch run {RUN_ID} (batch 2026-03-01): 1 job(s) failed."
    )
    assert "- dq_gold FAILED (jr_1): dq_gold: RowCount = 4 failed" in text
    assert "line 4" in text and "line 5" not in text  # a long traceback is cut short
    assert text.splitlines()[-1] == f"Resume after fixing: lakehouse workflow resume {RUN_ID}"


def sqs_messages(sqs, queue_url: str) -> list[dict]:
    response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in response.get("Messages", [])]


@pytest.fixture
def topic(aws_credentials):
    """An SNS topic with an SQS queue subscribed to it (moto): yields (sns, topic arn, reader)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        arn = sns.create_topic(Name="lakehouse-failures")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="on-call")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=arn, Protocol="sqs",
                      Endpoint=queue_arn["Attributes"]["QueueArn"])  # fmt: skip
        yield sns, arn, lambda: sqs_messages(sqs, queue_url)


def test_the_on_call_topic_gets_the_failed_jobs_and_the_resume_command(failed_run, topic):
    sns, arn, received = topic
    record = notify.notify_failure(make_job(str(failed_run)), arn, sns=sns)

    [message] = received()
    assert message["MessageId"] == record["notified"]["message_id"]
    assert record["notified"]["topic_arn"] == arn
    assert len(message["Subject"]) <= notify.SUBJECT_LIMIT
    assert "daily_batch" in message["Subject"] and "dq_silver" in message["Subject"]
    body = message["Message"]
    assert "dq_silver FAILED" in body and "silver_to_gold TIMEOUT" in body
    assert f"lakehouse workflow resume {RUN_ID}" in body
    assert ROW_DATA not in body and "bronze_to_silver" not in body


def test_a_long_list_of_failed_jobs_still_fits_the_sns_subject(tmp_path, topic):
    sns, arn, received = topic
    names = [f"ingest_source_with_a_rather_long_name_{n}" for n in range(6)]
    nodes = [node(n, NodeState.FAILED, "boom") for n in names]
    save_run_record(tmp_path, WorkflowRunResult("daily_batch", RUN_ID, dt.datetime.now(dt.UTC),
                                                nodes=nodes))  # fmt: skip
    notify.notify_failure(make_job(str(tmp_path)), arn, sns=sns)

    [message] = received()
    assert len(message["Subject"]) == notify.SUBJECT_LIMIT
    assert all(n in message["Message"] for n in names)


class FakeGlue:
    """Answers GetWorkflowRun (with its graph) like Glue does; moto has no workflow runs."""

    def __init__(self, run: dict):
        self.run = run
        self.calls: list[dict] = []

    def get_workflow_run(self, **kwargs):
        self.calls.append(kwargs)
        return {"Run": self.run}


def glue_run() -> dict:
    def job_node(name, *runs):
        job_runs = [{"Id": f"jr_{name}_{i}", "JobName": name, "JobRunState": state,
                     **({"ErrorMessage": error} if error else {})}
                    for i, (state, error) in enumerate(runs)]  # fmt: skip
        return {"Type": "JOB", "Name": name, "JobDetails": {"JobRuns": job_runs}}

    return {
        "Name": "daily_batch",
        "WorkflowRunId": RUN_ID,
        "Status": "COMPLETED",
        "Graph": {
            "Nodes": [
                {"Type": "TRIGGER", "Name": "bronze_ready", "TriggerDetails": {}},
                job_node("dq_bronze", ("SUCCEEDED", None)),
                job_node("bronze_to_silver", ("FAILED", "OutOfMemory\nat line 3")),
                job_node("silver_to_gold", ("TIMEOUT", None)),
                job_node("notify_failure", ("FAILED", "SNS throttled"), ("RUNNING", None)),
                {"Type": "JOB", "Name": "publish_gold", "JobDetails": {}},
            ]
        },
    }


def test_failed_jobs_glue_reads_the_workflow_run_graph():
    glue = FakeGlue(glue_run())
    failed = notify.failed_jobs_glue(glue, "daily_batch", RUN_ID)
    assert glue.calls == [{"Name": "daily_batch", "RunId": RUN_ID, "IncludeGraph": True}]
    assert failed == [
        {"job_name": "bronze_to_silver", "job_run_id": "jr_bronze_to_silver_0",
         "state": "FAILED", "error": "OutOfMemory\nat line 3"},
        {"job_name": "silver_to_gold", "job_run_id": "jr_silver_to_gold_0",
         "state": "TIMEOUT", "error": None},
        {"job_name": "notify_failure", "job_run_id": "jr_notify_failure_0",
         "state": "FAILED", "error": "SNS throttled"},
    ]  # fmt: skip


def test_in_glue_the_failures_come_from_glue_and_no_file_is_written(topic, tmp_path, monkeypatch):
    """An earlier failed attempt of notify_failure itself is not reported."""
    monkeypatch.chdir(tmp_path)
    sns, arn, received = topic
    job = make_job("s3://lake-bucket/lake", mode="glue")
    record = notify.notify_failure(job, arn, sns=sns, glue=FakeGlue(glue_run()))

    assert [f["job_name"] for f in record["failed_jobs"]] == ["bronze_to_silver", "silver_to_gold"]
    [message] = received()
    assert "bronze_to_silver FAILED (jr_bronze_to_silver_0): OutOfMemory" in message["Message"]
    assert "notify_failure" not in message["Message"]
    assert list(tmp_path.iterdir()) == []  # an S3 lake gets no local failure.json
