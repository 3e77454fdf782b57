"""Contract enforcement as an ingest job runs it: readers judge landed files, check_records
judges every record, and the ingest writes Bronze and quarantine and balances the accounts.

Landed files are written by hand to a ``landing/`` folder, so each test states exactly what
arrived and what a user of the lake then sees.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse import catalog
from lakehouse.contracts import load_contract
from lakehouse.contracts.checks import check_records
from lakehouse.contracts.model import Contract, parse_contract
from lakehouse.ingest import ContractViolation, ingest_landed_batch
from lakehouse.ledger import FileLedger
from lakehouse.runtime import start_job
from lakehouse.sources.landed import (
    META,
    LandedFile,
    kafka_records,
    list_landed,
    read_csv,
    read_json_documents,
    read_json_pages,
)
from lakehouse.sources.order_events import KAFKA_RECORD

pytestmark = pytest.mark.spark

BATCH_END = dt.datetime(2031, 1, 2, tzinfo=dt.UTC)


def landed_frame(spark, contract: Contract, rows: list[dict[str, Any]]):
    """Landed records as a reader yields them: raw text per field, ``_position`` = list index."""
    schema = T.StructType(
        [T.StructField(f.name, T.StringType()) for f in contract.fields] + META.fields
    )
    data = [
        (
            *[row.get(f.name) for f in contract.fields],
            "test/file",
            i,
            json.dumps(row),
            row.get("_reject_reason"),
            row.get("_reject_detail"),
            None,
            None,
        )
        for i, row in enumerate(rows)
    ]
    return spark.createDataFrame(data, schema)


def violations(row) -> list[tuple]:
    return [(v["rule"], v["field"], v["value"], v["detail"]) for v in row["_violations"]]


# ---------------------------------------------------------------------------- check_records


def _prop(name: str, physical: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "logicalType": "string", "physicalType": physical, **extra}


def _custom(**params: Any) -> list[dict[str, Any]]:
    return [{"property": k, "value": v} for k, v in params.items()]


def _rule(kind: str, **params: Any) -> dict[str, Any]:
    return {"rule": kind, "customProperties": _custom(**params)}


RULES_CONTRACT = parse_contract(
    {
        "apiVersion": "v3.0.2",
        "kind": "DataContract",
        "id": "urn:test:rules",
        "version": "1.0.0",
        "schema": [
            {
                "name": "things",
                "properties": [
                    _prop("id", "bigint", required=True, primaryKey=True),
                    _prop("name", "string", required=True),
                    _prop("code", "string", quality=[_rule("validValues", validValues=["A", "B"])]),
                    _prop("ref", "string", quality=[_rule("pattern", pattern="^R[0-9]+$")]),
                    _prop(
                        "qty",
                        "int",
                        quality=[
                            {"rule": "range", "mustBeGreaterThan": 0, "mustBeLessOrEqualTo": 10}
                        ],
                    ),
                    _prop(
                        "ts",
                        "timestamp",
                        customProperties=_custom(sourceFormat="yyyy-MM-dd HH:mm:ss.SSS"),
                        quality=[{"rule": "notInFuture"}],
                    ),
                    _prop("price", "decimal(10,2)", customProperties=_custom(decimalSeparator=",")),
                    _prop("day", "date"),
                    _prop(
                        "email",
                        "string",
                        classification="pii",
                        quality=[_rule("pattern", pattern="^[^@]+@[^@]+$")],
                    ),
                    _prop("note", "string"),
                ],
            }
        ],
    },
    "rules-test",
)
VALID = {
    "id": "1",
    "name": "Widget",
    "code": "A",
    "ref": "R7",
    "qty": "5",
    "ts": "2031-01-01 12:00:00.000",
    "price": "12,50",
    "day": "2031-01-01",
    "email": "ann@example.com",
}
# case -> (changes to a valid record, the one violation expected: rule, field, value, detail)
CASES: dict[str, tuple[dict[str, Any], tuple | None]] = {
    "valid": ({}, None),
    "required-null": ({"name": None}, ("required", "name", None, "a required value is missing")),
    "required-blank": ({"name": "  "}, ("required", "name", "  ", "a required value is missing")),
    "type-int": ({"qty": "abc"}, ("type", "qty", "abc", "not a valid int")),
    "type-date": ({"day": "2031-13-01"}, ("type", "day", "2031-13-01", "not a valid date")),
    "type-format": (
        {"ts": "01.01.2031 10:00"},
        ("type", "ts", "01.01.2031 10:00", "not a timestamp in the format yyyy-MM-dd HH:mm:ss.SSS"),
    ),
    "enum": ({"code": "C"}, ("enum", "code", "C", "must be one of A, B")),
    "pattern": ({"ref": "X1"}, ("pattern", "ref", "X1", "must match ^R[0-9]+$")),
    "range-low": ({"qty": "0"}, ("range", "qty", "0", "must be > 0 and <= 10")),
    "range-high": ({"qty": "11"}, ("range", "qty", "11", "must be > 0 and <= 10")),
    "range-edge": ({"qty": "10"}, None),
    "future-at-batch-end": (
        {"ts": "2031-01-02 00:00:00.000"},
        (
            "future",
            "ts",
            "2031-01-02 00:00:00.000",
            "must not be after the end of the batch date",
        ),
    ),
    "future-1ms-before": ({"ts": "2031-01-01 23:59:59.999"}, None),
    "decimal-thousands": (
        {"price": "1.234,50"},
        (
            "type",
            "price",
            "1.234,50",
            "not a decimal(10,2) number with the decimal separator ','",
        ),
    ),
    "decimal-dot": (
        {"price": "1.5"},
        ("type", "price", "1.5", "not a decimal(10,2) number with the decimal separator ','"),
    ),
    "pii-masked": (
        {"email": "bad-address"},
        ("pattern", "email", "b*** (11 chars)", "must match ^[^@]+@[^@]+$"),
    ),
    "optional-null": ({"code": None, "ref": None, "qty": None, "price": None, "email": None}, None),
}
DUPLICATES = [
    ("dup-different-1", {"id": "100", "code": "A"}),
    ("dup-different-2", {"id": "100", "code": "B"}),
    ("dup-identical-1", {"id": "101"}),
    ("dup-identical-2", {"id": "101"}),
    # The same value in another column is other content (hashing must not skip the NULLs).
    ("dup-moved-1", {"id": "102", "code": "A", "note": None}),
    ("dup-moved-2", {"id": "102", "code": None, "note": "A"}),
]
DUP_DETAIL = "primary key (id) delivered more than once in the batch with different content"


@pytest.fixture(scope="module")
def checked(spark) -> dict[str, Any]:
    """Every crafted record checked once; case name -> checked row."""
    names, rows = [], []
    for i, (name, (changes, _)) in enumerate(CASES.items()):
        names.append(name)
        rows.append({**VALID, "id": str(i + 1), **changes})
    for name, changes in DUPLICATES:
        names.append(name)
        rows.append({**VALID, **changes})
    names.append("reader-rejected")
    rows.append(
        {**VALID, "id": "200", "_reject_reason": "encoding", "_reject_detail": "x is not UTF-8"}
    )
    result = check_records(landed_frame(spark, RULES_CONTRACT, rows), RULES_CONTRACT, BATCH_END)
    return {names[row["_position"]]: row for row in result.collect()}


@pytest.mark.parametrize("case", list(CASES))
def test_each_rule_yields_exactly_its_violation(checked, case):
    expected = CASES[case][1]
    assert violations(checked[case]) == ([expected] if expected else [])


def test_valid_records_are_typed(checked):
    row = checked["valid"]
    assert (row["id"], row["qty"], row["price"]) == (1, 5, Decimal("12.50"))
    assert row["ts"] == dt.datetime(2031, 1, 1, 12)
    assert row["day"] == dt.date(2031, 1, 1)


def test_pii_values_are_masked_and_others_shown(checked):
    (pii,) = checked["pii-masked"]["_violations"]
    assert pii["value"].startswith("b***")
    assert "bad-address" not in pii["value"]
    (other,) = checked["enum"]["_violations"]
    assert other["value"] == "C"


def test_a_key_delivered_twice_with_different_content_marks_both(checked):
    for case in ("dup-different-1", "dup-different-2"):
        assert violations(checked[case]) == [("duplicate_key", "id", "100", DUP_DETAIL)]


def test_a_value_moved_to_another_column_is_different_content(checked):
    for case in ("dup-moved-1", "dup-moved-2"):
        assert violations(checked[case]) == [("duplicate_key", "id", "102", DUP_DETAIL)]


def test_identical_duplicates_are_not_violations(checked):
    assert violations(checked["dup-identical-1"]) == []
    assert violations(checked["dup-identical-2"]) == []


def test_a_record_the_reader_rejected_carries_only_the_readers_reason(checked):
    assert violations(checked["reader-rejected"]) == [("encoding", None, None, "x is not UTF-8")]


def test_transport_fields_do_not_make_a_redelivered_event_different(spark):
    contract = load_contract("order_events")
    event = {
        "event_id": "e1",
        "order_id": "7",
        "event_type": "ORDER_PAID",
        "event_ts": "2031-01-01T09:00:00.000Z",
        "amount": "12.50",
        "currency": "EUR",
        "kafka_topic": "orders.events",
        "kafka_partition": "0",
        "kafka_offset": "41",
        "kafka_timestamp": "2031-01-01T09:00:01.000Z",
    }
    rows = [
        event,
        # At-least-once delivery: the same event again, at another offset, partition and time.
        {
            **event,
            "kafka_partition": "1",
            "kafka_offset": "977",
            "kafka_timestamp": "2031-01-01T10:00:00.000Z",
        },
        {**event, "event_id": "e2"},
        {**event, "event_id": "e2", "amount": "13.00", "kafka_offset": "42"},
    ]
    out = {
        r["_position"]: r
        for r in check_records(landed_frame(spark, contract, rows), contract, BATCH_END).collect()
    }
    assert violations(out[0]) == [] and violations(out[1]) == []
    assert [v[0] for v in violations(out[2])] == ["duplicate_key"]
    assert [v[:3] for v in violations(out[3])] == [("duplicate_key", "event_id", "e2")]


# ---------------------------------------------------------------------------- read_csv

VENDOR_HEADER = "sku;product_name;category;unit_price;currency;vendor_id;effective_date"
VENDOR_LINE = "SKU-{n};Widget {n};Tools;12,50;EUR;V01;01.01.2031"
ORDERS_HEADER = "ORDER_ID,CONTACT_ID,ORDER_TS,STATUS,SKU,QUANTITY,AMOUNT,CURRENCY,UPDATED_AT"
ORDER_LINE = "{n},7,{day} 10:00:00.000,{status},SKU-1,2,10.50,EUR,{day} 10:00:00.000"


def order_line(n: int, day: str = "2031-01-01", status: str = "PAID") -> str:
    return ORDER_LINE.format(n=n, day=day, status=status)


def land(root: Path, source: str, day: str, files: dict[str, bytes]) -> Path:
    folder = root / "landing" / source / f"ingest_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def corrupt_gzip(text: str) -> bytes:
    data = gzip.compress(text.encode())
    return data[: len(data) // 2]


class Read:
    """A reader's result with its records collected, by file basename."""

    def __init__(self, landed):
        self.landed = landed
        self.reports = {r.file.rsplit("/", 1)[-1]: r for r in landed.files}
        self.rows: dict[str, list] = {}
        for row in landed.records.orderBy("_source", "_position").collect():
            self.rows.setdefault(row["_source"].rsplit("/", 1)[-1], []).append(row)


@pytest.fixture(scope="module")
def vendor_read(spark, tmp_path_factory) -> Read:
    lines = [VENDOR_LINE.format(n=n) for n in range(1, 4)]
    folder = land(
        tmp_path_factory.mktemp("vendor"),
        "vendor_products",
        "2031-01-01",
        {
            # CRLF line ends and a blank line: records keep their line in the file.
            "valid.csv": "\r\n".join(
                [VENDOR_HEADER, lines[0], "", lines[1], lines[2], ""]
            ).encode(),
            "latin1.csv": "\n".join(
                [VENDOR_HEADER, "SKU-4;Crème brûlée;Food;3,00;EUR;V02;01.01.2031", lines[0]]
            ).encode("latin-1"),
            "no_category.csv": "\n".join(
                [
                    VENDOR_HEADER.replace("category;", ""),
                    "SKU-5;X;1,00;EUR;V01;01.01.2031",
                    "SKU-6;X;1,00;EUR;V01;01.01.2031",
                ]
            ).encode(),
            "commas.csv": "\n".join(
                [VENDOR_HEADER.replace(";", ","), "SKU-7,X,T,1.00,EUR,V01,01.01.2031"]
            ).encode(),
            "extra.csv": "\n".join(
                [VENDOR_HEADER + ";ean", VENDOR_LINE.format(n=8) + ";4006381333931"]
            ).encode(),
            "empty.csv": b"",
            "leading_blank.csv": "\n".join(["", VENDOR_HEADER, VENDOR_LINE.format(n=11)]).encode(),
            "long_line.csv": "\n".join(
                [VENDOR_HEADER, VENDOR_LINE.format(n=9), VENDOR_LINE.format(n=10) + ";surplus"]
            ).encode(),
        },
    )
    contract = load_contract("vendor_products")
    files = list_landed(spark, str(folder), ".csv")
    return Read(read_csv(spark, files, contract, sep=";"))


def test_a_valid_csv_yields_its_records_with_their_line_numbers(vendor_read):
    rows = vendor_read.rows["valid.csv"]
    assert [(r["sku"], r["_position"]) for r in rows] == [("SKU-1", 2), ("SKU-2", 4), ("SKU-3", 5)]
    assert rows[0]["unit_price"] == "12,50", "raw text, carriage return stripped"
    assert rows[0]["_raw"] == VENDOR_LINE.format(n=1)
    assert all(r["_reject_reason"] is None for r in rows)
    report = vendor_read.reports["valid.csv"]
    assert (report.records, report.reason) == (3, None)
    assert not report.drift.changed


def test_a_latin1_file_is_rejected_line_by_line_as_encoding(vendor_read):
    rows = vendor_read.rows["latin1.csv"]
    assert [(r["_reject_reason"], r["_position"]) for r in rows] == [
        ("encoding", 2),
        ("encoding", 3),
    ]
    report = vendor_read.reports["latin1.csv"]
    assert report.reason == "encoding" and report.records == 2
    assert "latin1.csv is not valid UTF-8" in report.detail
    assert rows[0]["_reject_detail"] == report.detail


def test_a_missing_required_column_rejects_every_line_naming_file_and_column(vendor_read):
    rows = vendor_read.rows["no_category.csv"]
    assert [(r["_reject_reason"], r["_position"]) for r in rows] == [
        ("schema_break", 2),
        ("schema_break", 3),
    ]
    assert {r["_reject_field"] for r in rows} == {"category"}
    report = vendor_read.reports["no_category.csv"]
    assert report.reason == "schema_break"
    assert "vendor_products/ingest_date=2031-01-01/no_category.csv" in report.detail
    assert "missing required column(s) category" in report.detail


def test_a_wrong_delimiter_is_hinted_at(vendor_read):
    report = vendor_read.reports["commas.csv"]
    assert report.reason == "schema_break"
    assert report.detail.endswith("the header has no ';': wrong delimiter?")
    assert [r["_reject_reason"] for r in vendor_read.rows["commas.csv"]] == ["schema_break"]


def test_an_extra_column_under_evolve_is_accepted_and_kept(vendor_read):
    (row,) = vendor_read.rows["extra.csv"]
    assert row["_reject_reason"] is None and row["sku"] == "SKU-8"
    assert row["_extra_columns"] == {"ean": "4006381333931"}
    report = vendor_read.reports["extra.csv"]
    assert report.reason is None and report.drift.added == ("ean",)
    assert report.as_dict()["drift"]["added"] == ["ean"]


def test_an_empty_file_is_one_empty_unit(vendor_read):
    (row,) = vendor_read.rows["empty.csv"]
    assert row["_reject_reason"] == "empty"
    assert "empty.csv is empty (no header, no records)" in row["_reject_detail"]
    assert vendor_read.reports["empty.csv"].records == 1


def test_a_line_with_more_fields_than_the_header_is_unparseable(vendor_read):
    good, bad = vendor_read.rows["long_line.csv"]
    assert good["_reject_reason"] is None
    assert (bad["_reject_reason"], bad["_position"]) == ("unparseable_record", 3)
    assert bad["_reject_detail"] == "the line has more fields than the header (7)"
    assert bad["_raw"].endswith(";surplus")
    assert vendor_read.reports["long_line.csv"].reason is None


def test_a_blank_first_line_rejects_the_file_and_every_line_is_counted(vendor_read):
    # Line 1 is the header; a blank one breaks the schema, and the real header becomes a line.
    rows = vendor_read.rows["leading_blank.csv"]
    assert [(r["_reject_reason"], r["_position"]) for r in rows] == [
        ("schema_break", 2),
        ("schema_break", 3),
    ]
    assert vendor_read.reports["leading_blank.csv"].records == len(rows)


def test_landed_count_is_the_number_of_landed_units(vendor_read):
    units = sum(len(rows) for rows in vendor_read.rows.values())
    assert units == 3 + 2 + 2 + 1 + 1 + 1 + 2 + 2
    assert vendor_read.landed.count == units


def test_strict_csv_with_an_extra_column_or_a_corrupt_gzip(spark, tmp_path):
    good = "\n".join([ORDERS_HEADER, order_line(1), order_line(2)]) + "\n"
    folder = land(
        tmp_path,
        "snowflake_orders",
        "2031-01-01",
        {
            "orders_good.csv.gz": gzip.compress(good.encode()),
            "orders_extra.csv.gz": gzip.compress(
                "\n".join([ORDERS_HEADER + ",NOTE", order_line(3) + ",hi"]).encode()
            ),
            "orders_cut.csv.gz": corrupt_gzip(
                "\n".join([ORDERS_HEADER] + [order_line(n) for n in range(200)])
            ),
        },
    )
    read = Read(
        read_csv(
            spark, list_landed(spark, str(folder), ".csv.gz"), load_contract("snowflake_orders")
        )
    )
    assert [r["order_id"] for r in read.rows["orders_good.csv.gz"]] == ["1", "2"]
    extra = read.reports["orders_extra.csv.gz"]
    assert extra.reason == "schema_break"
    assert "unexpected column(s) NOTE (the contract's drift policy is strict)" in extra.detail
    (cut,) = read.rows["orders_cut.csv.gz"]
    assert cut["_reject_reason"] == "unreadable"
    assert "orders_cut.csv.gz: gzip stream is corrupt or truncated" in cut["_reject_detail"]
    assert read.landed.count == 2 + 1 + 1


# ---------------------------------------------------------------------------- JSON readers


def contact(n: int, **properties: str) -> dict[str, Any]:
    return {
        "id": str(n),
        "properties": {"email": f"c{n}@example.com", "country": "NO", **properties},
        "createdAt": "2031-01-01T00:00:00.000Z",
        "updatedAt": "2031-01-01T00:00:00.000Z",
        "archived": False,
    }


def test_json_pages_positions_truncation_and_new_keys(spark, tmp_path):
    page2 = {"results": [contact(4, favourite_color="blue"), contact(5)]}
    folder = land(
        tmp_path,
        "hubspot_contacts",
        "2031-01-01",
        {
            "page-1.json": json.dumps({"results": [contact(1), contact(2), contact(3)]}).encode(),
            "page-2.json": json.dumps(page2).encode(),
            "page-3.json": json.dumps({"results": [contact(6)]}).encode()[:50],
        },
    )
    read = Read(
        read_json_pages(
            spark, list_landed(spark, str(folder), ".json"), load_contract("hubspot_contacts")
        )
    )
    assert [(r["id"], r["_position"]) for r in read.rows["page-1.json"]] == [
        ("1", 1),
        ("2", 2),
        ("3", 3),
    ]
    assert [(r["id"], r["_position"]) for r in read.rows["page-2.json"]] == [("4", 1), ("5", 2)]
    assert read.rows["page-1.json"][0]["email"] == "c1@example.com"
    # permissive: the new key is reported, the page accepted, the value not kept
    report = read.reports["page-2.json"]
    assert report.reason is None and report.drift.added == ("properties.favourite_color",)
    assert all(r["_reject_reason"] is None for r in read.rows["page-2.json"])
    (cut,) = read.rows["page-3.json"]
    assert cut["_reject_reason"] == "unreadable" and "page-3.json" in cut["_reject_detail"]
    assert read.reports["page-3.json"].records == 1
    assert read.landed.count == 3 + 2 + 1


def test_json_documents_without_a_date_and_corrupt(spark, tmp_path):
    contract = load_contract("fx_rates")
    folder = land(
        tmp_path,
        "fx_rates",
        "2031-01-01",
        {
            "rates_1.json": json.dumps(
                {"base": "USD", "date": "2031-01-01", "rates": {"EUR": 0.92, "GBP": 0.79123456}}
            ).encode(),
            "rates_2.json": json.dumps(
                {"base": "USD", "rates": {"EUR": 0.93, "CHF": 0.88}}
            ).encode(),
            "rates_3.json": b'{"base": "USD", "date": "2031-01-0',
        },
    )
    landed = read_json_documents(spark, list_landed(spark, str(folder), ".json"), contract)
    out = (
        check_records(landed.records, contract, BATCH_END).orderBy("_source", "_position").collect()
    )
    by_file: dict[str, list] = {}
    for row in out:
        by_file.setdefault(row["_source"].rsplit("/", 1)[-1], []).append(row)
    assert [(r["currency"], r["rate"], r["_position"]) for r in by_file["rates_1.json"]] == [
        ("EUR", Decimal("0.92"), 1),
        ("GBP", Decimal("0.79123456"), 2),
    ]
    assert all(violations(r) == [] for r in by_file["rates_1.json"])
    undated = by_file["rates_2.json"]
    assert len(undated) == 2 and all(r["rate_date"] is None for r in undated)
    assert {tuple(v[:2] for v in violations(r)) for r in undated} == {(("required", "rate_date"),)}
    (corrupt,) = by_file["rates_3.json"]
    assert [v[0] for v in violations(corrupt)] == ["unreadable"]
    assert landed.count == 2 + 2 + 1


def test_kafka_records_parse_json_values_and_reject_others(spark):
    value = {
        "event_id": "e1",
        "order_id": 7,
        "event_type": "ORDER_PAID",
        "event_ts": "2031-01-01T09:00:00.000Z",
        "amount": 12.5,
        "currency": "EUR",
    }
    kafka = spark.createDataFrame(
        [
            ("k", "not json {", "orders.events", "0", "41", "2031-01-01T10:00:00.000Z"),
            ("k", json.dumps(value), "orders.events", "3", "42", "2031-01-01T10:00:00.000Z"),
        ],
        KAFKA_RECORD,
    )
    bad, good = kafka_records(kafka, load_contract("order_events")).orderBy("_position").collect()
    assert (bad["_reject_reason"], bad["_position"], bad["_raw"]) == (
        "unparseable_record",
        41,
        "not json {",
    )
    assert bad["_reject_detail"] == "the Kafka record's value is not a JSON object"
    assert good["_reject_reason"] is None
    assert (good["event_id"], good["order_id"], good["amount"], good["kafka_partition"]) == (
        "e1",
        "7",
        "12.5",
        "3",
    )
    assert (good["_source"], good["_position"]) == ("orders.events/3/42", 42)


# ---------------------------------------------------------------------------- ledger, catalog


def test_ledger_new_then_skipped_then_changed(spark, tmp_path):
    location = str(tmp_path / "ledgers" / "vendor_products.json")
    name = "vendor_products/ingest_date=2031-01-01/products_v01.csv"
    first = LandedFile(f"/x/landing/{name}", name, size=100, modified=1000)
    ledger = FileLedger(spark, location)
    assert ledger.pending([first]).new == [first]
    ledger.commit([first], "run_1")
    again = FileLedger(spark, location).pending([first])
    assert (again.new, again.changed, again.skipped) == ([], [], [first])
    assert again.files == []
    resent = LandedFile(first.path, name, size=120, modified=1000)
    touched = LandedFile(first.path, name, size=100, modified=2000)
    pending = FileLedger(spark, location).pending([resent, touched])
    assert (pending.new, pending.changed, pending.skipped) == ([], [resent, touched], [])
    saved = json.loads(Path(location).read_text())["files"][name]
    assert saved == {"size": 100, "modified": 1000, "run_id": "run_1"}


def test_replace_partitions_drops_an_owned_partition_that_got_no_rows(spark, tmp_path):
    spark.sql("CREATE DATABASE IF NOT EXISTS t_enforce")
    table, location = "t_enforce.parts", str(tmp_path / "parts")
    rows = spark.createDataFrame([(1, "A"), (2, "A"), (3, "B")], "id int, d string")
    catalog.replace_partitions(
        rows, table, location, ["d"], [{"d": "A"}, {"d": "B"}], [{"d": "A"}, {"d": "B"}]
    )
    assert any((tmp_path / "parts" / "d=A").glob("*.parquet"))
    catalog.replace_partitions(rows.limit(0), table, location, ["d"], [{"d": "A"}], [])
    assert catalog.table_exists(spark, table)
    assert spark.table(table).where("d = 'A'").count() == 0
    assert not (tmp_path / "parts" / "d=A").exists()
    assert any((tmp_path / "parts" / "d=B").glob("*.parquet")), "B is not owned: kept"


# ---------------------------------------------------------------------------- ingest


def run_ingest(lake: Path, source: str, day: str):
    argv = ["prog", "--JOB_NAME", "t", "--lake_root", str(lake), "--batch_date", day]
    with start_job(argv) as job:
        return job.run_id, ingest_landed_batch(job, source)


def partition(spark, table: str, day: str):
    return spark.table(table).where(F.col("ingest_date") == day)


def test_ingest_writes_accepted_rows_to_bronze_and_the_rest_to_quarantine(
    spark, spark_lake, forget_batch
):
    day = "2031-01-03"
    forget_batch("snowflake_orders", day)
    lines = [order_line(1, day), order_line(2, day), order_line(3, day, status="LOST")]
    lines += [order_line(4, day) + ",extra", order_line(5, day)]
    land(
        spark_lake,
        "snowflake_orders",
        day,
        {
            "orders_1.csv.gz": gzip.compress(("\n".join([ORDERS_HEADER, *lines]) + "\n").encode()),
            "orders_2.csv.gz": corrupt_gzip(
                "\n".join([ORDERS_HEADER] + [order_line(n, day) for n in range(300)])
            ),
        },
    )
    counts = []
    for _ in range(2):  # the second run is a rerun of the same batch
        run_id, acc = run_ingest(spark_lake, "snowflake_orders", day)
        counts.append((acc.landed, acc.accepted, acc.quarantined, acc.quarantined_by_reason))
        assert acc.landed == acc.accepted + acc.quarantined
        bronze = partition(spark, "bronze.snowflake_orders", day)
        assert sorted(r["order_id"] for r in bronze.collect()) == [1, 2, 5]
        quarantined = (
            partition(spark, "quarantine.snowflake_orders", day)
            .orderBy("source_file", "position")
            .collect()
        )
        assert [
            (q["reason"], q["source_file"].rsplit("/", 1)[-1], q["position"]) for q in quarantined
        ] == [
            ("enum", "orders_1.csv.gz", 4),
            ("unparseable_record", "orders_1.csv.gz", 5),
            ("unreadable", "orders_2.csv.gz", None),
        ]
        assert quarantined[0]["raw_record"] == order_line(3, day, status="LOST")
        saved = json.loads(
            (spark_lake / "_runs" / run_id / "accounting" / "snowflake_orders.json").read_text()
        )
        assert (saved["landed"], saved["accepted"], saved["quarantined"]) == (6, 3, 3)
        assert saved["status"] == "succeeded"
        assert [b["reason"] for b in saved["rejected_batches"]] == ["unreadable"]
    assert (
        counts[0] == counts[1] == (6, 3, 3, {"enum": 1, "unparseable_record": 1, "unreadable": 1})
    )


def test_a_missing_required_column_stops_the_batch_before_bronze(spark, spark_lake, forget_batch):
    day = "2031-01-04"
    forget_batch("snowflake_orders", day)
    header = ORDERS_HEADER.replace("ORDER_TS,", "")
    line = order_line(1, day).replace(f"{day} 10:00:00.000,", "", 1)
    land(
        spark_lake,
        "snowflake_orders",
        day,
        {"orders_1.csv.gz": gzip.compress(f"{header}\n{line}\n".encode())},
    )
    with pytest.raises(ContractViolation) as err:
        run_ingest(spark_lake, "snowflake_orders", day)
    message = str(err.value)
    assert f"snowflake_orders/ingest_date={day}/orders_1.csv.gz" in message
    assert "ORDER_TS" in message
    assert "nothing of it was written to bronze.snowflake_orders" in message
    assert not (spark_lake / "bronze" / "snowflake_orders" / f"ingest_date={day}").exists()
    if catalog.table_exists(spark, "bronze.snowflake_orders"):
        assert partition(spark, "bronze.snowflake_orders", day).count() == 0
    (q,) = partition(spark, "quarantine.snowflake_orders", day).collect()
    assert (q["reason"], q["position"], q["raw_record"]) == ("schema_break", 2, line)
    saved = [
        json.loads(p.read_text())
        for p in spark_lake.glob("_runs/*/accounting/snowflake_orders.json")
        if json.loads(p.read_text())["batch_date"] == day
    ]
    assert [(s["status"], s["landed"], s["quarantined"]) for s in saved] == [("failed", 1, 1)]
