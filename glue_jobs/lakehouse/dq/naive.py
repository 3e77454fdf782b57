"""The one-rule-at-a-time reference evaluator (for tests: simple, independent of the fusion).

``evaluate_naively(df, ruleset, ...)`` evaluates every top-level rule in isolation, computing
each metric in plain Python from collected rows (``metric_naive.naive_metric_from_rows``): Spark
only evaluates the SQL pieces the rules are made of -- the columns, every ``where`` clause and
every row predicate, as columns of ONE projection that is collected once -- and Python does the
rest: filtering by ``where``, counting, min/max/mean/stddev, frequencies, entropy, and the AND/OR
of ROW-mode composites row by row. There is no request sharing, no conditional aggregation, no
frequency query and no compliance-variant trick; the rule semantics (translators and judges) are
the ones ``evaluate_ruleset`` uses, so comparing the two checks the planning and the fused
execution. Rules with their own scans (CustomSql, reference datasets) run as in the evaluator,
per rule. No row-level frame; history is read, never recorded. Small frames only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from lakehouse.dq.ast import CompositeRule, Rule, Ruleset
from lakehouse.dq.evaluator import (
    CompositeMode,
    UnsupportedRuleError,
    _as_ruleset,
    _utc_now,
    collect_analyzers,
    combine_dataset,
    count_row_composites,
    judge_row_composite,
    make_context,
    outcome,
    plan_row_composite,
    row_tree,
    unsupported_rules,
)
from lakehouse.dq.history import MetricsHistory
from lakehouse.dq.metric_naive import (
    compute_metric_naively,
    naive_input_columns,
    naive_metric_from_rows,
)
from lakehouse.dq.metric_requests import Compliance, MetricRequest, MetricValue, quote_identifier
from lakehouse.dq.metric_schema import MetricError, error_text, is_case_sensitive, resolve_request
from lakehouse.dq.results import DqResult
from lakehouse.dq.row_level import Node, Tree, leaf_sql
from lakehouse.dq.translators import LeafPlan, RowSpec, Verdict, analyzer_requests, translate

__all__ = ["RowStore", "evaluate_naively"]


class RowStore:
    """The rows of ``df`` with every SQL piece the requests need, collected in one job."""

    def __init__(self, df: Any, requests: Sequence[MetricRequest], extra: Sequence[str] = ()):
        self.df = df
        self.errors: dict[MetricRequest, str] = {}
        self.resolved: dict[MetricRequest, MetricRequest] = {}
        self.aliases: dict[str, str] = {}
        self.problems: dict[str, str] = {}
        schema, case_sensitive = df.schema, is_case_sensitive(df)
        for r in dict.fromkeys(requests):
            try:
                self.resolved[r] = resolve_request(schema, r, case_sensitive)
            except MetricError as exc:
                self.errors[r] = str(exc)
        for r, rr in self.resolved.items():
            for sql in self._pieces(rr):
                problem = self._add(sql)
                if problem is not None:
                    self.errors[r] = problem
                    break
        for sql in extra:
            self._add(sql)
        self._add("1")  # every row is collected, even when no request needs a column
        usable = {sql: alias for sql, alias in self.aliases.items() if sql not in self.problems}
        self.rows: list[Any] = []
        self.failure: str | None = None
        try:
            self.rows = df.selectExpr(*(f"{s} AS {a}" for s, a in usable.items())).collect()
        except Exception as exc:
            self.failure = error_text(exc)

    @staticmethod
    def _where_sql(where: str) -> str:
        return f"coalesce((\n{where}\n), false)"

    def _pieces(self, r: MetricRequest) -> list[str]:
        pieces = [] if r.where is None else [self._where_sql(r.where)]
        if isinstance(r, Compliance):
            pieces.append(f"(\n{r.predicate_sql}\n)")
        else:
            pieces.extend(quote_identifier(c) for c in naive_input_columns(r))
        return pieces

    def _add(self, sql: str) -> str | None:
        if sql not in self.aliases:
            self.aliases[sql] = f"_e{len(self.aliases)}"
            try:
                self.df.selectExpr(sql)  # analysis only, no job
            except Exception as exc:
                self.problems[sql] = f"Invalid SQL {sql.strip()!r}: {error_text(exc)}"
        return self.problems.get(sql)

    def column(self, sql: str) -> list[Any]:
        alias = self.aliases[sql]
        return [row[alias] for row in self.rows]

    def value(self, request: MetricRequest) -> MetricValue:
        if request in self.errors:
            return MetricValue(error=self.errors[request])
        if self.failure is not None:  # the projection failed while running: one at a time
            return compute_metric_naively(self.df, request)
        rr = self.resolved[request]
        pieces = self._pieces(rr)
        keep = rr.where is not None
        selected = []
        for row in self.rows:
            values = [row[self.aliases[p]] for p in pieces]
            if keep and values.pop(0) is not True:
                continue
            selected.append(tuple(values))
        return MetricValue(naive_metric_from_rows(rr, selected))

    def values(self, requests: Sequence[MetricRequest]) -> dict[MetricRequest, MetricValue]:
        return {r: self.value(r) for r in dict.fromkeys(requests)}


def _python_tree(tree: Tree, row: Any, store: RowStore) -> bool | None:
    """The AND/OR of a composite's row tests for one row, in Python (three-valued)."""
    if isinstance(tree, bool):
        return tree
    if isinstance(tree, RowSpec):
        return row[store.aliases[leaf_sql(tree, "true")]]
    values = [_python_tree(c, row, store) for c in tree.children]
    if tree.op == "and":
        return False if False in values else (None if None in values else True)
    return True if True in values else (None if None in values else False)


def _specs(tree: Tree) -> list[RowSpec]:
    if isinstance(tree, RowSpec):
        return [tree]
    if isinstance(tree, Node):
        return [s for c in tree.children for s in _specs(c)]
    return []


def evaluate_naively(
    df: Any,
    ruleset: Ruleset | str,
    *,
    references: Mapping[str, Any] | None = None,
    history: MetricsHistory | None = None,
    ruleset_name: str = "ruleset",
    dataset_name: str = "primary",
    now: dt.datetime | None = None,
    composite_mode: CompositeMode = "DATASET",
) -> DqResult:
    """Same outcomes and metrics as ``evaluate_ruleset`` (no row level), computed naively."""
    rs = _as_ruleset(ruleset)
    problems = unsupported_rules(rs, composite_mode)
    if problems:
        raise UnsupportedRuleError(problems)
    at = _utc_now(now)

    def context() -> Any:
        return make_context(
            df,
            references=references,
            history=history,
            ruleset_name=ruleset_name,
            dataset_name=dataset_name,
            now=at,
        )

    # Translate first (no job), so that one projection serves every rule's Python computation.
    translated: list[tuple[Any, dict[Rule, LeafPlan]]] = []
    requests: list[MetricRequest] = []
    row_sql: list[str] = []
    for node in rs.rules:
        ctx = context()
        plans = {leaf: translate(leaf, ctx) for leaf in dict.fromkeys(node.leaves())}
        translated.append((ctx, plans))
        for plan in plans.values():
            requests.extend(plan.requests)
            row = plan.row
            if isinstance(node, CompositeRule) and row is not None and row.kind != "custom_sql":
                row_sql.append(leaf_sql(row, "true"))
    analyzer_plans = [analyzer_requests(a, context()) for a in rs.analyzers]
    for plan in analyzer_plans:
        requests.extend(plan.requests)
    store = RowStore(df, requests, row_sql)

    outcomes = []
    for index, (node, (ctx, plans)) in enumerate(zip(rs.rules, translated, strict=True)):
        try:
            verdicts = {
                leaf: plan.verdict(store.values(plan.requests)) for leaf, plan in plans.items()
            }
            if isinstance(node, CompositeRule) and composite_mode == "ROW":
                verdict = _row_composite(df, node, index, plans, verdicts, store, ctx)
            else:
                verdict = combine_dataset(node, verdicts)
        finally:
            ctx.scope.close()
        outcomes.append(outcome(node, verdict, rs))

    analyzer_metrics = collect_analyzers(
        analyzer_plans, store.values([r for p in analyzer_plans for r in p.requests])
    )
    return DqResult(outcomes, analyzer_metrics, None, engine="lakehouse-naive")


def _row_composite(
    df: Any,
    node: CompositeRule,
    index: int,
    plans: dict[Rule, LeafPlan],
    verdicts: dict[Rule, Verdict],
    store: RowStore,
    ctx: Any,
) -> Verdict:
    composite = plan_row_composite(node, index, plans, fuse=False)
    constants = {leaf: verdicts[leaf].passed for leaf in composite.constants}
    tree = row_tree(node, plans, constants)
    assert tree is not None
    specs = _specs(tree)
    usable = (
        store.failure is None
        and all(s.kind != "custom_sql" for s in specs)
        and all(leaf_sql(s, "true") not in store.problems for s in specs)
    )
    if any(verdicts[leaf].errored for leaf in composite.leaves) or not usable:
        shares = count_row_composites(df, [composite], plans, verdicts, ctx.scope)
        return judge_row_composite(composite, verdicts, shares.get(index))
    results = [_python_tree(tree, row, store) for row in store.rows]
    share = sum(1 for r in results if r is True) / len(results) if results else None
    return judge_row_composite(composite, verdicts, share)
