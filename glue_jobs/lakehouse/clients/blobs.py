"""Small files (landed pages, state) on local paths or ``s3://bucket/key``, without Spark.

Local writes are atomic (a temporary file in the same folder, then ``os.replace``), so a reader
never sees half a file; S3 ``PutObject`` is atomic by itself.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

_MISSING = ("404", "NoSuchKey", "NotFound")


def is_s3(location: str) -> bool:
    return location.startswith("s3://")


def split_s3(location: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")``."""
    bucket, _, key = location.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"not an s3://bucket/key location: {location!r}")
    return bucket, key


@cache
def _default_s3() -> Any:
    return boto3.client("s3")


def _s3(client: Any) -> Any:
    return client or _default_s3()


def write_bytes(location: str, data: bytes, client: Any = None) -> None:
    """Write ``data`` to ``location``, replacing any file there."""
    if is_s3(location):
        bucket, key = split_s3(location)
        _s3(client).put_object(Bucket=bucket, Key=key, Body=data)
        return
    path = Path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A leading dot keeps the temporary file out of list_files and of Hadoop's listings.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_bytes(location: str, client: Any = None) -> bytes:
    """The bytes at ``location``; :class:`FileNotFoundError` if there is nothing."""
    if not is_s3(location):
        return Path(location).read_bytes()
    bucket, key = split_s3(location)
    try:
        return _s3(client).get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _MISSING:
            raise FileNotFoundError(location) from None
        raise


def exists(location: str, client: Any = None) -> bool:
    """Whether a file is at ``location``."""
    if not is_s3(location):
        return Path(location).is_file()
    bucket, key = split_s3(location)
    try:
        _s3(client).head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _MISSING:
            return False
        raise
    return True


def list_files(folder: str, client: Any = None) -> list[str]:
    """Every file under ``folder`` (recursively), as full locations, sorted; none if missing.

    Hidden files (a leading dot, e.g. an unfinished local write) are left out.
    """
    if is_s3(folder):
        bucket, prefix = split_s3(folder.rstrip("/") + "/")
        pages = _s3(client).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
        return sorted(
            f"s3://{bucket}/{key}" for key in keys if not key.rsplit("/", 1)[-1].startswith(".")
        )
    root = Path(folder)
    if not root.is_dir():
        return []
    return sorted(
        str(Path(dirpath) / name)
        for dirpath, _, names in os.walk(root)
        for name in names
        if not name.startswith(".")
    )


def delete(location: str, client: Any = None) -> None:
    """Delete the file at ``location`` (no error if it is already gone)."""
    if is_s3(location):
        bucket, key = split_s3(location)
        _s3(client).delete_object(Bucket=bucket, Key=key)
    else:
        Path(location).unlink(missing_ok=True)
