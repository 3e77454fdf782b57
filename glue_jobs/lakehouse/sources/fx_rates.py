"""FX rates: one JSON document per rate date, ``{"base", "date", "rates": {currency: rate}}``."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.contracts import Contract
from lakehouse.contracts.spark import raw_columns
from lakehouse.sources.files import landed_files, source_file

_DOCUMENT = T.StructType(
    [
        T.StructField("base", T.StringType()),
        T.StructField("date", T.StringType()),
        # Strings keep the rate's exact decimal text (no float round trip).
        T.StructField("rates", T.MapType(T.StringType(), T.StringType())),
    ]
)


def read_landed(spark: Any, folder: str, contract: Contract) -> DataFrame | None:
    """One raw row per (document, currency)."""
    files = landed_files(spark, folder, ".json")
    if not files:
        return None
    docs = spark.read.schema(_DOCUMENT).option("multiLine", True).json(files)
    rows = docs.select(
        "base", "date", source_file().alias("_source"), F.explode("rates").alias("key", "value")
    ).withColumn("rates", F.struct("key", "value"))
    return rows.select(*raw_columns(contract), "_source")
