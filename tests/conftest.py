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
