"""Workflow definitions (Glue's Workflow/Job/Trigger terms) and a local runner with Glue's
trigger semantics."""

from .definition import (
    JOB_STATES,
    Action,
    Condition,
    JobDefinition,
    TriggerDefinition,
    WorkflowDefinition,
    WorkflowDefinitionError,
    find_workflow,
    load_workflow,
    workflow_from_dict,
)
from .runner import (
    JobExecutor,
    JobInvocation,
    JobResult,
    NodeResult,
    NodeState,
    RunListener,
    WorkflowInterrupted,
    WorkflowRunResult,
    build_argv,
    new_job_run_id,
    new_run_id,
    run_workflow,
)

__all__ = [
    "JOB_STATES",
    "Action",
    "Condition",
    "JobDefinition",
    "JobExecutor",
    "JobInvocation",
    "JobResult",
    "NodeResult",
    "NodeState",
    "RunListener",
    "TriggerDefinition",
    "WorkflowDefinition",
    "WorkflowDefinitionError",
    "WorkflowInterrupted",
    "WorkflowRunResult",
    "build_argv",
    "find_workflow",
    "load_workflow",
    "new_job_run_id",
    "new_run_id",
    "run_workflow",
    "workflow_from_dict",
]
