"""Order events: Kafka records of topic ``orders.events`` whose value is a JSON event.

One parsing function serves both the real Kafka source (AWS MSK) and the local stand-in, a folder
of JSON-lines files holding the columns Spark's Kafka source yields.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.contracts import Contract
from lakehouse.contracts.spark import raw_columns, raw_struct

ISO_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSX"

# The columns of Spark's Kafka source, as the local JSON-lines stand-in carries them.
KAFKA_RECORD = T.StructType(
    [
        T.StructField("key", T.StringType()),
        T.StructField("value", T.StringType()),
        T.StructField("topic", T.StringType()),
        T.StructField("partition", T.StringType()),
        T.StructField("offset", T.StringType()),
        T.StructField("timestamp", T.StringType()),
    ]
)


def parse_records(records: DataFrame, contract: Contract) -> DataFrame:
    """Kafka records (``value`` as string or binary) -> raw event columns plus ``_source``.

    ``_source`` names the record's place in the log: ``<topic>/<partition>/<offset>``.
    """
    value_schema = raw_struct(contract, prefix="value.")
    parsed = records.withColumn("value", F.from_json(F.col("value").cast("string"), value_schema))
    if isinstance(records.schema["timestamp"].dataType, T.TimestampType):
        # The real Kafka source yields a timestamp; the stand-in an ISO-8601 string.
        parsed = parsed.withColumn("timestamp", F.date_format("timestamp", ISO_FORMAT))
    source = F.concat_ws(
        "/", F.col("topic"), F.col("partition").cast("string"), F.col("offset").cast("string")
    )
    return parsed.select(*raw_columns(contract), source.alias("_source"))
