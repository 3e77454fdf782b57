"""A JobRun for tests that call library code directly (no job script, no telemetry)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lakehouse import runtime


def make_job(lake: Path, run_id: str, name: str = "test_job", day: str = "2026-03-01"):
    """A job run of workflow run ``run_id`` in the worker's lake, with local run properties."""
    return runtime.JobRun(
        name=name,
        job_run_id=f"jr_{run_id}_{name}",
        run_id=run_id,
        batch_date=dt.date.fromisoformat(day),
        args={},
        engine=runtime.engine(str(lake)),
        run_properties=runtime.LocalRunProperties(str(lake), run_id),
        started_at=dt.datetime.now(dt.UTC),
        workflow_name="daily_batch",
    )
