"""DQDL condition semantics: ``evaluate`` for values and ``row_predicate_sql`` for Spark rows.

The SQL predicates are cross-checked against ``evaluate`` by running them in SQLite (after
re-quoting Spark's backslash-escaped string literals and mapping RLIKE to a Java-like regex), so
the NULL rules are tested by a real SQL engine without needing Spark.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
from decimal import Decimal

import pytest

from lakehouse.dq import evaluate, parse_rule, row_predicate_sql
from lakehouse.dq.ast import Comparison, Condition, NumberValue, StringValue
from lakehouse.dq.conditions import (
    DqdlEvaluationError,
    evaluate_number,
    resolve_datetime,
    sql_literal,
    sql_string,
)

NOW = dt.datetime(2024, 3, 10, 12, 34, 56)


def cond(text: str, rule_type: str = 'ColumnValues "c"') -> Condition:
    c = parse_rule(f"{rule_type} {text}").condition  # type: ignore[union-attr]
    assert c is not None
    return c


def history_of(*values: float):
    """A history callable returning up to k of ``values`` (newest first)."""
    calls: list[int] = []

    def history(k: int) -> list[float]:
        calls.append(k)
        return list(values)

    history.calls = calls  # type: ignore[attr-defined]
    return history


# --------------------------------------------------------------------------- operator tables

TABLE = [
    ("= 5", 5, True),
    ("= 5", 5.0, True),
    ("= 5", Decimal("5.00"), True),
    ("= 5", 4, False),
    ("= 5", None, False),
    ("= 0.1", 0.1, True),
    ("!= 5", 5, False),
    ("!= 5", 4, True),
    ("!= 5", None, True),
    ("> 5", 6, True),
    ("> 5", 5, False),
    ("> 5", None, False),
    (">= 5", 5, True),
    (">= 5", 4.99, False),
    (">= 5", None, False),
    ("< 5", 4, True),
    ("< 5", 5, False),
    ("< 5", None, False),
    ("<= 5", 5, True),
    ("<= 5", 6, False),
    ("<= 5", None, False),
    ("> -1.5", -1, True),
    ("< -1.5", -1, False),
    ("between 1 and 5", 1, False),
    ("between 1 and 5", 1.0001, True),
    ("between 1 and 5", 3, True),
    ("between 1 and 5", 4.999, True),
    ("between 1 and 5", 5, False),
    ("between 1 and 5", 0, False),
    ("between 1 and 5", None, False),
    ("between 5 and 1", 3, False),
    ("not between 1 and 5", 1, True),
    ("not between 1 and 5", 5, True),
    ("not between 1 and 5", 0, True),
    ("not between 1 and 5", 6, True),
    ("not between 1 and 5", 3, False),
    ("not between 1 and 5", None, False),
    ("in [1,2]", 1, True),
    ("in [1,2]", 2.0, True),
    ("in [1,2]", 3, False),
    ("in [1,2]", None, False),
    ("in [1,NULL]", None, True),
    ("in [NULL]", None, True),
    ("in [NULL]", 0, False),
    ("not in [1,2]", 3, True),
    ("not in [1,2]", 1, False),
    ("not in [1,2]", None, True),
    ("not in [1,NULL]", None, False),
    ("not in [1,NULL]", 2, True),
    ("= NULL", None, True),
    ("= NULL", 0, False),
    ("= NULL", "", False),
    ("!= NULL", None, False),
    ("!= NULL", 0, True),
    ('= "a"', "a", True),
    ('= "a"', "A", False),
    ('= "a"', None, False),
    ('!= "a"', "a", False),
    ('!= "a"', "b", True),
    ('!= "a"', None, True),
    ('in ["a","b"]', "b", True),
    ('in ["a","b"]', "c", False),
    ('in ["a","b"]', None, False),
    ('not in ["a","b"]', "c", True),
    ('not in ["a","b"]', None, True),
    ('not in ["a",NULL]', None, False),
    ("= EMPTY", "", True),
    ("= EMPTY", " ", False),
    ("= EMPTY", None, False),
    ("!= EMPTY", "", False),
    ("!= EMPTY", "x", True),
    ("!= EMPTY", None, True),
    ("= WHITESPACES_ONLY", " ", True),
    ("= WHITESPACES_ONLY", " \t\n\r\f\x0b", True),
    ("= WHITESPACES_ONLY", "", False),
    ("= WHITESPACES_ONLY", " x ", False),
    ("= WHITESPACES_ONLY", None, False),
    ("!= WHITESPACES_ONLY", "  ", False),
    ("!= WHITESPACES_ONLY", "", True),
    ("!= WHITESPACES_ONLY", None, True),
    ('in ["a",EMPTY]', "", True),
    ('in ["a",EMPTY]', " ", False),
    ('in ["a",WHITESPACES_ONLY]', "   ", True),
    ('in ["a",WHITESPACES_ONLY]', None, False),
    ('in ["a",NULL,EMPTY,WHITESPACES_ONLY]', None, True),
    ('not in ["a",EMPTY]', "", False),
    ('not in ["a",EMPTY]', "b", True),
    ('not in ["a",EMPTY]', None, True),
    ("not in [NULL,EMPTY,WHITESPACES_ONLY]", " ", False),
    ("not in [NULL,EMPTY,WHITESPACES_ONLY]", "x", True),
    ('matches "[a-z]+"', "abc", True),
    ('matches "[a-z]+"', "abc1", False),
    ('matches "[a-z]+"', "", False),
    ('matches "[a-z]*"', "", True),
    ('matches "[a-z]+"', None, False),
    ('matches "b"', "abc", False),  # the whole value must match
    ('matches "a|bc"', "abc", False),  # alternation is grouped before anchoring
    ('matches "a|bc"', "bc", True),
    ('matches "\\d{3}-\\d{4}"', "555-1234", True),
    ('matches "(?i)abc"', "ABC", True),
    ('matches "[0-9]+"', 123, True),  # non-strings are matched as text
    ('not matches "[a-z]+"', "abc1", True),
    ('not matches "[a-z]+"', "abc", False),
    ('not matches "[a-z]+"', None, False),
]


@pytest.mark.parametrize(("text", "value", "expected"), TABLE)
def test_evaluate(text, value, expected):
    assert evaluate(cond(text), value, now=NOW) is expected


# --------------------------------------------------------------------------- SQL cross-check


def _spark_literals_to_sqlite(sql: str) -> str:
    """Re-quote Spark string literals ('\\'' and '\\\\' escapes) as SQLite ones ('' doubling)."""
    out, i = [], 0
    while i < len(sql):
        c = sql[i]
        if c != "'":
            out.append(c)
            i += 1
            continue
        i += 1
        value = []
        while sql[i] != "'":
            if sql[i] == "\\":
                nxt = sql[i + 1]
                value.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                i += 2
            else:
                value.append(sql[i])
                i += 1
        i += 1
        out.append("'" + "".join(value).replace("'", "''") + "'")
    return "".join(out)


def _java_like_regexp(pattern: str, value: object) -> int | None:
    if value is None:
        return None
    flags = re.match(r"^\^\(\?:\(\?([a-z]+)\)", pattern)
    if flags:  # Java accepts inline flags anywhere; Python wants them first
        pattern = f"(?{flags.group(1)})" + pattern.replace(f"(?{flags.group(1)})", "", 1)
    java = pattern.replace("\\x0B", "\\x0b")
    return int(re.search(java, str(value)) is not None)


def run_sql(predicate: str, value: object) -> bool:
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, _java_like_regexp)
    sql = _spark_literals_to_sqlite(predicate)
    sql = (
        sql.replace(" RLIKE ", " REGEXP ")
        .replace("AS STRING)", "AS TEXT)")
        .replace("AS DOUBLE)", "AS REAL)")
    )
    (result,) = db.execute(f"SELECT {sql} FROM (SELECT ? AS c)", (value,)).fetchone()
    assert result in (0, 1), f"{predicate} gave {result!r}: predicates must never be NULL"
    return bool(result)


@pytest.mark.parametrize(
    ("text", "value", "expected"), [t for t in TABLE if not isinstance(t[1], Decimal)]
)
def test_row_predicate_sql_agrees_with_evaluate(text, value, expected):
    assert run_sql(row_predicate_sql(cond(text), "c", now=NOW), value) is expected


def test_row_predicate_sql_shapes():
    assert row_predicate_sql(cond("> 5"), "`a`") == "coalesce((`a`) > 5, false)"
    assert row_predicate_sql(cond("!= 5"), "`a`") == "coalesce((`a`) != 5, true)"
    assert (
        row_predicate_sql(cond("between 1 and 2.5"), "`a`")
        == "coalesce((`a`) > 1 AND (`a`) < 2.5, false)"
    )
    assert (
        row_predicate_sql(cond("not between 1 and 2"), "`a`")
        == "coalesce((`a`) <= 1 OR (`a`) >= 2, false)"
    )
    assert row_predicate_sql(cond("= NULL"), "`a`") == "((`a`) IS NULL)"
    assert row_predicate_sql(cond("!= NULL"), "`a`") == "(NOT ((`a`) IS NULL))"
    assert row_predicate_sql(cond("not in [1,NULL]"), "`a`") == (
        "(NOT (coalesce((`a`) IN (1), false) OR ((`a`) IS NULL)))"
    )
    assert row_predicate_sql(cond('matches "[a-z]+"'), "`a`") == (
        "coalesce(CAST((`a`) AS STRING) RLIKE '^(?:[a-z]+)$', false)"
    )
    assert (
        row_predicate_sql(cond('= "2024-01-31"'), "`d`")
        == "coalesce((`d`) = DATE'2024-01-31', false)"
    )
    assert row_predicate_sql(cond("> (now() - 3 days)"), "`d`", now=NOW) == (
        "coalesce((`d`) > TIMESTAMP'2024-03-07 12:00:00', false)"
    )
    assert row_predicate_sql(cond('< "21:45"'), "`d`", now=NOW) == (
        "coalesce((`d`) < TIMESTAMP'2024-03-10 21:45:00', false)"
    )
    assert row_predicate_sql(cond("= 5", 'ColumnLength "z"'), "coalesce(length(`z`), 0)") == (
        "coalesce((coalesce(length(`z`), 0)) = 5, false)"
    )


def test_duration_predicates_test_the_age_and_fail_nulls():
    c = cond("<= 24 hours", 'DataFreshness "ts"')
    assert row_predicate_sql(c, "`ts`", now=NOW) == (
        "coalesce((unix_timestamp(TIMESTAMP'2024-03-10 12:34:56') - "
        "unix_timestamp(CAST((`ts`) AS TIMESTAMP))) <= 86400, false)"
    )
    ne = row_predicate_sql(cond("!= 24 hours", 'DataFreshness "ts"'), "`ts`", now=NOW)
    assert ne.endswith(", false)")  # DataFreshness fails NULL rows whatever the operator
    assert "IS NOT NULL" in row_predicate_sql(
        cond("not in [1 days]", 'DataFreshness "ts"'), "`ts`", now=NOW
    )
    with pytest.raises(DqdlEvaluationError, match="current time"):
        row_predicate_sql(c, "`ts`")


@pytest.mark.parametrize(
    "value",
    [
        "it's",
        "back\\slash",
        "\\'",
        "' OR 1=1 --",
        "quote\\' OR '1'='1",
        "new\nline",
        "tab\there",
        "",
        "\\",
    ],
)
def test_sql_string_literals_cannot_be_broken_out_of(value):
    literal = sql_string(value)
    # Spark's lexer reads one literal that ends at the last character and decodes to the value
    m = re.fullmatch(r"'((?:[^'\\]|\\.)*)'", literal, re.DOTALL)
    assert m is not None
    assert re.sub(r"\\(.)", r"\1", m.group(1), flags=re.DOTALL) == value
    predicate = row_predicate_sql(Comparison("=", StringValue(value)), "c")
    assert run_sql(predicate, value) is True
    assert run_sql(predicate, value + "x") is False
    regex = row_predicate_sql(cond(f'matches "{re.escape("x")}"'), "c")
    assert run_sql(regex, "x") is True


def test_sql_literals():
    assert sql_literal(NumberValue(Decimal("-0.5"), "-0.5")) == "-0.5"
    assert sql_literal(cond("= 5 GB", 'FileSize "s3://b/"').operand) == str(5 * 1024**3)  # type: ignore[union-attr]
    dyn = cond("> avg(last(2)) * 2", "RowCount").operand  # type: ignore[union-attr]
    assert sql_literal(dyn, history=history_of(3, 5)) == "CAST(8.0 AS DOUBLE)"
    assert sql_literal(dyn) == "CAST(0.0 AS DOUBLE)"
    with pytest.raises(DqdlEvaluationError):
        sql_literal(cond("> now()").operand)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- dates and times


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        (">= now()", NOW, True),
        (">= now()", NOW - dt.timedelta(seconds=1), False),
        # days and hours: now is truncated to the hour first -> 2024-03-07 12:00
        ("> (now() - 3 days)", dt.datetime(2024, 3, 7, 12, 0, 1), True),
        ("> (now() - 3 days)", dt.datetime(2024, 3, 7, 12, 0, 0), False),
        (">= (now() - 3 days)", dt.datetime(2024, 3, 7, 12, 0, 0), True),
        ("> (now() - 3 days)", dt.date(2024, 3, 8), True),  # a date is its midnight
        ("> (now() - 3 days)", dt.date(2024, 3, 7), False),
        ("< (now() + 2 hours)", dt.datetime(2024, 3, 10, 13, 59, 59), True),
        ("< (now() + 2 hours)", dt.datetime(2024, 3, 10, 14, 0, 0), False),
        # minutes: truncated to the minute -> 12:24
        ("> (now() - 10 minutes)", dt.datetime(2024, 3, 10, 12, 24, 1), True),
        ("> (now() - 10 minutes)", dt.datetime(2024, 3, 10, 12, 24, 0), False),
        ('= "2024-03-10"', dt.date(2024, 3, 10), True),
        ('= "2024-03-10"', dt.datetime(2024, 3, 10), True),
        ('= "2024-03-10"', dt.datetime(2024, 3, 10, 0, 0, 1), False),
        ('= "2024-03-10"', "2024-03-10", True),  # a string column: the ISO text
        ('> "2024-03-10"', "2024-03-11", True),
        ('between "2024-01-01" and "2024-12-31"', dt.date(2024, 1, 1), False),
        ('between "2024-01-01" and "2024-12-31"', dt.date(2024, 1, 2), True),
        ('not between "2024-01-01" and "2024-12-31"', dt.date(2024, 12, 31), True),
        ('in ["2024-03-10",NULL]', None, True),
        ('in ["2024-03-10",now()]', NOW, True),
        ('< "21:45"', dt.datetime(2024, 3, 10, 21, 44), True),
        ('< "21:45"', dt.datetime(2024, 3, 10, 21, 45), False),
        ('> "9:30 PM"', dt.datetime(2024, 3, 10, 21, 31), True),
        ('> "9:30 AM"', dt.datetime(2024, 3, 10, 9, 29), False),
        (
            "between now() and (now() - 45 minutes)",
            NOW - dt.timedelta(minutes=5),
            False,
        ),  # empty range
        (
            "> (now() - 1 days)",
            dt.datetime(2024, 3, 9, 14, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            True,
        ),
        (
            "> (now() - 1 days)",
            dt.datetime(2024, 3, 9, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            False,
        ),
    ],
)
def test_dates_and_times(text, value, expected):
    assert evaluate(cond(text), value, now=NOW) is expected


def test_an_aware_now_is_converted_to_utc():
    aware = dt.datetime(2024, 3, 10, 14, 34, 56, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert resolve_datetime(cond("> (now() - 1 days)").operand, aware) == dt.datetime(
        2024, 3, 9, 12, 0
    )  # type: ignore[union-attr]
    assert evaluate(cond(">= now()"), NOW, now=aware) is True


def test_durations_and_sizes():
    fresh = cond("<= 24 hours", 'DataFreshness "ts"')
    assert evaluate(fresh, dt.timedelta(hours=24), now=NOW) is True
    assert evaluate(fresh, dt.timedelta(hours=24, seconds=1), now=NOW) is False
    assert evaluate(fresh, None, now=NOW) is False
    assert evaluate(cond("!= 24 hours", 'DataFreshness "ts"'), None, now=NOW) is False
    assert evaluate(cond("not in [1 days]", 'DataFreshness "ts"'), None, now=NOW) is False
    assert (
        evaluate(cond("between 2 days and 5 days", 'DataFreshness "ts"'), dt.timedelta(days=3))
        is True
    )
    size = cond("between 2 GB and 1 TB", 'FileSize "s3://b/"')
    assert evaluate(size, 3 * 1024**3) is True
    assert evaluate(size, 2 * 1024**3) is False
    assert evaluate(cond("< 1000", 'FileSize "s3://b/"'), 999) is True  # plain numbers are bytes


def test_values_of_the_wrong_type_are_errors():
    with pytest.raises(DqdlEvaluationError, match="cannot compare 'x' with the number 5"):
        evaluate(cond("> 5"), "x")
    with pytest.raises(DqdlEvaluationError):
        evaluate(cond('= "a"'), 1)
    with pytest.raises(DqdlEvaluationError):
        evaluate(cond("> 5"), True)
    with pytest.raises(DqdlEvaluationError, match="current time"):
        evaluate(cond("> now()"), NOW)
    with pytest.raises(DqdlEvaluationError):
        evaluate(cond("<= 24 hours", 'DataFreshness "ts"'), 5)
    with pytest.raises(DqdlEvaluationError):
        evaluate(cond("> (now() - 1 days)"), 5, now=NOW)


# --------------------------------------------------------------------------- dynamic expressions


def dyn(text: str, rule_type: str = "RowCount"):
    return cond(text, rule_type)


def test_no_history_makes_last_zero():
    assert evaluate(dyn("> avg(last(5)) * 0.5"), 1) is True
    assert evaluate(dyn("> avg(last(5)) * 0.5"), 0) is False
    h = history_of()
    assert evaluate(dyn(">= max(last(3))"), 0, history=h) is True
    assert h.calls == [3]
    assert evaluate(dyn("= index(last(5), 4)"), 0) is True
    # a between over an empty history is between 0 and 0: nothing passes
    assert evaluate(dyn("between min(last(3)) * 0.9 and max(last(3)) * 1.1"), 10) is False


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("avg(last(3))", 20.0),
        ("median(last(3))", 20.0),
        ("max(last(3))", 30.0),
        ("min(last(3))", 10.0),
        ("sum(last(3))", 60.0),
        ("std(last(3))", math.sqrt(200 / 3)),
        ("index(last(3), 0)", 30.0),
        ("index(last(3), 2)", 10.0),
        ("last(1)", 30.0),
        ("abs(-3)", 3.0),
        ("abs(index(last(3), 2) - 40)", 30.0),
        ("avg(last(2)) + 1 * 2", 52.0),  # left to right: (25 + 1) * 2
        ("avg(last(2)) + (1 * 2)", 27.0),
        ("max(last(3)) - min(last(3)) / 2", 10.0),  # (30 - 10) / 2
        ("avg(last(10))", 20.0),  # fewer values than asked for: the ones there are
        ("std(last(1))", 0.0),
        ("median(last(2))", 25.0),
    ],
)
def test_dynamic_functions_over_history(expr, value):
    h = history_of(30, 20, 10)
    assert evaluate_number(dyn(f"> {expr}").operand, h) == pytest.approx(value)  # type: ignore[union-attr]


def test_history_is_newest_first_and_truncated_to_k():
    h = history_of(30, 20, 10, 0)
    assert evaluate_number(dyn("> avg(last(2))").operand, h) == 25.0  # type: ignore[union-attr]
    assert h.calls == [2]
    c = dyn("between min(last(3)) * 0.9 and max(last(3)) * 1.1")
    assert evaluate(c, 10, history=history_of(10, 11, 12)) is True
    assert evaluate(c, 8, history=history_of(10, 11, 12)) is False


def test_index_past_the_known_history_is_an_error():
    with pytest.raises(DqdlEvaluationError, match="only 2 past value"):
        evaluate(dyn("> index(last(5), 3)"), 1, history=history_of(1, 2))


def test_java_division_by_zero():
    inf = dyn("< 1 / (avg(last(2)) - avg(last(2)))")
    assert evaluate(inf, 10**9, history=history_of(1, 1)) is True  # 1/0 = +infinity
    nan = dyn("= 0 / (avg(last(2)) - avg(last(2)))")
    assert evaluate(nan, 0, history=history_of(1, 1)) is False  # 0/0 = NaN
    assert evaluate(dyn("> -1 / 0"), -(10**9)) is True
    assert sql_literal(inf.operand, history=history_of(1, 1)) == "CAST('Infinity' AS DOUBLE)"  # type: ignore[union-attr]
    assert sql_literal(nan.operand, history=history_of(1, 1)) == "CAST('NaN' AS DOUBLE)"  # type: ignore[union-attr]


def test_threshold_conditions_evaluate_like_any_number_condition():
    r = parse_rule('ColumnValues "c" in ["A","B"] with threshold > 0.9')
    assert evaluate(r.threshold, 0.95) is True  # type: ignore[union-attr,arg-type]
    assert evaluate(r.threshold, 0.9) is False  # type: ignore[union-attr,arg-type]
