"""Load the data a ruleset is evaluated on: a file, a folder or a catalog table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FORMATS = {
    ".parquet": "parquet",
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json.gz": "jsonl",
    ".jsonl.gz": "jsonl",
}


class DatasetError(ValueError):
    """The data to evaluate cannot be found or read."""


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def detect_format(path: Path) -> str:
    """parquet, csv, json (one document or array per file) or jsonl, from the file names."""
    if path.is_file():
        kind = _format_of(path)
        if kind is None:
            raise DatasetError(f"{path}: unknown file type (expected {', '.join(sorted(FORMATS))})")
        return kind
    kinds = {
        _format_of(p) for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))
    }
    kinds.discard(None)
    if len(kinds) != 1:
        found = ", ".join(sorted(k for k in kinds if k)) or "no data files"
        raise DatasetError(f"{path}: expected files of one format, found {found}")
    return kinds.pop()


def _is_json_document(path: Path) -> bool:
    """A .json file holding one multi-line document or an array, rather than JSON lines."""
    files = [path] if path.is_file() else sorted(path.rglob("*.json"))
    if not files:
        return False
    with files[0].open("rb") as handle:
        head = handle.read(4096).lstrip()
    if head.startswith(b"["):
        return True
    first_line = head.split(b"\n", 1)[0].strip()
    return not (first_line.startswith(b"{") and first_line.endswith(b"}"))


def load_dataset(spark: Any, source: str) -> Any:
    """A DataFrame for ``source``: a path (Parquet, CSV with a header, JSON, JSON lines) or a
    catalog table such as ``silver.orders``."""
    path = Path(source)
    if path.exists():
        kind = detect_format(path)
        if kind == "parquet":
            return spark.read.parquet(str(path))
        if kind == "csv":
            sep = "\t" if str(path).endswith(".tsv") else ","
            return spark.read.csv(str(path), header=True, inferSchema=True, sep=sep)
        multi_line = kind == "json" and _is_json_document(path)
        return spark.read.option("multiLine", multi_line).json(str(path))
    if "://" in source:
        raise DatasetError(f"{source}: remote paths are read through a catalog table")
    if spark.catalog.tableExists(source):
        return spark.table(source)
    raise DatasetError(f"{source}: no such file, folder or catalog table")
