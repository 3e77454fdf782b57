"""Deploy the lakehouse to AWS, or show what a deploy would change (``make deploy|deploy-plan``).

python -m lakehouse.deploy.release deploy --env dev [--alert-email you@example.com]
python -m lakehouse.deploy.release plan   --env dev
python -m lakehouse.deploy.release credentials --env dev --for plan   # only check them

A deploy is two stacks, in order (docs/deploy.md):

1. ``lakehouse-<env>-storage`` (cloudformation/storage.yaml): the KMS key and the buckets;
2. a release: ``dist/`` is built, and the zip and the job scripts go to the code bucket under
   ``releases/<id>/``, where ``<id>`` is a hash of their contents;
3. ``lakehouse-<env>`` (cloudformation/main.yaml and its nested templates, which ``sam deploy``
   uploads to ``releases/<id>/templates``), pointed at the release by ``ReleasePrefix``.

A plan creates the CloudFormation change sets of both stacks without executing them and prints
them. AWS is reached with boto3 (credentials, stack outputs, uploads) and with the SAM CLI from
``.tools/sam-venv`` (``SAM_CLI`` overrides its path). Every failure is one line on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLACEHOLDER = "REPLACE_ME"
# Env-file keys that are not stack parameters: make deploy applies them itself (after_deploy.py).
DEPLOY_SETTINGS = frozenset({"SnowflakeHost"})
STORAGE_TEMPLATE = "cloudformation/storage.yaml"
MAIN_TEMPLATE = "cloudformation/main.yaml"
CREDENTIALS_HINT = "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; see docs/deploy.md"


class DeployError(RuntimeError):
    """Why a deploy or plan cannot go on: one line, shown as is."""


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    region: str


def storage_stack(env: str) -> str:
    return f"lakehouse-{env}-storage"


def main_stack(env: str) -> str:
    return f"lakehouse-{env}"


# ---------------------------------------------------------------- credentials


def credentials(session: Any = None) -> Identity:
    """Who the deploy runs as (STS GetCallerIdentity), failing fast and in one line."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = session or boto3.Session()
        found = session.get_credentials()
    except BotoCoreError as exc:  # e.g. AWS_PROFILE names a profile that does not exist
        raise DeployError(f"{exc} ({CREDENTIALS_HINT})") from None
    if found is None:
        raise DeployError(f"no AWS credentials ({CREDENTIALS_HINT})")
    # boto3 reads AWS_DEFAULT_REGION and the profile; the AWS CLI and sam also read AWS_REGION.
    region = session.region_name or os.environ.get("AWS_REGION")
    if not region:
        raise DeployError(
            "no AWS region (set AWS_REGION, or region in your AWS profile; see docs/deploy.md)"
        )
    # No retries and short timeouts: a wrong or unreachable setup should say so at once.
    config = Config(connect_timeout=5, read_timeout=10, retries={"total_max_attempts": 1})
    try:
        caller = session.client("sts", region_name=region, config=config).get_caller_identity()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise DeployError(
            f"AWS rejected your credentials: {error.get('Code')}: {error.get('Message')}"
        ) from None
    except BotoCoreError as exc:
        raise DeployError(f"cannot check your AWS credentials: {exc}") from None
    return Identity(account=caller["Account"], arn=caller["Arn"], region=region)


def lake_admin_arn(caller_arn: str) -> str:
    """The IAM principal behind an STS caller ARN (an assumed role's session -> the role)."""
    parts = caller_arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith(("user/", "role/")):
        return caller_arn
    raise DeployError(
        f"cannot make {caller_arn} the Lake Formation admin: deploy as an IAM role or user, or "
        "set LakeAdminArn in the env file"
    )


# ---------------------------------------------------------------- parameters


def env_file(project: Path, env: str) -> Path:
    return project / "cloudformation" / "env" / f"{env}.json"


def template_parameters(project: Path) -> set[str]:
    """The parameter names main.yaml declares."""
    from lakehouse.deploy.cfn_yaml import load_template

    path = project / MAIN_TEMPLATE
    if not path.exists():
        raise DeployError(f"{path} does not exist")
    return set(load_template(path).get("Parameters", {})) | DEPLOY_SETTINGS


def load_parameters(path: Path, known: set[str] | None = None) -> dict[str, str]:
    """The ``{"Key": "Value"}`` map of ``cloudformation/env/<env>.json``.

    Refuses placeholders and, given the template's parameter names, keys it does not declare
    (sam would drop them without a word, so a misspelt key would silently keep the default).
    """
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise DeployError(f"{path} does not exist (one parameter file per env)") from None
    except ValueError as exc:
        raise DeployError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise DeployError(f'{path} must be a JSON object {{"ParameterKey": "value", ...}}')
    parameters = {str(k): str(v) for k, v in document.items()}
    for key, value in parameters.items():
        if known is not None and key not in known:
            raise DeployError(f"{path}: {key} is not a parameter of {MAIN_TEMPLATE}")
        if PLACEHOLDER in value:
            raise DeployError(f"{path}: {key} is still {PLACEHOLDER}: set it for your account")
        if '"' in value:
            raise DeployError(f"{path}: {key} contains a double quote, which sam cannot pass on")
    return parameters


def main_parameters(
    project: Path, env: str, identity: Identity, release: str, alert_email: str | None
) -> dict[str, str]:
    """The env file, plus what a deploy decides: Env, ReleasePrefix, LakeAdminArn, AlertEmail."""
    parameters = load_parameters(env_file(project, env), template_parameters(project))
    parameters = {k: v for k, v in parameters.items() if k not in DEPLOY_SETTINGS}
    parameters["Env"] = env
    parameters["ReleasePrefix"] = release_prefix(release)
    parameters.setdefault("LakeAdminArn", lake_admin_arn(identity.arn))
    if alert_email:
        parameters["AlertEmail"] = alert_email
    return parameters


# ---------------------------------------------------------------- release


def release_prefix(release: str) -> str:
    return f"releases/{release}"


def release_files(dist: Path) -> list[tuple[str, Path]]:
    """(key under the release prefix, file) for the zip and every job script, sorted."""
    files = [("lakehouse.zip", dist / "lakehouse.zip")]
    files += [(f"glue_jobs/{p.name}", p) for p in sorted((dist / "glue_jobs").glob("*.py"))]
    return files


def release_id(dist: Path) -> str:
    """12 hex digits of a SHA-256 over the release's file names and bytes."""
    digest = hashlib.sha256()
    for key, path in release_files(dist):
        digest.update(key.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def build_release(project: Path, dist: Path) -> str:
    """Build ``dist/`` like ``make package``; return the release id."""
    from lakehouse.package import build

    build(project, dist)
    return release_id(dist)


def upload_release(
    s3: Any, bucket: str, dist: Path, release: str, kms_key: str | None = None
) -> list[str]:
    """Put the zip and the scripts under ``releases/<id>/``, SSE-KMS; return the keys."""
    extra: dict[str, str] = {"ServerSideEncryption": "aws:kms"}
    if kms_key:
        extra["SSEKMSKeyId"] = kms_key
    keys = []
    for name, path in release_files(dist):
        key = f"{release_prefix(release)}/{name}"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **extra)
        keys.append(key)
    return keys


# ---------------------------------------------------------------- stacks


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str] | None:
    """The outputs of a deployed stack; None if it does not exist or was only planned."""
    from botocore.exceptions import ClientError

    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    # REVIEW_IN_PROGRESS: a plan created the stack's first change set, nothing is deployed.
    if found["StackStatus"] == "REVIEW_IN_PROGRESS":
        return None
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def _overrides(parameters: dict[str, str]) -> list[str]:
    # Quoted, so values with spaces (cron expressions) or commas stay one value for sam.
    return [f'{key}="{value}"' for key, value in parameters.items()]


def sam_storage_args(env: str, region: str, *, plan: bool) -> list[str]:
    args = [
        "deploy",
        "--template-file", STORAGE_TEMPLATE,
        "--stack-name", storage_stack(env),
        "--region", region,
        "--parameter-overrides", *_overrides({"Env": env}),
        "--tags", "project=lakehouse", f"env={env}",
        "--no-fail-on-empty-changeset",
    ]  # fmt: skip
    return args + (["--no-execute-changeset"] if plan else [])


def sam_main_args(
    env: str,
    region: str,
    parameters: dict[str, str],
    code_bucket: str,
    release: str,
    kms_key: str | None,
    *,
    plan: bool,
) -> list[str]:
    args = [
        "deploy",
        "--template-file", MAIN_TEMPLATE,
        "--stack-name", main_stack(env),
        "--region", region,
        # sam uploads the nested templates next to the release they belong to.
        "--s3-bucket", code_bucket,
        "--s3-prefix", f"{release_prefix(release)}/templates",
        "--capabilities", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND",
        "--parameter-overrides", *_overrides(parameters),
        "--tags", "project=lakehouse", f"env={env}",
        "--no-fail-on-empty-changeset",
        "--no-progressbar",
    ]  # fmt: skip
    if kms_key:
        args += ["--kms-key-id", kms_key]
    return args + (["--no-execute-changeset"] if plan else [])


def sam_executable(project: Path) -> str:
    return os.environ.get("SAM_CLI") or str(project / ".tools" / "sam-venv" / "bin" / "sam")


def run_sam(project: Path, args: list[str]) -> None:
    """Run the SAM CLI in the project folder; its output goes straight to the terminal."""
    sam = sam_executable(project)
    if not Path(sam).exists():
        raise DeployError(f"SAM CLI not found at {sam} (make deploy installs it)")
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    sys.stdout.flush()
    code = subprocess.run([sam, *args], cwd=project, env=env, check=False).returncode
    if code != 0:
        raise DeployError(f"sam deploy of stack {args[args.index('--stack-name') + 1]} failed")


# ---------------------------------------------------------------- deploy / plan


def _storage(session: Any, env: str) -> dict[str, str] | None:
    return stack_outputs(session.client("cloudformation"), storage_stack(env))


def _code_bucket(outputs: dict[str, str], env: str) -> str:
    bucket = outputs.get("CodeBucket")
    if not bucket:
        raise DeployError(f"stack {storage_stack(env)} has no output CodeBucket")
    return bucket


def deploy(project: Path, env: str, alert_email: str | None = None, session: Any = None) -> str:
    """Deploy storage, upload a release, deploy main; return the release id."""
    import boto3

    session = session or boto3.Session()
    identity = credentials(session)
    # Refuse placeholders, unknown and missing keys before touching anything.
    settings = load_parameters(env_file(project, env), template_parameters(project))
    missing = sorted(DEPLOY_SETTINGS - set(settings))
    if missing:
        raise DeployError(f"{env_file(project, env)}: set {', '.join(missing)}")
    print(f"deploying {env} to account {identity.account} in {identity.region}", flush=True)
    run_sam(project, sam_storage_args(env, identity.region, plan=False))
    outputs = _storage(session, env) or {}
    bucket, kms_key = _code_bucket(outputs, env), outputs.get("KeyArn")
    dist = project / "dist"
    release = build_release(project, dist)
    keys = upload_release(session.client("s3"), bucket, dist, release, kms_key)
    print(f"release {release}: {len(keys)} files in s3://{bucket}/{release_prefix(release)}/")
    parameters = main_parameters(project, env, identity, release, alert_email)
    run_sam(
        project,
        sam_main_args(env, identity.region, parameters, bucket, release, kms_key, plan=False),
    )
    _after_main_stack(session, env, settings)
    print(f"{main_stack(env)} is at release {release}")
    return release


def _after_main_stack(session: Any, env: str, settings: dict[str, str]) -> None:
    """The Snowflake connection and the streaming job restart (see after_deploy.py)."""
    from lakehouse.deploy import after_deploy

    outputs = stack_outputs(session.client("cloudformation"), main_stack(env)) or {}
    glue = session.client("glue")
    name = f"lakehouse-{env}-snowflake"
    done = after_deploy.ensure_snowflake_connection(
        glue, name, settings["SnowflakeHost"], outputs["SnowflakeSecretArn"]
    )
    print(f"Glue connection {name}: {done}")
    for job in filter(None, outputs.get("StreamingJobNames", "").split(",")):
        run = after_deploy.restart_streaming_job(glue, job)
        print(f"streaming job {job}: started run {run} of this release")


def plan(project: Path, env: str, alert_email: str | None = None, session: Any = None) -> None:
    """Create (not execute) the change sets of both stacks; sam prints them."""
    import boto3

    session = session or boto3.Session()
    identity = credentials(session)
    load_parameters(env_file(project, env), template_parameters(project))
    print(f"planning {env} in account {identity.account} in {identity.region}", flush=True)
    run_sam(project, sam_storage_args(env, identity.region, plan=True))
    outputs = _storage(session, env)
    if outputs is None:
        print(
            f"{storage_stack(env)} does not exist yet: only it was planned. {main_stack(env)} can "
            "be planned once storage is deployed (its code bucket holds the packaged templates)."
        )
        return
    # The release id says which code the plan refers to; the code itself is uploaded by deploy.
    release = build_release(project, project / "dist")
    parameters = main_parameters(project, env, identity, release, alert_email)
    bucket, kms_key = _code_bucket(outputs, env), outputs.get("KeyArn")
    run_sam(
        project,
        sam_main_args(env, identity.region, parameters, bucket, release, kms_key, plan=True),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["deploy", "plan", "credentials"])
    parser.add_argument("--env", required=True, choices=["dev", "prod"])
    parser.add_argument(
        "--for", dest="purpose", choices=["deploy", "plan"], help="credentials: whose check"
    )
    parser.add_argument("--alert-email", help="subscribe this address to the alerts topic")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    from lakehouse import resources

    project = resources.project_dir()
    purpose = args.purpose or args.command
    label = "deploy" if purpose == "deploy" else "deploy-plan"
    try:
        if project is None:
            raise DeployError("run from a checkout of the project")
        if args.command == "credentials":
            import boto3

            credentials(boto3.Session())
        elif args.command == "deploy":
            deploy(project, args.env, args.alert_email)
        else:
            plan(project, args.env, args.alert_email)
    except (DeployError, BotoCoreError, ClientError) as exc:
        # botocore's messages are one line too (e.g. a profile that does not exist, S3 denied).
        print(f"{label}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
