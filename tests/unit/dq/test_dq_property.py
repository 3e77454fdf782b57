"""Property: the fused evaluator agrees with the naive one-rule-at-a-time reference.

Random small frames (0-25 rows; int, double and string columns with NULLs) and random rulesets
drawn from a grammar of rule templates (completeness, uniqueness, ColumnValues with random
operators and NULL keywords, statistics, RowCount, DistinctValuesCount, UniqueValueRatio,
Entropy, ColumnLength, ``where`` clauses, thresholds, nested composites, DATASET and ROW
composite evaluation, analyzers). ``evaluate_ruleset`` (one fused scan, compliance variants for
ROW composites) must give the same outcomes and metrics as ``evaluate_naively`` (every metric
computed in Python from collected rows, rule by rule): floats within 1e-9 relative.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dq_conformance_support import NOW, frame, small_plans

from lakehouse.dq.evaluator import evaluate_ruleset
from lakehouse.dq.naive import evaluate_naively

pytestmark = pytest.mark.spark
__all__ = ["small_plans"]

SCHEMA = "i int, d double, s string, k int"
DOUBLES = [-1.5, 0.0, 0.5, 1.25, 2.0, 3.5, 10.0]
STRINGS = ["", " ", "a", "b", "ab", "bb", "ccc", "a1"]
WHERES = ["i > 0", "d is not null", "s != 'a'", "k % 2 = 0", "i < 3 or s = 'bb'"]
NUMERIC = ("i", "d", "k")
PROBABILITIES = (0.0, 0.2, 0.37, 0.5, 0.61, 0.8, 1.0)


def nullable(strategy):
    return st.one_of(st.none(), strategy, strategy)


ROW_VALUES = st.tuples(
    nullable(st.integers(-3, 5)),
    nullable(st.sampled_from(DOUBLES)),
    nullable(st.sampled_from(STRINGS)),
    nullable(st.integers(0, 3)),
)


# frame sizes uniform over 0-25 (a plain list strategy mostly draws tiny frames)
FRAMES = st.integers(0, 25).flatmap(lambda n: st.lists(ROW_VALUES, min_size=n, max_size=n))


def quoted(values) -> str:
    return ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)


@st.composite
def column_values(draw) -> str:
    col = draw(st.sampled_from(["i", "d", "k", "s"]))
    if col == "s":
        kind = draw(st.sampled_from(["in", "not in", "=", "!=", "matches", "not matches"]))
        if kind in ("in", "not in"):
            items = draw(st.lists(st.sampled_from(STRINGS[2:]), min_size=1, max_size=3))
            extra = draw(st.sampled_from(["", ", NULL", ", EMPTY", ", WHITESPACES_ONLY"]))
            return f'ColumnValues "s" {kind} [{quoted(items)}{extra}]'
        if kind in ("=", "!="):
            value = draw(st.sampled_from(['"a"', '"bb"', "EMPTY", "NULL", "WHITESPACES_ONLY"]))
            return f'ColumnValues "s" {kind} {value}'
        return f'ColumnValues "s" {kind} "{draw(st.sampled_from(["[ab]+", "a.*", "b?"]))}"'
    op = draw(
        st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "between", "not between", "in", "not in"])
    )
    number = draw(st.sampled_from([-1, 0, 1, 2, 3, 0.5, 1.25]))
    if op in ("between", "not between"):
        low = draw(st.sampled_from([-2, 0, 1, 0.5]))
        return f'ColumnValues "{col}" {op} {low} and {low + draw(st.sampled_from([1, 2, 3.5]))}'
    if op in ("in", "not in"):
        items = draw(st.lists(st.sampled_from([0, 1, 2, 3, 0.5, 2.0]), min_size=1, max_size=3))
        return f'ColumnValues "{col}" {op} [{quoted(items)}{draw(st.sampled_from(["", ", NULL"]))}]'
    if draw(st.booleans()) and op in ("=", "!="):
        return f'ColumnValues "{col}" {op} NULL'
    return f'ColumnValues "{col}" {op} {number}'


@st.composite
def simple_rule(draw, row_safe: bool = False, where_odds: int = 4) -> str:
    """One rule (1 in ``where_odds`` with a where clause); ``row_safe`` leaves out what a ROW
    composite refuses."""
    families = ["complete", "values", "length", "unique", "pk", "rowcount", "stat", "freq"]
    if not row_safe:
        families += ["completeness", "uniqueness", "threshold"]
    family = draw(st.sampled_from(families))
    col = draw(st.sampled_from(["i", "d", "s", "k"]))
    p = draw(st.sampled_from(PROBABILITIES))
    if family == "complete":
        rule = f'IsComplete "{col}"'
    elif family == "completeness":
        rule = f'Completeness "{col}" {draw(st.sampled_from([">", ">=", "<", "="]))} {p}'
    elif family == "values":
        rule = draw(column_values())
    elif family == "threshold":
        rule = (
            f"{draw(column_values())} with threshold {draw(st.sampled_from(['>', '>=', '<']))} {p}"
        )
    elif family == "length":
        op = draw(st.sampled_from(["<=", ">", "=", "between 0 and", "in [0, 1,"]))
        rule = f'ColumnLength "s" {op} {draw(st.integers(0, 3))}' + (
            "]" if op.startswith("in") else ""
        )
    elif family == "unique":
        cols = draw(st.sampled_from(['"k"', '"i"', '"s"', '"k" "s"', '"i" "d"']))
        rule = f"IsUnique {cols}"
    elif family == "pk":
        keys = draw(st.sampled_from(['"k"', '"i"', '"k" "s"']))
        rule = f"IsPrimaryKey {keys}"
    elif family == "uniqueness":
        keys = draw(st.sampled_from(['"k"', '"s"', '"k" "i"']))
        rule = f"Uniqueness {keys} > {p}"
    elif family == "rowcount":
        rule = draw(
            st.sampled_from(
                ["RowCount > 3", "RowCount between 2 and 11", "RowCount = 0", "RowCount <= 7"]
            )
        )
    elif family == "stat":
        name = draw(st.sampled_from(["Mean", "Sum", "StandardDeviation"]))
        num = draw(st.sampled_from(NUMERIC))
        if draw(st.booleans()):
            rule = f'{name} "{num}" > {draw(st.sampled_from([-0.37, 0.61, 1.37, 2.9]))}'
        else:
            rule = f'{name} "{num}" between {draw(st.sampled_from([-1.3, 0.3]))} and {draw(st.sampled_from([1.7, 3.1, 9.9]))}'
    else:
        name = draw(st.sampled_from(["DistinctValuesCount", "UniqueValueRatio", "Entropy"]))
        col = draw(st.sampled_from(["s", "k", "i"]))
        bound = {
            "DistinctValuesCount": [1, 2, 3],
            "UniqueValueRatio": [0.37, 0.61],
            "Entropy": [0.37, 0.913],
        }[name]
        rule = f'{name} "{col}" {draw(st.sampled_from([">", "<"]))} {draw(st.sampled_from(bound))}'
    if family != "threshold" and draw(st.integers(1, where_odds)) == 1:
        rule += f' where "{draw(st.sampled_from(WHERES))}"'
    return rule


@st.composite
def composite_rule(draw, row_mode: bool) -> str:
    def operand() -> str:
        if draw(st.integers(0, 4)) == 0:
            inner = [draw(simple_rule(row_safe=row_mode, where_odds=2)) for _ in range(2)]
            op = draw(st.sampled_from(["and", "or"]))
            return f"(({inner[0]}) {op} ({inner[1]}))"
        return f"({draw(simple_rule(row_safe=row_mode, where_odds=2))})"

    op = draw(st.sampled_from(["and", "or"]))
    return f" {op} ".join(operand() for _ in range(draw(st.integers(2, 3))))


@st.composite
def rulesets(draw) -> tuple[str, str]:
    mode = draw(st.sampled_from(["DATASET", "ROW"]))
    rules = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            rules.append(draw(composite_rule(row_mode=mode == "ROW")))
        else:
            rules.append(draw(simple_rule()))
    text = "Rules = [\n  " + ",\n  ".join(rules) + "\n]"
    if draw(st.integers(0, 3)) == 0:
        analyzers = draw(
            st.lists(
                st.sampled_from(['Completeness "d"', 'Mean "i"', 'Entropy "s"', 'ColumnLength "s"', "RowCount", 'AllStatistics "k"']),
                min_size=1, max_size=3, unique=True,
            )
        )  # fmt: skip
        text += f"\nAnalyzers = [ {', '.join(analyzers)} ]"
    return text, mode


def same_metrics(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    for name, x in a.items():
        y = b[name]
        if math.isnan(x) or math.isnan(y):
            if not (math.isnan(x) and math.isnan(y)):
                return False
        elif not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


@settings(
    max_examples=20,
    deadline=None,
    database=None,  # no .hypothesis/ example database in the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=FRAMES, ruleset=rulesets())
def test_fused_evaluation_equals_naive_evaluation(spark, rows, ruleset):
    text, mode = ruleset
    df = frame(spark, SCHEMA, rows)
    fused = evaluate_ruleset(df, text, composite_mode=mode, now=NOW)
    naive = evaluate_naively(df, text, composite_mode=mode, now=NOW)
    assert len(fused.outcomes) == len(naive.outcomes)
    for f, n in zip(fused.outcomes, naive.outcomes, strict=True):
        assert f.rule == n.rule
        assert f.outcome == n.outcome, (mode, f, n)
        assert same_metrics(f.evaluated_metrics, n.evaluated_metrics), (mode, f, n)
    assert same_metrics(fused.analyzer_metrics, naive.analyzer_metrics), (
        fused.analyzer_metrics,
        naive.analyzer_metrics,
    )
