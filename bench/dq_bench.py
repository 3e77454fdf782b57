"""Data-quality benchmark: our DQDL engine vs a hand-written Spark aggregate vs Great Expectations.

    .venv/bin/python bench/dq_bench.py [--rows 1000000] [--repeat 3] [--smoke] [--skip-gx]

(``make bench-dq`` runs it with the GX venv set up.) Steps:

1. Generate ``--rows`` synthetic orders with Spark (``spark.range`` and hash-based expressions,
   deterministic for a ``--seed``) and write them once as Parquet under ``--workdir``; a second,
   20,000-row Parquet is the warm-up slice. Both are reused by later runs with the same
   rows/seed/generator version.
2. Contenders, all reading that same Parquet:

   a. ``lakehouse.dq.evaluator.evaluate_ruleset(df, <bench/dq_bench_ruleset.dqdl>)``;
   b. a hand-written lower bound: ONE ``df.agg(...)`` with every column aggregate the 25 rules
      need, plus one ``groupBy(col).count()`` per key column reduced by a small aggregate
      (uniqueness, distinct counts, unique-value ratio, entropy);
   c. Great Expectations (``bench/gx_bench.py``) in its own process and venv, on Spark.

   (a) and (b) each get one warm-up run on the 20,000-row slice first (JIT, class loading), then
   run interleaved ``--repeat`` times; the best wall-clock time (``time.perf_counter``) counts.
   Spark jobs per run are counted with a job group and the StatusTracker.
3. Correctness: the outcome of every rule in (a) must equal what (b)'s aggregates imply for the
   same rule (``SPECS`` below, written independently of the engine), and every metric (a)
   reports that (b) also has must agree. Disagreements are printed and make the exit code 1.
4. A table with the ratios a/b (target <= 1.3) and a/c (target < 1.0), and the numbers as JSON
   in ``bench/results/dq_bench-<UTC timestamp>.json``.

Exit codes: 0 ok; 1 a disagreement or a contender failed; 2 a contender could not run (e.g. the
evaluator is missing); 3 a target was missed and ``--strict`` was given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_domains import COUNTRIES, STATUSES

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RULESET = HERE / "dq_bench_ruleset.dqdl"
GX_SCRIPT = HERE / "gx_bench.py"
DEFAULT_GX_PYTHON = REPO / ".tools" / "gx-venv" / "bin" / "python"
RESULTS = HERE / "results"
WARMUP_ROWS = 20_000
GENERATOR_VERSION = 2  # bump when generate() changes, so cached Parquet is rebuilt
TARGET_A_B = 1.3
TARGET_A_C = 1.0

CATEGORIES = (
    "books",
    "electronics",
    "garden",
    "toys",
    "grocery",
    "beauty",
    "sports",
    "fashion",
    "home",
    "auto",
    "music",
    "office",
)
EMAIL_REGEX = "[a-z0-9._]+@example[.]com"  # as in the ruleset; DQDL anchors it (^...$)
KEY_COLUMNS = ("order_id", "tracking_code", "status", "category", "email")


# --------------------------------------------------------------------------- data


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def generate(spark: Any, path: Path, rows: int, seed: int) -> None:
    """Write ``rows`` synthetic orders to ``path`` (Parquet), deterministically for ``seed``.

    Every random draw is ``xxhash64(order_id, seed, k)`` mapped to [0, 1), so the data does not
    depend on partitioning. Built-in defects: ~1.2% NULL customer_id, ~0.5% NULL and ~0.2%
    negative amount, ~0.1% bad status, ~0.4% malformed e-mail, ~0.03% 3-letter country, ~1% of
    tracking codes drawn from 1,000 shared ones.
    """
    customers = max(1, rows // 20)

    def u(k: int) -> str:
        return f"(CAST(pmod(xxhash64(order_id, {seed}L, {k}), 1000003) AS DOUBLE) / 1000003.0D)"

    partitions = max(2, min(8, rows // 250_000))
    base = spark.range(1, rows + 1, 1, partitions).withColumnRenamed("id", "order_id")
    stage1 = base.selectExpr(
        "order_id",
        f"CASE WHEN {u(1)} < 0.012 THEN NULL "
        f"ELSE CAST(1 + floor({u(2)} * {customers}) AS INT) END AS customer_id",
        f"CASE WHEN {u(3)} < 0.005 THEN NULL "
        f"WHEN {u(3)} < 0.007 THEN -round({u(4)} * 50, 2) "
        f"ELSE round(10 + {u(4)} * 490, 2) END AS amount",
        f"CAST(1 + floor({u(5)} * 20) AS INT) AS quantity",
        f"CASE WHEN {u(6)} < 0.001 THEN (CASE WHEN {u(7)} < 0.5 THEN 'UNKNOWN' ELSE 'paid' END) "
        f"ELSE element_at(array({_sql_list(STATUSES)}), CAST(1 + floor({u(7)} * 5) AS INT)) "
        "END AS status",
        f"CASE WHEN {u(9)} < 0.0003 THEN 'USA' ELSE element_at(array({_sql_list(COUNTRIES)}), "
        f"CAST(1 + floor(pow({u(10)}, 2) * {len(COUNTRIES)}) AS INT)) END AS country",
        f"timestamp_seconds(1735689600 + CAST(floor({u(11)} * 31536000) AS BIGINT)) AS created_at",
        f"element_at(array({_sql_list(CATEGORIES)}), "
        f"CAST(1 + floor(pow({u(12)}, 1.5) * {len(CATEGORIES)}) AS INT)) AS category",
        f"CASE WHEN {u(13)} < 0.01 THEN concat('TRK-S', CAST(floor({u(14)} * 1000) AS STRING)) "
        "ELSE concat('TRK-', CAST(order_id AS STRING)) END AS tracking_code",
        f"{u(8)} AS _u8",
        f"{u(15)} AS _u15",
    )
    frame = stage1.selectExpr(
        "order_id",
        "customer_id",
        "amount",
        "quantity",
        "status",
        "CASE WHEN _u8 < 0.004 THEN concat('user', coalesce(customer_id, 0), '-at-example.com') "
        "ELSE concat('user', coalesce(customer_id, 0), '@example.com') END AS email",
        "country",
        "created_at",
        "round(greatest(coalesce(amount, 0), 0) / 1250 + _u15 * 0.1, 4) AS discount",
        "category",
        "tracking_code",
    )
    frame.write.mode("overwrite").parquet(str(path))


def ensure_data(spark: Any, path: Path, rows: int, seed: int) -> float:
    """Generate the Parquet unless an identical one is there; return the seconds spent."""
    meta = {"rows": rows, "seed": seed, "generator": GENERATOR_VERSION}
    marker = path / "_bench_meta.json"
    if marker.exists() and json.loads(marker.read_text()) == meta:
        return 0.0
    t0 = time.perf_counter()
    generate(spark, path, rows, seed)
    marker.write_text(json.dumps(meta))
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- (b) hand-written


def handwritten_metrics(df: Any) -> dict[str, float | None]:
    """Every number the 25 rules need, the way a careful engineer would write it by hand."""
    from pyspark.sql import functions as F

    col = F.col
    row = df.agg(
        F.count(F.lit(1)).alias("rows"),
        *(F.count(c).alias(f"nn.{c}") for c in ("order_id", "status", "created_at")),
        *(F.count(c).alias(f"nn.{c}") for c in ("customer_id", "amount", "country")),
        F.count(F.when(col("status").isin(*STATUSES), 1)).alias("ok.status_in"),
        F.count(F.when(col("email").rlike(f"^(?:{EMAIL_REGEX})$"), 1)).alias("ok.email_re"),
        F.count(F.when((col("quantity") > 0) & (col("quantity") < 21), 1)).alias("ok.quantity"),
        F.count(F.when(col("amount") >= 0, 1)).alias("ok.amount_ge0"),
        F.min("amount").alias("min.amount"),
        F.min(F.length("country")).alias("minlen.country"),
        F.max(F.length("country")).alias("maxlen.country"),
        F.avg("amount").alias("mean.amount"),
        F.sum("quantity").alias("sum.quantity"),
        F.stddev_pop("amount").alias("std.amount"),
        F.corr("amount", "discount").alias("corr.amount_discount"),
        F.count(F.when(col("status") == "PAID", 1)).alias("rows.paid"),
        F.count(F.when((col("status") == "PAID") & (col("discount") <= 0.5), 1)).alias(
            "ok.discount_paid"
        ),
        F.max(F.when(col("status") == "PAID", col("discount"))).alias("max.discount_paid"),
        F.count(F.when(col("country").isin(*COUNTRIES), 1)).alias("ok.country_in"),
    ).first()
    out: dict[str, float | None] = {
        k: (None if v is None else float(v)) for k, v in row.asDict().items()
    }
    for c in KEY_COLUMNS:
        counts = df.groupBy(c).count()
        key = col(c).isNotNull()
        stats = counts.agg(
            F.sum(F.when(key, col("count"))).alias("rows"),
            F.count(F.when(key, 1)).alias("groups"),
            F.count(F.when(key & (col("count") == 1), 1)).alias("singles"),
            F.sum(F.when(key, col("count") * F.log(col("count")))).alias("clnc"),
        ).first()
        for k, v in stats.asDict().items():
            out[f"freq.{c}.{k}"] = None if v is None else float(v)
    return out


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def completeness(m: dict, c: str) -> float | None:
    return _div(m[f"nn.{c}"], m["rows"])


def uniqueness(m: dict, c: str) -> float | None:
    return _div(m[f"freq.{c}.singles"], m[f"freq.{c}.rows"])


def distinct(m: dict, c: str) -> float:
    return m[f"freq.{c}.groups"] or 0.0


def unique_value_ratio(m: dict, c: str) -> float | None:
    return _div(m[f"freq.{c}.singles"], m[f"freq.{c}.groups"])


def entropy(m: dict, c: str) -> float | None:
    n = m[f"freq.{c}.rows"]
    if not n:
        return None
    return math.log(n) - (m[f"freq.{c}.clnc"] or 0.0) / n


def compliance(m: dict, ok: str, denominator: str = "rows") -> float | None:
    return _div(m[ok], m[denominator])


# --------------------------------------------------------------------------- rule specs


@dataclass(frozen=True)
class RuleSpec:
    """A rule of the ruleset, what (b)'s numbers say its outcome is, and the metrics it reports."""

    text: str
    passes: Callable[[dict], bool]
    metrics: Callable[[dict], dict[str, float | None]]


def _gt(v: float | None, x: float) -> bool:
    return v is not None and v > x


def _lt(v: float | None, x: float) -> bool:
    return v is not None and v < x


def _between(v: float | None, lo: float, hi: float) -> bool:  # DQDL between is exclusive
    return v is not None and lo < v < hi


def _is(v: float | None, x: float) -> bool:
    return v is not None and v == x


def _complete(c: str) -> RuleSpec:
    return RuleSpec(
        f'IsComplete "{c}"',
        lambda m: _is(completeness(m, c), 1.0),
        lambda m: {f"Column.{c}.Completeness": completeness(m, c)},
    )


_CV = "ColumnValues.Compliance"
SPECS: tuple[RuleSpec, ...] = (
    RuleSpec(
        "RowCount between 10000 and 5000000",
        lambda m: _between(m["rows"], 10000, 5000000),
        lambda m: {"Dataset.*.RowCount": m["rows"]},
    ),
    _complete("order_id"),
    _complete("status"),
    _complete("created_at"),
    RuleSpec(
        'Completeness "customer_id" > 0.98',
        lambda m: _gt(completeness(m, "customer_id"), 0.98),
        lambda m: {"Column.customer_id.Completeness": completeness(m, "customer_id")},
    ),
    RuleSpec(
        'Completeness "amount" > 0.999',
        lambda m: _gt(completeness(m, "amount"), 0.999),
        lambda m: {"Column.amount.Completeness": completeness(m, "amount")},
    ),
    RuleSpec(
        'IsUnique "order_id"',
        lambda m: _is(uniqueness(m, "order_id"), 1.0),
        lambda m: {"Column.order_id.Uniqueness": uniqueness(m, "order_id")},
    ),
    RuleSpec(
        'IsPrimaryKey "order_id"',
        lambda m: _is(uniqueness(m, "order_id"), 1.0) and _is(completeness(m, "order_id"), 1.0),
        lambda m: {
            "Column.order_id.Uniqueness": uniqueness(m, "order_id"),
            "Column.order_id.Completeness": completeness(m, "order_id"),
        },
    ),
    RuleSpec(
        'Uniqueness "tracking_code" > 0.95',
        lambda m: _gt(uniqueness(m, "tracking_code"), 0.95),
        lambda m: {"Column.tracking_code.Uniqueness": uniqueness(m, "tracking_code")},
    ),
    RuleSpec(
        'DistinctValuesCount "status" between 4 and 10',
        lambda m: _between(distinct(m, "status"), 4, 10),
        lambda m: {"Column.status.DistinctValuesCount": distinct(m, "status")},
    ),
    RuleSpec(
        'DistinctValuesCount "category" = 12',
        lambda m: _is(distinct(m, "category"), 12),
        lambda m: {"Column.category.DistinctValuesCount": distinct(m, "category")},
    ),
    RuleSpec(
        'UniqueValueRatio "email" < 0.2',
        lambda m: _lt(unique_value_ratio(m, "email"), 0.2),
        lambda m: {"Column.email.UniqueValueRatio": unique_value_ratio(m, "email")},
    ),
    RuleSpec(
        'ColumnValues "status" in ["NEW", "PAID", "SHIPPED", "CANCELLED", "REFUNDED"] '
        "with threshold > 0.99",
        lambda m: _gt(compliance(m, "ok.status_in"), 0.99),
        lambda m: {f"Column.status.{_CV}": compliance(m, "ok.status_in")},
    ),
    RuleSpec(
        f'ColumnValues "email" matches "{EMAIL_REGEX}"',
        lambda m: _is(compliance(m, "ok.email_re"), 1.0),
        lambda m: {f"Column.email.{_CV}": compliance(m, "ok.email_re")},
    ),
    RuleSpec(
        'ColumnValues "quantity" between 0 and 21',
        lambda m: _is(compliance(m, "ok.quantity"), 1.0),
        lambda m: {f"Column.quantity.{_CV}": compliance(m, "ok.quantity")},
    ),
    RuleSpec(
        'ColumnValues "amount" >= 0',
        lambda m: _is(compliance(m, "ok.amount_ge0"), 1.0),
        lambda m: {
            f"Column.amount.{_CV}": compliance(m, "ok.amount_ge0"),
            "Column.amount.Minimum": m["min.amount"],
        },
    ),
    RuleSpec(
        'ColumnValues "amount" >= 0 with threshold > 0.99',
        lambda m: _gt(compliance(m, "ok.amount_ge0"), 0.99),
        lambda m: {f"Column.amount.{_CV}": compliance(m, "ok.amount_ge0")},
    ),
    RuleSpec(
        'ColumnLength "country" = 2',
        # NULL counts as length 0 in ColumnLength, so a NULL would fail it too
        lambda m: (
            m["minlen.country"] == 2 and m["maxlen.country"] == 2 and m["nn.country"] == m["rows"]
        ),
        lambda m: {
            "Column.country.MinimumLength": m["minlen.country"],
            "Column.country.MaximumLength": m["maxlen.country"],
        },
    ),
    RuleSpec(
        'Mean "amount" between 200 and 300',
        lambda m: _between(m["mean.amount"], 200, 300),
        lambda m: {"Column.amount.Mean": m["mean.amount"]},
    ),
    RuleSpec(
        'Sum "quantity" > 1000',
        lambda m: _gt(m["sum.quantity"], 1000),
        lambda m: {"Column.quantity.Sum": m["sum.quantity"]},
    ),
    RuleSpec(
        'StandardDeviation "amount" < 200',
        lambda m: _lt(m["std.amount"], 200),
        lambda m: {"Column.amount.StandardDeviation": m["std.amount"]},
    ),
    RuleSpec(
        'Entropy "category" > 1.5',
        lambda m: _gt(entropy(m, "category"), 1.5),
        lambda m: {"Column.category.Entropy": entropy(m, "category")},
    ),
    RuleSpec(
        'ColumnCorrelation "amount" "discount" > 0.5',
        lambda m: _gt(m["corr.amount_discount"], 0.5),
        lambda m: {"Multicolumn.amount,discount.ColumnCorrelation": m["corr.amount_discount"]},
    ),
    RuleSpec(
        'ColumnValues "discount" <= 0.5 where "status = \'PAID\'"',
        lambda m: _is(compliance(m, "ok.discount_paid", "rows.paid"), 1.0),
        lambda m: {
            f"Column.discount.{_CV}": compliance(m, "ok.discount_paid", "rows.paid"),
            "Column.discount.Maximum": m["max.discount_paid"],
        },
    ),
    RuleSpec(
        f'ColumnValues "country" in [{", ".join(chr(34) + c + chr(34) for c in COUNTRIES)}] '
        "with threshold > 0.999",
        lambda m: _gt(compliance(m, "ok.country_in"), 0.999),
        lambda m: {f"Column.country.{_CV}": compliance(m, "ok.country_in")},
    ),
)


def handwritten_outcomes(df: Any) -> tuple[dict[str, float | None], list[bool]]:
    """Contender (b): the aggregates, then every rule's outcome from them."""
    m = handwritten_metrics(df)
    return m, [bool(s.passes(m)) for s in SPECS]


def check_specs_match_ruleset(text: str) -> None:
    """SPECS must describe exactly the rules of the ruleset file, in order."""
    from lakehouse.dq import parse

    in_file = [str(r) for r in parse(text).rules]
    in_specs = [
        str(r) for r in parse("Rules = [\n" + ",\n".join(s.text for s in SPECS) + "\n]").rules
    ]
    if in_file != in_specs:
        diff = [
            f"  #{i + 1}: file {a!r} vs spec {b!r}"
            for i, (a, b) in enumerate(zip(in_file, in_specs, strict=False))
            if a != b
        ]
        raise SystemExit(
            f"{RULESET.name} ({len(in_file)} rules) and SPECS in {Path(__file__).name} "
            f"({len(in_specs)}) disagree; update both:\n" + "\n".join(diff)
        )


# --------------------------------------------------------------------------- timing


@dataclass
class Contender:
    name: str
    label: str
    runs: list[float]
    jobs: list[int]
    warmup: float | None = None
    error: str | None = None
    extra: dict[str, Any] | None = None

    @property
    def best(self) -> float | None:
        return min(self.runs) if self.runs else None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "best_seconds": self.best,
            "runs_seconds": self.runs,
            "spark_jobs_per_run": self.jobs,
            "warmup_seconds": self.warmup,
            "error": self.error,
            **(self.extra or {}),
        }


class JobCounter:
    """Spark jobs triggered inside a block, via a job group and the StatusTracker."""

    def __init__(self, spark: Any) -> None:
        self.sc = spark.sparkContext
        self.n = 0

    def timed(self, group: str, fn: Callable[[], Any]) -> tuple[float, Any, int]:
        self.sc.setJobGroup(group, group)
        try:
            t0 = time.perf_counter()
            value = fn()
            seconds = time.perf_counter() - t0
        finally:
            self.sc.setLocalProperty("spark.jobGroup.id", None)
        time.sleep(0.3)  # let the listener bus record the last job (outside the timing)
        return seconds, value, len(self.sc.statusTracker().getJobIdsForGroup(group))


def load_evaluator() -> Callable[..., Any] | None:
    try:
        from lakehouse.dq.evaluator import evaluate_ruleset
    except ImportError as exc:
        print(f"!! lakehouse.dq.evaluator is not available ({exc}); contender (a) is skipped")
        return None
    return evaluate_ruleset


def run_gx(args: argparse.Namespace, data: Path, warmup: Path) -> Contender:
    label = "Great Expectations (Spark datasource)"
    gx_python = Path(args.gx_python)
    if not gx_python.exists():
        return Contender(
            "gx", label, [], [], error=f"{gx_python} not found (run `make bench-dq` to create it)"
        )
    env = dict(os.environ)
    env["PYSPARK_PYTHON"] = str(gx_python)
    env["GX_ANALYTICS_ENABLED"] = "false"
    for key in ("PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET", "SPARK_HOME", "PYTHONPATH"):
        env.pop(key, None)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gx.json"
        cmd = [
            str(gx_python),
            str(GX_SCRIPT),
            "--parquet",
            str(data),
            "--warmup-parquet",
            str(warmup),
            "--repeat",
            str(args.repeat),
            "--out",
            str(out),
        ]
        print(f"-- (c) GX in its own process: {' '.join(cmd[:2])} ...", flush=True)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        sys.stderr.write(proc.stderr[-4000:] if proc.returncode else proc.stderr)
        if proc.returncode != 0 or not out.exists():
            return Contender("gx", label, [], [], error=f"gx_bench.py exited {proc.returncode}")
        gx = json.loads(out.read_text())
    extra = {k: v for k, v in gx.items() if k not in ("runs", "jobs", "warmup_seconds", "best")}
    return Contender("gx", label, gx["runs"], gx["jobs"], gx.get("warmup_seconds"), extra=extra)


# --------------------------------------------------------------------------- correctness


@dataclass
class Comparison:
    problems: list[str]  # outcome or metric disagreements
    compared: int  # metric values both sides have, and that agree or not
    not_reported: list[str]  # metrics (b) has that (a) did not report for that rule
    unchecked: list[str]  # metrics (a) reported that (b) does not compute


def compare(result: Any, m: dict, expected: list[bool]) -> Comparison:
    """Check (a)'s outcomes and reported metrics against (b)'s numbers, rule by rule."""
    c = Comparison([], 0, [], [])
    outcomes = list(result.outcomes)
    if len(outcomes) != len(SPECS):
        c.problems.append(f"(a) returned {len(outcomes)} outcomes for {len(SPECS)} rules")
    for i, (spec, want, o) in enumerate(zip(SPECS, expected, outcomes, strict=False), 1):
        got = o.outcome == "Passed"
        if got != want:
            reason = getattr(o, "failure_reason", None)
            c.problems.append(
                f"rule {i} {spec.text!r}: (a) {o.outcome}, (b) implies "
                f"{'Passed' if want else 'Failed'} (reason: {reason})"
            )
        reported = dict(getattr(o, "evaluated_metrics", {}) or {})
        ours = spec.metrics(m)
        c.unchecked += [f"rule {i}: {k}" for k in reported if k not in ours]
        for name, value in ours.items():
            if name not in reported:
                c.not_reported.append(f"rule {i}: {name}")
                continue
            c.compared += 1
            theirs = reported[name]
            if value is None or theirs is None:
                same = value is None and theirs is None
            else:
                same = math.isclose(float(theirs), value, rel_tol=1e-6, abs_tol=1e-9)
            if not same:
                c.problems.append(f"rule {i} metric {name}: (a) {theirs}, (b) {value}")
    return c


# --------------------------------------------------------------------------- report


def fmt(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def print_table(contenders: list[Contender], a_b: float | None, a_c: float | None) -> None:
    print()
    print(f"{'contender':<44} {'best s':>8} {'runs (s)':<26} {'jobs/run':>9}")
    print("-" * 90)
    for c in contenders:
        runs = ", ".join(f"{r:.2f}" for r in c.runs) if c.runs else (c.error or "-")
        jobs = "/".join(str(j) for j in sorted(set(c.jobs))) if c.jobs else "-"
        print(f"{c.label:<44} {fmt(c.best):>8} {runs:<26} {jobs:>9}")
    print("-" * 90)

    def verdict(v: float | None, ok: bool) -> str:
        return "n/a" if v is None else ("met" if ok else "MISSED")

    print(
        f"a/b = {fmt(a_b)}  (target <= {TARGET_A_B}: {verdict(a_b, a_b is not None and a_b <= TARGET_A_B)})"
    )
    print(
        f"a/c = {fmt(a_c)}  (target <  {TARGET_A_C}: {verdict(a_c, a_c is not None and a_c < TARGET_A_C)})"
    )


def print_gx_mapping(gx: Contender, a_outcomes: list[str] | None) -> None:
    info = gx.extra or {}
    if not info.get("expectations"):
        return
    print()
    print(
        f"GX {info.get('gx_version')} on its {info.get('datasource')} datasource "
        f"(pyspark {info.get('pyspark_version')}, persist={info.get('persist')}, "
        f"result_format={info.get('result_format')}); Spark session "
        f"{fmt(info.get('spark_session_seconds'))}s, context+suite set-up "
        f"{fmt(info.get('setup_seconds'))}s (not in the timings)"
    )
    by_rule: dict[int, list[dict]] = {}
    for e in info["expectations"]:
        by_rule.setdefault(int(e["rule"]), []).append(e)
    for i, spec in enumerate(SPECS, 1):
        ours = a_outcomes[i - 1] if a_outcomes and i <= len(a_outcomes) else "-"
        exps = by_rule.get(i)
        if not exps:
            print(f"  {i:>2} {ours:<7} GX: no equivalent  | {spec.text[:60]}")
            continue
        gx_ok = all(e["success"] for e in exps)
        names = " + ".join(e["expectation"] for e in exps)
        match = exps[0]["match"]
        print(f"  {i:>2} {ours:<7} GX: {'Passed' if gx_ok else 'Failed':<7} {match:<6} {names}")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="DQ benchmark: DQDL engine vs hand-written Spark agg vs Great Expectations."
    )
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3, help="timed runs per contender (best counts)")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="quick: 50,000 rows, 1 repeat (overrides --rows and --repeat)",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", default=str(REPO / ".lake-bench"), help="data and Spark lake root")
    p.add_argument("--gx-python", default=str(DEFAULT_GX_PYTHON), help="the GX venv's python")
    p.add_argument("--skip-gx", action="store_true", help="leave out Great Expectations")
    p.add_argument("--results-dir", default=str(RESULTS))
    p.add_argument("--strict", action="store_true", help="exit 3 when a target is missed")
    args = p.parse_args(argv)
    if args.smoke:
        args.rows, args.repeat = 50_000, 1
    args.repeat = max(1, args.repeat)

    started = dt.datetime.now(dt.UTC)
    load_start = os.getloadavg()
    workdir = Path(args.workdir).resolve()
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    text = RULESET.read_text()
    check_specs_match_ruleset(text)

    from lakehouse.runtime import engine

    spark = engine(str(workdir / "lake")).spark
    data = workdir / "data" / f"orders-{args.rows}-s{args.seed}.parquet"
    warm = workdir / "data" / f"orders-{WARMUP_ROWS}-s{args.seed}.parquet"
    gen_seconds = ensure_data(spark, data, args.rows, args.seed)
    gen_seconds += ensure_data(spark, warm, WARMUP_ROWS, args.seed)
    print(
        f"== DQ benchmark: {args.rows:,} rows, {len(SPECS)} rules, best of {args.repeat}; "
        f"Spark {spark.version}, {os.cpu_count()} cores, load {load_start[0]:.2f}"
    )
    print(
        f"   data: {data} ({'generated in ' + fmt(gen_seconds) + 's' if gen_seconds else 'reused'})"
    )

    df = spark.read.parquet(str(data))
    df_warm = spark.read.parquet(str(warm))
    counter = JobCounter(spark)
    evaluate_ruleset = load_evaluator()

    a = Contender("engine", "(a) lakehouse DQDL engine", [], [])
    b = Contender("handwritten", "(b) hand-written df.agg + groupBy", [], [])
    contenders = [a, b]
    if evaluate_ruleset is None:
        a.error = "lakehouse.dq.evaluator missing"

    def run_a(frame: Any) -> Any:
        return evaluate_ruleset(frame, text)

    # warm-up on the small slice (not timed into the results)
    if evaluate_ruleset is not None:
        a.warmup, _, _ = counter.timed("warmup-a", lambda: run_a(df_warm))
    b.warmup, _, _ = counter.timed("warmup-b", lambda: handwritten_outcomes(df_warm))

    result_a: Any = None
    metrics_b: dict = {}
    expected: list[bool] = []

    def time_a(i: int) -> None:
        nonlocal result_a
        if evaluate_ruleset is None or a.error is not None:
            return
        try:
            seconds, result_a, jobs = counter.timed(f"bench-a-{i}", lambda: run_a(df))
        except Exception as exc:
            a.error = f"{type(exc).__name__}: {exc}"
            print(f"!! (a) failed: {a.error}")
            return
        a.runs.append(seconds)
        a.jobs.append(jobs)
        print(f"  (a) run {i + 1}: {seconds:.2f}s, {jobs} Spark jobs", flush=True)

    def time_b(i: int) -> None:
        nonlocal metrics_b, expected
        seconds, (metrics_b, expected), jobs = counter.timed(
            f"bench-b-{i}", lambda: handwritten_outcomes(df)
        )
        b.runs.append(seconds)
        b.jobs.append(jobs)
        print(f"  (b) run {i + 1}: {seconds:.2f}s, {jobs} Spark jobs", flush=True)

    # interleaved, alternating who goes first, so drift in machine load and JIT warm-up
    # beyond the small warm-up slice do not favour one contender
    for i in range(args.repeat):
        for step in (time_a, time_b) if i % 2 == 0 else (time_b, time_a):
            step(i)

    if not args.skip_gx:
        contenders.append(run_gx(args, data, warm))
    gx = contenders[2] if len(contenders) > 2 else None

    # correctness
    check = Comparison([], 0, [], [])
    a_outcomes: list[str] | None = None
    if result_a is not None:
        check = compare(result_a, metrics_b, expected)
        a_outcomes = [o.outcome for o in result_a.outcomes]
    problems = check.problems
    a_b = ratio(a.best, b.best)
    a_c = ratio(a.best, gx.best if gx else None)
    print_table(contenders, a_b, a_c)
    if gx is not None:
        print_gx_mapping(gx, a_outcomes)
        if gx.extra and gx.extra.get("no_equivalent"):
            print("  rules with no GX equivalent: " + "; ".join(gx.extra["no_equivalent"].values()))

    print()
    print(f"(b) implies {sum(expected)}/{len(expected)} rules pass")
    if result_a is None:
        print("correctness: not checked ((a) did not run)")
    elif problems:
        print(f"correctness: {len(problems)} DISAGREEMENT(S) between (a) and (b):")
        for line in problems:
            print(f"  - {line}")
    else:
        print(
            f"correctness: (a) agrees with (b) on all {len(SPECS)} outcomes and on the "
            f"{check.compared} metric values both have; (a) score {result_a.score:.2f}"
        )
    if check.not_reported:
        print("  metrics (a) did not report (not compared): " + ", ".join(check.not_reported))
    if check.unchecked:
        print("  metrics (a) reported that (b) lacks (not compared): " + ", ".join(check.unchecked))
    load_end = os.getloadavg()
    print(
        f"load average at start {load_start[0]:.2f}, at end {load_end[0]:.2f} ({os.cpu_count()} cores)"
    )

    doc = {
        "benchmark": "dq",
        "started_utc": started.isoformat(),
        "rows": args.rows,
        "repeat": args.repeat,
        "seed": args.seed,
        "rules": len(SPECS),
        "ruleset": str(RULESET.relative_to(REPO)),
        "data": str(data),
        "generation_seconds": gen_seconds,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "spark": spark.version,
            "loadavg_start": load_start,
            "loadavg_end": load_end,
        },
        "contenders": {c.name: c.to_json() for c in contenders},
        "ratios": {"a_over_b": a_b, "a_over_c": a_c},
        "targets": {"a_over_b_max": TARGET_A_B, "a_over_c_below": TARGET_A_C},
        "correctness": {
            "checked": result_a is not None,
            "disagreements": problems,
            "metrics_compared": check.compared,
            "metrics_not_reported_by_engine": check.not_reported,
            "engine_metrics_not_checked": check.unchecked,
            "expected_outcomes_from_b": ["Passed" if e else "Failed" for e in expected],
            "engine_outcomes": a_outcomes,
        },
    }
    results_dir = Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"dq_bench-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(doc, indent=2, default=str))
    print(f"results: {out}")

    if problems or any(c.error and c.runs for c in contenders) or (a.error and evaluate_ruleset):
        return 1
    if any(c.error for c in contenders):
        return 2
    missed = (a_b is not None and a_b > TARGET_A_B) or (a_c is not None and a_c >= TARGET_A_C)
    return 3 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
