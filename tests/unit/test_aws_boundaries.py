"""The boto3 code paths the jobs take in AWS Glue, against moto (in-process; nothing leaves).

Covered elsewhere, also against moto: Secrets Manager reads (tests/unit/clients/test_secrets.py),
S3 blobs and state (tests/unit/clients/test_blobs.py), CloudWatch metrics (test_metrics.py:
CloudWatchSink), SNS alerts (test_notify.py), Glue UpdateTable keeping the table definition
(test_wap.py). Here: Glue workflow run properties, and Gold publishing through the Glue API.
"""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from moto import mock_aws

from lakehouse import catalog, runtime, wap
from tests.unit.jobs import make_job

WORKFLOW = "daily_batch"
LAKE = "s3://lakehouse-dev-lake-123456789012-eu-west-1"


@pytest.fixture
def glue(aws_credentials):
    """Moto's Glue with the daily_batch workflow; yields (client, a started run's id)."""
    with mock_aws():
        client = boto3.client("glue")
        client.create_workflow(Name=WORKFLOW)
        yield client, client.start_workflow_run(Name=WORKFLOW)["RunId"]


def test_in_glue_the_run_properties_are_glue_s_workflow_run_properties(glue):
    client, run_id = glue
    store = runtime.run_properties_store("glue", LAKE, WORKFLOW, run_id)
    assert isinstance(store, runtime.GlueRunProperties)
    store.put({"batch_date": "2026-03-01", "attempt": 2})
    store.put({"staged_gold": "{}"})
    stored = client.get_workflow_run_properties(Name=WORKFLOW, RunId=run_id)["RunProperties"]
    assert stored == {"batch_date": "2026-03-01", "attempt": "2", "staged_gold": "{}"}
    # Another job of the same run (its own client) sees them; another run does not.
    assert runtime.GlueRunProperties(WORKFLOW, run_id).get() == stored
    other = client.start_workflow_run(Name=WORKFLOW)["RunId"]
    assert runtime.GlueRunProperties(WORKFLOW, other).get() == {}


def test_the_first_job_of_a_glue_workflow_run_fixes_the_batch_date_for_the_others(glue):
    client, run_id = glue
    eng = runtime.Engine(spark=None, mode="glue", lake_root=LAKE)
    first = {"WORKFLOW_NAME": WORKFLOW, "WORKFLOW_RUN_ID": run_id, "batch_date": "2026-05-06"}
    assert runtime._resolve_run(first, eng, "jr_1")[:2] == (run_id, dt.date(2026, 5, 6))
    later = {"WORKFLOW_NAME": WORKFLOW, "WORKFLOW_RUN_ID": run_id, "batch_date": None}
    assert runtime._resolve_run(later, eng, "jr_2")[:2] == (run_id, dt.date(2026, 5, 6))
    stored = client.get_workflow_run_properties(Name=WORKFLOW, RunId=run_id)["RunProperties"]
    assert stored["batch_date"] == "2026-05-06"


# ---------------------------------------------------------------- publish through Glue

TABLE = "t_aws.orders"


def frame(spark, *ids):
    return spark.createDataFrame([(i, f"o{i}") for i in ids], "id int, name string")


@pytest.fixture
def lake(spark, spark_lake):
    catalog.ensure_database(spark, "t_aws", str(spark_lake / "t_aws"))
    yield spark_lake
    spark.sql(f"DROP TABLE IF EXISTS {TABLE}")


@pytest.mark.spark
def test_in_glue_publish_gold_switches_the_glue_table_to_the_version_staged_in_the_run(
    spark, lake, glue
):
    client, run_id = glue
    # The table as an earlier run published it, in the Spark catalog and in Glue's.
    before = make_job(lake, "wr_aws_before")
    wap.stage(before, TABLE, frame(spark, 1, 2))
    wap.publish(before, [TABLE])
    published = catalog.table_location(spark, TABLE)
    client.create_database(DatabaseInput={"Name": "t_aws"})
    client.create_table(
        DatabaseName="t_aws",
        TableInput={
            "Name": "orders",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "int"}, {"Name": "name", "Type": "string"}],
                "Location": published,
            },
        },
    )
    assert catalog.GlueTables(client).location("t_aws", "orders") == published

    # silver_to_gold and publish_gold of one Glue workflow run: the staged location travels in
    # Glue's run properties, and publishing is Glue's UpdateTable.
    job = runtime.JobRun(
        name="publish_gold",
        job_run_id="jr_publish",
        run_id=run_id,
        batch_date=dt.date(2026, 3, 1),
        args={},
        engine=runtime.Engine(spark, "glue", None, str(lake)),
        run_properties=runtime.GlueRunProperties(WORKFLOW, run_id, client),
        started_at=dt.datetime.now(dt.UTC),
        workflow_name=WORKFLOW,
    )
    wap.stage(job, TABLE, frame(spark, 1, 2, 3))
    properties = client.get_workflow_run_properties(Name=WORKFLOW, RunId=run_id)["RunProperties"]
    staged = json.loads(properties[wap.STAGED_PROPERTY])[TABLE]
    assert staged != published
    assert catalog.GlueTables(client).location("t_aws", "orders") == published, "not yet"

    wap.publish(job, [TABLE])
    assert catalog.GlueTables(client).location("t_aws", "orders") == staged
    assert wap.publication_log(spark, str(lake), TABLE)[-1]["run_id"] == run_id
