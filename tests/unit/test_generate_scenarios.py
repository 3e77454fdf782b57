"""Failure scenarios: records every contract accepts that halt exactly one DQ gate.

The landed files are read back with plain Python: the scenario records exist under reserved
keys, have the property that breaks their rule, pass their contract (its checks, as the contract
file states them) and every other rule of the gates before the one they halt; the manifest names
them. The Spark tests then run the real path on the smallest batch: the ingest job and the Bronze
gate's ruleset for ``bronze-dq-fail``; the contract, Bronze -> Silver -> Gold order-event frames
and their rulesets for ``gold-dq-fail``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import json
import operator
import re
import shutil
import zlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from lakehouse import cli
from lakehouse.contracts import load_contract
from lakehouse.generate import SCENARIOS, generate

ROOT = Path(__file__).resolve().parents[2]
RULESETS = ROOT / "dq_rulesets"
BASE = date(2026, 5, 3)
SCALE, SEED = 0.01, 11
# The scenario of each batch (day 0 is the initial load): per batch, not pinned.
PLAN = ("gold-dq-fail", "bronze-dq-fail", None, "bronze-dq-fail", "gold-dq-fail")
RESERVED = 9_000_000_000
STEPS = ("ORDER_PLACED", "ORDER_PAID", "ORDER_SHIPPED")
# Spark tests: batch dates no other test uses. Not in the future: bronze/snowflake_orders
# checks order_ts against the real clock.
BRONZE_DAY, GOLD_DAY = date(2025, 1, 15), date(2025, 1, 16)
TINY = 0.001


def batch_date(day: int) -> date:
    return BASE + timedelta(days=day)


def cutoff(day: int) -> datetime:
    """The end of batch ``day``'s window: its batch date, 00:00 UTC."""
    return datetime.combine(batch_date(day), datetime.min.time(), tzinfo=UTC)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# -- reading the landing zone back ----------------------------------------------------------------
def manifest(landing: Path) -> dict:
    return json.loads((landing / "manifest.json").read_text(encoding="utf-8"))


def batch_entry(landing: Path, day: int) -> dict:
    return manifest(landing)["batches"][batch_date(day).isoformat()]


def files_of(landing: Path, day: int, source: str) -> dict[str, dict]:
    return batch_entry(landing, day)["sources"][source]["files"]


def read_unload(path: Path) -> list[dict]:
    """An unload's rows; [] for the defect file whose gzip stream is cut off."""
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    except (EOFError, OSError, zlib.error):
        return []


def read_events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def landed(landing: Path, day: int, source: str, scenario: bool | None = None) -> list[dict]:
    """Records of a source in batch ``day``: all, or only (not) in the scenario's files."""
    read = read_unload if source == "snowflake_orders" else read_events
    return [
        record
        for name, entry in files_of(landing, day, source).items()
        if scenario is None or ("scenario" in entry) == scenario
        for record in read(landing / name)
    ]


def value(record: dict) -> dict:
    """A Kafka record's event, every scalar as the text it was written as."""
    return json.loads(record["value"], parse_float=str, parse_int=str)


def ts(text: str) -> datetime:
    """A Snowflake or ISO-8601 UTC timestamp."""
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T")).replace(tzinfo=UTC)


def clean_keys(landing: Path, upto: int) -> tuple[set[int], set[str], set[tuple[str, str]]]:
    """(contact ids, SKUs, (rate date, currency)) that clean records of days 0..upto delivered."""
    contacts, skus, rates = set(), set(), set()
    for day in range(upto + 1):
        for name in files_of(landing, day, "hubspot_contacts"):
            try:
                page = json.loads((landing / name).read_text(encoding="utf-8"))
            except json.JSONDecodeError:  # the defect page cut off
                continue
            contacts |= {int(r["id"]) for r in page["results"] if int(r["id"]) < RESERVED}
        for name in files_of(landing, day, "vendor_products"):
            text = (landing / name).read_bytes().decode("utf-8", errors="replace")
            rows = csv.DictReader(text.splitlines(), delimiter=";")
            skus |= {r["sku"] for r in rows if not r["sku"].startswith("DEFECT-")}
        for name in files_of(landing, day, "fx_rates"):
            doc = json.loads((landing / name).read_text(encoding="utf-8"))
            if "date" in doc:  # not the defect document without a date
                rates |= {(doc["date"], c) for c in [*doc["rates"], doc["base"]]}
    return contacts, skus, rates


# -- the contract's checks, in plain Python --------------------------------------------------------
TIMESTAMP_FORMATS = {
    "yyyy-MM-dd HH:mm:ss.SSS": "%Y-%m-%d %H:%M:%S.%f",
    "yyyy-MM-dd'T'HH:mm:ss.SSSX": "%Y-%m-%dT%H:%M:%S.%f%z",
}


def raw_fields(source: str, record: dict) -> dict[str, str | None]:
    """Each contract field's landed text, found by its ``sourceField``."""
    parsed = value(record) if source == "order_events" else None
    raw = {}
    for field in load_contract(source).fields:
        if field.source_field.startswith("value."):
            text = parsed.get(field.source_field.removeprefix("value."))
        else:
            text = record.get(field.source_field)
        raw[field.name] = None if text is None else str(text)
    return raw


def contract_violations(source: str, record: dict, day: int) -> list[str]:
    """``"<rule> <field>"`` for each check of the source's contract the record breaks."""
    found = []
    for field in load_contract(source).fields:
        raw = raw_fields(source, record)[field.name]
        if raw is None or not raw.strip():
            found += [f"required {field.name}"] if field.required else []
            continue
        typed = parse(field.physical_type, field.source_format, raw)
        if typed is None:
            found.append(f"type {field.name}")
            continue
        for rule in field.rules:
            if rule.kind == "validValues":
                ok = raw in rule.valid_values
            elif rule.kind == "pattern":
                ok = re.search(rule.pattern, raw) is not None
            elif rule.kind == "range":
                ops = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
                ok = all(ops[op](Decimal(typed), Decimal(str(v))) for op, v in rule.bounds)
            else:  # notInFuture: before the end of the batch date
                ok = typed < cutoff(day) + timedelta(days=1)
            found += [] if ok else [f"{rule.kind} {field.name}"]
    return found


def parse(physical: str, source_format: str | None, raw: str):
    """The typed value of ``raw`` (None when it does not parse), as the contract types it."""
    if physical in ("int", "bigint"):
        return int(raw) if re.fullmatch(r"\s*-?\d+\s*", raw) else None
    if physical.startswith("decimal"):
        try:
            return Decimal(raw.strip())
        except InvalidOperation:
            return None
    if physical == "timestamp":
        try:
            parsed = datetime.strptime(raw, TIMESTAMP_FORMATS[source_format])
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    assert physical == "string", physical
    return raw


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=[False, True], ids=["with-defects", "clean"])
def lakes(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(landing with the scenarios of PLAN, the same landing without any): days 0..4."""
    with_scenarios, without = tmp_path_factory.mktemp("scenarios"), tmp_path_factory.mktemp("no")
    for day, scenario in enumerate(PLAN):
        kwargs = {"scale": SCALE, "seed": SEED, "clean": request.param}
        generate(with_scenarios, batch_date(day), scenario=scenario, **kwargs)
        generate(without, batch_date(day), **kwargs)
    return with_scenarios / "landing", without / "landing"


def scenario_days(name: str) -> list[int]:
    return [day for day, scenario in enumerate(PLAN) if scenario == name]


# -- the catalogue ----------------------------------------------------------------------------------
def test_each_scenario_breaks_a_halting_rule_of_its_gates_ruleset() -> None:
    assert list(SCENARIOS) == ["bronze-dq-fail", "gold-dq-fail"]
    for name, s in SCENARIOS.items():
        assert s.name == name and s.description and "\n" not in s.description
        layer = s.ruleset.split("/")[0]
        assert s.gate == f"dq_{layer}" and name.startswith(layer)
        text = (RULESETS / f"{s.ruleset}.dqdl").read_text(encoding="utf-8")
        (line,) = [line for line in text.splitlines() if s.rule in line]
        assert "warn" not in line  # a rule without "severity"="warn" halts the gate


# -- what lands, and the manifest -------------------------------------------------------------------
def test_the_manifest_names_each_batchs_scenario_its_keys_and_files(lakes) -> None:
    landing = lakes[0]
    for day, name in enumerate(PLAN):
        entry = batch_entry(landing, day)
        if name is None:
            assert "scenario" not in json.dumps(entry)
            continue
        s = SCENARIOS[name]
        ids = [RESERVED + day * 1_000_000 + 900_000 + i for i in range(3)]
        records = {"snowflake_orders": 3} | ({"order_events": 9} if name == "gold-dq-fail" else {})
        assert entry["scenario"] == {"name": name, "gate": s.gate, "ruleset": s.ruleset,
                                     "rule": s.rule, "order_ids": ids, "records": records}  # fmt: skip
        for source, sources_entry in entry["sources"].items():
            marked = {n: f for n, f in sources_entry["files"].items() if "scenario" in f}
            if source not in records:
                assert not marked and "scenario" not in sources_entry
                continue
            ((file_name, file_entry),) = marked.items()  # a file of their own
            assert Path(file_name).name == (
                f"orders_0_{len(sources_entry['files']) - 1}_0.csv.gz"  # after the unloads
                if source == "snowflake_orders"
                else f"part-{batch_date(day):%Y%m%d}-{name}.jsonl"
            )
            path = landing / file_name
            assert hashlib.sha256(path.read_bytes()).hexdigest() == file_entry["sha256"]
            assert file_entry["scenario"] == file_entry["records"] == records[source]
            assert sources_entry["scenario"] == records[source]
            rows = landed(landing, day, source, scenario=True)
            keys = [int(r["ORDER_ID"] if source == "snowflake_orders" else r["key"]) for r in rows]
            assert sorted(set(keys)) == ids and len(keys) == records[source]


def test_clean_records_and_other_batches_are_untouched(lakes) -> None:
    with_scenarios, without = lakes
    scenario_files = {
        name
        for day in range(len(PLAN))
        for source in ("snowflake_orders", "order_events")
        for name, entry in files_of(with_scenarios, day, source).items()
        if "scenario" in entry
    }
    assert len(scenario_files) == 6
    ours = {k: v for k, v in tree(with_scenarios).items() if k not in scenario_files}
    theirs = tree(without)
    assert ours.pop("manifest.json") != theirs.pop("manifest.json")
    assert ours == theirs


def test_scenario_records_pass_their_contracts(lakes) -> None:
    landing = lakes[0]
    for day, name in enumerate(PLAN):
        if name is None:
            continue
        for source in SCENARIOS[name].sources:
            for record in landed(landing, day, source, scenario=True):
                assert contract_violations(source, record, day) == [], (day, record)
    # the checks above do catch what the contracts forbid
    row = landed(landing, 0, "snowflake_orders", scenario=True)[0]
    assert contract_violations("snowflake_orders", {**row, "QUANTITY": "0"}, 0) == [
        "range quantity"
    ]
    future = (batch_date(0) + timedelta(days=1)).isoformat() + " 00:00:00.000"
    assert contract_violations("snowflake_orders", {**row, "ORDER_TS": future}, 0) == [
        "notInFuture order_ts"
    ]
    event = landed(landing, 0, "order_events", scenario=True)[0]
    teleported = {**event, "value": event["value"].replace("ORDER_PLACED", "ORDER_TELEPORTED")}
    assert contract_violations("order_events", teleported, 0) == ["validValues event_type"]


def test_bronze_dq_fail_orders_were_updated_before_they_were_placed(lakes) -> None:
    landing = lakes[0]
    for day in scenario_days("bronze-dq-fail"):
        rows = landed(landing, day, "snowflake_orders", scenario=True)
        others = landed(landing, day, "snowflake_orders", scenario=False)
        assert not {r["ORDER_ID"] for r in rows} & {r["ORDER_ID"] for r in others}
        for row in rows:
            # the rule it breaks: updated_at < order_ts
            assert ts(row["UPDATED_AT"]) == ts(row["ORDER_TS"]) - timedelta(hours=5)
            # and no other rule of bronze/snowflake_orders.dqdl
            assert ts(row["ORDER_TS"]) < cutoff(day) and row["STATUS"] == "PLACED"
            assert int(row["QUANTITY"]) > 0 and Decimal(row["AMOUNT"]) >= 0
            assert re.fullmatch("[A-Z]{3}", row["CURRENCY"]) and int(row["CONTACT_ID"])


def test_gold_dq_fail_events_ship_before_payment_yet_pass_bronze_and_silver(lakes) -> None:
    landing = lakes[0]
    every_event = [r for day in range(len(PLAN)) for r in landed(landing, day, "order_events")]
    # every value starts with its event id (a defect value is cut-off JSON)
    event_ids = Counter(re.match(r'\{"event_id": "([^"]+)"', r["value"])[1] for r in every_event)
    for day in scenario_days("gold-dq-fail"):
        contacts, skus, rates = clean_keys(landing, day)
        orders = {int(r["ORDER_ID"]): r for r in landed(landing, day, "snowflake_orders", True)}
        events = landed(landing, day, "order_events", scenario=True)
        others = [r for r in every_event if r not in events]
        assert not {int(r["key"]) for r in others} & set(orders)  # no other event of them
        assert all(event_ids[value(r)["event_id"]] == 1 for r in events)  # silver: primary key
        steps: dict[int, dict[str, datetime]] = {}
        for record in events:
            event = value(record)
            order = orders[int(event["order_id"])]
            assert record["key"] == event["order_id"] and record["topic"] == "orders.events"
            assert ts(event["event_ts"]) <= ts(record["timestamp"]) < cutoff(day)  # bronze
            assert (event["amount"], event["currency"]) == (order["AMOUNT"], order["CURRENCY"])
            assert event["event_type"] not in steps.setdefault(int(event["order_id"]), {})
            steps[int(event["order_id"])][event["event_type"]] = ts(event["event_ts"])
        assert set(steps) == set(orders)
        for order_id, at in steps.items():
            placed, paid, shipped = (at[step] for step in STEPS)
            # gold.fct_order_fulfillment: shipped_at < paid_at, hours_to_ship >= 0
            assert placed < shipped < paid
            order = orders[order_id]
            # the order is valid in every layer: it is placed, paid, then shipped (Snowflake's
            # times are right; only the warehouse clock that stamps ORDER_SHIPPED is slow)
            assert ts(order["ORDER_TS"]) == placed and order["STATUS"] == "SHIPPED"
            assert ts(order["UPDATED_AT"]) == shipped + timedelta(hours=7)
            assert paid < ts(order["UPDATED_AT"]) < cutoff(day)
            assert int(order["CONTACT_ID"]) in contacts and order["SKU"] in skus
            assert (order["ORDER_TS"][:10], order["CURRENCY"]) in rates


# -- per batch, deterministic -----------------------------------------------------------------------
def test_scenarios_are_deterministic_in_any_order(lakes, tmp_path: Path) -> None:
    clean = manifest(lakes[0])["generator"]["clean"]
    for day in [0, 4, 2, 1, 3, 0]:
        generate(tmp_path, batch_date(day), scale=SCALE, seed=SEED, clean=clean, scenario=PLAN[day])
    assert tree(tmp_path / "landing") == tree(lakes[0])


def test_a_batch_regenerated_without_its_scenario_loses_it(tmp_path: Path) -> None:
    generate(tmp_path / "a", BASE, scale=SCALE, seed=SEED, scenario="gold-dq-fail")
    generate(tmp_path / "a", BASE, scale=SCALE, seed=SEED, scenario="bronze-dq-fail")
    assert not list((tmp_path / "a/landing/order_events").glob("*gold-dq-fail*"))
    entry = generate(tmp_path / "a", BASE, scale=SCALE, seed=SEED)
    assert "scenario" not in json.dumps(entry)
    generate(tmp_path / "b", BASE, scale=SCALE, seed=SEED)
    assert tree(tmp_path / "a/landing") == tree(tmp_path / "b/landing")


def test_an_unknown_scenario_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scenario 'silver-dq-fail'; one of bronze-dq"):
        generate(tmp_path, BASE, scale=SCALE, scenario="silver-dq-fail")
    assert not (tmp_path / "landing").exists()


# -- the command line -------------------------------------------------------------------------------
def test_cli_scenario_flag(tmp_path: Path, capsys) -> None:
    args = ["generate", "--lake-root", str(tmp_path), "--date", str(BASE), "--scale", "0.01"]
    assert cli.build_parser().parse_args(args).scenario is None
    assert cli.main([*args, "--clean", "--scenario", "bronze-dq-fail"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "scenario bronze-dq-fail: 3 snowflake_orders" in out and "dq_bronze halts" in out
    assert manifest(tmp_path / "landing")["batches"][str(BASE)]["scenario"]["name"] == (
        "bronze-dq-fail"
    )
    with pytest.raises(SystemExit) as exit_:
        cli.main([*args, "--scenario", "silver-dq-fail"])
    assert exit_.value.code == cli.EXIT_USAGE
    assert "invalid choice: 'silver-dq-fail'" in capsys.readouterr().err


def test_cli_help_lists_each_scenario_on_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["generate", "--help"])
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("--scenario {bronze-dq-fail,gold-dq-fail}" in line for line in lines)
    for s in SCENARIOS.values():
        assert f"  {s.name:<16}{s.description}" in lines


# -- the real path, in Spark -------------------------------------------------------------------------
def halting_failures(df, ruleset: str) -> list[str]:
    from lakehouse.dq.evaluator import evaluate_ruleset
    from lakehouse.dq.parser import parse_file

    result = evaluate_ruleset(df, parse_file(RULESETS / f"{ruleset}.dqdl"), ruleset_name=ruleset)
    return [o.rule for o in result.failed if o.labels.get("severity") != "warn"]


def job_module(name: str):
    spec = importlib.util.spec_from_file_location(f"job_{name}", ROOT / "glue_jobs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.spark
def test_bronze_dq_fail_reaches_bronze_and_halts_only_its_rule(
    spark, spark_lake, forget_batch, tmp_path: Path
) -> None:
    from pyspark.sql import functions as F

    entry = generate(tmp_path, BRONZE_DAY, scale=TINY, seed=SEED, scenario="bronze-dq-fail")
    ids = entry["scenario"]["order_ids"]
    folder = Path("snowflake_orders") / f"ingest_date={BRONZE_DAY}"
    forget_batch("snowflake_orders", BRONZE_DAY)
    shutil.copytree(tmp_path / "landing" / folder, spark_lake / "landing" / folder)
    job_module("ingest_snowflake_orders").main(
        ["prog", "--JOB_NAME", "ingest_snowflake_orders", "--lake_root", str(spark_lake),
         "--batch_date", BRONZE_DAY.isoformat()]
    )  # fmt: skip
    day = F.col("ingest_date") == F.lit(BRONZE_DAY)
    bronze = spark.table("bronze.snowflake_orders").where(day)
    assert sorted(r[0] for r in bronze.where(F.col("order_id").isin(ids)).collect()) == ids
    quarantine = spark.table("quarantine.snowflake_orders").where(day).select("raw_record")
    raw_records = [r[0] or "" for r in quarantine.collect()]
    assert raw_records  # the batch's defects
    assert not [raw for raw in raw_records for i in ids if str(i) in raw]
    rule = entry["scenario"]["rule"]
    assert halting_failures(bronze, "bronze/snowflake_orders") == [rule]
    breaking = bronze.where("updated_at < order_ts").orderBy("order_id").select("order_id")
    assert [r[0] for r in breaking.collect()] == ids  # the scenario's orders, and only they


@pytest.mark.spark
def test_gold_dq_fail_events_pass_bronze_and_silver_and_halt_only_their_gold_rule(
    spark, tmp_path: Path
) -> None:
    from pyspark.sql import functions as F

    from lakehouse.contracts.check_file import check_file
    from lakehouse.contracts.checks import check_records
    from lakehouse.ingest import batch_end
    from lakehouse.layers import gold, silver
    from lakehouse.layers.bronze import to_bronze
    from lakehouse.sources.landed import kafka_records
    from lakehouse.sources.order_events import KAFKA_RECORD

    entry = generate(tmp_path, GOLD_DAY, scale=TINY, seed=SEED, scenario="gold-dq-fail")
    ids = entry["scenario"]["order_ids"]
    landing = tmp_path / "landing"
    for source in ("snowflake_orders", "order_events"):
        (name,) = [n for n, f in entry["sources"][source]["files"].items() if "scenario" in f]
        verdict = check_file(spark, source, str(landing / name), GOLD_DAY)
        assert (verdict.landed, verdict.passed) == (entry["scenario"]["records"][source], True)
    # Bronze: the batch's events as the stream ingest types them (contract checks passed)
    contract = load_contract("order_events")
    raw = spark.read.schema(KAFKA_RECORD).json(str(landing / "order_events"))
    checked = check_records(kafka_records(raw, contract), contract, batch_end(GOLD_DAY))
    accepted = checked.where(F.size("_violations") == 0)
    bronze = to_bronze(accepted, contract, "run", datetime.now(UTC), GOLD_DAY).cache()
    assert bronze.where(F.col("order_id").isin(ids)).count() == 9
    assert halting_failures(bronze, "bronze/order_events") == []
    events = silver.order_events(bronze)
    assert halting_failures(events, "silver/order_events") == []
    fulfillment = gold.fct_order_fulfillment(events)
    assert halting_failures(fulfillment, "gold/fct_order_fulfillment") == [
        entry["scenario"]["rule"]
    ]
    late = fulfillment.where("shipped_at < paid_at").orderBy("order_id").collect()
    assert [r["order_id"] for r in late] == ids
    assert all(r["hours_to_ship"] > 0 for r in late)
    bronze.unpersist()
