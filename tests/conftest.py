"""Shared fixtures. Spark tests share one local session per pytest worker."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("LAKEHOUSE_DRIVER_MEMORY", "2g")
# PySpark turns timestamps into naive local datetimes: make local time UTC, like the lake.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT


@pytest.fixture(scope="session")
def spark_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lake root bound to this worker's SparkSession (Derby allows one process per lake)."""
    return tmp_path_factory.mktemp("lake")


@pytest.fixture(scope="session")
def spark(spark_lake: Path):
    from lakehouse import runtime

    session = runtime.engine(str(spark_lake)).spark
    yield session
    runtime.reset_engine_for_tests()


@pytest.fixture
def forget_batch(spark, spark_lake: Path):
    """Call with (source, day) for each batch a test ingests; it is removed afterwards.

    The lake is shared by every test of the worker and Silver reads every Bronze partition, so
    rows a unit test leaves behind would turn up in the e2e runs of the same worker.
    """
    import shutil

    from lakehouse import catalog

    batches: list[tuple[str, str]] = []
    yield lambda source, day: batches.append((source, str(day)))
    for source, day in batches:
        for database in ("bronze", "quarantine"):
            table = f"{database}.{source}"
            if catalog.table_exists(spark, table):
                spark.sql(f"ALTER TABLE {table} DROP IF EXISTS PARTITION (ingest_date = '{day}')")
        for layer in ("bronze", "quarantine", "landing"):
            shutil.rmtree(spark_lake / layer / source / f"ingest_date={day}", ignore_errors=True)


@pytest.fixture
def aws_credentials(monkeypatch) -> None:
    """Fake credentials and a region, so boto3 under moto never looks for real ones."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
