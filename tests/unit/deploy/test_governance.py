"""Lake Formation governance: the grants give exactly the access of access-matrix.yaml, and no
analyst grant reaches a PII column.

Effective access is computed from the templates by :mod:`tests.unit.deploy.lf_access` (tag
associations of catalog.yaml x LF-Tag grants of governance.yaml). Until the generated
catalog.yaml exists, the same checks run on a catalog modelled here from the contracts and the
declared column lineage, tagged the way catalog.yaml is specified to be.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakehouse.deploy.cfn_yaml import load_template
from lakehouse.layers import column_lineage as lineage
from tests.unit.deploy import lf_access
from tests.unit.deploy.lf_access import Catalog, Table

ROOT = Path(__file__).resolve().parents[3]
CFN = ROOT / "cloudformation"
LAYERS = ("bronze", "silver", "gold", "quarantine", "audit")


@pytest.fixture(scope="module")
def governance() -> dict[str, Any]:
    return load_template(CFN / "governance.yaml")


@pytest.fixture(scope="module")
def matrix() -> dict[str, Any]:
    return yaml.safe_load((CFN / "access-matrix.yaml").read_text())


@pytest.fixture(scope="module")
def grants(governance) -> list[lf_access.Grant]:
    return lf_access.grants_from_template(governance)


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == type_}


def depends_on(resource: dict[str, Any]) -> list[str]:
    value = resource.get("DependsOn", [])
    return [value] if isinstance(value, str) else list(value)


# ---------------------------------------------------------------- PII from contracts + lineage


def contract_pii() -> dict[str, set[str]]:
    """``bronze.<dataset> -> {column}`` for every property classified pii in contracts/."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "contracts").glob("*.yaml")):
        contract = yaml.safe_load(path.read_text())
        for schema in contract.get("schema", []):
            for prop in schema.get("properties", []):
                if prop.get("classification") == "pii":
                    found.setdefault(schema["physicalName"], set()).add(prop["name"])
    return found


def pii_by_lineage() -> dict[str, set[str]]:
    """Contract PII plus every Silver/Gold column that copies or transforms a PII column
    (DIRECT lineage); a masking transformation (e.g. a hash) ends the PII."""
    pii = contract_pii()
    changed = True
    while changed:
        changed = False
        for table, columns in lineage.COLUMN_LINEAGE.items():
            for column, sources in columns.items():
                if column in pii.get(table, set()):
                    continue
                if any(
                    s.type == lineage.DIRECT and not s.masking and s.column in pii.get(s.table, ())
                    for s in sources
                ):
                    pii.setdefault(table, set()).add(column)
                    changed = True
    return pii


def test_pii_propagates_through_lineage_but_not_through_a_hash():
    pii = pii_by_lineage()
    assert {"email", "firstname", "lastname", "phone"} <= pii["bronze.hubspot_contacts"]
    assert {"email", "first_name", "last_name", "phone"} <= pii["silver.contacts"]
    assert "email_sha256" not in pii.get("gold.dim_customer", set())


# ---------------------------------------------------------------- a modelled catalog


def modelled_catalog() -> Catalog:
    """The catalog as catalog.yaml is specified to tag it: databases layer=<db> and
    classification=internal; quarantine and audit tables classification=pii (whole raw records);
    PII columns classification=pii. (Domain tags are left out: no grant uses them.)"""
    catalog = Catalog(databases=list(LAYERS))
    for db in LAYERS:
        catalog.database_tags[db] = {"layer": db, "classification": "internal"}
    for path in sorted((ROOT / "contracts").glob("*.yaml")):
        contract = yaml.safe_load(path.read_text())
        for schema in contract["schema"]:
            db, name = schema["physicalName"].split(".")
            columns = (*(p["name"] for p in schema["properties"]), "ingest_date")
            catalog.tables[f"{db}.{name}"] = Table(db, name, columns)
            catalog.tables[f"quarantine.{name}"] = Table("quarantine", name, ("record", "reason"))
    for key, columns in lineage.COLUMN_LINEAGE.items():
        db, name = key.split(".")
        catalog.tables[key] = Table(db, name, tuple(columns))
    catalog.tables["quarantine.dq_rows"] = Table("quarantine", "dq_rows", ("record", "rule"))
    catalog.tables["audit.dq_results"] = Table("audit", "dq_results", ("rule", "outcome"))
    for table in catalog.tables.values():
        if table.database in ("quarantine", "audit"):
            catalog.table_tags[table.key] = {"classification": "pii"}
    for key, columns in pii_by_lineage().items():
        for column in columns:
            catalog.column_tags.setdefault(key, {})[column] = {"classification": "pii"}
    return catalog


def generated_catalog() -> Catalog:
    path = CFN / "catalog.yaml"
    if not path.exists():
        pytest.skip("cloudformation/catalog.yaml is not generated yet")
    return lf_access.catalog_from_template(load_template(path))


def analyst_pii_leaks(catalog: Catalog, grants, pii: dict[str, set[str]]) -> list[str]:
    access = lf_access.effective_access(catalog, grants).get("AnalystRole")
    assert access is not None, "the analyst role has no grants at all"
    leaks = []
    for key, cell in access.tables.items():
        table = catalog.tables[key]
        known_pii = pii.get(key, set()) | lf_access.pii_columns(catalog, table)
        for column in sorted(cell.select_columns & known_pii):
            leaks.append(f"{key}.{column}")
    return leaks


# ---------------------------------------------------------------- the computation itself

FIXTURE_CATALOG = """
Resources:
  Gold:
    Type: AWS::Glue::Database
    Properties: {CatalogId: !Ref AWS::AccountId, DatabaseInput: {Name: gold}}
  Quarantine:
    Type: AWS::Glue::Database
    Properties: {CatalogId: !Ref AWS::AccountId, DatabaseInput: {Name: quarantine}}
  Customers:
    Type: AWS::Glue::Table
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseName: !Ref Gold
      TableInput:
        Name: customers
        StorageDescriptor: {Columns: [{Name: id, Type: bigint}, {Name: email, Type: string}]}
        PartitionKeys: [{Name: day, Type: date}]
  Rejects:
    Type: AWS::Glue::Table
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseName: quarantine
      TableInput:
        Name: rejects
        StorageDescriptor: {Columns: [{Name: record, Type: string}]}
  TagGold:
    Type: AWS::LakeFormation::TagAssociation
    Properties:
      Resource: {Database: {CatalogId: !Ref AWS::AccountId, Name: !Ref Gold}}
      LFTags:
        - {CatalogId: !Ref AWS::AccountId, TagKey: layer, TagValues: [gold]}
        - {CatalogId: !Ref AWS::AccountId, TagKey: classification, TagValues: [internal]}
  TagQuarantine:
    Type: AWS::LakeFormation::TagAssociation
    Properties:
      Resource: {Database: {CatalogId: !Ref AWS::AccountId, Name: quarantine}}
      LFTags:
        - {CatalogId: !Ref AWS::AccountId, TagKey: layer, TagValues: [quarantine]}
        - {CatalogId: !Ref AWS::AccountId, TagKey: classification, TagValues: [internal]}
  TagRejects:
    Type: AWS::LakeFormation::TagAssociation
    Properties:
      Resource: {Table: {CatalogId: !Ref AWS::AccountId, DatabaseName: quarantine, Name: rejects}}
      LFTags: [{CatalogId: !Ref AWS::AccountId, TagKey: classification, TagValues: [pii]}]
  TagEmail:
    Type: AWS::LakeFormation::TagAssociation
    Properties:
      Resource:
        TableWithColumns:
          CatalogId: !Ref AWS::AccountId
          DatabaseName: gold
          Name: !Ref Customers
          ColumnNames: [email]
      LFTags: [{CatalogId: !Ref AWS::AccountId, TagKey: classification, TagValues: [pii]}]
"""


def fixture_grant(principal, permission, resource_type, **expression):
    expr = tuple((k, tuple(v)) for k, v in expression.items())
    return lf_access.Grant(
        f"G{principal}{permission}", principal, (permission,), resource_type, expr
    )


@pytest.fixture
def fixture_catalog() -> Catalog:
    from lakehouse.deploy.cfn_yaml import loads

    return lf_access.catalog_from_template(loads(FIXTURE_CATALOG))


def test_fixture_catalog_is_read_with_refs_partition_keys_and_tags(fixture_catalog):
    assert fixture_catalog.tables["gold.customers"].columns == ("id", "email", "day")
    assert fixture_catalog.effective_column_tags(
        fixture_catalog.tables["gold.customers"], "email"
    ) == {"layer": "gold", "classification": "pii"}


def test_a_pii_column_drops_out_of_a_non_pii_select(fixture_catalog):
    grants = [
        fixture_grant("A", "SELECT", "TABLE", layer=["gold"], classification=["internal"]),
        fixture_grant("A", "DESCRIBE", "TABLE", layer=["gold"], classification=["internal"]),
    ]
    cell = lf_access.effective_access(fixture_catalog, grants)["A"].tables["gold.customers"]
    assert cell.permissions == {"SELECT", "DESCRIBE"}
    assert cell.select_columns == {"id", "day"}


def test_a_table_tag_overrides_its_database_tag(fixture_catalog):
    grants = [fixture_grant("A", "SELECT", "TABLE", classification=["internal"])]
    access = lf_access.effective_access(fixture_catalog, grants)["A"]
    assert "quarantine.rejects" not in access.tables
    grants = [fixture_grant("P", "SELECT", "TABLE", classification=["pii"])]
    access = lf_access.effective_access(fixture_catalog, grants)["P"]
    assert access.tables["quarantine.rejects"].select_columns == {"record"}
    # SELECT on a pii column alone, although its table is internal
    assert access.tables["gold.customers"].select_columns == {"email"}


def test_a_resource_without_the_key_does_not_match(fixture_catalog):
    grants = [fixture_grant("A", "SELECT", "TABLE", domain=["customers"])]
    assert lf_access.effective_access(fixture_catalog, grants)["A"].tables == {}


def test_database_grants_match_database_tags_only(fixture_catalog):
    grants = [fixture_grant("A", "DESCRIBE", "DATABASE", layer=["gold", "audit"])]
    assert lf_access.effective_access(fixture_catalog, grants)["A"].databases == {
        "gold": {"DESCRIBE"}
    }


def test_compare_reports_each_mismatch_precisely(fixture_catalog):
    grants = [
        fixture_grant("AnalystRole", "SELECT", "TABLE", layer=["gold"]),
        fixture_grant("AnalystRole", "DESCRIBE", "DATABASE", layer=["gold"]),
    ]
    matrix = {
        "roles": {
            "analyst": {
                "resource": "AnalystRole",
                "databases": {"gold": ["DESCRIBE"]},
                "tables": {"gold": {"permissions": ["SELECT"], "select": "non-pii"}},
            }
        }
    }
    assert lf_access.compare(matrix, fixture_catalog, grants) == [
        "analyst table gold.customers: SELECT reaches columns ['email'] the matrix does not "
        "give, and misses [] it gives"
    ]
    matrix["roles"]["analyst"]["tables"]["gold"] = {"permissions": ["DESCRIBE", "SELECT"],
                                                    "select": "all"}  # fmt: skip
    assert lf_access.compare(matrix, fixture_catalog, grants) == [
        "analyst table gold.customers: matrix ['DESCRIBE', 'SELECT'], grants give ['SELECT']"
    ]


def test_compare_reports_a_principal_missing_from_the_matrix(fixture_catalog):
    grants = [fixture_grant("Stranger", "DESCRIBE", "DATABASE", layer=["gold"])]
    assert lf_access.compare({"roles": {}}, fixture_catalog, grants) == [
        "Stranger: has Lake Formation grants but no row in the matrix"
    ]


# ---------------------------------------------------------------- governance.yaml


def test_every_grant_is_one_permission_without_grant_option(governance):
    for name, res in resources(governance, "AWS::LakeFormation::PrincipalPermissions").items():
        props = res["Properties"]
        assert len(props["Permissions"]) == 1, f"{name}: one permission per resource"
        assert props["PermissionsWithGrantOption"] == [], f"{name}: no grant option"


def test_every_grant_waits_for_the_admin_setting_its_tags_and_its_location(governance):
    tag_resources = {
        r["Properties"]["TagKey"]: n
        for n, r in resources(governance, "AWS::LakeFormation::Tag").items()
    }
    locations = {
        lf_access._location_layer(r["Properties"]["ResourceArn"]): n
        for n, r in resources(governance, "AWS::LakeFormation::Resource").items()
    }
    for name, res in resources(governance, "AWS::LakeFormation::PrincipalPermissions").items():
        deps = depends_on(res)
        assert "LakeSettings" in deps, f"{name} must wait until the deployer is an LF admin"
        resource = res["Properties"]["Resource"]
        if "LFTagPolicy" in resource:
            for expr in resource["LFTagPolicy"]["Expression"]:
                assert tag_resources[expr["TagKey"]] in deps, f"{name}: tag {expr['TagKey']}"
        else:
            layer = lf_access._location_layer(resource["DataLocation"]["ResourceArn"])
            assert locations[layer] in deps, f"{name}: registered location {layer}"


def test_grants_reach_lake_formation_one_at_a_time(governance):
    grants = resources(governance, "AWS::LakeFormation::PrincipalPermissions")
    before = {n: [d for d in depends_on(r) if d in grants] for n, r in grants.items()}
    firsts = [n for n, deps in before.items() if not deps]
    assert len(firsts) == 1, f"grants without a predecessor run in parallel: {firsts}"
    followers: dict[str, list[str]] = {}
    for name, deps in before.items():
        assert len(deps) <= 1, f"{name} waits for several grants: {deps}"
        for dep in deps:
            followers.setdefault(dep, []).append(name)
    assert all(len(f) == 1 for f in followers.values()), f"a fork in the chain: {followers}"
    chain, current = [firsts[0]], firsts[0]
    while current in followers:
        current = followers[current][0]
        chain.append(current)
    assert sorted(chain) == sorted(grants)


def test_grant_expressions_use_only_defined_tag_values(governance, grants):
    defined = {
        r["Properties"]["TagKey"]: set(r["Properties"]["TagValues"])
        for r in resources(governance, "AWS::LakeFormation::Tag").values()
    }
    assert defined["layer"] == set(LAYERS)
    assert defined["classification"] == {"public", "internal", "pii"}
    for grant in grants:
        for key, values in grant.expression:
            assert set(values) <= defined[key], f"{grant.name}: {key} {values}"


def test_catalog_yaml_uses_only_tag_values_governance_defines(governance):
    generated_catalog()  # skips while catalog.yaml is missing
    defined = {
        r["Properties"]["TagKey"]: set(r["Properties"]["TagValues"])
        for r in resources(governance, "AWS::LakeFormation::Tag").values()
    }
    catalog = load_template(CFN / "catalog.yaml")
    undefined = [
        f"{name}: {tag['TagKey']}={value}"
        for name, res in resources(catalog, "AWS::LakeFormation::TagAssociation").items()
        for tag in res["Properties"]["LFTags"]
        for value in tag["TagValues"]
        if value not in defined.get(tag["TagKey"], set())
    ]
    assert undefined == [], "Lake Formation rejects associations with undefined tag values"


def test_contract_domains_are_defined_tag_values(governance):
    (domain,) = [
        r["Properties"]["TagValues"]
        for r in resources(governance, "AWS::LakeFormation::Tag").values()
        if r["Properties"]["TagKey"] == "domain"
    ]
    for path in sorted((ROOT / "contracts").glob("*.yaml")):
        assert yaml.safe_load(path.read_text())["domain"] in domain, path.name


def test_settings_make_the_deployer_admin_and_turn_iam_defaults_off(governance):
    (settings,) = resources(governance, "AWS::LakeFormation::DataLakeSettings").values()
    props = settings["Properties"]
    assert props["CreateDatabaseDefaultPermissions"] == []
    assert props["CreateTableDefaultPermissions"] == []
    assert {"DataLakePrincipalIdentifier": {"Ref": "LakeAdminArn"}} in props["Admins"]


def test_each_layer_is_registered_with_the_data_access_role(governance):
    registered = {}
    for res in resources(governance, "AWS::LakeFormation::Resource").values():
        props = res["Properties"]
        assert props["UseServiceLinkedRole"] is False
        assert props["RoleArn"] == {"Fn::GetAtt": ["DataAccessRole", "Arn"]}
        registered[lf_access._location_layer(props["ResourceArn"])] = props
    assert set(registered) == set(LAYERS)
    trust = governance["Resources"]["DataAccessRole"]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "lakeformation.amazonaws.com"}
    assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]


def test_matrix_matches_grants_on_the_modelled_catalog(matrix, grants):
    assert lf_access.compare(matrix, modelled_catalog(), grants) == []


def test_matrix_matches_grants_on_catalog_yaml(matrix, grants):
    assert lf_access.compare(matrix, generated_catalog(), grants) == []


def test_a_widened_analyst_grant_is_caught(matrix, governance):
    broken = copy.deepcopy(governance)
    policy = broken["Resources"]["GrantAnalystTableSelect"]["Properties"]["Resource"]
    policy["LFTagPolicy"]["Expression"][0]["TagValues"].append("silver")
    widened = lf_access.grants_from_template(broken)
    catalog = modelled_catalog()
    problems = lf_access.compare(matrix, catalog, widened)
    assert "analyst table silver.orders: matrix [], grants give ['SELECT']" in problems
    # the column tag still hides silver.contacts.email; without it the PII check catches it
    assert analyst_pii_leaks(catalog, widened, pii_by_lineage()) == []
    del catalog.column_tags["silver.contacts"]["email"]
    assert analyst_pii_leaks(catalog, widened, pii_by_lineage()) == ["silver.contacts.email"]


def test_analyst_reaches_no_pii_column_of_the_modelled_catalog(grants):
    assert analyst_pii_leaks(modelled_catalog(), grants, pii_by_lineage()) == []


def test_analyst_reaches_no_pii_column_of_catalog_yaml(grants):
    catalog = generated_catalog()
    pii = pii_by_lineage()
    untagged = [
        f"{key}.{column}"
        for key, columns in pii.items()
        if key in catalog.tables
        for column in sorted(columns - lf_access.pii_columns(catalog, catalog.tables[key]))
    ]
    assert untagged == [], "PII columns (contracts + lineage) not tagged classification=pii"
    assert analyst_pii_leaks(catalog, grants, pii) == []


def test_pii_analyst_reaches_the_pii_columns_the_analyst_cannot(grants):
    catalog = Catalog(
        databases=["gold"], database_tags={"gold": {"layer": "gold", "classification": "internal"}}
    )
    catalog.tables["gold.people"] = Table("gold", "people", ("id", "email"))
    catalog.column_tags["gold.people"] = {"email": {"classification": "pii"}}
    access = lf_access.effective_access(catalog, grants)
    assert access["AnalystRole"].tables["gold.people"].select_columns == {"id"}
    assert access["PiiAnalystRole"].tables["gold.people"].select_columns == {"id", "email"}


# ---------------------------------------------------------------- secrets and outputs


def test_secrets_hold_no_value_in_the_template(governance):
    expected = {"hubspot": "token", "snowflake": "PASSWORD", "fx": "api_key"}
    found = {}
    for name, res in resources(governance, "AWS::SecretsManager::Secret").items():
        props = res["Properties"]
        assert "SecretString" not in props, f"{name} carries a value"
        assert props["KmsKeyId"] == {"Ref": "KeyArn"}
        source = props["Name"]["Fn::Sub"].rsplit("/", 1)[-1]
        found[source] = props["GenerateSecretString"]["GenerateStringKey"]
    assert found == expected


def test_outputs_name_every_role_and_secret(governance):
    assert set(governance["Outputs"]) == {
        "IngestRoleArn", "TransformRoleArn", "DqRoleArn", "PublishRoleArn", "NotifyRoleArn",
        "AnalystRoleArn", "PiiAnalystRoleArn", "DataAccessRoleArn",
        "HubspotSecretName", "HubspotSecretArn", "SnowflakeSecretName", "SnowflakeSecretArn",
        "FxSecretName", "FxSecretArn",
    }  # fmt: skip
