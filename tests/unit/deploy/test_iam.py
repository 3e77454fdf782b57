"""IAM in the CloudFormation templates: no unlisted Resource "*", no layer readable through IAM
that Lake Formation does not give, and the narrow scopes the jobs rely on."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakehouse.deploy.cfn_yaml import load_template

CFN = Path(__file__).resolve().parents[3] / "cloudformation"
ALLOWLIST = CFN / "iam-wildcard-allowlist.yaml"
MATRIX = CFN / "access-matrix.yaml"
LAYERS = {"bronze", "silver", "gold", "quarantine", "audit"}
RUN_STATE = {"_runs", "_state", "_checkpoints"}
METRIC_NAMESPACES = {"Lakehouse", "Glue", "Glue Data Quality"}
WORKFLOW_ARN = (
    "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:workflow/${WorkflowName}"
)
LAKE_OBJECT = re.compile(r"^arn:\$\{AWS::Partition\}:s3:::\$\{LakeBucket\}/(?P<path>.*)$")


def templates() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(CFN.glob("*.yaml")):
        template = load_template(path)
        if isinstance(template, dict) and "Resources" in template:
            found[path.name] = template
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(resource: dict[str, Any]) -> list[dict[str, Any]]:
    props = resource.get("Properties", {})
    if resource["Type"] == "AWS::IAM::Role":
        return [p["PolicyDocument"] for p in props.get("Policies", [])]
    if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        return [props["PolicyDocument"]]
    return []


def statements() -> list[tuple[str, dict[str, Any]]]:
    """(``file:resource``, statement) for every IAM identity-policy statement."""
    found = []
    for file, template in templates().items():
        for name, resource in template["Resources"].items():
            for document in policy_documents(resource):
                for statement in as_list(document["Statement"]):
                    found.append((f"{file}:{name}", statement))
    return found


def role_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """The role's inline statements plus those of managed policies / policies attached to it."""
    resources = template["Resources"]
    role_res = resources[role]
    found = [s for d in policy_documents(role_res) for s in as_list(d["Statement"])]
    for arn in role_res["Properties"].get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and "Ref" in arn:
            found += as_list(resources[arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"])
    for resource in resources.values():
        attached = resource["Properties"].get("Roles", []) if "Properties" in resource else []
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in attached:
            found += as_list(resource["Properties"]["PolicyDocument"]["Statement"])
    return found


def allows(statement: dict[str, Any], action: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    return any(fnmatchcase(action.lower(), a.lower()) for a in as_list(statement["Action"]))


def sub_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return value["Fn::Sub"]
    return None


def readable_lake_prefixes(role_stmts: list[dict[str, Any]]) -> set[str]:
    """First path segment of every lake-bucket object ARN the role may s3:GetObject."""
    prefixes = set()
    for statement in role_stmts:
        if not allows(statement, "s3:GetObject"):
            continue
        for resource in as_list(statement["Resource"]):
            text = sub_text(resource)
            if text == "*":
                prefixes.add("*")
                continue
            match = LAKE_OBJECT.match(text or "")
            if match:
                prefixes.add(match["path"].split("/", 1)[0] if "/" in match["path"] else "*")
    return prefixes


@pytest.fixture(scope="module")
def governance() -> dict[str, Any]:
    return load_template(CFN / "governance.yaml")


@pytest.fixture(scope="module")
def allowlist() -> dict[str, Any]:
    return yaml.safe_load(ALLOWLIST.read_text())


@pytest.fixture(scope="module")
def matrix() -> dict[str, Any]:
    return yaml.safe_load(MATRIX.read_text())["roles"]


def test_resource_star_only_in_allow_listed_statements(allowlist):
    problems = []
    for where, statement in statements():
        if "*" not in as_list(statement.get("Resource", [])) and "NotResource" not in statement:
            continue
        sid = statement.get("Sid")
        entry = allowlist.get(sid) if sid else None
        if entry is None:
            problems.append(f"{where}: Resource '*' in statement {sid or '(no Sid)'} not listed")
        elif sorted(as_list(statement["Action"])) != sorted(entry["actions"]):
            problems.append(
                f"{where}: {sid} has actions {sorted(as_list(statement['Action']))}, "
                f"the allow-list {sorted(entry['actions'])}"
            )
    assert problems == []


def test_every_allow_list_entry_has_a_reason_and_is_used(allowlist):
    used = {s.get("Sid") for _, s in statements() if "*" in as_list(s.get("Resource", []))}
    for sid, entry in allowlist.items():
        assert entry.get("reason", "").strip(), f"{sid}: no reason"
        assert entry.get("actions"), f"{sid}: no actions"
        assert sid in used, f"{sid}: stale entry, no statement uses it"


def test_put_metric_data_is_limited_to_our_namespaces():
    found = [(w, s) for w, s in statements() if allows(s, "cloudwatch:PutMetricData")]
    assert found, "the jobs must be able to publish metrics"
    for where, statement in found:
        namespaces = statement.get("Condition", {}).get("StringEquals", {})
        namespaces = namespaces.get("cloudwatch:namespace")
        assert namespaces, f"{where}: PutMetricData without a cloudwatch:namespace condition"
        assert set(as_list(namespaces)) <= METRIC_NAMESPACES, f"{where}: {namespaces}"


@pytest.mark.parametrize(
    "action",
    ["glue:GetWorkflowRunProperties", "glue:PutWorkflowRunProperties", "glue:GetWorkflowRun"],
)
def test_workflow_actions_only_on_the_workflow(action):
    found = [(w, s) for w, s in statements() if allows(s, action)]
    assert found, f"nobody may {action}"
    for where, statement in found:
        resources = [sub_text(r) for r in as_list(statement["Resource"])]
        assert resources == [WORKFLOW_ARN], f"{where}: {action} on {resources}"


def test_secrets_are_readable_by_the_ingest_role_only(governance):
    readers = {}
    for name, resource in governance["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for statement in role_statements(governance, name):
            if allows(statement, "secretsmanager:GetSecretValue"):
                readers[name] = as_list(statement["Resource"])
    assert readers == {
        "IngestRole": [{"Ref": "HubspotSecret"}, {"Ref": "SnowflakeSecret"}, {"Ref": "FxSecret"}]
    }
    other = [w for w, s in statements() if allows(s, "secretsmanager:GetSecretValue")]
    assert other == ["governance.yaml:IngestRole"]


def test_no_role_reads_a_layer_through_iam_that_lake_formation_does_not_give(governance, matrix):
    for role, spec in matrix.items():
        selectable = {
            layer
            for layer, cell in (spec.get("tables") or {}).items()
            if "SELECT" in cell["permissions"]
        }
        readable = readable_lake_prefixes(role_statements(governance, spec["resource"]))
        beyond = readable - selectable - RUN_STATE
        assert not beyond, f"{role} may read {sorted(beyond)} of the lake bucket through IAM"


def test_consumers_get_no_s3_at_all(governance):
    for role in ("AnalystRole", "PiiAnalystRole"):
        for statement in role_statements(governance, role):
            actions = as_list(statement["Action"])
            assert not [a for a in actions if a.startswith("s3:")], f"{role}: {actions}"


def test_the_prefix_check_sees_a_widened_read(governance, matrix):
    stmts = role_statements(governance, "PublishRole")
    widened = [
        *stmts,
        {"Effect": "Allow", "Action": "s3:Get*",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${LakeBucket}/silver/*"}},
    ]  # fmt: skip
    assert readable_lake_prefixes(stmts) == {"gold", "_runs"}
    assert readable_lake_prefixes(widened) == {"gold", "silver", "_runs"}


def test_job_roles_trust_glue_of_this_account_only(governance):
    for role in ("IngestRole", "TransformRole", "DqRole", "PublishRole", "NotifyRole"):
        trust = governance["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]
        (statement,) = trust["Statement"]
        assert statement["Principal"] == {"Service": "glue.amazonaws.com"}, role
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {
            "Ref": "AWS::AccountId"
        }, role


def test_only_notify_publishes_alerts(governance):
    publishers = [
        name
        for name, res in governance["Resources"].items()
        if res["Type"] == "AWS::IAM::Role"
        and any(allows(s, "sns:Publish") for s in role_statements(governance, name))
    ]
    assert publishers == ["NotifyRole"]
