"""OpenLineage run events for job runs, built from the job-run record, and where they are sent.

:func:`build_event` turns a job-run record (see ``lakehouse.runtime``) into an OpenLineage
``RunEvent`` (a pure function); :class:`LineageEmitter` sends events through one transport and
never raises into the job. :func:`emit_for_record` does both.

Identity, following the OpenLineage naming conventions:

* **job**: namespace ``lakehouse`` (``job_namespace``), name = the job name; a job run inside a
  workflow gets a ``parent`` run facet naming the workflow run (job = the workflow name).
* **run id**: a UUID derived from our id (``uuid5`` over a fixed namespace), so the same job run
  always gets the same OpenLineage run id: START and COMPLETE of one run match even when sent
  from different processes, and the ABORT written at resume matches the lost START.
* **dataset**: the table's storage root, not the version folder a run wrote: every version of
  ``silver.orders`` is the same dataset (a new version is a new dataset *version* to a consumer
  such as Marquez). A local lake gives namespace ``file`` and name = the absolute path
  ``<lake>/<layer>/<table>``; an S3 lake gives namespace ``s3://<bucket>`` and name = the key
  ``<prefix>/<layer>/<table>``. This is the path-based identity Spark's own OpenLineage
  integration reports, and it needs nothing the record does not hold (a Glue catalog ARN would
  need the region and account).

Only names, types, counts and rule texts go into events: a job-run record holds no row values,
and nothing here reads data.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_assertions_dataset,
    error_message_run,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
)
from openlineage.client.transport.console import ConsoleConfig, ConsoleTransport
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.transport.transport import Transport

from lakehouse import __version__, catalog
from lakehouse.layers import column_lineage

log = logging.getLogger(__name__)

PRODUCER = f"urn:lakehouse:glue-jobs:{__version__}"
JOB_NAMESPACE = "lakehouse"
# Fixed namespace of the run-id UUIDs (uuid5(NAMESPACE_URL, "urn:lakehouse:openlineage:run-id")).
RUN_ID_NAMESPACE = uuid.UUID("0c55f54f-db25-5854-b8ec-55474de3a965")

EVENT_TYPES = ("START", "COMPLETE", "FAIL", "ABORT")
# The event a record's state calls for. A record still RUNNING after its runner died is ABORT:
# callers that find one at resume pass "ABORT" themselves.
EVENT_FOR_STATE = {
    "RUNNING": "START",
    "SUCCEEDED": "COMPLETE",
    "FAILED": "FAIL",
    "TIMEOUT": "FAIL",
    "ERROR": "FAIL",
    "STOPPED": "ABORT",
}
ABORT_MESSAGE = "the runner process died while the job ran; found at resume"
FAIL_MESSAGE = "the job failed"
# DQ severities as OpenLineage consumers know them ('error' blocks the pipeline, 'warn' does not).
SEVERITY = {"halt": "error", "warn": "warn"}
LINEAGE_LAYERS = ("silver", "gold")
LINEAGE_KINDS = ("table", "staged")

FILE_NAME = "lineage.jsonl"
TRANSPORT_ENV = "LAKEHOUSE_LINEAGE_TRANSPORT"
URL_ENV = "OPENLINEAGE_URL"
API_KEY_ENV = "OPENLINEAGE_API_KEY"
TRANSPORT_KINDS = ("file", "http", "console", "none")
HTTP_ENDPOINT = "api/v1/lineage"  # Marquez's
HTTP_TIMEOUT_S = 5.0
# Two quick retries on connection errors and 5xx: a lineage server that is down costs a job
# about a second per event, not the client's default ~10 s.
HTTP_RETRY = {"total": 2, "read": 2, "connect": 2, "backoff_factor": 0.2}


class LineageConfigError(ValueError):
    """The lineage transport configuration cannot work (unknown kind, http without a URL...)."""


# ---------------------------------------------------------------- identity


def run_uuid(run_id: str) -> str:
    """The OpenLineage run id (a UUID) of one of our run ids (``jr_…`` / ``wr_…``)."""
    return str(uuid.uuid5(RUN_ID_NAMESPACE, run_id))


def table_root(location: str) -> str:
    """The table's storage root: ``location`` without a trailing version folder."""
    trimmed = location.rstrip("/")
    head, _, last = trimmed.rpartition("/")
    return head if head and catalog.is_version_name(last) else trimmed


def dataset_identity(location: str) -> tuple[str, str]:
    """OpenLineage ``(namespace, name)`` of a table stored at ``location``."""
    root = table_root(location)
    scheme, sep, rest = root.partition("://")
    if not sep:
        return "file", root
    if scheme == "file":
        return "file", "/" + rest.lstrip("/")
    if scheme in ("s3a", "s3n"):
        scheme = "s3"
    authority, _, path = rest.partition("/")
    return f"{scheme}://{authority}", path


def _lake_root(record: Mapping[str, Any]) -> str | None:
    """The lake root, from any dataset of the record stored at ``<lake>/<layer>/<table>``."""
    for entry in [*(record.get("outputs") or []), *(record.get("inputs") or [])]:
        table, location = entry.get("table"), entry.get("location")
        if not table or not location or "." not in table:
            continue
        suffix = "/" + table.replace(".", "/", 1)
        root = table_root(location)
        if root.endswith(suffix):
            return root[: -len(suffix)]
    return None


def _table_identity(
    table: str, known: Mapping[str, str], lake_root: str | None, job_namespace: str
) -> tuple[str, str]:
    """Identity of a table by name: its known location, else ``<lake>/<layer>/<table>``."""
    if table in known:
        return dataset_identity(known[table])
    if lake_root is not None:
        return dataset_identity(f"{lake_root}/{table.replace('.', '/', 1)}")
    return job_namespace, table


# ---------------------------------------------------------------- facets


def _schema_facet(
    schema: Iterable[Mapping[str, Any]] | None, producer: str
) -> schema_dataset.SchemaDatasetFacet | None:
    if not schema:
        return None
    fields = [
        schema_dataset.SchemaDatasetFacetFields(
            name=str(f["name"]), type=f.get("type"), ordinal_position=i
        )
        for i, f in enumerate(schema, start=1)
    ]
    return schema_dataset.SchemaDatasetFacet(fields=fields, producer=producer)


def _rule_column(rule: str) -> str | None:
    """The one column a DQDL rule names (None for dataset rules, several columns or bad text)."""
    from lakehouse.dq import DqdlSyntaxError, parse_rule

    try:
        columns = parse_rule(rule).columns
    except (DqdlSyntaxError, ValueError):
        return None
    return columns[0] if len(columns) == 1 else None


def _assertion(result: Mapping[str, Any]) -> data_quality_assertions_dataset.Assertion:
    rule = str(result.get("rule", ""))
    metrics = result.get("metrics") or {}
    actual = str(next(iter(metrics.values()))) if len(metrics) == 1 else None
    severity = result.get("severity")
    params = {k: result[k] for k in ("action", "rows_quarantined") if result.get(k) is not None}
    return data_quality_assertions_dataset.Assertion(
        assertion=rule,
        success=result.get("outcome") == "Passed",
        column=_rule_column(rule) if rule else None,
        severity=SEVERITY.get(str(severity), severity) if severity else None,
        actual=actual,
        description=result.get("failure_reason") or None,
        params=params,
    )


def _dq_facet(
    results: Iterable[Mapping[str, Any]], producer: str
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet | None:
    assertions = [_assertion(r) for r in results]
    if not assertions:
        return None
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=assertions, producer=producer
    )


def _statistics_facet(
    output: Mapping[str, Any], producer: str
) -> output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet | None:
    counts = {"rowCount": output.get("rows"), "size": output.get("bytes")}
    counts["fileCount"] = output.get("files")
    if all(v is None for v in counts.values()):
        return None
    return output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
        **counts, producer=producer
    )


def _input_field(
    source: column_lineage.Source, identity: tuple[str, str]
) -> column_lineage_dataset.InputField:
    namespace, name = identity
    transformation = column_lineage_dataset.Transformation(
        type=source.type,
        subtype=source.subtype,
        description=source.description,
        masking=True if source.masking else None,
    )
    return column_lineage_dataset.InputField(
        namespace=namespace, name=name, field=source.column, transformations=[transformation]
    )


def _column_lineage_facet(
    table: str,
    columns: Iterable[str] | None,
    identity_of: Callable[[str], tuple[str, str]],
    producer: str,
) -> column_lineage_dataset.ColumnLineageDatasetFacet | None:
    """The declared lineage of ``table``, for the ``columns`` it really has (all if unknown)."""
    declared = column_lineage.COLUMN_LINEAGE.get(table)
    if declared is None:
        return None
    present = set(columns) if columns is not None else set(declared)
    fields = {
        column: column_lineage_dataset.Fields(
            inputFields=[_input_field(s, identity_of(s.table)) for s in sources]
        )
        for column, sources in declared.items()
        if column in present
    }
    dataset = [
        _input_field(s, identity_of(s.table)) for s in column_lineage.DATASET_LINEAGE.get(table, ())
    ]
    return column_lineage_dataset.ColumnLineageDatasetFacet(
        fields=fields, dataset=dataset, producer=producer
    )


def _error_facet(
    record: Mapping[str, Any], event_type: str, producer: str
) -> error_message_run.ErrorMessageRunFacet | None:
    if event_type not in ("FAIL", "ABORT"):
        return None
    default = FAIL_MESSAGE if event_type == "FAIL" else ABORT_MESSAGE
    return error_message_run.ErrorMessageRunFacet(
        message=str(record.get("error") or default),
        programmingLanguage="PYTHON",
        stackTrace=record.get("traceback") or None,
        producer=producer,
    )


def _parent_facet(
    record: Mapping[str, Any], job_namespace: str, producer: str
) -> parent_run.ParentRunFacet | None:
    workflow, run_id = record.get("workflow_name"), record.get("run_id")
    if not workflow or not run_id:
        return None
    parent_id = run_uuid(str(run_id))
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=parent_id),
        job=parent_run.Job(namespace=job_namespace, name=str(workflow)),
        root=parent_run.Root(
            run=parent_run.RootRun(runId=parent_id),
            job=parent_run.RootJob(namespace=job_namespace, name=str(workflow)),
        ),
        producer=producer,
    )


# ---------------------------------------------------------------- events


def _event_time(record: Mapping[str, Any], event_type: str) -> str:
    stamp = record.get("started_at") if event_type == "START" else record.get("ended_at")
    return str(stamp) if stamp else dt.datetime.now(dt.UTC).isoformat()


def build_event(
    record: Mapping[str, Any],
    event_type: str,
    *,
    job_namespace: str = JOB_NAMESPACE,
    producer: str = PRODUCER,
) -> RunEvent:
    """The OpenLineage ``RunEvent`` (START, COMPLETE, FAIL or ABORT) of a job-run record."""
    kind = event_type.upper()
    if kind not in EVENT_TYPES:
        raise ValueError(f"event type {event_type!r} is not one of {', '.join(EVENT_TYPES)}")
    inputs_ = list(record.get("inputs") or [])
    outputs_ = list(record.get("outputs") or [])
    known = {d["table"]: d["location"] for d in [*inputs_, *outputs_] if d.get("location")}
    lake_root = _lake_root(record)

    def identity_of(table: str) -> tuple[str, str]:
        return _table_identity(table, known, lake_root, job_namespace)

    dq_by_dataset: dict[str, list[Mapping[str, Any]]] = {}
    for result in record.get("dq") or []:
        dq_by_dataset.setdefault(str(result.get("dataset")), []).append(result)

    inputs = []
    for entry in inputs_:
        namespace, name = identity_of(entry["table"])
        schema = _schema_facet(entry.get("schema"), producer)
        dq = _dq_facet(dq_by_dataset.get(entry["table"], ()), producer)
        inputs.append(
            InputDataset(
                namespace=namespace,
                name=name,
                facets={"schema": schema} if schema else {},
                inputFacets={"dataQualityAssertions": dq} if dq else {},
            )
        )

    outputs = []
    for entry in outputs_:
        table = entry["table"]
        namespace, name = identity_of(table)
        facets: dict[str, Any] = {}
        schema = _schema_facet(entry.get("schema"), producer)
        if schema:
            facets["schema"] = schema
        if entry.get("kind", "table") in LINEAGE_KINDS and table.split(".")[0] in LINEAGE_LAYERS:
            columns = [f["name"] for f in entry["schema"]] if entry.get("schema") else None
            lineage = _column_lineage_facet(table, columns, identity_of, producer)
            if lineage:
                facets["columnLineage"] = lineage
        stats = _statistics_facet(entry, producer)
        outputs.append(
            OutputDataset(
                namespace=namespace,
                name=name,
                facets=facets,
                outputFacets={"outputStatistics": stats} if stats else {},
            )
        )

    run_facets: dict[str, Any] = {}
    parent = _parent_facet(record, job_namespace, producer)
    if parent:
        run_facets["parent"] = parent
    error = _error_facet(record, kind, producer)
    if error:
        run_facets["errorMessage"] = error

    return RunEvent(
        eventType=RunState(kind),
        eventTime=_event_time(record, kind),
        run=Run(runId=run_uuid(str(record["job_run_id"])), facets=run_facets),
        job=Job(namespace=job_namespace, name=str(record["job_name"])),
        inputs=inputs,
        outputs=outputs,
        producer=producer,
    )


# ---------------------------------------------------------------- transports


_USERINFO = re.compile(r"//[^/@\s]+@")


def _redact(text: str) -> str:
    """``text`` without URL credentials (``//user:secret@host`` -> ``//***@host``)."""
    return _USERINFO.sub("//***@", text)


class LineageEmitter:
    """Sends events through one transport; :meth:`emit` logs and counts failures, never raises.

    One emitter may be shared by the parallel jobs of a process: sends are serialised by a lock
    (the file transport appends whole lines, one event per line).
    """

    def __init__(self, transport: Transport | None, kind: str, target: str = "") -> None:
        self.transport = transport
        self.kind = kind
        self.target = target
        self.emitted = 0
        self.failures = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LineageEmitter({self.kind}{' ' + _redact(self.target) if self.target else ''})"

    def emit(self, event: RunEvent) -> bool:
        """Send ``event``; False (with a warning, no event body) if the transport failed."""
        if self.transport is None:
            return False
        with self._lock:
            try:
                self.transport.emit(event)
            except Exception as exc:
                self.failures += 1
                log.warning(
                    "lineage: could not send the %s event of job %s to %s: %s: %s",
                    getattr(event.eventType, "value", event.eventType),
                    event.job.name,
                    self,
                    type(exc).__name__,
                    _redact(str(exc))[:300],
                )
                return False
            self.emitted += 1
            return True

    def count_failure(self) -> None:
        """Count a failure that happened before anything could be sent."""
        with self._lock:
            self.failures += 1

    def close(self) -> None:
        """Release the transport's resources (the HTTP session)."""
        if self.transport is not None:
            try:
                self.transport.close()
            except Exception as exc:  # closing is best effort too
                log.warning("lineage: could not close %s: %s", self, type(exc).__name__)


def emitter_from_config(
    kind: str | None,
    *,
    run_dir: str | Path | None,
    url: str | None = None,
    api_key_env: str | None = None,
) -> LineageEmitter:
    """An emitter for ``kind`` (``file`` | ``http`` | ``console`` | ``none``).

    ``kind`` None reads ``LAKEHOUSE_LINEAGE_TRANSPORT``, else picks ``http`` when
    ``OPENLINEAGE_URL`` is set, else ``file``. ``file`` appends JSON lines to
    ``<run_dir>/lineage.jsonl`` (a run dir on S3 falls back to ``console``, i.e. the job log);
    ``http`` posts to ``url`` (or ``OPENLINEAGE_URL``) at Marquez's ``api/v1/lineage``, with a
    bearer token from the env var ``api_key_env`` (default ``OPENLINEAGE_API_KEY``) when set.
    The transport is built here, not from ``openlineage.yml`` or ``OPENLINEAGE__*`` variables.
    Raises :class:`LineageConfigError` for a configuration that cannot work.
    """
    url = url or os.environ.get(URL_ENV) or None
    chosen = (kind or os.environ.get(TRANSPORT_ENV) or ("http" if url else "file")).lower()
    if chosen not in TRANSPORT_KINDS:
        raise LineageConfigError(
            f"lineage transport {chosen!r} is not one of {', '.join(TRANSPORT_KINDS)} "
            f"(set by the caller or {TRANSPORT_ENV})"
        )
    if chosen == "none":
        return LineageEmitter(None, "none")
    if chosen == "console":
        return LineageEmitter(ConsoleTransport(ConsoleConfig()), "console")
    if chosen == "http":
        return _http_emitter(url, api_key_env)
    if run_dir is None:
        raise LineageConfigError("the file lineage transport needs the run's folder (run_dir)")
    if "://" in str(run_dir):
        log.warning("lineage: run folder %s is not local; events go to the log", run_dir)
        return LineageEmitter(ConsoleTransport(ConsoleConfig()), "console")
    path = Path(run_dir) / FILE_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # emit will fail and count; the job goes on
        log.warning("lineage: cannot create %s: %s", path.parent, exc)
    transport = FileTransport(FileConfig(log_file_path=str(path), append=True))
    return LineageEmitter(transport, "file", str(path))


def _http_emitter(url: str | None, api_key_env: str | None) -> LineageEmitter:
    if not url:
        raise LineageConfigError(f"the http lineage transport needs a URL (or {URL_ENV})")
    config: dict[str, Any] = {
        "url": url,
        "endpoint": HTTP_ENDPOINT,
        "timeout": HTTP_TIMEOUT_S,
        "retry": HTTP_RETRY,
    }
    api_key = os.environ.get(api_key_env or API_KEY_ENV)
    if api_key:
        config["auth"] = {"type": "api_key", "apiKey": api_key}
    try:
        transport = HttpTransport(HttpConfig.from_dict(config))
    except (ValueError, KeyError) as exc:
        raise LineageConfigError(f"bad lineage URL {_redact(url)}: {exc}") from None
    return LineageEmitter(transport, "http", url)


def emit_for_record(
    record: Mapping[str, Any], event_type: str | None, emitter: LineageEmitter
) -> bool:
    """Build and send the event of ``record`` (``event_type`` None: the one its state calls for).

    Never raises: a record that cannot be turned into an event is logged and counted as a
    failure of ``emitter``.
    """
    try:
        kind = event_type or EVENT_FOR_STATE[str(record.get("state"))]
        event = build_event(record, kind)
    except Exception as exc:
        emitter.count_failure()
        log.warning(
            "lineage: no event for job run %s: %s: %s",
            record.get("job_run_id"),
            type(exc).__name__,
            exc,
        )
        return False
    return emitter.emit(event)
