"""Render ``cloudformation/catalog.yaml``: databases, tables, LF-Tag associations, DQ rulesets.

The table schemas are the ones the jobs really write: they are read from a lake's catalog after a
local run (``lakehouse.deploy.render`` makes one), so the template cannot drift from the code.
Tags: each database gets ``layer`` and ``classification=internal``; each table its ``domain``
(quarantine tables, which keep whole raw records, ``classification=pii``); PII columns
(:mod:`lakehouse.deploy.pii`) ``classification=pii``. A key set lower down overrides the
inherited value, which is what keeps PII columns out of the analysts' tag-policy grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakehouse.deploy import pii
from lakehouse.deploy.cfn_yaml import logical_id
from lakehouse.dq.parser import parse
from lakehouse.resources import folder

DATABASES = ("bronze", "silver", "gold", "quarantine", "audit")
PII_DATABASES = ("quarantine",)  # whole raw records, not just classified columns
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    },
}
# Rules Glue's Data Catalog evaluation cannot run (it has one table, no history, no labels):
# they stay in the gate jobs' rulesets and are listed as comments in the catalog ruleset.
CROSS_DATASET_RULES = frozenset(
    {"ReferentialIntegrity", "DatasetMatch", "AggregateMatch", "RowCountMatch", "SchemaMatch"}
)


@dataclass(frozen=True)
class TableSchema:
    database: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, Hive type)
    partition_keys: tuple[tuple[str, str], ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.database}.{self.name}"


# quarantine.dq_rows exists only once a rule with "action"="quarantine" moved rows, so a sample
# run may not create it; its schema is lakehouse.gate's (a test keeps them equal).
DQ_ROWS = TableSchema(
    "quarantine",
    "dq_rows",
    (
        ("reason", "string"),
        ("rules", "array<string>"),
        ("raw_record", "string"),
        ("_run_id", "string"),
        ("_quarantined_at", "timestamp"),
    ),
    (("layer", "string"), ("table_name", "string"), ("batch", "string")),
)


def schemas_from_catalog(spark: Any) -> list[TableSchema]:
    """Every table of our databases in the Spark catalog, plus the on-demand ``dq_rows``."""
    found = {}
    for database in DATABASES:
        if not spark.catalog.databaseExists(database):
            continue
        for table in spark.catalog.listTables(database):
            columns = spark.catalog.listColumns(f"{database}.{table.name}")
            found[f"{database}.{table.name}"] = TableSchema(
                database,
                table.name,
                tuple((c.name, c.dataType) for c in columns if not c.isPartition),
                tuple((c.name, c.dataType) for c in columns if c.isPartition),
            )
    found.setdefault(DQ_ROWS.full_name, DQ_ROWS)
    return [found[k] for k in sorted(found)]


def tables_of_template(template: dict[str, Any]) -> list[TableSchema]:
    """The tables a rendered catalog template declares, back as schemas."""
    tables = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Glue::Table":
            continue
        props = resource["Properties"]
        table_input = props["TableInput"]
        tables.append(
            TableSchema(
                props["DatabaseName"],
                table_input["Name"],
                tuple((c["Name"], c["Type"]) for c in table_input["StorageDescriptor"]["Columns"]),
                tuple((c["Name"], c["Type"]) for c in table_input["PartitionKeys"]),
            )
        )
    return sorted(tables, key=lambda t: t.full_name)


def _chain_tag_associations(resources: dict[str, Any]) -> None:
    """Make each tag association wait for the previous one: Lake Formation refuses concurrent
    changes (ConcurrentModificationException), which parallel creation would cause."""
    previous = None
    for logical, resource in resources.items():
        if resource["Type"] != "AWS::LakeFormation::TagAssociation":
            continue
        if previous:
            resource["DependsOn"] = [resource["DependsOn"], previous]
        previous = logical


def _tags(**values: str) -> list[dict[str, Any]]:
    return [
        {"CatalogId": {"Ref": "AWS::AccountId"}, "TagKey": key, "TagValues": [value]}
        for key, value in values.items()
    ]


def _location(table: TableSchema) -> dict[str, str]:
    root = f"s3://${{LakeBucket}}/{table.database}/{table.name}"
    # Unpartitioned tables are versioned: each run writes a new version folder and switches the
    # location to it. Until the first run, point at an empty folder, never at the root (whose
    # version folders a reader would otherwise read all at once).
    return {"Fn::Sub": root + ("/" if table.partition_keys else "/_unpublished/")}


def _table(table: TableSchema) -> dict[str, Any]:
    return {
        "Type": "AWS::Glue::Table",
        "DependsOn": logical_id(table.database, "Database"),
        "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseName": table.database,
            "TableInput": {
                "Name": table.name,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
                "PartitionKeys": [{"Name": n, "Type": t} for n, t in table.partition_keys],
                "StorageDescriptor": {
                    "Columns": [{"Name": n, "Type": t} for n, t in table.columns],
                    "Location": _location(table),
                    **PARQUET,
                },
            },
        },
    }


def _table_tags(table: TableSchema) -> dict[str, Any]:
    values = {"domain": pii.domain_of(table.full_name)}
    if table.database in PII_DATABASES:
        values["classification"] = "pii"
    return {
        "Type": "AWS::LakeFormation::TagAssociation",
        "DependsOn": logical_id(table.database, table.name, "Table"),
        "Properties": {
            "Resource": {
                "Table": {
                    "CatalogId": {"Ref": "AWS::AccountId"},
                    "DatabaseName": table.database,
                    "Name": table.name,
                }
            },
            "LFTags": _tags(**values),
        },
    }


def _column_tags(table: TableSchema, columns: list[str]) -> dict[str, Any]:
    return {
        "Type": "AWS::LakeFormation::TagAssociation",
        "DependsOn": logical_id(table.database, table.name, "Table"),
        "Properties": {
            "Resource": {
                "TableWithColumns": {
                    "CatalogId": {"Ref": "AWS::AccountId"},
                    "DatabaseName": table.database,
                    "Name": table.name,
                    "ColumnNames": columns,
                }
            },
            "LFTags": _tags(classification="pii"),
        },
    }


def catalog_ruleset(text: str, source: str) -> str:
    """The part of a gate ruleset Glue can evaluate on the catalog table alone."""
    ruleset = parse(text, source=source)
    kept, dropped = [], []
    for rule in ruleset.rules:
        leaves = list(rule.leaves())
        if any(r.rule_type in CROSS_DATASET_RULES or r.uses_history for r in leaves):
            dropped.append(rule.text)
        else:
            kept.append(rule.text)
    lines = [f"# Rendered from {source} by lakehouse.deploy.render: the rules Glue can run on"]
    lines.append("# the catalog table alone (no labels, history or other datasets).")
    lines += [f"# gate-only: {t}" for t in dropped]
    body = ",\n".join(f"  {t}" for t in kept)
    return "\n".join(lines) + f"\nRules = [\n{body}\n]\n"


def _rulesets(tables: set[str]) -> dict[str, Any]:
    resources = {}
    for layer_dir in sorted(folder("dq_rulesets").iterdir(), key=lambda p: p.name):
        if not layer_dir.is_dir():
            continue
        for file in sorted(layer_dir.iterdir(), key=lambda p: p.name):
            if not file.name.endswith(".dqdl"):
                continue
            table = f"{layer_dir.name}.{file.name.removesuffix('.dqdl')}"
            if table not in tables:
                raise ValueError(f"dq_rulesets/{layer_dir.name}/{file.name}: no table {table}")
            database, name = table.split(".")
            source = f"dq_rulesets/{layer_dir.name}/{file.name}"
            resources[logical_id(database, name, "Ruleset")] = {
                "Type": "AWS::Glue::DataQualityRuleset",
                "DependsOn": logical_id(database, name, "Table"),
                "Properties": {
                    "Name": f"lakehouse_{database}_{name}",
                    "Description": f"{source} (the {database} gate's ruleset, catalog part)",
                    "Ruleset": catalog_ruleset(file.read_text(encoding="utf-8"), source),
                    "TargetTable": {"DatabaseName": database, "TableName": name},
                },
            }
    return resources


def render_catalog(tables: list[TableSchema]) -> dict[str, Any]:
    """The catalog-and-tags template for ``tables`` as a dict."""
    resources: dict[str, Any] = {
        "CatalogEncryption": {
            "Type": "AWS::Glue::DataCatalogEncryptionSettings",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DataCatalogEncryptionSettings": {
                    "EncryptionAtRest": {
                        "CatalogEncryptionMode": "SSE-KMS",
                        "SseAwsKmsKeyId": {"Ref": "KeyArn"},
                    },
                    "ConnectionPasswordEncryption": {
                        "ReturnConnectionPasswordEncrypted": True,
                        "KmsKeyId": {"Ref": "KeyArn"},
                    },
                },
            },
        }
    }
    for database in DATABASES:
        db_id = logical_id(database, "Database")
        resources[db_id] = {
            "Type": "AWS::Glue::Database",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseInput": {
                    "Name": database,
                    "Description": f"lakehouse {database} layer",
                    "LocationUri": {"Fn::Sub": f"s3://${{LakeBucket}}/{database}/"},
                    # Lake Formation, not IAMAllowedPrincipals, governs the tables created here.
                    "CreateTableDefaultPermissions": [],
                },
            },
        }
        resources[logical_id(database, "DatabaseTags")] = {
            "Type": "AWS::LakeFormation::TagAssociation",
            "DependsOn": db_id,
            "Properties": {
                "Resource": {
                    "Database": {"CatalogId": {"Ref": "AWS::AccountId"}, "Name": database}
                },
                "LFTags": _tags(layer=database, classification="internal"),
            },
        }
    columns_pii = pii.pii_columns()
    for table in tables:
        resources[logical_id(table.database, table.name, "Table")] = _table(table)
        resources[logical_id(table.database, table.name, "TableTags")] = _table_tags(table)
        names = {n for n, _ in (*table.columns, *table.partition_keys)}
        declared = columns_pii.get(table.full_name, frozenset())
        if declared - names:
            raise ValueError(f"{table.full_name}: PII columns {sorted(declared - names)} missing")
        if declared:
            resources[logical_id(table.database, table.name, "PiiColumnTags")] = _column_tags(
                table, sorted(declared)
            )
    _chain_tag_associations(resources)
    resources.update(_rulesets({t.full_name for t in tables}))
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Lakehouse Glue databases and tables, their LF-Tags, Data Catalog DQ "
        "rulesets and catalog encryption. GENERATED by `make render` (python -m "
        "lakehouse.deploy.render) from the tables the jobs write, the contracts, the column "
        "lineage and dq_rulesets/; do not edit by hand.",
        "Parameters": {
            "LakeBucket": {"Type": "String"},
            "KeyArn": {"Type": "String"},
        },
        "Resources": resources,
    }
