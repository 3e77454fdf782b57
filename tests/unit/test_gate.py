"""The DQ gate: halt, warn and quarantine rules on this run's data, and what they leave behind."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from lakehouse import catalog, wap
from lakehouse.deploy.catalog_template import DQ_ROWS
from lakehouse.gate import DqGateFailed, run_gate
from tests.unit.jobs import make_job

pytestmark = pytest.mark.spark
RUN_PREFIX = "wr_tgate_"
TABLES = {"bronze": "t_gate_events", "silver": "t_gate_widgets", "gold": "t_gate_sales"}
SILVER, BRONZE, GOLD = "silver.t_gate_widgets", "bronze.t_gate_events", "gold.t_gate_sales"
DAY, OTHER_DAY = "2026-03-01", "2026-02-28"


@pytest.fixture
def lake(spark, spark_lake: Path):
    """The worker's lake; the test's tables, results, quarantine rows and runs are removed after
    (the e2e tests of this worker share the lake)."""
    layers = ("bronze", "silver", "gold", "audit", "quarantine")
    catalog.ensure_layer_databases(spark, str(spark_lake), layers)
    yield spark_lake
    for layer, table in TABLES.items():
        spark.sql(f"DROP TABLE IF EXISTS {layer}.{table}")
        shutil.rmtree(spark_lake / layer / table, ignore_errors=True)
        shutil.rmtree(spark_lake / "_dq" / "history" / f"{layer}_{table}", ignore_errors=True)
        if catalog.table_exists(spark, "quarantine.dq_rows"):
            spec = f"layer = '{layer}', table_name = '{table}'"
            spark.sql(f"ALTER TABLE quarantine.dq_rows DROP IF EXISTS PARTITION ({spec})")
        folder = spark_lake / "quarantine" / "dq_rows" / f"layer={layer}"
        shutil.rmtree(folder / f"table_name={table}", ignore_errors=True)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    for folder in (spark_lake / "audit" / "dq_results").glob(f"run_id={RUN_PREFIX}*"):
        run_id = folder.name.split("=", 1)[1]
        spark.sql(f"ALTER TABLE audit.dq_results DROP IF EXISTS PARTITION (run_id = '{run_id}')")
        shutil.rmtree(folder)
    for folder in (spark_lake / "_runs").glob(f"{RUN_PREFIX}*"):
        shutil.rmtree(folder)


def new_run() -> str:
    return f"{RUN_PREFIX}{uuid.uuid4().hex[:12]}"


def write_ruleset(root: Path, layer: str, text: str) -> None:
    path = root / layer / f"{TABLES[layer]}.dqdl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def gate(job, layer: str, root: Path, tables: list[str] | None = None):
    return run_gate(job, layer, tables or [TABLES[layer]], engine="lakehouse", rulesets_root=root)


def widgets(spark, lake: Path, rows: list[tuple]) -> None:
    """(Re)build the Silver table, as bronze_to_silver does: a new version, switched to."""
    df = spark.createDataFrame(rows, "id int, name string, qty int")
    catalog.replace_table(df, SILVER, str(lake / "silver" / TABLES["silver"]), "seed")


def results(spark, run_id: str, layer: str, table: str) -> list[dict]:
    """This run's rows of audit.dq_results for one table, as the job's dq entries look."""
    keys = ["dataset", "ruleset", "rule", "outcome", "severity", "action", "failure_reason",
            "metrics", "labels", "rows_quarantined", "engine"]  # fmt: skip
    stored = spark.table("audit.dq_results").where(
        f"run_id = '{run_id}' AND layer = '{layer}' AND table_name = '{table}'"
    )
    return sorted(
        ({"layer": r.layer, "table": r.table_name, **{k: r[k] for k in keys}}
         for r in stored.collect()),
        key=lambda e: e["rule"],
    )  # fmt: skip


def quarantined(spark, layer: str) -> list:
    if not catalog.table_exists(spark, "quarantine.dq_rows"):
        return []
    where = f"layer = '{layer}' AND table_name = '{TABLES[layer]}'"
    return spark.table("quarantine.dq_rows").where(where).collect()


def by_rule(job) -> dict[str, dict]:
    return {e["rule"]: e for e in job.dq}


# ---------------------------------------------------------------- halt and warn


def test_a_failing_halt_rule_stops_the_workflow_after_storing_every_result(spark, lake, tmp_path):
    write_ruleset(tmp_path, "silver", """
        DefaultLabels = ["team"="widgets"]
        Rules = [
          RowCount = 4,
          Completeness "name" >= 0.9
        ]""")  # fmt: skip
    widgets(spark, lake, [(1, "a", 1), (2, None, 1), (3, "c", 1), (4, None, 1)])
    run_id = new_run()
    job = make_job(lake, run_id, name="dq_silver")

    with pytest.raises(DqGateFailed) as failed:
        gate(job, "silver", tmp_path)

    message = str(failed.value)
    assert message.startswith("dq_silver: 1 halting DQ rule(s) failed on silver.t_gate_widgets")
    assert "(batch 2026-03-01); Gold was not changed" in message
    assert 'Completeness "name" >= 0.9' in message  # the rule and its threshold
    assert "Column.name.Completeness = 0.5" in message  # the metric it measured
    assert "RowCount" not in message  # a passing rule is not blamed

    stored = results(spark, run_id, "silver", "t_gate_widgets")
    assert stored == sorted(job.dq, key=lambda e: e["rule"])
    rules = {e["rule"]: e for e in stored}
    assert set(rules) == {"RowCount = 4", 'Completeness "name" >= 0.9'}
    completeness = rules['Completeness "name" >= 0.9']
    assert (completeness["outcome"], completeness["severity"], completeness["action"]) == (
        "Failed", "halt", "halt",
    )  # fmt: skip
    assert completeness["metrics"] == {"Column.name.Completeness": 0.5}
    assert completeness["labels"]["team"] == "widgets"
    assert rules["RowCount = 4"]["outcome"] == "Passed"
    assert job.metrics["dq_rules_failed"] == 1 and job.metrics["dq_rules_passed"] == 1


def test_a_failing_warn_rule_is_recorded_but_lets_the_workflow_go_on(spark, lake, tmp_path):
    write_ruleset(tmp_path, "silver", """
        Rules = [
          RowCount = 3,
          ColumnValues "qty" > 0 labels=["severity"="warn"]
        ]""")  # fmt: skip
    widgets(spark, lake, [(1, "a", 1), (2, "b", -1), (3, "c", 1)])
    run_id = new_run()
    job = make_job(lake, run_id, name="dq_silver")

    gate(job, "silver", tmp_path)  # no exception

    warned = by_rule(job)['ColumnValues "qty" > 0']
    assert (warned["outcome"], warned["severity"], warned["action"]) == ("Failed", "warn", "warn")
    [stored] = [
        e for e in results(spark, run_id, "silver", "t_gate_widgets") if e["severity"] == "warn"
    ]
    assert stored["outcome"] == "Failed" and stored["rule"] == 'ColumnValues "qty" > 0'
    assert job.metrics["dq_rules_warned"] == 1 and job.metrics["dq_rules_failed"] == 0


# ---------------------------------------------------------------- quarantine


QUARANTINE_RULES = """
    Rules = [
      ColumnValues "qty" > 0 labels=["action"="quarantine"],
      RowCount = 8,
      IsUnique "id"
    ]"""
QTY_RULE = 'ColumnValues "qty" > 0'


def ten_widgets(spark, lake: Path) -> None:
    """Ten widgets; ids 3 and 7 have no positive quantity."""
    widgets(spark, lake, [(i, f"w{i}", 0 if i == 3 else -2 if i == 7 else i) for i in range(1, 11)])


def test_quarantine_moves_the_failing_rows_and_judges_the_rest(spark, lake, tmp_path):
    write_ruleset(tmp_path, "silver", QUARANTINE_RULES)
    ten_widgets(spark, lake)
    run_id = new_run()
    job = make_job(lake, run_id, name="dq_silver")

    gate(job, "silver", tmp_path)  # passes: the bad rows are quarantined, not halting

    rows = quarantined(spark, "silver")
    assert sorted(json.loads(r.raw_record)["id"] for r in rows) == [3, 7]
    assert all(r.rules == [QTY_RULE] and r.batch == "all" and r._run_id == run_id for r in rows)
    assert sorted(r.id for r in spark.table(SILVER).collect()) == [1, 2, 4, 5, 6, 8, 9, 10]

    entries = by_rule(job)
    assert entries[QTY_RULE]["outcome"] == "Failed" and entries[QTY_RULE]["rows_quarantined"] == 2
    assert entries[QTY_RULE]["action"] == "quarantine"
    assert entries["RowCount = 8"]["outcome"] == "Passed"  # judged on the 8 kept rows
    assert entries['IsUnique "id"']["outcome"] == "Passed"
    assert job.metrics["rows_quarantined"] == 2 and job.metrics["dq_rules_failed"] == 0
    stored = results(spark, run_id, "silver", "t_gate_widgets")
    assert {e["rule"]: e["rows_quarantined"] for e in stored} == {
        QTY_RULE: 2, "RowCount = 8": 0, 'IsUnique "id"': 0,
    }  # fmt: skip

    # The CloudFormation table (rendered from DQ_ROWS) must match what the gate writes.
    written = [
        (c.name, c.dataType, c.isPartition) for c in spark.catalog.listColumns("quarantine.dq_rows")
    ]
    declared = [(n, t, False) for n, t in DQ_ROWS.columns]
    assert written == declared + [(n, t, True) for n, t in DQ_ROWS.partition_keys]


def test_a_quarantine_rule_without_failing_rows_halts_instead_of_passing_silently(
    spark, lake, tmp_path
):
    rule = 'RowCount > 50 labels=["action"="quarantine"]'
    write_ruleset(tmp_path, "silver", f"Rules = [\n  {rule}\n]\n")
    ten_widgets(spark, lake)
    job = make_job(lake, new_run(), name="dq_silver")
    with pytest.raises(DqGateFailed, match="nothing could be moved"):
        gate(job, "silver", tmp_path)
    assert spark.table(SILVER).count() == 10  # nothing was taken out
    (entry,) = job.dq
    assert entry["action"] == "halt" and entry["rows_quarantined"] == 0


def test_rerunning_the_gate_of_a_run_neither_loses_nor_duplicates_quarantined_rows(
    spark, lake, tmp_path
):
    write_ruleset(tmp_path, "silver", QUARANTINE_RULES)
    run_id = new_run()
    ten_widgets(spark, lake)
    gate(make_job(lake, run_id, name="dq_silver"), "silver", tmp_path)

    def quarantined_ids():
        return sorted(json.loads(r.raw_record)["id"] for r in quarantined(spark, "silver"))

    resumed = make_job(lake, run_id, name="dq_silver")  # only the gate runs again
    gate(resumed, "silver", tmp_path)
    assert quarantined_ids() == [3, 7] and spark.table(SILVER).count() == 8
    assert by_rule(resumed)[QTY_RULE]["outcome"] == "Passed"  # its bad rows are gone already

    ten_widgets(spark, lake)  # Silver rebuilt from Bronze, then the gate again
    gate(make_job(lake, run_id, name="dq_silver"), "silver", tmp_path)
    assert quarantined_ids() == [3, 7] and spark.table(SILVER).count() == 8
    assert len(results(spark, run_id, "silver", "t_gate_widgets")) == 3  # one row per rule


# ---------------------------------------------------------------- Bronze: this batch only


def test_the_bronze_gate_checks_and_quarantines_only_the_runs_batch(spark, lake, tmp_path):
    # (label values are not case-sensitive: "Quarantine" quarantines)
    write_ruleset(tmp_path, "bronze", """
        Rules = [
          IsComplete "event_id",
          ColumnValues "qty" > 0 labels=["action"="Quarantine"],
          RowCount = 3
        ]""")  # fmt: skip
    day = [(1, 5, DAY), (2, 5, DAY), (3, -1, DAY), (4, 5, DAY)]
    other = [(None, 5, OTHER_DAY), (100, -1, OTHER_DAY)]  # bad rows of another batch
    df = spark.createDataFrame(day + other, "event_id int, qty int, ingest_date string")
    df = df.withColumn("ingest_date", df.ingest_date.cast("date"))
    catalog.overwrite_partitions(
        df, BRONZE, str(lake / "bronze" / "t_gate_events"), ["ingest_date"]
    )
    job = make_job(lake, new_run(), name="dq_bronze", day=DAY)

    gate(job, "bronze", tmp_path)  # the other day's NULL event_id does not fail it

    assert {e["rule"]: e["outcome"] for e in job.dq} == {
        'IsComplete "event_id"': "Passed", 'ColumnValues "qty" > 0': "Failed", "RowCount = 3": "Passed",
    }  # fmt: skip
    [row] = quarantined(spark, "bronze")
    assert json.loads(row.raw_record)["event_id"] == 3 and row.batch == DAY
    stored = {(r.event_id, str(r.ingest_date)) for r in spark.table(BRONZE).collect()}
    assert stored == {(1, DAY), (2, DAY), (4, DAY), (None, OTHER_DAY), (100, OTHER_DAY)}

    with pytest.raises(DqGateFailed, match="Silver and Gold were not changed") as failed:
        gate(make_job(lake, new_run(), name="dq_bronze", day=OTHER_DAY), "bronze", tmp_path)
    assert 'bronze.t_gate_events: IsComplete "event_id"' in str(failed.value)


# ---------------------------------------------------------------- Gold: the staged versions


def sales(spark, *amounts):
    return spark.createDataFrame([(i, a) for i, a in enumerate(amounts)], "id int, amount double")


def test_the_gold_gate_evaluates_the_staged_version_not_the_published_one(spark, lake, tmp_path):
    write_ruleset(tmp_path, "gold", """
        Rules = [
          RowCount = 4,
          ColumnValues "amount" >= 0
        ]""")  # fmt: skip
    published = make_job(lake, new_run(), name="publish_gold")
    wap.stage(published, GOLD, sales(spark, 1.0, 2.0, 3.0))
    wap.publish(published, [GOLD])
    run_id = new_run()
    silver_to_gold = make_job(lake, run_id, name="silver_to_gold")
    wap.stage(silver_to_gold, GOLD, sales(spark, 1.0, 2.0, 3.0, -4.0))
    staged = wap.staged_locations(silver_to_gold)[GOLD]
    job = make_job(lake, run_id, name="dq_gold")

    with pytest.raises(DqGateFailed) as failed:
        gate(job, "gold", tmp_path)

    assert "the published Gold is unchanged" in str(failed.value)
    assert 'gold.t_gate_sales: ColumnValues "amount" >= 0' in str(failed.value)
    assert by_rule(job)["RowCount = 4"]["outcome"] == "Passed"  # 4 staged rows, not 3 published
    assert job.inputs[0]["location"] == staged != catalog.table_location(spark, GOLD)
    assert sorted(r.amount for r in spark.table(GOLD).collect()) == [1.0, 2.0, 3.0]


def test_the_gold_gate_needs_gold_staged_in_its_run(spark, lake, tmp_path):
    write_ruleset(tmp_path, "gold", "Rules = [ RowCount > 0 ]")
    with pytest.raises(wap.NothingStaged, match="after silver_to_gold"):
        gate(make_job(lake, new_run(), name="dq_gold"), "gold", tmp_path)


# ---------------------------------------------------------------- arguments


def test_a_missing_ruleset_or_an_unknown_layer_is_refused(spark, lake, tmp_path):
    job = make_job(lake, new_run(), name="dq_silver")
    with pytest.raises(FileNotFoundError, match=r"dq_rulesets/silver/t_gate_nothing\.dqdl"):
        gate(job, "silver", tmp_path, ["t_gate_nothing"])
    with pytest.raises(ValueError, match="--layer must be one of bronze, silver, gold"):
        gate(job, "platinum", tmp_path, ["t_gate_widgets"])
