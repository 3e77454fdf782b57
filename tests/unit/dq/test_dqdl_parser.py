"""The DQDL grammar and parser: every documented form parses to the right AST, bad input fails
with the right line, column and expected words."""

from __future__ import annotations

import datetime as dt
import pickle
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

import lakehouse
from lakehouse.dq import RULE_TYPES, DqdlSyntaxError, check, parse, parse_file, parse_rule
from lakehouse.dq.ast import (
    EMPTY,
    NULL,
    WHITESPACES_ONLY,
    Between,
    BinaryOp,
    Comparison,
    CompositeRule,
    DateValue,
    Duration,
    DynamicExpr,
    FunctionCall,
    InList,
    Matches,
    NowExpr,
    NumberValue,
    Param,
    Rule,
    Size,
    StringValue,
    TimeValue,
    aggregate_expression,
    column_mappings,
    effective_labels,
    reference_columns,
)


def rule(text: str) -> Rule:
    node = parse(f"Rules = [ {text} ]").rules[0]
    assert isinstance(node, Rule)
    return node


def errors(text: str) -> tuple[DqdlSyntaxError, ...]:
    ruleset, problems = check(text)
    assert ruleset is None, f"expected problems in {text!r}"
    return problems


# --------------------------------------------------------------------------- AWS doc examples

# Rules as the AWS DQDL reference and rule-type pages show them.
DOC_RULES = [
    'IsComplete "order-id"',
    'IsUnique "order-id"',
    '(IsComplete "id") and (IsUnique "id")',
    '(Mean "Star_Rating" > 3) and (Mean "Order_Total" > 500) and (IsComplete "Order_Id")',
    '(Mean "Star_Rating" > 3) and ((Mean "Order_Total" > 500) or (IsComplete "Order_Id"))',
    '(RowCount > 0) or ((IsComplete "colA") and (IsUnique "colA"))',
    "RowCount between 10 and 100",
    'RowCount between 1 and 50 where "Customer_ID < 10"',
    "RowCount > avg(last(10)) *0.8",
    'ColumnValues "Country" in [ "US", "CA", "UK", NULL, EMPTY, WHITESPACES_ONLY ]',
    'ColumnValues "gender" in ["F", "M"] where "weightinkgs < 10"',
    'ColumnValues "First_Name" matches "[a-zA-Z]*"',
    'ColumnValues "Load_Date" > (now() - 3 days)',
    'ColumnValues "Customer_ID" between 1 and 2000',
    '(ColumnValues "Age" > 21) OR (ColumnValues "Age" = NULL)',
    'ColumnValues "Age" != 21',
    'ColumnValues "Age" not in [21, 22, 23]',
    '(ColumnValues "Age" != 21) AND (ColumnValues "Age" != NULL)',
    'ColumnValues "Age" not in [21, 22, 23, NULL]',
    'DataFreshness "Order_Date" <= 24 hours',
    'DataFreshness "Order_Date" between 2 days and 5 days',
    '(DataFreshness "Order_Date" <= 24 hours) OR (ColumnValues "Order_Date" = NULL)',
    'DataFreshness "file_ts" < 24 hours',
    'CustomSql "select count(*) from primary" between 10 and 20',
    'CustomSql "select Name from primary where Age > 18"',
    'CustomSql "select Name from primary where Age > 18" with threshold > 3',
    'CustomSql "select count(*) from database.table" between 10 and 20',
    'CustomSql "select count(*) from database.table inner join database.table2 on id1 = id2" between 10 and 20',
    'DetectAnomalies "RowCount"',
    'DetectAnomalies "ColumnLength" "id"',
    'DatasetMatch "reference" "ID" >= 0.9',
    'DatasetMatch "reference" "ID_1->ID_ref1,ID_2->ID_ref2" >= 0.9',
    'DatasetMatch "reference" "ID_1->ID_ref1,ID_2->ID_ref2" "Amount1->Amount2" >= 0.9',
    'AggregateMatch "sum(amount)" "sum(total_amount)" = 1.0',
    'AggregateMatch "avg(ratings)" "avg(reference.ratings)" >= 0.9',
    'ReferentialIntegrity "zipcode" "reference.zipcode" >= 0.9',
    'ReferentialIntegrity "city,state" "reference.{ref_city,ref_state}" = 1.0',
    'ReferentialIntegrity "city,state" "reference.{ref_city,ref_state}" > avg(last(10))',
    'ReferentialIntegrity "city,state" "reference.{ref_city,ref_state}" between min(last(10)) - 1 and max(last(10)) + 1',
    'ColumnLength "Postal_Code" = 5',
    'ColumnLength "weightinkgs" = 2 where "weightinkgs > 10"',
    '(ColumnLength "Postal_Code" > 4) AND (ColumnValues "Postal_Code" != NULL)',
    'ColumnDataType "colA" = "INTEGER"',
    'ColumnDataType "colA" = "INTEGER" with threshold > 0.9',
    'Mean "Star_Rating" > 3',
    'Mean "Salary" < 6200 where "Customer_ID < 10"',
    'Mean "colA" > avg(last(10)) + std(last(2))',
    'Mean "colA" between min(last(5)) - 1 and max(last(5)) + 1',
    "ColumnCount between 10 and 20",
    "ColumnCount >= avg(last(10))",
    "ColumnCount between min(last(10))-1 and max(last(10))+1",
    'FileFreshness "s3://amzn-s3-demo-bucket/artifacts/file/tickets/tickets.parquet" > (now() - 24 hours)',
    'FileFreshness "s3://bucket/" >= (now() -1 days)',
    'FileFreshness "s3://amzn-s3-demo-bucket/artifacts/file/tickets/" < (now() - 10 days) with threshold > 0.1',
    'FileFreshness "s3://amzn-s3-demo-bucket/artifacts/file/tickets/" > "2020-01-01"',
    'FileFreshness "s3://amzn-s3-demo-bucket/artifacts/file/tickets/" between "2023-01-01" and "2024-01-01"',
    'FileFreshness "s3://amzn-s3-demo-bucket/artifacts/file/tickets/" between now() and (now() - 45 minutes)',
    'FileFreshness "s3://amzn-s3-demo-bucket/artifacts/file/tickets/" between "9:30 AM" and "9:30 PM"',
    'FileFreshness "s3://amzn-s3-demo-bucket/artifacts/file/tickets/" > (now() - 10 minutes)',
    'FileFreshness "s3://amzn-s3-demo-bucket/artifacts/file/tickets/" > now()',
    'FileMatch "s3://amzn-s3-demo-bucket/file.json" in ["3ee0d8617ac041793154713e5ef8f319"] with hashAlgorithm = "MD5"',
    'FileMatch "s3://amzn-s3-demo-bucket/file.json" in ["3ee0d8617ac041793154713e5ef8f319"] with hashAlgorithm = "SHA-1"',
    'FileMatch "s3://amzn-s3-demo-bucket/file.json" in ["3ee0d8617ac041793154713e5ef8f319"] with hashAlgorithm = "SHA-256"',
    'FileMatch "s3://amzn-s3-demo-bucket/file.json" in ["3ee0d8617ac041793154713e5ef8f319"]',
    'FileMatch "s3://amzn-s3-demo-bucket /" in ["3ee0d8617ac041793154713e5ef8f319", "7e8617ac041793154713e5ef8f319"] with hashAlgorithm = "MD5"',
    'FileMatch "s3://original_bucket/" "s3://archive_bucket/"',
    'FileMatch in ["exampleHash"] with "hashAlgorithm" = "MD5" with "dataFrame" = "true"',
    'FileUniqueness "s3://bucket/" > 0.5',
    'FileUniqueness "s3://bucket/folder/" = 1',
    "FileUniqueness > 0.5",
    'FileUniqueness "s3://amzn-s3-demo-bucket/" > 0.5 with recentFiles = 1',
    'FileUniqueness "s3://bucket/" > 0.5 with uriRegex = "\\.csv$"',
    'FileUniqueness "s3://bucket/" > 0.5 with uriRegex = "(?!.*\\.tmp$).*"',
    'FileUniqueness "s3://bucket/" > 0.5 with recentFiles = 5 with uriRegex = "\\.csv$" with filterOrder = ["uriRegex","recentFiles"]',
    'FileUniqueness "s3://amzn-s3-demo-bucket/" > 0.5 with matchFileName = "true"',
    'FileSize "s3://amzn-s3-demo-bucket/file.dat" > 2 MB',
    'FileSize "s3://bucket/" > 5 B',
    'FileSize "s3://bucket/" < 2 GB',
    'FileSize "s3://amzn-s3-demo-bucket/" between 2 GB and 1 TB with threshold > 0.7',
    "FileSize < 10 MB with threshold > 0.7",
    'FileSize "s3://amzn-s3-demo-bucket/" > 5 B with recentFiles = 1',
    # the glue-facts.md sample and the brief
    'IsPrimaryKey "order_id"',
    'ColumnValues "status" in ["NEW","PAID",NULL] with threshold > 0.99',
    'ReferentialIntegrity "customer_id" "customers.id" = 1.0',
    "RowCount > avg(last(5)) * 0.5",
    "RowCount between min(last(3)) * 0.9 and max(last(3)) * 1.1",
    'IsUnique "a" "b"',
    'ReferentialIntegrity "a,b" "ref.{x,y}" = 1.0',
    'DatasetMatch "ref" "id->rid" "c1,c2->rc2" >= 0.99',
    'AggregateMatch "sum(amt)" "sum(ref.amt)" > 0.999',
    'DetectAnomalies "Completeness" "c"',
    'Completeness of "c" > 0.9',
    'RowCountMatch "ref" >= 0.99',
    'ColumnNamesMatchPattern "[a-z_]+"',
    'ColumnDataType "d" = "Date" with threshold > 0.95',
    'UniqueValueRatio "c" < 0.5',
    'DistinctValuesCount "c" > 3',
    'ColumnCorrelation "a" "b" > 0.8',
    'SchemaMatch "ref" = 1.0',
    'Entropy "c" between 1 and 3',
    'Variance "x" < 10',
    'StandardDeviation "x" <= 2.5',
    'Sum "x" > 0',
    'Uniqueness "a" > 0.99',
    'ColumnExists "id"',
]


@pytest.mark.parametrize("text", DOC_RULES)
def test_documented_rules_parse_and_their_text_round_trips(text):
    node = parse(f"Rules = [ {text} ]").rules[0]
    again = parse_rule(node.text)
    assert again.text == node.text
    assert again == node or isinstance(node, CompositeRule)


def test_a_documented_sample_with_a_parameter_on_rowcount_is_rejected():
    # The DQDL reference shows `(RowCount "id" > 100) or (IsPrimaryKey "id")`; RowCount takes none.
    (problem,) = errors('Rules = [ (RowCount "id" > 100) or (IsPrimaryKey "id") ]')
    assert "RowCount takes no parameters, got 1" in problem.message


def test_the_glue_facts_sample_ruleset_parses():
    ruleset = parse(
        """
# '#' comments only
negSql = "select count(*) from primary where amount < 0"     # constant, referenced as $negSql
DefaultLabels = ["layer"="silver"]
Rules = [
  IsPrimaryKey "order_id",
  ColumnValues "status" in ["NEW","PAID",NULL] with threshold > 0.99,
  ((RowCount > 0) and (Completeness "amount" >= 0.98)) labels=["criticality"="high"],
  CustomSql $negSql = 0,
  ReferentialIntegrity "customer_id" "customers.id" = 1.0,
  RowCount > avg(last(5)) * 0.5
]
Analyzers = [ AllStatistics "amount", DistinctValuesCount "status" ]
"""
    )
    assert [r.text for r in ruleset.rules] == [
        'IsPrimaryKey "order_id"',
        'ColumnValues "status" in ["NEW","PAID",NULL] with threshold > 0.99',
        '(RowCount > 0) AND (Completeness "amount" >= 0.98)',
        "CustomSql $negSql = 0",
        'ReferentialIntegrity "customer_id" "customers.id" = 1.0',
        "RowCount > avg(last(5)) * 0.5",
    ]
    assert ruleset.constants == {"negSql": "select count(*) from primary where amount < 0"}
    assert ruleset.default_labels == {"layer": "silver"}
    assert [a.text for a in ruleset.analyzers] == [
        'AllStatistics "amount"',
        'DistinctValuesCount "status"',
    ]
    composite = ruleset.rules[2]
    assert isinstance(composite, CompositeRule)
    assert effective_labels(composite, ruleset) == {"layer": "silver", "criticality": "high"}
    assert effective_labels(ruleset.rules[0], ruleset) == {"layer": "silver"}
    sql = ruleset.rules[3]
    assert sql.parameters == (
        Param("select count(*) from primary where amount < 0", True, None, "negSql"),
    )


def test_the_documented_analyzers_block_parses_with_options():
    ruleset = parse(
        """Rules = [
    RowCount > 100,
    Completeness "Salary" > 0.9
]
Analyzers = [
    Mean "Salary",
    StandardDeviation "Salary",
    Distribution "Salary" with bins = 15,
    Distribution "Department",
    Distribution AllColumns,
    Distribution "Age" with bins = 10, rebin = false
]"""
    )
    texts = [a.text for a in ruleset.analyzers]
    assert texts == [
        'Mean "Salary"',
        'StandardDeviation "Salary"',
        'Distribution "Salary" with bins = 15',
        'Distribution "Department"',
        "Distribution AllColumns",
        'Distribution "Age" with bins = 10, rebin = false',
    ]
    assert ruleset.analyzers[5].options == {"bins": 10, "rebin": False}
    assert ruleset.analyzers[4].columns == ()


def test_metadata_and_data_sources():
    ruleset = parse(
        'Metadata = {"Version": "1.0"}\n'
        'DataSources = {"Primary": "orders", "AdditionalDataSources": ["customers", "products"]}\n'
        "Rules = [ RowCount > 0 ]"
    )
    assert ruleset.metadata == {"Version": "1.0"}
    assert ruleset.data_sources is not None
    assert ruleset.data_sources.primary == "orders"
    assert ruleset.data_sources.additional == ("customers", "products")


def test_rules_may_be_empty_when_there_are_analyzers():
    ruleset = parse('Rules = [ ]\nAnalyzers = [ RowCount, Completeness "c" ]')
    assert ruleset.rules == ()
    assert len(ruleset.analyzers) == 2
    assert parse("Analyzers = [ ColumnCount ]").analyzers[0].rule_type == "ColumnCount"


# --------------------------------------------------------------------------- every rule type, every operator

NUMERIC_RULES = {
    "RowCount": "RowCount",
    "RowCountMatch": 'RowCountMatch "ref"',
    "ColumnCount": "ColumnCount",
    "Completeness": 'Completeness "c"',
    "Uniqueness": 'Uniqueness "c"',
    "UniqueValueRatio": 'UniqueValueRatio "c"',
    "DistinctValuesCount": 'DistinctValuesCount "c"',
    "ColumnValues": 'ColumnValues "c"',
    "ColumnLength": 'ColumnLength "c"',
    "Mean": 'Mean "c"',
    "Sum": 'Sum "c"',
    "StandardDeviation": 'StandardDeviation "c"',
    "Variance": 'Variance "c"',
    "Entropy": 'Entropy "c"',
    "ColumnCorrelation": 'ColumnCorrelation "a" "b"',
    "CustomSql": 'CustomSql "select count(*) from primary"',
    "ReferentialIntegrity": 'ReferentialIntegrity "a" "ref.a"',
    "DatasetMatch": 'DatasetMatch "ref" "id"',
    "SchemaMatch": 'SchemaMatch "ref"',
    "AggregateMatch": 'AggregateMatch "sum(a)" "sum(ref.a)"',
    "FileUniqueness": 'FileUniqueness "s3://b/"',
}
NUMERIC_CONDITIONS = [
    ("= 5", Comparison("=", NumberValue(Decimal(5), "5"))),
    ("!= 5", Comparison("!=", NumberValue(Decimal(5), "5"))),
    ("> 0.5", Comparison(">", NumberValue(Decimal("0.5"), "0.5"))),
    (">= -1", Comparison(">=", NumberValue(Decimal(-1), "-1"))),
    ("< 100.25", Comparison("<", NumberValue(Decimal("100.25"), "100.25"))),
    ("<= 0", Comparison("<=", NumberValue(Decimal(0), "0"))),
    ("between 1 and 2", Between(NumberValue(Decimal(1), "1"), NumberValue(Decimal(2), "2"))),
    (
        "not between -2 and -1",
        Between(NumberValue(Decimal(-2), "-2"), NumberValue(Decimal(-1), "-1"), True),
    ),
    ("in [1,2]", InList((NumberValue(Decimal(1), "1"), NumberValue(Decimal(2), "2")))),
    ("not in [3]", InList((NumberValue(Decimal(3), "3"),), True)),
]


@pytest.mark.parametrize("name", sorted(NUMERIC_RULES))
@pytest.mark.parametrize(
    ("cond_text", "expected"), NUMERIC_CONDITIONS, ids=[c for c, _ in NUMERIC_CONDITIONS]
)
def test_every_numeric_rule_type_takes_every_operator(name, cond_text, expected):
    r = rule(f"{NUMERIC_RULES[name]} {cond_text}")
    assert r.rule_type == name
    assert r.condition == expected
    assert r.text == f"{NUMERIC_RULES[name]} {cond_text}"


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ('ColumnValues "c" = "A"', Comparison("=", StringValue("A"))),
        ('ColumnValues "c" != "A"', Comparison("!=", StringValue("A"))),
        ('ColumnValues "c" in ["A","B"]', InList((StringValue("A"), StringValue("B")))),
        ('ColumnValues "c" not in ["A",NULL]', InList((StringValue("A"), NULL), True)),
        ('ColumnValues "c" matches "[A-Z]+"', Matches("[A-Z]+")),
        ('ColumnValues "c" not matches "\\d{5}"', Matches("\\d{5}", True)),
        ('ColumnValues "c" = EMPTY', Comparison("=", EMPTY)),
        ('ColumnValues "c" != WHITESPACES_ONLY', Comparison("!=", WHITESPACES_ONLY)),
        ('ColumnValues "c" = NULL', Comparison("=", NULL)),
        ('ColumnValues "c" != NULL', Comparison("!=", NULL)),
        ('ColumnValues "c" in [NULL]', InList((NULL,))),
        ('ColumnValues "c" > "2024-01-31"', Comparison(">", DateValue(dt.date(2024, 1, 31)))),
        ('ColumnValues "c" >= now()', Comparison(">=", NowExpr())),
        (
            'ColumnValues "c" between (now() - 3 hours) and (now() + 14 days)',
            Between(NowExpr("-", Duration(3, "hours")), NowExpr("+", Duration(14, "days"))),
        ),
        (
            'ColumnValues "c" in [now(),(now() - 3 hours),"2023-01-01"]',
            InList((NowExpr(), NowExpr("-", Duration(3, "hours")), DateValue(dt.date(2023, 1, 1)))),
        ),
        ('ColumnValues "c" in ["2022-01-01",NULL]', InList((DateValue(dt.date(2022, 1, 1)), NULL))),
        ('ColumnValues "c" = "21:45"', Comparison("=", TimeValue(21, 45, "21:45"))),
        (
            'ColumnDataType "c" in ["Date","Integer"]',
            InList((StringValue("Date"), StringValue("Integer"))),
        ),
        ('ColumnDataType "c" != "Boolean"', Comparison("!=", StringValue("Boolean"))),
        ('DataFreshness "c" > 30 hours', Comparison(">", Duration(30, "hours"))),
        (
            'DataFreshness "c" not between 2 days and 90 minutes',
            Between(Duration(2, "days"), Duration(90, "minutes"), True),
        ),
        ('FileSize "s3://b/" in [1 KB,2 TB]', InList((Size(1, "KB"), Size(2, "TB")))),
        ('FileSize "s3://b/" > 1048576', Comparison(">", NumberValue(Decimal(1048576), "1048576"))),
        ('FileFreshness "s3://b/" <= "9:30 PM"', Comparison("<=", TimeValue(21, 30, "9:30 PM"))),
    ],
)
def test_string_date_duration_size_and_keyword_conditions(text, condition):
    r = rule(text)
    assert r.condition == condition
    assert rule(r.text) == r


def test_sizes_are_1024_based_and_durations_have_timedeltas():
    assert Size(5, "GB").bytes == 5 * 1024**3
    assert Size(3, "B").bytes == 3
    assert Duration(90, "minutes").timedelta == dt.timedelta(minutes=90)


def test_date_shaped_strings_are_strings_where_only_strings_make_sense():
    # a list mixing dates and other strings is a string list; ColumnDataType takes strings only
    assert rule('ColumnValues "c" in ["2024-01-01","x"]').condition == InList(
        (StringValue("2024-01-01"), StringValue("x"))
    )
    assert rule('FileMatch "s3://b/" in ["2024-01-01"]').condition == InList(
        (StringValue("2024-01-01"),)
    )


def test_string_literals_unescape_but_parameters_regexes_and_where_keep_their_text():
    r = rule('ColumnValues "c\\"x" in ["a\\"b", "c\\\\d"] where "name = \\"x\\""')
    assert r.parameters[0].value == 'c\\"x'
    assert r.condition == InList((StringValue('a"b'), StringValue("c\\d")))
    assert r.where == 'name = \\"x\\"'
    assert r.text == 'ColumnValues "c\\"x" in ["a\\"b","c\\\\d"] where "name = \\"x\\""'
    assert rule(r.text) == r
    assert rule('ColumnValues "c" matches "\\d+\\.\\d"').condition == Matches("\\d+\\.\\d")


def test_parameters_bare_quoted_connectors_and_multiline_sql():
    r = rule('ColumnCorrelation of col_1 and "col abc" between 0.4 and 0.8')
    assert r.parameters == (Param("col_1", False, "of"), Param("col abc", True, "and"))
    assert r.columns == ("col_1", "col abc")
    r = rule('IsPrimaryKey colA "col B" c.d')
    assert r.columns == ("colA", "col B", "c.d")
    assert r.text == 'IsPrimaryKey colA "col B" c.d'
    r = rule('CustomSql "select count(*)\n  from primary\n  where amount < 0" = 0')
    assert r.parameters[0].value == "select count(*)\n  from primary\n  where amount < 0"
    assert rule("Completeness OF c > 0.5").text == "Completeness OF c > 0.5"


def test_keywords_are_case_sensitive_except_and_or_of_and_the_value_keywords():
    assert rule('ColumnValues "c" in ["a", null, empty, whitespaces_only]').condition == InList(
        (StringValue("a"), NULL, EMPTY, WHITESPACES_ONLY)
    )
    assert parse('Rules = [ (IsComplete "a") AND (IsComplete "b") ]').rules[0].operator == "and"
    assert parse('Rules = [ (IsComplete "a") OR (IsComplete "b") ]').rules[0].operator == "or"
    (problem,) = errors('Rules = [ ColumnValues "c" BETWEEN 1 AND 2 ]')
    # BETWEEN is read as a (bare) parameter, then AND as a connector: one parameter too many
    assert problem.column == 28
    assert problem.message == "unknown word 'BETWEEN' (did you mean 'between'?)"
    (problem,) = errors('Rules = [ (IsComplete "a") And (IsComplete "b") ]')
    assert problem.message.startswith("unexpected 'And'")


def test_columns_helpers_for_multi_dataset_rules():
    assert rule('ReferentialIntegrity "a, b" "ref.{x, y}" = 1.0').columns == ("a", "b")
    assert rule('DatasetMatch "ref" "id->rid,k" "c1->rc1" >= 0.9').columns == ("id", "k", "c1")
    assert rule('AggregateMatch "sum(amt)" "avg(ref.amt)" > 0.9').columns == ("amt",)
    assert rule('DetectAnomalies "ColumnCorrelation" "a" "b"').columns == ("a", "b")
    assert rule('CustomSql "select 1" = 1').columns == ()
    assert reference_columns("ref.{x,y}") == ("ref", ("x", "y"))
    assert reference_columns("ref.x") == ("ref", ("x",))
    assert column_mappings("a->b, c") == (("a", "b"), ("c", "c"))
    assert aggregate_expression("SUM(ref.amt)") == ("sum", "ref", "amt")
    assert aggregate_expression("avg(x)") == ("avg", None, "x")
    with pytest.raises(ValueError):
        aggregate_expression("max(x)")
    with pytest.raises(ValueError):
        column_mappings("a->")


# --------------------------------------------------------------------------- modifiers


def test_where_labels_and_threshold_in_glue_order():
    r = rule(
        'ColumnValues "c" in [10,20] where "b is NOT NULL" labels=["team"="data","tier"="1"] '
        "with threshold > 0.5"
    )
    assert r.where == "b is NOT NULL"
    assert r.labels == {"team": "data", "tier": "1"}
    assert r.threshold == Comparison(">", NumberValue(Decimal("0.5"), "0.5"))
    # labels are reported apart, not in the rule text
    assert r.text == 'ColumnValues "c" in [10,20] where "b is NOT NULL" with threshold > 0.5'
    # labels may also follow the with-clauses
    assert rule('ColumnValues "c" > 1 with threshold > 0.5 labels=["a"="b"]').labels == {"a": "b"}


def test_threshold_forms_and_dynamic_thresholds():
    r = rule('ColumnValues "c" <= 0.4 with threshold not between 0.4 and 0.8')
    assert r.threshold == Between(
        NumberValue(Decimal("0.4"), "0.4"), NumberValue(Decimal("0.8"), "0.8"), True
    )
    r = rule('ColumnDataType "c" = "Integer" with threshold > avg(last(3))')
    assert isinstance(r.threshold.operand, DynamicExpr)  # type: ignore[union-attr]
    assert (
        rule('FileFreshness "s3://b/" > (now() - 1 days) with threshold > 0.1').threshold
        is not None
    )


def test_file_rule_tags_become_options():
    r = rule(
        'FileUniqueness "s3://b/" > 0.5 with recentFiles = 5 with uriRegex = "\\.csv$" '
        'with filterOrder = ["uriRegex","recentFiles"] with matchFileName = "true"'
    )
    assert r.options == {
        "recentFiles": 5,
        "uriRegex": "\\.csv$",
        "filterOrder": ("uriRegex", "recentFiles"),
        "matchFileName": "true",
    }
    assert r.text == (
        'FileUniqueness "s3://b/" > 0.5 with "recentFiles" = 5 with "uriRegex" = "\\\\.csv$" '
        'with "filterOrder" = ["uriRegex","recentFiles"] with "matchFileName" = "true"'
    )
    assert rule(r.text) == r


# --------------------------------------------------------------------------- composites


def test_composites_nest_three_deep_and_print_like_glue():
    node = parse_rule(
        '(RowCount > 0) or ((IsComplete "a") and ((IsUnique "a") or (ColumnValues "a" > 1)))'
    )
    assert isinstance(node, CompositeRule)
    assert node.operator == "or"
    inner = node.operands[1]
    assert isinstance(inner, CompositeRule) and inner.operator == "and"
    innermost = inner.operands[1]
    assert isinstance(innermost, CompositeRule) and innermost.operator == "or"
    assert [leaf.text for leaf in node.leaves()] == [
        "RowCount > 0",
        'IsComplete "a"',
        'IsUnique "a"',
        'ColumnValues "a" > 1',
    ]
    assert (
        node.text
        == '(RowCount > 0) OR ((IsComplete "a") AND ((IsUnique "a") OR (ColumnValues "a" > 1)))'
    )
    assert parse_rule(node.text) == node
    assert node.columns == ("a",)


def test_a_chain_of_one_operator_is_flattened_in_the_text():
    node = parse_rule('((IsComplete "a") and (IsComplete "b")) and (IsComplete "c")')
    assert isinstance(node, CompositeRule) and len(node.operands) == 2
    assert node.text == '(IsComplete "a") AND (IsComplete "b") AND (IsComplete "c")'
    flat = parse_rule('(IsComplete "a") and (IsComplete "b") and (IsComplete "c")')
    assert isinstance(flat, CompositeRule) and len(flat.operands) == 3


def test_composite_labels_go_after_the_outer_parentheses():
    ruleset = parse(
        'DefaultLabels = ["team"="x"]\nRules = [ (RowCount > 0) and (IsComplete "a") labels=["team"="y","p"="1"] ]'
    )
    node = ruleset.rules[0]
    assert node.labels == {"team": "y", "p": "1"}
    assert effective_labels(node, ruleset) == {"team": "y", "p": "1"}
    single = parse('Rules = [ (IsComplete "a") labels=["k"="v"] ]').rules[0]
    assert isinstance(single, Rule) and single.labels == {"k": "v"}


def test_composite_nesting_is_limited_to_five_levels():
    deep = "(RowCount > 0)"
    for i in range(5):  # five nested composites, alternating operators
        deep = f"({deep}) {'and' if i % 2 else 'or'} (RowCount > {i})"
    assert isinstance(parse_rule(deep), CompositeRule)
    too_deep = f"({deep}) and (RowCount > 9)"
    with pytest.raises(DqdlSyntaxError, match="nest at most 5 levels"):
        parse_rule(too_deep)


# --------------------------------------------------------------------------- constants, dynamic


def test_constants_for_parameters_and_lists():
    ruleset = parse(
        'sql = "select count(*) from primary"\n'
        'allowed = ["NEW", "PAID", NULL]\n'
        'one = "X"\n'
        'Rules = [ CustomSql $sql > 0, ColumnValues "s" in $allowed, ColumnValues "s" not in $one, '
        'ColumnValues "s" = $one, ColumnValues "s" in ["A", $one] ]'
    )
    sql, in_list, not_in, eq, mixed = ruleset.rules
    assert sql.parameters[0] == Param("select count(*) from primary", True, None, "sql")
    assert sql.text == "CustomSql $sql > 0"
    assert in_list.condition == InList(
        (StringValue("NEW"), StringValue("PAID"), NULL), False, "allowed"
    )
    assert in_list.text == 'ColumnValues "s" in $allowed'
    assert not_in.condition.negated and not_in.text == 'ColumnValues "s" not in $one'
    assert eq.condition == Comparison("=", StringValue("X", constant="one"))
    assert eq.text == 'ColumnValues "s" = $one'
    assert mixed.condition.values == (StringValue("A"), StringValue("X", constant="one"))
    assert ruleset.constants["allowed"] == (StringValue("NEW"), StringValue("PAID"), NULL)


def test_dynamic_expressions_build_trees_left_to_right():
    r = rule("RowCount > avg(last(10)) + std(last(2)) * 2")
    expr = r.condition.operand  # type: ignore[union-attr]
    assert isinstance(expr, DynamicExpr)
    # one precedence, left to right, as in the awslabs/dqdl grammar
    assert isinstance(expr.expr, BinaryOp) and expr.expr.op == "*"
    assert isinstance(expr.expr.left, BinaryOp) and expr.expr.left.op == "+"
    r = rule("RowCount > avg(last(10)) + (std(last(2)) * 2)")
    assert r.condition.operand.expr.op == "+"  # type: ignore[union-attr]
    assert r.text == "RowCount > avg(last(10)) + (std(last(2)) * 2)"
    r = rule("RowCount between (0.9 * avg(last(10))) and 1.1 * avg(last(10))")
    assert r.text == "RowCount between (0.9 * avg(last(10))) and 1.1 * avg(last(10))"
    r = rule("RowCount > index(last(5), 0) - abs(-3)")
    assert r.condition.operand.expr.left == FunctionCall(  # type: ignore[union-attr]
        "index",
        (FunctionCall("last", (NumberValue(Decimal(5), "5"),)), NumberValue(Decimal(0), "0")),
    )
    assert rule("RowCount > last(1)").condition.operand.uses_history  # type: ignore[union-attr]
    assert rule("RowCount > (5)").condition == Comparison(">", NumberValue(Decimal(5), "5"))
    assert isinstance(rule("RowCount > 2 * 3").condition.operand, DynamicExpr)  # type: ignore[union-attr]


def test_comments_anywhere_outside_strings():
    ruleset = parse(
        """# leading comment
Metadata = { # a comment inside a dictionary
  "Version": "1.0" }   # trailing
c = [ "a", # inside a constant list
      "b" ]
Rules = [ # after the bracket
  IsComplete # between a rule type and its parameter
    "a" # after a parameter
  , # before the comma of the next rule
  ColumnValues "s" in [ "x#not-a-comment", # inside a value list
                        "y" ] with # between with and its key
    threshold > 0.5,
  (RowCount > 0) # between composite operands
    and (IsComplete "b")
  # before the closing bracket
]
# trailing comment without a newline"""
    )
    assert [r.text for r in ruleset.rules] == [
        'IsComplete "a"',
        'ColumnValues "s" in ["x#not-a-comment","y"] with threshold > 0.5',
        '(RowCount > 0) AND (IsComplete "b")',
    ]
    assert ruleset.constants["c"] == (StringValue("a"), StringValue("b"))


def test_positions_of_rules_and_their_source():
    ruleset = parse('Rules = [\n  IsComplete "a",\n    (RowCount > 0) and (IsComplete "b")\n]')
    assert (ruleset.rules[0].line, ruleset.rules[0].column) == (2, 3)
    assert (ruleset.rules[1].line, ruleset.rules[1].column) == (3, 5)
    assert "IsComplete" in ruleset.source_text


def test_the_ast_is_immutable_hashable_and_picklable():
    ruleset = parse(
        'DefaultLabels = ["a"="b"]\nRules = [ IsComplete "a" labels=["k"="v"], RowCount > avg(last(3)) ]'
    )
    r = ruleset.rules[0]
    with pytest.raises(AttributeError):
        r.rule_type = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.labels["x"] = "y"  # type: ignore[index]
    assert hash(r) == hash(rule('IsComplete "a" labels=["k"="v"]'))
    assert pickle.loads(pickle.dumps(ruleset)) == ruleset
    assert {r: 1}[pickle.loads(pickle.dumps(r))] == 1


def test_parse_file_and_the_grammar_resource(tmp_path: Path):
    path = tmp_path / "orders.dqdl"
    path.write_text('Rules = [ IsComplete "order_id" ]\n', encoding="utf-8")
    assert parse_file(path).rules[0].text == 'IsComplete "order_id"'
    path.write_text("Rules = [ IsComplete ]\n", encoding="utf-8")
    with pytest.raises(DqdlSyntaxError) as info:
        parse_file(path)
    assert info.value.source == str(path)
    assert str(info.value).startswith(f"{path}: line 1, column 21:")


def test_the_grammar_loads_from_a_zipped_package(tmp_path: Path):
    package = Path(lakehouse.__file__).parent
    archive = tmp_path / "lakehouse.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(package / "__init__.py", "lakehouse/__init__.py")
        for path in sorted((package / "dq").iterdir()):
            if path.suffix in (".py", ".lark"):
                zf.write(path, f"lakehouse/dq/{path.name}")
    code = (
        f"import sys; sys.path.insert(0, {str(archive)!r}); import lakehouse.dq as dq; "
        "assert '.zip' in dq.__file__, dq.__file__; "
        "print(dq.parse('Rules = [ IsComplete \"a\" ]').rules[0].text)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == 'IsComplete "a"'


def test_the_registry_covers_every_rule_type_in_the_brief():
    expected = {
        "RowCount", "RowCountMatch", "ColumnCount", "ColumnExists", "ColumnNamesMatchPattern",
        "ColumnDataType", "IsComplete", "Completeness", "IsUnique", "Uniqueness", "IsPrimaryKey",
        "UniqueValueRatio", "DistinctValuesCount", "ColumnValues", "ColumnLength", "Mean", "Sum",
        "StandardDeviation", "Variance", "Entropy", "ColumnCorrelation", "CustomSql",
        "DataFreshness", "ReferentialIntegrity", "DatasetMatch", "SchemaMatch", "AggregateMatch",
        "DetectAnomalies", "FileFreshness", "FileMatch", "FileUniqueness", "FileSize",
        "Distribution", "AllStatistics",
    }  # fmt: skip
    assert set(RULE_TYPES) == expected
    parsed = {r.rule_type for text in DOC_RULES for r in parse(f"Rules = [ {text} ]").leaf_rules()}
    assert expected - parsed == {"Distribution", "AllStatistics"}  # analyzers only


# --------------------------------------------------------------------------- errors

MALFORMED = [
    # (ruleset, line, column, words in the message, an expected word)
    (
        'Rules = [\n  IsComplete "email",\n  IsCompletee "email"\n]',
        3,
        3,
        "unknown rule type 'IsCompletee' (did you mean IsComplete?)",
        "a rule type",
    ),
    ('Rules = [ iscomplete "e" ]', 1, 11, "did you mean IsComplete?", "a rule type"),
    (
        'Rules = [ ColumnValues "a" > 0.4 with treshold > 0.5 ]',
        1,
        39,
        "unknown 'with' option 'treshold' for ColumnValues (did you mean threshold?)",
        "'threshold'",
    ),
    (
        'Rules = [ (RowCount > 0) and (IsComplete "a") or (IsComplete "b") ]',
        1,
        47,
        "cannot mix 'and' and 'or'",
        "'and'",
    ),
    ('Rules = [ RowCount > 0 and IsComplete "a" ]', 1, 24, "must each be in parentheses", "'with'"),
    ('Rules = [ IsComplete "a" and IsComplete "b" ]', 1, 26, "must each be in parentheses", "'('"),
    (
        'Rules = [ (RowCount > 0) and IsComplete "a" ]',
        1,
        30,
        "each operand of 'and' must be in parentheses",
        "'('",
    ),
    ('Rules = [ ColumnExists "id" > 0 ]', 1, 29, "ColumnExists takes no condition", "','"),
    ('Rules = [ IsComplete "a" = 1 ]', 1, 26, "IsComplete takes no condition", "'with'"),
    (
        'Rules = [ Completeness "a" ]',
        1,
        27,
        "Completeness needs a condition such as '> 0.9'",
        "a condition such as '> 0.9'",
    ),
    (
        'Rules = [ DataFreshness "d" ]',
        1,
        28,
        "needs a condition such as '<= 24 hours'",
        "a condition such as '<= 24 hours'",
    ),
    (
        'Rules = [ CustomSql "select 1" = 0 where "x > 1" ]',
        1,
        36,
        "'where' is not supported by CustomSql",
        "'with'",
    ),
    (
        'Rules = [ ColumnExists "a" where "x > 1" ]',
        1,
        28,
        "'where' is not supported by ColumnExists",
        "','",
    ),
    (
        'Rules = [ Completeness "a" > 0.4 with threshold > 0.4 ]',
        1,
        39,
        "'with threshold' is not supported by Completeness",
        "",
    ),
    (
        'Rules = [ ColumnValues "a" > 1 with threshold = "x" ]',
        1,
        47,
        "'with threshold' takes a condition on a number",
        "a condition such as '> 0.9'",
    ),
    (
        'Rules = [ ColumnValues "a" > 1 with threshold > 0.5 with threshold > 0.6 ]',
        1,
        58,
        "only one 'with threshold'",
        "",
    ),
    (
        'Rules = [ CustomSql "select id from primary" > 0 with threshold > 0.5 ]',
        1,
        46,
        "not both",
        "",
    ),
    ("Rules = [ CustomSql $q = 0 ]", 1, 21, "undefined constant '$q'", "a defined $constant"),
    (
        'qq = "x"\nRules = [ CustomSql $q = 0 ]',
        2,
        21,
        "undefined constant '$q' (did you mean qq?)",
        "",
    ),
    ('l = ["a"]\nRules = [ CustomSql $l = 0 ]', 2, 21, "is a list", "a string constant"),
    ('Rules = [ IsComplete "a" labels=["k"="v","k"="w"] ]', 1, 42, "duplicate label key 'k'", ""),
    ('Rules = [ IsComplete "a" labels=[] ]', 1, 33, "at least one label", ""),
    (
        'Rules = [ IsComplete "a" labels=["' + "k" * 129 + '"="v"] ]',
        1,
        34,
        "label key has 129 characters",
        "",
    ),
    (
        'Rules = [ IsComplete "a" labels=["k"="' + "v" * 257 + '"] ]',
        1,
        38,
        "label value has 257 characters",
        "",
    ),
    (
        'Rules = [ IsComplete "a" labels=[' + ",".join(f'"k{i}"="v"' for i in range(11)) + "] ]",
        1,
        33,
        "has 11 labels; the maximum is 10",
        "",
    ),
    (
        "DefaultLabels = ["
        + ",".join(f'"d{i}"="v"' for i in range(6))
        + ']\nRules = [ IsComplete "a" labels=['
        + ",".join(f'"k{i}"="v"' for i in range(5))
        + "] ]",
        2,
        26,
        "would carry 11 labels",
        "",
    ),
    (
        'Rules = [ (IsComplete "a" labels=["k"="v"]) and (IsComplete "b") ]',
        1,
        27,
        "put them after the outermost parentheses",
        "",
    ),
    ('Rules = [ IsComplete "a" labels=[""="v"] ]', 1, 34, "cannot be empty", ""),
    (
        'Rules = [ IsComplete "a" with threshold > 0.5 where "x" ]',
        1,
        47,
        "'where' must come right after",
        "'with'",
    ),
    ('Rules = [ ColumnValues "col-A" in [1,"2"] ]', 1, 32, "cannot mix numbers and strings", ""),
    (
        'Rules = [ DataFreshness "col-A" <= 3 ]',
        1,
        33,
        "DataFreshness takes a condition on a duration",
        "a condition such as '<= 24 hours'",
    ),
    (
        'Rules = [ DataFreshness "col-A" between 2 and 4 days ]',
        1,
        33,
        "cannot mix durations and numbers",
        "",
    ),
    (
        'Rules = [ ColumnValues "col-A" > now() + 1 hours ]',
        1,
        40,
        "date arithmetic needs parentheses",
        "'with'",
    ),
    (
        'Rules = [ ColumnValues "col-A" = (now() - 3 weeks) ]',
        1,
        45,
        "unexpected 'weeks'",
        "a duration unit (days, hours, minutes)",
    ),
    ('Rules = [ ColumnValues "col-A" = (now() - 3 day) ]', 1, 45, "(did you mean 'days'?)", ""),
    ("Rules = [ FileSize < 5 GiB ]", 1, 24, "unexpected 'GiB'", "a size unit (B, KB, MB, GB, TB)"),
    (
        'Rules = [ ColumnValues "a" > "abc" ]',
        1,
        28,
        "a string can only be tested with =, !=, in, not in or matches",
        "'='",
    ),
    ('Rules = [ ColumnValues "a" between NULL and 3 ]', 1, 28, "NULL cannot be a bound", ""),
    (
        'Rules = [ Completeness "a" = "x" ]',
        1,
        28,
        "Completeness takes a condition on a number, not on a string",
        "a condition such as '> 0.9'",
    ),
    (
        'Rules = [ ColumnValues "a" > 1.5 days ]',
        1,
        30,
        "durations are whole numbers",
        "a whole number",
    ),
    (
        'Rules = [ ColumnValues "a" > 2 days ]',
        1,
        28,
        "ColumnValues takes a condition on a date or a number or a string, not on a duration",
        "",
    ),
    (
        'Rules = [ ColumnValues "a" = "2024-02-30" ]',
        1,
        30,
        'invalid date "2024-02-30"',
        'a date such as "2024-01-31"',
    ),
    ('Rules = [ ColumnValues "a" = "25:00" ]', 1, 30, 'invalid time "25:00"', ""),
    ("Rules = [ ]", 1, 1, "no rules or analyzers", "a rule"),
    ('Metadata = {"Version": "1.0"}', 1, 1, "needs a Rules section", "'Rules = ['"),
    ("", 1, 1, "needs a Rules section", "'Rules = ['"),
    ('Rules = [ AllStatistics "id" ]', 1, 11, "AllStatistics is an analyzer", "a rule type"),
    (
        'Rules = [ IsPrimaryKey "a" ] Analyzers = [ IsComplete "c" ]',
        1,
        44,
        "IsComplete cannot be used as an analyzer",
        "",
    ),
    (
        'Rules = [ IsPrimaryKey "a" ] Analyzers = [ Completeness "colA" > 1.0 ]',
        1,
        64,
        "analyzers take no condition",
        'a parameter such as "column"',
    ),
    (
        'Rules = [ IsPrimaryKey "a" ] Analyzers = [ Distribution "c" with bins = 50 ]',
        1,
        66,
        "bins must be",
        "",
    ),
    (
        'Rules = [ IsPrimaryKey "a" ] Analyzers = [ Distribution "c" with binz = 5 ]',
        1,
        66,
        "(did you mean bins?)",
        "",
    ),
    ("Rules = [ ColumnNamesMatchPattern aws_* ]", 1, 39, "unexpected '*'", ""),
    ("Rules = [ RowCount > 1e5 ]", 1, 22, "'1e5' is not a DQDL number", "a number"),
    ("Rules = [ RowCount > .5 ]", 1, 22, "'.5' is not a DQDL number", "a number"),
    ('Rules = [ Completeness "a" > 90% ]', 1, 32, "unexpected character '%'", "','"),
    ("Rules = [ RowCount > last(3) ]", 1, 22, "aggregate them, e.g. avg(last(3))", ""),
    (
        "Rules = [ RowCount > average(last(3)) ]",
        1,
        22,
        "unknown function 'average' (did you mean avg?)",
        "",
    ),
    (
        "Rules = [ RowCount > avg(std(last(3))) ]",
        1,
        26,
        "avg() takes last(k) as its first argument",
        "last(k)",
    ),
    ("Rules = [ RowCount > index(last(3), 3) ]", 1, 37, "from 0 (the newest run) to 2", ""),
    ("Rules = [ RowCount > last(0) ]", 1, 27, "last() takes a whole number", ""),
    (
        'Rules = [ ColumnValues "x" > avg(last(3)) ]',
        1,
        28,
        "ColumnValues does not support dynamic rules",
        "",
    ),
    ("Rules = [ RowCount > +5 ]", 1, 22, "unexpected '+' before a number", ""),
    ('Rules = [ IsComplete "a" "b" ]', 1, 26, "IsComplete takes exactly 1 parameter, got 2", ""),
    (
        "Rules = [ IsComplete ]",
        1,
        21,
        "IsComplete takes exactly 1 parameter, got 0",
        'a column name such as "id"',
    ),
    ('Rules = [ ColumnCorrelation "a" > 0.5 ]', 1, 32, "exactly 2 parameters, got 1", ""),
    (
        'Rules = [ IsComplete "a" wher "x > 1" ]',
        1,
        26,
        "unknown word 'wher' (did you mean 'where'?)",
        "'where'",
    ),
    (
        'Rules = [ ColumnValues "b" betwen 1 and 2 ]',
        1,
        28,
        "unknown word 'betwen' (did you mean 'between'?)",
        "",
    ),
    (
        'Rules = [ ReferentialIntegrity "a,b" "ref.{x}" = 1.0 ]',
        1,
        38,
        "2 primary column(s) but 1 reference",
        "",
    ),
    ('Rules = [ ReferentialIntegrity "a" "ref" = 1.0 ]', 1, 36, "bad ReferenceDatasetColumns", ""),
    ('Rules = [ DatasetMatch "ref" "id->" = 1.0 ]', 1, 30, "bad KeyColumnMappings", ""),
    ('Rules = [ AggregateMatch "max(a)" "sum(b)" = 1.0 ]', 1, 26, "bad AggregateExpression1", ""),
    ('Rules = [ DetectAnomalies "Foo" ]', 1, 27, "DetectAnomalies cannot watch 'Foo'", ""),
    (
        'Rules = [ DetectAnomalies "Completeness" ]',
        1,
        27,
        "needs the parameters of Completeness",
        "",
    ),
    (
        'Rules = [ FileMatch "s3://a" in ["h"] with hashAlgorithm = "SHA-512" ]',
        1,
        39,
        "hashAlgorithm must be one of",
        "",
    ),
    ("Rules = [ FileUniqueness > 0.5 with recentFiles = 0 ]", 1, 32, "recentFiles must be", ""),
    ("Rules = [ FileUniqueness > 0.5 with recentFiles > 1 ]", 1, 49, "takes '= <value>'", "'='"),
    (
        'Rules = [ RowCount > 0 with hashAlgorithm = "MD5" ]',
        1,
        29,
        "unknown 'with' option 'hashAlgorithm'",
        "",
    ),
    ('Rules = [ ColumnValues "a" in ["x" ]', 1, 37, "unexpected end of the ruleset", "']'"),
    (
        'Rules = [ IsComplete "a",\n  IsComplete "b", ]',
        2,
        17,
        "empty item in the Rules list",
        "a rule",
    ),
    ('Rules = [ IsComplete "a" "b ]', 1, 26, "unterminated string", "','"),
    ('Rules = [ IsComplete "a" @ ]', 1, 26, "unexpected character '@'", "'with'"),
    (
        'rules = [ IsComplete "a" ]',
        1,
        11,
        "section names are case-sensitive: did you mean 'Rules'?",
        "a quoted string",
    ),
    (
        'Rules = [ RowCount > 0 ] Metadata = {"Version": "1.0"}',
        1,
        26,
        "Metadata section is out of place",
        "",
    ),
    (
        'Metadata = {"Version": "1.0", "Author": "x"}\nRules = [ RowCount > 0 ]',
        1,
        31,
        "unsupported Metadata key",
        "",
    ),
    (
        'DataSources = {"Primary": "x", "Additional": ["a"]}\nRules = [ RowCount > 0 ]',
        1,
        32,
        "unsupported DataSources key 'Additional' (did you mean AdditionalDataSources?)",
        "",
    ),
    ("DataSources = {}\nRules = [ RowCount > 0 ]", 1, 15, "empty DataSources dictionary", ""),
    ('a = "x"\na = "y"\nRules = [ RowCount > 0 ]', 2, 1, "constant 'a' is defined twice", ""),
    ('_a = "x"\nRules = [ RowCount > 0 ]', 1, 1, "cannot start with '.' or '_'", ""),
    ('Rules = [ (IsComplete "a") and ]', 1, 31, "'and' needs another operand", "'('"),
]


@pytest.mark.parametrize(("text", "line", "column", "message", "expected"), MALFORMED)
def test_malformed_rulesets_report_line_column_and_expected_words(
    text, line, column, message, expected
):
    problems = errors(text)
    first = problems[0]
    assert (first.line, first.column) == (line, column), str(first)
    assert message in first.message
    if expected:
        assert expected in first.expected, first.expected
    assert first.rule_text == text.split("\n")[line - 1].strip()
    with pytest.raises(DqdlSyntaxError) as info:
        parse(text)
    assert [p.describe() for p in info.value.problems] == [p.describe() for p in problems]
    assert str(info.value).startswith(f"line {line}, column {column}: ")


def test_the_error_message_format():
    with pytest.raises(DqdlSyntaxError) as info:
        parse('Rules = [\n  RowCount > 0,\n    IsCompletee "email"\n]')
    err = info.value
    assert (
        str(err)
        == "line 3, column 5: unknown rule type 'IsCompletee' (did you mean IsComplete?) in: IsCompletee \"email\""
    )
    assert (err.line, err.column, err.expected, err.rule_text) == (
        3,
        5,
        ("a rule type",),
        'IsCompletee "email"',
    )
    assert isinstance(err, ValueError)


def test_every_problem_is_collected():
    text = """Rules = [
  IsComplete "a",
  ColumnValues "b" betwen 1 and 2,
  IsUniqe "c",
  RowCount >,
  Completeness "d" > 0.5 with treshold > 0.1,
  (RowCount > 0) and IsComplete "x",
  IsComplete "e" labels=["k"="v","k"="w"]
]
Analyzers = [ Completeness "a", Distribution "x" with bins = 99 ]"""
    problems = errors(text)
    assert [(p.line, p.column) for p in problems] == [
        (3, 20),
        (4, 3),
        (5, 13),
        (6, 31),
        (7, 22),
        (8, 34),
        (10, 55),
    ]
    assert "did you mean 'between'" in problems[0].message
    assert "did you mean IsUnique" in problems[1].message
    assert problems[2].message == "unexpected end of the rule"  # the item `RowCount >`
    assert "did you mean threshold" in problems[3].message
    assert "parentheses" in problems[4].message
    assert "duplicate label key" in problems[5].message
    assert "bins must be" in problems[6].message
    with pytest.raises(DqdlSyntaxError) as info:
        parse(text)
    assert len(str(info.value).splitlines()) == 7


def test_semantic_problems_are_all_collected_without_syntax_errors():
    problems = errors('Rules = [ IsCompletee "a", Completeness "b", ColumnExists "c" > 1 ]')
    assert [p.column for p in problems] == [11, 44, 63]


def test_parse_rule_reports_errors_too():
    with pytest.raises(DqdlSyntaxError, match="unexpected end of the rule"):
        parse_rule("RowCount >")
    with pytest.raises(DqdlSyntaxError, match="undefined constant"):
        parse_rule("CustomSql $x = 1")
    assert parse_rule("CustomSql $x = 1", constants={"x": "select 1"}).text == "CustomSql $x = 1"
