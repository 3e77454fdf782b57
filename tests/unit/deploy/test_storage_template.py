"""cloudformation/storage.yaml: the lake key and the four buckets are locked down and bounded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.deploy.cfn_yaml import load_template

TEMPLATE = Path(__file__).resolve().parents[3] / "cloudformation" / "storage.yaml"
KINDS = ("landing", "lake", "code", "access-logs")
LOGS = "access-logs"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def _of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == type_}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def buckets(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """kind (landing, lake, code, access-logs) -> (logical id, properties), found by bucket name."""
    found = {}
    for name, resource in _of_type(template, "AWS::S3::Bucket").items():
        bucket_name = resource["Properties"]["BucketName"]["Fn::Sub"]
        kind = bucket_name.removeprefix("lakehouse-${Env}-").removesuffix(
            "-${AWS::AccountId}-${AWS::Region}"
        )
        found[kind] = (name, resource["Properties"])
    return found


@pytest.fixture(scope="module")
def key_id(template: dict[str, Any]) -> str:
    keys = _of_type(template, "AWS::KMS::Key")
    assert len(keys) == 1
    return next(iter(keys))


def _policy_of(template: dict[str, Any], bucket_id: str) -> list[dict[str, Any]]:
    for policy in _of_type(template, "AWS::S3::BucketPolicy").values():
        if policy["Properties"]["Bucket"] == {"Ref": bucket_id}:
            return policy["Properties"]["PolicyDocument"]["Statement"]
    raise AssertionError(f"no bucket policy for {bucket_id}")


def _rules(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in props["LifecycleConfiguration"]["Rules"] if r["Status"] == "Enabled"]


def test_the_four_buckets_have_the_agreed_names(buckets):
    assert sorted(buckets) == sorted(KINDS)


def test_data_buckets_are_encrypted_with_the_lake_key(buckets, key_id):
    for kind in ("landing", "lake", "code"):
        (rule,) = buckets[kind][1]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
        }, kind
        assert rule["BucketKeyEnabled"] is True, kind


def test_access_logs_bucket_uses_sse_s3_because_log_delivery_cannot_use_kms(buckets):
    (rule,) = buckets[LOGS][1]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


@pytest.mark.parametrize("kind", KINDS)
def test_every_bucket_is_versioned_private_and_acl_free(buckets, kind):
    props = buckets[kind][1]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_every_other_bucket_logs_to_the_access_logs_bucket_under_its_own_prefix(buckets):
    logs_id = buckets[LOGS][0]
    prefixes = []
    for kind in ("landing", "lake", "code"):
        logging = buckets[kind][1]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": logs_id}, kind
        prefixes.append(logging["LogFilePrefix"])
    assert len(set(prefixes)) == 3 and all(p.endswith("/") for p in prefixes)
    assert "LoggingConfiguration" not in buckets[LOGS][1]  # it would log its own log writes


@pytest.mark.parametrize("kind", KINDS)
def test_every_bucket_policy_refuses_plain_http(template, buckets, kind):
    bucket_id = buckets[kind][0]
    denies = [
        s
        for s in _policy_of(template, bucket_id)
        if s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and _as_list(s["Action"]) == ["s3:*"]
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denies) == 1
    assert denies[0]["Resource"] == [
        {"Fn::GetAtt": [bucket_id, "Arn"]},
        {"Fn::Sub": f"${{{bucket_id}.Arn}}/*"},
    ]


def test_only_s3_log_delivery_of_this_account_may_write_access_logs(template, buckets):
    allows = [s for s in _policy_of(template, buckets[LOGS][0]) if s["Effect"] == "Allow"]
    (allow,) = allows
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert _as_list(allow["Action"]) == ["s3:PutObject"]
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    sources = [s["Fn::Sub"] for s in allow["Condition"]["ArnLike"]["aws:SourceArn"]]
    assert sorted(sources) == sorted(
        f"arn:${{AWS::Partition}}:s3:::lakehouse-${{Env}}-{k}-${{AWS::AccountId}}-${{AWS::Region}}"
        for k in ("landing", "lake", "code")
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_bucket_bounds_old_versions_and_failed_uploads(buckets, kind):
    whole_bucket = [r for r in _rules(buckets[kind][1]) if "Prefix" not in r]
    noncurrent = [
        r["NoncurrentVersionExpiration"] for r in whole_bucket if "NoncurrentVersionExpiration" in r
    ]
    assert noncurrent == [{"NoncurrentDays": {"Ref": "NoncurrentVersionExpirationDays"}}]
    uploads = [
        r["AbortIncompleteMultipartUpload"]
        for r in whole_bucket
        if "AbortIncompleteMultipartUpload" in r
    ]
    assert uploads == [{"DaysAfterInitiation": 7}]


def _expirations(props: dict[str, Any]) -> dict[str | None, Any]:
    """prefix (None: whole bucket) -> ExpirationInDays of current objects."""
    return {
        r.get("Prefix"): r["ExpirationInDays"] for r in _rules(props) if "ExpirationInDays" in r
    }


def test_current_objects_expire_only_where_intended(template, buckets):
    params = template["Parameters"]
    assert _expirations(buckets["landing"][1]) == {None: {"Ref": "LandingExpirationDays"}}
    assert params["LandingExpirationDays"]["Default"] == 30
    assert _expirations(buckets["code"][1]) == {"tmp/": 7}
    assert _expirations(buckets[LOGS][1]) == {None: {"Ref": "AccessLogExpirationDays"}}
    assert params["AccessLogExpirationDays"]["Default"] == 365
    assert params["NoncurrentVersionExpirationDays"]["Default"] == 30
    assert _expirations(buckets["lake"][1]) == {}  # the lake's tables never expire


def test_the_key_and_the_data_buckets_survive_a_stack_deletion(template, buckets, key_id):
    for logical_id in (key_id, buckets["lake"][0], buckets["landing"][0]):
        resource = template["Resources"][logical_id]
        assert resource.get("DeletionPolicy") == "Retain", logical_id
        assert resource.get("UpdateReplacePolicy") == "Retain", logical_id


def test_the_key_rotates_and_has_the_agreed_alias(template, key_id):
    assert template["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    (alias,) = _of_type(template, "AWS::KMS::Alias").values()
    assert alias["Properties"] == {
        "AliasName": {"Fn::Sub": "alias/lakehouse-${Env}"},
        "TargetKeyId": {"Ref": key_id},
    }


def _key_statements(template: dict[str, Any], key_id: str) -> list[dict[str, Any]]:
    return template["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]


def test_key_policy_grants_full_use_only_to_the_account_through_iam(template, key_id):
    for statement in _key_statements(template, key_id):
        principal = statement["Principal"]
        actions = _as_list(statement["Action"])
        assert principal != "*" and principal.get("AWS") != "*", statement["Sid"]
        if "Service" in principal:
            assert not {"kms:*", "*"} & set(actions), statement["Sid"]
            assert not any(a.startswith(("kms:Create", "kms:Put", "kms:Schedule")) for a in actions)
        assert "kms:*" not in actions and "*" not in actions, statement["Sid"]
        # Nobody may hand the key on: grants would bypass both the key policy and IAM.
        assert not {"kms:CreateGrant", "kms:ReplicateKey"} & set(actions), statement["Sid"]
        if "AWS" in principal:
            assert principal == {
                "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            }


def test_key_policy_lets_services_encrypt_glue_logs_and_alerts_only(template, key_id):
    by_service = {}
    for statement in _key_statements(template, key_id):
        service = statement["Principal"].get("Service")
        if service is not None:
            by_service[service["Fn::Sub"] if isinstance(service, dict) else service] = statement
    assert sorted(by_service) == [
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
        "logs.${AWS::Region}.amazonaws.com",
    ]
    logs = by_service["logs.${AWS::Region}.amazonaws.com"]["Condition"]["ArnLike"]
    assert logs["kms:EncryptionContext:aws:logs:arn"]["Fn::Sub"].endswith(":log-group:/aws-glue/*")
    for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
        assert sorted(_as_list(by_service[service]["Action"])) == [
            "kms:Decrypt",
            "kms:GenerateDataKey*",
        ]
    cloudwatch = by_service["cloudwatch.amazonaws.com"]["Condition"]
    assert cloudwatch["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert cloudwatch["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(":alarm:lakehouse-${Env}-*")


def test_outputs_are_exported_under_the_agreed_names(template, buckets, key_id):
    exports = {o["Export"]["Name"]["Fn::Sub"]: o["Value"] for o in template["Outputs"].values()}
    assert exports == {
        "lakehouse-${Env}-KeyArn": {"Fn::GetAtt": [key_id, "Arn"]},
        "lakehouse-${Env}-KeyId": {"Ref": key_id},
        "lakehouse-${Env}-LandingBucket": {"Ref": buckets["landing"][0]},
        "lakehouse-${Env}-LakeBucket": {"Ref": buckets["lake"][0]},
        "lakehouse-${Env}-CodeBucket": {"Ref": buckets["code"][0]},
        "lakehouse-${Env}-AccessLogsBucket": {"Ref": buckets[LOGS][0]},
    }


def test_env_is_dev_or_prod(template):
    assert template["Parameters"]["Env"]["AllowedValues"] == ["dev", "prod"]
