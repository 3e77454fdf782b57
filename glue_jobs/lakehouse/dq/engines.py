"""Choose the engine that evaluates a ruleset: Glue Data Quality or ours.

``engine="auto"`` uses Glue Data Quality when it is really there (inside AWS Glue), else our
engine; ``"glue"`` insists on Glue; ``"lakehouse"`` runs our engine everywhere, in Glue too, which
is how parity between the two is checked. Jobs expose this as the ``--dq_engine`` argument.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from lakehouse.dq.evaluator import evaluate_ruleset
from lakehouse.dq.glue_adapter import evaluate_with_glue
from lakehouse.dq.history import MetricsHistory
from lakehouse.dq.results import DqResult

ENGINES = ("auto", "glue", "lakehouse")


def glue_dq_available(glue_context: Any) -> bool:
    """True inside AWS Glue: a GlueContext exists and ``awsgluedq`` can be imported."""
    return glue_context is not None and importlib.util.find_spec("awsgluedq") is not None


def resolve_engine(engine: str, glue_context: Any) -> str:
    """The engine that will run: ``glue`` or ``lakehouse``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown DQ engine {engine!r}; expected one of {', '.join(ENGINES)}")
    available = glue_dq_available(glue_context)
    if engine == "glue" and not available:
        raise RuntimeError(
            "--dq_engine glue needs AWS Glue Data Quality (awsgluedq), which exists only in "
            "AWS Glue jobs; use --dq_engine lakehouse (or auto) elsewhere"
        )
    if engine == "auto":
        return "glue" if available else "lakehouse"
    return engine


def evaluate(
    df: Any,
    ruleset_path: str | Path | Traversable,
    *,
    engine: str = "auto",
    glue_context: Any = None,
    context: str,
    references: Mapping[str, Any] | None = None,
    history: MetricsHistory | None = None,
    row_level: bool = False,
    results_s3_prefix: str | None = None,
) -> DqResult:
    """Evaluate the ruleset file on ``df`` with the chosen engine; same result shape either way.

    ``context`` names the evaluation (e.g. ``silver_orders``): Glue's evaluation context, and our
    history key.
    """
    source = ruleset_path if hasattr(ruleset_path, "read_text") else Path(ruleset_path)
    text = source.read_text(encoding="utf-8")
    if resolve_engine(engine, glue_context) == "glue":
        return evaluate_with_glue(
            glue_context, df, text, context=context, references=references,
            results_s3_prefix=results_s3_prefix, row_level=row_level,
        )  # fmt: skip
    return evaluate_ruleset(
        df, text, references=references, history=history, ruleset_name=context,
        dataset_name=context, row_level=row_level,
    )  # fmt: skip
