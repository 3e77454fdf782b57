"""What ``make deploy`` does in AWS after the stacks, where CloudFormation cannot.

* The Snowflake connection: Glue's native Snowflake connector needs a connection of type
  ``SNOWFLAKE``, which ``AWS::Glue::Connection`` does not offer (its ConnectionType enum has no
  SNOWFLAKE), so it is created or updated through the Glue API, pointing at the stack's secret.
* The streaming job: it runs continuously outside the workflow, so a deploy (re)starts it to run
  the new release; its checkpoint makes the restart lose and repeat nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

ACTIVE_STATES = frozenset({"STARTING", "RUNNING", "STOPPING", "WAITING"})


def snowflake_connection_input(name: str, host: str, secret_arn: str) -> dict[str, Any]:
    """The ``ConnectionInput`` of the Snowflake connection (credentials stay in the secret)."""
    return {
        "Name": name,
        "Description": "Snowflake orders (ingest_snowflake_orders); credentials in Secrets Manager",
        "ConnectionType": "SNOWFLAKE",
        "ConnectionProperties": {"HOST": host, "PORT": "443"},
        "AuthenticationConfiguration": {"AuthenticationType": "BASIC", "SecretArn": secret_arn},
    }


def ensure_snowflake_connection(glue: Any, name: str, host: str, secret_arn: str) -> str:
    """Create the connection, or update it when it exists; return "created" or "updated"."""
    connection = snowflake_connection_input(name, host, secret_arn)
    try:
        glue.get_connection(Name=name, HidePassword=True)
    except glue.exceptions.EntityNotFoundException:
        glue.create_connection(ConnectionInput=connection)
        return "created"
    glue.update_connection(Name=name, ConnectionInput=connection)
    return "updated"


def _active_runs(glue: Any, job: str) -> list[str]:
    runs = glue.get_job_runs(JobName=job, MaxResults=50)["JobRuns"]
    return [r["Id"] for r in runs if r["JobRunState"] in ACTIVE_STATES]


def restart_streaming_job(
    glue: Any,
    job: str,
    *,
    timeout_s: float = 900,
    poll_s: float = 15,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Stop the job's active runs, wait until they have stopped, start a new run; its id."""
    active = _active_runs(glue, job)
    if active:
        glue.batch_stop_job_run(JobName=job, JobRunIds=active)
    waited = 0.0
    while _active_runs(glue, job):
        if waited >= timeout_s:
            raise TimeoutError(f"{job}: runs {active} did not stop within {timeout_s:.0f} s")
        sleep(poll_s)
        waited += poll_s
    return glue.start_job_run(JobName=job)["JobRunId"]
