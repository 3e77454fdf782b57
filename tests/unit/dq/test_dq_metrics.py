"""Tests for the fused DQ metric engine (lakehouse.dq.metrics).

Spark work is kept to a handful of queries: most exact-value tests read one module-scoped
``compute_metrics`` result over a hand-made frame (two Spark queries for ~60 requests).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.dq.metric_plan import PER_COLUMNS, SINGLE_PASS, Aggregate, plan_metrics
from lakehouse.dq.metrics import (
    COLUMN_DATA_TYPE_COMPLIANCE,
    LENGTH_COMPLIANCE,
    Completeness,
    Compliance,
    Correlation,
    Distinctness,
    DistinctValuesCount,
    Entropy,
    Maximum,
    MaxLength,
    Mean,
    MetricRequest,
    MetricValue,
    Minimum,
    MinLength,
    RowCount,
    StandardDeviation,
    Sum,
    Uniqueness,
    UniqueValueRatio,
    Variance,
    castable_predicate,
    choose_frequency_strategy,
    compute_metric_naively,
    compute_metrics,
    naive_metric_from_rows,
    quote_identifier,
)

pytestmark = pytest.mark.spark

# --------------------------------------------------------------------------- helpers

SCHEMA = (
    "id int, amount double, name string, cat string, k1 string, k2 int, ref int, "
    "`dotted.col` string, `sp ace` int, none double, x int, y double, code string, day string"
)
ROWS = [
    (1, 10.0, "ann", "a", "p", 1, 10, "u", 7, None, 1, 1.0, "1", "2024-01-31"),
    (2, 20.0, "bob", "a", "p", 1, 11, "u", 7, None, 2, 3.0, " 2 ", "2024-02-30"),
    (3, None, "cy", "b", "p", 2, None, "v", 7, None, 3, 2.0, "x", "31/01/2024"),
    (4, 30.0, None, "b", None, None, None, None, 7, None, 4, 5.0, None, None),
    (5, 40.0, "dee", "c", None, None, 12, "w", 7, None, None, 7.0, "1.5", "2024-01"),
    (6, None, "eve", None, "q", None, 13, "w", 7, None, 5, None, "2024", "2024-01-31 10:00:00"),
]


def approx(value: float) -> Any:
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def entropy_of(*counts: int) -> float:
    n = sum(counts)
    return -sum(c / n * math.log(c / n) for c in counts)


class QueryCounter:
    """Counts the Spark SQL queries (one per collect) and Spark jobs run inside the block.

    Queries come from the SQL status store (executions with a newer id than before the block;
    the store keeps only the newest 1000, so a count difference would be wrong in a long run);
    jobs from the job group. Under AQE one query is several jobs (one per shuffle stage).
    """

    WINDOW = 40

    def __init__(self, spark, name: str) -> None:
        self.sc = spark.sparkContext
        self.store = spark._jsparkSession.sharedState().statusStore()
        self.bus = self.sc._jsc.sc().listenerBus()
        self.name = name
        self.queries = self.jobs = 0

    def _recent_ids(self) -> list[int]:
        self.bus.waitUntilEmpty(20000)
        n = self.store.executionsCount()
        recent = self.store.executionsList(max(0, n - self.WINDOW), self.WINDOW)
        return [recent.apply(i).executionId() for i in range(recent.size())]

    def __enter__(self) -> QueryCounter:
        self.before = max(self._recent_ids(), default=-1)
        self.sc.setJobGroup(self.name, self.name)
        return self

    def __exit__(self, *exc: object) -> None:
        ids = self._recent_ids()
        self.queries = sum(1 for i in ids if i > self.before)
        assert self.queries < self.WINDOW
        self.jobs = len(self.sc.statusTracker().getJobIdsForGroup(self.name))
        self.sc.setLocalProperty("spark.jobGroup.id", None)
        self.sc.setLocalProperty("spark.job.description", None)


@pytest.fixture(scope="module")
def frame(spark):
    return spark.createDataFrame(ROWS, SCHEMA)


EMPTY_WHERE = "id > 100"
BAD_SYNTAX_WHERE = "amount >>> 1"
ALL_REQUESTS: list[MetricRequest] = [
    RowCount(),
    Completeness("amount"),
    Completeness("name"),
    Completeness("none"),
    Completeness("AMOUNT"),  # Spark resolves names case-insensitively by default
    Minimum("amount"),
    Maximum("amount"),
    Mean("amount"),
    Sum("amount"),
    Sum("id"),
    StandardDeviation("amount"),
    Variance("amount"),
    Minimum("none"),
    Mean("none"),
    Sum("none"),
    StandardDeviation("none"),
    MinLength("name"),
    MaxLength("name"),
    MaxLength("dotted.col"),
    Mean("sp ace"),
    Compliance("amount", "amount > 15"),
    Compliance("code", castable_predicate("code", "Integer"), suffix=COLUMN_DATA_TYPE_COMPLIANCE),
    Compliance("day", castable_predicate("day", "Date"), suffix=COLUMN_DATA_TYPE_COMPLIANCE),
    Correlation("x", "y"),
    Correlation("x", "sp ace"),
    Correlation("x", "y", where="id = 1"),
    Uniqueness("cat"),
    Distinctness("cat"),
    UniqueValueRatio("cat"),
    DistinctValuesCount("cat"),
    DistinctValuesCount("cat", include_null=True),
    Entropy("cat"),
    Uniqueness("ref"),
    DistinctValuesCount("ref"),
    Uniqueness("k1"),
    Uniqueness(["k1", "k2"]),
    Distinctness(["k1", "k2"]),
    Uniqueness(["k2", "k1"]),  # same table as (k1, k2)
    Uniqueness("dotted.col"),
    Uniqueness(["dotted.col", "sp ace"]),
    Uniqueness("none"),
    DistinctValuesCount("none"),
    DistinctValuesCount("none", include_null=True),
    Entropy("none"),
    # where clauses
    RowCount(where="amount > 15"),
    Mean("amount", where="amount > 15"),
    Uniqueness("cat", where="amount > 15"),
    RowCount(where=EMPTY_WHERE),
    Completeness("amount", where=EMPTY_WHERE),
    Mean("amount", where=EMPTY_WHERE),
    Compliance("amount", "amount > 15", where=EMPTY_WHERE),
    Uniqueness("cat", where=EMPTY_WHERE),
    DistinctValuesCount("cat", where=EMPTY_WHERE),
    Entropy("cat", where=EMPTY_WHERE),
    # errors, each isolated
    Mean("missing"),
    Uniqueness(["cat", "missing"]),
    Mean("name"),
    MinLength("amount"),
    RowCount(where=BAD_SYNTAX_WHERE),
    Mean("amount", where="nosuch > 1"),
    Compliance("amount", "nosuch > 1"),
    Compliance("amount", "amount + 1"),
    Compliance("gone", "gone > 1", columns=("gone",)),
]


@pytest.fixture(scope="module")
def fused(spark, frame) -> tuple[dict[MetricRequest, MetricValue], QueryCounter]:
    with QueryCounter(spark, "dq-metrics-fused") as counter:
        result = compute_metrics(frame, ALL_REQUESTS)
    return result, counter


@pytest.fixture(scope="module")
def res(fused) -> dict[MetricRequest, MetricValue]:
    return fused[0]


def value(res: dict[MetricRequest, MetricValue], request: MetricRequest) -> float | None:
    outcome = res[request]
    assert outcome.error is None, outcome.error
    return outcome.value


# --------------------------------------------------------------------------- exact values


def test_result_has_every_request_in_order(res):
    assert list(res) == list(dict.fromkeys(ALL_REQUESTS))


def test_row_count_and_completeness(res):
    assert value(res, RowCount()) == 6.0
    assert value(res, Completeness("amount")) == approx(4 / 6)
    assert value(res, Completeness("name")) == approx(5 / 6)
    assert value(res, Completeness("none")) == 0.0
    assert value(res, Completeness("AMOUNT")) == approx(4 / 6)


def test_numeric_statistics_ignore_nulls(res):
    assert value(res, Minimum("amount")) == 10.0
    assert value(res, Maximum("amount")) == 40.0
    assert value(res, Mean("amount")) == 25.0
    assert value(res, Sum("amount")) == 100.0
    assert value(res, Sum("id")) == 21.0
    # population statistics over 10, 20, 30, 40: m2 = 500, n = 4
    assert value(res, Variance("amount")) == approx(125.0)
    assert value(res, StandardDeviation("amount")) == approx(math.sqrt(125.0))


def test_all_null_column_has_no_value(res):
    for request in (Minimum("none"), Mean("none"), Sum("none"), StandardDeviation("none")):
        assert res[request] == MetricValue(None, None)


def test_lengths_and_quoted_names(res):
    assert value(res, MinLength("name")) == 2.0
    assert value(res, MaxLength("name")) == 3.0
    assert value(res, MaxLength("dotted.col")) == 1.0
    assert value(res, Mean("sp ace")) == 7.0


def test_compliance_counts_null_as_failing(res):
    # amounts 20, 30, 40 pass; the two NULL amounts and 10 fail
    assert value(res, Compliance("amount", "amount > 15")) == 0.5


def test_column_data_type_compliance(res):
    # "1", " 2 " (trimmed), "1.5" (non-ANSI cast truncates) and "2024" cast to INT; "x" and
    # NULL do not. Denominator: all 6 rows.
    ints = Compliance(
        "code", castable_predicate("code", "Integer"), suffix=COLUMN_DATA_TYPE_COMPLIANCE
    )
    assert value(res, ints) == approx(4 / 6)
    # "2024-01-31", "2024-01" and "2024-01-31 10:00:00" are dates; 2024-02-30, 31/01/2024, NULL not
    dates = Compliance("day", castable_predicate("day", "Date"), suffix=COLUMN_DATA_TYPE_COMPLIANCE)
    assert value(res, dates) == approx(3 / 6)


def test_correlation(res):
    # pairs (1,1) (2,3) (3,2) (4,5): sxy = 5.5, sxx = 5, syy = 8.75
    assert value(res, Correlation("x", "y")) == approx(5.5 / math.sqrt(5 * 8.75))
    assert res[Correlation("x", "sp ace")] == MetricValue(None, None)  # constant column
    assert res[Correlation("x", "y", where="id = 1")] == MetricValue(None, None)  # one pair


def test_uniqueness_family_single_column(res):
    # cat: a a b b c NULL -> 5 keyed rows, counts a:2 b:2 c:1
    assert value(res, Uniqueness("cat")) == approx(1 / 5)
    assert value(res, Distinctness("cat")) == approx(3 / 5)
    assert value(res, UniqueValueRatio("cat")) == approx(1 / 3)
    assert value(res, DistinctValuesCount("cat")) == 3.0
    assert value(res, DistinctValuesCount("cat", include_null=True)) == 4.0
    assert value(res, Entropy("cat")) == approx(entropy_of(2, 2, 1))


def test_null_keys_are_not_duplicates(res):
    # ref: 10 11 NULL NULL 12 13 -> unique despite two NULLs
    assert value(res, Uniqueness("ref")) == 1.0
    assert value(res, DistinctValuesCount("ref")) == 4.0
    # k1: p p p NULL NULL q -> 4 keyed rows, only q once
    assert value(res, Uniqueness("k1")) == approx(1 / 4)


def test_multi_column_keys(res):
    # (p,1) (p,1) (p,2) (NULL,NULL) (NULL,NULL) (q,NULL): all-NULL keys drop out, (q,NULL) stays
    assert value(res, Uniqueness(["k1", "k2"])) == approx(2 / 4)
    assert value(res, Distinctness(["k1", "k2"])) == approx(3 / 4)
    assert value(res, Uniqueness(["k2", "k1"])) == approx(2 / 4)
    # quoted names; (NULL, 7) is a key because not all of its columns are NULL
    assert value(res, Uniqueness("dotted.col")) == approx(1 / 5)
    assert value(res, Uniqueness(["dotted.col", "sp ace"])) == approx(2 / 6)


def test_uniqueness_family_on_all_null_column(res):
    assert res[Uniqueness("none")] == MetricValue(None, None)
    assert res[Entropy("none")] == MetricValue(None, None)
    assert value(res, DistinctValuesCount("none")) == 0.0
    assert value(res, DistinctValuesCount("none", include_null=True)) == 1.0


def test_where_filters_rows_first(res):
    # amount > 15 keeps ids 2, 4, 5 (NULL amounts are filtered out): cats a, b, c
    assert value(res, RowCount(where="amount > 15")) == 3.0
    assert value(res, Mean("amount", where="amount > 15")) == 30.0
    assert value(res, Uniqueness("cat", where="amount > 15")) == 1.0


def test_where_filtering_everything_gives_no_values(res):
    assert value(res, RowCount(where=EMPTY_WHERE)) == 0.0
    for request in (
        Completeness("amount", where=EMPTY_WHERE),
        Mean("amount", where=EMPTY_WHERE),
        Compliance("amount", "amount > 15", where=EMPTY_WHERE),
        Uniqueness("cat", where=EMPTY_WHERE),
        DistinctValuesCount("cat", where=EMPTY_WHERE),
        Entropy("cat", where=EMPTY_WHERE),
    ):
        assert res[request] == MetricValue(None, None), request


def test_schema_errors_are_isolated(res):
    assert res[Mean("missing")].error == "Column missing does not exist in the dataset"
    assert res[Uniqueness(["cat", "missing"])].error == (
        "Column missing does not exist in the dataset"
    )
    assert res[Compliance("gone", "gone > 1", columns=("gone",))].error == (
        "Column gone does not exist in the dataset"
    )
    assert "numeric" in res[Mean("name")].error
    assert "string" in res[MinLength("amount")].error


def test_bad_where_and_predicates_are_isolated(res):
    bad = res[RowCount(where=BAD_SYNTAX_WHERE)]
    assert bad.value is None
    assert BAD_SYNTAX_WHERE in bad.error
    assert "nosuch > 1" in res[Mean("amount", where="nosuch > 1")].error
    assert "nosuch" in res[Compliance("amount", "nosuch > 1")].error
    assert res[Compliance("amount", "amount + 1")].error  # not a boolean
    # everything valid still has a value
    assert sum(1 for v in res.values() if v.error) == 9


def test_fused_run_used_two_queries(fused):
    _, counter = fused
    # one df.agg for all 4 filter groups + one frequency query for all 9 tables; the invalid
    # predicates were dropped during analysis, which runs no job
    assert counter.queries == 2
    # with AQE a global aggregate is 2 jobs and the frequency query 3 (two shuffles)
    assert counter.jobs <= 6


def test_empty_input(spark):
    empty = spark.createDataFrame([], "a int, s string")
    requests = [RowCount(), Completeness("a"), Mean("a"), MaxLength("s"), Compliance("a", "a > 0")]
    requests += [Uniqueness("a"), DistinctValuesCount("s"), Entropy("s"), Correlation("a", "a")]
    got = compute_metrics(empty, requests)
    assert got.pop(RowCount()) == MetricValue(0.0)
    assert set(got.values()) == {MetricValue(None, None)}


def test_runtime_failure_is_isolated(spark, frame):
    boom = Compliance("amount", "raise_error('boom') IS NULL")
    requests = [RowCount(), boom, Mean("amount", where="id > 2")]
    got = compute_metrics(frame, requests)
    assert got[boom].value is None
    assert "boom" in got[boom].error
    assert got[RowCount()] == MetricValue(6.0)
    assert got[Mean("amount", where="id > 2")] == MetricValue(35.0)


def test_unfused_plan_gives_the_same_values_and_caching_too(spark, frame, res):
    requests = [
        RowCount(),
        Mean("amount", where="amount > 15"),
        Uniqueness(["k1", "k2"]),
        Uniqueness("cat", where="amount > 15"),
        RowCount(where=BAD_SYNTAX_WHERE),
    ]
    with QueryCounter(spark, "dq-metrics-unfused") as counter:
        got = compute_metrics(frame, requests, fuse_filters=False, cache=True)
    assert got == {r: res[r] for r in requests}
    # one aggregate + one frequency query per valid where clause (None, "amount > 15")
    assert counter.queries == 4
    assert not frame.is_cached


def test_per_columns_frequency_strategy_gives_the_same_values(spark, frame, res):
    requests = [
        Entropy("cat"),
        DistinctValuesCount("cat", include_null=True),
        Distinctness(["k1", "k2"]),
        Uniqueness("none"),
        DistinctValuesCount("none", include_null=True),
        Uniqueness("cat", where="amount > 15"),
        Uniqueness("cat", where=EMPTY_WHERE),
    ]
    with QueryCounter(spark, "dq-metrics-per-columns") as counter:
        got = compute_metrics(frame, requests, frequency_strategy=PER_COLUMNS)
    assert got == {r: res[r] for r in requests}
    assert counter.queries == 1  # 5 tables, 3 pipelines (one per column set), one query


def test_frequency_strategy_follows_the_input(frame):
    assert choose_frequency_strategy(frame) == SINGLE_PASS  # RDD-backed (like a DynamicFrame)
    assert choose_frequency_strategy(frame.join(frame, "id")) == SINGLE_PASS
    cached = frame.where("id > 0").select("id", "cat").cache()  # no job until used
    try:
        assert choose_frequency_strategy(cached.where("id > 1")) == PER_COLUMNS
    finally:
        cached.unpersist()


# --------------------------------------------------------------------------- naming


def test_glue_metric_names():
    assert RowCount(where="a > 1").glue_name == "Dataset.*.RowCount"
    assert Completeness("c").glue_name == "Column.c.Completeness"
    assert Uniqueness("c").glue_name == "Column.c.Uniqueness"
    assert Uniqueness(["a", "b"]).glue_name == "Multicolumn.a,b.Uniqueness"
    assert UniqueValueRatio("c").glue_name == "Column.c.UniqueValueRatio"
    assert DistinctValuesCount("c").glue_name == "Column.c.DistinctValuesCount"
    assert Distinctness("c").glue_name == "Column.c.Distinctness"
    for cls, name in [
        (Mean, "Mean"),
        (Sum, "Sum"),
        (StandardDeviation, "StandardDeviation"),
        (Variance, "Variance"),
        (Entropy, "Entropy"),
        (Minimum, "Minimum"),
        (Maximum, "Maximum"),
        (MinLength, "MinimumLength"),
        (MaxLength, "MaximumLength"),
    ]:
        assert cls("x").glue_name == f"Column.x.{name}"
    assert Correlation("a", "b").glue_name == "Multicolumn.a,b.ColumnCorrelation"
    assert Compliance("c", "c > 0").glue_name == "Column.c.ColumnValues.Compliance"
    assert (
        Compliance("d", "x", suffix=COLUMN_DATA_TYPE_COMPLIANCE).glue_name
        == "Column.d.ColumnDataType.Compliance"
    )
    assert Compliance("c", "x", suffix=LENGTH_COMPLIANCE).glue_name == "Column.c.LengthCompliance"
    assert Completeness("dotted.col").glue_name == "Column.dotted.col.Completeness"


def test_requests_are_hashable_values():
    assert Uniqueness("a") == Uniqueness(["a"]) == Uniqueness(("a",))
    assert hash(Uniqueness("a", where="x > 1")) == hash(Uniqueness(["a"], where="x > 1"))
    assert Mean("a") != Mean("a", where="a > 0")
    assert len({Completeness("a"), Completeness("a"), Completeness("b")}) == 2
    with pytest.raises(ValueError):
        Entropy(["a", "b"])
    with pytest.raises(ValueError):
        Uniqueness([])


def test_quoting_and_castable_predicate():
    assert quote_identifier("a.b") == "`a.b`"
    assert quote_identifier("we`ird") == "`we``ird`"
    assert castable_predicate("c", "integer") == "CAST(`c` AS INT) IS NOT NULL"
    assert castable_predicate("c", "Long") == "CAST(`c` AS BIGINT) IS NOT NULL"
    assert castable_predicate("c", "Decimal(10, 2)") == "CAST(`c` AS DECIMAL(10,2)) IS NOT NULL"
    for glue_type in ("Boolean", "Date", "Timestamp", "Double", "Float"):
        assert castable_predicate("c", glue_type) == f"CAST(`c` AS {glue_type.upper()}) IS NOT NULL"
    with pytest.raises(ValueError, match="unknown ColumnDataType"):
        castable_predicate("c", "Text")


# --------------------------------------------------------------------------- planning


def test_plan_fuses_aggregates_per_where_and_shares_frequency_tables():
    aggregates = [
        RowCount(),
        Completeness("a"),
        Mean("a"),
        Minimum("a"),
        Compliance("a", "a > 0"),
        RowCount(where="b = 1"),
        Completeness("a", where="b = 1"),
        Sum("a", where="b = 1"),
        MaxLength("s", where="b = 1"),
        Correlation("a", "c", where="b = 1"),
    ]
    grouping = [
        Uniqueness("a"),
        Entropy("a"),
        DistinctValuesCount("a"),
        Uniqueness(["a", "b"]),
        Uniqueness(["b", "a"]),
        Uniqueness("a", where="b = 1"),
    ]
    plan = plan_metrics(aggregates + grouping)
    assert [g.where for g in plan.groups] == [None, "b = 1"]
    assert [len(g.requests) for g in plan.groups] == [5, 5]
    # RowCount and Completeness share the row count
    assert plan.groups[0].aggregates.count(Aggregate("rows")) == 1
    assert [(t.columns, t.where, len(t.requests)) for t in plan.tables] == [
        (("a",), None, 3),
        (("a", "b"), None, 2),
        (("a",), "b = 1", 1),
    ]
    # fused: one aggregate scan for both where clauses, one scan for all 3 frequency tables
    assert [(s.kind, len(s.groups), len(s.tables)) for s in plan.scans] == [
        ("aggregate", 2, 0),
        ("frequencies", 0, 3),
    ]
    text = plan.describe()
    assert "16 requests" in text and "2 Spark scan(s)" in text
    assert "groupBy(a, b).count()" in text
    assert "1 groupBy pipeline(s) (1 read of the input)" in text
    per_columns = plan_metrics(aggregates + grouping, frequency_strategy=PER_COLUMNS)
    assert per_columns.frequency_scans[0].pipelines() == [[0, 2], [1]]
    assert "2 groupBy pipeline(s) (2 reads of the input)" in per_columns.describe()

    unfused = plan_metrics(aggregates + grouping, fuse_filters=False)
    assert [(s.kind, s.input_filter) for s in unfused.scans] == [
        ("aggregate", None),
        ("frequencies", None),
        ("aggregate", "b = 1"),
        ("frequencies", "b = 1"),
    ]
    assert len(unfused.aggregate_scans) == 2  # exactly one df.agg per where clause


def test_plan_deduplicates_requests():
    plan = plan_metrics([Mean("a"), Mean("a"), RowCount()])
    assert plan.requests == (Mean("a"), RowCount())
    assert plan_metrics([]).scans == ()


# --------------------------------------------------------------------------- naive reference


def test_naive_reference_agrees_on_the_hand_made_frame(frame, res):
    sample = [
        RowCount(where="amount > 15"),
        StandardDeviation("amount"),
        Compliance(
            "code", castable_predicate("code", "Integer"), suffix=COLUMN_DATA_TYPE_COMPLIANCE
        ),
        Uniqueness(["k1", "k2"]),
        Mean("missing"),
    ]
    for request in sample:
        naive = compute_metric_naively(frame, request)
        fast = res[request]
        assert naive.error == fast.error, request
        assert naive.value == (None if fast.value is None else approx(fast.value)), request


# --------------------------------------------------------------------------- property test

H_SCHEMA = "i int, j int, d double, e double, s string, t string"
NUMERIC = ["i", "j", "d", "e"]
TEXT = ["s", "t"]
Row = dict[str, Any]


def _int_like(text: str) -> bool:
    return re.fullmatch(r"\s*[+-]?[0-9]+\s*", text) is not None


# SQL where clauses / predicates with their Python (three-valued logic) mirror
WHERES: dict[str | None, Callable[[Row], bool]] = {
    None: lambda r: True,
    "i > 0": lambda r: r["i"] is not None and r["i"] > 0,
    "s IS NOT NULL AND d < 1": lambda r: r["s"] is not None and r["d"] is not None and r["d"] < 1,
    "j <= 1 OR s = 'a'": lambda r: (r["j"] is not None and r["j"] <= 1) or r["s"] == "a",
    "i = 99": lambda r: False,
}
PREDICATES: dict[str, Callable[[Row], bool | None]] = {
    "d > 0": lambda r: None if r["d"] is None else r["d"] > 0,
    "s IN ('a', 'ab')": lambda r: None if r["s"] is None else r["s"] in ("a", "ab"),
    "i IS NULL OR i BETWEEN -1 AND 1": lambda r: r["i"] is None or -1 <= r["i"] <= 1,
    castable_predicate("s", "Integer"): lambda r: r["s"] is not None and _int_like(r["s"]),
    "length(t) >= 1": lambda r: None if r["t"] is None else len(r["t"]) >= 1,
}

ints = st.integers(-3, 3).map(lambda v: None if v == -3 else v)
small_ints = st.integers(-1, 2).map(lambda v: None if v == -1 else v)
doubles = st.integers(-8, 12).map(lambda v: None if v == -8 else v / 4)
texts = st.sampled_from([None, "a", "b", "ab", "", "é", "1", " 2", "-3"])
rows_strategy = st.lists(st.tuples(ints, small_ints, doubles, doubles, texts, texts), max_size=30)

wheres = st.sampled_from(list(WHERES))
request_strategy = st.one_of(
    st.builds(lambda w: RowCount(where=w), wheres),
    st.builds(lambda c, w: Completeness(c, where=w), st.sampled_from(NUMERIC + TEXT), wheres),
    st.builds(
        lambda cls, c, w: cls(c, where=w),
        st.sampled_from([Minimum, Maximum, Mean, Sum, StandardDeviation, Variance]),
        st.sampled_from(NUMERIC),
        wheres,
    ),
    st.builds(
        lambda cls, c, w: cls(c, where=w),
        st.sampled_from([MinLength, MaxLength]),
        st.sampled_from(TEXT),
        wheres,
    ),
    st.builds(lambda p, w: Compliance("p", p, where=w), st.sampled_from(list(PREDICATES)), wheres),
    st.builds(
        lambda a, b, w: Correlation(a, b, where=w),
        st.sampled_from(NUMERIC),
        st.sampled_from(NUMERIC),
        wheres,
    ),
    st.builds(
        lambda cls, cols, w: cls(cols, where=w),
        st.sampled_from([Uniqueness, Distinctness, UniqueValueRatio]),
        st.lists(st.sampled_from(NUMERIC + TEXT), min_size=1, max_size=2, unique=True),
        wheres,
    ),
    st.builds(
        lambda cols, inc, w: DistinctValuesCount(cols, include_null=inc, where=w),
        st.lists(st.sampled_from(NUMERIC + TEXT), min_size=1, max_size=2, unique=True),
        st.booleans(),
        wheres,
    ),
    st.builds(lambda c, w: Entropy(c, where=w), st.sampled_from(NUMERIC + TEXT), wheres),
)


def python_reference(rows: list[Row], request: MetricRequest) -> float | None:
    kept = [r for r in rows if WHERES[request.where](r)]
    if isinstance(request, Compliance):
        tuples = [(PREDICATES[request.predicate_sql](r),) for r in kept]
    else:
        tuples = [tuple(r[c] for c in request.columns_used) for r in kept]
    return naive_metric_from_rows(request, tuples)


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cases=st.lists(rows_strategy, min_size=1, max_size=3),
    requests=st.lists(request_strategy, min_size=1, max_size=5),
    strategy=st.sampled_from([SINGLE_PASS, SINGLE_PASS, PER_COLUMNS]),
)
def test_fused_engine_equals_naive_reference(spark, cases, requests, strategy):
    """Each example holds up to 3 random frames, stacked with a ``case`` column: every request
    is asked once over the whole stack and once per frame (its where gets ``case = k AND``),
    so one fused run (at most 2 Spark queries) checks several frames at once."""
    columns = ["i", "j", "d", "e", "s", "t"]
    stacked = [(k, *row) for k, rows in enumerate(cases) for row in rows]
    df = spark.createDataFrame(stacked, f"case int, {H_SCHEMA}")
    frames = [[dict(zip(columns, row, strict=True)) for row in rows] for rows in cases]
    checks: dict[MetricRequest, tuple[list[Row], MetricRequest]] = {}
    for request in requests:
        checks[request] = ([row for rows in frames for row in rows], request)
        for k, rows in enumerate(frames if len(frames) > 1 else []):
            where = f"`case` = {k}" + ("" if request.where is None else f" AND ({request.where})")
            checks[dataclasses.replace(request, where=where)] = (rows, request)
    with QueryCounter(spark, "dq-metrics-hypothesis") as counter:
        got = compute_metrics(df, checks, frequency_strategy=strategy)
    assert counter.queries <= 2
    for asked, (rows, request) in checks.items():
        outcome = got[asked]
        assert outcome.error is None, (asked, outcome.error)
        expected = python_reference(rows, request)
        assert close(outcome.value, expected), (asked, outcome.value, expected)
