"""``make deploy`` / ``make deploy-plan``: credentials, the release, the uploads and the sam calls.

AWS is moto (STS, IAM, S3) plus botocore's Stubber for CloudFormation DescribeStacks (moto's
CloudFormation needs extras the project does not install). The SAM CLI is a fake executable that
records its arguments, so the exact ``sam deploy`` command lines are checked without AWS.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from lakehouse.deploy import release
from lakehouse.deploy.cfn_yaml import load_template

PROJECT = Path(__file__).resolve().parents[3]
MESSAGE = (
    "deploy-plan: no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; "
    "see docs/deploy.md)"
)
CODE_BUCKET = "lakehouse-dev-code-123456789012-eu-west-1"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PARAMETERS = {
    "BatchWorkerType": "G.1X",
    "TransformWorkers": "2",
    "Schedule": "cron(0 2 * * ? *)",
    "KafkaBootstrapServers": "b-1.msk:9094,b-2.msk:9094",
    "SubnetId": "subnet-0abc",
}


def no_credentials_env(tmp_path: Path) -> dict[str, str]:
    """The environment of someone without any AWS set-up (and outside any outer make)."""
    for name in ("config", "credentials"):
        (tmp_path / name).write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MAKE"))}
    env.pop("MFLAGS", None)
    return env | {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def test_without_credentials_plan_stops_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "lakehouse.deploy.release", "plan", "--env", "dev"],
        cwd=PROJECT, env=no_credentials_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [MESSAGE]


def test_make_deploy_plan_without_credentials_says_so_in_one_line(tmp_path):
    result = subprocess.run(
        ["make", "deploy-plan", "ENV=dev"],
        cwd=PROJECT, env=no_credentials_env(tmp_path), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode != 0
    # Besides make's own "make: *** [Makefile:NN: deploy-plan] Error 2", one line: the reason.
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert ours == [MESSAGE]


# ---------------------------------------------------------------- the release


def test_release_id_is_stable_and_changes_when_a_script_changes(tmp_path):
    first = release.build_release(PROJECT, tmp_path / "a")
    again = release.build_release(PROJECT, tmp_path / "b")
    assert first == again
    assert len(first) == 12 and int(first, 16) >= 0
    script = sorted((tmp_path / "b" / "glue_jobs").glob("*.py"))[0]
    script.write_text(script.read_text() + "\n# changed\n")
    assert release.release_id(tmp_path / "b") != first


def test_the_upload_is_the_zip_and_every_job_script_sse_kms(tmp_path, aws_credentials):
    dist = tmp_path / "dist"
    release_id = release.build_release(PROJECT, dist)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(
            Bucket=CODE_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        release.upload_release(s3, CODE_BUCKET, dist, release_id, KEY_ARN)
        listed = s3.list_objects_v2(Bucket=CODE_BUCKET)["Contents"]
        keys = {o["Key"] for o in listed}
        scripts = sorted(p.name for p in (PROJECT / "glue_jobs").glob("*.py"))
        assert scripts, "the project has job scripts"
        assert keys == {f"releases/{release_id}/lakehouse.zip"} | {
            f"releases/{release_id}/glue_jobs/{name}" for name in scripts
        }
        zipped = s3.get_object(Bucket=CODE_BUCKET, Key=f"releases/{release_id}/lakehouse.zip")
        assert zipped["Body"].read() == (dist / "lakehouse.zip").read_bytes()
        assert zipped["ServerSideEncryption"] == "aws:kms"
        assert zipped["SSEKMSKeyId"] == KEY_ARN


# ---------------------------------------------------------------- parameters


def test_placeholders_are_refused_naming_the_key_and_the_file():
    path = PROJECT / "cloudformation" / "env" / "dev.json"
    assert "REPLACE_ME" in path.read_text(), "the checked-in dev.json has placeholders"
    with pytest.raises(release.DeployError) as caught:
        release.load_parameters(path)
    message = str(caught.value)
    assert str(path) in message and "is still REPLACE_ME" in message
    assert "\n" not in message


def test_the_env_files_set_the_same_keys_and_main_yaml_declares_them_all():
    dev, prod = (
        json.loads((PROJECT / "cloudformation" / "env" / f"{e}.json").read_text())
        for e in ("dev", "prod")
    )
    assert dev.keys() == prod.keys()
    assert (dev["BatchWorkerType"], prod["BatchWorkerType"]) == ("G.1X", "G.2X")
    declared = load_template(PROJECT / "cloudformation" / "main.yaml")["Parameters"]
    assert set(dev) - release.DEPLOY_SETTINGS <= set(declared), (
        "sam would silently drop a key main.yaml does not declare"
    )
    assert set(dev) >= release.DEPLOY_SETTINGS  # what make deploy applies itself
    # Every parameter without a default comes from the env file or from the deploy itself.
    required = {name for name, spec in declared.items() if "Default" not in spec}
    assert required <= set(dev) | {"Env", "ReleasePrefix", "LakeAdminArn"}


def test_a_key_main_yaml_does_not_declare_is_refused(project):
    path = project / "cloudformation" / "env" / "dev.json"
    path.write_text(json.dumps(PARAMETERS | {"BatchWorkers": "3"}))
    with pytest.raises(release.DeployError, match="BatchWorkers is not a parameter of"):
        release.load_parameters(path, release.template_parameters(project))


@pytest.mark.parametrize(
    ("caller", "admin"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/deployer/alice",
            "arn:aws:iam::123456789012:role/deployer",
        ),
        ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"),
        (
            "arn:aws-cn:sts::123456789012:assumed-role/deployer/x",
            "arn:aws-cn:iam::123456789012:role/deployer",
        ),
    ],
)
def test_the_lake_formation_admin_is_the_role_behind_the_session(caller, admin):
    assert release.lake_admin_arn(caller) == admin


def test_the_account_root_cannot_be_made_lake_admin():
    with pytest.raises(release.DeployError, match="LakeAdminArn"):
        release.lake_admin_arn("arn:aws:iam::123456789012:root")


# ---------------------------------------------------------------- deploy and plan (fake sam)


@pytest.fixture
def project(tmp_path):
    """A checkout whose dev.json has real values (the checked-in one has placeholders)."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("glue_jobs", "contracts", "workflows", "dq_rulesets"):
        (root / name).symlink_to(PROJECT / name)
    (root / "cloudformation" / "env").mkdir(parents=True)
    (root / "cloudformation" / "main.yaml").symlink_to(PROJECT / "cloudformation" / "main.yaml")
    settings = PARAMETERS | {"SnowflakeHost": "acme.snowflakecomputing.com"}  # not a parameter
    (root / "cloudformation" / "env" / "dev.json").write_text(json.dumps(settings))
    return root


@pytest.fixture
def sam(tmp_path, monkeypatch):
    """A fake ``sam`` (via SAM_CLI) that appends its argv to a file; yields the list of calls."""
    log = tmp_path / "sam-calls.jsonl"
    script = tmp_path / "sam"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("SAM_CLI", str(script))

    def calls() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return calls


class Session:
    """A boto3 session (moto, as an assumed role) whose DescribeStacks answers are stubbed."""

    def __init__(
        self, storage_outputs: dict[str, str] | None, main_outputs: dict[str, str] | None = None
    ):
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument="{}")["Role"]
        creds = boto3.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="alice")
        creds = creds["Credentials"]
        self.session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name="eu-west-1",
        )
        self.cloudformation = self.session.client("cloudformation")
        stubber = Stubber(self.cloudformation)
        request = {"StackName": "lakehouse-dev-storage"}
        if storage_outputs is None:
            stubber.add_client_error(
                "describe_stacks",
                service_error_code="ValidationError",
                service_message="Stack with id lakehouse-dev-storage does not exist",
                expected_params=request,
            )
        else:
            stack = {
                "StackName": "lakehouse-dev-storage",
                "CreationTime": "2026-01-01T00:00:00Z",
                "StackStatus": "UPDATE_COMPLETE",
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in storage_outputs.items()],
            }
            stubber.add_response("describe_stacks", {"Stacks": [stack]}, request)
        if main_outputs is not None:
            main = {
                "StackName": "lakehouse-dev",
                "CreationTime": "2026-01-01T00:00:00Z",
                "StackStatus": "UPDATE_COMPLETE",
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in main_outputs.items()],
            }
            stubber.add_response(
                "describe_stacks", {"Stacks": [main]}, {"StackName": "lakehouse-dev"}
            )
        stubber.activate()
        self.region_name = self.session.region_name

    def get_credentials(self):
        return self.session.get_credentials()

    def client(self, name: str, **kwargs):
        return (
            self.cloudformation if name == "cloudformation" else self.session.client(name, **kwargs)
        )


def option(argv: list[str], name: str) -> list[str]:
    """The values after ``name`` up to the next option."""
    values = []
    for arg in argv[argv.index(name) + 1 :]:
        if arg.startswith("--"):
            break
        values.append(arg)
    return values


def overrides(argv: list[str]) -> dict[str, str]:
    pairs = (shlex.split(item)[0].split("=", 1) for item in option(argv, "--parameter-overrides"))
    return dict(pairs)


@mock_aws
def test_deploy_deploys_storage_uploads_the_release_then_deploys_main(
    project, sam, aws_credentials, capsys
):
    boto3.client("s3").create_bucket(
        Bucket=CODE_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    glue = boto3.client("glue")
    glue.create_job(
        Name="ingest_order_events",
        Role="arn:aws:iam::123456789012:role/ingest",
        Command={"Name": "gluestreaming", "ScriptLocation": "s3://code/x.py"},
    )
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lakehouse/dev/snowflake-Ab12"
    main_outputs = {"SnowflakeSecretArn": secret, "StreamingJobNames": "ingest_order_events"}
    session = Session({"CodeBucket": CODE_BUCKET, "KeyArn": KEY_ARN}, main_outputs)
    release_id = release.deploy(project, "dev", "oncall@example.com", session=session)

    storage, main = sam()
    assert storage[0] == "deploy" and "--no-execute-changeset" not in storage
    assert option(storage, "--template-file") == ["cloudformation/storage.yaml"]
    assert option(storage, "--stack-name") == ["lakehouse-dev-storage"]
    assert overrides(storage) == {"Env": "dev"}

    assert "--no-execute-changeset" not in main
    assert option(main, "--template-file") == ["cloudformation/main.yaml"]
    assert option(main, "--stack-name") == ["lakehouse-dev"]
    assert option(main, "--s3-bucket") == [CODE_BUCKET]
    assert option(main, "--s3-prefix") == [f"releases/{release_id}/templates"]
    assert option(main, "--capabilities") == ["CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert option(main, "--kms-key-id") == [KEY_ARN]
    assert overrides(main) == PARAMETERS | {
        "Env": "dev",
        "ReleasePrefix": f"releases/{release_id}",
        "LakeAdminArn": "arn:aws:iam::123456789012:role/deployer",
        "AlertEmail": "oncall@example.com",
    }
    uploaded = boto3.client("s3").list_objects_v2(Bucket=CODE_BUCKET)["Contents"]
    assert {o["Key"] for o in uploaded} >= {f"releases/{release_id}/lakehouse.zip"}
    out = capsys.readouterr().out
    assert f"lakehouse-dev is at release {release_id}" in out
    # After the stack: the Snowflake connection (CloudFormation has no SNOWFLAKE type) and the
    # streaming job started on the new release.
    connection = glue.get_connection(Name="lakehouse-dev-snowflake")["Connection"]
    assert connection["ConnectionProperties"]["HOST"] == "acme.snowflakecomputing.com"
    assert len(glue.get_job_runs(JobName="ingest_order_events")["JobRuns"]) == 1
    assert "Glue connection lakehouse-dev-snowflake: created" in out


@mock_aws
def test_plan_creates_change_sets_only_and_uploads_no_code(project, sam, aws_credentials):
    boto3.client("s3").create_bucket(
        Bucket=CODE_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    release.plan(project, "dev", session=Session({"CodeBucket": CODE_BUCKET, "KeyArn": KEY_ARN}))

    storage, main = sam()
    assert "--no-execute-changeset" in storage and "--no-execute-changeset" in main
    assert option(main, "--stack-name") == ["lakehouse-dev"]
    assert overrides(main)["ReleasePrefix"].startswith("releases/")
    assert overrides(main)["Env"] == "dev"
    assert "AlertEmail" not in overrides(main)
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=CODE_BUCKET)


@mock_aws
def test_plan_before_storage_exists_plans_storage_only_and_says_why(
    project, sam, aws_credentials, capsys
):
    release.plan(project, "dev", session=Session(storage_outputs=None))

    [storage] = sam()
    assert option(storage, "--stack-name") == ["lakehouse-dev-storage"]
    assert "--no-execute-changeset" in storage
    out = capsys.readouterr().out
    assert "lakehouse-dev-storage does not exist yet" in out
    assert "lakehouse-dev can be planned once storage is deployed" in out


@mock_aws
def test_deploy_with_a_placeholder_stops_before_calling_sam(project, sam, aws_credentials):
    path = project / "cloudformation" / "env" / "dev.json"
    path.write_text(json.dumps(PARAMETERS | {"SubnetId": "REPLACE_ME"}))
    with pytest.raises(release.DeployError, match="SubnetId is still REPLACE_ME"):
        release.deploy(project, "dev", session=Session({"CodeBucket": CODE_BUCKET}))
    assert sam() == []


def test_a_failing_sam_is_one_line_naming_the_stack(tmp_path, monkeypatch):
    failing = tmp_path / "sam"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("SAM_CLI", str(failing))
    with pytest.raises(release.DeployError, match="sam deploy of stack lakehouse-dev failed"):
        release.run_sam(tmp_path, ["deploy", "--stack-name", "lakehouse-dev"])
