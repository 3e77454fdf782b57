"""make deploy's steps after the stacks: the Snowflake connection and the streaming-job restart."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from lakehouse.deploy import after_deploy

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lakehouse/dev/snowflake-AbCdEf"
HOST = "acme-xy12345.snowflakecomputing.com"


@pytest.fixture
def glue():
    with mock_aws():
        yield boto3.client("glue", region_name="eu-west-1")


def test_the_snowflake_connection_is_created_with_the_secret_and_no_credentials(glue):
    assert (
        after_deploy.ensure_snowflake_connection(glue, "lakehouse-dev-snowflake", HOST, SECRET)
        == "created"
    )
    found = glue.get_connection(Name="lakehouse-dev-snowflake")["Connection"]
    sent = after_deploy.snowflake_connection_input("lakehouse-dev-snowflake", HOST, SECRET)
    assert sent["ConnectionType"] == "SNOWFLAKE"  # moto does not store the type
    assert sent["AuthenticationConfiguration"]["SecretArn"] == SECRET
    assert found["ConnectionProperties"]["HOST"] == HOST
    assert "PASSWORD" not in str(found) and "USERNAME" not in str(found)


def test_an_existing_snowflake_connection_is_updated_in_place():
    glue = boto3.client(
        "glue", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    expected = after_deploy.snowflake_connection_input("c", HOST, SECRET)
    with Stubber(glue) as stub:  # moto has no UpdateConnection
        stub.add_response(
            "get_connection", {"Connection": {"Name": "c"}}, {"Name": "c", "HidePassword": True}
        )
        stub.add_response("update_connection", {}, {"Name": "c", "ConnectionInput": expected})
        assert after_deploy.ensure_snowflake_connection(glue, "c", HOST, SECRET) == "updated"
        stub.assert_no_pending_responses()


class FakeGlue:
    """Job runs that take two polls to stop, as a streaming run does."""

    def __init__(self, states: dict[str, str]):
        self.states = dict(states)
        self.stopping: dict[str, int] = {}
        self.started: list[str] = []

    def get_job_runs(self, JobName, MaxResults):
        for run, polls in list(self.stopping.items()):
            self.stopping[run] = polls - 1
            if polls <= 1:
                self.states[run] = "STOPPED"
                del self.stopping[run]
        return {"JobRuns": [{"Id": r, "JobRunState": s} for r, s in self.states.items()]}

    def batch_stop_job_run(self, JobName, JobRunIds):
        for run in JobRunIds:
            self.states[run] = "STOPPING"
            self.stopping[run] = 2

    def start_job_run(self, JobName):
        assert not [s for s in self.states.values() if s in after_deploy.ACTIVE_STATES]
        run = f"jr_{len(self.states) + 1}"
        self.states[run] = "RUNNING"
        self.started.append(run)
        return {"JobRunId": run}


def test_a_deploy_stops_the_running_stream_waits_and_starts_the_new_release():
    glue = FakeGlue({"jr_1": "RUNNING", "jr_0": "FAILED"})
    slept = []
    assert (
        after_deploy.restart_streaming_job(glue, "ingest_order_events", sleep=slept.append)
        == "jr_3"
    )
    assert glue.states == {"jr_1": "STOPPED", "jr_0": "FAILED", "jr_3": "RUNNING"}
    assert slept == [15]  # one wait: the run was STOPPING at the first look


def test_a_stream_that_does_not_stop_is_reported_not_doubled():
    glue = FakeGlue({"jr_1": "RUNNING"})
    glue.batch_stop_job_run = lambda JobName, JobRunIds: None
    with pytest.raises(TimeoutError, match="did not stop"):
        after_deploy.restart_streaming_job(glue, "s", timeout_s=30, poll_s=15, sleep=lambda s: None)
    assert glue.started == []
