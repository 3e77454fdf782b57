"""Helpers shared by the DQ conformance, evaluator and property tests (no tests in here).

* ``frame(spark, "a int, b string", rows)``: a local JVM-side relation (``SELECT ... FROM VALUES``),
  so scans need no Python worker;
* ``small_plans``: a module fixture factory setting one shuffle partition and no adaptive
  execution for tiny frames (and restoring the settings);
* ``case`` / ``check`` / ``batch_fixture``: one-line conformance cases, evaluated per frame in
  ONE ``evaluate_ruleset`` call.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from lakehouse.dq.conditions import sql_string
from lakehouse.dq.evaluator import evaluate_ruleset

NOW = dt.datetime(2024, 3, 1, 12, 0, 0)


# --------------------------------------------------------------------------- helpers


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"CAST('{value!r}' AS DOUBLE)"
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE'{value.isoformat()}'"
    return sql_string(str(value))


def frame(spark, schema: str, rows: list[tuple]) -> Any:
    """A local (JVM-side) relation: no Python worker is needed to scan it."""
    fields = [f.strip().split(" ", 1) for f in schema.split(",")]
    columns = ", ".join(f"CAST(c{i} AS {t}) AS `{n}`" for i, (n, t) in enumerate(fields))
    names = ", ".join(f"c{i}" for i in range(len(fields)))
    body = rows or [tuple(None for _ in fields)]
    values = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in body)
    where = "" if rows else " WHERE false"
    return spark.sql(f"SELECT {columns} FROM VALUES {values} AS t({names}){where}")


def tune_small_plans(spark):
    """Tiny frames: one shuffle partition, no adaptive re-planning (restored afterwards)."""
    keys = {"spark.sql.shuffle.partitions": "1", "spark.sql.adaptive.enabled": "false"}
    old = {k: spark.conf.get(k) for k in keys}
    for k, v in keys.items():
        spark.conf.set(k, v)
    return old


def restore(spark, old: dict) -> None:
    for k, v in old.items():
        spark.conf.set(k, v)


@pytest.fixture(scope="module", autouse=True)
def small_plans(spark):
    old = tune_small_plans(spark)
    yield
    restore(spark, old)


def case(
    data: str, rule: str, outcome: str, metrics: dict | None = None, reason: str | None = None
):
    return pytest.param(data, rule, outcome, metrics, reason, id=f"{data}: {rule}")


def check(result, outcome: str, metrics: dict | None, reason: str | None) -> None:
    context = (result.rule, result.failure_reason, result.evaluated_metrics)
    assert result.outcome == outcome, context
    if metrics is not None:
        assert set(result.evaluated_metrics) == set(metrics), context
        for name, value in metrics.items():
            got = result.evaluated_metrics[name]
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(got), context
            else:
                assert got == pytest.approx(value, rel=1e-9, abs=1e-12), context
    if reason is not None:
        assert reason in (result.failure_reason or ""), context
    if outcome == "Passed":
        assert result.failure_reason is None, context
    else:
        assert result.failure_reason, context


def batch_fixture(frames: dict, cases: list, references: dict | None = None, **options: Any):
    """A module fixture ``outcome_of(frame, rule)``: all cases of a frame evaluated in ONE call.

    ``references``: alias -> (schema, rows) reference frames passed to every evaluation.
    """

    @pytest.fixture(scope="module")
    def outcome_of(spark):
        cache: dict[str, dict[str, Any]] = {}
        refs = {alias: frame(spark, *spec) for alias, spec in (references or {}).items()}

        def get(data: str, rule: str):
            if data not in cache:
                rules = list(dict.fromkeys(c.values[1] for c in cases if c.values[0] == data))
                ruleset = "Rules = [\n  " + ",\n  ".join(rules) + "\n]"
                result = evaluate_ruleset(
                    frame(spark, *frames[data]), ruleset, references=refs, now=NOW, **options
                )
                cache[data] = dict(zip(rules, result.outcomes, strict=True))
            return cache[data][rule]

        return get

    return outcome_of
