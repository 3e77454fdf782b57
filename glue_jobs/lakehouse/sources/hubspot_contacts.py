"""HubSpot contacts: landed pages of the CRM v3 list API (``{"results": [...], "paging": ...}``)."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.contracts import Contract
from lakehouse.contracts.spark import raw_columns, raw_struct
from lakehouse.sources.files import landed_files, source_file


def read_landed(spark: Any, folder: str, contract: Contract) -> DataFrame | None:
    """One raw row per element of ``results`` in every page file of ``folder``."""
    files = landed_files(spark, folder, ".json")
    if not files:
        return None
    page = T.StructType([T.StructField("results", T.ArrayType(raw_struct(contract)))])
    pages = spark.read.schema(page).option("multiLine", True).json(files)
    records = pages.select(source_file().alias("_source"), F.explode("results").alias("r"))
    return records.select(*raw_columns(contract, "r"), "_source")
