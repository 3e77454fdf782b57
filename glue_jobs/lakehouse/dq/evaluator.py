"""Evaluate a DQDL ruleset on a Spark DataFrame: the local replacement for Glue Data Quality.

``evaluate_ruleset(df, ruleset, ...)`` returns a :class:`~lakehouse.dq.results.DqResult` with
one outcome per rule in ruleset order (a composite rule is one outcome whose ``Rule`` is its
text), Glue's ``EvaluatedMetrics`` names and failure reasons, the effective labels
(``DefaultLabels`` merged with the rule's own, the rule's keys winning), the analyzers' metrics
in ``analyzer_metrics`` (analyzers have no outcome) and, on request, the row-level frame.

Planning
    1. Refusal, before anything runs: rules the engine cannot evaluate (file rules, anything the
       registry marks unsupported, Distribution, and in ROW mode the rule types Glue rejects in
       composites) raise :class:`UnsupportedRuleError` listing every such rule with its line and
       column. No Spark job has run at that point.
    2. Every rule and analyzer is translated (``lakehouse.dq.translators``, one translator per
       rule type; ``lakehouse.dq.cross_dataset`` for the rules that need their own scans) into
       metric requests. The requests of ALL rules and analyzers go to ONE ``compute_metrics``
       call: the fused engine runs at most one aggregate query and one frequency query for the
       whole ruleset, whatever the ``where`` clauses. Identical requests are computed once.
    3. Schema rules (ColumnExists, ColumnCount, ColumnNamesMatchPattern, SchemaMatch) read the
       schema only. CustomSql, ReferentialIntegrity, DatasetMatch and the reference side of
       RowCountMatch/AggregateMatch run their own queries (one per rule, one per reference
       dataset for the aggregates), because they must.
    4. Rule outcomes are judged from the values; errors (missing column, invalid ``where``,
       invalid SQL) fail only their rule, with the reason; nothing is raised.

Composite rules
    ``composite_mode="DATASET"`` (Glue's default): every operand is evaluated over the whole
    dataset and the outcomes are combined with AND/OR; the composite reports its operands'
    metrics and, when it fails, the failing operands' reasons (one per line).
    ``composite_mode="ROW"`` (Glue's ``compositeRuleEvaluation.method: ROW``): the composite
    passes when EVERY row passes the AND/OR of its operands' row tests. Rejected, as in Glue:
    Completeness, Uniqueness, DatasetMatch, ReferentialIntegrity operands and ``with threshold``
    on ColumnValues, ColumnDataType, CustomSql operands. *Choice*: an operand without a row
    meaning (RowCount, Mean, CustomSql with a condition ...) counts with its dataset-level
    outcome on every row; a row outside an operand's ``where`` passes that operand; a ROW
    composite over no rows fails (no value); an operand that cannot be evaluated (missing
    column, invalid SQL) fails the composite with its reason. Composites whose operands are
    all SQL predicates (ColumnValues, IsComplete, ColumnLength, DataFreshness, ColumnDataType)
    are a compliance request of the fused scan (one per combination of up to 4 dataset-level
    operands' outcomes, picked afterwards); with IsUnique/IsPrimaryKey/row-mode CustomSql
    operands one extra query counts the passing rows of all such composites.
    Deequ parity for row-level results: a DATASET-mode composite has row-level results only
    when all its operands do.

Dynamic rules and history
    Conditions such as ``RowCount > avg(last(5))`` read ``history.last(ruleset_name,
    dataset_name, <metric>, k)`` for the rule's own metric (newest first; no history means
    ``last()`` is 0.0). After the evaluation this run's metrics (rules and analyzers) are
    recorded in ``history`` under ``run_id``, at ``now``.

Row-level results
    ``row_level=True``: ``DqResult.row_level`` is the input plus ``DataQualityRulesPass``,
    ``DataQualityRulesFail``, ``DataQualityRulesSkip`` and ``DataQualityEvaluationResult``, one
    lazy projection (see ``lakehouse.dq.row_level``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from lakehouse.dq import cross_dataset as _cross_dataset  # noqa: F401  (registers translators)
from lakehouse.dq import rule_types
from lakehouse.dq.ast import CompositeRule, Rule, RuleNode, Ruleset, effective_labels
from lakehouse.dq.cross_dataset import Scope
from lakehouse.dq.history import MetricsHistory
from lakehouse.dq.metric_requests import Compliance, MetricRequest, MetricValue
from lakehouse.dq.metric_schema import is_case_sensitive
from lakehouse.dq.metrics import compute_metrics
from lakehouse.dq.parser import parse
from lakehouse.dq.results import FAILED, PASSED, DqResult, RuleOutcome
from lakehouse.dq.row_level import Node, Tree, count_passing, leaf_sql, row_level_frame
from lakehouse.dq.translators import (
    ANALYZERS,
    TRANSLATORS,
    AnalyzerPlan,
    EvalContext,
    LeafPlan,
    Values,
    Verdict,
    analyzer_requests,
    not_met,
    translate,
)

__all__ = ["UnsupportedRuleError", "evaluate_ruleset", "unsupported_rules"]

log = logging.getLogger(__name__)

CompositeMode = Literal["DATASET", "ROW"]
ROW_MODE_REJECTED = frozenset(
    {"Completeness", "Uniqueness", "DatasetMatch", "ReferentialIntegrity"}
)
ROW_MODE_NO_THRESHOLD = frozenset({"ColumnValues", "ColumnDataType", "CustomSql"})
MAX_FUSED_CONSTANTS = 4  # ROW composites: up to 2**4 compliance variants in the fused scan
_UNSUPPORTED_ANALYZERS = {
    "Distribution": "a histogram / value-frequency table is not a scalar metric; use "
    "DistinctValuesCount, Entropy or AllStatistics"
}


class UnsupportedRuleError(ValueError):
    """Rules the engine cannot evaluate; raised before any evaluation.

    ``problems`` lists ``(rule, reason)``; the message has one line per rule with its line and
    column in the ruleset.
    """

    def __init__(self, problems: list[tuple[RuleNode, str]]):
        self.problems = problems
        lines = [f"line {r.line}, column {r.column}: {r.text}: {why}" for r, why in problems]
        super().__init__(
            "rules the engine cannot evaluate (nothing was evaluated):\n  " + "\n  ".join(lines)
        )


def unsupported_rules(
    ruleset: Ruleset, composite_mode: CompositeMode = "DATASET"
) -> list[tuple[RuleNode, str]]:
    """Every rule and analyzer the engine refuses, with the reason (see UnsupportedRuleError)."""
    problems: list[tuple[RuleNode, str]] = []
    for leaf in ruleset.leaf_rules():
        spec = rule_types.get(leaf.rule_type)
        if spec is None or not spec.supported:
            why = (spec.unsupported_reason if spec else None) or "unknown rule type"
            problems.append((leaf, f"not supported by the local engine: {why}"))
        elif leaf.rule_type not in TRANSLATORS:
            problems.append((leaf, "not supported by the local engine"))
    if composite_mode == "ROW":
        for node in ruleset.rules:
            if not node.is_composite:
                continue
            for leaf in node.leaves():
                if leaf.rule_type in ROW_MODE_REJECTED:
                    problems.append(
                        (leaf, f"{leaf.rule_type} cannot be part of a composite rule evaluated "
                               "per row (compositeRuleEvaluation.method ROW)")
                    )  # fmt: skip
                elif leaf.rule_type in ROW_MODE_NO_THRESHOLD and leaf.threshold is not None:
                    problems.append(
                        (leaf, "'with threshold' is not allowed in a composite rule evaluated "
                               "per row (compositeRuleEvaluation.method ROW)")
                    )  # fmt: skip
    for analyzer in ruleset.analyzers:
        spec = rule_types.get(analyzer.rule_type)
        if analyzer.rule_type in _UNSUPPORTED_ANALYZERS:
            problems.append((analyzer, _UNSUPPORTED_ANALYZERS[analyzer.rule_type]))
        elif spec is not None and not spec.supported:
            problems.append((analyzer, spec.unsupported_reason or "not supported"))
        elif analyzer.rule_type not in ANALYZERS:
            problems.append((analyzer, f"{analyzer.rule_type} is not supported as an analyzer"))
    unique: dict[tuple[int, int, str, str], tuple[RuleNode, str]] = {}
    for node, why in problems:
        unique.setdefault((node.line, node.column, node.text, why), (node, why))
    return sorted(unique.values(), key=lambda p: (p[0].line, p[0].column))


# --------------------------------------------------------------------------- shared machinery


def _as_ruleset(ruleset: Ruleset | str) -> Ruleset:
    return parse(ruleset) if isinstance(ruleset, str) else ruleset


def _utc_now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now(dt.UTC)


def make_context(
    df: Any,
    *,
    references: Mapping[str, Any] | None,
    history: MetricsHistory | None,
    ruleset_name: str,
    dataset_name: str,
    now: dt.datetime,
) -> EvalContext:
    """The translation context: schema, clock, history reader and the evaluation scope."""
    refs = dict(references or {})
    case_sensitive = is_case_sensitive(df)

    def history_for(metric: str) -> Callable[[int], list[float]] | None:
        if history is None:
            return None
        return lambda k: history.last(ruleset_name, dataset_name, metric, k)

    return EvalContext(
        schema=df.schema,
        case_sensitive=case_sensitive,
        now=now,
        history_for=history_for,
        references=refs,
        scope=Scope(df, refs, case_sensitive),
    )


def combine_dataset(node: RuleNode, verdicts: Mapping[Rule, Verdict]) -> Verdict:
    """DATASET-mode composite: AND/OR of the operands' outcomes, their metrics merged."""
    if isinstance(node, Rule):
        return verdicts[node]
    children = [combine_dataset(c, verdicts) for c in node.operands]
    passed = (all if node.operator == "and" else any)(c.passed for c in children)
    metrics: dict[str, float] = {}
    for c in children:
        metrics.update(c.metrics)
    if passed:
        return Verdict(True, None, metrics)
    reasons = [c.reason for c in children if not c.passed and c.reason]
    return Verdict(False, "\n".join(dict.fromkeys(reasons)) or None, metrics)


def _operand_metrics(node: CompositeRule, verdicts: Mapping[Rule, Verdict]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for leaf in node.leaves():
        metrics.update(verdicts[leaf].metrics)
    return metrics


def _is_constant(plan: LeafPlan) -> bool:
    """An operand judged per dataset and broadcast to every row in a ROW composite."""
    return plan.row is None


def row_tree(
    node: RuleNode,
    plans: Mapping[Rule, LeafPlan],
    constants: Mapping[Rule, bool] | None,
) -> Tree | None:
    """The row test of a rule: a RowSpec, an AND/OR Node, a bool (constant operand), or None.

    With ``constants`` (ROW composites), operands without a row test use their outcome; without
    (row-level results of DATASET composites), such an operand leaves the composite without
    row-level results, as in Deequ.
    """
    if isinstance(node, Rule):
        plan = plans[node]
        if plan.row is not None:
            return plan.row
        if constants is not None:
            return constants[node]
        return None
    children = [row_tree(c, plans, constants) for c in node.operands]
    if any(c is None for c in children):
        return None
    return Node(node.operator, tuple(c for c in children if c is not None))


@dataclass
class RowComposite:
    """A composite rule evaluated per row (composite_mode ROW)."""

    node: CompositeRule
    index: int
    leaves: list[Rule]
    constants: list[Rule]
    fused: dict[tuple[bool, ...], Compliance] | None = None

    @property
    def requests(self) -> tuple[MetricRequest, ...]:
        return tuple(self.fused.values()) if self.fused else ()


def plan_row_composite(
    node: CompositeRule, index: int, plans: Mapping[Rule, LeafPlan], *, fuse: bool
) -> RowComposite:
    """Decide how a ROW composite is computed; with ``fuse`` and only SQL-predicate operands
    (and at most MAX_FUSED_CONSTANTS dataset-level ones) as fused compliance requests."""
    leaves = list(dict.fromkeys(node.leaves()))
    constants = [leaf for leaf in leaves if _is_constant(plans[leaf])]
    composite = RowComposite(node, index, leaves, constants)
    predicates = [plans[leaf].row for leaf in leaves if not _is_constant(plans[leaf])]
    if not fuse or len(constants) > MAX_FUSED_CONSTANTS:
        return composite
    if any(spec is None or spec.kind != "predicate" for spec in predicates):
        return composite
    columns = tuple(dict.fromkeys(c for leaf in leaves for c in leaf.columns))
    fused: dict[tuple[bool, ...], Compliance] = {}
    for assignment in itertools.product((False, True), repeat=len(constants)):
        fused[assignment] = Compliance(
            f"__row_composite_{index}",
            _formula_sql(node, plans, dict(zip(constants, assignment, strict=True))),
            "RowComposite.Compliance",
            columns=columns,
        )
    composite.fused = fused
    return composite


def _formula_sql(
    node: RuleNode, plans: Mapping[Rule, LeafPlan], values: Mapping[Rule, bool]
) -> str:
    """One SQL predicate for a ROW composite; dataset-level operands are the given constants."""
    if isinstance(node, Rule):
        if node in values:
            return "true" if values[node] else "false"
        spec = plans[node].row
        assert spec is not None
        return leaf_sql(spec, "true")
    joiner = " AND " if node.operator == "and" else " OR "
    return "(" + joiner.join(_formula_sql(c, plans, values) for c in node.operands) + ")"


def judge_row_composite(
    composite: RowComposite,
    verdicts: Mapping[Rule, Verdict],
    share: float | str | None,
) -> Verdict:
    """The ROW composite's outcome from the share of rows passing (or an error text)."""
    metrics = _operand_metrics(composite.node, verdicts)
    errored = [verdicts[leaf].reason for leaf in composite.leaves if verdicts[leaf].errored]
    if errored:
        return Verdict(False, "\n".join(dict.fromkeys(r for r in errored if r)), metrics, True)
    if isinstance(share, str):
        return Verdict(False, share, metrics, True)
    if share is None:
        return Verdict(False, "No value for the composite rule: the dataset has no rows", metrics)
    if share == 1.0:
        return Verdict(True, None, metrics)
    return Verdict(False, not_met(share), metrics)


def row_composite_trees(
    composites: Iterable[RowComposite],
    plans: Mapping[Rule, LeafPlan],
    verdicts: Mapping[Rule, Verdict],
) -> list[tuple[RowComposite, Tree]]:
    out = []
    for composite in composites:
        constants = {leaf: verdicts[leaf].passed for leaf in composite.constants}
        tree = row_tree(composite.node, plans, constants)
        assert tree is not None
        out.append((composite, tree))
    return out


def count_row_composites(
    df: Any,
    composites: list[RowComposite],
    plans: Mapping[Rule, LeafPlan],
    verdicts: Mapping[Rule, Verdict],
    scope: Scope,
) -> dict[int, float | str | None]:
    """Shares of passing rows for ROW composites, with ONE query for all of them."""
    todo = [c for c in composites if not any(verdicts[x].errored for x in c.leaves)]
    if not todo:
        return {}
    trees = row_composite_trees(todo, plans, verdicts)
    try:
        passing, rows = count_passing(df, [t for _, t in trees], scope=scope)
    except Exception as exc:
        from lakehouse.dq.metric_schema import error_text

        return {
            c.index: f"The composite rule could not be evaluated: {error_text(exc)}" for c in todo
        }
    return {c.index: (p / rows if rows else None) for (c, _), p in zip(trees, passing, strict=True)}


def collect_analyzers(plans: Iterable[AnalyzerPlan], values: Values) -> dict[str, float]:
    """The analyzers' metrics; a metric that could not be computed is left out (logged)."""
    metrics: dict[str, float] = {}
    for plan in plans:
        for request in plan.requests:
            error = values[request].error
            if error:
                log.warning("analyzer %s: %s: %s", plan.rule.text, request.label(), error)
        try:
            metrics.update(plan.collect(values))
        except Exception as exc:  # pragma: no cover - defensive
            log.warning("analyzer %s failed: %s", plan.rule.text, exc)
    return metrics


def outcome(node: RuleNode, verdict: Verdict, ruleset: Ruleset) -> RuleOutcome:
    return RuleOutcome(
        rule=node.text,
        outcome=PASSED if verdict.passed else FAILED,
        failure_reason=None if verdict.passed else verdict.reason,
        evaluated_metrics=dict(verdict.metrics),
        labels=effective_labels(node, ruleset),
    )


def recordable(outcomes: Iterable[RuleOutcome], analyzer_metrics: Mapping[str, float]) -> dict:
    metrics: dict[str, float] = {}
    for o in outcomes:
        metrics.update(o.evaluated_metrics)
    metrics.update(analyzer_metrics)
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}


# --------------------------------------------------------------------------- the evaluator


@dataclass
class _Run:
    df: Any
    ruleset: Ruleset
    ctx: EvalContext
    composite_mode: CompositeMode
    plans: dict[Rule, LeafPlan] = field(default_factory=dict)
    analyzers: list[AnalyzerPlan] = field(default_factory=list)
    composites: list[RowComposite] = field(default_factory=list)

    def requests(self) -> list[MetricRequest]:
        out: list[MetricRequest] = []
        for plan in self.plans.values():
            out.extend(plan.requests)
        for a in self.analyzers:
            out.extend(a.requests)
        for c in self.composites:
            out.extend(c.requests)
        return list(dict.fromkeys(out))


def evaluate_ruleset(
    df: Any,
    ruleset: Ruleset | str,
    *,
    references: Mapping[str, Any] | None = None,
    history: MetricsHistory | None = None,
    ruleset_name: str = "ruleset",
    dataset_name: str = "primary",
    now: dt.datetime | None = None,
    composite_mode: CompositeMode = "DATASET",
    row_level: bool = False,
    filtered_row_label: Literal["PASSED", "SKIPPED"] = "PASSED",
    run_id: str | None = None,
) -> DqResult:
    """Evaluate ``ruleset`` (DQDL text or a parsed Ruleset) on ``df`` (see the module docs).

    ``references`` maps data source aliases to frames (``"ref.col"``, ``RowCountMatch "ref"``,
    CustomSql's ``from ref``). Raises ``DqdlSyntaxError`` for bad DQDL text and
    ``UnsupportedRuleError`` for rules the engine cannot evaluate, both before any Spark job.
    """
    if composite_mode not in ("DATASET", "ROW"):
        raise ValueError(f"composite_mode must be DATASET or ROW, got {composite_mode!r}")
    if filtered_row_label not in ("PASSED", "SKIPPED"):
        raise ValueError(
            f"filtered_row_label must be PASSED or SKIPPED, got {filtered_row_label!r}"
        )
    rs = _as_ruleset(ruleset)
    problems = unsupported_rules(rs, composite_mode)
    if problems:
        raise UnsupportedRuleError(problems)
    at = _utc_now(now)
    ctx = make_context(
        df,
        references=references,
        history=history,
        ruleset_name=ruleset_name,
        dataset_name=dataset_name,
        now=at,
    )
    run = _Run(df, rs, ctx, composite_mode)
    for leaf in rs.leaf_rules():
        if leaf not in run.plans:
            run.plans[leaf] = translate(leaf, ctx)
    run.analyzers = [analyzer_requests(a, ctx) for a in rs.analyzers]
    if composite_mode == "ROW":
        run.composites = [
            plan_row_composite(node, i, run.plans, fuse=True)
            for i, node in enumerate(rs.rules)
            if isinstance(node, CompositeRule)
        ]

    values: Values = compute_metrics(df, run.requests())

    try:
        verdicts = {leaf: plan.verdict(values) for leaf, plan in run.plans.items()}
        composite_verdicts = _row_composite_verdicts(run, values, verdicts)
        outcomes = []
        for i, node in enumerate(rs.rules):
            if i in composite_verdicts:
                verdict = composite_verdicts[i]
            else:
                verdict = combine_dataset(node, verdicts)
            outcomes.append(outcome(node, verdict, rs))
        analyzer_metrics = collect_analyzers(run.analyzers, values)
        rows = None
        if row_level:
            rows = _row_level(run, verdicts, filtered_row_label)
    finally:
        ctx.scope.close()  # plans are analysed: the lazy row-level frame needs no view

    if history is not None:
        history.record(
            ruleset_name,
            dataset_name,
            run_id or uuid.uuid4().hex,
            recordable(outcomes, analyzer_metrics),
            at,
        )
    return DqResult(outcomes, analyzer_metrics, rows, engine="lakehouse")


def _row_composite_verdicts(
    run: _Run, values: Values, verdicts: Mapping[Rule, Verdict]
) -> dict[int, Verdict]:
    out: dict[int, Verdict] = {}
    unfused = [c for c in run.composites if c.fused is None]
    counted = count_row_composites(run.df, unfused, run.plans, verdicts, run.ctx.scope)
    for c in run.composites:
        share: float | str | None
        if c.fused is not None:
            assignment = tuple(verdicts[leaf].passed for leaf in c.constants)
            value: MetricValue = values[c.fused[assignment]]
            share = value.error if value.error is not None else value.value
        else:
            share = counted.get(c.index)
        out[c.index] = judge_row_composite(c, verdicts, share)
    return out


def _row_level(
    run: _Run, verdicts: Mapping[Rule, Verdict], filtered_row_label: Literal["PASSED", "SKIPPED"]
) -> Any:
    def marked(node: RuleNode) -> bool:
        if isinstance(node, Rule):
            spec = rule_types.get(node.rule_type)
            plan = run.plans[node]
            return (
                plan.row is not None
                and spec is not None
                and spec.row_level
                and not verdicts[node].errored
            )
        return all(marked(c) for c in node.operands)

    entries: list[tuple[str, Tree | None]] = []
    for node in run.ruleset.rules:
        tree: Tree | None = None
        if isinstance(node, CompositeRule) and run.composite_mode == "ROW":
            if not any(verdicts[leaf].errored for leaf in node.leaves()):
                constants = {leaf: verdicts[leaf].passed for leaf in node.leaves()}
                tree = row_tree(node, run.plans, constants)
        elif marked(node):
            tree = row_tree(node, run.plans, None)
        entries.append((node.text, tree))
    return row_level_frame(
        run.df, entries, filtered_row_label=filtered_row_label, scope=run.ctx.scope
    )
