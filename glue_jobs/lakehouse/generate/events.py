"""Order events: the Kafka topic ``orders.events`` as JSON-lines files of Kafka records.

Every milestone of a streamed order is one event, delivered (Kafka timestamp) a moment after it
happened, or 2-10 days later for about 5% ("late"). A batch holds the events delivered within its
window. The stream started after the order history: the initial load holds the events of the
most recent orders, enough to reach ``volumes.events``; every order placed later is streamed.
Offsets and file numbers continue across batches and are computed by counting the events of all
earlier batches (plus any records a batch adds to them, i.e. injected defects), so any day can be
generated on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from lakehouse.generate.common import Plan, format_cents, iso_ms, uuid4_from
from lakehouse.generate.orders import Lifecycle, Milestone, OrderBook, order_id

TOPIC = "orders.events"
PARTITIONS = 6
RECORDS_PER_FILE = 25_000
_STATUS_RANK = {"PLACED": 0, "PAID": 1, "SHIPPED": 2, "CANCELLED": 3, "REFUNDED": 4}


def murmur2(data: bytes) -> int:
    """Kafka's 32-bit murmur2 hash (as a signed int), which its default partitioner uses."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    end = length - length % 4
    for i in range(0, end, 4):
        k = (int.from_bytes(data[i : i + 4], "little") * m) & mask
        k = ((k ^ (k >> 24)) * m) & mask
        h = ((h * m) & mask) ^ k
    tail = length % 4
    if tail == 3:
        h ^= data[end + 2] << 16
    if tail >= 2:
        h ^= data[end + 1] << 8
    if tail >= 1:
        h = ((h ^ data[end]) * m) & mask
    h = ((h ^ (h >> 13)) * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_of(key: str) -> int:
    """The partition Kafka's default partitioner picks for a string key."""
    return (murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % PARTITIONS


def order_partition(index: int) -> int:
    """The partition of order ``index``'s events (keyed by its order id)."""
    return partition_of(str(order_id(index)))


def is_late(record: dict) -> bool:
    """Delivered (Kafka timestamp) two or more calendar days after the event happened."""
    try:
        value = record["value"]
        at = value.find('"event_ts": "')  # fast path for the generator's own layout
        event_ts = value[at + 13 :] if at >= 0 else json.loads(value)["event_ts"]
        delivered = date.fromisoformat(record["timestamp"][:10])
        return (delivered - date.fromisoformat(event_ts[:10])).days >= 2
    except (ValueError, TypeError, KeyError, AttributeError):
        return False


class EventStream:
    """Which milestones are events, and in which batch, partition and offset they land."""

    def __init__(self, plan: Plan, orders: OrderBook) -> None:
        self.plan, self.orders = plan, orders
        self._start: tuple[int, int] | None = None

    def stream_start(self) -> tuple[int, int]:
        """(first streamed order index, earliest streamed event time of that order).

        Walks back from the newest initial order until the events delivered before the base
        date reach the target; the last order taken contributes only its latest events.
        """
        if self._start is None:
            cutoff, target, taken = self.plan.cutoff_ms(0), self.plan.volumes.events, 0
            self._start = (0, -1)
            for index in range(self.plan.volumes.orders - 1, -1, -1):
                delivered = [
                    m.ts_ms
                    for m in self.orders.lifecycle(index).milestones
                    if m.delivered_ms < cutoff
                ]
                if taken + len(delivered) >= target:
                    self._start = (index, sorted(delivered)[-(target - taken)])
                    break
                taken += len(delivered)
        return self._start

    def streamed(self, life: Lifecycle) -> list[Milestone]:
        first_index, first_ts = self.stream_start()
        if life.index > first_index:
            return list(life.milestones)
        if life.index == first_index:
            return [m for m in life.milestones if m.ts_ms >= first_ts]
        return []

    def batch(self, day: int) -> tuple[list[tuple[int, Milestone]], list[list[int]]]:
        """The events of batch ``day`` in delivery order, plus what came before it.

        Returns (events as (order index, milestone), per earlier batch its count of events in each
        partition).
        """
        first_index = self.stream_start()[0]
        earlier = [[0] * PARTITIONS for _ in range(day)]
        events = []
        for index in range(first_index, self.orders.delivered_before(day + 1)):
            life = self.orders.lifecycle(index, keep=day == 0)
            partition = None
            for m in self.streamed(life):
                b = self.plan.batch_of_ms(m.delivered_ms)
                if b < day:
                    if partition is None:
                        partition = order_partition(index)
                    earlier[b][partition] += 1
                elif b == day:
                    events.append((index, m))
        events.sort(key=lambda e: (e[1].delivered_ms, e[0], _STATUS_RANK[e[1].status]))
        return events, earlier


def event_value(
    event_id: str, key: str, event_type: str, ts_ms: int, amount_cents: int, currency: str
) -> str:
    """An event as the producer serialises it: a JSON object on one line, amount as a number."""
    return (
        f'{{"event_id": "{event_id}", "order_id": "{key}", '
        f'"event_type": "{event_type}", "event_ts": "{iso_ms(ts_ms)}", '
        f'"amount": {format_cents(amount_cents)}, "currency": "{currency}"}}'
    )


def kafka_columns(key: str, value: str, partition: int, offset: int, delivered_ms: int) -> dict:
    """The columns Spark's Kafka source yields for one record."""
    return {
        "key": key,
        "value": value,
        "topic": TOPIC,
        "partition": partition,
        "offset": offset,
        "timestamp": iso_ms(delivered_ms),
    }


def kafka_record(orders: OrderBook, index: int, m: Milestone, partition: int, offset: int) -> dict:
    """The columns Spark's Kafka source yields, the value being the event as a JSON string."""
    terms, key = orders.terms(index), str(order_id(index))
    event_id, event_type = uuid4_from(m.event_bits), f"ORDER_{m.status}"
    value = event_value(event_id, key, event_type, m.ts_ms, terms.amount_cents, terms.currency)
    return kafka_columns(key, value, partition, offset, m.delivered_ms)


ExtraRecords = Callable[[int, list[int]], list[int]]


def event_batch(
    stream: EventStream, day: int, extra: ExtraRecords | None = None
) -> tuple[list[dict], int]:
    """Batch ``day``'s Kafka records and the number of its first file.

    ``extra(b, counts)``, if given, is how many records batch ``b`` added to each partition beyond
    its events (``counts``: its events per partition), e.g. injected defects: offsets and file
    numbers continue after them.
    """
    events, earlier = stream.batch(day)
    if extra is not None:
        earlier = [
            [n + x for n, x in zip(counts, extra(b, counts), strict=True)]
            for b, counts in enumerate(earlier)
        ]
    next_offset = [sum(counts[p] for counts in earlier) for p in range(PARTITIONS)]
    records, partitions = [], {}
    for index, m in events:
        partition = partitions.get(index)
        if partition is None:
            partition = partitions[index] = order_partition(index)
        records.append(kafka_record(stream.orders, index, m, partition, next_offset[partition]))
        next_offset[partition] += 1
    first_file = sum(-(-sum(counts) // RECORDS_PER_FILE) for counts in earlier)
    return records, first_file


def part_name(number: int) -> str:
    return f"part-{number:05d}.jsonl"


def write_parts(folder: Path, records: list[dict], first_file: int) -> dict[str, list[dict]]:
    """Write ``part-NNNNN.jsonl`` files of ``RECORDS_PER_FILE`` lines from number ``first_file``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for n, start in enumerate(range(0, len(records), RECORDS_PER_FILE)):
        chunk = records[start : start + RECORDS_PER_FILE]
        name = part_name(first_file + n)
        lines = "".join(json.dumps(r) + "\n" for r in chunk)
        (folder / name).write_text(lines, encoding="utf-8")
        files[name] = chunk
    return files
