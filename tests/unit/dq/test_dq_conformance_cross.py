"""Conformance: rules with scans of their own (CustomSql, scalar and row mode) and the rules
over reference datasets (ReferentialIntegrity, RowCountMatch, DatasetMatch, SchemaMatch,
AggregateMatch). One case per line, as in the other conformance files.
"""

from __future__ import annotations

import math

import pytest
from test_dq_conformance_support import NOW, batch_fixture, case, check, frame, small_plans

from lakehouse.dq.evaluator import evaluate_ruleset

pytestmark = pytest.mark.spark
__all__ = ["small_plans"]

ORDERS = "id int, cust int, amt double, status string"
FRAMES = {
    "o": (ORDERS, [(1, 10, 5.0, "A"), (2, 20, 7.0, "B"), (3, 30, None, "A"), (4, None, 3.0, None)]),
    "o0": (ORDERS, []),
}
REFERENCES = {
    "customers": ("cid int, name string", [(10, "x"), (20, "y"), (40, "z")]),
    "pairs": ("c int, s string", [(10, "A"), (20, "X")]),
    "copy": (
        ORDERS,
        [(1, 10, 5.0, "A"), (2, 20, 7.5, "B"), (3, 30, None, "A"), (4, None, 3.0, None)],
    ),
    "typed": ("id int, cust int, amt string, status string", [(1, 10, "5", "A")]),
    "dups": (ORDERS, [(1, 10, 5.0, "A"), (1, 20, 7.0, "B")]),
    "empty_ref": ("cid int, name string", []),
}


def ri(alias: str, value: float) -> dict:
    return {f"Column.{alias}.ReferentialIntegrity": value}


SQL = "Dataset.*.CustomSQL"
SQL_ROWS = "Dataset.*.CustomSQL.Compliance"

CASES = [
    # ReferentialIntegrity: share of primary rows whose key is in the reference (NULL keys never are)
    case("o", 'ReferentialIntegrity "cust" "customers.cid" = 1.0', "Failed", ri("customers", 0.5), "Value: 0.5 does not meet"),
    case("o", 'ReferentialIntegrity "cust" "customers.cid" >= 0.5', "Passed", ri("customers", 0.5)),
    case("o", 'ReferentialIntegrity "cust" "customers.{cid}" between 0.4 and 0.6', "Passed", ri("customers", 0.5)),
    case("o", 'ReferentialIntegrity "cust,status" "pairs.{c,s}" = 0.25', "Passed", ri("pairs", 0.25)),
    case("o", 'ReferentialIntegrity "cust" "empty_ref.cid" = 0', "Passed", ri("empty_ref", 0.0)),
    case("o", 'ReferentialIntegrity "cust" "nobody.cid" > 0', "Failed", {}, "Reference dataset 'nobody' not found"),
    case("o", 'ReferentialIntegrity "nope" "customers.cid" > 0', "Failed", {}, "Column nope does not exist in primary data frame."),
    case("o", 'ReferentialIntegrity "cust" "customers.nope" > 0', "Failed", {}, "Column nope does not exist in reference data frame."),
    case("o0", 'ReferentialIntegrity "cust" "customers.cid" > 0', "Failed", {}, "Primary data frame contains no data."),
    # RowCountMatch: rows(primary) / rows(reference), Java division
    case("o", 'RowCountMatch "customers" > 1.3', "Passed", {"Dataset.customers.RowCountMatch": 4 / 3}),
    case("o", 'RowCountMatch "customers" <= 1.0', "Failed", {"Dataset.customers.RowCountMatch": 4 / 3}, "Value: 1.3333333333333333"),
    case("o", 'RowCountMatch "copy" = 1.0', "Passed", {"Dataset.copy.RowCountMatch": 1.0}),
    case("o", 'RowCountMatch "empty_ref" > 1000', "Passed", {"Dataset.empty_ref.RowCountMatch": math.inf}),
    case("o", 'RowCountMatch "nobody" = 1', "Failed", {}, "not found"),
    case("o0", 'RowCountMatch "customers" = 0', "Passed", {"Dataset.customers.RowCountMatch": 0.0}),
    # SchemaMatch: share of primary columns with the same name and type in the reference
    case("o", 'SchemaMatch "copy" = 1.0', "Passed", {"Dataset.copy.SchemaMatch": 1.0}),
    case("o", 'SchemaMatch "typed" = 0.75', "Passed", {"Dataset.typed.SchemaMatch": 0.75}),
    case("o", 'SchemaMatch "typed" = 1.0', "Failed", {"Dataset.typed.SchemaMatch": 0.75}),
    case("o", 'SchemaMatch "customers" = 1.0', "Failed", {"Dataset.customers.SchemaMatch": 0.0}, "Column counts do not match"),
    case("o", 'SchemaMatch "nobody" = 1.0', "Failed", {}, "not found"),
    # AggregateMatch: ratio of two sums/averages, ref.col from a reference
    case("o", 'AggregateMatch "sum(amt)" "sum(copy.amt)" > 0.9', "Passed", {"Column.amt.AggregateMatch": 15 / 15.5}),
    case("o", 'AggregateMatch "sum(amt)" "sum(copy.amt)" = 1.0', "Failed", {"Column.amt.AggregateMatch": 15 / 15.5}),
    case("o", 'AggregateMatch "avg(id)" "avg(customers.cid)" > 0.1', "Passed", {"Column.id,cid.AggregateMatch": 2.5 / (70 / 3)}),
    case("o", 'AggregateMatch "sum(primary.id)" "sum(copy.id)" = 1', "Passed", {"Column.id.AggregateMatch": 1.0}),
    case("o", 'AggregateMatch "sum(amt)" "sum(amt)" = 1', "Passed", {"Column.amt.AggregateMatch": 1.0}),
    case("o", 'AggregateMatch "sum(amt)" "sum(nobody.x)" > 0', "Failed", {}, "not found"),
    case("o", 'AggregateMatch "sum(amt)" "avg(empty_ref.cid)" > 0', "Failed", {}, "No value"),
    case("o0", 'AggregateMatch "sum(amt)" "sum(copy.amt)" > 0', "Failed", {}, "No value"),
    # DatasetMatch: rows equal to the reference row with the same (unique) key
    case("o", 'DatasetMatch "copy" "id" = 0.75', "Passed", {"Dataset.copy.DatasetMatch": 0.75}),
    case("o", 'DatasetMatch "copy" "id" "status" = 1.0', "Passed", {"Dataset.copy.DatasetMatch": 1.0}),
    case("o", 'DatasetMatch "copy" "id->id" "amt" >= 0.8', "Failed", {"Dataset.copy.DatasetMatch": 0.75}),
    case("o", 'DatasetMatch "customers" "cust->cid" "status->name" = 0', "Passed", {"Dataset.customers.DatasetMatch": 0.0}),
    case("o", 'DatasetMatch "customers" "cust->cid" > 0', "Failed", {}, "Non key columns in the given data frames do not match."),
    case("o", 'DatasetMatch "copy" "nope" > 0', "Failed", {}, "key columns were not found in the first dataset"),
    case("o", 'DatasetMatch "copy" "id" "nope" > 0', "Failed", {}, "not found in the first dataset"),
    case("o", 'DatasetMatch "dups" "id" > 0', "Failed", {}, "duplicates"),
    case("o", 'DatasetMatch "nobody" "id" > 0', "Failed", {}, "not found"),
    case("o0", 'DatasetMatch "copy" "id" > 0', "Failed", {}, "primary DataFrame is empty"),
    # CustomSql with a condition: one number
    case("o", 'CustomSql "select count(*) from primary where amt > 4" = 2', "Passed", {SQL: 2.0}),
    case("o", 'CustomSql "select count(*) from primary where amt > 4" = 3', "Failed", {SQL: 2.0}, "Value: 2.0 does not meet the constraint requirement!"),
    case("o", 'CustomSql "select sum(amt) from primary" between 14 and 16', "Passed", {SQL: 15.0}),
    case("o", 'CustomSql "select count(*) from customers" = 3', "Passed", {SQL: 3.0}),
    case("o", 'CustomSql "select count(*) from primary p join customers c on p.cust = c.cid" = 2', "Passed", {SQL: 2.0}),
    case("o", 'CustomSql "select count(*) from primary" > avg(last(3))', "Passed", {SQL: 4.0}),
    case("o", 'CustomSql "select nope from primary" = 1', "Failed", {}, "Error executing SQL statement"),
    case("o", 'CustomSql "select id from primary" > 0', "Failed", {}, "exactly one row"),
    case("o", 'CustomSql "select id, cust from primary where id = 1" > 0', "Failed", {}, "one numeric value"),
    case("o", 'CustomSql "select max(amt) from primary where id > 100" > 0', "Failed", {}, "returned NULL"),
    case("o", "CustomSql \"select 'x'\" = 1", "Failed", {}, "not a number"),
    case("o0", 'CustomSql "select count(*) from primary" = 0', "Passed", {SQL: 0.0}),
    # CustomSql without a condition: rows of primary that pass
    case("o", 'CustomSql "select id, status from primary where amt > 4"', "Failed", {SQL_ROWS: 0.5}, "Value: 0.5"),
    case("o", 'CustomSql "select id, status from primary where amt > 4" with threshold >= 0.5', "Passed", {SQL_ROWS: 0.5}),
    case("o", 'CustomSql "select id, status from primary where amt > 4" with threshold > 0.9', "Failed", {SQL_ROWS: 0.5}, "Value: 0.5"),
    case("o", "CustomSql \"select status from primary where status is null or status = 'A'\" with threshold = 0.75", "Passed", {SQL_ROWS: 0.75}),
    case("o", 'CustomSql "select * from primary"', "Passed", {SQL_ROWS: 1.0}),
    case("o", 'CustomSql "select id, 1 as one from primary"', "Failed", {}, "Columns not found: one"),
    case("o", 'CustomSql "select cid from customers"', "Failed", {}, "at least one column that matches"),
    case("o", 'CustomSql "select id from nowhere"', "Failed", {}, "Error executing SQL statement"),
    case("o0", 'CustomSql "select id from primary"', "Failed", {}, "data frame being empty"),
]  # fmt: skip

outcome_of = batch_fixture(FRAMES, CASES, references=REFERENCES)


@pytest.mark.parametrize(("data", "rule", "outcome", "metrics", "reason"), CASES)
def test_cross_dataset_rule(outcome_of, data, rule, outcome, metrics, reason):
    check(outcome_of(data, rule), outcome, metrics, reason)


def test_custom_sql_runs_in_an_isolated_session(spark):
    """The caller's own temporary views named like the data sources are neither used nor
    replaced: the statement sees the evaluated frame as `primary`."""
    spark.sql("SELECT 1 AS id UNION ALL SELECT 2 UNION ALL SELECT 3").createOrReplaceTempView(
        "primary"
    )
    try:
        df = frame(spark, "id int", [(7,)])
        result = evaluate_ruleset(
            df,
            'Rules = [ CustomSql "select count(*) from primary" = 1, '
            'CustomSql "select id from primary where id = 7" ]',
            now=NOW,
        )
        assert [o.outcome for o in result.outcomes] == ["Passed", "Passed"]
        assert spark.sql("select count(*) from primary").collect()[0][0] == 3
    finally:
        spark.catalog.dropTempView("primary")
