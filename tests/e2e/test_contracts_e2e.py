"""Contracts at ingestion, end to end: nothing lost, every defect gets its promised outcome.

Runs on the shared e2e batches (generated with defects, as ``make run`` lands them). The
expected outcome of each defect kind comes from the generator's catalogue (the same one the
README's bad-input table shows); the counts come from ``manifest.json``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import shutil
from collections import Counter
from contextlib import redirect_stdout

import pytest

from lakehouse import cli
from lakehouse.generate.defects import DEFECTS
from lakehouse.ingest import ContractViolation, ingest_landed_batch
from lakehouse.runtime import start_job
from tests.e2e.conftest import DAY1, accounting, manifest_batch, node

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SOURCES = ["hubspot_contacts", "snowflake_orders", "vendor_products", "fx_rates", "order_events"]
KEYS = {
    "hubspot_contacts": ["id"],
    "snowflake_orders": ["order_id"],
    "vendor_products": ["sku"],
    "fx_rates": ["rate_date", "currency"],
    "order_events": ["event_id"],
}


def expected(layer: str, source: str, batch: dict, outcome: str = "quarantined") -> Counter:
    """(reason, field) -> count the catalogue promises for ``source``'s defects of a batch."""
    out: Counter = Counter()
    for kind, n in batch[source].get("defects", {}).items():
        d = DEFECTS[kind]
        if d.layer == layer and d.outcome == outcome:
            out[(d.reason, d.field if d.unit == "record" else None)] += n
    return out


def quarantined(spark, table: str, where: str) -> Counter:
    rows = spark.sql(
        f"select reason, violations[0].field f, count(*) n from {table} where {where} group by 1, 2"
    ).collect()
    return Counter({(r["reason"], r["f"]): r["n"] for r in rows})


@pytest.mark.parametrize("source", SOURCES)
def test_every_landed_record_is_in_bronze_or_quarantine(day1, spark, lake, source):
    record, _ = day1
    batch = manifest_batch(lake, DAY1)
    landed = batch[source]["records"]
    day = f"ingest_date = '{DAY1}'"
    bronze = spark.sql(f"select count(*) n from bronze.{source} where {day}").first()["n"]
    held = spark.sql(f"select count(*) n from quarantine.{source} where {day}").first()["n"]
    assert bronze + held == landed
    books = accounting(lake, record, source)
    assert (books["landed"], books["accepted"], books["quarantined"]) == (landed, bronze, held)
    assert node(record, f"ingest_{source}")["rows_read"] == landed


@pytest.mark.parametrize("source", SOURCES)
def test_each_defect_is_quarantined_with_the_promised_reason_and_count(day1, spark, lake, source):
    batch = manifest_batch(lake, DAY1)
    where = f"ingest_date = '{DAY1}' and layer = 'bronze'"
    got = quarantined(spark, f"quarantine.{source}", where)
    assert got == expected("bronze", source, batch)
    assert sum(got.values()) > 0


def test_orphan_orders_are_quarantined_when_promoted_to_silver(day1, spark, lake):
    batch = manifest_batch(lake, DAY1)
    got = quarantined(spark, "quarantine.orders", "layer = 'silver'")
    assert got == expected("silver", "snowflake_orders", batch)
    orphan_ids = {
        r["id"]
        for r in spark.sql(
            "select get_json_object(raw_record, '$.order_id') id from quarantine.orders"
        ).collect()
    }
    silver_ids = {str(r["order_id"]) for r in spark.table("silver.orders").collect()}
    assert orphan_ids and not orphan_ids & silver_ids


def test_redelivered_events_are_deduplicated_and_counted_not_quarantined(day1, lake):
    record, _ = day1
    batch = manifest_batch(lake, DAY1)
    redelivered = batch["order_events"]["defects"]["event_redelivered"]
    assert redelivered > 0
    metrics = next(
        json.loads(p.read_text())["metrics"]
        for p in (lake / "_runs" / record["run_id"] / "jobs").glob("*.json")
        if json.loads(p.read_text())["job_name"] == "bronze_to_silver"
    )
    assert metrics["events_deduplicated"] == redelivered


def test_an_extra_column_is_accepted_kept_and_reported_as_drift(day1, spark, lake):
    record, _ = day1
    batch = manifest_batch(lake, DAY1)
    drifted = batch["vendor_products"]["defects"]["products_header_extra_column"]
    books = accounting(lake, record, "vendor_products")
    reported = [d for d in books["drift"] if d.get("drift", {}).get("added") == ["discount_pct"]]
    assert len(reported) == 1 and not reported[0].get("reason")
    kept = spark.sql(
        f"select count(*) n from bronze.vendor_products where ingest_date = '{DAY1}' "
        "and _extra_columns['discount_pct'] is not null"
    ).first()["n"]
    assert kept == drifted


@pytest.mark.parametrize("source", SOURCES)
def test_every_clean_record_reaches_bronze(day1, spark, clean_landing, source):
    """The clean twin of the batch is exactly the records that must be in Bronze (and more)."""
    keys = KEYS[source]
    clean = {tuple(str(v) for v in r) for r in _clean_keys(spark, clean_landing, source, keys)}
    bronze = {
        tuple(str(v) for v in r)
        for r in spark.sql(
            f"select {', '.join(keys)} from bronze.{source} where ingest_date = '{DAY1}'"
        ).collect()
    }
    assert clean and clean <= bronze


SILVER = {  # source -> (Silver table, its key columns in the order of KEYS)
    "hubspot_contacts": ("silver.contacts", ["contact_id"]),
    "snowflake_orders": ("silver.orders", ["order_id"]),
    "vendor_products": ("silver.products", ["sku"]),
    "fx_rates": ("silver.fx_rates", ["rate_date", "currency"]),
    "order_events": ("silver.order_events", ["event_id"]),
}


@pytest.mark.parametrize("source", SOURCES)
def test_every_clean_record_reaches_silver(day1, spark, clean_landing, source):
    """No clean record is lost between Bronze and Silver (the orphans are all defect records)."""
    table, columns = SILVER[source]
    clean = {
        tuple(str(v) for v in r) for r in _clean_keys(spark, clean_landing, source, KEYS[source])
    }
    silver = {tuple(str(v) for v in r) for r in spark.table(table).select(*columns).collect()}
    assert clean and clean <= silver


def _clean_keys(spark, landing, source, keys):
    from lakehouse.contracts import load_contract
    from lakehouse.contracts.checks import check_records
    from lakehouse.ingest import SOURCES as READERS
    from lakehouse.ingest import batch_end
    from lakehouse.sources.landed import list_landed
    from lakehouse.sources.order_events import KAFKA_RECORD, parse_records

    contract = load_contract(source)
    if source == "order_events":  # one folder for the topic: the batch's files are listed
        manifest = json.loads((landing / "manifest.json").read_text())
        files = manifest["batches"][DAY1.isoformat()]["sources"]["order_events"]["files"]
        paths = [str(landing / name) for name in files]
        records = parse_records(spark.read.schema(KAFKA_RECORD).json(paths), contract)
    else:
        folder = str(landing / source / f"ingest_date={DAY1}")
        files = list_landed(spark, folder, READERS[source].SUFFIX)
        records = READERS[source].read(spark, files, contract).records
    return check_records(records, contract, batch_end(DAY1)).select(*keys).collect()


def test_sql_answers_quarantine_reasons(day1, lake):
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(
            [
                "sql",
                "--lake-root",
                str(lake),
                "select reason, count(*) from quarantine.snowflake_orders group by 1",
            ]
        )
    assert code == 0
    for reason in ("duplicate_key", "enum", "future", "range", "type", "unreadable"):
        assert reason in out.getvalue()


def test_a_file_missing_a_required_column_stops_the_job_and_nothing_reaches_bronze(
    day1, spark, lake
):
    day = DAY1 + dt.timedelta(days=40)  # a batch of its own
    source = lake / "landing" / "snowflake_orders" / f"ingest_date={DAY1}"
    target = lake / "landing" / "snowflake_orders" / f"ingest_date={day}"
    target.mkdir(parents=True, exist_ok=True)
    good = sorted(source.glob("orders_0_0_0.csv.gz"))[0]
    shutil.copy(good, target / "orders_0_0_0.csv.gz")
    lines = gzip.decompress(good.read_bytes()).decode().splitlines()
    header = lines[0].split(",")
    drop = header.index("ORDER_TS")
    text = "\n".join(
        ",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in lines
    )
    (target / "orders_0_1_0.csv.gz").write_bytes(gzip.compress(text.encode() + b"\n"))
    try:
        with pytest.raises(ContractViolation) as caught:
            argv = ["prog", "--JOB_NAME", "ingest_snowflake_orders", "--lake_root", str(lake),
                    "--batch_date", day.isoformat()]  # fmt: skip
            with start_job(argv) as job:
                ingest_landed_batch(job, "snowflake_orders")
        message = str(caught.value)
        assert "orders_0_1_0.csv.gz" in message and "ORDER_TS" in message
        assert (
            spark.sql(
                f"select count(*) n from bronze.snowflake_orders where ingest_date = '{day}'"
            ).first()["n"]
            == 0
        )
        reasons = quarantined(spark, "quarantine.snowflake_orders", f"ingest_date = '{day}'")
        assert reasons[("schema_break", "order_ts")] == len(lines) - 1
    finally:
        shutil.rmtree(target)
