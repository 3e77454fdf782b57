"""Derive Spark schemas and typed columns from a contract."""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.contracts.model import Contract, Field


def raw_struct(contract: Contract, prefix: str = "") -> T.StructType:
    """The raw record as all-string fields, nested along the dotted ``sourceField`` paths.

    ``prefix`` selects the fields under one parent (e.g. ``"value."`` for the Kafka value)
    and strips it. Reading everything as strings keeps the original text for later checks.
    """
    tree: dict[str, Any] = {}
    for f in contract.fields:
        if not f.source_field.startswith(prefix):
            continue
        node = tree
        *parents, leaf = f.source_field[len(prefix) :].split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = None
    return _to_struct(tree)


def _to_struct(tree: dict[str, Any]) -> T.StructType:
    return T.StructType(
        [
            T.StructField(name, T.StringType() if sub is None else _to_struct(sub), True)
            for name, sub in tree.items()
        ]
    )


def raw_columns(contract: Contract, root: str | None = None) -> list[Column]:
    """Select each field's raw text by its ``sourceField`` path, named as the contract says."""
    base = f"{root}." if root else ""
    return [
        F.col(base + ".".join(f"`{p}`" for p in f.source_field.split(".")))
        .cast("string")
        .alias(f.name)
        for f in contract.fields
    ]


def typed_column(field: Field, raw: Column) -> Column:
    """Parse one raw string column into the field's physical type (unparseable text -> NULL)."""
    kind = field.physical_type
    if kind == "timestamp":
        return (
            F.to_timestamp(raw, field.source_format) if field.source_format else raw.cast(kind)
        ).alias(field.name)
    if kind == "date":
        return (
            F.to_date(raw, field.source_format) if field.source_format else raw.cast(kind)
        ).alias(field.name)
    if kind.startswith("decimal") and field.decimal_separator:
        raw = F.regexp_replace(raw, "[" + field.decimal_separator + "]", ".")
    if kind == "string":
        return raw.alias(field.name)
    return F.trim(raw).cast(kind).alias(field.name)


def to_typed(raw: DataFrame, contract: Contract, keep: list[str] | None = None) -> DataFrame:
    """Cast a frame of raw string columns (named per contract) to the contract's types.

    Columns listed in ``keep`` (e.g. lineage columns) are passed through unchanged.
    """
    keep = keep or []
    return raw.select(
        *[typed_column(f, F.col(f.name)) for f in contract.fields], *[F.col(c) for c in keep]
    )
