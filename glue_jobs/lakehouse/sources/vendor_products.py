"""Vendor products: ';'-delimited UTF-8 CSV files dropped in S3 by European vendors."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame

from lakehouse.contracts import Contract
from lakehouse.contracts.spark import raw_columns, raw_struct
from lakehouse.sources.files import landed_files, source_file


def read_landed(spark: Any, folder: str, contract: Contract) -> DataFrame | None:
    files = landed_files(spark, folder, ".csv")
    if not files:
        return None
    rows = (
        spark.read.schema(raw_struct(contract))
        .option("header", True)
        .option("enforceSchema", False)
        .option("sep", contract.properties.get("delimiter", ";"))
        .option("encoding", "UTF-8")
        .csv(files)
    )
    return rows.select(*raw_columns(contract), source_file().alias("_source"))
