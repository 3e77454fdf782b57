"""Glue streaming job: ingest order events (Kafka topic orders.events) into bronze.order_events.

Arguments: --JOB_NAME; optional --lake_root, --batch_date, --kafka_connection_name (AWS: the Glue
Kafka/MSK connection) or --kafka_bootstrap_servers (the
MSK brokers; without it the job reads the local landing folder once, availableNow),
--kafka_topic, --window_size.
"""

from lakehouse.ingest_stream import OPTIONAL_ARGS, ingest_order_events
from lakehouse.runtime import start_job

REQUIRED_ARGS: tuple[str, ...] = ()


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        ingest_order_events(job)


if __name__ == "__main__":
    main()
