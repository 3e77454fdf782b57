"""Conformance: per-value rule types (ColumnValues, ColumnLength, ColumnDataType, DataFreshness).

One case per line: ``(frame, rule, outcome, exact EvaluatedMetrics or None, failure reason
substring or None)``; every operator, NULL/EMPTY/WHITESPACES_ONLY, thresholds, ``where``,
dates/durations with an injected ``now`` (2024-03-01 12:00 UTC), empty input and errors.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_dq_conformance_support import batch_fixture, case, check, small_plans

pytestmark = pytest.mark.spark
__all__ = ["small_plans"]

V = "id int, n int, x double, s string, e string"
T = "id int, ts timestamp, d date, ds string, ns string"
FRAMES = {
    "v": (
        V,
        [
            (1, 1, 1.5, "a", "ok"),
            (2, 2, 2.5, "bb", ""),
            (3, 3, None, "ccc", "  "),
            (4, None, 4.5, None, None),
        ],
    ),
    "t": (
        T,
        [
            (1, dt.datetime(2024, 3, 1, 10), dt.date(2024, 2, 28), "2024-02-28", "12"),
            (2, dt.datetime(2024, 2, 28, 12), dt.date(2024, 1, 1), "not a date", "x1"),
            (3, None, None, None, None),
        ],
    ),
    "v0": (V, []),
    "t0": (T, []),
}


def cv(column: str, value: float) -> dict:
    return {f"Column.{column}.ColumnValues.Compliance": value}


def cdt(column: str, value: float) -> dict:
    return {f"Column.{column}.ColumnDataType.Compliance": value}


def fresh(value: float) -> dict:
    return {"Column.ts.DataFreshness.Compliance": value}


MIN_ID, MAX_ID = {"Column.id.Minimum": 1.0}, {"Column.id.Maximum": 4.0}
NOT_MET = "does not meet the constraint requirement!"

CASES = [
    # ColumnValues, numbers, complete column: numeric comparisons also report Minimum/Maximum
    case("v", 'ColumnValues "id" > 0', "Passed", cv("id", 1.0) | MIN_ID),
    case("v", 'ColumnValues "id" > 1', "Failed", cv("id", 0.75) | MIN_ID, f"Value: 1.0 {NOT_MET}"),
    case("v", 'ColumnValues "id" >= 1', "Passed", cv("id", 1.0) | MIN_ID),
    case("v", 'ColumnValues "id" < 5', "Passed", cv("id", 1.0) | MAX_ID),
    case("v", 'ColumnValues "id" <= 3', "Failed", cv("id", 0.75) | MAX_ID, f"Value: 4.0 {NOT_MET}"),
    case("v", 'ColumnValues "id" = 2', "Failed", cv("id", 0.25) | MIN_ID | MAX_ID, "Value: 1.0"),
    case("v", 'ColumnValues "id" != 2', "Failed", cv("id", 0.75), f"Value: 0.75 {NOT_MET}"),
    case("v", 'ColumnValues "id" between 1 and 4', "Failed", cv("id", 0.5)),  # exclusive
    case("v", 'ColumnValues "id" between 0 and 5', "Passed", cv("id", 1.0)),
    case("v", 'ColumnValues "id" not between 1 and 4', "Failed", cv("id", 0.5)),
    case("v", 'ColumnValues "id" not between 2 and 3', "Passed", cv("id", 1.0)),  # bounds pass
    case("v", 'ColumnValues "id" in [1, 2, 3, 4]', "Passed", cv("id", 1.0)),
    case("v", 'ColumnValues "id" in [1, 2]', "Failed", cv("id", 0.5)),
    case("v", 'ColumnValues "id" not in [5]', "Passed", cv("id", 1.0)),
    # ColumnValues, numbers with a NULL: fails positive forms, passes != / not in
    case("v", 'ColumnValues "n" > 0', "Failed", cv("n", 0.75) | {"Column.n.Minimum": 1.0}, f"Value: NULL {NOT_MET}"),
    case("v", 'ColumnValues "n" <= 3', "Failed", cv("n", 0.75) | {"Column.n.Maximum": 3.0}, "Value: NULL"),
    case("v", 'ColumnValues "n" != 5', "Passed", cv("n", 1.0)),
    case("v", 'ColumnValues "n" not in [5]', "Passed", cv("n", 1.0)),
    case("v", 'ColumnValues "n" not in [5, NULL]', "Failed", cv("n", 0.75)),
    case("v", 'ColumnValues "n" in [1, 2, 3]', "Failed", cv("n", 0.75)),
    case("v", 'ColumnValues "n" in [1, 2, 3, NULL]', "Passed", cv("n", 1.0)),
    case("v", 'ColumnValues "n" between 0 and 4', "Failed", cv("n", 0.75)),
    case("v", 'ColumnValues "n" not between 1 and 3', "Failed", cv("n", 0.5)),
    case("v", 'ColumnValues "n" = NULL', "Failed", cv("n", 0.25)),
    case("v", 'ColumnValues "n" != NULL', "Failed", cv("n", 0.75)),
    # thresholds test the share of passing rows
    case("v", 'ColumnValues "n" > 0 with threshold >= 0.75', "Passed", cv("n", 0.75)),
    case("v", 'ColumnValues "n" > 0 with threshold > 0.9', "Failed", cv("n", 0.75), f"Value: 0.75 {NOT_MET}"),
    case("v", 'ColumnValues "n" in [1, 2] with threshold between 0.4 and 0.6', "Passed", cv("n", 0.5)),
    # ColumnValues, strings (regexes match the whole value)
    case("v", 'ColumnValues "s" in ["a", "bb", "ccc"]', "Failed", cv("s", 0.75)),
    case("v", 'ColumnValues "s" in ["a", "bb", "ccc", NULL]', "Passed", cv("s", 1.0)),
    case("v", 'ColumnValues "s" = "a"', "Failed", cv("s", 0.25)),
    case("v", 'ColumnValues "s" != "a"', "Failed", cv("s", 0.75)),
    case("v", 'ColumnValues "s" not in ["zzz"]', "Passed", cv("s", 1.0)),
    case("v", 'ColumnValues "s" matches "[a-c]+"', "Failed", cv("s", 0.75)),
    case("v", 'ColumnValues "s" matches "[a-c]+" where "s is not null"', "Passed", cv("s", 1.0)),
    case("v", 'ColumnValues "s" matches "b+"', "Failed", cv("s", 0.25)),
    case("v", 'ColumnValues "s" matches "b"', "Failed", cv("s", 0.0)),
    case("v", 'ColumnValues "s" not matches "a"', "Failed", cv("s", 0.5)),
    case("v", 'ColumnValues "e" = EMPTY', "Failed", cv("e", 0.25)),
    case("v", 'ColumnValues "e" != EMPTY', "Failed", cv("e", 0.75)),
    case("v", 'ColumnValues "e" = WHITESPACES_ONLY', "Failed", cv("e", 0.25)),
    case("v", 'ColumnValues "e" in ["ok", EMPTY, WHITESPACES_ONLY, NULL]', "Passed", cv("e", 1.0)),
    case("v", 'ColumnValues "e" not in [EMPTY, WHITESPACES_ONLY]', "Failed", cv("e", 0.5)),
    # where, empty selections and errors
    case("v", 'ColumnValues "x" > 2 where "id >= 2"', "Failed", cv("x", 2 / 3) | {"Column.x.Minimum": 2.5}, "Value: NULL"),
    case("v", 'ColumnValues "x" > 2 where "x is not null and id >= 2"', "Passed", cv("x", 1.0) | {"Column.x.Minimum": 2.5}),
    case("v", 'ColumnValues "x" > 0 where "id > 100"', "Failed", {}, "no row matches the where clause"),
    case("v", 'ColumnValues "x" > 0 where "id >"', "Failed", {}, "where clause"),
    case("v", 'ColumnValues "nope" > 0', "Failed", {}, "Column nope does not exist in the dataset"),
    case("v0", 'ColumnValues "id" > 0', "Failed", {}, "the dataset has no rows"),
    case("v0", 'ColumnValues "id" > 0 with threshold > 0.5', "Failed", {}, "the dataset has no rows"),
    # ColumnValues, dates and times (now() = 2024-03-01 12:00)
    case("t", 'ColumnValues "d" > "2024-01-15"', "Failed", cv("d", 1 / 3)),
    case("t", 'ColumnValues "d" in ["2024-02-28", "2024-01-01"]', "Failed", cv("d", 2 / 3)),
    case("t", 'ColumnValues "ts" > (now() - 1 days) where "ts is not null"', "Failed", cv("ts", 0.5)),
    case("t", 'ColumnValues "ts" <= now() where "ts is not null"', "Passed", cv("ts", 1.0)),
    case("t", 'ColumnValues "ts" between (now() - 3 days) and now()', "Failed", cv("ts", 2 / 3)),
    # ColumnLength: NULL counts as length 0; min/max lengths for comparisons, else compliance
    case("v", 'ColumnLength "s" > 0', "Failed", {"Column.s.MinimumLength": 0.0}, f"Value: 0.0 {NOT_MET}"),
    case("v", 'ColumnLength "s" > 0 where "s is not null"', "Passed", {"Column.s.MinimumLength": 1.0}),
    case("v", 'ColumnLength "s" <= 3', "Passed", {"Column.s.MaximumLength": 3.0}),
    case("v", 'ColumnLength "s" < 3', "Failed", {"Column.s.MaximumLength": 3.0}, "Value: 3.0"),
    case("v", 'ColumnLength "s" between 0 and 4', "Failed", {"Column.s.MinimumLength": 0.0, "Column.s.MaximumLength": 3.0}, "Value: 0.0"),
    case("v", 'ColumnLength "s" = 2', "Failed", {"Column.s.MinimumLength": 0.0, "Column.s.MaximumLength": 3.0}),
    case("v", 'ColumnLength "s" != 2', "Failed", {"Column.s.MinimumLength": 0.0, "Column.s.MaximumLength": 3.0}, "Value: 0.75"),
    case("v", 'ColumnLength "s" in [1, 2, 3]', "Failed", {"Column.s.LengthCompliance": 0.75}),
    case("v", 'ColumnLength "s" in [0, 1, 2, 3]', "Passed", {"Column.s.LengthCompliance": 1.0}),
    case("v", 'ColumnLength "s" not in [2]', "Failed", {"Column.s.LengthCompliance": 0.75}),
    case("v", 'ColumnLength "s" not between 1 and 3', "Failed", {"Column.s.LengthCompliance": 0.75}),
    case("v", 'ColumnLength "s" >= 1 with threshold > 0.7', "Passed", {"Column.s.LengthCompliance": 0.75}),
    case("v", 'ColumnLength "id" <= 1', "Passed", {"Column.id.LengthCompliance": 1.0}),
    case("v", 'ColumnLength "e" = 0 where "id = 2"', "Passed", {"Column.e.MinimumLength": 0.0, "Column.e.MaximumLength": 0.0}),
    case("v0", 'ColumnLength "s" > 0', "Failed", {}, "the dataset has no rows"),
    # ColumnDataType: share of values that cast (NULL does not); thresholds on the share
    case("t", 'ColumnDataType "ds" = "Date"', "Failed", cdt("ds", 1 / 3), "Value: 0.3333333333333333"),
    case("t", 'ColumnDataType "ds" = "Date" with threshold > 0.3', "Passed", cdt("ds", 1 / 3)),
    case("t", 'ColumnDataType "ds" != "Date"', "Failed", cdt("ds", 2 / 3)),
    case("t", 'ColumnDataType "ds" = "Date" where "ds is not null" with threshold >= 0.5', "Passed", cdt("ds", 0.5)),
    case("t", 'ColumnDataType "ns" = "Integer"', "Failed", cdt("ns", 1 / 3)),
    case("t", 'ColumnDataType "ns" = "Long" where "id = 1"', "Passed", cdt("ns", 1.0)),
    case("t", 'ColumnDataType "ns" in ["Integer", "Date"]', "Failed", cdt("ns", 1 / 3)),
    case("t", 'ColumnDataType "ds" in ["Integer", "Date"] with threshold > 0.3', "Passed", cdt("ds", 1 / 3)),
    case("t", 'ColumnDataType "ds" not in ["Boolean"]', "Passed", cdt("ds", 1.0)),
    case("t", 'ColumnDataType "ds" = "Timestamp"', "Failed", cdt("ds", 1 / 3)),
    case("t", 'ColumnDataType "ds" = "String"', "Failed", cdt("ds", 2 / 3)),
    case("t", 'ColumnDataType "ds" = "Bogus"', "Failed", {}, "Unrecognized data type: Bogus"),
    case("t", 'ColumnDataType "ds" = "Date" where "id > 10"', "Passed", {}),  # Deequ: no rows
    case("t0", 'ColumnDataType "ds" = "Date"', "Passed", {}),
    # DataFreshness: now - value per row, NULL fails, every row must comply
    case("t", 'DataFreshness "ts" <= 24 hours', "Failed", fresh(1 / 3), "33.33% of rows passed"),
    case("t", 'DataFreshness "ts" <= 3 days where "ts is not null"', "Passed", fresh(1.0)),
    case("t", 'DataFreshness "ts" > 1 days where "ts is not null"', "Failed", fresh(0.5)),
    case("t", 'DataFreshness "ts" between 1 hours and 3 hours where "ts is not null"', "Failed", fresh(0.5)),
    case("t", 'DataFreshness "ts" <= 90 minutes where "id = 1"', "Failed", fresh(0.0)),
    case("t", 'DataFreshness "d" <= 3 days where "d is not null"', "Failed", {"Column.d.DataFreshness.Compliance": 0.5}),
    case("t", 'DataFreshness "ts" <= 24 hours where "id > 10"', "Passed", {}),  # Deequ: no rows
    case("t", 'DataFreshness "nope" <= 1 days', "Failed", {}, "Column nope does not exist"),
    case("t0", 'DataFreshness "ts" <= 1 days', "Passed", {}),
]  # fmt: skip

outcome_of = batch_fixture(FRAMES, CASES)


@pytest.mark.parametrize(("data", "rule", "outcome", "metrics", "reason"), CASES)
def test_value_rule(outcome_of, data, rule, outcome, metrics, reason):
    check(outcome_of(data, rule), outcome, metrics, reason)
