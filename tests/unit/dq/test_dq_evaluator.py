"""The evaluator as a whole: ruleset order and score, the fused plan (ONE compute_metrics call,
at most two Spark queries for all metric rules), scan-free schema rules, row-level outcomes,
isolation of concurrent CustomSql evaluations, history recording and argument checks.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import uuid

import pytest
from test_dq_conformance_support import NOW, frame, small_plans

from lakehouse.dq import evaluator
from lakehouse.dq.evaluator import evaluate_ruleset
from lakehouse.dq.history import JsonLinesHistory
from lakehouse.dq.metric_requests import Completeness, RowCount, Sum
from lakehouse.dq.parser import DqdlSyntaxError, parse
from lakehouse.dq.translators import java_double, not_met

pytestmark = pytest.mark.spark
__all__ = ["small_plans"]

SCHEMA = "id int, a int, b string, ts timestamp"
ROWS = [
    (1, 1, "x", dt.datetime(2024, 3, 1, 11)),
    (2, None, "y", dt.datetime(2024, 2, 1)),
    (2, 3, None, None),
]


@pytest.fixture(scope="module")
def df(spark):
    return frame(spark, SCHEMA, ROWS)


def jobs_run_by(spark, action):
    """(result of action, number of Spark jobs it started)."""
    sc = spark.sparkContext
    group = f"dq-test-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "job count")
    try:
        result = action()
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    return result, len(sc.statusTracker().getJobIdsForGroup(group))


# --------------------------------------------------------------------------- shape


def test_outcomes_follow_ruleset_order_and_score_is_the_share_passed(df):
    result = evaluate_ruleset(
        df,
        'Rules = [ RowCount = 3, IsComplete "a", IsUnique "id", ColumnExists "b" ]',
        now=NOW,
    )
    assert [o.rule for o in result.outcomes] == [
        "RowCount = 3",
        'IsComplete "a"',
        'IsUnique "id"',
        'ColumnExists "b"',
    ]
    assert [o.outcome for o in result.outcomes] == ["Passed", "Failed", "Failed", "Passed"]
    assert result.score == 0.5 and result.passed is False
    assert [o.rule for o in result.failed] == ['IsComplete "a"', 'IsUnique "id"']
    doc = result.to_json()
    assert doc["outcomes"][1] == {
        "Rule": 'IsComplete "a"',
        "Outcome": "Failed",
        "FailureReason": "Value: 0.6666666666666666 does not meet the constraint requirement!",
        "EvaluatedMetrics": {"Column.a.Completeness": 2 / 3},
        "Labels": {},
    }
    assert result.engine == "lakehouse"


def test_a_parsed_ruleset_is_accepted_and_bad_text_raises_before_evaluating(spark, df):
    assert evaluate_ruleset(df, parse("Rules = [ RowCount = 3 ]")).passed
    with pytest.raises(DqdlSyntaxError):
        evaluate_ruleset(df, 'Rules = [ IsCompletee "a" ]')


@pytest.mark.parametrize("options", [{"composite_mode": "COLUMN"}, {"filtered_row_label": "MAYBE"}])
def test_bad_options_are_rejected(df, options):
    with pytest.raises(ValueError):
        evaluate_ruleset(df, "Rules = [ RowCount > 0 ]", **options)


def test_failure_reasons_print_numbers_as_java_does():
    assert [java_double(v) for v in (0.93, 1.0, 5, 1e7, 1.5e-5, -0.25, 123456.5)] == [
        "0.93", "1.0", "5.0", "1.0E7", "1.5E-5", "-0.25", "123456.5",
    ]  # fmt: skip
    assert [java_double(v) for v in (math.nan, math.inf, -math.inf)] == [
        "NaN", "Infinity", "-Infinity",
    ]  # fmt: skip
    assert not_met(0.93) == "Value: 0.93 does not meet the constraint requirement!"
    assert not_met(None) == "Value: NULL does not meet the constraint requirement!"


# --------------------------------------------------------------------------- fused plan

MANY = """
Rules = [
  RowCount > 0,
  RowCount > 0 where "a > 0",
  IsComplete "a",
  Completeness "a" > 0.5,
  Completeness "a" > 0.5 where "id > 1",
  IsUnique "id",
  IsPrimaryKey "id",
  Uniqueness "id" "b" > 0.5 where "a > 0",
  DistinctValuesCount "b" > 1,
  Entropy "b" > 0,
  ColumnValues "a" > 0,
  ColumnValues "b" in ["x", "y"] with threshold > 0.5,
  ColumnLength "b" <= 1,
  Mean "a" between 1 and 3,
  StandardDeviation "a" < 5,
  DataFreshness "ts" <= 1 days where "ts is not null",
  ColumnDataType "b" = "Integer" with threshold < 0.5,
  (IsComplete "a") or (ColumnValues "id" > 1),
  ColumnCount = 4,
  ColumnExists "a"
]
Analyzers = [ Completeness "b", AllStatistics "a" ]
"""


def test_every_metric_of_every_rule_comes_from_one_compute_metrics_call(df, monkeypatch):
    calls = []
    real = evaluator.compute_metrics

    def spy(frame_, requests):
        calls.append(list(requests))
        return real(frame_, requests)

    monkeypatch.setattr(evaluator, "compute_metrics", spy)
    result = evaluate_ruleset(df, MANY, now=NOW)
    assert len(calls) == 1
    requests = calls[0]
    assert len(requests) == len(set(requests)), "identical requests are asked for once"
    assert requests.count(Completeness("a")) == 1  # IsComplete and Completeness share it
    assert RowCount(where="a > 0") in requests
    assert len(result.outcomes) == 20 and result.analyzer_metrics


def test_the_fused_ruleset_runs_two_spark_queries(spark, df):
    """One aggregate query and one frequency query (one job each without adaptive execution),
    whatever the number of rules and where clauses."""
    result, jobs = jobs_run_by(spark, lambda: evaluate_ruleset(df, MANY, now=NOW))
    assert jobs == 2
    assert result.outcomes[0].passed


def test_composites_per_row_ride_in_the_fused_scan(spark, df):
    ruleset = (
        'Rules = [ (IsComplete "a") or (IsComplete "b"), '
        '(ColumnValues "a" > 0) or ((RowCount > 5) and (ColumnValues "b" = "y")) ]'
    )
    result, jobs = jobs_run_by(
        spark, lambda: evaluate_ruleset(df, ruleset, composite_mode="ROW", now=NOW)
    )
    assert [o.outcome for o in result.outcomes] == ["Passed", "Failed"]
    assert jobs == 1  # aggregates only: no frequency table is needed


def test_schema_rules_start_no_spark_job(spark, df):
    ruleset = """
    Rules = [
      ColumnExists "a", ColumnCount = 4, ColumnNamesMatchPattern "[a-z]+", SchemaMatch "ref" = 1.0
    ]
    Analyzers = [ ColumnCount ]
    """
    result, jobs = jobs_run_by(
        spark, lambda: evaluate_ruleset(df, ruleset, references={"ref": df}, now=NOW)
    )
    assert jobs == 0
    assert result.passed and result.analyzer_metrics == {"Dataset.*.ColumnCount": 4.0}


def test_reference_aggregates_share_one_query_and_primary_parts_ride_along(spark, df, monkeypatch):
    ref = frame(spark, "id int, a int", [(1, 2), (2, 2)])
    calls = []
    real = evaluator.compute_metrics
    monkeypatch.setattr(
        evaluator, "compute_metrics", lambda d, r: calls.append(list(r)) or real(d, r)
    )
    ruleset = """
    Rules = [
      RowCountMatch "ref" = 1.5,
      AggregateMatch "sum(a)" "sum(ref.a)" = 1.0,
      AggregateMatch "avg(id)" "avg(ref.id)" > 1
    ]
    """
    result, jobs = jobs_run_by(
        spark, lambda: evaluate_ruleset(df, ruleset, references={"ref": ref}, now=NOW)
    )
    assert [o.outcome for o in result.outcomes] == ["Passed", "Passed", "Passed"]
    assert RowCount() in calls[0] and Sum("a") in calls[0]
    assert jobs == 2  # the fused primary scan + one query over the reference


# --------------------------------------------------------------------------- row level

ROW_RULES = """
Rules = [
  IsComplete "a",
  IsUnique "id",
  ColumnValues "b" in ["x", "y"] where "id < 2",
  RowCount > 0,
  (IsComplete "a") or (IsComplete "b"),
  IsComplete "nope",
  IsPrimaryKey "id" where "a is not null"
]
"""
DQ = ["DataQualityRulesPass", "DataQualityRulesFail", "DataQualityRulesSkip"]


def _rows(result):
    rows = result.row_level.orderBy("b").collect()
    return [
        (set(r[DQ[0]]), set(r[DQ[1]]), set(r[DQ[2]]), r["DataQualityEvaluationResult"])
        for r in rows
    ]


def test_row_level_outcomes(spark, df):
    result = evaluate_ruleset(df, ROW_RULES, row_level=True, now=NOW)
    assert result.row_level.columns == [
        "id", "a", "b", "ts", *DQ, "DataQualityEvaluationResult",
    ]  # fmt: skip
    complete, unique = 'IsComplete "a"', 'IsUnique "id"'
    values = 'ColumnValues "b" in ["x","y"] where "id < 2"'
    either, pk = '(IsComplete "a") OR (IsComplete "b")', 'IsPrimaryKey "id" where "a is not null"'
    dataset_level = {"RowCount > 0", 'IsComplete "nope"'}  # no row meaning / not evaluated
    rows = _rows(result)
    # b = NULL: id 2 twice, a = 3; filtered out of the ColumnValues rule (id < 2 is false)
    assert rows[0] == ({complete, values, either, pk}, {unique}, dataset_level, "Failed")
    # b = x: id 1
    assert rows[1] == ({complete, unique, values, either, pk}, set(), dataset_level, "Passed")
    # b = y: a NULL, id 2 duplicated; outside the primary key's where clause
    assert rows[2] == ({values, either, pk}, {complete, unique}, dataset_level, "Failed")


def test_rows_outside_where_can_be_skipped(spark, df):
    result = evaluate_ruleset(df, ROW_RULES, row_level=True, filtered_row_label="SKIPPED", now=NOW)
    values, pk = (
        'ColumnValues "b" in ["x","y"] where "id < 2"',
        'IsPrimaryKey "id" where "a is not null"',
    )
    skipped = [row[2] for row in _rows(result)]
    assert values in skipped[0] and values not in skipped[1] and values in skipped[2]
    assert pk in skipped[2] and pk not in skipped[0]


def test_row_level_frame_is_one_query(spark, df):
    result = evaluate_ruleset(df, ROW_RULES, row_level=True, now=NOW)
    rows, jobs = jobs_run_by(spark, lambda: result.row_level.collect())
    assert len(rows) == 3 and jobs == 1


def test_row_level_custom_sql_and_row_mode_composites(spark, df):
    ruleset = """
    Rules = [
      CustomSql "select id, a from primary where a > 2",
      (IsUnique "id") or (ColumnValues "a" = 1),
      (RowCount > 0) and (IsComplete "b")
    ]
    """
    result = evaluate_ruleset(df, ruleset, row_level=True, composite_mode="ROW", now=NOW)
    assert [o.outcome for o in result.outcomes] == ["Failed", "Failed", "Failed"]
    sql, unique_or_one, count_and_b = (o.rule for o in result.outcomes)
    passed = {r["b"]: set(r["DataQualityRulesPass"]) for r in result.row_level.collect()}
    assert passed == {
        None: {sql},
        "x": {unique_or_one, count_and_b},
        "y": {count_and_b},
    }


def test_a_ruleset_without_row_rules_passes_every_row(df):
    result = evaluate_ruleset(df, "Rules = [ RowCount > 5 ]", row_level=True)
    rows = result.row_level.collect()
    assert {r["DataQualityEvaluationResult"] for r in rows} == {"Passed"}
    assert all(r["DataQualityRulesSkip"] == ["RowCount > 5"] for r in rows)
    assert not result.passed


# --------------------------------------------------------------------------- isolation, clock, history


def test_concurrent_evaluations_see_their_own_primary(spark):
    frames = {n: frame(spark, "v int", [(i,) for i in range(n)]) for n in (2, 5)}
    results: dict[int, object] = {}

    def run(n: int) -> None:
        results[n] = evaluate_ruleset(
            frames[n], f'Rules = [ CustomSql "select count(*) from primary" = {n} ]'
        )

    threads = [threading.Thread(target=run, args=(n,)) for n in frames]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n].passed for n in frames), {n: r.outcomes for n, r in results.items()}


def test_now_is_injectable(df):
    rule = 'Rules = [ DataFreshness "ts" <= 2 hours where "id = 1" ]'
    assert evaluate_ruleset(df, rule, now=dt.datetime(2024, 3, 1, 12)).passed
    assert not evaluate_ruleset(df, rule, now=dt.datetime(2024, 3, 2, 12)).passed
    aware = dt.datetime(2024, 3, 1, 13, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert evaluate_ruleset(df, rule, now=aware).passed  # 12:00 UTC


def test_history_records_rule_and_analyzer_metrics(df, tmp_path):
    history = JsonLinesHistory(tmp_path)
    evaluate_ruleset(
        df,
        'Rules = [ RowCount > 0, IsComplete "a" ]\nAnalyzers = [ Mean "a" ]',
        history=history,
        ruleset_name="rs",
        dataset_name="ds",
        now=NOW,
        run_id="run-1",
    )
    (line,) = (tmp_path / "rs" / "ds.jsonl").read_text().splitlines()
    assert '"run_id": "run-1"' in line
    assert history.last("rs", "ds", "Dataset.*.RowCount", 3) == [3.0]
    assert history.last("rs", "ds", "Column.a.Completeness", 3) == [2 / 3]
    assert history.last("rs", "ds", "Column.a.Mean", 3) == [2.0]
