"""Write-audit-publish for Gold: staged versions stay invisible until published; rollback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lakehouse import catalog, wap
from tests.unit.jobs import make_job

pytestmark = pytest.mark.spark
TABLE = "t_wap.orders"


def rows(spark, table=TABLE):
    return sorted(tuple(r) for r in spark.table(table).collect())


def frame(spark, *ids):
    return spark.createDataFrame([(i, f"o{i}") for i in ids], "id int, name string")


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def lake(spark, spark_lake):
    catalog.ensure_database(spark, "t_wap", str(spark_lake / "t_wap"))
    yield spark_lake
    spark.sql(f"DROP TABLE IF EXISTS {TABLE}")


def stage_and_publish(spark, lake, run_id, *ids):
    job = make_job(lake, run_id)
    wap.stage(job, TABLE, frame(spark, *ids))
    wap.publish(job, [TABLE])
    return job


def test_a_staged_version_is_invisible_until_published(spark, lake):
    stage_and_publish(spark, lake, "wr_a", 1, 2)
    published = Path(catalog.table_location(spark, TABLE))
    before = checksums(published)

    job = make_job(lake, "wr_b")
    staged = wap.stage(job, TABLE, frame(spark, 1, 2, 3))
    assert staged.count() == 3
    assert rows(spark) == [(1, "o1"), (2, "o2")]  # readers still see the published version
    assert checksums(published) == before
    props = json.loads(job.run_properties.get()[wap.STAGED_PROPERTY])
    assert props[TABLE] != str(published) and Path(props[TABLE]).is_dir()
    assert job.outputs[-1]["kind"] == "staged" and job.outputs[-1]["rows"] == 3

    wap.publish(job, [TABLE])
    assert rows(spark) == [(1, "o1"), (2, "o2"), (3, "o3")]
    assert catalog.table_location(spark, TABLE).endswith(Path(props[TABLE]).name)
    assert job.metrics["tables_published"] == 1


def test_publishing_again_is_idempotent(spark, lake):
    job = stage_and_publish(spark, lake, "wr_a", 1)
    location = catalog.table_location(spark, TABLE)
    wap.publish(job, [TABLE])  # a resumed run publishes the same staged version again
    assert catalog.table_location(spark, TABLE) == location and rows(spark) == [(1, "o1")]


def test_versions_rollback_and_pruning(spark, lake):
    for n, run in enumerate(["wr_a", "wr_b", "wr_c", "wr_d", "wr_e"], start=1):
        stage_and_publish(spark, lake, run, *range(n))
    rejected = make_job(lake, "wr_f")
    wap.stage(rejected, TABLE, frame(spark, 99))  # staged, never published (DQ said no)

    versions = wap.versions(spark, str(lake), TABLE)
    assert [v.status for v in versions] == ["staged", "current", "published", "published"]
    assert rows(spark) == [(i, f"o{i}") for i in range(5)]

    back = wap.rollback(spark, str(lake), TABLE)
    assert back.name == versions[2].name and rows(spark) == [(i, f"o{i}") for i in range(4)]
    again = wap.rollback(spark, str(lake), TABLE)
    assert again.name == versions[3].name
    with pytest.raises(LookupError, match="no earlier published version"):
        wap.rollback(spark, str(lake), TABLE)
    wap.rollback(spark, str(lake), TABLE, to=versions[1].name)
    assert rows(spark) == [(i, f"o{i}") for i in range(5)]
    with pytest.raises(LookupError, match="has no version 'v1'"):
        wap.rollback(spark, str(lake), TABLE, to="v1")

    # the next publish removes the rejected version and all but the newest 3 published ones
    stage_and_publish(spark, lake, "wr_g", 7)
    statuses = [v.status for v in wap.versions(spark, str(lake), TABLE)]
    assert statuses == ["current", "published", "published"]
    log = wap.publication_log(spark, str(lake), TABLE)
    assert [e["action"] for e in log[-4:]] == ["rollback", "rollback", "rollback", "publish"]


def test_publish_without_a_staged_version_says_what_to_run(spark, lake):
    with pytest.raises(wap.NothingStaged, match="after silver_to_gold"):
        wap.publish(make_job(lake, "wr_empty"), [TABLE])


def test_glue_update_table_switches_only_the_location(aws_credentials):
    import boto3
    from moto import mock_aws

    with mock_aws():
        glue = boto3.client("glue")
        glue.create_database(DatabaseInput={"Name": "gold"})
        columns = [{"Name": "id", "Type": "int"}, {"Name": "name", "Type": "string"}]
        glue.create_table(
            DatabaseName="gold",
            TableInput={
                "Name": "fct_orders",
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"classification": "parquet"},
                "StorageDescriptor": {"Columns": columns, "Location": "s3://lake/gold/fct/v1"},
            },
        )
        tables = catalog.GlueTables(glue)
        tables.set_location("gold", "fct_orders", "s3://lake/gold/fct/v2")
        table = glue.get_table(DatabaseName="gold", Name="fct_orders")["Table"]
        assert table["StorageDescriptor"]["Location"] == "s3://lake/gold/fct/v2"
        assert table["StorageDescriptor"]["Columns"] == columns
        assert table["Parameters"] == {"classification": "parquet"}
