"""The metrics history behind dynamic rules (``RowCount > avg(last(5))``).

Glue keeps the metrics of earlier evaluations per ruleset and data set; locally we keep them in
one JSON-lines file per (ruleset, dataset) under a history folder. ``last(k)`` reads the k most
recent values of one metric, newest first.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class MetricsHistory:
    """Metrics of earlier evaluations, by ruleset, dataset and metric name."""

    def last(self, ruleset: str, dataset: str, metric: str, k: int) -> list[float]:
        raise NotImplementedError

    def record(
        self, ruleset: str, dataset: str, run_id: str, metrics: dict[str, float], at: dt.datetime
    ) -> None:
        raise NotImplementedError


class NoHistory(MetricsHistory):
    """No earlier runs: every ``last(k)`` is empty (and evaluates to 0.0, as in Glue)."""

    def last(self, ruleset: str, dataset: str, metric: str, k: int) -> list[float]:
        return []

    def record(self, *args: object, **kwargs: object) -> None:
        return None


class JsonLinesHistory(MetricsHistory):
    """``<folder>/<ruleset>/<dataset>.jsonl``: one line per evaluation, appended."""

    _lock = threading.Lock()

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _path(self, ruleset: str, dataset: str) -> Path:
        return self.folder / _SAFE.sub("_", ruleset) / f"{_SAFE.sub('_', dataset)}.jsonl"

    def last(self, ruleset: str, dataset: str, metric: str, k: int) -> list[float]:
        path = self._path(ruleset, dataset)
        if not path.exists():
            return []
        entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        entries.sort(key=lambda e: e["at"], reverse=True)
        values = [e["metrics"][metric] for e in entries if e["metrics"].get(metric) is not None]
        return [float(v) for v in values[:k]]

    def record(
        self, ruleset: str, dataset: str, run_id: str, metrics: dict[str, float], at: dt.datetime
    ) -> None:
        path = self._path(ruleset, dataset)
        line = json.dumps({"run_id": run_id, "at": at.isoformat(), "metrics": metrics})
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
