"""Load an ODCS v3 contract into a small typed model.

Besides the ODCS schema, a contract carries what enforcement needs:

* per property, ``quality`` rules (ODCS library style; parameters in the rule's
  ``customProperties``): ``validValues`` (enum), ``pattern`` (a regular expression the raw text
  must match), ``range`` (``mustBeGreaterThan``,
  ``mustBeGreaterOrEqualTo``, ``mustBeLessThan``, ``mustBeLessOrEqualTo``) and ``notInFuture``
  (not after the end of the batch date);
* contract-level ``customProperties``: ``schemaDrift`` (strict | evolve | permissive),
  ``onSchemaBreak`` (fail | continue), ``onUnreadableBatch`` (continue | fail) and
  ``allowEmptyFiles`` (true | false).
"""

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


DRIFT_POLICIES = ("strict", "evolve", "permissive")
BATCH_POLICIES = ("fail", "continue")
RANGE_OPERATORS = {
    "mustBeGreaterThan": ">",
    "mustBeGreaterOrEqualTo": ">=",
    "mustBeLessThan": "<",
    "mustBeLessOrEqualTo": "<=",
}
RULE_KINDS = ("validValues", "pattern", "range", "notInFuture")


class ContractError(ValueError):
    """A contract file is missing or malformed."""


@dataclass(frozen=True)
class Rule:
    """A row-level quality rule of one property."""

    kind: str  # one of RULE_KINDS
    valid_values: tuple[str, ...] = ()
    pattern: str | None = None
    bounds: tuple[tuple[str, float], ...] = ()  # (operator, limit), e.g. (">", 0)
    name: str | None = None

    def describe(self) -> str:
        """What the rule demands, for quarantine details and error messages."""
        if self.kind == "validValues":
            shown = ", ".join(self.valid_values[:8])
            more = f" (+{len(self.valid_values) - 8} more)" if len(self.valid_values) > 8 else ""
            return f"must be one of {shown}{more}"
        if self.kind == "pattern":
            return f"must match {self.pattern}"
        if self.kind == "range":
            return "must be " + " and ".join(f"{op} {_number(v)}" for op, v in self.bounds)
        return "must not be after the end of the batch date"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


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
    rules: tuple[Rule, ...] = ()
    transport: bool = False  # transport metadata (e.g. Kafka offset), not the record's content


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
    drift_policy: str = "strict"
    on_schema_break: str = "fail"
    on_unreadable_batch: str = "continue"
    allow_empty_files: bool = False
    domain: str = ""  # the ODCS ``domain`` (crm, sales…): the table's LF-Tag in AWS

    @property
    def primary_key(self) -> list[str]:
        return [f.name for f in self.fields if f.primary_key]

    @property
    def column_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def pii_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.classification == "pii"]

    @property
    def source_format(self) -> str:
        return self.properties.get("sourceFormat", "")

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"contract {self.dataset} has no field {name!r}")


def _custom(entries: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(e["property"]): str(e["value"]) for e in entries or []}


def _rules(prop: dict[str, Any], origin: str) -> tuple[Rule, ...]:
    rules = []
    for entry in prop.get("quality") or []:
        kind = entry.get("rule")
        where = f"{origin}: property {prop.get('name')!r} quality rule {kind!r}"
        if entry.get("type", "library") != "library" or kind not in RULE_KINDS:
            raise ContractError(f"{where}: supported rules are {', '.join(RULE_KINDS)}")
        # Rule parameters live in the rule's customProperties (ODCS v3.0 has no field for them).
        params = {str(e["property"]): e["value"] for e in entry.get("customProperties") or []}
        rule = Rule(kind=kind, name=entry.get("name"))
        if kind == "validValues":
            values = params.get("validValues")
            if not values or not isinstance(values, list):
                raise ContractError(f"{where}: validValues needs a non-empty list")
            odd = [v for v in values if not isinstance(v, str | int) or isinstance(v, bool)]
            if odd:
                raise ContractError(
                    f"{where}: {odd[0]!r} is not a string; quote it (YAML reads NO as false)"
                )
            rule = Rule(kind, valid_values=tuple(str(v) for v in values), name=rule.name)
        elif kind == "pattern":
            pattern = params.get("pattern")
            try:
                re.compile(pattern)
            except (re.error, TypeError) as exc:
                raise ContractError(f"{where}: invalid pattern {pattern!r}: {exc}") from None
            rule = Rule(kind, pattern=pattern, name=rule.name)
        elif kind == "range":
            bounds = tuple(
                (op, float(entry[key])) for key, op in RANGE_OPERATORS.items() if key in entry
            )
            if not bounds:
                raise ContractError(f"{where}: needs one of {', '.join(RANGE_OPERATORS)}")
            rule = Rule(kind, bounds=bounds, name=rule.name)
        rules.append(rule)
    return tuple(rules)


def _choice(
    custom: dict[str, str], key: str, default: str, allowed: tuple[str, ...], origin: str
) -> str:
    value = custom.get(key, default)
    if value not in allowed:
        raise ContractError(f"{origin}: {key} must be one of {', '.join(allowed)}, got {value!r}")
    return value


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
                rules=_rules(prop, origin),
                transport=custom.get("transportMetadata", "false").lower() == "true",
            )
        )
    if not fields:
        raise ContractError(f"{origin}: schema {schema.get('name')!r} has no properties")
    contract_custom = _custom(doc.get("customProperties"))
    return Contract(
        id=str(doc["id"]),
        name=str(doc.get("name", schema["name"])),
        version=str(doc["version"]),
        dataset=str(schema["name"]),
        table=str(schema.get("physicalName", f"bronze.{schema['name']}")),
        fields=tuple(fields),
        properties=contract_custom,
        drift_policy=_choice(contract_custom, "schemaDrift", "strict", DRIFT_POLICIES, origin),
        on_schema_break=_choice(contract_custom, "onSchemaBreak", "fail", BATCH_POLICIES, origin),
        on_unreadable_batch=_choice(
            contract_custom, "onUnreadableBatch", "continue", BATCH_POLICIES, origin
        ),
        allow_empty_files=contract_custom.get("allowEmptyFiles", "false").lower() == "true",
        domain=str(doc.get("domain") or ""),
    )


@cache
def load_contract(dataset: str) -> Contract:
    """Load ``contracts/<dataset>.yaml``."""
    path = resources.folder("contracts") / f"{dataset}.yaml"
    if not path.is_file():
        raise ContractError(f"no contract for source {dataset!r} (looked for {path})")
    return parse_contract(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
