"""The one place that knows where a job runs: AWS Glue 5.0 or a laptop.

A job script gets everything environment-specific from :func:`start_job`:

* arguments, through ``awsglue.utils.getResolvedOptions`` in every mode (every listed name required);
* the SparkSession (Glue's, or a local one with a Hive catalog in an embedded Derby metastore);
* job init/commit (Glue ``Job`` and bookmarks in Glue; a job-run record under the lake locally);
* the lake root (``--lake_root``; locally also ``LAKE_ROOT``, default ``.lake``);
* workflow run properties (Glue API in AWS, a JSON file per run locally) holding ``run_id`` and
  ``batch_date``.

Glue is detected by whether a ``GlueContext`` can really be created, so the same scripts run in
AWS Glue, in the ``public.ecr.aws/glue/aws-glue-libs:5`` image and on plain PySpark.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awsglue.utils import GlueArgumentError, getResolvedOptions

log = logging.getLogger("lakehouse")

DEFAULT_LAKE_ROOT = ".lake"
LOCAL_SHUFFLE_PARTITIONS = "4"
LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
_ENGINE_LOCK = threading.Lock()
_ENGINE: Engine | None = None


class JobArgumentError(ValueError):
    """A job was started with missing or malformed arguments."""


@dataclass(frozen=True)
class Engine:
    """The Spark side of the runtime: one per process."""

    spark: Any  # pyspark.sql.SparkSession
    mode: str  # "glue" or "local"
    glue_context: Any = None
    lake_root: str = ""


# ---------------------------------------------------------------- arguments


def resolve_args(
    argv: Sequence[str],
    required: Sequence[str] = (),
    optional: Mapping[str, str | None] | None = None,
) -> dict[str, str | None]:
    """Parse Glue-style ``--name value`` arguments with ``getResolvedOptions``.

    ``required`` names must be present (Glue semantics). ``optional`` names are resolved only
    when present in ``argv`` (getResolvedOptions would otherwise demand them); absent ones take
    the given default.
    """
    optional = dict(optional or {})
    present = {a[2:].split("=", 1)[0] for a in argv if a.startswith("--")}
    names = list(dict.fromkeys(["JOB_NAME", *required]))
    names += [n for n in optional if n in present and n not in names]
    try:
        resolved = getResolvedOptions(list(argv), names)
    except GlueArgumentError as exc:
        raise JobArgumentError(f"bad job arguments: {exc}") from None
    args: dict[str, str | None] = {n: optional.get(n) for n in optional}
    args.update({k: v for k, v in resolved.items() if k in names or v is not None})
    return args


# ---------------------------------------------------------------- Spark


def local_lake_root(explicit: str | None = None) -> str:
    """The local lake root: the argument, else ``LAKE_ROOT``, else ``.lake``, made absolute."""
    root = explicit or os.environ.get("LAKE_ROOT") or DEFAULT_LAKE_ROOT
    if "://" in root:
        return root
    return str(Path(root).expanduser().resolve())


def _local_spark_conf(lake_root: str) -> dict[str, str]:
    catalog_dir = Path(lake_root) / "_catalog"
    catalog_dir.mkdir(parents=True, exist_ok=True)
    metastore = catalog_dir / "metastore_db"
    return {
        "spark.app.name": "lakehouse",
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": str(Path(lake_root) / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore};create=true"
        ),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={catalog_dir} -Dlog4j.configurationFile={LOG4J_CONFIG}"
        ),
        "spark.driver.memory": os.environ.get("LAKEHOUSE_DRIVER_MEMORY", "4g"),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": os.environ.get("LAKEHOUSE_SPARK_UI", "false"),
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": LOCAL_SHUFFLE_PARTITIONS,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        # Text that does not parse as a date becomes NULL (and is quarantined), never an error.
        "spark.sql.legacy.timeParserPolicy": "CORRECTED",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.streaming.forceDeleteTempCheckpointLocation": "true",
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    }


def _try_glue_context(spark_context: Any) -> Any:
    """Return a GlueContext if the Glue ETL jars are really there, else None."""
    try:
        from awsglue.context import GlueContext

        return GlueContext(spark_context)
    except Exception:  # py4j raises TypeError ("JavaPackage is not callable") without the jars
        return None


def engine(lake_root: str | None = None) -> Engine:
    """Return the process-wide engine, creating the SparkSession on first use.

    One SparkSession serves every job of a local workflow run. Locally the lake root is fixed by
    the first call (the Derby metastore lives inside it); a later call with another root fails.
    """
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is not None:
            if lake_root and _ENGINE.mode == "local":
                wanted = local_lake_root(lake_root)
                if wanted != _ENGINE.lake_root:
                    raise RuntimeError(
                        f"this process already uses the lake at {_ENGINE.lake_root}; "
                        f"cannot switch to {wanted} (start a new process)"
                    )
            return _ENGINE
        _ENGINE = _create_engine(lake_root)
        return _ENGINE


def _create_engine(lake_root: str | None) -> Engine:
    from pyspark import SparkConf
    from pyspark.context import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is None and not _launched_by_spark_submit():
        # Plain `python script.py` on a laptop: we start the JVM, so we need Java 17.
        from lakehouse.java import ensure_java_home

        ensure_java_home()
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    conf = SparkConf()
    glue_catalog = conf.contains("spark.hadoop.hive.metastore.client.factory.class")
    local_root = local_lake_root(lake_root)
    if not conf.contains("spark.master"):
        conf.setMaster("local[*]")
    if not glue_catalog and "://" not in local_root:
        for key, value in _local_spark_conf(local_root).items():
            if not conf.contains(key):
                conf.set(key, value)
    spark_context = SparkContext.getOrCreate(conf)
    glue_context = _try_glue_context(spark_context)
    if glue_context is not None:
        spark = glue_context.spark_session
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
        spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        mode = "glue"
    else:
        spark = SparkSession.builder.enableHiveSupport().getOrCreate()
        spark.sparkContext.setLogLevel(os.environ.get("LAKEHOUSE_SPARK_LOG_LEVEL", "ERROR"))
        mode = "local"
    log.info("runtime: %s mode, lake root %s", mode, local_root)
    return Engine(spark=spark, mode=mode, glue_context=glue_context, lake_root=local_root)


def _launched_by_spark_submit() -> bool:
    return "PYSPARK_GATEWAY_PORT" in os.environ


def reset_engine_for_tests() -> None:
    """Forget the engine (the SparkSession is stopped). Only for tests."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is not None:
            _ENGINE.spark.stop()
        _ENGINE = None


# ---------------------------------------------------------------- run properties


class RunProperties:
    """Workflow run properties: string key/values shared by every job of one workflow run."""

    def get(self) -> dict[str, str]:
        raise NotImplementedError

    def put(self, values: Mapping[str, str]) -> None:
        raise NotImplementedError


class LocalRunProperties(RunProperties):
    """A JSON file per workflow run under ``<lake>/_runs/<run id>/``."""

    _lock = threading.Lock()

    def __init__(self, lake_root: str, run_id: str):
        self.path = Path(lake_root) / "_runs" / run_id / "run_properties.json"

    def get(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text())

    def put(self, values: Mapping[str, str]) -> None:
        with self._lock:
            merged = {**self.get(), **{k: str(v) for k, v in values.items()}}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(merged, indent=2, sort_keys=True))
            tmp.replace(self.path)


class GlueRunProperties(RunProperties):
    """Glue's GetWorkflowRunProperties / PutWorkflowRunProperties for one run."""

    def __init__(self, workflow_name: str, run_id: str, client: Any = None):
        import boto3

        self.workflow_name = workflow_name
        self.run_id = run_id
        self.client = client or boto3.client("glue")

    def get(self) -> dict[str, str]:
        response = self.client.get_workflow_run_properties(
            Name=self.workflow_name, RunId=self.run_id
        )
        return dict(response.get("RunProperties", {}))

    def put(self, values: Mapping[str, str]) -> None:
        self.client.put_workflow_run_properties(
            Name=self.workflow_name,
            RunId=self.run_id,
            RunProperties={k: str(v) for k, v in values.items()},
        )


def run_properties_store(
    mode: str, lake_root: str, workflow_name: str, run_id: str
) -> RunProperties:
    """Glue's API when running in Glue against an S3 lake, else the local store."""
    if mode == "glue" and lake_root.startswith("s3://"):
        return GlueRunProperties(workflow_name, run_id)
    return LocalRunProperties(lake_root, run_id)


def new_run_id(prefix: str) -> str:
    """A sortable, unique id such as ``wr_20261127T104501Z_1a2b3c``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{prefix}_{stamp}_{uuid.uuid4().hex[:6]}"


# ---------------------------------------------------------------- jobs


@dataclass
class JobRun:
    """What a job script works with; created by :func:`start_job`."""

    name: str
    job_run_id: str
    run_id: str
    batch_date: dt.date
    args: dict[str, str | None]
    engine: Engine
    run_properties: RunProperties | None
    started_at: dt.datetime
    workflow_name: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    dq: list[dict[str, Any]] = field(default_factory=list)
    _glue_job: Any = None

    @property
    def spark(self) -> Any:
        return self.engine.spark

    @property
    def mode(self) -> str:
        return self.engine.mode

    @property
    def lake_root(self) -> str:
        return self.engine.lake_root

    def path(self, *parts: str) -> str:
        """A location inside the lake (works for local paths and ``s3://``)."""
        return "/".join([self.lake_root.rstrip("/"), *parts])

    def landing_path(self, *parts: str) -> str:
        """A location in the landing zone: ``--landing_root`` (AWS: its own bucket), else
        ``<lake root>/landing``."""
        root = self.args.get("landing_root") or self.path("landing")
        return "/".join([str(root).rstrip("/"), *parts])

    def add_metrics(self, **values: Any) -> None:
        """Record run metrics (e.g. ``rows_read``, ``rows_written``); numbers add up."""
        for key, value in values.items():
            if isinstance(value, int | float) and isinstance(self.metrics.get(key), int | float):
                self.metrics[key] += value
            else:
                self.metrics[key] = value

    @property
    def run_dir(self) -> str:
        """This workflow run's folder in the lake: job records, lineage, metrics."""
        return self.path("_runs", self.run_id)

    def track_input(self, table: str, df: Any, location: str | None = None) -> None:
        """Record that the job read ``table`` (for lineage and the run view)."""
        from lakehouse.observe import describe_input

        if not any(i["table"] == table for i in self.inputs):
            self.inputs.append(describe_input(table, df, location))

    def track_output(self, output: dict[str, Any]) -> None:
        """Record a dataset the job wrote (see :func:`lakehouse.observe.describe_output`).

        Writing the same table and kind again (a stream's micro-batches) adds up rows, bytes and
        files.
        """
        for known in self.outputs:
            if (known["table"], known["kind"]) == (output["table"], output["kind"]):
                for key in ("rows", "bytes", "files"):
                    known[key] = (known.get(key) or 0) + (output.get(key) or 0)
                newest = [v for v in (known["newest_record_at"], output["newest_record_at"]) if v]
                known["newest_record_at"] = max(newest) if newest else None
                return
        self.outputs.append(dict(output))

    def record(
        self, state: str, error: str | None = None, traceback_text: str | None = None
    ) -> dict[str, Any]:
        """Write the job-run record (the local counterpart of Glue's job-run history).

        Written once with ``RUNNING`` when the job starts and again when it ends, so a record
        still ``RUNNING`` after the runner died marks a killed job run.
        """
        running = state == "RUNNING"
        ended = None if running else dt.datetime.now(dt.UTC)
        record = {
            "job_name": self.name,
            "job_run_id": self.job_run_id,
            "run_id": self.run_id,
            "workflow_name": self.workflow_name,
            "batch_date": self.batch_date.isoformat(),
            "mode": self.mode,
            "state": state,
            "started_at": self.started_at.isoformat(),
            "ended_at": None if ended is None else ended.isoformat(),
            "duration_s": None
            if ended is None
            else round((ended - self.started_at).total_seconds(), 3),
            "metrics": dict(self.metrics),
            "inputs": [dict(i) for i in self.inputs],
            "outputs": [dict(o) for o in self.outputs],
            "dq": [dict(d) for d in self.dq],
            "error": error,
            "traceback": traceback_text,
        }
        JOB_RUN_RECORDS[self.job_run_id] = record
        write_job_record(self.lake_root, record)
        return record


def job_record_path(lake_root: str, run_id: str, job_run_id: str) -> Path:
    return Path(lake_root) / "_runs" / run_id / "jobs" / f"{job_run_id}.json"


def write_job_record(lake_root: str, record: dict[str, Any]) -> None:
    """Save a job-run record under the local lake (atomic replace); S3 lakes keep none."""
    if "://" in lake_root:
        return
    path = job_record_path(lake_root, record["run_id"], record["job_run_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str))
    tmp.replace(path)


# Job-run records of this process, by job run id (read by the local workflow executor).
JOB_RUN_RECORDS: dict[str, dict[str, Any]] = {}

_STANDARD_OPTIONAL = {
    "lake_root": None,
    "landing_root": None,  # where sources land raw; default <lake_root>/landing
    "batch_date": None,
    "WORKFLOW_NAME": None,
    "WORKFLOW_RUN_ID": None,
    # Where lineage events and metrics go (see lakehouse.telemetry); defaults depend on the mode.
    "lineage_transport": None,
    "lineage_url": None,
    "metrics_sink": None,
}


@contextmanager
def start_job(
    argv: Sequence[str] | None = None,
    required: Sequence[str] = (),
    optional: Mapping[str, str | None] | None = None,
) -> Iterator[JobRun]:
    """Start a job run: parse arguments, get Spark, init the job, resolve run id and batch date.

    Use as ``with start_job(argv, ["table"]) as job: ...``. On success the job is committed
    (Glue ``Job.commit()``, which saves bookmarks) and recorded SUCCEEDED; on an exception it is
    recorded FAILED and the exception propagates, so the run ends FAILED as in Glue.
    """
    argv = list(sys.argv if argv is None else argv)
    args = resolve_args(argv, required, {**_STANDARD_OPTIONAL, **(optional or {})})
    eng = engine(args.get("lake_root"))
    lake_root = args.get("lake_root") if eng.mode == "glue" else eng.lake_root
    if eng.mode == "glue" and not lake_root:
        raise JobArgumentError("--lake_root (s3://bucket/prefix) is required in AWS Glue")
    if lake_root != eng.lake_root:
        eng = Engine(eng.spark, eng.mode, eng.glue_context, str(lake_root))
    job_run_id = args.get("JOB_RUN_ID") or new_run_id("jr")
    run_id, batch_date, store = _resolve_run(args, eng, job_run_id)

    glue_job = None
    if eng.mode == "glue":
        from awsglue.job import Job

        glue_job = Job(eng.glue_context)
        glue_job.init(args["JOB_NAME"], {k: v for k, v in args.items() if v is not None})
    run = JobRun(
        name=str(args["JOB_NAME"]),
        job_run_id=job_run_id,
        run_id=run_id,
        batch_date=batch_date,
        args=args,
        engine=eng,
        run_properties=store,
        started_at=dt.datetime.now(dt.UTC),
        workflow_name=args.get("WORKFLOW_NAME"),
        _glue_job=glue_job,
    )
    # The job group lets a watchdog cancel exactly this job run's Spark jobs (local Timeout).
    eng.spark.sparkContext.setJobGroup(run.job_run_id, f"{run.name} {run.job_run_id}", True)
    from lakehouse import telemetry

    started = time.monotonic()
    telemetry.job_started(run, run.record("RUNNING"))
    try:
        yield run
        if glue_job is not None:
            glue_job.commit()
    except BaseException as exc:
        run.add_metrics(duration_s=round(time.monotonic() - started, 3))
        from lakehouse.errors import describe

        record = run.record("FAILED", error=describe(exc), traceback_text=traceback.format_exc())
        telemetry.job_ended(run, record)
        raise
    run.add_metrics(duration_s=round(time.monotonic() - started, 3))
    telemetry.job_ended(run, run.record("SUCCEEDED"))


def _resolve_run(
    args: Mapping[str, str | None], eng: Engine, job_run_id: str
) -> tuple[str, dt.date, RunProperties | None]:
    """Run id and batch date: from the workflow run's properties, else this job run's own."""
    explicit_date = _parse_date(args.get("batch_date"))
    workflow, workflow_run = args.get("WORKFLOW_NAME"), args.get("WORKFLOW_RUN_ID")
    if not (workflow and workflow_run):
        return job_run_id, explicit_date or dt.datetime.now(dt.UTC).date(), None
    store = run_properties_store(eng.mode, eng.lake_root, workflow, workflow_run)
    props = store.get()
    if "batch_date" not in props:
        # The first job of a Glue workflow run fixes the batch date for every later job.
        props = {"run_id": workflow_run, "batch_date": _iso(explicit_date or _today())}
        store.put(props)
    return props.get("run_id", workflow_run), _parse_date(props["batch_date"]), store


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise JobArgumentError(f"batch date {value!r} is not an ISO date (YYYY-MM-DD)") from None
