"""The generator writes each source the way the real system does (read back with plain Python)."""

from __future__ import annotations

import csv
import gzip
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from lakehouse.generate import generate
from lakehouse.generate.events import murmur2, partition_of

BASE = date(2026, 5, 3)
ISO_MS = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"
SNOWFLAKE_TS = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}"
ORDER_CURRENCIES = {"USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "SEK"}
VENDOR_CURRENCIES = {"EUR", "GBP", "CHF", "SEK", "DKK", "PLN"}
EVENT_FIELDS = {"event_id", "order_id", "event_type", "event_ts", "amount", "currency"}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The initial load and the next day at scale 0.05, clean (defects: test_generate_defects.py)."""
    root = tmp_path_factory.mktemp("lake")
    generate(root, BASE, scale=0.05, seed=11, clean=True)
    generate(root, BASE + timedelta(days=1), scale=0.05, seed=11, clean=True)
    return root / "landing"


def folder(landing: Path, source: str, day: int = 0) -> Path:
    return landing / source / f"ingest_date={BASE + timedelta(days=day)}"


def test_hubspot_pages(landing: Path) -> None:
    pages = sorted(folder(landing, "hubspot_contacts").iterdir())
    assert [p.name for p in pages] == [f"page-{n:05d}.json" for n in range(1, 14)]  # 1250 / 100
    contacts = []
    for number, path in enumerate(pages, start=1):
        page = json.loads(path.read_text(encoding="utf-8"))
        assert len(page["results"]) == (100 if number < len(pages) else 50)
        if number < len(pages):
            after = page["paging"]["next"]["after"]
            assert page["paging"]["next"]["link"] == (
                f"https://api.hubapi.com/crm/v3/objects/contacts?after={after}"
            )
        else:
            assert "paging" not in page
        contacts += page["results"]
    props = {"email", "firstname", "lastname", "phone", "company", "country", "lifecyclestage",
             "createdate", "lastmodifieddate", "hs_object_id"}  # fmt: skip
    stages = {"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
              "opportunity", "customer", "evangelist", "other"}  # fmt: skip
    for c in contacts:
        assert set(c) == {"id", "properties", "createdAt", "updatedAt", "archived"}
        p = c["properties"]
        assert set(p) == props
        assert all(v is None or isinstance(v, str) for v in p.values())
        assert c["archived"] is False and p["hs_object_id"] == c["id"] and c["id"].isdigit()
        assert (p["createdate"], p["lastmodifieddate"]) == (c["createdAt"], c["updatedAt"])
        assert re.fullmatch(ISO_MS, c["createdAt"]) and re.fullmatch(ISO_MS, c["updatedAt"])
        assert re.fullmatch(r"[A-Z]{2}", p["country"]) and p["lifecyclestage"] in stages
    emails = [c["properties"]["email"] for c in contacts]
    assert len({e.strip().lower() for e in emails}) == len(emails)  # unique once cleaned
    assert all(re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", e.strip().lower()) for e in emails)
    assert 0.02 < sum(e != e.lower() for e in emails) / len(emails) < 0.09
    assert 0.005 < sum(e != e.strip() for e in emails) / len(emails) < 0.04
    assert 0.05 < sum(c["properties"]["phone"] is None for c in contacts) / len(contacts) < 0.15
    assert 0.14 < sum(c["properties"]["company"] is None for c in contacts) / len(contacts) < 0.26
    names = [c["properties"]["firstname"] + c["properties"]["lastname"] for c in contacts]
    assert any(not n.isascii() for n in names)
    assert len({c["properties"]["country"] for c in contacts}) >= 20


def test_snowflake_unload(landing: Path) -> None:
    files = sorted(folder(landing, "snowflake_orders").iterdir())
    assert [f.name for f in files] == ["orders_0_0_0.csv.gz"]  # 5000 rows: one split
    raw = files[0].read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"  # gzip, mtime 0
    assert not raw[3] & 0x08  # no file name in the header
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    assert lines[0] == "ORDER_ID,CONTACT_ID,ORDER_TS,STATUS,SKU,QUANTITY,AMOUNT,CURRENCY,UPDATED_AT"
    line = re.compile(
        rf'\d+,\d+,{SNOWFLAKE_TS},"(PLACED|PAID|SHIPPED|CANCELLED|REFUNDED)",'
        rf'"V0[1-8]-\d{{6}}",([1-9]|10),\d+\.\d{{2}},"[A-Z]{{3}}",{SNOWFLAKE_TS}'
    )
    assert all(line.fullmatch(row) for row in lines[1:])
    rows = list(csv.DictReader(lines))
    assert len(rows) == 5000 and len({r["ORDER_ID"] for r in rows}) == 5000
    assert {r["CURRENCY"] for r in rows} == ORDER_CURRENCIES
    assert all(r["AMOUNT"].endswith(".00") for r in rows if r["CURRENCY"] == "JPY")
    assert len({r["STATUS"] for r in rows}) == 5


def test_vendor_price_lists(landing: Path) -> None:
    files = sorted(folder(landing, "vendor_products").iterdir())
    assert [f.name for f in files] == [f"products_V0{n}_20260503.csv" for n in range(1, 9)]
    skus = set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        assert lines[0] == "sku;product_name;category;unit_price;currency;vendor_id;effective_date"
        rows = [line.split(";") for line in lines[1:]]
        assert all(len(r) == 7 and '"' not in ";".join(r) for r in rows)
        vendor = path.name.split("_")[1]
        assert {r[5] for r in rows} == {vendor} and len({r[4] for r in rows}) == 1
        for sku, _, _, price, currency, _, effective in rows:
            assert re.fullmatch(rf"{vendor}-\d{{6}}", sku) and sku not in skus
            assert re.fullmatch(r"\d+,\d{2}", price) and currency in VENDOR_CURRENCIES
            assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", effective)
            skus.add(sku)
        assert len({r[2] for r in rows}) >= 5  # categories
    assert any(not text.isascii() for text in (f.read_text(encoding="utf-8") for f in files))
    assert len(skus) == 100


def test_vendor_resend_changes_some_prices_effective_the_day_before(landing: Path) -> None:
    initial = {}
    for path in folder(landing, "vendor_products").iterdir():
        with path.open(encoding="utf-8", newline="") as f:
            initial.update({r["sku"]: r for r in csv.DictReader(f, delimiter=";")})
    resent = []
    for path in folder(landing, "vendor_products", 1).iterdir():
        assert path.name.endswith("_20260504.csv")
        with path.open(encoding="utf-8", newline="") as f:
            resent += list(csv.DictReader(f, delimiter=";"))
    vendors = {r["vendor_id"] for r in resent}
    resent_skus = {r["sku"] for r in resent}
    assert {s for s, r in initial.items() if r["vendor_id"] in vendors} <= resent_skus
    changed = [r for r in resent if r["sku"] in initial and r != initial[r["sku"]]]
    assert all(r["effective_date"] == "03.05.2026" for r in changed)
    assert all(r["unit_price"] != initial[r["sku"]]["unit_price"] for r in changed)
    new = [r for r in resent if r["sku"] not in initial]
    assert new and all(r["effective_date"] == "03.05.2026" for r in new)


def test_fx_documents(landing: Path) -> None:
    files = sorted(folder(landing, "fx_rates").iterdir())
    first = BASE - timedelta(days=180)
    assert [f.name for f in files] == [
        f"rates_{first + timedelta(days=n)}.json" for n in range(180)
    ]
    for path in files:
        doc = json.loads(path.read_text())
        assert set(doc) == {"base", "date", "rates"} and doc["base"] == "USD"
        assert path.name == f"rates_{doc['date']}.json"
        assert len(doc["rates"]) == 30 and "USD" not in doc["rates"]
        assert (ORDER_CURRENCIES | VENDOR_CURRENCIES) - {"USD"} <= set(doc["rates"])
        assert all(type(v) is float for v in doc["rates"].values())
        assert 0.8 < doc["rates"]["EUR"] < 1.05 and 120 < doc["rates"]["JPY"] < 185
        assert all(len(repr(v).split(".")[1]) <= 4 for v in doc["rates"].values())
    day1 = sorted(folder(landing, "fx_rates", 1).iterdir())
    assert [f.name for f in day1] == ["rates_2026-05-03.json"]


def test_kafka_records(landing: Path) -> None:
    files = sorted((landing / "order_events").iterdir())
    assert files[0].name == "part-00000.jsonl"
    lines = [line for f in files for line in f.read_text().splitlines()]
    for line in lines:
        record = json.loads(line)
        assert set(record) == {"key", "value", "topic", "partition", "offset", "timestamp"}
        assert record["topic"] == "orders.events"
        assert record["partition"] == partition_of(record["key"])
        assert isinstance(record["offset"], int) and re.fullmatch(ISO_MS, record["timestamp"])
        assert re.search(r'"amount": \d+\.\d{2},', record["value"])  # NUMBER(18,2)
        event = json.loads(record["value"])
        assert set(event) == EVENT_FIELDS
        assert event["order_id"] == record["key"] and re.fullmatch(ISO_MS, event["event_ts"])
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
            event["event_id"],
        )
        assert event["event_type"] in {"ORDER_PLACED", "ORDER_PAID", "ORDER_SHIPPED",
                                       "ORDER_CANCELLED", "ORDER_REFUNDED"}  # fmt: skip
    assert {json.loads(line)["partition"] for line in lines} == set(range(6))


def test_partitions_follow_kafkas_default_partitioner() -> None:
    # reference values of Kafka's murmur2 (org.apache.kafka.common.utils.Utils)
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert murmur2(b"abc") == 479470107
    assert partition_of("1000001") == (murmur2(b"1000001") & 0x7FFFFFFF) % 6
