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


def list_file_status(spark: Any, location: str) -> list[tuple[str, int, int]]:
    """``(path, size in bytes, modified epoch ms)`` of the files directly under ``location``."""
    fs, path = _fs_and_path(spark, location)
    if not fs.exists(path):
        return []
    return sorted(
        (str(s.getPath()), int(s.getLen()), int(s.getModificationTime()))
        for s in fs.listStatus(path)
        if s.isFile()
    )


def read_text(spark: Any, location: str) -> str | None:
    """The UTF-8 text of a file, or None when it does not exist."""
    fs, path = _fs_and_path(spark, location)
    if not fs.exists(path):
        return None
    jvm = spark.sparkContext._jvm
    stream = fs.open(path)
    try:
        return str(jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
    finally:
        stream.close()


def write_text(spark: Any, location: str, text: str) -> None:
    """Write a small UTF-8 file, replacing it whole (temp file + rename on file systems)."""
    fs, path = _fs_and_path(spark, location)
    jvm = spark.sparkContext._jvm
    temp = jvm.org.apache.hadoop.fs.Path(path.getParent(), f".{path.getName()}.tmp")
    stream = fs.create(temp, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
    if fs.exists(path):
        fs.delete(path, False)
    fs.rename(temp, path)


def size_of(spark: Any, location: str) -> tuple[int, int]:
    """``(bytes, files)`` stored under ``location`` recursively; ``(0, 0)`` if it is missing."""
    fs, path = _fs_and_path(spark, location)
    if not fs.exists(path):
        return 0, 0
    summary = fs.getContentSummary(path)
    return int(summary.getLength()), int(summary.getFileCount())
