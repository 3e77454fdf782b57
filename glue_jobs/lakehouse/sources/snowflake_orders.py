"""Snowflake orders: gzip CSV files as unloaded by ``COPY INTO @stage ... HEADER=TRUE``.

In AWS the same rows come from Glue's native Snowflake connector (see the contracts issue);
locally the job reads the unloaded files.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame

from lakehouse.contracts import Contract
from lakehouse.contracts.spark import raw_columns, raw_struct
from lakehouse.sources.files import landed_files, source_file


def read_landed(spark: Any, folder: str, contract: Contract) -> DataFrame | None:
    files = landed_files(spark, folder, ".csv.gz")
    if not files:
        return None
    rows = (
        spark.read.schema(raw_struct(contract))
        .option("header", True)
        .option("enforceSchema", False)  # the header must match the contract, not be ignored
        .option("quote", '"')
        .option("escape", '"')
        .csv(files)
    )
    return rows.select(*raw_columns(contract), source_file().alias("_source"))
