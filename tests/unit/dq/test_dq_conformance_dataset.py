"""Conformance: dataset-level rule types (RowCount, ColumnCount, schema rules, completeness,
the uniqueness family, statistics, correlation) on small frames, one case per line.

Each case is ``(frame, rule, outcome, metrics, reason)``: the outcome the documented semantics
require, the EXACT EvaluatedMetrics (Glue's names) when given, and a substring of the failure
reason when given. All cases of one frame are evaluated together in ONE ``evaluate_ruleset``
call (one fused scan), which is also what makes this suite fast.
"""

from __future__ import annotations

import math

import pytest
from test_dq_conformance_support import batch_fixture, case, check, small_plans

pytestmark = pytest.mark.spark
__all__ = ["small_plans"]  # autouse: tiny frames, one shuffle partition


# --------------------------------------------------------------------------- data

SCHEMA = "id int, k string, g string, x double, y double, z double, s string"
FRAMES = {
    "d": (
        SCHEMA,
        [
            (1, "a", "p", 1.0, 2.0, None, "one"),
            (2, "b", "p", 2.0, 4.0, None, "two"),
            (3, "b", "q", 3.0, 6.1, None, "three"),
            (4, None, "q", None, 8.0, None, "four"),
            (5, None, None, 5.0, 9.0, None, "five"),
        ],
    ),
    "empty": (SCHEMA, []),
}
# x = 1, 2, 3, NULL, 5: mean 2.75, sum 11, population variance 2.1875
STD_X = math.sqrt(2.1875)
RC = "Dataset.*.RowCount"

CASES = [
    # RowCount: every operator; RowCount = 0 still evaluates
    case("d", "RowCount = 5", "Passed", {RC: 5.0}),
    case("d", "RowCount > 5", "Failed", {RC: 5.0}, "Value: 5.0 does not meet the constraint requirement!"),
    case("d", "RowCount >= 5", "Passed", {RC: 5.0}),
    case("d", "RowCount < 5", "Failed", {RC: 5.0}),
    case("d", "RowCount <= 5", "Passed", {RC: 5.0}),
    case("d", "RowCount != 4", "Passed", {RC: 5.0}),
    case("d", "RowCount between 4 and 6", "Passed", {RC: 5.0}),
    case("d", "RowCount between 5 and 6", "Failed", {RC: 5.0}),  # exclusive
    case("d", "RowCount not between 5 and 6", "Passed", {RC: 5.0}),  # bounds pass
    case("d", "RowCount not between 4 and 6", "Failed", {RC: 5.0}),
    case("d", "RowCount in [4, 5]", "Passed", {RC: 5.0}),
    case("d", "RowCount not in [5]", "Failed", {RC: 5.0}),
    case("d", 'RowCount = 2 where "x > 2"', "Passed", {RC: 2.0}),
    case("d", 'RowCount = 0 where "id > 100"', "Passed", {RC: 0.0}),
    case("d", 'RowCount > 0 where "nope > 1"', "Failed", {}, "where clause"),
    case("empty", "RowCount = 0", "Passed", {RC: 0.0}),
    case("empty", "RowCount > 0", "Failed", {RC: 0.0}, "Value: 0.0 does not meet"),
    # ColumnCount / ColumnExists / ColumnNamesMatchPattern: schema only
    case("d", "ColumnCount = 7", "Passed", {"Dataset.*.ColumnCount": 7.0}),
    case("d", "ColumnCount > 7", "Failed", {"Dataset.*.ColumnCount": 7.0}, "Value: 7.0"),
    case("empty", "ColumnCount between 6 and 8", "Passed", {"Dataset.*.ColumnCount": 7.0}),
    case("d", 'ColumnExists "k"', "Passed", {}),
    case("d", 'ColumnExists "K"', "Passed", {}),  # Spark resolves names case-insensitively
    case("d", 'ColumnExists "nope"', "Failed", {}, "Column nope does not exist"),
    case("d", 'ColumnNamesMatchPattern "[a-z]+"', "Passed", {"Dataset.*.ColumnNamesPatternMatchRatio": 1.0}),
    case("d", 'ColumnNamesMatchPattern "[a-y]+"', "Failed", {"Dataset.*.ColumnNamesPatternMatchRatio": 6 / 7}, "do not match the pattern: z"),
    case("d", 'ColumnNamesMatchPattern "i"', "Failed", {"Dataset.*.ColumnNamesPatternMatchRatio": 0.0}),  # whole name
    case("d", 'ColumnNamesMatchPattern "[a-z"', "Failed", {}, "Invalid regex pattern"),
    # IsComplete / Completeness
    case("d", 'IsComplete "id"', "Passed", {"Column.id.Completeness": 1.0}),
    case("d", 'IsComplete "k"', "Failed", {"Column.k.Completeness": 0.6}, "Value: 0.6 does not meet the constraint requirement!"),
    case("d", 'IsComplete "k" where "id <= 3"', "Passed", {"Column.k.Completeness": 1.0}),
    case("d", 'IsComplete "x" where "id > 100"', "Failed", {}, "no row matches the where clause"),
    case("d", 'Completeness "k" >= 0.6', "Passed", {"Column.k.Completeness": 0.6}),
    case("d", 'Completeness "k" > 0.6', "Failed", {"Column.k.Completeness": 0.6}),
    case("d", 'Completeness "k" between 0.5 and 0.7', "Passed", {"Column.k.Completeness": 0.6}),
    case("d", 'Completeness of g > 0.7', "Passed", {"Column.g.Completeness": 0.8}),
    case("d", 'Completeness "z" = 0', "Passed", {"Column.z.Completeness": 0.0}),  # all NULL
    case("d", 'Completeness "nope" > 0.5', "Failed", {}, "Column nope does not exist in the dataset"),
    case("empty", 'IsComplete "id"', "Failed", {}, "the dataset has no rows"),
    case("empty", 'Completeness "id" >= 0', "Failed", {}, "the dataset has no rows"),
    # uniqueness family: all-NULL keys are ignored
    case("d", 'IsUnique "id"', "Passed", {"Column.id.Uniqueness": 1.0}),
    case("d", 'IsUnique "k"', "Failed", {"Column.k.Uniqueness": 1 / 3}, "does not meet"),
    case("d", 'IsUnique "k" where "id != 3"', "Passed", {"Column.k.Uniqueness": 1.0}),
    case("d", 'IsUnique "k" "g"', "Passed", {"Multicolumn.k,g.Uniqueness": 1.0}),
    case("d", 'IsUnique "nope"', "Failed", {}, "Column nope does not exist"),
    case("d", 'Uniqueness "k" < 0.5', "Passed", {"Column.k.Uniqueness": 1 / 3}),
    case("d", 'Uniqueness "k" > 0.5', "Failed", {"Column.k.Uniqueness": 1 / 3}),
    case("d", 'Uniqueness "z" > 0', "Failed", {}, "no non-NULL values"),
    case("d", 'IsPrimaryKey "id"', "Passed", {"Column.id.Uniqueness": 1.0, "Column.id.Completeness": 1.0}),
    case("d", 'IsPrimaryKey "k" where "id != 3"', "Failed", {"Column.k.Uniqueness": 1.0, "Column.k.Completeness": 0.5}, "Value: 0.5"),
    case("d", 'IsPrimaryKey "k" "g"', "Failed", {"Multicolumn.k,g.Uniqueness": 1.0, "Column.k.Completeness": 0.6, "Column.g.Completeness": 0.8}),
    case("d", 'IsPrimaryKey "id" "g"', "Failed", {"Multicolumn.id,g.Uniqueness": 1.0, "Column.id.Completeness": 1.0, "Column.g.Completeness": 0.8}),
    case("d", 'UniqueValueRatio "k" = 0.5', "Passed", {"Column.k.UniqueValueRatio": 0.5}),
    case("d", 'UniqueValueRatio "id" < 1', "Failed", {"Column.id.UniqueValueRatio": 1.0}),
    case("d", 'DistinctValuesCount "k" = 3', "Passed", {"Column.k.DistinctValuesCount": 3.0}),  # a, b, NULL
    case("d", 'DistinctValuesCount "id" > 4', "Passed", {"Column.id.DistinctValuesCount": 5.0}),
    case("d", 'DistinctValuesCount "g" = 1 where "id < 3"', "Passed", {"Column.g.DistinctValuesCount": 1.0}),
    case("d", 'Entropy "g" between 0.69 and 0.7', "Passed", {"Column.g.Entropy": math.log(2)}),
    case("d", 'Entropy "id" < 1', "Failed", {"Column.id.Entropy": math.log(5)}),
    case("empty", 'IsUnique "id"', "Failed", {}, "the dataset has no rows"),
    case("empty", 'DistinctValuesCount "k" = 0', "Failed", {}, "the dataset has no rows"),
    # statistics (NULLs ignored; population standard deviation and variance)
    case("d", 'Mean "x" = 2.75', "Passed", {"Column.x.Mean": 2.75}),
    case("d", 'Mean "x" > 3', "Failed", {"Column.x.Mean": 2.75}, "Value: 2.75 does not meet the constraint requirement!"),
    case("d", 'Mean "x" between 2.7 and 2.8', "Passed", {"Column.x.Mean": 2.75}),
    case("d", 'Mean "x" > 0 where "id > 100"', "Failed", {}, "no row matches the where clause"),
    case("d", 'Mean "z" > 0', "Failed", {}, "no non-NULL values"),
    case("d", 'Mean "s" > 0', "Failed", {}, "needs a numeric column"),
    case("d", 'Sum "x" = 11', "Passed", {"Column.x.Sum": 11.0}),
    case("d", 'Sum "x" = 5 where "id = 5"', "Passed", {"Column.x.Sum": 5.0}),
    case("d", 'Sum "x" < 10', "Failed", {"Column.x.Sum": 11.0}, "Value: 11.0"),
    case("d", 'StandardDeviation "x" between 1.47 and 1.48', "Passed", {"Column.x.StandardDeviation": STD_X}),
    case("d", 'StandardDeviation "x" > 2', "Failed", {"Column.x.StandardDeviation": STD_X}),
    case("d", 'Variance "x" = 2.1875', "Passed", {"Column.x.Variance": 2.1875}),
    case("d", 'ColumnCorrelation "x" "y" > 0.99', "Passed"),
    case("d", 'ColumnCorrelation "x" "z" > 0', "Failed", {}, "no non-NULL values"),
    case("empty", 'Mean "x" > 0', "Failed", {}, "the dataset has no rows"),
    case("empty", 'Sum "x" = 0', "Failed", {}, "the dataset has no rows"),
]  # fmt: skip

outcome_of = batch_fixture(FRAMES, CASES)


@pytest.mark.parametrize(("data", "rule", "outcome", "metrics", "reason"), CASES)
def test_dataset_rule(outcome_of, data, rule, outcome, metrics, reason):
    check(outcome_of(data, rule), outcome, metrics, reason)


def test_correlation_metric_name_and_value(outcome_of):
    result = outcome_of("d", 'ColumnCorrelation "x" "y" > 0.99')
    ((name, value),) = result.evaluated_metrics.items()
    assert name == "Multicolumn.x,y.ColumnCorrelation"
    assert 0.99 < value <= 1.0
