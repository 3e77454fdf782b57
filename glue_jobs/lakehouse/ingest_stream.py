"""Ingest the order-events stream into bronze.order_events with Spark Structured Streaming.

* AWS: a long-running Glue streaming job reads the Kafka topic (MSK) and writes a micro-batch
  every window, checkpointed in S3.
* Locally: the same code reads the landing folder of JSON-lines Kafka records once with
  ``Trigger.AvailableNow``, so a rerun only reads files it has not seen (the checkpoint knows).

Every micro-batch replaces its own Bronze partition (ingest_date, _stream_batch_id), so a batch
replayed after a crash overwrites instead of duplicating.
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse import catalog
from lakehouse.clients import kafka
from lakehouse.contracts import load_contract
from lakehouse.ingest import (
    LAYERS,
    Accounting,
    enforce_and_write,
    landing_input,
    save_accounting,
)
from lakehouse.layers.bronze import PARTITION_COLUMN
from lakehouse.runtime import JobRun
from lakehouse.sources.order_events import KAFKA_RECORD, parse_records

log = logging.getLogger("lakehouse.ingest_stream")
SOURCE = "order_events"
BATCH_COLUMN = "_stream_batch_id"
OPTIONAL_ARGS = {
    "kafka_connection_name": None,
    "kafka_bootstrap_servers": None,
    "kafka_topic": "orders.events",
    "window_size": "100 seconds",
}


def _kafka_records(job: JobRun) -> DataFrame:
    if job.args.get("kafka_connection_name") and job.engine.glue_context is not None:
        # AWS: the Glue Kafka/MSK connection holds the brokers, TLS and authentication.
        options = kafka.source_options(job.args["kafka_connection_name"], job.args["kafka_topic"])
        return job.engine.glue_context.create_data_frame.from_options(
            connection_type="kafka", connection_options=options
        )
    return (
        job.spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", job.args["kafka_bootstrap_servers"])
        .option("subscribe", job.args["kafka_topic"])
        .option("startingOffsets", "earliest")
        .option("failOnDataLoss", "false")
        .load()
    )


def _landed_records(job: JobRun) -> DataFrame:
    return job.spark.readStream.schema(KAFKA_RECORD).json(job.landing_path(SOURCE))


def ingest_order_events(job: JobRun) -> int:
    """Run the stream (until caught up locally; forever against Kafka); return rows written."""
    contract = load_contract(SOURCE)
    catalog.ensure_layer_databases(job.spark, job.lake_root, LAYERS)
    from_kafka = bool(
        job.args.get("kafka_bootstrap_servers") or job.args.get("kafka_connection_name")
    )
    records = _kafka_records(job) if from_kafka else _landed_records(job)
    job.inputs.append(landing_input(contract, job.landing_path(SOURCE)))
    total = Accounting(SOURCE, job.run_id, job.job_run_id, job.batch_date.isoformat())

    def write_micro_batch(batch: DataFrame, batch_id: int) -> None:
        ingest_date = dt.datetime.now(dt.UTC).date() if from_kafka else job.batch_date
        batch = batch.persist()
        try:
            landed_units = batch.count()
            if not landed_units:
                return
            records = parse_records(batch, contract).withColumn(
                BATCH_COLUMN, F.lit(batch_id).cast("bigint")
            )
            accounting = Accounting(SOURCE, job.run_id, job.job_run_id, ingest_date.isoformat())
            partition = {PARTITION_COLUMN: ingest_date.isoformat(), BATCH_COLUMN: batch_id}
            enforce_and_write(
                job,
                contract,
                records,
                landed_units,
                accounting,
                [PARTITION_COLUMN, BATCH_COLUMN],
                [partition],
                # Events carry no notInFuture rule; a day of clock skew is tolerated anyway.
                dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
                keep=[BATCH_COLUMN],
                ingest_date=ingest_date,
            )
            added = records.select(F.explode(F.map_keys("_extra_columns"))).distinct().collect()
            if added:
                keys = sorted(row[0] for row in added)
                accounting.drift.append({"micro_batch": batch_id, "added": keys})
        finally:
            batch.unpersist()
        total.add(accounting)
        save_accounting(job, total)
        job.add_metrics(
            rows_read=accounting.landed,
            rows_written=accounting.accepted,
            rows_quarantined=accounting.quarantined,
            micro_batches=1,
        )
        log.info(
            "%s: micro-batch %d: landed %d = accepted %d + quarantined %d",
            SOURCE, batch_id, accounting.landed, accounting.accepted, accounting.quarantined,
        )  # fmt: skip

    writer = (
        records.writeStream.foreachBatch(write_micro_batch)
        .option("checkpointLocation", job.path("_checkpoints", job.name))
        .queryName(f"{job.name}_{job.job_run_id}")
    )
    # A run with nothing new records zeros, not nothing.
    job.add_metrics(rows_read=0, rows_written=0, rows_quarantined=0)
    save_accounting(job, total)
    if from_kafka:
        query = writer.trigger(processingTime=job.args["window_size"]).start()
    else:
        query = writer.trigger(availableNow=True).start()
    query.awaitTermination()
    return total.accepted
