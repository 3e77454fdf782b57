"""Load an ODCS v3 contract into a small typed model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from lakehouse import resources

SUPPORTED_PHYSICAL_TYPES = re.compile(
    r"^(string|bigint|int|double|boolean|date|timestamp|decimal\(\d+,\d+\))$"
)


class ContractError(ValueError):
    """A contract file is missing or malformed."""


@dataclass(frozen=True)
class Field:
    """One property of a contract's schema."""

    name: str
    logical_type: str
    physical_type: str
    required: bool
    primary_key: bool
    classification: str | None
    source_field: str
    source_format: str | None
    decimal_separator: str | None


@dataclass(frozen=True)
class Contract:
    """A source dataset's contract: identity, target table and fields in source order."""

    id: str
    name: str
    version: str
    dataset: str
    table: str
    fields: tuple[Field, ...]
    properties: dict[str, str]

    @property
    def primary_key(self) -> list[str]:
        return [f.name for f in self.fields if f.primary_key]

    @property
    def column_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def pii_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.classification == "pii"]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"contract {self.dataset} has no field {name!r}")


def _custom(entries: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(e["property"]): str(e["value"]) for e in entries or []}


def parse_contract(doc: dict[str, Any], origin: str) -> Contract:
    """Build a Contract from a parsed ODCS document; ``origin`` names it in errors."""
    if doc.get("kind") != "DataContract" or not str(doc.get("apiVersion", "")).startswith("v3."):
        raise ContractError(f"{origin}: not an ODCS v3 DataContract")
    schemas = doc.get("schema") or []
    if len(schemas) != 1:
        raise ContractError(f"{origin}: expected exactly one schema object, found {len(schemas)}")
    schema = schemas[0]
    fields = []
    for prop in schema.get("properties") or []:
        custom = _custom(prop.get("customProperties"))
        physical = str(prop.get("physicalType", ""))
        if not SUPPORTED_PHYSICAL_TYPES.match(physical):
            raise ContractError(
                f"{origin}: property {prop.get('name')!r} has unsupported physicalType {physical!r}"
            )
        fields.append(
            Field(
                name=prop["name"],
                logical_type=prop.get("logicalType", "string"),
                physical_type=physical,
                required=bool(prop.get("required", False)),
                primary_key=bool(prop.get("primaryKey", False)),
                classification=prop.get("classification"),
                source_field=custom.get("sourceField", prop["name"]),
                source_format=custom.get("sourceFormat"),
                decimal_separator=custom.get("decimalSeparator"),
            )
        )
    if not fields:
        raise ContractError(f"{origin}: schema {schema.get('name')!r} has no properties")
    return Contract(
        id=str(doc["id"]),
        name=str(doc.get("name", schema["name"])),
        version=str(doc["version"]),
        dataset=str(schema["name"]),
        table=str(schema.get("physicalName", f"bronze.{schema['name']}")),
        fields=tuple(fields),
        properties=_custom(doc.get("customProperties")),
    )


@cache
def load_contract(dataset: str) -> Contract:
    """Load ``contracts/<dataset>.yaml``."""
    path = resources.folder("contracts") / f"{dataset}.yaml"
    if not path.is_file():
        raise ContractError(f"no contract for source {dataset!r} (looked for {path})")
    return parse_contract(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
