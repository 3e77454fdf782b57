"""Defects in the generated landing zone: on the wire, counted in the manifest, and nothing else.

The landed files are read back with plain Python and every record is classified by what it holds
(not by how the generator tagged it): a record must carry at most one defect, and per file the
kinds found must equal the manifest's counts.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from lakehouse import cli
from lakehouse.generate import DEFECTS, SOURCES, generate
from lakehouse.generate import events as events_module
from lakehouse.generate import orders as orders_module
from lakehouse.generate.contacts import COUNTRIES
from lakehouse.generate.defects import KINDS, per_thousand
from lakehouse.generate.events import partition_of
from lakehouse.generate.fx import CURRENCIES
from lakehouse.generate.products import HEADER

BASE = date(2026, 5, 3)
SCALE, SEED, DAYS = 0.02, 7, 3
RESERVED = 9_000_000_000
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
ISO_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
SNOWFLAKE_TS = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}")
PRICE = re.compile(r"\d+,\d{2}")
STATUSES = {"PLACED", "PAID", "SHIPPED", "CANCELLED", "REFUNDED"}
EVENT_TYPES = {f"ORDER_{s}" for s in STATUSES}
KNOWN_CURRENCIES = {*CURRENCIES, "USD"}
# The generator's output before defects existed: seed 42, scale 0.01, base BASE, days 0..2; the
# sha256 over (file name, sha256 of its bytes) of every file a batch lists in the manifest.
CLEAN_DIGESTS = [
    "1013cc5a50f0c44c937d84e808c841b01c29d51b221ad1e6aa07a19037f7da35",
    "f82f578160d5b41599c58d2ccd14aa89ce7bc080519186949bd7e083989c1cdd",
    "6ca869f149df32a708d6483ea611814436130ece8cabda36a3899cc7519dcf5f",
]


def batch_date(day: int) -> date:
    return BASE + timedelta(days=day)


def read_manifest(landing: Path) -> dict:
    return json.loads((landing / "manifest.json").read_text(encoding="utf-8"))


def sources_of(landing: Path, day: int) -> dict:
    return read_manifest(landing)["batches"][batch_date(day).isoformat()]["sources"]


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def one(problems: list[str]) -> str | None:
    """The defect of a record: it carries at most one."""
    assert len(problems) <= 1, problems
    return problems[0] if problems else None


@dataclass
class Landed:
    """One landed unit: a record (``record``) or an unreadable file (``record`` None)."""

    day: int
    source: str
    file: str
    kind: str | None
    record: object


def classify(landing: Path) -> list[Landed]:
    """Every landed unit of days 0..DAYS-1, its defect found from its content.

    Asserts per file that the units and the defects found equal the manifest's counts.
    """
    units: list[Landed] = []
    contact_ids: set[int] = set()
    skus: set[str] = set()
    event_values: dict[str, str] = {}
    for day in range(DAYS):
        sources = sources_of(landing, day)
        order = ["hubspot_contacts", "vendor_products", "fx_rates", "snowflake_orders"]
        for source in [*order, "order_events"]:
            for name, entry in sources[source]["files"].items():
                path = landing / name
                assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
                read = READERS[source]
                found = read(path, day, contact_ids=contact_ids, skus=skus, events=event_values)
                found = [Landed(day, source, name, kind, record) for kind, record in found]
                assert entry["records"] == len(found), name
                kinds = Counter(u.kind for u in found if u.kind)
                assert kinds == Counter(entry.get("defects", {})), name
                units += found
    return units


def read_contacts(path: Path, day: int, contact_ids: set[int], **_) -> list:
    text = path.read_text(encoding="utf-8")
    try:
        page = json.loads(text)
    except json.JSONDecodeError:
        assert text.startswith('{"results": [{"id": "9')  # a page of reserved ids, cut off
        return [("contacts_page_truncated", None)]
    found = []
    for c in page["results"]:
        p, problems = c["properties"], []
        if p["email"] is None:
            problems.append("contact_email_null")
        elif "@" not in p["email"]:
            problems.append("contact_email_malformed")
        if p["country"] not in COUNTRIES:
            problems.append("contact_country_unknown")
        if not ISO_MS.fullmatch(c["updatedAt"]):
            problems.append("contact_updated_at_unparseable")
        assert ISO_MS.fullmatch(c["createdAt"]) and p["hs_object_id"] == c["id"]
        contact_ids.add(int(c["id"]))
        found.append((one(problems), c))
    return found


def read_orders(path: Path, day: int, contact_ids: set[int], skus: set[str], **_) -> list:
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    try:
        text = gzip.decompress(raw).decode("utf-8")
    except (EOFError, zlib.error, gzip.BadGzipFile):
        return [("orders_file_corrupt_gzip", None)]
    rows = list(csv.DictReader(text.splitlines()))
    per_id = Counter(r["ORDER_ID"] for r in rows)
    found = []
    for r in rows:
        problems = []
        if r["AMOUNT"].startswith("-"):
            problems.append("order_amount_negative")
        if int(r["QUANTITY"]) < 1:
            problems.append("order_quantity_zero")
        if r["CURRENCY"] not in KNOWN_CURRENCIES:
            problems.append("order_currency_unknown")
        if not SNOWFLAKE_TS.fullmatch(r["ORDER_TS"]):
            problems.append("order_ts_unparseable")
        elif r["ORDER_TS"][:10] >= batch_date(day).isoformat():
            problems.append("order_in_future")
        if r["STATUS"] not in STATUSES:
            problems.append("order_status_invalid")
        if per_id[r["ORDER_ID"]] > 1:
            problems.append("order_id_duplicate_conflict")
        if int(r["CONTACT_ID"]) not in contact_ids:
            problems.append("order_contact_orphan")
        if r["SKU"] not in skus:
            problems.append("order_sku_orphan")
        assert SNOWFLAKE_TS.fullmatch(r["UPDATED_AT"]) and r["UPDATED_AT"] < str(batch_date(day))
        found.append((one(problems), r))
    return found


def read_products(path: Path, day: int, skus: set[str], **_) -> list:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        lines = raw.split(b"\n")[1:-1]
        for line in lines:  # no data line is UTF-8: each is quarantined for its encoding
            with pytest.raises(UnicodeDecodeError):
                line.decode("utf-8")
        text = raw.decode("latin-1")
        assert all(c in text for c in "äöé")
        rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
        skus.update(r["sku"] for r in rows)
        return [("products_file_latin1", r) for r in rows]
    reader = csv.DictReader(text.splitlines(), delimiter=";")
    rows = list(reader)
    header = reader.fieldnames or []
    drift = [c for c in header if c not in HEADER]
    assert drift in ([], ["discount_pct"])  # a column added at the end
    assert header[: len(header) - len(drift)] in (HEADER, [c for c in HEADER if c != "unit_price"])
    found = []
    for r in rows:
        skus.add(r["sku"])
        if "unit_price" not in header:
            kind = "products_header_missing_column"
        elif not PRICE.fullmatch(r["unit_price"]):
            kind = "product_price_malformed"  # a line counts under one kind only
        else:
            kind = "products_header_extra_column" if drift else None
        assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", r["effective_date"])
        found.append((kind, r))
    return found


def read_fx(path: Path, day: int, **_) -> list:
    doc = json.loads(path.read_text(encoding="utf-8"))
    rate_date = doc.get("date")
    found = []
    for currency, rate in doc["rates"].items():
        if rate_date is None:
            kind = "fx_document_date_missing"
        else:
            kind = None if type(rate) is float else "fx_rate_not_a_number"
        found.append((kind, (rate_date, currency, rate)))
    return found


def read_events(path: Path, day: int, events: dict[str, str], **_) -> list:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert record["partition"] == partition_of(record["key"])
        try:
            event = json.loads(record["value"])
        except json.JSONDecodeError:
            assert record["value"].startswith('{"event_id": "')
            found.append(("event_value_not_json", record))
            continue
        assert event["order_id"] == record["key"]
        if event["event_type"] not in EVENT_TYPES:
            kind = "event_type_unknown"
        elif event["event_id"] in events:  # the same event again: an exact copy of its value
            assert events[event["event_id"]] == record["value"]
            kind = "event_redelivered"
        else:
            kind = None
        assert kind == "event_redelivered" or event["event_id"] not in events
        events[event["event_id"]] = record["value"]
        found.append((kind, record))
    return found


READERS = {
    "hubspot_contacts": read_contacts,
    "snowflake_orders": read_orders,
    "vendor_products": read_products,
    "fx_rates": read_fx,
    "order_events": read_events,
}


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(landing with defects, clean landing): days 0..DAYS-1, same seed and scale."""
    with_defects, clean = tmp_path_factory.mktemp("defects"), tmp_path_factory.mktemp("clean")
    for day in range(DAYS):
        generate(with_defects, batch_date(day), scale=SCALE, seed=SEED)
        generate(clean, batch_date(day), scale=SCALE, seed=SEED, clean=True)
    return with_defects / "landing", clean / "landing"


@pytest.fixture(scope="module")
def landed(lakes: tuple[Path, Path]) -> list[Landed]:
    return classify(lakes[0])


# -- the catalogue ------------------------------------------------------------------------------
def test_catalogue_names_each_kind_once_with_its_outcome() -> None:
    assert len(DEFECTS) == 24 and tuple(DEFECTS) == KINDS
    for kind, d in DEFECTS.items():
        assert d.kind == kind and d.source in SOURCES and d.description and d.rate
        assert d.layer in {"bronze", "silver"} and d.unit in {"record", "file"}
        assert d.outcome in {"quarantined", "rejected batch", "accepted with drift", "deduplicated"}
        assert re.fullmatch(r"[a-z_]+", d.reason)
        contract = yaml.safe_load((CONTRACTS / f"{d.source}.yaml").read_text(encoding="utf-8"))
        columns = {p["name"] for p in contract["schema"][0]["properties"]}
        assert d.field is None or d.field in columns, kind
    assert {k for k, d in DEFECTS.items() if d.unit == "file"} == {
        "contacts_page_truncated",
        "orders_file_corrupt_gzip",
    }
    assert {d.source for d in DEFECTS.values()} == set(SOURCES)


# -- what lands ---------------------------------------------------------------------------------
def test_manifest_counts_equal_what_the_files_hold(landed: list[Landed], lakes) -> None:
    landing = lakes[0]
    for day in range(DAYS):
        for source, entry in sources_of(landing, day).items():
            units = [u for u in landed if u.day == day and u.source == source]
            assert entry["records"] == len(units)
            assert entry["defects"] == dict(Counter(u.kind for u in units if u.kind))
            assert list(entry["defects"]) == [k for k in KINDS if k in entry["defects"]]


def test_every_kind_lands_on_day_0_and_on_later_days(lakes) -> None:
    for day in range(DAYS):
        kinds = [k for e in sources_of(lakes[0], day).values() for k in e["defects"]]
        assert len(kinds) >= 20
        assert sorted(kinds) == sorted(KINDS), day


def test_rates_are_the_documented_ones(lakes) -> None:
    with_defects, clean = lakes
    file_units = {"products_file_latin1": 5, "products_header_missing_column": 5,
                  "fx_document_date_missing": 5}  # fmt: skip
    for day in range(DAYS):
        sources, clean_sources = sources_of(with_defects, day), sources_of(clean, day)
        for source, entry in sources.items():
            n = per_thousand(clean_sources[source]["records"])
            for kind in (k for k, d in DEFECTS.items() if d.source == source):
                if kind == "products_header_extra_column":  # the first vendor file, all lines
                    first = min(clean_sources[source]["files"])
                    expected = clean_sources[source]["files"][first]["records"]
                    assert entry["files"][first]["defects"][kind] == expected
                    continue
                if DEFECTS[kind].rate.startswith("1 file"):
                    expected = file_units.get(kind, 1)
                else:
                    expected = 2 * n if kind == "order_id_duplicate_conflict" else n
                assert entry["defects"][kind] == expected, (day, kind)


def test_each_defect_is_on_the_wire(landed: list[Landed], lakes) -> None:
    landing = lakes[0]
    for day in range(DAYS):
        units = [u for u in landed if u.day == day]
        by_kind: dict[str, list[Landed]] = {}
        for u in units:
            by_kind.setdefault(u.kind, []).append(u)
        # contacts: the truncated page is the last one, and the page before links to it
        (page,) = by_kind["contacts_page_truncated"]
        pages = list(sources_of(landing, day)["hubspot_contacts"]["files"])
        assert page.file == pages[-1]
        with pytest.raises(json.JSONDecodeError):
            json.loads((landing / page.file).read_text(encoding="utf-8"))
        before = json.loads((landing / pages[-2]).read_text(encoding="utf-8"))
        after = before["paging"]["next"]["after"]
        assert (
            (landing / page.file)
            .read_text(encoding="utf-8")
            .startswith(f'{{"results": [{{"id": "{after}"')
        )
        # orders: the corrupt unload is a cut gzip stream whose first lines still decode
        (corrupt,) = by_kind["orders_file_corrupt_gzip"]
        with pytest.raises(EOFError), gzip.open(landing / corrupt.file, "rt") as f:
            assert f.readline().startswith("ORDER_ID,CONTACT_ID,")
            f.read()
        for u in by_kind["order_in_future"]:
            assert u.record["ORDER_TS"][:10] == str(batch_date(day) + timedelta(days=30))
        pairs = Counter(u.record["ORDER_ID"] for u in by_kind["order_id_duplicate_conflict"])
        assert set(pairs.values()) == {2}
        for order_id in pairs:
            a, b = (
                u
                for u in by_kind["order_id_duplicate_conflict"]
                if u.record["ORDER_ID"] == order_id
            )
            assert a.file == b.file and a.record["STATUS"] != b.record["STATUS"]
            assert a.record["AMOUNT"] != b.record["AMOUNT"]
        assert all(u.record["SKU"].startswith("DEFECT-") for u in by_kind["order_sku_orphan"])
        assert all(u.record["STATUS"] == "SHIPED" for u in by_kind["order_status_invalid"])
        assert all(u.record["CURRENCY"] == "XXX" for u in by_kind["order_currency_unknown"])
        assert all(
            re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", u.record["ORDER_TS"])
            for u in by_kind["order_ts_unparseable"]
        )
        # products: the drift is in the batch's first (real) vendor file
        vendor_files = list(sources_of(landing, day)["vendor_products"]["files"])
        real = [f for f in vendor_files if re.search(r"_\d{8}\.csv$", f)]
        assert {u.file for u in by_kind["products_header_extra_column"]} == {min(real)}
        assert {Path(u.file).name for u in by_kind["products_file_latin1"]} == {
            f"products_V02_{batch_date(day):%Y%m%d}_latin1.csv"
        }
        assert all(
            re.fullmatch(r"\d\.\d{3},\d{2}", u.record["unit_price"])
            for u in by_kind["product_price_malformed"]
        )
        # fx: the document 20 years back has exactly one rate that is not a number
        (nan,) = by_kind["fx_rate_not_a_number"]
        rate_date, _, rate = nan.record
        assert rate == "n/a"
        assert rate_date == str((batch_date(day) - timedelta(days=1)).replace(year=BASE.year - 20))
        # events
        assert all(
            re.fullmatch(r'\{"event_id": "[0-9a-f-]{36}", "order_id": "\d{3}', u.record["value"])
            for u in by_kind["event_value_not_json"]
        )
        assert all(
            json.loads(u.record["value"])["event_type"] == "ORDER_TELEPORTED"
            for u in by_kind["event_type_unknown"]
        )


def test_reserved_keys_never_collide_with_clean_ones(landed: list[Landed]) -> None:
    drift = "products_header_extra_column"  # real lines in a file with one more column
    clean = [u for u in landed if u.kind in (None, drift) and u.record is not None]
    bad = [u for u in landed if u.kind not in (None, drift) and u.record is not None]
    contacts = [u for u in bad if u.source == "hubspot_contacts"]
    assert all(int(u.record["id"]) >= RESERVED for u in contacts)
    assert len({u.record["id"] for u in contacts}) == len(contacts)  # once across all days
    clean_contacts = {int(u.record["id"]) for u in clean if u.source == "hubspot_contacts"}
    assert clean_contacts and max(clean_contacts) < RESERVED
    orders = [u for u in bad if u.source == "snowflake_orders"]
    assert all(int(u.record["ORDER_ID"]) >= RESERVED for u in orders)
    pairs = sum(u.kind == "order_id_duplicate_conflict" for u in orders) // 2
    assert len({u.record["ORDER_ID"] for u in orders}) == len(orders) - pairs
    assert (
        max(int(u.record["ORDER_ID"]) for u in clean if u.source == "snowflake_orders") < RESERVED
    )
    orphans = {int(u.record["CONTACT_ID"]) for u in orders if u.kind == "order_contact_orphan"}
    every_contact = {
        int(u.record["id"]) for u in landed if u.source == "hubspot_contacts" and u.record
    }
    assert orphans and not orphans & every_contact
    products = [u for u in bad if u.source == "vendor_products"]
    assert products and all(u.record["sku"].startswith("DEFECT-") for u in products)
    assert not any(
        u.record["sku"].startswith("DEFECT-") for u in clean if u.source == "vendor_products"
    )
    clean_events = {
        json.loads(u.record["value"])["event_id"] for u in clean if u.source == "order_events"
    }
    new_ids = [
        re.match(r'\{"event_id": "([^"]+)"', u.record["value"]).group(1)
        for u in bad
        if u.kind in {"event_type_unknown", "event_value_not_json"}
    ]
    assert new_ids and not set(new_ids) & clean_events and len(set(new_ids)) == len(new_ids)


def test_clean_records_are_exactly_those_of_the_clean_run(landed: list[Landed], lakes) -> None:
    clean_run = classify(lakes[1])
    assert all(u.kind is None for u in clean_run)  # the clean run has no defect at all
    old = str(BASE.year - 10)

    def comparable(u: Landed):
        if u.source == "vendor_products":
            return (u.file.split("/")[-1], {c: u.record[c] for c in HEADER})
        if u.source == "order_events":
            return {k: v for k, v in u.record.items() if k != "offset"}
        return u.record

    def is_clean(u: Landed) -> bool:  # drifted lines are clean ones with one more column
        if u.record is None or u.kind not in (None, "products_header_extra_column"):
            return False
        return not (u.source == "fx_rates" and u.record[0] < old)

    for day in range(DAYS):
        for source in SOURCES:
            batch = [u for u in landed if u.day == day and u.source == source]
            ours = [comparable(u) for u in batch if is_clean(u)]
            theirs = [comparable(u) for u in clean_run if u.day == day and u.source == source]
            if source == "fx_rates":  # documents are read in manifest order
                ours, theirs = sorted(ours), sorted(theirs)
            assert ours == theirs, (day, source)
        # the valid rates of the document 20 years back are its only other clean records
        extra = [u for u in landed if u.day == day and u.source == "fx_rates" and u.kind is None]
        assert sum(u.record[0] < old for u in extra) == 30  # the document is complete


def test_offsets_stay_contiguous_and_file_numbers_continue_with_defects(lakes) -> None:
    landing = lakes[0]
    next_offset = [0] * 6
    previous: list[str] = []
    for day in range(DAYS):
        names = list(sources_of(landing, day)["order_events"]["files"])
        assert not previous or names[0] > previous[-1]
        previous = names
        stamps = []
        for name in names:
            for line in (landing / name).read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                assert record["offset"] == next_offset[record["partition"]]
                next_offset[record["partition"]] += 1
                stamps.append(record["timestamp"])
        assert stamps == sorted(stamps) and stamps[-1] < str(batch_date(day))  # delivery order


def test_event_files_count_earlier_defects(monkeypatch, tmp_path: Path) -> None:
    """With small files, day 0's defect records need one more file: day 1 numbers after it."""
    monkeypatch.setattr(events_module, "RECORDS_PER_FILE", 500)
    landing = tmp_path / "landing"
    days = [generate(tmp_path, batch_date(d), scale=SCALE, seed=SEED) for d in range(2)]
    day0 = days[0]["sources"]["order_events"]
    clean_files = -(-(day0["records"] - sum(day0["defects"].values())) // 500)
    assert len(day0["files"]) == clean_files + 1  # 3009 records: 7 files, not 6
    names = [n for d in days for n in d["sources"]["order_events"]["files"]]
    assert names == [f"order_events/part-{n:05d}.jsonl" for n in range(len(names))]
    regenerated = tree(landing)
    generate(tmp_path, batch_date(1), scale=SCALE, seed=SEED)  # on its own, the same bytes
    assert tree(landing) == regenerated


def test_an_unload_file_never_splits_rows_of_one_order_id(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(orders_module, "ROWS_PER_FILE", 3)
    ids = [1, 2, 3, 3, 4, 5, 6, 6]
    rows = [dict.fromkeys(orders_module.HEADER, "x") | {"ORDER_ID": i} for i in ids]
    files = orders_module.write_unload(tmp_path, rows)
    assert [[r["ORDER_ID"] for r in chunk] for chunk in files.values()] == [
        [1, 2, 3, 3],
        [4, 5, 6, 6],
    ]


# -- determinism, clean runs, the pinned flag -----------------------------------------------------
def test_defects_are_deterministic_in_any_order(lakes, tmp_path: Path) -> None:
    for day in [0, 2, 1, 2]:
        generate(tmp_path, batch_date(day), scale=SCALE, seed=SEED)
    assert tree(tmp_path / "landing") == tree(lakes[0])


def test_clean_runs_write_the_bytes_of_the_generator_before_defects(tmp_path: Path) -> None:
    for day, expected in enumerate(CLEAN_DIGESTS):
        entry = generate(tmp_path, batch_date(day), scale=0.01, seed=42, clean=True)
        names = sorted(name for e in entry["sources"].values() for name in e["files"])
        digest = hashlib.sha256()
        for name in names:
            content = (tmp_path / "landing" / name).read_bytes()
            digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
        assert digest.hexdigest() == expected, day
        assert "defects" not in json.dumps(entry)


def test_the_clean_flag_is_pinned_by_the_first_batch(tmp_path: Path) -> None:
    generate(tmp_path / "a", BASE, scale=0.01, seed=1)
    with pytest.raises(ValueError, match=r"clean=False; got .* clean=True"):
        generate(tmp_path / "a", batch_date(1), scale=0.01, seed=1, clean=True)
    generate(tmp_path / "b", BASE, scale=0.01, seed=1, clean=True)
    with pytest.raises(ValueError, match=r"clean=True; got .* clean=False"):
        generate(tmp_path / "b", batch_date(1), scale=0.01, seed=1)
    state = json.loads((tmp_path / "b/landing/_generator.json").read_text())
    assert state == {"seed": 1, "scale": 0.01, "clean": True, "base_date": str(BASE)}
    del state["clean"]  # a zone from before defects existed is clean
    (tmp_path / "b/landing/_generator.json").write_text(json.dumps(state))
    generate(tmp_path / "b", batch_date(1), scale=0.01, seed=1, clean=True)
    with pytest.raises(ValueError, match="clean"):
        generate(tmp_path / "b", batch_date(1), scale=0.01, seed=1)


def test_cli_clean_flag(tmp_path: Path) -> None:
    args = ["generate", "--lake-root", str(tmp_path), "--date", str(BASE), "--scale", "0.01"]
    assert cli.main([*args, "--clean"]) == cli.EXIT_OK
    manifest = read_manifest(tmp_path / "landing")
    assert manifest["generator"]["clean"] is True and "defects" not in json.dumps(manifest)
    assert cli.main(args) == cli.EXIT_USAGE  # the zone is clean: defects are refused
