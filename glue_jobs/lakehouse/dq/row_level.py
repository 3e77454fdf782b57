"""Row-level outcomes: which rules each row passes, in ONE projection over the input.

Glue's ``rowLevelOutcomes`` frame is the input plus four columns:

* ``DataQualityRulesPass`` / ``DataQualityRulesFail``: the rules (their text) the row passes /
  fails;
* ``DataQualityRulesSkip``: the rules that say nothing about this row: rules without row-level
  results (RowCount, Mean, ... dataset-level rules, as Deequ's port of Glue's row-level helper
  does), rules that could not be evaluated (missing column, bad SQL), and rows removed by the
  rule's ``where`` when ``filtered_row_label="SKIPPED"``;
* ``DataQualityEvaluationResult``: ``Failed`` when the row fails any rule, else ``Passed``.

How a row passes (``translators.RowSpec``): a predicate rule (ColumnValues, IsComplete,
Completeness, ColumnLength, DataFreshness) by its SQL predicate; a uniqueness rule (IsUnique,
Uniqueness, IsPrimaryKey) when its key occurs once among the rows passing ``where`` -- one
windowed ``count`` per key set, no self-join -- (all-NULL keys pass IsUnique/Uniqueness and fail
IsPrimaryKey); a row-mode CustomSql when it equals a row the statement returns (one left join per
statement against its distinct result). Rows outside a rule's ``where`` pass it (Glue's default
``filteredRowLabel`` PASSED) or skip it (``SKIPPED``). A composite rule has row-level results
when all its operands do: AND/OR of theirs (SQL three-valued logic, so a skipped operand skips
the composite unless the other operands decide it).

``flag_frame`` builds the per-rule boolean columns; ``row_level_frame`` turns them into Glue's
columns; ``count_passing`` counts the rows passing composite formulas (ROW-mode composites whose
operands cannot be expressed as one SQL predicate).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lakehouse.dq.metric_requests import quote_identifier
from lakehouse.dq.translators import RowSpec

__all__ = [
    "DQ_COLUMNS",
    "Node",
    "count_passing",
    "flag_frame",
    "leaf_sql",
    "row_level_frame",
]

PASS, FAIL, SKIP, RESULT = (
    "DataQualityRulesPass",
    "DataQualityRulesFail",
    "DataQualityRulesSkip",
    "DataQualityEvaluationResult",
)
DQ_COLUMNS = (PASS, FAIL, SKIP, RESULT)


@dataclass(frozen=True)
class Node:
    """A composite formula over row specs: ``op`` applied to ``children``.

    Children are ``Node``, ``RowSpec`` (a rule's row test) or ``bool`` (a dataset-level
    operand's outcome, the same for every row).
    """

    op: Literal["and", "or"]
    children: tuple[Node | RowSpec | bool, ...]


Tree = Node | RowSpec | bool


def _paren(sql: str) -> str:
    return f"(\n{sql}\n)"


def leaf_sql(spec: RowSpec, filtered: str) -> str:
    """SQL (never NULL unless ``filtered`` is NULL) for a predicate or uniqueness row spec."""
    keep = None if spec.where is None else f"coalesce({_paren(spec.where)}, false)"
    if spec.kind == "predicate":
        assert spec.predicate is not None
        test = f"({spec.predicate})"
    elif spec.kind == "unique":
        keys = ", ".join(quote_identifier(c) for c in spec.columns)
        counted = "1" if keep is None else f"CASE WHEN {keep} THEN 1 END"
        count = f"count({counted}) OVER (PARTITION BY {keys})"
        all_null = " AND ".join(f"{quote_identifier(c)} IS NULL" for c in spec.columns)
        any_null = " OR ".join(f"{quote_identifier(c)} IS NULL" for c in spec.columns)
        if spec.complete:
            test = f"(CASE WHEN {any_null} THEN false ELSE {count} = 1 END)"
        else:
            test = f"(CASE WHEN {all_null} THEN true ELSE {count} = 1 END)"
    else:
        raise ValueError(f"{spec.kind} row specs need a join (see flag_frame)")
    if keep is None:
        return test
    return f"(CASE WHEN {keep} THEN {test} ELSE {filtered} END)"


def _leaves(tree: Tree) -> list[RowSpec]:
    if isinstance(tree, RowSpec):
        return [tree]
    if isinstance(tree, Node):
        return [leaf for child in tree.children for leaf in _leaves(child)]
    return []


def flag_frame(
    df: Any, specs: Sequence[RowSpec], *, filtered: str, scope: Any = None
) -> tuple[Any, dict[RowSpec, str]]:
    """``df``'s columns plus one boolean column per row spec, in one projection.

    ``filtered`` is the SQL value for rows outside a rule's ``where`` (``true`` or ``NULL``).
    CustomSql specs need ``scope`` (their joins run in its isolated session, so the frame is
    then ``scope.primary`` with the flags). Returns the frame and spec -> flag column name.
    """
    unique_specs = list(dict.fromkeys(specs))
    tag = f"__dq_{uuid.uuid4().hex[:8]}"
    names = {spec: f"{tag}_{i}" for i, spec in enumerate(unique_specs)}
    custom = [s for s in unique_specs if s.kind == "custom_sql"]
    base = df
    if custom:
        assert scope is not None, "CustomSql row specs need the evaluation scope"
        base = scope.primary
        for spec in custom:
            assert spec.sql is not None
            base = scope.join_custom_sql(base, spec.sql, names[spec])
    expressions = [quote_identifier(c) for c in df.columns]
    expressions += [quote_identifier(names[s]) for s in custom]
    for spec in unique_specs:
        if spec.kind != "custom_sql":
            expressions.append(f"{leaf_sql(spec, filtered)} AS {quote_identifier(names[spec])}")
    return base.selectExpr(*expressions), names


def _tree_sql(tree: Tree, names: Mapping[RowSpec, str]) -> str:
    if isinstance(tree, bool):
        return "true" if tree else "false"
    if isinstance(tree, RowSpec):
        return quote_identifier(names[tree])
    joiner = " AND " if tree.op == "and" else " OR "
    return "(" + joiner.join(_tree_sql(c, names) for c in tree.children) + ")"


def row_level_frame(
    df: Any,
    entries: Sequence[tuple[str, Tree | None]],
    *,
    filtered_row_label: Literal["PASSED", "SKIPPED"] = "PASSED",
    scope: Any = None,
) -> Any:
    """The input plus Glue's four row-level columns.

    ``entries``: one ``(rule text, tree)`` per rule in ruleset order; ``tree`` is None for a
    rule without row-level results (it lands in ``DataQualityRulesSkip`` on every row).
    """
    from pyspark.sql import functions as F

    filtered = "true" if filtered_row_label == "PASSED" else "CAST(NULL AS BOOLEAN)"
    specs = [leaf for _, tree in entries if tree is not None for leaf in _leaves(tree)]
    frame, names = flag_frame(df, specs, filtered=filtered, scope=scope)
    outputs = [c for c in df.columns if c not in DQ_COLUMNS]
    flags = []
    always_skipped = []
    for i, (text, tree) in enumerate(entries):
        if tree is None:
            always_skipped.append(text)
        else:
            flags.append((text, F.expr(_tree_sql(tree, names)).alias(f"__dq_r{i}")))

    def collect(values: list[Any]) -> Any:
        empty = F.array().cast("array<string>")
        if not values:
            return empty
        return F.filter(F.array(*values), lambda x: x.isNotNull())

    flag_cols = [F.col(f"__dq_r{i}") for i, (_, tree) in enumerate(entries) if tree is not None]
    texts = [text for text, tree in entries if tree is not None]
    passed = collect([F.when(c, F.lit(t)) for c, t in zip(flag_cols, texts, strict=True)])
    failed = collect([F.when(~c, F.lit(t)) for c, t in zip(flag_cols, texts, strict=True)])
    skipped_rows = collect(
        [F.when(c.isNull(), F.lit(t)) for c, t in zip(flag_cols, texts, strict=True)]
    )
    static = F.array(*(F.lit(t) for t in always_skipped)).cast("array<string>")
    staged = frame.select(
        *(F.col(quote_identifier(c)) for c in outputs), *(expr for _, expr in flags)
    )
    fail_col = failed.alias(FAIL)
    return staged.select(
        *(F.col(quote_identifier(c)) for c in outputs),
        passed.alias(PASS),
        fail_col,
        F.concat(static, skipped_rows).alias(SKIP),
        F.when(F.size(failed) == 0, F.lit("Passed")).otherwise(F.lit("Failed")).alias(RESULT),
    )


def count_passing(df: Any, trees: Sequence[Tree], *, scope: Any = None) -> tuple[list[int], int]:
    """(rows passing each tree, rows) with ONE query; rows outside a ``where`` pass."""
    from pyspark.sql import functions as F

    specs = [leaf for tree in trees for leaf in _leaves(tree)]
    frame, names = flag_frame(df, specs, filtered="true", scope=scope)
    aggregates = [
        F.count(F.when(F.expr(_tree_sql(tree, names)), 1)).alias(f"p{i}")
        for i, tree in enumerate(trees)
    ]
    row = frame.agg(F.count(F.lit(1)).alias("n"), *aggregates).collect()[0]
    return [int(row[f"p{i}"]) for i in range(len(trees))], int(row["n"])
