"""Write-audit-publish for Gold: stage new versions, check them, then switch the catalog.

* ``silver_to_gold`` calls :func:`stage` for each Gold table: the data goes to a new version
  folder ``<lake>/gold/<table>/v<time>_<run>``; the table the catalog serves does not change.
  The staged locations are recorded in the workflow run's properties (``staged_gold``), so
  ``dq_gold`` and ``publish_gold`` of the same run — or of a resumed run — find them.
* ``publish_gold`` calls :func:`publish`: each table's catalog location is switched in one
  metadata operation (``ALTER TABLE … SET LOCATION`` locally, Glue ``UpdateTable`` in AWS), the
  switch is logged, and old versions are pruned (the newest ``keep`` published ones stay).
* :func:`versions` and :func:`rollback` back ``lakehouse gold versions|rollback``.

Each table's publication log ``<lake>/gold/<table>/_publications.json`` lists every switch
(publish or rollback), newest last.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from pyspark.sql import DataFrame

from lakehouse import catalog, storage
from lakehouse.faults import crash_point
from lakehouse.observe import describe_output
from lakehouse.runtime import JobRun

STAGED_PROPERTY = "staged_gold"
LOG_NAME = "_publications.json"
KEEP_PUBLISHED = 3
# In dependency order; publish_gold switches them in this order.
GOLD_TABLES = ("gold.fct_orders", "gold.dim_customer", "gold.agg_daily_revenue",
               "gold.fct_order_fulfillment")  # fmt: skip


class NothingStaged(RuntimeError):
    """``publish_gold`` or ``dq_gold`` ran without Gold staged in this workflow run."""


@dataclass(frozen=True)
class Version:
    """One version folder of a Gold table."""

    name: str
    location: str
    status: str  # current | published | staged | unpublished
    run_tag: str  # the end of the run id that wrote it
    published_at: str | None  # the last time it became current


def table_root(lake_root: str, table: str) -> str:
    layer, name = table.split(".")
    return "/".join([lake_root.rstrip("/"), layer, name])


# ---------------------------------------------------------------- stage


def stage(job: JobRun, table: str, df: DataFrame) -> DataFrame:
    """Write ``df`` as a new, unpublished version of ``table``; return the staged data."""
    version = catalog.write_version(df, table_root(job.lake_root, table), job.run_id)
    _record_staged(job, {table: version.location})
    staged = job.spark.read.parquet(version.location)
    output = describe_output(table, staged, version.location, "staged")
    job.track_output(output)
    job.add_metrics(rows_written=output["rows"])
    return staged


def _record_staged(job: JobRun, locations: dict[str, str]) -> None:
    if job.run_properties is None:
        return  # a standalone run: nothing downstream will publish it
    current = json.loads(job.run_properties.get().get(STAGED_PROPERTY) or "{}")
    current.update(locations)
    job.run_properties.put({STAGED_PROPERTY: json.dumps(current, sort_keys=True)})


def staged_locations(job: JobRun) -> dict[str, str]:
    """Table -> staged location of this workflow run; raises :class:`NothingStaged`."""
    props = job.run_properties.get() if job.run_properties is not None else {}
    staged = json.loads(props.get(STAGED_PROPERTY) or "{}")
    if not staged:
        raise NothingStaged(
            f"no Gold version is staged in workflow run {job.run_id}: {job.name} runs in the "
            "daily_batch workflow after silver_to_gold (use `lakehouse gold rollback` to switch "
            "versions by hand)"
        )
    return staged


def replace_staged(job: JobRun, table: str, df: DataFrame) -> str:
    """Stage ``df`` instead of the current staged version of ``table`` (e.g. after DQ removed
    quarantined rows); returns the new location."""
    version = catalog.write_version(df, table_root(job.lake_root, table), job.run_id)
    _record_staged(job, {table: version.location})
    return version.location


# ---------------------------------------------------------------- publish


def publish(job: JobRun, tables: list[str], keep: int = KEEP_PUBLISHED) -> None:
    """Switch each table to its staged version, in order; log and prune."""
    staged = staged_locations(job)
    missing = [t for t in tables if t not in staged]
    if missing:
        raise NothingStaged(f"workflow run {job.run_id} staged no version of {', '.join(missing)}")
    for index, table in enumerate(tables):
        if index:
            crash_point("publish.between_tables")
        location = staged[table]
        catalog.switch_location(job.spark, table, location, job.mode)
        _append_log(job.spark, job.lake_root, table, location, job.run_id, "publish")
        prune(job.spark, job.lake_root, table, keep)
        output = describe_output(table, job.spark.read.parquet(location), location, "table")
        job.track_output(output)
        job.add_metrics(rows_written=output["rows"], tables_published=1)


def _log_path(lake_root: str, table: str) -> str:
    return f"{table_root(lake_root, table)}/{LOG_NAME}"


def publication_log(spark: Any, lake_root: str, table: str) -> list[dict[str, str]]:
    text = storage.read_text(spark, _log_path(lake_root, table))
    return json.loads(text) if text else []


def _append_log(
    spark: Any, lake_root: str, table: str, location: str, run_id: str, action: str
) -> None:
    entries = publication_log(spark, lake_root, table)
    entries.append(
        {
            "version": location.rstrip("/").rsplit("/", 1)[-1],
            "location": location,
            "action": action,
            "run_id": run_id,
            "at": dt.datetime.now(dt.UTC).isoformat(),
        }
    )
    storage.write_text(spark, _log_path(lake_root, table), json.dumps(entries, indent=1))


# ---------------------------------------------------------------- versions


def current_version(spark: Any, table: str) -> str | None:
    location = catalog.table_location(spark, table)
    return location.rstrip("/").rsplit("/", 1)[-1] if location else None


def versions(spark: Any, lake_root: str, table: str) -> list[Version]:
    """Every version folder of ``table``, newest first, with its status."""
    root = table_root(lake_root, table)
    current = current_version(spark, table)
    published_at: dict[str, str] = {}
    for entry in publication_log(spark, lake_root, table):
        published_at[entry["version"]] = entry["at"]
    result = []
    for name in reversed(catalog.list_versions(spark, root)):
        if name == current:
            status = "current"
        elif name in published_at:
            status = "published"
        elif current is None or name > current:
            status = "staged"
        else:
            status = "unpublished"
        tag = name.split("_", 1)[1] if "_" in name else ""
        result.append(Version(name, f"{root}/{name}", status, tag, published_at.get(name)))
    return result


def prune(spark: Any, lake_root: str, table: str, keep: int = KEEP_PUBLISHED) -> list[str]:
    """Keep the current version, the newest ``keep`` published ones and staged ones newer than
    the current; delete the rest. Returns the deleted names."""
    kept_published = 0
    doomed = []
    for version in versions(spark, lake_root, table):
        if version.status in ("current", "published") and kept_published < keep:
            kept_published += 1
        elif version.status != "staged":
            doomed.append(version.name)
    root = table_root(lake_root, table)
    for name in doomed:
        storage.delete(spark, f"{root}/{name}")
    return doomed


def rollback(
    spark: Any, lake_root: str, table: str, to: str | None = None, mode: str = "local"
) -> Version:
    """Switch ``table`` to version ``to`` (default: the newest published one older than the
    current)."""
    known = versions(spark, lake_root, table)
    if not known:
        raise LookupError(f"{table} has no versions under {table_root(lake_root, table)}")
    if to is None:
        current = current_version(spark, table) or ""
        earlier = [v for v in known if v.status == "published" and v.name < current]
        if not earlier:
            raise LookupError(f"{table} has no earlier published version to roll back to")
        target = max(earlier, key=lambda v: v.name)
    else:
        matches = [v for v in known if v.name == to]
        if not matches:
            names = ", ".join(v.name for v in known)
            raise LookupError(f"{table} has no version {to!r}; versions: {names}")
        target = matches[0]
    catalog.switch_location(spark, table, target.location, mode)
    _append_log(spark, lake_root, table, target.location, "manual", "rollback")
    return Version(**{**asdict(target), "status": "current"})
