"""The local executor: runs a Glue script's main() in-process and reports like Glue would."""

from __future__ import annotations

import threading

import pytest

from lakehouse.workflow import local_executor
from lakehouse.workflow.definition import JobDefinition
from lakehouse.workflow.local_executor import LocalScriptExecutor
from lakehouse.workflow.runner import JobInvocation

pytestmark = pytest.mark.spark

SLOW_JOB = """
from lakehouse.runtime import start_job

def main(argv=None):
    with start_job(argv) as job:
        job.spark.range(0, 10**11, numPartitions=2).selectExpr("sum(id * id)").collect()
"""

COUNTING_JOB = """
from lakehouse.runtime import start_job

def main(argv=None):
    with start_job(argv) as job:
        rows = job.spark.range(7).count()
        job.add_metrics(rows_read=rows, rows_written=rows)
"""


def invocation(tmp_path, lake, script: str, source: str, timeout=None, run_id="jr_test1"):
    (tmp_path / script).write_text(source)
    job = JobDefinition(name=script[:-3], command_name="glueetl", script_location=script)
    argv = ["--JOB_NAME", job.name, "--JOB_RUN_ID", run_id, "--lake_root", str(lake)]
    return JobInvocation("wf", "wr_x", job.name, run_id, job, argv, timeout_minutes=timeout)


def test_a_job_reports_success_and_its_row_counts(spark, spark_lake, tmp_path):
    inv = invocation(tmp_path, spark_lake, "counting.py", COUNTING_JOB, run_id="jr_count")
    result = LocalScriptExecutor(tmp_path).execute(inv)
    assert (result.state, result.rows_read, result.rows_written) == ("SUCCEEDED", 7, 7)


def test_a_job_past_its_timeout_is_cancelled_and_reported_timeout(
    spark, spark_lake, tmp_path, monkeypatch
):
    monkeypatch.setattr(local_executor, "SECONDS_PER_MINUTE", 2)  # Timeout: 1 -> 2 seconds
    inv = invocation(tmp_path, spark_lake, "slow.py", SLOW_JOB, timeout=1, run_id="jr_slow")
    result = LocalScriptExecutor(tmp_path).execute(inv)
    assert result.state == "TIMEOUT"
    assert "cancel" in result.error.lower()


def test_stop_cancels_a_running_job(spark, spark_lake, tmp_path):
    inv = invocation(tmp_path, spark_lake, "slow2.py", SLOW_JOB, run_id="jr_stop")
    executor = LocalScriptExecutor(tmp_path)
    results = []
    worker = threading.Thread(target=lambda: results.append(executor.execute(inv)))
    worker.start()
    threading.Timer(3, executor.stop, (inv,)).start()
    worker.join(timeout=120)
    assert results and results[0].state == "FAILED"


def test_a_missing_script_fails_the_node_with_its_path(tmp_path):
    job = JobDefinition(name="ghost", command_name="glueetl", script_location="ghost.py")
    inv = JobInvocation("wf", "wr_x", "ghost", "jr_g", job, ["--JOB_NAME", "ghost"])
    result = LocalScriptExecutor(tmp_path).execute(inv)
    assert result.state == "FAILED" and "ghost.py" in result.error
