"""Effective Lake Formation access computed from the templates, and its comparison with the matrix.

The model of LF-Tag-based access control (LF-TBAC) used here:

* Tags are set on databases, tables and columns (``AWS::LakeFormation::TagAssociation``). They
  inherit database -> table -> column; a key set at a lower level overrides the inherited value
  of that key. A resource has at most one value per key.
* An ``LFTagPolicy`` expression ``[{TagKey, TagValues}, …]`` matches a resource when, for every
  key, the resource's effective value of that key is one of the values (keys AND, values OR). A
  resource without the key does not match.
* ``ResourceType: DATABASE`` grants apply to the matching databases.
* ``ResourceType: TABLE`` grants: every permission but SELECT applies to the tables whose
  effective tags match; SELECT applies column by column, to the columns whose effective tags
  match (so a ``classification=pii`` column drops out of a ``classification in [public,
  internal]`` grant although its table matches). A table counts SELECT among its permissions
  when SELECT reaches at least one column.
* ``DataLocation`` grants give DATA_LOCATION_ACCESS on a registered prefix of the lake bucket
  (named here by its layer, the prefix's last segment).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Tags = dict[str, str]


@dataclass(frozen=True)
class Table:
    database: str
    name: str
    columns: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.database}.{self.name}"


@dataclass
class Catalog:
    """Databases, tables (with columns) and tag associations of a catalog template."""

    databases: list[str] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    database_tags: dict[str, Tags] = field(default_factory=dict)
    table_tags: dict[str, Tags] = field(default_factory=dict)  # own tags only, key "db.table"
    column_tags: dict[str, dict[str, Tags]] = field(default_factory=dict)  # "db.table" -> col

    def effective_table_tags(self, table: Table) -> Tags:
        return {**self.database_tags.get(table.database, {}), **self.table_tags.get(table.key, {})}

    def effective_column_tags(self, table: Table, column: str) -> Tags:
        own = self.column_tags.get(table.key, {}).get(column, {})
        return {**self.effective_table_tags(table), **own}


@dataclass(frozen=True)
class Grant:
    name: str  # logical id of the PrincipalPermissions resource
    principal: str  # logical id of the role (or the literal principal)
    permissions: tuple[str, ...]
    resource_type: str  # DATABASE | TABLE | DATA_LOCATION
    expression: tuple[tuple[str, tuple[str, ...]], ...] = ()
    location: str | None = None  # layer of a DataLocation grant


@dataclass
class TableAccess:
    permissions: set[str] = field(default_factory=set)
    select_columns: set[str] = field(default_factory=set)


@dataclass
class Access:
    """One principal's effective access."""

    databases: dict[str, set[str]] = field(default_factory=dict)
    tables: dict[str, TableAccess] = field(default_factory=dict)
    data_locations: set[str] = field(default_factory=set)


# ---------------------------------------------------------------- reading templates


def _resources(template: Mapping[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {
        name: res.get("Properties", {})
        for name, res in template.get("Resources", {}).items()
        if res.get("Type") == type_
    }


def _resolve_name(value: Any, template: Mapping[str, Any]) -> str:
    """A database or table name: a plain string, or a Ref to the Glue resource or a parameter."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        target = value["Ref"]
        resource = template.get("Resources", {}).get(target)
        if resource is not None:
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::Glue::Database":
                return _resolve_name(props["DatabaseInput"]["Name"], template)
            if resource["Type"] == "AWS::Glue::Table":
                return _resolve_name(props["TableInput"]["Name"], template)
        parameter = template.get("Parameters", {}).get(target)
        if parameter is not None and "Default" in parameter:
            return str(parameter["Default"])
    raise ValueError(f"cannot resolve a catalog name from {value!r}")


def _single_value_tags(lf_tags: Iterable[Mapping[str, Any]], where: str) -> Tags:
    tags: Tags = {}
    for tag in lf_tags:
        values = tag["TagValues"]
        if len(values) != 1:
            raise ValueError(f"{where}: tag {tag['TagKey']} must have exactly one value: {values}")
        tags[tag["TagKey"]] = values[0]
    return tags


def catalog_from_template(template: Mapping[str, Any]) -> Catalog:
    """Read a catalog template (Glue databases and tables, LF tag associations)."""
    catalog = Catalog()
    for props in _resources(template, "AWS::Glue::Database").values():
        catalog.databases.append(_resolve_name(props["DatabaseInput"]["Name"], template))
    for props in _resources(template, "AWS::Glue::Table").values():
        table_input = props["TableInput"]
        columns = [
            *table_input.get("StorageDescriptor", {}).get("Columns", []),
            *table_input.get("PartitionKeys", []),
        ]
        table = Table(
            database=_resolve_name(props["DatabaseName"], template),
            name=_resolve_name(table_input["Name"], template),
            columns=tuple(c["Name"] for c in columns),
        )
        catalog.tables[table.key] = table
    for name, props in _resources(template, "AWS::LakeFormation::TagAssociation").items():
        resource = props["Resource"]
        tags = _single_value_tags(props["LFTags"], name)
        if "Database" in resource:
            db = _resolve_name(resource["Database"]["Name"], template)
            catalog.database_tags.setdefault(db, {}).update(tags)
        elif "Table" in resource:
            spec = resource["Table"]
            key = f"{_resolve_name(spec['DatabaseName'], template)}."
            key += _resolve_name(spec["Name"], template)
            catalog.table_tags.setdefault(key, {}).update(tags)
        elif "TableWithColumns" in resource:
            spec = resource["TableWithColumns"]
            key = f"{_resolve_name(spec['DatabaseName'], template)}."
            key += _resolve_name(spec["Name"], template)
            for column in spec["ColumnNames"]:
                catalog.column_tags.setdefault(key, {}).setdefault(column, {}).update(tags)
        else:
            raise ValueError(f"{name}: unsupported tag association resource {sorted(resource)}")
    return catalog


def _principal(value: Any) -> str:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    return str(value)


def _location_layer(arn: Any) -> str:
    text = arn.get("Fn::Sub") if isinstance(arn, dict) else arn
    if not isinstance(text, str):
        raise ValueError(f"unsupported DataLocation ResourceArn {arn!r}")
    match = re.search(r"/([^/]+)/?$", text)
    if not match:
        raise ValueError(f"DataLocation ResourceArn {text!r} names no prefix")
    return match.group(1)


def grants_from_template(template: Mapping[str, Any]) -> list[Grant]:
    """Every ``AWS::LakeFormation::PrincipalPermissions`` of a template."""
    grants = []
    for name, props in _resources(template, "AWS::LakeFormation::PrincipalPermissions").items():
        principal = _principal(props["Principal"]["DataLakePrincipalIdentifier"])
        permissions = tuple(props["Permissions"])
        resource = props["Resource"]
        if "LFTagPolicy" in resource:
            policy = resource["LFTagPolicy"]
            expression = tuple((e["TagKey"], tuple(e["TagValues"])) for e in policy["Expression"])
            grants.append(Grant(name, principal, permissions, policy["ResourceType"], expression))
        elif "DataLocation" in resource:
            layer = _location_layer(resource["DataLocation"]["ResourceArn"])
            grants.append(Grant(name, principal, permissions, "DATA_LOCATION", location=layer))
        else:
            raise ValueError(f"{name}: only LFTagPolicy and DataLocation grants are modelled")
    return grants


# ---------------------------------------------------------------- effective access


def matches(tags: Mapping[str, str], expression: Iterable[tuple[str, Iterable[str]]]) -> bool:
    return all(tags.get(key) in set(values) for key, values in expression)


def effective_access(catalog: Catalog, grants: Iterable[Grant]) -> dict[str, Access]:
    """Per principal: database permissions, table permissions + SELECT columns, locations."""
    result: dict[str, Access] = {}
    for grant in grants:
        access = result.setdefault(grant.principal, Access())
        if grant.resource_type == "DATA_LOCATION":
            if "DATA_LOCATION_ACCESS" in grant.permissions and grant.location:
                access.data_locations.add(grant.location)
        elif grant.resource_type == "DATABASE":
            for db in catalog.databases:
                if matches(catalog.database_tags.get(db, {}), grant.expression):
                    access.databases.setdefault(db, set()).update(grant.permissions)
        elif grant.resource_type == "TABLE":
            for table in catalog.tables.values():
                cell = access.tables.setdefault(table.key, TableAccess())
                if matches(catalog.effective_table_tags(table), grant.expression):
                    cell.permissions.update(p for p in grant.permissions if p != "SELECT")
                if "SELECT" in grant.permissions:
                    cell.select_columns.update(
                        c
                        for c in table.columns
                        if matches(catalog.effective_column_tags(table, c), grant.expression)
                    )
                if cell.select_columns:
                    cell.permissions.add("SELECT")
        else:
            raise ValueError(f"{grant.name}: unknown resource type {grant.resource_type}")
    for access in result.values():
        access.tables = {k: v for k, v in access.tables.items() if v.permissions}
    return result


# ---------------------------------------------------------------- the matrix


def pii_columns(catalog: Catalog, table: Table) -> set[str]:
    """Columns whose effective classification is pii."""
    return {
        c
        for c in table.columns
        if catalog.effective_column_tags(table, c).get("classification") == "pii"
    }


def expected_access(matrix_role: Mapping[str, Any], catalog: Catalog) -> Access:
    """What the matrix says one role gets, expanded over the catalog's databases and tables."""
    access = Access()
    for db, permissions in (matrix_role.get("databases") or {}).items():
        if db in catalog.databases:
            access.databases[db] = set(permissions)
    cells = matrix_role.get("tables") or {}
    for table in catalog.tables.values():
        cell = cells.get(table.key, cells.get(table.database))
        if cell is None:
            continue
        permissions = set(cell["permissions"])
        select = cell.get("select", "none")
        if ("SELECT" in permissions) != (select != "none"):
            raise ValueError(f"matrix cell for {table.key}: SELECT and select: {select} disagree")
        if select == "all":
            columns = set(table.columns)
        elif select == "non-pii":
            columns = set(table.columns) - pii_columns(catalog, table)
        elif select == "none":
            columns = set()
        else:
            raise ValueError(f"matrix cell for {table.key}: unknown select {select!r}")
        if not columns:
            permissions.discard("SELECT")
        access.tables[table.key] = TableAccess(permissions, columns)
    access.data_locations = set(matrix_role.get("data_locations") or [])
    return access


def compare(matrix: Mapping[str, Any], catalog: Catalog, grants: Iterable[Grant]) -> list[str]:
    """Every difference between the matrix and the grants' effective access, one line each."""
    actual = effective_access(catalog, grants)
    problems = []
    roles = matrix["roles"]
    known = {spec["resource"] for spec in roles.values()}
    for principal in sorted(set(actual) - known):
        problems.append(f"{principal}: has Lake Formation grants but no row in the matrix")
    for role, spec in roles.items():
        want = expected_access(spec, catalog)
        got = actual.get(spec["resource"], Access())
        for db in sorted(set(want.databases) | set(got.databases)):
            w, g = want.databases.get(db, set()), got.databases.get(db, set())
            if w != g:
                problems.append(
                    f"{role} database {db}: matrix {sorted(w)}, grants give {sorted(g)}"
                )
        for key in sorted(set(want.tables) | set(got.tables)):
            w = want.tables.get(key, TableAccess())
            g = got.tables.get(key, TableAccess())
            if w.permissions != g.permissions:
                problems.append(
                    f"{role} table {key}: matrix {sorted(w.permissions)}, "
                    f"grants give {sorted(g.permissions)}"
                )
            if w.select_columns != g.select_columns:
                extra = sorted(g.select_columns - w.select_columns)
                missing = sorted(w.select_columns - g.select_columns)
                problems.append(
                    f"{role} table {key}: SELECT reaches columns {extra} the matrix does not "
                    f"give, and misses {missing} it gives"
                )
        if want.data_locations != got.data_locations:
            problems.append(
                f"{role} data locations: matrix {sorted(want.data_locations)}, "
                f"grants give {sorted(got.data_locations)}"
            )
    return problems
