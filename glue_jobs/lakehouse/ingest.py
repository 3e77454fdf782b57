"""Ingest one batch of a source from the landing zone into Bronze, under its contract.

For each source: list the batch's landed files (for the vendor drop: only files the ledger has
not ingested yet), read them into landed records (judging each file), check every record
against the contract, write the valid ones to ``bronze.<source>`` and the others to
``quarantine.<source>`` with their reasons, and prove ``landed = accepted + quarantined``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse import catalog, quarantine, storage
from lakehouse.contracts import Contract, load_contract
from lakehouse.contracts.checks import check_rows, mark_duplicate_keys
from lakehouse.faults import crash_point
from lakehouse.layers.bronze import PARTITION_COLUMN, to_bronze
from lakehouse.ledger import FileLedger
from lakehouse.observe import describe_output
from lakehouse.runtime import JobRun
from lakehouse.sources import fx_rates, hubspot_contacts, snowflake_orders, vendor_products
from lakehouse.sources.landed import FileReport, Landed, LandedFile, list_landed

log = logging.getLogger("lakehouse.ingest")

SOURCES: dict[str, ModuleType] = {
    "hubspot_contacts": hubspot_contacts,
    "snowflake_orders": snowflake_orders,
    "vendor_products": vendor_products,
    "fx_rates": fx_rates,
}
# Sources whose files are ingested once each (a ledger remembers them); Bronze and quarantine
# are then partitioned by file too, so a re-sent file replaces exactly its own rows.
LEDGER_SOURCES = {"vendor_products"}
FILE_COLUMN = "_landed_file"
LAYERS = ("bronze", "silver", "gold", quarantine.DATABASE)


class ContractViolation(RuntimeError):
    """A batch broke its contract in a way the contract's policy says must stop the job."""


class AccountingError(RuntimeError):
    """landed != accepted + quarantined: a record would have been lost."""


@dataclass
class Accounting:
    """What happened to every landed unit of one source in one run."""

    source: str
    run_id: str
    job_run_id: str
    batch_date: str
    landed: int = 0
    accepted: int = 0
    quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    rejected_batches: list[dict] = field(default_factory=list)
    drift: list[dict] = field(default_factory=list)
    files: int = 0
    skipped_files: list[str] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)
    status: str = "succeeded"

    def add(self, other: Accounting) -> None:
        """Add a micro-batch's accounting to this one (streaming)."""
        self.landed += other.landed
        self.accepted += other.accepted
        self.quarantined += other.quarantined
        for reason, n in other.quarantined_by_reason.items():
            self.quarantined_by_reason[reason] = self.quarantined_by_reason.get(reason, 0) + n
        self.rejected_batches += other.rejected_batches
        self.drift += other.drift
        self.files += other.files

    def balanced(self) -> bool:
        return self.landed == self.accepted + self.quarantined

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def landing_folder(job: JobRun, source: str) -> str:
    return job.landing_path(source, f"{PARTITION_COLUMN}={job.batch_date.isoformat()}")


def batch_end(batch_date: dt.date) -> dt.datetime:
    """The instant after which a record of this batch is in the future."""
    return dt.datetime.combine(batch_date + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def save_accounting(job: JobRun, accounting: Accounting) -> None:
    """Keep the accounting with the run: ``_runs/<run_id>/accounting/<source>.json``."""
    document = json.dumps(accounting.as_dict(), indent=1, sort_keys=True) + "\n"
    location = job.path("_runs", job.run_id, "accounting", f"{accounting.source}.json")
    storage.write_text(job.spark, location, document)


def record_accounting(job: JobRun, accounting: Accounting) -> None:
    """Save the accounting and add its counts to the job run's metrics."""
    save_accounting(job, accounting)
    job.add_metrics(
        rows_read=accounting.landed,
        rows_written=accounting.accepted,
        rows_quarantined=accounting.quarantined,
        batches_rejected=len(accounting.rejected_batches),
    )
    job.metrics["accounting"] = {
        k: accounting.as_dict()[k]
        for k in ("landed", "accepted", "quarantined", "quarantined_by_reason")
    }


def enforce_and_write(
    job: JobRun,
    contract: Contract,
    records: DataFrame,
    landed_units: int,
    accounting: Accounting,
    partition_by: list[str],
    owned: list[dict[str, Any]],
    end: dt.datetime,
    keep: list[str] | None = None,
    ingest_date: dt.date | None = None,
    stop_before_bronze: str | None = None,
) -> None:
    """Check ``records``, write Bronze and quarantine partitions, and balance the accounts.

    ``stop_before_bronze``: a message to raise (as :class:`ContractViolation`) after quarantine
    is written and before Bronze is: the batch broke its contract and its policy is to fail.
    """
    keep = keep or []
    day = ingest_date or job.batch_date
    cached = (
        check_rows(records, contract, end)
        .withColumn(PARTITION_COLUMN, F.lit(day).cast("date"))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        checked = mark_duplicate_keys(cached, contract)
        reason = quarantine.reason_of(F.col("_violations")).alias("reason")
        counts = checked.groupBy(*partition_by, reason).count().collect()
        accepted_in, quarantined_in = [], []
        for row in counts:
            partition = {c: row[c] for c in partition_by}
            if row["reason"] is None:
                accounting.accepted += row["count"]
                accepted_in.append(partition)
            else:
                accounting.quarantined += row["count"]
                by_reason = accounting.quarantined_by_reason
                by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + row["count"]
                quarantined_in.append(partition)
        accounting.landed += landed_units
        if not accounting.balanced():
            raise AccountingError(
                f"{contract.dataset}: landed {accounting.landed} != accepted {accounting.accepted}"
                f" + quarantined {accounting.quarantined}; nothing was written"
            )
        bad = checked.where(F.size("_violations") > 0)
        rows = quarantine.quarantine_rows(bad, "bronze", job.run_id, job.started_at, partition_by)
        location = job.path(quarantine.DATABASE, contract.dataset)
        table = quarantine.table_name(contract.dataset)
        catalog.replace_partitions(rows, table, location, partition_by, owned, quarantined_in)
        track_partitions(job, table, location, partition_by, quarantined_in, "quarantine")
        if stop_before_bronze:
            raise ContractViolation(stop_before_bronze)
        good = checked.where(F.size("_violations") == 0)
        bronze = to_bronze(good, contract, job.run_id, job.started_at, day, keep)
        location = job.path("bronze", contract.dataset)
        catalog.replace_partitions(
            bronze, contract.table, location, partition_by, owned, accepted_in
        )
        crash_point("ingest.after_bronze_write")
        track_partitions(job, contract.table, location, partition_by, accepted_in, "table")
    finally:
        cached.unpersist()


def landing_input(contract: Contract, folder: str) -> dict[str, Any]:
    """The landed files as an input dataset: the contract's source fields as its schema."""
    return {
        "table": f"landing.{contract.dataset}",
        "layer": "landing",
        "location": folder,
        "schema": [
            {"name": f.source_field, "type": f.physical_type.lower()} for f in contract.fields
        ],
        "rows": None,
    }


def track_partitions(
    job: JobRun,
    table: str,
    location: str,
    partition_by: list[str],
    partitions: list[dict[str, Any]],
    kind: str,
) -> None:
    """Record the partitions just written as an output of the job (nothing if none).

    They are read from their folders, not through the metastore (Derby cannot filter on the
    date partition column).
    """
    if not partitions:
        return
    folders = [
        "/".join([location.rstrip("/"), *[f"{c}={spec[c]}" for c in partition_by]])
        for spec in partitions
    ]
    stored = job.spark.read.option("basePath", location).parquet(*folders).drop(*partition_by)
    job.track_output(describe_output(table, stored, location, kind, measured_at=folders))


def _schema_break_message(contract: Contract, reports: list[FileReport]) -> str | None:
    broken = [r for r in reports if r.reason == "schema_break"]
    unreadable = [r for r in reports if r.reason in ("unreadable", "encoding", "empty")]
    problems = []
    if broken and contract.on_schema_break == "fail":
        problems += broken
    if unreadable and contract.on_unreadable_batch == "fail":
        problems += unreadable
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more file(s), below)" if len(problems) > 1 else ""
    others = "".join(f"\n  - {r.detail}" for r in problems[1:])
    return (
        f"{contract.dataset}: {problems[0].detail}{more}\n"
        f"the batch broke contract {contract.id} v{contract.version}: nothing of it was written "
        f"to {contract.table}; its rows are in {quarantine.table_name(contract.dataset)}{others}"
    )


def ingest_landed_batch(job: JobRun, source: str) -> Accounting:
    """Ingest the batch's landed files of ``source``; returns (and records) its accounting."""
    contract = load_contract(source)
    module = SOURCES[source]
    catalog.ensure_layer_databases(job.spark, job.lake_root, LAYERS)
    folder = landing_folder(job, source)
    files = list_landed(job.spark, folder, module.SUFFIX)
    accounting = Accounting(source, job.run_id, job.job_run_id, job.batch_date.isoformat())
    ledger = None
    if source in LEDGER_SOURCES:
        ledger = FileLedger(job.spark, job.path("_state", "ledgers", f"{source}.json"))
        pending = ledger.pending(files)
        accounting.skipped_files = [f.name for f in pending.skipped]
        accounting.changed_files = [f.name for f in pending.changed]
        if pending.skipped:
            log.info("%s: %d file(s) already ingested, skipped", source, len(pending.skipped))
        files = pending.files
    accounting.files = len(files)
    if not files:
        log.warning("%s: no new landed files in %s", source, folder)
        record_accounting(job, accounting)
        return accounting
    landed = module.read(job.spark, files, contract)
    job.inputs.append(landing_input(contract, folder))
    try:
        _write_landed(job, contract, landed, files, accounting, by_file=ledger is not None)
    except ContractViolation:
        accounting.status = "failed"
        record_accounting(job, accounting)
        raise
    finally:
        landed.release()
    if ledger is not None:
        ledger.commit(files, job.run_id)
    record_accounting(job, accounting)
    log.info(
        "%s: landed %d = accepted %d + quarantined %d (%d file(s), %d rejected)",
        source, accounting.landed, accounting.accepted, accounting.quarantined,
        len(files), len(accounting.rejected_batches),
    )  # fmt: skip
    return accounting


def _write_landed(
    job: JobRun,
    contract: Contract,
    landed: Landed,
    files: list[LandedFile],
    accounting: Accounting,
    by_file: bool,
) -> None:
    accounting.rejected_batches = [r.as_dict() for r in landed.files if r.reason]
    accounting.drift = [r.as_dict() for r in landed.files if r.drift and r.drift.changed]
    day = job.batch_date.isoformat()
    if by_file:
        records = landed.records.withColumn(
            FILE_COLUMN, F.regexp_extract("_source", r"([^/]+)$", 1)
        )
        partition_by = [PARTITION_COLUMN, FILE_COLUMN]
        owned = [{PARTITION_COLUMN: day, FILE_COLUMN: f.basename} for f in files]
    else:
        records, partition_by, owned = landed.records, [PARTITION_COLUMN], [{PARTITION_COLUMN: day}]
    enforce_and_write(
        job,
        contract,
        records,
        landed.count,
        accounting,
        partition_by,
        owned,
        batch_end(job.batch_date),
        keep=[FILE_COLUMN] if by_file else None,
        stop_before_bronze=_schema_break_message(contract, landed.files),
    )
