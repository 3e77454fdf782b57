"""Data-quality results in AWS Glue Data Quality's shape.

One :class:`RuleOutcome` per rule with Glue's fields (``Rule``, ``Outcome`` Passed/Failed,
``FailureReason``, ``EvaluatedMetrics``, ``Labels``) and a :class:`DqResult` for the ruleset with
its score (the share of rules that passed). ``DqResult.to_json()`` is the stable document that
``lakehouse dq evaluate --format json`` prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

PASSED, FAILED = "Passed", "Failed"


@dataclass(frozen=True)
class RuleOutcome:
    """The outcome of one rule (or composite rule)."""

    rule: str
    outcome: str
    failure_reason: str | None = None
    evaluated_metrics: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outcome not in (PASSED, FAILED):
            raise ValueError(f"outcome must be {PASSED!r} or {FAILED!r}, got {self.outcome!r}")

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED

    def to_json(self) -> dict[str, Any]:
        return {
            "Rule": self.rule,
            "Outcome": self.outcome,
            "FailureReason": self.failure_reason,
            "EvaluatedMetrics": {k: _number(v) for k, v in self.evaluated_metrics.items()},
            "Labels": dict(self.labels),
        }


@dataclass
class DqResult:
    """All outcomes of one ruleset evaluation, in ruleset order."""

    outcomes: list[RuleOutcome]
    analyzer_metrics: dict[str, float] = field(default_factory=dict)
    row_level: Any = None  # a DataFrame with Glue's row-level columns, when asked for
    engine: str = "lakehouse"

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    @property
    def score(self) -> float:
        """The share of rules that passed (1.0 for a ruleset of analyzers only)."""
        if not self.outcomes:
            return 1.0
        return sum(o.passed for o in self.outcomes) / len(self.outcomes)

    @property
    def failed(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if not o.passed]

    def to_json(self) -> dict[str, Any]:
        return {
            "outcomes": [o.to_json() for o in self.outcomes],
            "score": self.score,
            "passed": self.passed,
        }


def _number(value: Any) -> float | None:
    """Metric values as Glue reports them (doubles); NaN and infinities have no JSON form."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number
