"""Order events: Kafka records of topic ``orders.events`` whose value is a JSON event.

One parsing function serves both the real Kafka source (AWS MSK) and the local stand-in, a folder
of JSON-lines files holding the columns Spark's Kafka source yields.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import types as T

from lakehouse.contracts import Contract
from lakehouse.sources.landed import kafka_records

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
    """Kafka records -> landed records (see :func:`lakehouse.sources.landed.kafka_records`)."""
    return kafka_records(records, contract)
