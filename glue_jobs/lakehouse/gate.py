"""The DQ gate: evaluate a layer's DQDL rulesets on this run's data and decide whether the
workflow may go on.

What each layer's gate evaluates:

* ``bronze``: the batch just ingested (``ingest_date`` = the run's batch date);
* ``silver``: the Silver tables, which ``bronze_to_silver`` rebuilt in this run;
* ``gold``: the versions ``silver_to_gold`` staged in this run (not the published Gold).

Labels decide what a failing rule does: ``"severity"="warn"`` reports it (results, metrics) and
lets the gate pass; ``"action"="quarantine"`` moves the rows that fail it, found with row-level
outcomes, to ``quarantine.dq_rows`` and takes them out of the evaluated data; any other failing
rule halts: the gate job ends FAILED with :class:`DqGateFailed`, so the conditional trigger that
follows it never fires and nothing downstream changes. Every outcome is stored per run in
``audit.dq_results`` (the local counterpart of Glue Data Quality's result history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse import catalog, resources, wap
from lakehouse.dq.ast import Ruleset
from lakehouse.dq.engines import evaluate
from lakehouse.dq.evaluator import recordable
from lakehouse.dq.history import JsonLinesHistory, MetricsHistory
from lakehouse.dq.parser import parse
from lakehouse.dq.results import DqResult, RuleOutcome
from lakehouse.dq.row_level import DQ_COLUMNS, FAIL
from lakehouse.faults import crash_point
from lakehouse.layers.bronze import PARTITION_COLUMN
from lakehouse.promote import publish_table
from lakehouse.runtime import JobRun

LAYERS = ("bronze", "silver", "gold")
RESULTS_TABLE = "audit.dq_results"
QUARANTINE_TABLE = "quarantine.dq_rows"
RESULT_PARTITIONS = ["run_id", "layer", "table_name"]
QUARANTINE_PARTITIONS = ["layer", "table_name", "batch"]
WHOLE_TABLE = "all"
UNROUTABLE = " (labelled action=quarantine, but no row fails it, so nothing could be moved: halts)"  # the quarantine batch of a Silver/Gold table (rebuilt whole every run)


class DqGateFailed(RuntimeError):
    """A halting rule failed: the workflow must not go on."""


@dataclass
class TableCheck:
    """One ruleset evaluated on one table."""

    layer: str
    table: str  # without the layer: "snowflake_orders"
    dataset: str  # what was evaluated: "bronze.snowflake_orders"
    ruleset_file: str
    result: DqResult
    quarantined: dict[str, int]  # rule text -> rows moved to quarantine
    unroutable: frozenset[str] = frozenset()  # quarantine rules that failed with no row to move

    def entries(self) -> list[dict[str, Any]]:
        """The job-run record's ``dq`` entries (see docs: one per rule)."""
        return [
            {
                "layer": self.layer,
                "table": self.table,
                "dataset": self.dataset,
                "ruleset": self.ruleset_file,
                "rule": o.rule,
                "outcome": o.outcome,
                "severity": severity_of(o),
                "action": "halt" if o.rule in self.unroutable else action_of(o),
                "failure_reason": o.failure_reason
                + (UNROUTABLE if o.rule in self.unroutable else "")
                if o.failure_reason
                else None,
                "metrics": {k: float(v) for k, v in o.evaluated_metrics.items() if v is not None},
                "labels": dict(o.labels),
                "rows_quarantined": self.quarantined.get(o.rule, 0),
                "engine": self.result.engine,
            }
            for o in self.result.outcomes
        ]


def severity_of(outcome: RuleOutcome) -> str:
    return "warn" if outcome.labels.get("severity", "").lower() == "warn" else "halt"


def action_of(outcome: RuleOutcome) -> str:
    if outcome.labels.get("action", "").lower() == "quarantine":
        return "quarantine"
    return "warn" if severity_of(outcome) == "warn" else "halt"


def halting(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The failed entries that stop the workflow."""
    return [e for e in entries if e["outcome"] == "Failed" and e["action"] == "halt"]


def ruleset_file(layer: str, table: str, root: Any = None) -> Any:
    """``dq_rulesets/<layer>/<table>.dqdl`` (from the checkout or the packaged copy)."""
    path = (root or resources.folder("dq_rulesets")) / layer / f"{table}.dqdl"
    if not path.is_file():
        raise FileNotFoundError(
            f"no ruleset for {layer}.{table}: expected dq_rulesets/{layer}/{table}.dqdl"
        )
    return path


# ---------------------------------------------------------------- what is evaluated


def dataset_for(job: JobRun, layer: str, table: str, staged: dict[str, str]) -> DataFrame:
    """This run's data of ``layer.table`` (see the module docs)."""
    name = f"{layer}.{table}"
    if layer == "gold":
        if name not in staged:
            raise wap.NothingStaged(f"workflow run {job.run_id} staged no version of {name}")
        return job.spark.read.parquet(staged[name])
    if not catalog.table_exists(job.spark, name):
        raise RuntimeError(f"{name} does not exist: nothing to evaluate")
    df = job.spark.table(name)
    if layer == "bronze":
        df = df.where(F.col(PARTITION_COLUMN) == F.lit(job.batch_date))
    return df


def references_for(
    job: JobRun, layer: str, ruleset: Ruleset, staged: dict[str, str]
) -> dict[str, DataFrame]:
    """The ruleset's AdditionalDataSources, resolved as tables of the same layer (staged Gold
    first)."""
    aliases = ruleset.data_sources.additional if ruleset.data_sources else ()
    refs = {}
    for alias in aliases:
        name = f"{layer}.{alias}"
        if name in staged:
            refs[alias] = job.spark.read.parquet(staged[name])
        else:
            refs[alias] = job.spark.table(name)
    return refs


# ---------------------------------------------------------------- the gate


def check_table(
    job: JobRun,
    layer: str,
    table: str,
    staged: dict[str, str],
    engine: str,
    rulesets_root: Any = None,
) -> TableCheck:
    """Evaluate one table's ruleset, applying quarantine actions."""
    path = ruleset_file(layer, table, rulesets_root)
    text = path.read_text(encoding="utf-8")
    ruleset = parse(text)
    df = dataset_for(job, layer, table, staged)
    refs = references_for(job, layer, ruleset, staged)
    quarantine_rules = [
        r.text
        for r in ruleset.rules
        if ruleset.labels_for(r).get("action", "").lower() == "quarantine"
    ]
    context = f"{layer}_{table}"
    history = _history(job)
    kwargs = dict(engine=engine, glue_context=job.engine.glue_context, context=context,
                  references=refs)  # fmt: skip
    if not quarantine_rules:
        result = evaluate(df, path, history=history, **kwargs)
        return TableCheck(layer, table, f"{layer}.{table}", _ruleset_name(layer, table), result, {})
    # Two passes at most: row-level outcomes find the rows to move, then the kept rows are judged.
    # Only the outcome that stands is added to the metric history.
    result = evaluate(df, path, row_level=True, history=_ReadOnly(history), **kwargs)
    failed_q = [o.rule for o in result.failed if o.rule in quarantine_rules]
    quarantined: dict[str, int] = {}
    if failed_q:
        kept, quarantined = route_to_quarantine(job, layer, table, df, result, failed_q)
    moved = [rule for rule in failed_q if quarantined.get(rule)]
    if moved:
        kept_df = _replace_dataset(job, layer, table, df, kept, staged)
        final = evaluate(kept_df, path, history=history, **kwargs)
        # The quarantine rules keep their first outcome: they failed, and their rows moved.
        first = {o.rule: o for o in result.outcomes}
        outcomes = [first[o.rule] if o.rule in moved else o for o in final.outcomes]
        result = DqResult(outcomes, final.analyzer_metrics, None, final.engine)
    elif history is not None:
        history.record(context, context, job.run_id,
                       recordable(result.outcomes, result.analyzer_metrics), dt.datetime.now(dt.UTC))  # fmt: skip
    # A quarantine rule that failed without failing rows (e.g. RowCount) cannot move anything.
    unroutable = frozenset(set(failed_q) - set(moved))
    return TableCheck(layer, table, f"{layer}.{table}", _ruleset_name(layer, table), result,
                      {r: n for r, n in quarantined.items() if n}, unroutable)  # fmt: skip


def _ruleset_name(layer: str, table: str) -> str:
    return f"dq_rulesets/{layer}/{table}.dqdl"


class _ReadOnly(MetricsHistory):
    """A history that dynamic rules can read but this evaluation does not add to."""

    def __init__(self, history: MetricsHistory | None) -> None:
        self.history = history

    def last(self, ruleset: str, dataset: str, metric: str, k: int) -> list[float]:
        return self.history.last(ruleset, dataset, metric, k) if self.history else []

    def record(self, *args: object, **kwargs: object) -> None:
        return None


def run_gate(
    job: JobRun,
    layer: str,
    tables: list[str],
    engine: str = "auto",
    rulesets_root: Any = None,
) -> list[TableCheck]:
    """Evaluate every table, store the results, record them in the job; raise
    :class:`DqGateFailed` if a halting rule failed (after storing everything)."""
    if layer not in LAYERS:
        raise ValueError(f"--layer must be one of {', '.join(LAYERS)}, got {layer!r}")
    staged = wap.staged_locations(job) if layer == "gold" else {}
    checks = []
    for index, table in enumerate(tables):
        if index and layer == "gold":
            crash_point("dq_gold.during_evaluation")
        check = check_table(job, layer, table, staged, engine, rulesets_root)
        checks.append(check)
        job.track_input(check.dataset, dataset_for(job, layer, table, staged),
                        staged.get(check.dataset) or catalog.table_location(job.spark, check.dataset))  # fmt: skip
        entries = check.entries()
        job.dq.extend(entries)
        failed = [e for e in entries if e["outcome"] == "Failed"]
        job.add_metrics(
            dq_rules_passed=len(entries) - len(failed),
            dq_rules_failed=len(halting(entries)),
            dq_rules_warned=sum(e["action"] == "warn" for e in failed),
            rows_quarantined=sum(check.quarantined.values()),
        )
    write_results(job, checks)
    failures = halting(job.dq)
    if failures:
        raise DqGateFailed(failure_message(job, layer, failures))
    return checks


def failure_message(job: JobRun, layer: str, failures: list[dict[str, Any]]) -> str:
    """First line: what stopped; then one line per failed rule with its metric and threshold."""
    tables = sorted({f["dataset"] for f in failures})
    stopped = {"bronze": "Silver and Gold were not changed",
               "silver": "Gold was not changed",
               "gold": "the staged Gold versions were not published; the published Gold is unchanged"}[layer]  # fmt: skip
    lines = [
        f"{job.name}: {len(failures)} halting DQ rule(s) failed on {', '.join(tables)} "
        f"(batch {job.batch_date.isoformat()}); {stopped}"
    ]
    for f in failures:
        metrics = ", ".join(f"{k} = {v:g}" for k, v in f["metrics"].items()) or "no metric"
        lines.append(f"  - {f['dataset']}: {f['rule']}")
        lines.append(f"      {metrics}; {f['failure_reason'] or 'failed'}")
    return "\n".join(lines)


def _history(job: JobRun) -> JsonLinesHistory | None:
    if "://" in job.lake_root:
        return None  # in AWS, Glue Data Quality keeps the metric history
    return JsonLinesHistory(Path(job.lake_root) / "_dq" / "history")


# ---------------------------------------------------------------- quarantine action


def route_to_quarantine(
    job: JobRun,
    layer: str,
    table: str,
    df: DataFrame,
    result: DqResult,
    rules: list[str],
) -> tuple[DataFrame, dict[str, int]]:
    """Write the rows failing any of ``rules`` to ``quarantine.dq_rows``; return the rows to keep
    (materialized: the caller may overwrite the table they were read from) and counts per rule."""
    rows = result.row_level.persist(StorageLevel.MEMORY_AND_DISK)
    failing = F.arrays_overlap(F.col(FAIL), F.array(*[F.lit(r) for r in rules]))
    data_columns = list(df.columns)
    bad = rows.where(failing)
    counts = {rule: bad.where(F.array_contains(F.col(FAIL), rule)).count() for rule in rules}
    batch = job.batch_date.isoformat() if layer == "bronze" else WHOLE_TABLE
    quarantined = bad.select(
        F.lit("dq_rule").alias("reason"),
        F.filter(
            F.col(FAIL), lambda r: F.array_contains(F.array(*[F.lit(x) for x in rules]), r)
        ).alias("rules"),
        F.to_json(F.struct(*data_columns)).alias("raw_record"),
        F.lit(job.run_id).alias("_run_id"),
        F.lit(job.started_at).cast("timestamp").alias("_quarantined_at"),
        F.lit(layer).alias("layer"),
        F.lit(table).alias("table_name"),
        F.lit(batch).alias("batch"),
    )
    catalog.ensure_layer_databases(job.spark, job.lake_root, ("quarantine",))
    spec = {"layer": layer, "table_name": table, "batch": batch}
    catalog.replace_partitions(
        quarantined, QUARANTINE_TABLE, job.path("quarantine", "dq_rows"),
        QUARANTINE_PARTITIONS, [spec], [spec],
    )  # fmt: skip
    job.track_output(_quarantine_output(job, layer, table, batch))
    kept = rows.where(~failing).drop(*DQ_COLUMNS).localCheckpoint(eager=True)
    rows.unpersist()
    return kept, counts


def _quarantine_output(job: JobRun, layer: str, table: str, batch: str) -> dict[str, Any]:
    from lakehouse.observe import describe_output

    location = job.path("quarantine", "dq_rows")
    folder = f"{location}/layer={layer}/table_name={table}/batch={batch}"
    stored = job.spark.table(QUARANTINE_TABLE).where(
        (F.col("layer") == layer) & (F.col("table_name") == table) & (F.col("batch") == batch)
    )
    return describe_output(QUARANTINE_TABLE, stored, location, "quarantine", measured_at=[folder])


def _replace_dataset(
    job: JobRun, layer: str, table: str, df: DataFrame, kept: DataFrame, staged: dict[str, str]
) -> DataFrame:
    """Make the evaluated data hold only ``kept``; return it as the next evaluation's input."""
    name = f"{layer}.{table}"
    if layer == "gold":
        staged[name] = wap.replace_staged(job, name, kept)
        return job.spark.read.parquet(staged[name])
    if layer == "silver":
        return publish_table(job, name, kept)
    partition_by = [c.name for c in job.spark.catalog.listColumns(name) if c.isPartition]
    owned = [r.asDict() for r in df.select(*partition_by).distinct().collect()]
    written = [r.asDict() for r in kept.select(*partition_by).distinct().collect()]
    location = catalog.table_location(job.spark, name) or job.path(layer, table)
    catalog.replace_partitions(kept, name, location, partition_by, owned, written)
    return dataset_for(job, layer, table, staged)


# ---------------------------------------------------------------- results table


def write_results(job: JobRun, checks: list[TableCheck]) -> None:
    """Replace this run's results of the checked tables in ``audit.dq_results`` (one write)."""
    spark = job.spark
    catalog.ensure_layer_databases(spark, job.lake_root, ("audit",))
    now = dt.datetime.now(dt.UTC)
    rows = [
        (
            job.job_run_id, e["dataset"], e["ruleset"], e["rule"], e["outcome"], e["severity"],
            e["action"], e["failure_reason"], e["metrics"], e["labels"], e["rows_quarantined"],
            e["engine"], job.batch_date, now, job.run_id, e["layer"], e["table"],
        )
        for check in checks
        for e in check.entries()
    ]  # fmt: skip
    frame = spark.createDataFrame(rows, RESULTS_SCHEMA)
    specs = [{"run_id": job.run_id, "layer": c.layer, "table_name": c.table} for c in checks]
    catalog.replace_partitions(
        frame, RESULTS_TABLE, job.path("audit", "dq_results"), RESULT_PARTITIONS, specs, specs
    )


RESULTS_SCHEMA = (
    "job_run_id string, dataset string, ruleset string, rule string, outcome string, "
    "severity string, action string, failure_reason string, metrics map<string,double>, "
    "labels map<string,string>, rows_quarantined bigint, engine string, batch_date date, "
    "evaluated_at timestamp, run_id string, layer string, table_name string"
)
