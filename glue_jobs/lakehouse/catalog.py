"""Tables in the catalog: databases, Bronze partition writes and versioned Silver/Gold tables.

Two ways to write, both idempotent for a rerun of the same batch:

* :func:`overwrite_partitions` (Bronze): dynamic partition overwrite, so rewriting a batch replaces
  exactly that batch's partitions.
* :func:`write_version` + :func:`point_table_to` (Silver, Gold): the data goes to a new versioned
  folder, then the catalog's table location is switched to it in one metadata operation. Readers
  see the old version or the new one, never a half-written table.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from typing import Any

from lakehouse import storage

VERSION_PREFIX = "v"
_VERSION_RE = re.compile(r"^v\d{8}T\d{9}Z(_[0-9a-zA-Z]+)?$")


@dataclass(frozen=True)
class TableVersion:
    name: str
    location: str


def quote(name: str) -> str:
    """Backtick-quote a dotted identifier: ``silver.orders`` -> ```silver`.`orders```."""
    return ".".join(f"`{part}`" for part in name.split("."))


_DDL_LOCK = threading.Lock()


def ensure_database(spark: Any, database: str, location: str) -> None:
    """Create the database if missing (serialized: parallel jobs of one run share the catalog)."""
    with _DDL_LOCK:
        if not spark.catalog.databaseExists(database):
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {quote(database)} LOCATION '{location}'")


def table_exists(spark: Any, table: str) -> bool:
    return bool(spark.catalog.tableExists(table))


def table_location(spark: Any, table: str) -> str | None:
    """The storage location the catalog points the table at, or None if it does not exist."""
    if not table_exists(spark, table):
        return None
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {quote(table)}").collect()
    for row in rows:
        if row["col_name"] == "Location":
            return str(row["data_type"])
    return None


def overwrite_partitions(df: Any, table: str, location: str, partition_by: list[str]) -> None:
    """Write ``df`` into a partitioned Parquet table, replacing only the partitions it contains.

    The table is created on first use. Columns are matched by name; a frame whose columns differ
    from the table's is refused with the difference spelled out.
    """
    spark = df.sparkSession
    if not table_exists(spark, table):
        (
            df.limit(0)
            .write.format("parquet")
            .partitionBy(*partition_by)
            .option("path", location)
            .saveAsTable(table)
        )
    table_columns = spark.table(table).columns
    if sorted(table_columns) != sorted(df.columns):
        missing = sorted(set(table_columns) - set(df.columns))
        extra = sorted(set(df.columns) - set(table_columns))
        raise ValueError(
            f"cannot write to {table}: columns differ from the table "
            f"(missing {missing or 'none'}, unexpected {extra or 'none'})"
        )
    df.select(*table_columns).write.insertInto(table, overwrite=True)


def replace_partitions(
    df: Any,
    table: str,
    location: str,
    partition_by: list[str],
    owned: list[dict[str, Any]],
    written: list[dict[str, Any]],
) -> None:
    """Make the ``owned`` partitions hold exactly ``df``'s rows.

    ``written`` names the partitions ``df`` has rows for (the caller knows them from its
    counts). They are overwritten; the other owned partitions are dropped with their files, so
    a rerun that quarantines nothing leaves no stale quarantine rows behind.
    """
    spark = df.sparkSession
    if written:
        overwrite_partitions(df, table, location, partition_by)
    elif not table_exists(spark, table):
        overwrite_partitions(df.limit(0), table, location, partition_by)
    keep = {tuple(str(p[c]) for c in partition_by) for p in written}
    for spec in owned:
        values = [str(spec[c]) for c in partition_by]
        if tuple(values) in keep:
            continue
        pairs = list(zip(partition_by, values, strict=True))
        clause = ", ".join(f"{quote(c)} = '{v}'" for c, v in pairs)
        spark.sql(f"ALTER TABLE {quote(table)} DROP IF EXISTS PARTITION ({clause})")
        storage.delete(spark, "/".join([location.rstrip("/"), *[f"{c}={v}" for c, v in pairs]]))


def new_version_name(tag: str = "") -> str:
    """A sortable version folder name: ``v20261127T104501123Z_<tag>``."""
    now = dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    suffix = re.sub(r"[^0-9a-zA-Z]", "", tag.rsplit("_", 1)[-1])[-12:]
    return f"{VERSION_PREFIX}{stamp}" + (f"_{suffix}" if suffix else "")


def write_version(df: Any, table_root: str, tag: str = "") -> TableVersion:
    """Write ``df`` as a new immutable version folder under ``table_root``."""
    name = new_version_name(tag)
    location = f"{table_root.rstrip('/')}/{name}"
    df.write.mode("errorifexists").parquet(location)
    return TableVersion(name=name, location=location)


def point_table_to(spark: Any, table: str, location: str) -> None:
    """Make ``table`` read from ``location``: create it, or switch its location atomically.

    A schema change cannot be expressed by a location switch; then the table definition is
    replaced (drop + create of the external table: the data folders are untouched).
    """
    new_schema = spark.read.parquet(location).schema
    if table_exists(spark, table):
        if spark.table(table).schema == new_schema:
            spark.sql(f"ALTER TABLE {quote(table)} SET LOCATION '{location}'")
            spark.sql(f"REFRESH TABLE {quote(table)}")
            return
        spark.sql(f"DROP TABLE {quote(table)}")
    spark.sql(f"CREATE TABLE {quote(table)} USING parquet LOCATION '{location}'")


def switch_location(spark: Any, table: str, location: str, mode: str = "local") -> None:
    """Point ``table`` at ``location`` in one catalog operation (created if missing).

    In AWS Glue the existing table's location is changed with Glue's ``UpdateTable`` (what Lake
    Formation governs); locally with ``ALTER TABLE … SET LOCATION``. A schema change is handled
    by :func:`point_table_to` in both.
    """
    if (
        mode == "glue"
        and table_exists(spark, table)
        and (spark.table(table).schema == spark.read.parquet(location).schema)
    ):
        database, name = table.split(".")
        GlueTables().set_location(database, name, location)
        spark.sql(f"REFRESH TABLE {quote(table)}")
        return
    point_table_to(spark, table, location)


class GlueTables:
    """The Glue Data Catalog API for table locations (``GetTable`` + ``UpdateTable``)."""

    # GetTable returns read-only fields that UpdateTable's TableInput rejects.
    _TABLE_INPUT_KEYS = (
        "Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention",
        "StorageDescriptor", "PartitionKeys", "ViewOriginalText", "ViewExpandedText",
        "TableType", "Parameters", "TargetTable", "ViewDefinition",
    )  # fmt: skip

    def __init__(self, client: Any = None):
        import boto3

        self.client = client or boto3.client("glue")

    def location(self, database: str, table: str) -> str:
        found = self.client.get_table(DatabaseName=database, Name=table)["Table"]
        return str(found["StorageDescriptor"]["Location"])

    def set_location(self, database: str, table: str, location: str) -> None:
        found = self.client.get_table(DatabaseName=database, Name=table)["Table"]
        table_input = {k: found[k] for k in self._TABLE_INPUT_KEYS if k in found}
        table_input["StorageDescriptor"] = {**found["StorageDescriptor"], "Location": location}
        self.client.update_table(DatabaseName=database, TableInput=table_input)


def is_version_name(name: str) -> bool:
    return bool(_VERSION_RE.match(name))


def list_versions(spark: Any, table_root: str) -> list[str]:
    """Version folder names under ``table_root``, oldest first."""
    return [n for n in storage.list_dirs(spark, table_root) if is_version_name(n)]


def prune_versions(spark: Any, table_root: str, keep: int, current: str) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the current one); return the removed."""
    versions = list_versions(spark, table_root)
    doomed = [v for v in versions[: max(0, len(versions) - keep)] if v != current]
    for name in doomed:
        storage.delete(spark, f"{table_root.rstrip('/')}/{name}")
    return doomed


def replace_table(
    df: Any, table: str, table_root: str, tag: str = "", keep: int = 3
) -> TableVersion:
    """Write ``df`` as a new version of ``table`` and switch the table to it; prune old versions."""
    version = write_version(df, table_root, tag)
    point_table_to(df.sparkSession, table, version.location)
    prune_versions(df.sparkSession, table_root, keep, current=version.name)
    return version


def ensure_layer_databases(spark: Any, lake_root: str, layers: tuple[str, ...]) -> None:
    """Create the layer databases (``bronze``, ``silver`` …) at ``<lake>/<layer>``."""
    for layer in layers:
        ensure_database(spark, layer, f"{lake_root.rstrip('/')}/{layer}")


def count_rows(spark: Any, location: str) -> int:
    """Rows stored at a Parquet location (answered from file footers, no data scan)."""
    return int(spark.read.parquet(location).count())
