"""File operations on lake locations through Hadoop's FileSystem API.

The same calls work for local paths, ``file://`` and ``s3://`` (Glue's EMRFS/S3A), so job code
never needs to know which storage it writes to.
"""

from __future__ import annotations

from typing import Any


def _fs_and_path(spark: Any, location: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(location)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs, path


def exists(spark: Any, location: str) -> bool:
    fs, path = _fs_and_path(spark, location)
    return bool(fs.exists(path))


def list_dirs(spark: Any, location: str) -> list[str]:
    """Names of the sub-folders of ``location`` (empty if it does not exist), sorted."""
    fs, path = _fs_and_path(spark, location)
    if not fs.exists(path):
        return []
    return sorted(s.getPath().getName() for s in fs.listStatus(path) if s.isDirectory())


def list_files(spark: Any, location: str) -> list[str]:
    """Full paths of the files directly under ``location``, sorted."""
    fs, path = _fs_and_path(spark, location)
    if not fs.exists(path):
        return []
    return sorted(str(s.getPath()) for s in fs.listStatus(path) if s.isFile())


def delete(spark: Any, location: str) -> None:
    """Delete a folder or file recursively (no error if it is already gone)."""
    fs, path = _fs_and_path(spark, location)
    if fs.exists(path):
        fs.delete(path, True)
