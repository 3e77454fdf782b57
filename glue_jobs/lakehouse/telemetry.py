"""Lineage events and metrics for every job run, from its job-run record.

``start_job`` calls :func:`job_started` after writing the RUNNING record and :func:`job_ended`
after the final one. Where they go is configured per job run (job arguments, else environment,
else the mode's default):

* lineage: ``--lineage_transport file|http|console|none`` (``LAKEHOUSE_LINEAGE_TRANSPORT``), and
  ``--lineage_url`` (``OPENLINEAGE_URL``) for http. Default: a JSON-lines file in the run's
  folder locally; the job's log (console) in AWS.
* metrics: ``--metrics_sink jsonl,cloudwatch,none`` (``LAKEHOUSE_METRICS_SINK``). Default: a
  JSON-lines file in the run's folder locally; CloudWatch in AWS.

Neither may break a job: failures are logged and counted, never raised. In AWS Glue the job
needs ``--additional-python-modules openlineage-python==1.54.0``; without the package, lineage is
skipped with a warning.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from lakehouse import metrics

try:
    from lakehouse import lineage
except ImportError:  # openlineage-python is not installed (e.g. a Glue job without it)
    lineage = None

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_EMITTERS: dict[tuple[Any, ...], Any] = {}


def _local_run_dir(job: Any) -> str | None:
    return None if "://" in job.lake_root else job.run_dir


def emitter_for(job: Any) -> Any:
    """The lineage emitter of this job run's configuration (one per run folder and transport)."""
    if lineage is None:
        log.warning("lineage: openlineage-python is not installed; no lineage events are sent")
        return None
    kind = job.args.get("lineage_transport")
    run_dir = _local_run_dir(job)
    if kind is None and run_dir is None:
        kind = "console"
    key = (kind, run_dir, job.args.get("lineage_url"))
    with _LOCK:
        if key not in _EMITTERS:
            try:
                _EMITTERS[key] = lineage.emitter_from_config(
                    kind, run_dir=run_dir, url=job.args.get("lineage_url")
                )
            except lineage.LineageConfigError as exc:
                log.warning("lineage: %s; no lineage events are sent", exc)
                _EMITTERS[key] = None
        return _EMITTERS[key]


def emit(record: dict[str, Any], event_type: str, emitter: Any) -> None:
    if emitter is None:
        return
    try:
        emitter.emit(lineage.build_event(record, event_type))
    except Exception:  # building an event must not fail a job either
        log.warning("lineage: could not build the %s event of %s", event_type, record["job_name"])


def job_started(job: Any, record: dict[str, Any]) -> None:
    emit(record, "START", emitter_for(job))


def job_ended(job: Any, record: dict[str, Any]) -> None:
    event = "COMPLETE" if record["state"] == "SUCCEEDED" else "FAIL"
    emit(record, event, emitter_for(job))
    sinks = metrics.sinks_for(job.mode, _local_run_dir(job), job.args.get("metrics_sink"))
    metrics.publish(record, sinks)
