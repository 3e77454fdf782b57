"""Gold recomputed in plain Python straight from the landed files: the e2e tests' oracle.

Deliberately independent of the Spark code: its own parsing (json, csv, gzip), its own
"latest version wins" rules and Decimal arithmetic that rounds the way Spark's decimals do.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

REVENUE = {"PLACED", "PAID", "SHIPPED"}
CENT = Decimal("0.01")


def _iso_ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def _sf_ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")


def _ingest_date(rel: str) -> str:
    return rel.split("ingest_date=")[1].split("/")[0]


def _files(landing: Path, source: str, pattern: str) -> list[tuple[str, Path]]:
    return sorted(
        (p.relative_to(landing).as_posix(), p) for p in (landing / source).glob(f"*/{pattern}")
    )


def spark_divide(numerator: Decimal, denominator: Decimal, scale: int) -> Decimal:
    """Spark's decimal division: the quotient rounded half-up at the result type's scale."""
    with localcontext() as ctx:
        ctx.prec = 60
        return (numerator / denominator).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


@dataclass
class Landed:
    contacts: dict[int, dict]
    products: dict[str, dict]
    rates: dict[tuple[dt.date, str], Decimal]
    orders: dict[int, dict]
    events: dict[str, dict]


def read_landing(landing: Path) -> Landed:
    """Every landed record, reduced to the latest version per key."""
    contacts: dict[int, tuple] = {}
    for rel, path in _files(landing, "hubspot_contacts", "page-*.json"):
        for rec in json.loads(path.read_text(encoding="utf-8"))["results"]:
            key = (_iso_ts(rec["updatedAt"]), _ingest_date(rel), rel)
            cid = int(rec["id"])
            if cid not in contacts or key > contacts[cid][0]:
                contacts[cid] = (key, rec)
    products: dict[str, tuple] = {}
    for rel, path in _files(landing, "vendor_products", "products_*.csv"):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"):
            effective = dt.datetime.strptime(row["effective_date"], "%d.%m.%Y").date()
            key = (effective, _ingest_date(rel), rel)
            if row["sku"] not in products or key > products[row["sku"]][0]:
                products[row["sku"]] = (key, row)
    rates: dict[tuple[dt.date, str], tuple] = {}
    for rel, path in _files(landing, "fx_rates", "rates_*.json"):
        doc = json.loads(path.read_text(), parse_float=str, parse_int=str)
        day = dt.date.fromisoformat(doc["date"])
        for currency, rate in doc["rates"].items():
            key = (_ingest_date(rel), rel)
            if (day, currency) not in rates or key > rates[(day, currency)][0]:
                rates[(day, currency)] = (key, Decimal(rate))
    orders: dict[int, tuple] = {}
    for rel, path in _files(landing, "snowflake_orders", "orders_*.csv.gz"):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                key = (_sf_ts(row["UPDATED_AT"]), _ingest_date(rel), rel)
                oid = int(row["ORDER_ID"])
                if oid not in orders or key > orders[oid][0]:
                    orders[oid] = (key, row)
    events: dict[str, tuple] = {}
    for path in sorted((landing / "order_events").glob("part-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            value = json.loads(record["value"], parse_float=str, parse_int=str)
            key = (_iso_ts(record["timestamp"]), int(record["partition"]), int(record["offset"]))
            if value["event_id"] not in events or key < events[value["event_id"]][0]:
                events[value["event_id"]] = (key, value)
    return Landed(
        contacts={k: v[1] for k, v in contacts.items()},
        products={k: v[1] for k, v in products.items()},
        rates={k: v[1] for k, v in rates.items()},
        orders={k: v[1] for k, v in orders.items()},
        events={k: v[1] for k, v in events.items()},
    )


def amount_usd(amount: Decimal, currency: str, day: dt.date, rates: dict) -> Decimal | None:
    if currency == "USD":
        rate = Decimal(1)
    elif (day, currency) in rates:
        rate = rates[(day, currency)]
    else:
        return None
    # decimal(18,2) / decimal(18,8) is decimal(38,14) in Spark; then round(…, 2).
    return round_cents(spark_divide(amount, rate, 14))


def fct_orders(landed: Landed) -> dict[int, dict]:
    result = {}
    for oid, row in landed.orders.items():
        day = _sf_ts(row["ORDER_TS"]).date()
        amount = Decimal(row["AMOUNT"])
        product = landed.products.get(row["SKU"])
        result[oid] = {
            "contact_id": int(row["CONTACT_ID"]),
            "order_date": day,
            "status": row["STATUS"],
            "product_category": product["category"].strip() if product else None,
            "quantity": int(row["QUANTITY"]),
            "amount": amount,
            "currency": row["CURRENCY"],
            "amount_usd": amount_usd(amount, row["CURRENCY"], day, landed.rates),
        }
    return result


def dim_customer(landed: Landed, orders: dict[int, dict]) -> dict[int, dict]:
    per_contact: dict[int, list[dict]] = defaultdict(list)
    for order in orders.values():
        per_contact[order["contact_id"]].append(order)
    result = {}
    for cid, rec in landed.contacts.items():
        props = rec["properties"]
        mine = per_contact.get(cid, [])
        ltv = sum(
            (
                o["amount_usd"]
                for o in mine
                if o["status"] in REVENUE and o["amount_usd"] is not None
            ),
            Decimal("0.00"),
        )
        email = props["email"].strip().lower()
        result[cid] = {
            "email_sha256": hashlib.sha256(email.encode()).hexdigest(),
            "country": props["country"].strip().upper(),
            "lifecycle_stage": props["lifecyclestage"].strip().lower(),
            "first_order_date": min((o["order_date"] for o in mine), default=None),
            "orders_count": len(mine),
            "lifetime_value_usd": round_cents(ltv),
        }
    return result


def agg_daily_revenue(orders: dict[int, dict], customers: dict[int, dict]) -> dict[tuple, tuple]:
    totals: dict[tuple, list] = defaultdict(lambda: [0, Decimal("0.00")])
    for order in orders.values():
        if order["status"] not in REVENUE:
            continue
        customer = customers.get(order["contact_id"])
        key = (
            order["order_date"],
            customer["country"] if customer else None,
            order["product_category"],
        )
        totals[key][0] += 1
        totals[key][1] += order["amount_usd"] or Decimal(0)
    return {k: (n, round_cents(v)) for k, (n, v) in totals.items()}


def fct_order_fulfillment(landed: Landed) -> dict[int, dict]:
    steps = {
        "ORDER_PLACED": "placed_at",
        "ORDER_PAID": "paid_at",
        "ORDER_SHIPPED": "shipped_at",
        "ORDER_CANCELLED": "cancelled_at",
        "ORDER_REFUNDED": "refunded_at",
    }
    result: dict[int, dict] = {}
    for event in landed.events.values():
        row = result.setdefault(int(event["order_id"]), dict.fromkeys(steps.values()))
        column = steps[event["event_type"]]
        ts = _iso_ts(event["event_ts"])
        if row[column] is None or ts < row[column]:
            row[column] = ts
    for row in result.values():
        if row["placed_at"] and row["shipped_at"]:
            millis = int((row["shipped_at"] - row["placed_at"]) / dt.timedelta(milliseconds=1))
            # decimal(20,0) / decimal(10,0) is decimal(31,11) in Spark; then round(…, 2).
            row["hours_to_ship"] = round_cents(
                spark_divide(Decimal(millis), Decimal(3_600_000), 11)
            )
        else:
            row["hours_to_ship"] = None
    return result


def assert_gold_matches(gold: dict[str, list[dict]], landing: Path) -> None:
    """Gold rows (``{table: [row dicts]}``) equal the recomputation from ``landing``."""
    landed = read_landing(landing)
    orders = fct_orders(landed)
    customers = dim_customer(landed, orders)

    gold_orders = {r["order_id"]: r for r in gold["fct_orders"]}
    assert gold_orders.keys() == orders.keys()
    for oid, expected in orders.items():
        assert {k: gold_orders[oid][k] for k in expected} == expected, oid

    gold_customers = {r["contact_id"]: r for r in gold["dim_customer"]}
    assert gold_customers.keys() == customers.keys()
    for cid, expected in customers.items():
        assert {k: gold_customers[cid][k] for k in expected} == expected, cid

    revenue = {
        (r["order_date"], r["country"], r["product_category"]): (r["orders"], r["revenue_usd"])
        for r in gold["agg_daily_revenue"]
    }
    assert revenue == agg_daily_revenue(orders, customers)

    fulfillment = {
        r["order_id"]: {k: v for k, v in r.items() if k != "order_id"}
        for r in gold["fct_order_fulfillment"]
    }
    assert fulfillment == fct_order_fulfillment(landed)
