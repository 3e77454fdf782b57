"""Helpers shared by the file-based readers."""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehouse import storage


def landed_files(spark: Any, folder: str, suffix: str) -> list[str]:
    """The files in a landing folder that end with ``suffix`` (none if the folder is missing)."""
    return [f for f in storage.list_files(spark, folder) if f.endswith(suffix)]


def source_file() -> Column:
    """The input file's path relative to the landing root, e.g. ``fx_rates/ingest_date=…/x.json``."""
    return F.regexp_extract(F.input_file_name(), r"/landing/(.*)$", 1)
