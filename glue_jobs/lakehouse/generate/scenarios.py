"""Failure scenarios: a few extra records that every contract accepts but one DQ gate halts on.

``generate(..., scenario=NAME)`` lands them on top of the batch, clean or with defects. Defects
(defects.py) break an ingestion contract and are quarantined; a scenario's records pass every
contract, reach Bronze, and break one halting rule of one layer's DQ ruleset, so a workflow run
of the batch stops at that layer's gate. A scenario is chosen per batch (the landing zone does
not pin it): regenerating the batch without it removes its files.

- ``bronze-dq-fail``: 3 new orders (snowflake_orders) whose UPDATED_AT is 5 hours before their
  ORDER_TS, as if a writer stamped US Eastern time as UTC. No contract rule compares the two
  columns, so they reach Bronze; dq_bronze halts on bronze/snowflake_orders
  ``CustomSql "select count(*) from primary where updated_at < order_ts" = 0``.
- ``gold-dq-fail``: 3 shipped orders (snowflake_orders) and their 9 events (order_events): one
  ORDER_PLACED, ORDER_PAID and ORDER_SHIPPED each, the SHIPPED one stamped by a warehouse clock
  7 hours slow, so its event_ts falls between placing and paying (still before its Kafka
  timestamp). The orders are valid in every layer, the events pass Bronze and Silver (one event
  per order and type), and dq_gold halts on gold/fct_order_fulfillment
  ``CustomSql "select count(*) from primary where shipped_at < paid_at" = 0``.

Keys: ORDER_IDs ``9_000_000_000 + day * 1_000_000 + 900_000 + i`` (the reserved range of
defects.py, above every serial defects use) and fresh uuid4 event ids. The events' Kafka offsets
are numbers of that range too: far above the stream's, so they never collide with the offsets of
any batch (later batches do not count them: a scenario is not pinned). Each order is placed
15.5-18 hours before the batch cutoff, so all its times and Kafka timestamps lie in the batch's
last day; its buyer, SKU, quantity, amount and currency are those of a clean order new in the
batch, so its contact and product exist and its currency has a rate for its date.

Files: ``snowflake_orders/ingest_date=<date>/orders_0_<n>_0.csv.gz`` (after the batch's unloads)
and ``order_events/part-<yyyymmdd>-<scenario>.jsonl``. Records are a function of (seed, scale,
base date, day, scenario), like everything the generator writes; clean records are untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.generate.common import HOUR_MS, snowflake_ts, uuid4_from
from lakehouse.generate.defects import SCENARIO_SERIAL, reserved_id
from lakehouse.generate.events import event_value, kafka_columns, partition_of
from lakehouse.generate.orders import order_id, unload_bytes, unload_name

if TYPE_CHECKING:
    from lakehouse.generate.batch import Batch

COUNT = 3  # orders per scenario
MINUTE_MS = 60_000
US_EASTERN_MS = 5 * HOUR_MS  # bronze-dq-fail: how far UPDATED_AT lags behind ORDER_TS
SLOW_CLOCK_MS = 7 * HOUR_MS  # gold-dq-fail: how slow the warehouse clock stamping SHIPPED is


@dataclass(frozen=True)
class Scenario:
    """A failure scenario: what lands and the gate, ruleset and rule it halts."""

    name: str
    description: str  # one line, for --help
    gate: str  # the workflow job that halts
    ruleset: str  # <layer>/<table> under dq_rulesets/
    rule: str  # the halting rule it breaks, as the ruleset writes it
    sources: tuple[str, ...]  # the sources it lands records in


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            "bronze-dq-fail",
            "3 orders with UPDATED_AT 5 h before ORDER_TS: dq_bronze halts "
            "(bronze/snowflake_orders)",
            "dq_bronze",
            "bronze/snowflake_orders",
            'CustomSql "select count(*) from primary where updated_at < order_ts" = 0',
            ("snowflake_orders",),
        ),
        Scenario(
            "gold-dq-fail",
            "3 orders whose ORDER_SHIPPED event predates ORDER_PAID: dq_gold halts "
            "(gold/fct_order_fulfillment)",
            "dq_gold",
            "gold/fct_order_fulfillment",
            'CustomSql "select count(*) from primary where shipped_at < paid_at" = 0',
            ("snowflake_orders", "order_events"),
        ),
    ]
}


def scenario_of(name: str) -> Scenario:
    """The scenario called ``name``; ValueError naming the known ones otherwise."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise ValueError(f"unknown scenario {name!r}; one of {known}") from None


def scenario_order_ids(day: int) -> list[int]:
    """The ORDER_IDs of batch ``day``'s scenario orders (the same for every scenario)."""
    return [reserved_id(day, SCENARIO_SERIAL + i) for i in range(COUNT)]


def build(name: str, batch: Batch, clean: dict[str, list | dict]) -> dict[str, list[dict]]:
    """Source -> the scenario's records (wire-ready), from the batch's clean records."""
    scenario, plan, day = scenario_of(name), batch.plan, batch.day
    rng = plan.rng("scenario", name, day)
    first_new = order_id(batch.orders.delivered_before(day))
    new_rows = [r for r in clean["snowflake_orders"] if r["ORDER_ID"] >= first_new]
    cutoff = plan.cutoff_ms(day)
    orders, events = [], []
    for i, oid in enumerate(scenario_order_ids(day)):
        terms = rng.choice(new_rows)
        placed = cutoff - 18 * HOUR_MS + i * HOUR_MS + rng.randrange(30 * MINUTE_MS)
        row = {**terms, "ORDER_ID": oid, "ORDER_TS": snowflake_ts(placed)}
        if scenario.name == "bronze-dq-fail":
            row |= {"STATUS": "PLACED", "UPDATED_AT": snowflake_ts(placed - US_EASTERN_MS)}
        else:
            paid = placed + 3 * HOUR_MS + rng.randrange(30 * MINUTE_MS)
            shipped = paid + 5 * HOUR_MS + rng.randrange(30 * MINUTE_MS)
            row |= {"STATUS": "SHIPPED", "UPDATED_AT": snowflake_ts(shipped)}
            cents = int(terms["AMOUNT"].replace(".", ""))
            # (event type, event_ts, when it happened): SHIPPED is stamped by the slow clock
            steps = [("ORDER_PLACED", placed, placed), ("ORDER_PAID", paid, paid),
                     ("ORDER_SHIPPED", shipped - SLOW_CLOCK_MS, shipped)]  # fmt: skip
            key = str(oid)
            for event_type, event_ts, happened in steps:
                event_id = uuid4_from(rng.getrandbits(128))
                value = event_value(event_id, key, event_type, event_ts, cents, terms["CURRENCY"])
                delivered = happened + 5 + rng.randrange(2_500)
                events.append(kafka_columns(key, value, partition_of(key), 0, delivered))
        orders.append(row)
    events.sort(key=lambda r: r["timestamp"])
    for serial, record in enumerate(events):
        record["offset"] = reserved_id(day, SCENARIO_SERIAL + serial)
    records = {"snowflake_orders": orders, "order_events": events}
    return {source: records[source] for source in scenario.sources}


def write_file(
    name: str, source: str, folder: Path, rows: list[dict], files: dict, batch: Batch
) -> str:
    """Write the scenario's records of ``source`` next to the batch's ``files``; their name."""
    if source == "snowflake_orders":
        file_name = unload_name(len(files))
        (folder / file_name).write_bytes(unload_bytes(rows))
    elif source == "order_events":
        file_name = f"part-{batch.batch_date:%Y%m%d}-{name}.jsonl"
        lines = "".join(json.dumps(r) + "\n" for r in rows)
        (folder / file_name).write_text(lines, encoding="utf-8")
    else:
        raise ValueError(f"scenarios land no {source} records")
    return file_name


def manifest_entry(name: str, records: dict[str, list[dict]], day: int) -> dict:
    """The batch's ``scenario`` entry in the manifest: what it halts, its keys and counts."""
    scenario = scenario_of(name)
    return {
        "name": scenario.name,
        "gate": scenario.gate,
        "ruleset": scenario.ruleset,
        "rule": scenario.rule,
        "order_ids": scenario_order_ids(day),
        "records": {source: len(rows) for source, rows in records.items()},
    }
