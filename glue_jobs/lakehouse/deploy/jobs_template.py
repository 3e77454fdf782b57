"""Render ``cloudformation/jobs.yaml``: Glue jobs, the workflow and its triggers, connections.

Everything comes from ``workflows/daily_batch.yaml`` (jobs, sizes, timeouts, default arguments,
triggers), the scripts' own argument declarations (``REQUIRED_ARGS``/``OPTIONAL_ARGS``) and
``requirements.txt`` (the pinned extra Python modules); this module adds only what exists in AWS
alone: roles, S3 locations, the security configuration and the connections.

AWS differs from the local run in one place: the streaming job. In AWS it runs continuously
outside the workflow (``make deploy`` starts it), so it is left out of the triggers; locally the
runner runs it once per batch (``LocalRun.StreamingJobs``).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

from lakehouse.deploy.cfn_yaml import logical_id
from lakehouse.workflow.definition import JobDefinition, TriggerDefinition, WorkflowDefinition

GLUE_VERSION = "5.0"
WORKFLOW_FILE = "workflows/daily_batch.yaml"

# Which IAM role (job family, see governance.yaml) runs each script.
ROLE_OF_SCRIPT = {
    "ingest_hubspot_contacts.py": "IngestRoleArn",
    "ingest_snowflake_orders.py": "IngestRoleArn",
    "ingest_vendor_products.py": "IngestRoleArn",
    "ingest_fx_rates.py": "IngestRoleArn",
    "ingest_order_events.py": "IngestRoleArn",
    "dq_gate.py": "DqRoleArn",
    "bronze_to_silver.py": "TransformRoleArn",
    "silver_to_gold.py": "TransformRoleArn",
    "publish_gold.py": "PublishRoleArn",
    "notify_failure.py": "NotifyRoleArn",
}

# Script arguments only AWS needs (secrets, connections, topics); locally they stay unset.
AWS_ARGUMENTS: dict[str, dict[str, Any]] = {
    "ingest_hubspot_contacts.py": {"--hubspot_secret_name": {"Ref": "HubspotSecretName"}},
    "ingest_snowflake_orders.py": {
        "--snowflake_connection_name": {"Ref": "SnowflakeConnectionName"}
    },
    "ingest_fx_rates.py": {
        "--fx_base_url": {"Ref": "FxBaseUrl"},
        "--fx_secret_name": {"Ref": "FxSecretName"},
    },
    "ingest_order_events.py": {
        "--kafka_connection_name": {"Ref": "KafkaConnection"},
        "--kafka_topic": {"Ref": "KafkaTopic"},
    },
    "notify_failure.py": {
        "--sns_topic_arn": {
            "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
            "lakehouse-${Env}-alerts"
        }
    },
}
LANDING_ARGUMENT = {"--landing_root": {"Fn::Sub": "s3://${LandingBucket}/landing"}}
# Glue connections a job needs for its network path (MSK lives in the VPC).
CONNECTIONS_OF_SCRIPT = {"ingest_order_events.py": "KafkaConnection"}
# Jobs whose worker count is a stack parameter (the heavy ones); the rest keep the file's count.
TRANSFORM_SCRIPTS = ("bronze_to_silver.py", "silver_to_gold.py")

# Arguments Glue itself reads (never passed to getResolvedOptions by our scripts).
GLUE_ARGUMENTS = frozenset(
    {
        "--extra-py-files",
        "--additional-python-modules",
        "--enable-metrics",
        "--enable-observability-metrics",
        "--enable-continuous-cloudwatch-log",
        "--enable-glue-datacatalog",
        "--enable-spark-ui",
        "--spark-event-logs-path",
        "--job-bookmark-option",
        "--job-language",
        "--TempDir",
    }
)


def script_name(job: JobDefinition) -> str:
    return Path(job.script_location).name


def load_script(project: Path, script: str) -> ModuleType:
    """Import ``glue_jobs/<script>`` (its ``main`` does not run) to read its declarations."""
    path = project / "glue_jobs" / script
    spec = importlib.util.spec_from_file_location(f"_glue_script_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pinned_module(project: Path, package: str) -> str:
    """``package==version`` as pinned in requirements.txt."""
    for line in (project / "requirements.txt").read_text().splitlines():
        if re.match(rf"^{re.escape(package)}==", line.strip(), re.IGNORECASE):
            return line.strip()
    raise ValueError(f"{package} is not pinned in requirements.txt")


def job_logical_id(name: str) -> str:
    return logical_id(name, "Job")


def default_arguments(project: Path, job: JobDefinition) -> dict[str, Any]:
    """Every ``DefaultArguments`` entry of ``job``: Glue's, the workflow file's, AWS-only ones."""
    script = script_name(job)
    args: dict[str, Any] = {
        "--extra-py-files": {"Fn::Sub": "s3://${CodeBucket}/${ReleasePrefix}/lakehouse.zip"},
        "--additional-python-modules": pinned_module(project, "openlineage-python"),
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-glue-datacatalog": "true",
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": {"Fn::Sub": f"s3://${{CodeBucket}}/spark-logs/{job.name}/"},
        # No job uses bookmarks: every run is keyed on its batch date and replaces its output.
        "--job-bookmark-option": "job-bookmark-disable",
        "--TempDir": {"Fn::Sub": f"s3://${{CodeBucket}}/tmp/{job.name}/"},
        "--lake_root": {"Fn::Sub": "s3://${LakeBucket}"},
        "--lineage_transport": {"Fn::If": ["HasLineageUrl", "http", "console"]},
        "--lineage_url": {
            "Fn::If": ["HasLineageUrl", {"Ref": "LineageUrl"}, {"Ref": "AWS::NoValue"}]
        },
    }
    if script.startswith("ingest_"):
        args.update(LANDING_ARGUMENT)
    args.update(job.default_arguments)
    args.update(AWS_ARGUMENTS.get(script, {}))
    return args


def _job(project: Path, job: JobDefinition) -> dict[str, Any]:
    script = script_name(job)
    if script not in ROLE_OF_SCRIPT:
        raise ValueError(f"no IAM role for {script}: add it to ROLE_OF_SCRIPT in {__name__}")
    streaming = job.is_streaming
    props: dict[str, Any] = {
        "Name": job.name,
        "Description": job.description or f"{script} (workflow {WORKFLOW_FILE})",
        "Role": {"Ref": ROLE_OF_SCRIPT[script]},
        "Command": {
            "Name": job.command_name,
            "ScriptLocation": {
                "Fn::Sub": f"s3://${{CodeBucket}}/${{ReleasePrefix}}/glue_jobs/{script}"
            },
            "PythonVersion": "3",
        },
        "GlueVersion": GLUE_VERSION,
        "WorkerType": {"Ref": "StreamingWorkerType" if streaming else "BatchWorkerType"},
        "NumberOfWorkers": (
            {"Ref": "TransformWorkers"} if script in TRANSFORM_SCRIPTS else job.number_of_workers
        ),
        "MaxRetries": job.max_retries,
        "ExecutionProperty": {"MaxConcurrentRuns": 1},
        "SecurityConfiguration": {"Ref": "SecurityConfiguration"},
        "DefaultArguments": default_arguments(project, job),
        "Tags": {"project": "lakehouse", "env": {"Ref": "Env"}},
    }
    # Streaming jobs run until stopped: no timeout (Timeout 0 in the workflow file).
    if job.timeout:
        props["Timeout"] = job.timeout
    if script in CONNECTIONS_OF_SCRIPT:
        props["Connections"] = {"Connections": [{"Ref": CONNECTIONS_OF_SCRIPT[script]}]}
    return {"Type": "AWS::Glue::Job", "Properties": props}


def _trigger(trigger: TriggerDefinition, streaming: set[str], start: bool) -> dict[str, Any] | None:
    actions = [a for a in trigger.actions if a.job_name not in streaming]
    conditions = [c for c in trigger.conditions if c.job_name not in streaming]
    if not actions or (not start and not conditions):
        return None
    props: dict[str, Any] = {
        "Name": trigger.name,
        "WorkflowName": {"Ref": "Workflow"},
        "Type": trigger.type,
        "Actions": [_action(a) for a in actions],
    }
    if trigger.description:
        props["Description"] = trigger.description
    if trigger.type == "SCHEDULED":
        props["Schedule"] = {"Ref": "Schedule"}
    if trigger.type in ("SCHEDULED", "CONDITIONAL"):
        # Without it a scheduled or conditional trigger stays CREATED and never fires.
        props["StartOnCreation"] = True
    if conditions:
        props["Predicate"] = {
            # Always set, also for one condition: Glue requires it from two on, and an explicit
            # AND keeps the meaning obvious.
            "Logical": trigger.logical or "AND",
            "Conditions": [
                {
                    "LogicalOperator": c.logical_operator,
                    "JobName": {"Ref": job_logical_id(c.job_name)},
                    "State": c.state,
                }
                for c in conditions
            ],
        }
    if trigger.event_batching_condition:
        props["EventBatchingCondition"] = dict(trigger.event_batching_condition)
    return {"Type": "AWS::Glue::Trigger", "Properties": props}


def _action(action: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"JobName": {"Ref": job_logical_id(action.job_name)}}
    if action.arguments:
        out["Arguments"] = dict(action.arguments)
    if action.timeout is not None:
        out["Timeout"] = action.timeout
    return out


PARAMETERS: dict[str, Any] = {
    "Env": {"Type": "String", "AllowedValues": ["dev", "prod"]},
    "ReleasePrefix": {
        "Type": "String",
        "Description": "Key prefix in the code bucket of this release (lakehouse.zip, glue_jobs/)",
    },
    "CodeBucket": {"Type": "String"},
    "LakeBucket": {"Type": "String"},
    "LandingBucket": {"Type": "String"},
    "KeyArn": {"Type": "String"},
    "IngestRoleArn": {"Type": "String"},
    "TransformRoleArn": {"Type": "String"},
    "DqRoleArn": {"Type": "String"},
    "PublishRoleArn": {"Type": "String"},
    "NotifyRoleArn": {"Type": "String"},
    "HubspotSecretName": {"Type": "String"},
    "FxSecretName": {"Type": "String"},
    "FxBaseUrl": {"Type": "String"},
    "SnowflakeConnectionName": {
        "Type": "String",
        "Description": "Glue connection of type SNOWFLAKE (created by make deploy: "
        "CloudFormation has no SNOWFLAKE connection type)",
    },
    "Schedule": {"Type": "String"},
    "BatchWorkerType": {"Type": "String", "AllowedValues": ["G.1X", "G.2X", "G.4X", "G.8X"]},
    "TransformWorkers": {"Type": "Number", "MinValue": 2, "MaxValue": 299},
    "StreamingWorkerType": {"Type": "String", "AllowedValues": ["G.025X", "G.1X", "G.2X"]},
    "KafkaBootstrapServers": {"Type": "String"},
    "KafkaTopic": {"Type": "String"},
    "SubnetId": {"Type": "String"},
    "SecurityGroupId": {"Type": "String"},
    "AvailabilityZone": {"Type": "String"},
    "LineageUrl": {"Type": "String", "Default": ""},
}


def render_jobs(project: Path, workflow: WorkflowDefinition) -> dict[str, Any]:
    """The jobs-and-workflows template for ``workflow`` as a dict."""
    streaming = {name for name, job in workflow.jobs.items() if job.is_streaming}
    resources: dict[str, Any] = {
        "SecurityConfiguration": {
            "Type": "AWS::Glue::SecurityConfiguration",
            "Properties": {
                "Name": {"Fn::Sub": "lakehouse-${Env}"},
                "EncryptionConfiguration": {
                    "S3Encryptions": [
                        {"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": {"Ref": "KeyArn"}}
                    ],
                    "CloudWatchEncryption": {
                        "CloudWatchEncryptionMode": "SSE-KMS",
                        "KmsKeyArn": {"Ref": "KeyArn"},
                    },
                    "JobBookmarksEncryption": {
                        "JobBookmarksEncryptionMode": "CSE-KMS",
                        "KmsKeyArn": {"Ref": "KeyArn"},
                    },
                },
            },
        },
        "KafkaConnection": {
            "Type": "AWS::Glue::Connection",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "ConnectionInput": {
                    "Name": {"Fn::Sub": "lakehouse-${Env}-msk"},
                    "Description": "MSK brokers of the order-events topic (TLS, in the VPC)",
                    "ConnectionType": "KAFKA",
                    "ConnectionProperties": {
                        "KAFKA_BOOTSTRAP_SERVERS": {"Ref": "KafkaBootstrapServers"},
                        "KAFKA_SSL_ENABLED": "true",
                    },
                    "PhysicalConnectionRequirements": {
                        "SubnetId": {"Ref": "SubnetId"},
                        "SecurityGroupIdList": [{"Ref": "SecurityGroupId"}],
                        "AvailabilityZone": {"Ref": "AvailabilityZone"},
                    },
                },
            },
        },
    }
    for name, job in workflow.jobs.items():
        resources[job_logical_id(name)] = _job(project, job)
    resources["Workflow"] = {
        "Type": "AWS::Glue::Workflow",
        "Properties": {
            "Name": workflow.name,
            "Description": workflow.description or "",
            "MaxConcurrentRuns": workflow.max_concurrent_runs or 1,
            "DefaultRunProperties": dict(workflow.default_run_properties or {}),
        },
    }
    for trigger in workflow.triggers:
        rendered = _trigger(trigger, streaming, trigger.is_start)
        if rendered is not None:
            resources[logical_id(trigger.name, "Trigger")] = rendered
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Lakehouse Glue jobs, workflow and triggers. GENERATED from {WORKFLOW_FILE} "
        "by `make render` (python -m lakehouse.deploy.render); do not edit by hand.",
        "Parameters": PARAMETERS,
        "Conditions": {"HasLineageUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "LineageUrl"}, ""]}]}},
        "Resources": resources,
        "Outputs": {
            "WorkflowName": {"Value": {"Ref": "Workflow"}},
            # Job lists for the monitoring stack (alarms and event rules per job).
            "JobNames": {"Value": ",".join(workflow.jobs)},
            "IngestJobNames": {
                "Value": ",".join(n for n in workflow.jobs if n.startswith("ingest_"))
            },
            "DqJobNames": {
                "Value": ",".join(
                    n for n, j in workflow.jobs.items() if script_name(j) == "dq_gate.py"
                )
            },
            "StreamingJobNames": {"Value": ",".join(sorted(streaming))},
        },
    }
