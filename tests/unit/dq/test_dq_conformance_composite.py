"""Conformance: composite rules (DATASET vs ROW evaluation, nesting), labels, rules the engine
refuses (before any Spark job), analyzers and dynamic rules over a metrics history.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

import pytest
from test_dq_conformance_support import NOW, batch_fixture, case, check, frame, small_plans

from lakehouse.dq import evaluator
from lakehouse.dq.evaluator import UnsupportedRuleError, evaluate_ruleset
from lakehouse.dq.history import JsonLinesHistory

pytestmark = pytest.mark.spark
__all__ = ["small_plans"]

C = "id int, a int, b string"
ROWS = [(1, 1, "x"), (2, None, "y"), (3, 3, None)]
FRAMES = {"c": (C, ROWS)}
TWO_THIRDS = {"Column.a.Completeness": 2 / 3, "Column.b.Completeness": 2 / 3}

DATASET_CASES = [
    # each operand over the whole dataset, then AND/OR; metrics merged, failing reasons joined
    case("c", '(IsComplete "a") or (IsComplete "b")', "Failed", TWO_THIRDS, "Value: 0.6666666666666666"),
    case("c", '(IsComplete "id") and (RowCount = 3)', "Passed", {"Column.id.Completeness": 1.0, "Dataset.*.RowCount": 3.0}),
    case("c", '(IsComplete "a") and (RowCount = 3)', "Failed", {"Column.a.Completeness": 2 / 3, "Dataset.*.RowCount": 3.0}),
    case("c", '(ColumnValues "a" > 0) or (ColumnValues "a" = NULL)', "Failed"),
    case("c", '(RowCount > 0) and ((IsComplete "a") or (IsComplete "id"))', "Passed"),
    case("c", '((IsComplete "a") and (IsComplete "b")) or (RowCount = 3)', "Passed"),
    case("c", '(RowCount > 5) or (Mean "a" > 5)', "Failed", {"Dataset.*.RowCount": 3.0, "Column.a.Mean": 2.0}, "Value: 3.0 does not meet the constraint requirement!\nValue: 2.0"),
    case("c", '(IsComplete "nope") or (RowCount = 3)', "Passed"),
    case("c", '(IsComplete "nope") and (RowCount = 3)', "Failed", None, "Column nope does not exist"),
    case("c", 'IsComplete "a"', "Failed", {"Column.a.Completeness": 2 / 3}),
]  # fmt: skip

ROW_CASES = [
    # every row must pass the AND/OR of its operands; dataset-level operands count on every row
    case("c", '(IsComplete "a") or (IsComplete "b")', "Passed", TWO_THIRDS),
    case("c", '(ColumnValues "a" > 0) or (ColumnValues "a" = NULL)', "Passed"),
    case("c", '(IsComplete "a") and (RowCount = 3)', "Failed", None, "Value: 0.6666666666666666 does not meet"),
    case("c", '(IsComplete "a") or (RowCount = 3)', "Passed"),
    case("c", '(IsComplete "a") and (RowCount > 3)', "Failed", None, "Value: 0.0"),
    case("c", '(ColumnValues "a" > 2 where "id = 3") and (IsComplete "b" where "id < 3")', "Passed"),
    case("c", '(IsUnique "id") and (ColumnValues "a" > 0)', "Failed", None, "Value: 0.6666666666666666"),
    case("c", '(IsUnique "id") or (ColumnValues "a" > 0)', "Passed"),
    case("c", '(IsPrimaryKey "id") and (ColumnValues "b" in ["x", "y", NULL])', "Passed"),
    case("c", '(CustomSql "select id from primary where a is not null") or (IsComplete "a")', "Failed"),
    case("c", '(CustomSql "select id from primary where a is not null") or (ColumnValues "b" = "y")', "Passed"),
    case("c", '(ColumnDataType "b" = "Boolean") or (IsComplete "b")', "Failed"),
    case("c", '((IsComplete "a") or (IsComplete "b")) and (ColumnValues "id" <= 3)', "Passed"),
    case("c", '(RowCount > 0) and (ColumnCount = 3) and (IsComplete "id") and (RowCount < 10) and (Mean "id" = 2) and (Sum "id" = 6)', "Passed"),
    case("c", '(RowCount > 0) and (ColumnCount = 3) and (IsComplete "a") and (RowCount < 10) and (Mean "id" = 2) and (Sum "id" = 6)', "Failed"),
    case("c", '(IsComplete "nope") or (IsComplete "a")', "Failed", None, "Column nope does not exist"),
    case("c", 'IsComplete "a"', "Failed", {"Column.a.Completeness": 2 / 3}),  # not a composite
]  # fmt: skip

dataset_outcome = batch_fixture(FRAMES, DATASET_CASES)
row_outcome = batch_fixture(FRAMES, ROW_CASES, composite_mode="ROW")


@pytest.mark.parametrize(("data", "rule", "outcome", "metrics", "reason"), DATASET_CASES)
def test_composite_dataset_mode(dataset_outcome, data, rule, outcome, metrics, reason):
    check(dataset_outcome(data, rule), outcome, metrics, reason)


@pytest.mark.parametrize(("data", "rule", "outcome", "metrics", "reason"), ROW_CASES)
def test_composite_row_mode(row_outcome, data, rule, outcome, metrics, reason):
    check(row_outcome(data, rule), outcome, metrics, reason)


def test_composite_outcome_is_one_outcome_with_the_composite_text(dataset_outcome):
    result = dataset_outcome("c", '(RowCount > 0) and ((IsComplete "a") or (IsComplete "id"))')
    assert result.rule == '(RowCount > 0) AND ((IsComplete "a") OR (IsComplete "id"))'


# --------------------------------------------------------------------------- labels


def test_default_labels_merge_with_rule_labels_and_the_rule_wins(spark):
    ruleset = """
    DefaultLabels = ["team"="dq", "severity"="high"]
    Rules = [
      RowCount > 0,
      IsComplete "a" labels=["severity"="low", "owner"="ana"],
      ((IsComplete "id") and (RowCount > 0)) labels=["kind"="composite"]
    ]
    """
    result = evaluate_ruleset(frame(spark, C, ROWS), ruleset, now=NOW)
    assert [o.labels for o in result.outcomes] == [
        {"team": "dq", "severity": "high"},
        {"team": "dq", "severity": "low", "owner": "ana"},
        {"team": "dq", "severity": "high", "kind": "composite"},
    ]
    assert result.to_json()["outcomes"][1]["Labels"]["owner"] == "ana"


# --------------------------------------------------------------------------- refused rules


def jobs_run_by(spark, action) -> list[int]:
    """Spark job ids started while ``action`` ran (it may raise)."""
    sc = spark.sparkContext
    group = f"dq-test-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "refusal test")
    try:
        action()
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    return list(sc.statusTracker().getJobIdsForGroup(group))


UNSUPPORTED = [
    ('Rules = [ RowCount > 0,\n  FileSize "s3://bucket/key" < 5 GB ]', ["line 2, column 3", "FileSize", "S3 object metadata"]),
    ('Rules = [ FileFreshness "s3://bucket/p/" > (now() - 1 days) ]', ["FileFreshness"]),
    ('Rules = [ FileMatch "s3://a/x" in ["0f343b0931126a20f133d67c2b018a3b"] with hashAlgorithm = "MD5" ]', ["FileMatch"]),
    ('Rules = [ FileUniqueness "s3://bucket/p/" > 0.9 ]', ["FileUniqueness"]),
    ('Rules = [ DetectAnomalies "RowCount" ]', ["DetectAnomalies", "history"]),
    ('Rules = [ RowCount > 0 ]\nAnalyzers = [ Distribution "a" ]', ["line 2", "Distribution", "not a scalar metric"]),
    ('Rules = [ (RowCount > 0) or (FileSize "s3://b/k" > 1 KB) ]', ["FileSize"]),
]  # fmt: skip


@pytest.mark.parametrize(("ruleset", "expected"), UNSUPPORTED)
def test_unsupported_rules_are_refused_before_any_spark_job(spark, monkeypatch, ruleset, expected):
    def no_metrics(*args, **kwargs):
        raise AssertionError("compute_metrics must not run")

    monkeypatch.setattr(evaluator, "compute_metrics", no_metrics)
    df = frame(spark, C, ROWS)
    caught: list[UnsupportedRuleError] = []

    def run():
        with pytest.raises(UnsupportedRuleError) as info:
            evaluate_ruleset(df, ruleset, now=NOW)
        caught.append(info.value)

    assert jobs_run_by(spark, run) == []
    message = str(caught[0])
    for text in expected:
        assert text in message, message


def test_every_unsupported_rule_is_listed_with_its_position(spark):
    ruleset = (
        "Rules = [\n"
        "  RowCount > 0,\n"
        '  FileSize "s3://b/k" < 5 GB,\n'
        '  DetectAnomalies "RowCount"\n'
        "]\n"
        'Analyzers = [ Distribution "a" ]\n'
    )
    with pytest.raises(UnsupportedRuleError) as info:
        evaluate_ruleset(frame(spark, C, ROWS), ruleset)
    where = [(rule.line, rule.column, rule.rule_type) for rule, _ in info.value.problems]
    assert where == [(3, 3, "FileSize"), (4, 3, "DetectAnomalies"), (6, 15, "Distribution")]


ROW_REFUSED = [
    '(Completeness "a" > 0.5) or (IsComplete "b")',
    '(Uniqueness "id" = 1) and (RowCount > 0)',
    '(ReferentialIntegrity "a" "r.x" = 1) or (RowCount > 0)',
    '(DatasetMatch "r" "id" = 1) or (RowCount > 0)',
    '(ColumnValues "a" > 0 with threshold > 0.5) and (RowCount > 0)',
    '(ColumnDataType "b" = "Date" with threshold > 0.5) or (RowCount > 0)',
    '(CustomSql "select id from primary" with threshold > 0.5) or (RowCount > 0)',
]


@pytest.mark.parametrize("rule", ROW_REFUSED)
def test_row_mode_refuses_what_glue_refuses(spark, rule):
    df = frame(spark, C, ROWS)
    action = lambda: evaluate_ruleset(df, f"Rules = [ {rule} ]", composite_mode="ROW")  # noqa: E731
    with pytest.raises(UnsupportedRuleError, match="per row"):
        action()


def test_row_mode_refusals_only_concern_composites(spark):
    singles = 'Rules = [ Completeness "a" > 0.5, ColumnValues "a" > 0 with threshold > 0.5 ]'
    result = evaluate_ruleset(frame(spark, C, ROWS), singles, composite_mode="ROW")
    assert [o.outcome for o in result.outcomes] == ["Passed", "Passed"]


# --------------------------------------------------------------------------- analyzers


def test_analyzers_report_metrics_and_no_outcomes(spark):
    ruleset = """
    Rules = [ RowCount > 0 ]
    Analyzers = [
      RowCount, ColumnCount, Completeness "a", Uniqueness "id", DistinctValuesCount "b",
      Entropy "b", Mean "a", Sum "a", StandardDeviation "a", Variance "a", UniqueValueRatio "b",
      ColumnCorrelation "id" "a", ColumnValues "a", ColumnLength "b", AllStatistics "b"
    ]
    """
    result = evaluate_ruleset(frame(spark, C, ROWS), ruleset, now=NOW)
    assert [o.rule for o in result.outcomes] == ["RowCount > 0"]
    expected = {
        "Dataset.*.RowCount": 3.0,
        "Dataset.*.ColumnCount": 3.0,
        "Column.a.Completeness": 2 / 3,
        "Column.id.Uniqueness": 1.0,
        "Column.b.DistinctValuesCount": 3.0,
        "Column.b.Entropy": math.log(2),
        "Column.a.Mean": 2.0,
        "Column.a.Sum": 4.0,
        "Column.a.StandardDeviation": 1.0,
        "Column.a.Variance": 1.0,
        "Column.b.UniqueValueRatio": 1.0,
        "Multicolumn.id,a.ColumnCorrelation": 1.0,
        "Column.a.Minimum": 1.0,
        "Column.a.Maximum": 3.0,
        "Column.b.MinimumLength": 0.0,
        "Column.b.MaximumLength": 1.0,
        "Column.b.Completeness": 2 / 3,
        "Column.b.Uniqueness": 1.0,
    }
    assert result.analyzer_metrics == pytest.approx(expected)


def test_analyzers_alone_and_all_columns(spark):
    result = evaluate_ruleset(
        frame(spark, C, ROWS), "Rules = []\nAnalyzers = [ AllStatistics AllColumns ]"
    )
    assert result.outcomes == [] and result.score == 1.0 and result.passed
    metrics = result.analyzer_metrics
    assert metrics["Column.id.Mean"] == 2.0 and metrics["Column.a.Maximum"] == 3.0
    assert metrics["Column.b.MaximumLength"] == 1.0 and metrics["Dataset.*.RowCount"] == 3.0


# --------------------------------------------------------------------------- dynamic rules


def test_dynamic_rules_read_and_grow_the_history(spark, tmp_path):
    history = JsonLinesHistory(tmp_path)
    ruleset = """
    Rules = [
      RowCount > avg(last(3)) * 0.5,
      RowCount between min(last(3)) * 0.9 and max(last(3)) * 1.1,
      Completeness "a" >= max(last(2)),
      CustomSql "select count(*) from primary" >= index(last(2), 0),
      RowCount > index(last(5), 3)
    ]
    """
    full, one = frame(spark, C, ROWS), frame(spark, C, ROWS[:1])

    def run(df, day: int) -> list[str]:
        result = evaluate_ruleset(
            df,
            ruleset,
            history=history,
            ruleset_name="orders",
            dataset_name="silver",
            now=dt.datetime(2024, 3, day, 12),
            run_id=f"run-{day}",
        )
        return [o.outcome for o in result.outcomes]

    # no history: last() is 0.0, so "> 0" passes and "between 0 and 0" fails
    assert run(full, 1) == ["Passed", "Failed", "Passed", "Passed", "Passed"]
    # history [3]: 1 > 1.5 fails, 1 not in (2.7, 3.3), 1.0 >= 0.67, 1 >= 3 fails
    assert run(one, 2) == ["Failed", "Failed", "Passed", "Failed", "Failed"]
    # history [1, 3]: index(last(5), 3) needs 4 past values and cannot be evaluated
    assert run(full, 3) == ["Passed", "Passed", "Failed", "Passed", "Failed"]
    assert history.last("orders", "silver", "Dataset.*.RowCount", 5) == [3.0, 1.0, 3.0]
    assert history.last("orders", "silver", "Dataset.*.CustomSQL", 1) == [3.0]
