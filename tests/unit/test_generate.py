"""The sample data generator: determinism, increments, consistency across days and the manifest.

Wire-format details of each source are in test_generate_formats.py, defects in
test_generate_defects.py; batches here are clean unless a test says otherwise. Files are read back
with plain csv/json/gzip, as a user of the landing zone would.
"""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from lakehouse.generate import SOURCES, generate

BASE = date(2026, 5, 3)
SCALE = 0.02
DAYS = 4  # the initial load and three increments
STATUS_PATH = {  # statuses an order has passed through when it shows the key status
    "PLACED": {"PLACED"},
    "PAID": {"PLACED", "PAID"},
    "SHIPPED": {"PLACED", "PAID", "SHIPPED"},
    "REFUNDED": {"PLACED", "PAID", "SHIPPED", "REFUNDED"},
    "CANCELLED": {"PLACED", "PAID", "CANCELLED"},
}


# -- reading the landing zone back -------------------------------------------------------------
def batch_files(landing: Path, day: int, source: str) -> list[Path]:
    manifest = json.loads((landing / "manifest.json").read_text())
    files = manifest["batches"][(BASE + timedelta(days=day)).isoformat()]["sources"][source]
    return [landing / name for name in files["files"]]


def read_contacts(landing: Path, day: int) -> list[dict]:
    pages = sorted(batch_files(landing, day, "hubspot_contacts"))
    return [r for p in pages for r in json.loads(p.read_text(encoding="utf-8"))["results"]]


def read_orders(landing: Path, day: int) -> list[dict]:
    rows = []
    for path in sorted(batch_files(landing, day, "snowflake_orders")):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            rows += list(csv.DictReader(f))
    return rows


def read_products(landing: Path, day: int) -> list[dict]:
    rows = []
    for path in sorted(batch_files(landing, day, "vendor_products")):
        with path.open(encoding="utf-8", newline="") as f:
            rows += list(csv.DictReader(f, delimiter=";"))
    return rows


def read_fx(landing: Path, day: int) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(batch_files(landing, day, "fx_rates"))]


def read_events(landing: Path, day: int) -> list[dict]:
    lines = []
    for path in sorted(batch_files(landing, day, "order_events")):
        lines += [json.loads(line) for line in path.read_text().splitlines()]
    return lines


def ts(text: str) -> datetime:
    """A wire timestamp (ISO with Z, or Snowflake's) as a naive UTC datetime."""
    return datetime.fromisoformat(text.rstrip("Z").replace(" ", "T"))


def midnight(day: int) -> datetime:
    return datetime.combine(BASE + timedelta(days=day), datetime.min.time())


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Days 0..3 generated clean in order into one landing zone."""
    root = tmp_path_factory.mktemp("lake")
    for day in range(DAYS):
        generate(root, BASE + timedelta(days=day), scale=SCALE, seed=7, clean=True)
    return root / "landing"


# -- volumes ------------------------------------------------------------------------------------
def test_initial_load_volumes_follow_the_scale(tmp_path: Path) -> None:
    entry = generate(tmp_path, BASE, scale=0.01, seed=1, clean=True)
    counts = {s: entry["sources"][s]["records"] for s in SOURCES}
    assert counts == {
        "hubspot_contacts": 250,
        "snowflake_orders": 1000,
        "vendor_products": 20,
        "fx_rates": 180 * 30,  # one record per (rate date, currency)
        "order_events": 1500,
    }
    vendor_files = entry["sources"]["vendor_products"]["files"]
    assert len(vendor_files) == 8
    assert all(f["records"] >= 1 for f in vendor_files.values())
    assert len(entry["sources"]["fx_rates"]["files"]) == 180
    assert all(entry["sources"][s]["updates"] == 0 for s in SOURCES)


def test_increment_volumes(landing: Path) -> None:
    manifest = json.loads((landing / "manifest.json").read_text())
    for day in range(1, DAYS):
        sources = manifest["batches"][(BASE + timedelta(days=day)).isoformat()]["sources"]
        contacts = sources["hubspot_contacts"]
        assert (contacts["records"], contacts["updates"]) == (15, 10)  # 5 new, 10 updated
        orders = sources["snowflake_orders"]
        assert orders["records"] - orders["updates"] == 30  # new orders
        assert orders["updates"] > 0
        assert len(sources["fx_rates"]["files"]) == 1
        assert 1 <= len(sources["vendor_products"]["files"]) <= 2
        assert sources["order_events"]["records"] > 0


# -- determinism --------------------------------------------------------------------------------
def test_same_inputs_give_byte_identical_trees_even_out_of_order(
    landing: Path, tmp_path: Path
) -> None:
    for day in [0, 3, 1, 2]:  # any order once the base exists
        generate(tmp_path, BASE + timedelta(days=day), scale=SCALE, seed=7, clean=True)
    assert tree(tmp_path / "landing") == tree(landing)


def test_regenerating_a_day_rewrites_it_identically_and_drops_stale_files(tmp_path: Path) -> None:
    for day in range(3):  # with defects
        generate(tmp_path, BASE + timedelta(days=day), scale=SCALE, seed=3)
    before = tree(tmp_path)
    stale = tmp_path / "landing/snowflake_orders/ingest_date=2026-05-04/orders_0_9_0.csv.gz"
    stale.write_bytes(b"old")
    generate(tmp_path, BASE + timedelta(days=1), scale=SCALE, seed=3)
    generate(tmp_path, BASE, scale=SCALE, seed=3)  # the initial load, too
    assert tree(tmp_path) == before


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", BASE, scale=0.01, seed=1)
    generate(tmp_path / "b", BASE, scale=0.01, seed=2)
    page = "landing/hubspot_contacts/ingest_date=2026-05-03/page-00001.json"
    assert (tmp_path / "a" / page).read_bytes() != (tmp_path / "b" / page).read_bytes()


# -- state --------------------------------------------------------------------------------------
def test_state_pins_seed_scale_and_base_date(tmp_path: Path) -> None:
    generate(tmp_path, BASE, scale=0.01, seed=5)
    state = json.loads((tmp_path / "landing/_generator.json").read_text())
    assert state == {"seed": 5, "scale": 0.01, "clean": False, "base_date": "2026-05-03"}
    with pytest.raises(ValueError, match="seed"):
        generate(tmp_path, BASE + timedelta(days=1), scale=0.01, seed=6)
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, BASE + timedelta(days=1), scale=0.02, seed=5)
    with pytest.raises(ValueError, match="before"):
        generate(tmp_path, BASE - timedelta(days=1), scale=0.01, seed=5)
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path / "other", BASE, scale=0, seed=5)
    manifest = json.loads((tmp_path / "landing/manifest.json").read_text())
    assert list(manifest["batches"]) == ["2026-05-03"]


# -- increments ---------------------------------------------------------------------------------
def test_each_batch_lands_under_its_ingest_date(landing: Path) -> None:
    for day in range(DAYS):
        folder = f"ingest_date={BASE + timedelta(days=day)}"
        for source in SOURCES[:4]:
            assert all(p.parent.name == folder for p in batch_files(landing, day, source))
    event_files = [{p.name for p in batch_files(landing, d, "order_events")} for d in range(DAYS)]
    assert all(not (a & b) for i, a in enumerate(event_files) for b in event_files[i + 1 :])


def test_no_timestamp_reaches_the_batch_date(landing: Path) -> None:
    for day in range(DAYS):
        cutoff = midnight(day)
        window_start = midnight(day - 1) if day else midnight(-180)
        for c in read_contacts(landing, day):
            p = c["properties"]
            assert ts(p["createdate"]) <= ts(p["lastmodifieddate"]) < cutoff
            if day:  # new or changed on the day before the batch
                assert window_start <= ts(p["lastmodifieddate"])
        for o in read_orders(landing, day):
            assert window_start <= ts(o["UPDATED_AT"]) < cutoff
            assert ts(o["ORDER_TS"]) <= ts(o["UPDATED_AT"])
        for e in read_events(landing, day):
            value = json.loads(e["value"])
            assert ts(value["event_ts"]) < ts(e["timestamp"]) < cutoff
            if day:
                assert window_start <= ts(e["timestamp"])
        for doc in read_fx(landing, day):
            assert date.fromisoformat(doc["date"]) < cutoff.date()
        for p in read_products(landing, day):
            assert datetime.strptime(p["effective_date"], "%d.%m.%Y") < cutoff


def test_updated_contacts_keep_identity_and_move_forward(landing: Path) -> None:
    stages = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
              "opportunity", "customer", "evangelist"]  # fmt: skip
    known = {c["id"]: c for c in read_contacts(landing, 0)}
    for day in range(1, DAYS):
        batch = read_contacts(landing, day)
        assert [c["id"] for c in batch] == sorted((c["id"] for c in batch), key=int)
        for c in batch:
            before = known.get(c["id"])
            if before is None:  # new: created on the day before the batch
                assert ts(c["createdAt"]) >= midnight(day - 1)
                assert int(c["id"]) > max(map(int, known))
            else:
                p, q = c["properties"], before["properties"]
                assert (p["email"], p["createdate"]) == (q["email"], q["createdate"])
                assert ts(c["updatedAt"]) > ts(before["updatedAt"])
                changed = [k for k in ("lifecyclestage", "company", "phone") if p[k] != q[k]]
                assert changed
                if q["lifecyclestage"] in stages and p["lifecyclestage"] != q["lifecyclestage"]:
                    assert stages.index(p["lifecyclestage"]) > stages.index(q["lifecyclestage"])
        known.update({c["id"]: c for c in batch})


def test_order_statuses_only_move_forward_across_days(landing: Path) -> None:
    known = {o["ORDER_ID"]: o for o in read_orders(landing, 0)}
    updates = 0
    for day in range(1, DAYS):
        for o in read_orders(landing, day):
            before = known.get(o["ORDER_ID"])
            if before is None:
                assert ts(o["ORDER_TS"]) >= midnight(day - 1)
                continue
            updates += 1
            for column in ("CONTACT_ID", "ORDER_TS", "SKU", "QUANTITY", "AMOUNT", "CURRENCY"):
                assert o[column] == before[column]
            assert ts(o["UPDATED_AT"]) > ts(before["UPDATED_AT"])
            assert before["STATUS"] in STATUS_PATH[o["STATUS"]] - {o["STATUS"]}
        known.update({o["ORDER_ID"]: o for o in read_orders(landing, day)})
    assert updates > 0


def test_orders_reference_delivered_contacts_products_and_rated_currencies(landing: Path) -> None:
    contacts: dict[str, datetime] = {}
    skus: set[str] = set()
    for day in range(DAYS):
        contacts.update({c["id"]: ts(c["createdAt"]) for c in read_contacts(landing, day)})
        skus.update(p["sku"] for p in read_products(landing, day))
        orders = read_orders(landing, day)
        for o in orders:
            assert contacts[o["CONTACT_ID"]] < ts(o["ORDER_TS"])  # a buyer existed before
            assert o["SKU"] in skus
        currencies = {o["CURRENCY"] for o in orders} | {
            p["currency"] for p in read_products(landing, day)
        }
        for doc in read_fx(landing, day):
            assert currencies - {"USD"} <= set(doc["rates"])


def test_events_follow_each_orders_lifecycle(landing: Path) -> None:
    orders: dict[str, dict] = {}
    seen: set[tuple[str, str]] = set()
    for day in range(DAYS):
        orders.update({o["ORDER_ID"]: o for o in read_orders(landing, day)})
        for record in read_events(landing, day):
            event = json.loads(record["value"])
            order = orders[event["order_id"]]  # delivered by now
            status = event["event_type"].removeprefix("ORDER_")
            assert status in STATUS_PATH[order["STATUS"]]
            assert (event["amount"], event["currency"]) == (
                float(order["AMOUNT"]),
                order["CURRENCY"],
            )
            if status == "PLACED":
                assert ts(event["event_ts"]) == ts(order["ORDER_TS"])
            key = (event["order_id"], status)
            assert key not in seen  # at most one event per (order, event type)
            seen.add(key)


def test_late_events_arrive_days_after_they_happened(landing: Path) -> None:
    late = 0
    for day in range(1, DAYS):
        for record in read_events(landing, day):
            event_ts = ts(json.loads(record["value"])["event_ts"])
            if event_ts < midnight(day - 2):  # 2+ days before the activity day (day - 1)
                assert event_ts >= midnight(day - 11)  # at most 10 days before it
                late += 1
    assert late > 0


def test_kafka_offsets_increase_per_partition_across_batches(landing: Path) -> None:
    next_offset = [0] * 6
    previous_files: list[str] = []
    for day in range(DAYS):
        files = sorted(p.name for p in batch_files(landing, day, "order_events"))
        assert not previous_files or files[0] > previous_files[-1]  # numbering continues
        previous_files = files
        for record in read_events(landing, day):
            assert record["offset"] == next_offset[record["partition"]]
            next_offset[record["partition"]] += 1
    assert all(n > 0 for n in next_offset)


# -- manifest -----------------------------------------------------------------------------------
def test_manifest_counts_match_the_files(landing: Path) -> None:
    manifest = json.loads((landing / "manifest.json").read_text())
    assert manifest["generator"] == {
        "seed": 7,
        "scale": SCALE,
        "clean": True,
        "base_date": "2026-05-03",
    }
    assert list(manifest["batches"]) == [str(BASE + timedelta(days=d)) for d in range(DAYS)]
    seen: dict[str, set] = {s: set() for s in SOURCES}
    for day in range(DAYS):
        sources = manifest["batches"][str(BASE + timedelta(days=day))]["sources"]
        actual = {
            "hubspot_contacts": [c["id"] for c in read_contacts(landing, day)],
            "snowflake_orders": [o["ORDER_ID"] for o in read_orders(landing, day)],
            "vendor_products": [p["sku"] for p in read_products(landing, day)],
            "fx_rates": [(d["date"], c) for d in read_fx(landing, day) for c in d["rates"]],
            "order_events": [json.loads(r["value"])["event_id"] for r in read_events(landing, day)],
        }
        for source, keys in actual.items():
            entry = sources[source]
            assert (
                entry["records"] == len(keys) == sum(f["records"] for f in entry["files"].values())
            )
            assert entry["updates"] == sum(k in seen[source] for k in keys)
            seen[source].update(keys)
        late = sum(
            (ts(r["timestamp"]).date() - ts(json.loads(r["value"])["event_ts"]).date()).days >= 2
            for r in read_events(landing, day)
        )
        assert sources["order_events"]["late"] == late
