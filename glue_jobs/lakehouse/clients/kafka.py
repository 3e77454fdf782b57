"""Order events from Kafka (MSK) through Glue's streaming Kafka source.

:func:`source_options` builds the ``connection_options`` of
``glueContext.create_data_frame.from_options(connection_type="kafka", ...)`` and
:func:`batch_options` the ``options`` of ``glueContext.forEachBatch(...)``. Option names per
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-connect-kafka-home.html
(``connectionName`` names a Glue connection of type KAFKA holding brokers and authentication).

Schema inference is off: the frame keeps Kafka's record columns (``value``, ``topic``,
``partition``, ``offset``, ``timestamp``) for :func:`lakehouse.sources.order_events.parse_records`,
which parses ``value`` with the contract's schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

DEFAULT_TOPIC = "orders.events"
DEFAULT_WINDOW = "100 seconds"
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")  # Kafka's legal topic names
_WINDOW = re.compile(r"^\d+ (second|seconds|minute|minutes)$")


def source_options(
    connection_name: str,
    topic: str = DEFAULT_TOPIC,
    *,
    starting_offsets: str = "earliest",
    max_offsets_per_trigger: int | None = None,
    fail_on_data_loss: bool = False,
) -> dict[str, str]:
    """The Glue Kafka ``connection_options`` for streaming ``topic``.

    ``starting_offsets`` ("earliest", "latest" or Spark's JSON offsets) only applies to a new
    checkpoint; a restarted job resumes where its checkpoint left off.
    """
    if not connection_name:
        raise ValueError("a Glue Kafka connection name is required")
    if not _TOPIC.match(topic):
        raise ValueError(f"not a Kafka topic name: {topic!r}")
    if starting_offsets not in ("earliest", "latest") and not starting_offsets.startswith("{"):
        raise ValueError(f"startingOffsets must be earliest, latest or JSON: {starting_offsets!r}")
    options = {
        "connectionName": connection_name,
        "topicName": topic,
        "startingOffsets": starting_offsets,
        "inferSchema": "false",
        "failOnDataLoss": str(fail_on_data_loss).lower(),
        # glue.driver.streaming.maxConsumerLagInMs: the streaming-lag alarm watches it.
        "emitConsumerLagMetrics": "true",
    }
    if max_offsets_per_trigger is not None:
        if max_offsets_per_trigger <= 0:
            raise ValueError("maxOffsetsPerTrigger must be positive")
        options["maxOffsetsPerTrigger"] = str(max_offsets_per_trigger)
    return options


def batch_options(checkpoint_location: str, window_size: str = DEFAULT_WINDOW) -> dict[str, str]:
    """The ``forEachBatch`` options: the micro-batch window and the checkpoint folder."""
    if not checkpoint_location:
        raise ValueError("a checkpoint location is required")
    if not _WINDOW.match(window_size):
        raise ValueError(f"window size must read like '100 seconds': {window_size!r}")
    return {"windowSize": window_size, "checkpointLocation": checkpoint_location.rstrip("/") + "/"}


def run_stream(
    glue_context: Any,
    options: dict[str, str],
    batch_function: Callable[[Any, int], None],
    checkpoint_location: str,
    window_size: str = DEFAULT_WINDOW,
) -> None:
    """Stream the topic into ``batch_function(frame, batch_id)`` (AWS Glue only; runs forever)."""
    frame = glue_context.create_data_frame.from_options(
        connection_type="kafka", connection_options=options
    )
    glue_context.forEachBatch(
        frame=frame,
        batch_function=batch_function,
        options=batch_options(checkpoint_location, window_size),
    )
