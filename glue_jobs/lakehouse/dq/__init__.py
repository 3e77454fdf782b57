"""The project's DQDL engine (AWS Glue Data Quality Definition Language).

``parse`` turns DQDL text into a typed AST (``lakehouse.dq.ast``), ``conditions`` gives DQDL's
condition semantics (aggregate values and Spark SQL row predicates), ``lint`` checks ruleset files,
``rule_types`` is the registry of rule types.
"""

from lakehouse.dq.ast import CompositeRule, Rule, RuleNode, Ruleset, effective_labels
from lakehouse.dq.conditions import DqdlEvaluationError, evaluate, row_predicate_sql
from lakehouse.dq.lint import LintProblem, lint_paths, lint_text
from lakehouse.dq.parser import DqdlSyntaxError, check, parse, parse_file, parse_rule
from lakehouse.dq.rule_types import RULE_TYPES, RuleTypeSpec

__all__ = [
    "RULE_TYPES",
    "CompositeRule",
    "DqdlEvaluationError",
    "DqdlSyntaxError",
    "LintProblem",
    "Rule",
    "RuleNode",
    "RuleTypeSpec",
    "Ruleset",
    "check",
    "effective_labels",
    "evaluate",
    "lint_paths",
    "lint_text",
    "parse",
    "parse_file",
    "parse_rule",
    "row_predicate_sql",
]
