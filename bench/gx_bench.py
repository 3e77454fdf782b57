"""Great Expectations side of the data-quality benchmark (contender c).

Runs with the GX venv's python (``.tools/gx-venv/bin/python``, see ``bench/requirements-gx.txt``),
never with the project venv: ``bench/dq_bench.py`` starts it as a subprocess and reads the JSON it
writes. It needs nothing from the project; only the benchmark's Parquet files and a Java 17
(``JAVA_HOME``, passed on by the driver).

GX Core 1.x on its **Spark** datasource (``context.data_sources.add_spark``), on its own local
SparkSession with the same settings as the project's (``local[*]``, 4 shuffle partitions, UTC,
4g driver). ``persist=False``: GX's Spark datasource caches the batch by default, which would let
later repeats skip the Parquet scan that the other contenders pay on every run.

What is timed: ``ValidationDefinition.run(..., result_format="BOOLEAN_ONLY")`` on an already
created DataFrame (``spark.read.parquet`` is lazy), best of ``--repeat`` runs, after one warm-up
run on the small warm-up Parquet. SparkSession start and GX context/suite set-up are reported
separately.

The expectations mirror ``bench/dq_bench_ruleset.dqdl`` rule by rule (``EXPECTATIONS``); each
carries ``meta={"rule": n, "match": ...}`` with the DQDL rule number and how close it is:
``exact``, ``approx`` (same idea, a different metric or NULL/bound semantics) or, for rules GX
cannot express, no expectation at all (``NO_EQUIVALENT``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from bench_domains import COUNTRIES, STATUSES

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no network here, and none wanted

EMAIL_REGEX = "^[a-z0-9._]+@example[.]com$"  # DQDL `matches` is anchored; GX's regex is not

# DQDL rules (1-based, as in bench/dq_bench_ruleset.dqdl) with no GX Core expectation at all.
NO_EQUIVALENT: dict[int, str] = {
    22: 'Entropy "category" > 1.5 (GX Core has no entropy expectation)',
    23: 'ColumnCorrelation "amount" "discount" > 0.5 (GX Core has no correlation expectation)',
}


def build_expectations() -> list[Any]:
    """The suite: one or more expectations per DQDL rule that GX can express."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    def m(rule: int, match: str, note: str = "") -> dict[str, Any]:
        return {"rule": rule, "match": match, "note": note}

    return [
        gxe.ExpectTableRowCountToBeBetween(
            min_value=10000,
            max_value=5000000,
            strict_min=True,
            strict_max=True,
            meta=m(1, "exact"),
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="order_id", meta=m(2, "exact")),
        gxe.ExpectColumnValuesToNotBeNull(column="status", meta=m(3, "exact")),
        gxe.ExpectColumnValuesToNotBeNull(column="created_at", meta=m(4, "exact")),
        gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(
            column="customer_id", min_value=0.98, strict_min=True, meta=m(5, "exact")
        ),
        gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(
            column="amount", min_value=0.999, strict_min=True, meta=m(6, "exact")
        ),
        gxe.ExpectColumnValuesToBeUnique(column="order_id", meta=m(7, "exact")),
        # IsPrimaryKey = unique and complete: two expectations
        gxe.ExpectColumnValuesToBeUnique(column="order_id", meta=m(8, "exact", "unique part")),
        gxe.ExpectColumnValuesToNotBeNull(column="order_id", meta=m(8, "exact", "complete part")),
        gxe.ExpectColumnValuesToBeUnique(
            column="tracking_code",
            mostly=0.95,
            meta=m(9, "approx", "mostly is >=, DQDL's > is strict"),
        ),
        gxe.ExpectColumnUniqueValueCountToBeBetween(
            column="status",
            min_value=4,
            max_value=10,
            strict_min=True,
            strict_max=True,
            meta=m(10, "exact"),
        ),
        gxe.ExpectColumnUniqueValueCountToBeBetween(
            column="category", min_value=12, max_value=12, meta=m(11, "exact")
        ),
        gxe.ExpectColumnProportionOfUniqueValuesToBeBetween(
            column="email",
            max_value=0.2,
            strict_max=True,
            meta=m(
                12,
                "approx",
                "GX's proportion is distinct/non-null; DQDL UniqueValueRatio is singletons/distinct",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="status",
            value_set=STATUSES,
            mostly=0.99,
            meta=m(13, "approx", "mostly is >= over non-NULL rows; DQDL > over all rows"),
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="email", regex=EMAIL_REGEX, meta=m(14, "approx", "GX skips NULLs")
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="quantity",
            min_value=0,
            max_value=21,
            strict_min=True,
            strict_max=True,
            meta=m(15, "approx", "GX skips NULLs"),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="amount",
            min_value=0,
            meta=m(16, "approx", "GX skips NULLs; DQDL fails them"),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="amount",
            min_value=0,
            mostly=0.99,
            meta=m(17, "approx", "GX's share is over non-NULL rows, DQDL's over all rows"),
        ),
        gxe.ExpectColumnValueLengthsToEqual(column="country", value=2, meta=m(18, "exact")),
        gxe.ExpectColumnMeanToBeBetween(
            column="amount",
            min_value=200,
            max_value=300,
            strict_min=True,
            strict_max=True,
            meta=m(19, "exact"),
        ),
        gxe.ExpectColumnSumToBeBetween(
            column="quantity", min_value=1000, strict_min=True, meta=m(20, "exact")
        ),
        gxe.ExpectColumnStdevToBeBetween(
            column="amount",
            max_value=200,
            strict_max=True,
            meta=m(21, "approx", "GX uses the sample stdev, DQDL the population stdev"),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="discount",
            max_value=0.5,
            row_condition=Column("status") == "PAID",
            meta=m(24, "approx", "GX skips NULLs"),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="country",
            value_set=COUNTRIES,
            mostly=0.999,
            meta=m(25, "approx", "mostly is >= over non-NULL rows; DQDL > over all rows"),
        ),
    ]


def start_spark(shuffle_partitions: str) -> Any:
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(os.environ.get("GX_BENCH_MASTER", "local[*]"))
        .appName("gx-bench")
        .config("spark.driver.memory", os.environ.get("LAKEHOUSE_DRIVER_MEMORY", "4g"))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", shuffle_partitions)
        .config("spark.sql.session.timeZone", "UTC")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run_validation(spark: Any, validation: Any, df: Any, group: str) -> tuple[float, Any, int]:
    """One timed validation run: (seconds, result, Spark jobs it triggered)."""
    sc = spark.sparkContext
    sc.setJobGroup(group, group)
    t0 = time.perf_counter()
    result = validation.run(batch_parameters={"dataframe": df}, result_format="BOOLEAN_ONLY")
    seconds = time.perf_counter() - t0
    sc.setLocalProperty("spark.jobGroup.id", None)
    time.sleep(0.3)  # let the listener bus record the last job
    jobs = len(sc.statusTracker().getJobIdsForGroup(group))
    return seconds, result, jobs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parquet", required=True, help="the benchmark data (a Parquet folder)")
    p.add_argument("--warmup-parquet", help="small Parquet for the untimed warm-up run")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", required=True, help="write the results here (JSON)")
    p.add_argument("--shuffle-partitions", default="4")
    args = p.parse_args(argv)

    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    spark = start_spark(args.shuffle_partitions)
    spark_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_spark(name="bench", persist=False)
    asset = source.add_dataframe_asset(name="orders")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add(gx.ExpectationSuite(name="bench", expectations=build_expectations()))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="bench", data=batch_definition, suite=suite)
    )
    setup_seconds = time.perf_counter() - t0

    warmup_seconds = None
    if args.warmup_parquet:
        warm = spark.read.parquet(args.warmup_parquet)
        warmup_seconds, _, _ = run_validation(spark, validation, warm, "gx-warmup")

    df = spark.read.parquet(args.parquet)
    runs: list[float] = []
    jobs: list[int] = []
    result = None
    for i in range(max(1, args.repeat)):
        seconds, result, n_jobs = run_validation(spark, validation, df, f"gx-run-{i}")
        runs.append(seconds)
        jobs.append(n_jobs)
        print(f"  gx run {i + 1}: {seconds:.2f}s, {n_jobs} Spark jobs", file=sys.stderr)

    expectations = []
    for r in result.results:
        config = r.expectation_config
        meta = dict(config.meta or {})
        expectations.append(
            {
                "rule": meta.get("rule"),
                "match": meta.get("match"),
                "note": meta.get("note"),
                "expectation": config.type,
                "success": bool(r.success),
                "error": (r.exception_info or {}).get("exception_message")
                if r.exception_info and r.exception_info.get("raised_exception")
                else None,
            }
        )
    out = {
        "gx_version": gx.__version__,
        "pyspark_version": spark.version,
        "datasource": "spark",
        "persist": False,
        "result_format": "BOOLEAN_ONLY",
        "spark_session_seconds": spark_seconds,
        "setup_seconds": setup_seconds,
        "warmup_seconds": warmup_seconds,
        "runs": runs,
        "jobs": jobs,
        "best": min(runs),
        "success": bool(result.success),
        "expectations": expectations,
        "no_equivalent": {str(k): v for k, v in NO_EQUIVALENT.items()},
    }
    Path(args.out).write_text(json.dumps(out, indent=2))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
