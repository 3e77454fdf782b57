"""Result shape, score, metrics history and the Glue Data Quality adapter's wiring."""

from __future__ import annotations

import datetime as dt
import json
import sys
import types

import pytest

from lakehouse.dq import glue_adapter
from lakehouse.dq.history import JsonLinesHistory, NoHistory
from lakehouse.dq.results import DqResult, RuleOutcome


def test_json_document_has_the_stable_shape():
    result = DqResult(
        [
            RuleOutcome("RowCount > 0", "Passed", None, {"Dataset.*.RowCount": 3}, {"layer": "silver"}),
            RuleOutcome('IsComplete "a"', "Failed", "Value: 0.5 does not meet the constraint requirement!", {"Column.a.Completeness": 0.5}),
        ]
    )  # fmt: skip
    doc = json.loads(json.dumps(result.to_json()))
    assert doc == {
        "outcomes": [
            {"Rule": "RowCount > 0", "Outcome": "Passed", "FailureReason": None,
             "EvaluatedMetrics": {"Dataset.*.RowCount": 3.0}, "Labels": {"layer": "silver"}},
            {"Rule": 'IsComplete "a"', "Outcome": "Failed",
             "FailureReason": "Value: 0.5 does not meet the constraint requirement!",
             "EvaluatedMetrics": {"Column.a.Completeness": 0.5}, "Labels": {}},
        ],
        "score": 0.5,
        "passed": False,
    }  # fmt: skip


def test_non_finite_metrics_become_null_in_json():
    outcome = RuleOutcome("Mean x > 1", "Failed", "no value", {"Column.x.Mean": float("nan")})
    assert outcome.to_json()["EvaluatedMetrics"] == {"Column.x.Mean": None}


def test_outcome_must_be_glues_words():
    with pytest.raises(ValueError, match="Passed"):
        RuleOutcome("RowCount > 0", "PASS")


def test_a_ruleset_of_analyzers_only_scores_one():
    assert DqResult([]).score == 1.0 and DqResult([]).passed


def test_history_returns_the_newest_values_first(tmp_path):
    history = JsonLinesHistory(tmp_path)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for day, rows in enumerate([10, 20, 30, 40]):
        history.record(
            "silver/orders",
            "orders",
            f"r{day}",
            {"Dataset.*.RowCount": rows},
            start + dt.timedelta(days=day),
        )
    assert history.last("silver/orders", "orders", "Dataset.*.RowCount", 3) == [40.0, 30.0, 20.0]
    assert history.last("silver/orders", "orders", "Column.x.Mean", 3) == []
    assert history.last("other", "orders", "Dataset.*.RowCount", 3) == []
    assert NoHistory().last("a", "b", "c", 5) == []


class FakeFrame:
    def __init__(self, rows):
        self.rows = rows

    def toDF(self):
        return self

    def collect(self):
        return [types.SimpleNamespace(asDict=lambda recursive=False, r=r: r) for r in self.rows]


def test_glue_adapter_calls_evaluate_data_quality_with_our_publishing_options(monkeypatch):
    calls = {}

    class EvaluateDataQuality:
        def process_rows(self, **kwargs):
            calls.update(kwargs)
            return {"ruleOutcomes": FakeFrame([
                {"Rule": "RowCount > 0", "Outcome": "Passed", "FailureReason": None,
                 "EvaluatedMetrics": {"Dataset.*.RowCount": 5.0}, "Labels": {"severity": "warn"}},
            ])}  # fmt: skip

    fake_module = types.ModuleType("awsgluedq.transforms")
    fake_module.EvaluateDataQuality = EvaluateDataQuality
    monkeypatch.setitem(sys.modules, "awsgluedq", types.ModuleType("awsgluedq"))
    monkeypatch.setitem(sys.modules, "awsgluedq.transforms", fake_module)
    import awsglue.dynamicframe
    import awsglue.transforms

    monkeypatch.setattr(
        awsglue.dynamicframe.DynamicFrame, "fromDF", staticmethod(lambda df, ctx, name: (name, df))
    )
    monkeypatch.setattr(
        awsglue.transforms.SelectFromCollection, "apply", staticmethod(lambda dfc, key: dfc[key])
    )

    result = glue_adapter.evaluate_with_glue(
        object(), "primary-df", "Rules = [ RowCount > 0 ]",
        context="silver_orders", references={"customers": "ref-df"},
        results_s3_prefix="s3://dq/silver/",
    )  # fmt: skip
    assert calls["frame"] == ("silver_orders", "primary-df")
    assert calls["additional_data_sources"] == {"customers": ("customers", "ref-df")}
    assert calls["publishing_options"] == {
        "dataQualityEvaluationContext": "silver_orders",
        "enableDataQualityCloudWatchMetrics": True,
        "enableDataQualityResultsPublishing": True,
        "resultsS3Prefix": "s3://dq/silver/",
    }
    assert result.engine == "glue"
    assert result.outcomes == [
        RuleOutcome(
            "RowCount > 0", "Passed", None, {"Dataset.*.RowCount": 5.0}, {"severity": "warn"}
        )
    ]


def test_auto_engine_is_ours_outside_glue_and_glue_inside(monkeypatch):
    from lakehouse.dq import engines

    assert engines.resolve_engine("auto", None) == "lakehouse"
    assert engines.resolve_engine("lakehouse", object()) == "lakehouse"
    monkeypatch.setattr(engines.importlib.util, "find_spec", lambda name: object())
    assert engines.resolve_engine("auto", object()) == "glue"


def test_asking_for_glue_outside_glue_is_a_clear_error():
    from lakehouse.dq import engines

    with pytest.raises(RuntimeError, match="only in AWS Glue"):
        engines.resolve_engine("glue", None)
    with pytest.raises(ValueError, match="unknown DQ engine"):
        engines.resolve_engine("deequ", None)
