"""Run a ruleset with AWS Glue Data Quality (``awsgluedq``) and return our result shape.

Only inside AWS Glue: ``awsgluedq`` exists nowhere else (not even in the aws-glue-libs images).
Publishing options follow what a production job wants: one evaluation context per layer and
table (the namespace Glue files results under), CloudWatch metrics on, results publishing on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakehouse.dq.results import DqResult, RuleOutcome

OUTCOMES_KEY = "ruleOutcomes"
ROWS_KEY = "rowLevelOutcomes"


def publishing_options(context: str, results_s3_prefix: str | None = None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "dataQualityEvaluationContext": context,
        "enableDataQualityCloudWatchMetrics": True,
        "enableDataQualityResultsPublishing": True,
    }
    if results_s3_prefix:
        options["resultsS3Prefix"] = results_s3_prefix
    return options


def outcome_from_row(row: Mapping[str, Any]) -> RuleOutcome:
    """One row of Glue's ``ruleOutcomes`` frame as a RuleOutcome."""
    metrics = row.get("EvaluatedMetrics") or {}
    labels = row.get("Labels") or {}
    return RuleOutcome(
        rule=str(row["Rule"]),
        outcome=str(row["Outcome"]),
        failure_reason=row.get("FailureReason") or None,
        evaluated_metrics={str(k): float(v) for k, v in dict(metrics).items() if v is not None},
        labels={str(k): str(v) for k, v in dict(labels).items()},
    )


def evaluate_with_glue(
    glue_context: Any,
    df: Any,
    ruleset_text: str,
    *,
    context: str,
    references: Mapping[str, Any] | None = None,
    results_s3_prefix: str | None = None,
    row_level: bool = False,
) -> DqResult:
    """Evaluate ``ruleset_text`` on ``df`` with Glue's ``EvaluateDataQuality.process_rows``."""
    from awsglue.dynamicframe import DynamicFrame
    from awsglue.transforms import SelectFromCollection
    from awsgluedq.transforms import EvaluateDataQuality

    frame = DynamicFrame.fromDF(df, glue_context, context)
    additional = {
        name: DynamicFrame.fromDF(ref, glue_context, name)
        for name, ref in (references or {}).items()
    }
    collection = EvaluateDataQuality().process_rows(
        frame=frame,
        ruleset=ruleset_text,
        publishing_options=publishing_options(context, results_s3_prefix),
        additional_options={
            "performanceTuning.caching": "CACHE_NOTHING",
            "rowLevelConfiguration.ruleWithLabels": "ENABLED",
        },
        additional_data_sources=additional,
    )
    outcome_rows = SelectFromCollection.apply(dfc=collection, key=OUTCOMES_KEY).toDF().collect()
    rows = None
    if row_level:
        rows = SelectFromCollection.apply(dfc=collection, key=ROWS_KEY).toDF()
    return DqResult(
        outcomes=[outcome_from_row(r.asDict(recursive=True)) for r in outcome_rows],
        row_level=rows,
        engine="glue",
    )
