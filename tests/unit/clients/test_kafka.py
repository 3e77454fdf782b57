"""Options for Glue's streaming Kafka source and forEachBatch (pure functions)."""

from __future__ import annotations

import pytest

from lakehouse.clients.kafka import batch_options, run_stream, source_options


def test_source_options():
    assert source_options("msk-orders") == {
        "connectionName": "msk-orders",
        "topicName": "orders.events",
        "startingOffsets": "earliest",
        "inferSchema": "false",
        "failOnDataLoss": "false",
        "emitConsumerLagMetrics": "true",
    }
    tuned = source_options(
        "msk-orders",
        "orders.events.v2",
        starting_offsets="latest",
        max_offsets_per_trigger=50_000,
        fail_on_data_loss=True,
    )
    assert tuned["topicName"] == "orders.events.v2"
    assert tuned["startingOffsets"] == "latest"
    assert tuned["maxOffsetsPerTrigger"] == "50000"
    assert tuned["failOnDataLoss"] == "true"
    offsets = '{"orders.events": {"0": 42}}'
    assert source_options("msk", starting_offsets=offsets)["startingOffsets"] == offsets


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"connection_name": ""}, "connection name"),
        ({"topic": "orders events"}, "topic"),
        ({"topic": "a" * 250}, "topic"),
        ({"starting_offsets": "oldest"}, "startingOffsets"),
        ({"max_offsets_per_trigger": 0}, "maxOffsetsPerTrigger"),
    ],
)
def test_bad_source_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        source_options(**{"connection_name": "msk", **kwargs})


def test_batch_options():
    assert batch_options("s3://lake/_checkpoints/order_events") == {
        "windowSize": "100 seconds",
        "checkpointLocation": "s3://lake/_checkpoints/order_events/",
    }
    assert batch_options("s3://lake/cp/", "5 minutes")["windowSize"] == "5 minutes"
    with pytest.raises(ValueError, match="window size"):
        batch_options("s3://lake/cp/", "100s")
    with pytest.raises(ValueError, match="checkpoint"):
        batch_options("")


def test_run_stream_wires_the_source_into_for_each_batch():
    calls = []

    class Reader:
        def from_options(self, **kwargs):
            calls.append(("source", kwargs))
            return "frame"

    class GlueContext:
        create_data_frame = Reader()

        def forEachBatch(self, **kwargs):
            calls.append(("forEachBatch", kwargs))

    def write(batch, batch_id):
        return None

    options = source_options("msk-orders")
    run_stream(GlueContext(), options, write, "s3://lake/_checkpoints/order_events")
    assert calls == [
        ("source", {"connection_type": "kafka", "connection_options": options}),
        (
            "forEachBatch",
            {
                "frame": "frame",
                "batch_function": write,
                "options": {
                    "windowSize": "100 seconds",
                    "checkpointLocation": "s3://lake/_checkpoints/order_events/",
                },
            },
        ),
    ]
