"""Metrics of a job run, built from its job-run record and sent to CloudWatch or a JSON-lines file.

:func:`metric_data` turns a finished job-run record into :class:`MetricDatum` values (a pure
function); :func:`publish` hands them to the sinks chosen by :func:`sinks_for` and never raises.
Every metric, unit and dimension set is listed in ``docs/metrics.md``; CloudWatch treats each
(metric name, dimension set) as its own metric, so the combinations below are deliberate:

* job level ``{Pipeline, Job}``: job state, duration, rows, DQ totals, tables published;
* pipeline level ``{Pipeline}``: ``JobFailed`` and ``DqRulesFailed``, one alarm per pipeline;
* table level ``{Pipeline, Job, Layer, Table}``: rows per output table, freshness, DQ per table;
* ``Severity`` (``halt`` | ``warn``) is added to ``DqRulesFailed`` at job and table level.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

NAMESPACE = "Lakehouse"
NAMESPACE_ENV = "LAKEHOUSE_METRICS_NAMESPACE"
SINK_ENV = "LAKEHOUSE_METRICS_SINK"
FILE_NAME = "metrics.jsonl"

COUNT = "Count"
SECONDS = "Seconds"

# Metric names (unit in the comment).
ROWS_READ = "RowsRead"  # Count: rows the job read (job level)
ROWS_WRITTEN = "RowsWritten"  # Count: rows written to tables / staged versions
ROWS_QUARANTINED = "RowsQuarantined"  # Count: rows refused into quarantine
DQ_RULES_PASSED = "DqRulesPassed"  # Count: DQDL rules that passed
DQ_RULES_FAILED = "DqRulesFailed"  # Count: DQDL rules that failed (also by Severity)
DQ_ROWS_QUARANTINED = "DqRowsQuarantined"  # Count: rows DQ rules routed to quarantine
DURATION_SECONDS = "DurationSeconds"  # Seconds: wall-clock duration of the job run
FRESHNESS_SECONDS = "FreshnessSeconds"  # Seconds: job end (or now) - newest record of a table
JOB_SUCCEEDED = "JobSucceeded"  # Count: 1 if the run SUCCEEDED, else 0
JOB_FAILED = "JobFailed"  # Count: 1 if the run FAILED (or timed out), else 0
TABLES_PUBLISHED = "TablesPublished"  # Count: Gold tables a successful publish made visible

METRIC_UNITS = {
    ROWS_READ: COUNT,
    ROWS_WRITTEN: COUNT,
    ROWS_QUARANTINED: COUNT,
    DQ_RULES_PASSED: COUNT,
    DQ_RULES_FAILED: COUNT,
    DQ_ROWS_QUARANTINED: COUNT,
    DURATION_SECONDS: SECONDS,
    FRESHNESS_SECONDS: SECONDS,
    JOB_SUCCEEDED: COUNT,
    JOB_FAILED: COUNT,
    TABLES_PUBLISHED: COUNT,
}

PIPELINE, JOB, LAYER, TABLE, SEVERITY = "Pipeline", "Job", "Layer", "Table", "Severity"
STANDALONE = "standalone"
SEVERITIES = ("halt", "warn")
PUBLISH_JOB = "publish_gold"

TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"})
FAILED_STATES = frozenset({"FAILED", "TIMEOUT", "ERROR"})
WRITTEN_KINDS = ("table", "staged")

# PutMetricData accepts at most 1000 datums and 1 MB per request, 30 dimensions per datum.
MAX_DATUMS_PER_REQUEST = 1000
MAX_REQUEST_BYTES = 512_000  # half the 1 MB limit: room for the protocol's encoding overhead
MAX_DIMENSIONS = 30


@dataclass(frozen=True)
class MetricDatum:
    """One data point: a metric name, value and unit under a set of dimensions."""

    name: str
    value: float
    unit: str
    dimensions: dict[str, str]
    timestamp: dt.datetime


# ---------------------------------------------------------------- record -> datums


def metric_data(record: Mapping[str, Any], *, now: dt.datetime | None = None) -> list[MetricDatum]:
    """The metric datums of a finished job-run record ([] while it is still RUNNING).

    ``now`` is the reference time for freshness and the datums' timestamp; it defaults to the
    record's ``ended_at``, so the result depends on the record alone.
    """
    state = str(record.get("state") or "")
    if state not in TERMINAL_STATES:
        return []
    at = _utc(now) if now else _parse_time(record.get("ended_at")) or dt.datetime.now(dt.UTC)
    pipeline = record.get("workflow_name") or STANDALONE
    job_dims = {PIPELINE: str(pipeline), JOB: str(record.get("job_name") or "unknown")}
    out: list[MetricDatum] = []

    def add(name: str, value: float | None, unit: str, dims: Mapping[str, str]) -> None:
        if value is not None and math.isfinite(value):
            out.append(MetricDatum(name, float(value), unit, dict(dims), at))

    add(JOB_SUCCEEDED, int(state == "SUCCEEDED"), COUNT, job_dims)
    add(JOB_FAILED, int(state in FAILED_STATES), COUNT, job_dims)
    add(JOB_FAILED, int(state in FAILED_STATES), COUNT, {PIPELINE: job_dims[PIPELINE]})
    numbers = record.get("metrics") or {}
    duration = _first_known(record.get("duration_s"), numbers.get("duration_s"))
    add(DURATION_SECONDS, duration, SECONDS, job_dims)

    outputs = [o for o in record.get("outputs") or [] if isinstance(o, Mapping)]
    inputs = [i for i in record.get("inputs") or [] if isinstance(i, Mapping)]
    written = [o for o in outputs if o.get("kind", "table") in WRITTEN_KINDS]
    quarantined = [o for o in outputs if o.get("kind") == "quarantine"]
    add(ROWS_READ, _first_known(numbers.get("rows_read"), _sum_rows(inputs)), COUNT, job_dims)
    rows_written = _first_known(numbers.get("rows_written"), _sum_rows(written))
    add(ROWS_WRITTEN, rows_written, COUNT, job_dims)
    quarantines = _first_known(numbers.get("rows_quarantined"), _sum_rows(quarantined))
    add(ROWS_QUARANTINED, quarantines, COUNT, job_dims)

    out.extend(_table_datums(written, quarantined, inputs, quarantines is not None, job_dims, at))
    out.extend(_dq_datums(record.get("dq") or [], job_dims, at))

    gold = {
        o.get("table") for o in written if o.get("kind") == "table" and o.get("layer") == "gold"
    }
    if gold or record.get("job_name") == PUBLISH_JOB:
        add(TABLES_PUBLISHED, len(gold) if state == "SUCCEEDED" else 0, COUNT, job_dims)
    return out


def _table_datums(
    written: Sequence[Mapping[str, Any]],
    quarantined: Sequence[Mapping[str, Any]],
    inputs: Sequence[Mapping[str, Any]],
    job_quarantines: bool,
    job_dims: Mapping[str, str],
    at: dt.datetime,
) -> list[MetricDatum]:
    """Rows written / quarantined and freshness per output table (``Layer``, bare ``Table``)."""
    rows: dict[tuple[str, str], float] = {}
    refused: dict[tuple[str, str], float] = {}
    newest: dict[tuple[str, str], dt.datetime] = {}
    for output in written:
        key = (str(output.get("layer") or "unknown"), _bare(output.get("table")))
        value = _number(output.get("rows"))  # unknown (NaN) stays unknown: no datum
        rows[key] = rows.get(key, 0.0) + (math.nan if value is None else value)
        if (at_newest := _parse_time(output.get("newest_record_at"))) is not None:
            newest[key] = max(at_newest, newest.get(key, at_newest))
    for output in quarantined:
        layer = _quarantined_from(output, written, inputs)
        if layer is not None:  # else only in the job's total (e.g. the DQ gates' dq_rows)
            key = (layer, _bare(output.get("table")))
            refused[key] = refused.get(key, 0) + (_number(output.get("rows")) or 0)
    if job_quarantines:  # a job that quarantines reports 0 for its clean tables: ratio defined
        for key in rows:
            refused.setdefault(key, 0)

    out = []
    for (layer, table), value in sorted(rows.items()):
        dims = {**job_dims, LAYER: layer, TABLE: table}
        if math.isfinite(value):
            out.append(MetricDatum(ROWS_WRITTEN, value, COUNT, dims, at))
    for (layer, table), value in sorted(refused.items()):
        dims = {**job_dims, LAYER: layer, TABLE: table}
        out.append(MetricDatum(ROWS_QUARANTINED, float(value), COUNT, dims, at))
    for (layer, table), value in sorted(newest.items()):
        dims = {**job_dims, LAYER: layer, TABLE: table}
        out.append(MetricDatum(FRESHNESS_SECONDS, (at - value).total_seconds(), SECONDS, dims, at))
    return out


def _dq_datums(
    results: Iterable[Any], job_dims: Mapping[str, str], at: dt.datetime
) -> list[MetricDatum]:
    """DQ rule outcomes per evaluated table and per job, failures also by severity."""
    tables: dict[tuple[str, str], Counter[str]] = {}
    quarantining: dict[tuple[str, str], float] = {}
    for result in results:
        if not isinstance(result, Mapping):
            continue
        table = _bare(result.get("table") or result.get("dataset"))
        key = (str(result.get("layer") or "unknown"), table)
        counts = tables.setdefault(key, Counter())
        if result.get("outcome") == "Passed":
            counts["passed"] += 1
        else:  # Failed, or a rule that could not be evaluated
            counts[_severity(result)] += 1
        if result.get("action") == "quarantine" or result.get("rows_quarantined"):
            rows = _number(result.get("rows_quarantined")) or 0.0
            quarantining[key] = quarantining.get(key, 0.0) + rows
    if not tables:
        return []

    out: list[MetricDatum] = []

    def add_outcomes(counts: Counter[str], dims: Mapping[str, str]) -> None:
        out.append(MetricDatum(DQ_RULES_PASSED, float(counts["passed"]), COUNT, dict(dims), at))
        failed = float(sum(counts[s] for s in SEVERITIES))
        out.append(MetricDatum(DQ_RULES_FAILED, failed, COUNT, dict(dims), at))
        for severity in SEVERITIES:
            by_severity = {**dims, SEVERITY: severity}
            out.append(
                MetricDatum(DQ_RULES_FAILED, float(counts[severity]), COUNT, by_severity, at)
            )

    total: Counter[str] = Counter()
    for counts in tables.values():
        total.update(counts)
    add_outcomes(total, job_dims)
    failed_total = float(sum(total[s] for s in SEVERITIES))
    out.append(
        MetricDatum(DQ_RULES_FAILED, failed_total, COUNT, {PIPELINE: job_dims[PIPELINE]}, at)
    )
    for (layer, table), counts in sorted(tables.items()):
        add_outcomes(counts, {**job_dims, LAYER: layer, TABLE: table})
    for (layer, table), value in sorted(quarantining.items()):
        dims = {**job_dims, LAYER: layer, TABLE: table}
        out.append(MetricDatum(DQ_ROWS_QUARANTINED, float(value), COUNT, dims, at))
    return out


def _severity(result: Mapping[str, Any]) -> str:
    """``halt`` for a failure that stops the gate (action halt), else ``warn`` (reported only, or
    its rows quarantined)."""
    action = result.get("action") or result.get("severity")
    return "halt" if action not in ("warn", "quarantine") else "warn"


def _quarantined_from(
    output: Mapping[str, Any],
    written: Sequence[Mapping[str, Any]],
    inputs: Sequence[Mapping[str, Any]],
) -> str | None:
    """The layer a quarantine output's rows were refused from: that of the same-named table the
    job wrote, else of the same-named input (landing data is refused on its way to Bronze);
    None when no table of the job has its name."""
    name = _bare(output.get("table"))
    for candidate in [*written, *inputs]:
        if _bare(candidate.get("table")) == name and candidate.get("layer"):
            layer = str(candidate["layer"])
            return "bronze" if layer == "landing" else layer
    return None


def _bare(table: Any) -> str:
    return str(table or "unknown").rsplit(".", 1)[-1] or "unknown"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _sum_rows(datasets: Sequence[Mapping[str, Any]]) -> float | None:
    """The sum of the datasets' row counts; None unless every one is known."""
    counts = [_number(d.get("rows")) for d in datasets]
    if not counts or any(c is None for c in counts):
        return None
    return float(sum(c for c in counts if c is not None))


def _first_known(*values: Any) -> float | None:
    return next((n for n in map(_number, values) if n is not None), None)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return _utc(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        return _utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


# ---------------------------------------------------------------- sinks


class Sink(Protocol):
    """Where datums go."""

    name: str

    def send(self, datums: Sequence[MetricDatum], *, run_id: str, job_run_id: str) -> None: ...


_FILE_LOCKS: dict[str, threading.Lock] = {}
_FILE_LOCKS_LOCK = threading.Lock()


def _file_lock(path: Path) -> threading.Lock:
    key = str(path.resolve())
    with _FILE_LOCKS_LOCK:
        return _FILE_LOCKS.setdefault(key, threading.Lock())


class JsonLinesSink:
    """Appends one JSON object per datum to a local file (safe across threads of one process)."""

    name = "jsonl"

    def __init__(self, path: str | os.PathLike[str], namespace: str = NAMESPACE):
        self.path = Path(path)
        self.namespace = namespace

    def send(self, datums: Sequence[MetricDatum], *, run_id: str, job_run_id: str) -> None:
        lines = "".join(
            json.dumps(
                {
                    "namespace": self.namespace,
                    "metric": d.name,
                    "value": int(d.value) if d.value.is_integer() else d.value,
                    "unit": d.unit,
                    "dimensions": d.dimensions,
                    "timestamp": d.timestamp.isoformat(),
                    "run_id": run_id,
                    "job_run_id": job_run_id,
                },
                sort_keys=True,
            )
            + "\n"
            for d in datums
        )
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.path), self.path.open("a", encoding="utf-8") as handle:
            handle.write(lines)


# Creating boto3 clients from the default session is not thread-safe.
_CLIENT_LOCK = threading.Lock()


class CloudWatchSink:
    """Sends datums with ``PutMetricData``, in requests within the API's limits."""

    name = "cloudwatch"

    def __init__(self, client: Any = None, namespace: str = NAMESPACE):
        self._client = client
        self.namespace = namespace

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            # Short timeouts: a job without a route to CloudWatch must not hang at its end.
            config = Config(
                connect_timeout=5, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"}
            )
            with _CLIENT_LOCK:
                self._client = boto3.client("cloudwatch", config=config)
        return self._client

    def send(self, datums: Sequence[MetricDatum], *, run_id: str, job_run_id: str) -> None:
        for chunk in _chunks([_cloudwatch_datum(d) for d in datums]):
            self.client.put_metric_data(Namespace=self.namespace, MetricData=chunk)


def _cloudwatch_datum(datum: MetricDatum) -> dict[str, Any]:
    if len(datum.dimensions) > MAX_DIMENSIONS:
        raise ValueError(f"{datum.name} has more than {MAX_DIMENSIONS} dimensions")
    return {
        "MetricName": datum.name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(datum.dimensions.items())],
        "Timestamp": datum.timestamp,
        "Value": datum.value,
        "Unit": datum.unit,
        "StorageResolution": 60,
    }


def _chunks(entries: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    """Requests of at most MAX_DATUMS_PER_REQUEST datums and about MAX_REQUEST_BYTES."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        entry_size = len(json.dumps(entry, default=str))
        if chunk and (
            len(chunk) >= MAX_DATUMS_PER_REQUEST or size + entry_size > MAX_REQUEST_BYTES
        ):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += entry_size
    if chunk:
        yield chunk


# ---------------------------------------------------------------- publishing

_FAILURES: Counter[str] = Counter()
_FAILURES_LOCK = threading.Lock()


def failure_counts() -> dict[str, int]:
    """How many times each sink (or building the datums: ``"build"``) failed in this process."""
    with _FAILURES_LOCK:
        return dict(_FAILURES)


def _failed(what: str, job_run_id: str, exc: BaseException) -> None:
    with _FAILURES_LOCK:
        _FAILURES[what] += 1
    response = getattr(exc, "response", None)  # botocore errors: log the code, not the request
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    log.warning(
        "metrics: %s failed for job run %s (%s%s)",
        what,
        job_run_id,
        type(exc).__name__,
        f": {code}" if code else "",
    )


def publish(
    record: Mapping[str, Any], sinks: Sequence[Sink], *, now: dt.datetime | None = None
) -> list[MetricDatum]:
    """Send the record's datums to every sink; returns the datums. Never raises into the job."""
    job_run_id = str(record.get("job_run_id") or "")
    try:
        datums = metric_data(record, now=now)
    except Exception as exc:
        _failed("build", job_run_id, exc)
        return []
    if not datums:
        return datums
    run_id = str(record.get("run_id") or job_run_id)
    for sink in sinks:
        try:
            sink.send(datums, run_id=run_id, job_run_id=job_run_id)
        except Exception as exc:
            _failed(getattr(sink, "name", type(sink).__name__), job_run_id, exc)
    return datums


def sinks_for(
    mode: str,
    run_dir: str | os.PathLike[str] | None,
    configured: str | None,
    *,
    namespace: str | None = None,
) -> list[Sink]:
    """The sinks of a job run.

    ``configured`` (the job argument ``--metrics_sink``, else ``$LAKEHOUSE_METRICS_SINK``) is a
    comma list of ``jsonl``, ``cloudwatch`` and ``none``. Unset: ``jsonl`` locally; in Glue
    ``cloudwatch``, plus ``jsonl`` when ``run_dir`` is a local folder. The JSON-lines file is
    ``<run_dir>/metrics.jsonl``; an S3 ``run_dir`` cannot take one (skipped with a warning).
    Unknown names are logged and ignored: metrics configuration never fails a job.
    """
    namespace = namespace or os.environ.get(NAMESPACE_ENV) or NAMESPACE
    if configured is None:
        configured = os.environ.get(SINK_ENV)
    local_dir = _local_dir(run_dir)
    if configured and configured.strip():
        names = [n.strip().lower() for n in configured.split(",") if n.strip()]
    elif mode == "glue":
        names = ["cloudwatch", "jsonl"] if local_dir else ["cloudwatch"]
    else:
        names = ["jsonl"]

    sinks: list[Sink] = []
    for name in dict.fromkeys(names):
        if name == "cloudwatch":
            sinks.append(CloudWatchSink(namespace=namespace))
        elif name == "jsonl" and local_dir is not None:
            sinks.append(JsonLinesSink(local_dir / FILE_NAME, namespace=namespace))
        elif name == "jsonl":
            log.warning("metrics: the jsonl sink needs a local run folder, not %s", run_dir)
        elif name != "none":
            log.warning("metrics: unknown sink %r ignored (use jsonl, cloudwatch or none)", name)
    return sinks


def _local_dir(run_dir: str | os.PathLike[str] | None) -> Path | None:
    if run_dir is None:
        return None
    text = os.fspath(run_dir)
    if text.startswith("file://"):
        return Path(text[len("file://") :])
    return None if "://" in text else Path(text)
