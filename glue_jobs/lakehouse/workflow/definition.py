"""Workflow definitions: load and validate a workflow YAML written in AWS Glue's own terms.

The file uses the property names of ``AWS::Glue::Workflow``, ``AWS::Glue::Job`` and
``AWS::Glue::Trigger`` so that one file drives both the local runner and the CloudFormation
rendering. Validation applies Glue's rules (one start trigger, predicate limits, job states, ...)
plus a few checks that catch typos early (unknown keys, undefined jobs, duplicate YAML keys).
Every problem found is collected, so one run of the loader reports them all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

JOB_STATES: tuple[str, ...] = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT")
"""The job-run states a trigger condition can test (Glue's ``Condition.State``)."""

COMMAND_NAMES: tuple[str, ...] = ("glueetl", "gluestreaming", "pythonshell")
TRIGGER_TYPES: tuple[str, ...] = ("ON_DEMAND", "SCHEDULED", "CONDITIONAL", "EVENT")
START_TRIGGER_TYPES: frozenset[str] = frozenset({"ON_DEMAND", "SCHEDULED", "EVENT"})
LOGICALS: tuple[str, ...] = ("AND", "ANY")
LOGICAL_OPERATORS: tuple[str, ...] = ("EQUALS",)
MAX_CONDITIONS = 500
MAX_TIMEOUT_MINUTES = 10_080  # Glue: a job timeout must be below 10,080 minutes (7 days)
MAX_WORKERS = 299

# Glue passes these itself; a definition must not set them.
RESERVED_ARGUMENTS: frozenset[str] = frozenset(
    {"--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID", "--WORKFLOW_NAME", "--WORKFLOW_RUN_ID"}
)

_TOP_LEVEL_KEYS = (
    "Name",
    "Description",
    "MaxConcurrentRuns",
    "DefaultRunProperties",
    "Jobs",
    "Triggers",
    "LocalRun",
)
_JOB_KEYS = (
    "Command",
    "Description",
    "GlueVersion",
    "DefaultArguments",
    "NonOverridableArguments",
    "WorkerType",
    "NumberOfWorkers",
    "Timeout",
    "MaxRetries",
)
_COMMAND_KEYS = ("Name", "ScriptLocation", "PythonVersion")
_TRIGGER_KEYS = (
    "Name",
    "Type",
    "Description",
    "Schedule",
    "StartOnCreation",
    "Predicate",
    "EventBatchingCondition",
    "Actions",
)
_PREDICATE_KEYS = ("Logical", "Conditions")
_CONDITION_KEYS = ("LogicalOperator", "JobName", "State")
_ACTION_KEYS = ("JobName", "Arguments", "Timeout")
_EVENT_BATCHING_KEYS = ("BatchSize", "BatchWindow")

# cron(minutes hours day-of-month month day-of-week year), as EventBridge/Glue schedules use.
_CRON_RE = re.compile(r"^cron\((?P<body>[^()]*)\)$")


class WorkflowDefinitionError(ValueError):
    """A workflow file is unreadable or breaks Glue's rules. ``problems`` lists every problem."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems: list[str] = list(problems)
        count = len(self.problems)
        header = (
            f"{source}: invalid workflow definition ({count} problem{'s' if count != 1 else ''})"
        )
        super().__init__(header + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


@dataclass(frozen=True)
class Condition:
    """One predicate condition: the named job's run in this workflow run ended in ``state``."""

    job_name: str
    state: str
    logical_operator: str = "EQUALS"


@dataclass(frozen=True)
class Action:
    """Start ``job_name``; ``arguments`` override the job's DefaultArguments for that run."""

    job_name: str
    arguments: dict[str, str] = field(default_factory=dict)
    timeout: int | None = None  # minutes; overrides the job's Timeout for runs this action starts


@dataclass(frozen=True)
class JobDefinition:
    name: str
    command_name: str  # glueetl | gluestreaming | pythonshell
    script_location: str
    python_version: str | None = None
    description: str | None = None
    glue_version: str | None = None
    default_arguments: dict[str, str] = field(default_factory=dict)
    non_overridable_arguments: dict[str, str] = field(default_factory=dict)
    worker_type: str | None = None
    number_of_workers: int | None = None
    timeout: int | None = None  # minutes; 0 = no timeout; None = not set (Glue's default)
    max_retries: int = 0

    @property
    def is_streaming(self) -> bool:
        return self.command_name == "gluestreaming"


@dataclass(frozen=True)
class TriggerDefinition:
    name: str
    type: str  # ON_DEMAND | SCHEDULED | CONDITIONAL | EVENT
    actions: tuple[Action, ...]
    schedule: str | None = None
    logical: str | None = None  # AND | ANY, CONDITIONAL only
    conditions: tuple[Condition, ...] = ()
    description: str | None = None
    start_on_creation: bool | None = None
    event_batching_condition: dict[str, int] | None = None

    @property
    def is_start(self) -> bool:
        return self.type in START_TRIGGER_TYPES

    @property
    def action_job_names(self) -> tuple[str, ...]:
        return tuple(a.job_name for a in self.actions)

    @property
    def condition_job_names(self) -> tuple[str, ...]:
        return tuple(c.job_name for c in self.conditions)


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    jobs: dict[str, JobDefinition]  # in file order
    triggers: tuple[TriggerDefinition, ...]  # in file order
    description: str | None = None
    max_concurrent_runs: int | None = None
    default_run_properties: dict[str, str] = field(default_factory=dict)
    local_run: dict[str, Any] = field(default_factory=dict)
    source: Path | None = field(default=None, compare=False)

    @property
    def start_trigger(self) -> TriggerDefinition:
        return next(t for t in self.triggers if t.is_start)

    @property
    def conditional_triggers(self) -> tuple[TriggerDefinition, ...]:
        return tuple(t for t in self.triggers if t.type == "CONDITIONAL")

    @property
    def job_names(self) -> tuple[str, ...]:
        return tuple(self.jobs)

    def trigger(self, name: str) -> TriggerDefinition:
        for t in self.triggers:
            if t.name == name:
                return t
        raise KeyError(name)

    def triggers_starting(self, job_name: str) -> tuple[TriggerDefinition, ...]:
        """The triggers that have ``job_name`` among their actions."""
        return tuple(t for t in self.triggers if job_name in t.action_job_names)

    def downstream_jobs(self, job_name: str) -> set[str]:
        """Every job a conditional trigger could start, directly or transitively, after ``job_name``."""
        edges = _job_edges(self.conditional_triggers)
        seen: set[str] = set()
        stack = [job_name]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen


# --------------------------------------------------------------------------------------------
# Loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # unhashable key: let construct_mapping report it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def load_workflow(path: str | Path) -> WorkflowDefinition:
    """Read, parse and validate a workflow YAML file.

    Raises ``WorkflowDefinitionError`` (a ``ValueError``) listing every problem, and
    ``FileNotFoundError`` when the file does not exist.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise WorkflowDefinitionError(str(path), [f"not valid YAML: {exc}"]) from exc
    return workflow_from_dict(data, source=path)


def workflow_from_dict(data: Any, *, source: str | Path = "<workflow>") -> WorkflowDefinition:
    """Validate already-parsed YAML/JSON data and build the model (what ``load_workflow`` does
    after reading the file)."""
    source_path = Path(source) if isinstance(source, Path) else None
    parser = _Parser()
    workflow = parser.parse(data, source_path)
    if parser.problems:
        raise WorkflowDefinitionError(str(source), parser.problems)
    assert workflow is not None
    return workflow


def find_workflow(name: str, workflows_dir: str | Path) -> Path:
    """Locate a workflow by name: ``<dir>/<name>.yaml`` / ``.yml``, else a file in ``dir`` whose
    top-level ``Name`` is ``name``. A path to an existing file is returned as is."""
    direct = Path(name)
    if direct.suffix in (".yaml", ".yml") and direct.is_file():
        return direct
    workflows_dir = Path(workflows_dir)
    for suffix in (".yaml", ".yml"):
        candidate = workflows_dir / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    available: list[str] = []
    if workflows_dir.is_dir():
        for candidate in sorted([*workflows_dir.glob("*.yaml"), *workflows_dir.glob("*.yml")]):
            try:
                data = yaml.safe_load(candidate.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                continue
            declared = data.get("Name") if isinstance(data, dict) else None
            if declared == name:
                return candidate
            available.append(str(declared) if isinstance(declared, str) else candidate.stem)
    hint = f" (available: {', '.join(available)})" if available else " (no workflow files found)"
    raise FileNotFoundError(f"no workflow named {name!r} in {workflows_dir}{hint}")


# --------------------------------------------------------------------------------------------
# Validation


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _job_edges(triggers: Iterable[TriggerDefinition]) -> dict[str, list[str]]:
    """job -> jobs started by a conditional trigger that has a condition on that job."""
    edges: dict[str, list[str]] = {}
    for trig in triggers:
        for cond_job in dict.fromkeys(trig.condition_job_names):
            for act_job in trig.action_job_names:
                targets = edges.setdefault(cond_job, [])
                if act_job not in targets:
                    targets.append(act_job)
    return edges


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Parser:
    def __init__(self) -> None:
        self.problems: list[str] = []
        # (where, what, job name) for every JobName seen, even in otherwise broken entries
        self.job_refs: list[tuple[str, str, str]] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def check_keys(self, where: str, data: Mapping[Any, Any], allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.problem(
                    where,
                    f"unknown key {key!r}{_suggest(str(key), allowed)}"
                    f" (allowed: {', '.join(allowed)})",
                )

    def mapping(self, where: str, value: Any, what: str) -> Mapping[Any, Any] | None:
        if not isinstance(value, Mapping):
            self.problem(where, f"{what} must be a mapping, got {type(value).__name__}")
            return None
        return value

    def string(
        self, where: str, data: Mapping[Any, Any], key: str, *, required: bool
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(where, f"{key} is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"{key} must be a non-empty string, got {value!r}")
            return None
        return value

    def integer(
        self,
        where: str,
        data: Mapping[Any, Any],
        key: str,
        *,
        minimum: int,
        below: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if not _is_int(value):
            self.problem(where, f"{key} must be an integer, got {value!r}")
            return None
        if value < minimum:
            self.problem(where, f"{key} must be at least {minimum}, got {value}")
            return None
        if below is not None and value >= below:
            self.problem(where, f"{key} must be below {below}, got {value}")
            return None
        if maximum is not None and value > maximum:
            self.problem(where, f"{key} must be at most {maximum}, got {value}")
            return None
        return value

    def string_map(self, where: str, value: Any, what: str) -> dict[str, str]:
        if value is None:
            return {}
        data = self.mapping(where, value, what)
        if data is None:
            return {}
        result: dict[str, str] = {}
        for key, val in data.items():
            if not isinstance(key, str):
                self.problem(where, f"{what} key {key!r} must be a string")
                continue
            if not isinstance(val, str):
                self.problem(
                    where,
                    f"{what} value for {key!r} must be a string, got {val!r} (quote it in YAML)",
                )
                continue
            result[key] = val
        return result

    def arguments(self, where: str, value: Any, what: str) -> dict[str, str]:
        args = self.string_map(where, value, what)
        for key in list(args):
            if not key.startswith("--"):
                self.problem(where, f"{what} key {key!r} must start with '--' (e.g. '--{key}')")
                del args[key]
            elif key in RESERVED_ARGUMENTS:
                self.problem(where, f"{what} must not set {key}: Glue passes it itself")
                del args[key]
        return args

    # ----------------------------------------------------------------------------------------

    def parse(self, data: Any, source: Path | None) -> WorkflowDefinition | None:
        if not isinstance(data, Mapping):
            kind = "empty" if data is None else type(data).__name__
            self.problem(
                "", f"the file must contain a mapping with Name, Jobs and Triggers, got {kind}"
            )
            return None
        self.check_keys("top level", data, _TOP_LEVEL_KEYS)
        name = self.string("top level", data, "Name", required=True) or "<unnamed>"
        description = self.string("top level", data, "Description", required=False)
        max_runs = self.integer("top level", data, "MaxConcurrentRuns", minimum=1)
        run_props = self.string_map(
            "top level", data.get("DefaultRunProperties"), "DefaultRunProperties"
        )

        local_run: dict[str, Any] = {}
        if data.get("LocalRun") is not None:
            lr = self.mapping("top level", data["LocalRun"], "LocalRun")
            local_run = dict(lr) if lr is not None else {}

        jobs = self.parse_jobs(data.get("Jobs"))
        triggers = self.parse_triggers(data.get("Triggers"))
        self.check_graph(jobs, triggers)
        return WorkflowDefinition(
            name=name,
            jobs=jobs,
            triggers=tuple(triggers),
            description=description,
            max_concurrent_runs=max_runs,
            default_run_properties=run_props,
            local_run=local_run,
            source=source,
        )

    def parse_jobs(self, value: Any) -> dict[str, JobDefinition]:
        if value is None:
            self.problem("top level", "Jobs is required (a mapping of job name -> job)")
            return {}
        data = self.mapping("top level", value, "Jobs")
        if data is None:
            return {}
        if not data:
            self.problem("top level", "Jobs must define at least one job")
        jobs: dict[str, JobDefinition] = {}
        for job_name, spec in data.items():
            if not isinstance(job_name, str) or not job_name.strip():
                self.problem("Jobs", f"job name {job_name!r} must be a non-empty string")
                continue
            job = self.parse_job(job_name, spec)
            if job is not None:
                jobs[job_name] = job
            else:  # keep the name known so references to it don't add noise
                jobs[job_name] = JobDefinition(job_name, "glueetl", "")
        return jobs

    def parse_job(self, job_name: str, spec: Any) -> JobDefinition | None:
        where = f"job {job_name!r}"
        data = self.mapping(where, spec, "the job")
        if data is None:
            return None
        self.check_keys(where, data, _JOB_KEYS)
        command_name, script, python_version = "glueetl", "", None
        if data.get("Command") is None:
            self.problem(
                where, "Command is required (Command: {Name: glueetl, ScriptLocation: ...})"
            )
        else:
            command = self.mapping(where, data["Command"], "Command")
            if command is not None:
                cwhere = f"{where} Command"
                self.check_keys(cwhere, command, _COMMAND_KEYS)
                cname = self.string(cwhere, command, "Name", required=True)
                if cname is not None:
                    if cname in COMMAND_NAMES:
                        command_name = cname
                    else:
                        self.problem(
                            cwhere,
                            f"Name {cname!r} is not a supported command"
                            f"{_suggest(cname, COMMAND_NAMES)} (allowed: {', '.join(COMMAND_NAMES)})",
                        )
                script = self.string(cwhere, command, "ScriptLocation", required=True) or ""
                pv = command.get("PythonVersion")
                if pv is not None:
                    python_version = str(pv)
        return JobDefinition(
            name=job_name,
            command_name=command_name,
            script_location=script,
            python_version=python_version,
            description=self.string(where, data, "Description", required=False),
            glue_version=(
                str(data["GlueVersion"]) if data.get("GlueVersion") is not None else None
            ),
            default_arguments=self.arguments(
                where, data.get("DefaultArguments"), "DefaultArguments"
            ),
            non_overridable_arguments=self.arguments(
                where, data.get("NonOverridableArguments"), "NonOverridableArguments"
            ),
            worker_type=self.string(where, data, "WorkerType", required=False),
            number_of_workers=self.integer(
                where, data, "NumberOfWorkers", minimum=1, maximum=MAX_WORKERS
            ),
            timeout=self.integer(where, data, "Timeout", minimum=0, below=MAX_TIMEOUT_MINUTES),
            max_retries=self.integer(where, data, "MaxRetries", minimum=0) or 0,
        )

    def parse_triggers(self, value: Any) -> list[TriggerDefinition]:
        if value is None:
            self.problem("top level", "Triggers is required (a list of triggers)")
            return []
        if not isinstance(value, list):
            self.problem("top level", f"Triggers must be a list, got {type(value).__name__}")
            return []
        triggers: list[TriggerDefinition] = []
        seen: set[str] = set()
        for index, spec in enumerate(value, start=1):
            trig = self.parse_trigger(index, spec)
            if trig is None:
                continue
            if trig.name in seen:
                self.problem(
                    f"trigger {trig.name!r}", "duplicate trigger name (names must be unique)"
                )
                continue
            seen.add(trig.name)
            triggers.append(trig)
        return triggers

    def parse_trigger(self, index: int, spec: Any) -> TriggerDefinition | None:
        where = f"trigger #{index}"
        data = self.mapping(where, spec, "the trigger")
        if data is None:
            return None
        name = self.string(where, data, "Name", required=True)
        if name is not None:
            where = f"trigger {name!r}"
        else:
            name = f"#{index}"
        self.check_keys(where, data, _TRIGGER_KEYS)

        ttype = self.string(where, data, "Type", required=True)
        if ttype is not None and ttype not in TRIGGER_TYPES:
            self.problem(
                where,
                f"Type {ttype!r} is not valid{_suggest(ttype, TRIGGER_TYPES)}"
                f" (allowed: {', '.join(TRIGGER_TYPES)})",
            )
            ttype = None

        schedule = self.string(where, data, "Schedule", required=False)
        if ttype == "SCHEDULED":
            if schedule is None and "Schedule" not in data:
                self.problem(
                    where, "a SCHEDULED trigger needs a Schedule such as 'cron(0 2 * * ? *)'"
                )
            elif schedule is not None:
                match = _CRON_RE.match(schedule.strip())
                if match is None:
                    self.problem(where, f"Schedule {schedule!r} must be a 'cron(...)' expression")
                elif len(match.group("body").split()) != 6:
                    self.problem(
                        where,
                        f"Schedule {schedule!r} must have 6 fields: "
                        "cron(minutes hours day-of-month month day-of-week year)",
                    )
        elif schedule is not None and ttype is not None:
            self.problem(where, f"Schedule is only allowed on SCHEDULED triggers, not {ttype}")

        start_on_creation = data.get("StartOnCreation")
        if start_on_creation is not None and not isinstance(start_on_creation, bool):
            self.problem(where, f"StartOnCreation must be true or false, got {start_on_creation!r}")
            start_on_creation = None

        batching: dict[str, int] | None = None
        if data.get("EventBatchingCondition") is not None:
            if ttype is not None and ttype != "EVENT":
                self.problem(where, "EventBatchingCondition is only allowed on EVENT triggers")
            ebc = self.mapping(where, data["EventBatchingCondition"], "EventBatchingCondition")
            if ebc is not None:
                bwhere = f"{where} EventBatchingCondition"
                self.check_keys(bwhere, ebc, _EVENT_BATCHING_KEYS)
                if ebc.get("BatchSize") is None:
                    self.problem(bwhere, "BatchSize is required")
                size = self.integer(bwhere, ebc, "BatchSize", minimum=1, maximum=100)
                window = self.integer(bwhere, ebc, "BatchWindow", minimum=1, maximum=900)
                batching = {
                    k: v for k, v in (("BatchSize", size), ("BatchWindow", window)) if v is not None
                }

        logical, conditions = self.parse_predicate(where, ttype, data)
        actions = self.parse_actions(where, data.get("Actions"))
        return TriggerDefinition(
            name=name,
            type=ttype or "",
            actions=tuple(actions),
            schedule=schedule,
            logical=logical,
            conditions=tuple(conditions),
            description=self.string(where, data, "Description", required=False),
            start_on_creation=start_on_creation,
            event_batching_condition=batching,
        )

    def parse_predicate(
        self, where: str, ttype: str | None, data: Mapping[Any, Any]
    ) -> tuple[str | None, list[Condition]]:
        raw = data.get("Predicate")
        if ttype != "CONDITIONAL":
            if raw is not None and ttype is not None:
                self.problem(
                    where, f"Predicate is only allowed on CONDITIONAL triggers, not {ttype}"
                )
            return None, []
        if raw is None:
            self.problem(where, "a CONDITIONAL trigger needs a Predicate with Conditions")
            return None, []
        pred = self.mapping(where, raw, "Predicate")
        if pred is None:
            return None, []
        pwhere = f"{where} Predicate"
        self.check_keys(pwhere, pred, _PREDICATE_KEYS)
        raw_conditions = pred.get("Conditions")
        if not isinstance(raw_conditions, list) or not raw_conditions:
            self.problem(pwhere, "Conditions must be a non-empty list")
            raw_conditions = []
        elif len(raw_conditions) > MAX_CONDITIONS:
            self.problem(
                pwhere,
                f"has {len(raw_conditions)} conditions; Glue allows at most {MAX_CONDITIONS}",
            )

        logical = pred.get("Logical")
        if logical is None:
            if len(raw_conditions) >= 2:
                self.problem(
                    pwhere, "Logical (AND or ANY) is required when there are 2+ conditions"
                )
            logical = "AND"
        elif logical not in LOGICALS:
            self.problem(pwhere, f"Logical must be AND or ANY, got {logical!r}")
            logical = "AND"

        conditions: list[Condition] = []
        for index, spec in enumerate(raw_conditions, start=1):
            cwhere = f"{where} condition {index}"
            cond = self.mapping(cwhere, spec, "the condition")
            if cond is None:
                continue
            self.check_keys(cwhere, cond, _CONDITION_KEYS)
            operator = cond.get("LogicalOperator", "EQUALS")
            if operator not in LOGICAL_OPERATORS:
                self.problem(cwhere, f"LogicalOperator must be EQUALS, got {operator!r}")
            job = self.string(cwhere, cond, "JobName", required=True)
            if job is not None:
                self.job_refs.append((where, "condition on job", job))
            state = self.string(cwhere, cond, "State", required=True)
            if state is not None and state not in JOB_STATES:
                self.problem(
                    cwhere,
                    f"State {state!r} is not a job state{_suggest(state, JOB_STATES)}"
                    f" (allowed: {', '.join(JOB_STATES)})",
                )
                state = None
            if job is None or state is None:
                continue
            condition = Condition(job_name=job, state=state)
            if condition in conditions:
                self.problem(cwhere, f"duplicates an earlier condition ({job} {state})")
                continue
            conditions.append(condition)

        if logical == "AND":
            states: dict[str, set[str]] = {}
            for c in conditions:
                states.setdefault(c.job_name, set()).add(c.state)
            for job, job_states in states.items():
                if len(job_states) > 1:
                    self.problem(
                        pwhere,
                        f"Logical AND requires job {job!r} to end in {sorted(job_states)} at once,"
                        " so the trigger can never fire (use ANY?)",
                    )
        return logical, conditions

    def parse_actions(self, where: str, value: Any) -> list[Action]:
        if value is None or (isinstance(value, list) and not value):
            self.problem(where, "Actions must list at least one job to start")
            return []
        if not isinstance(value, list):
            self.problem(where, f"Actions must be a list, got {type(value).__name__}")
            return []
        actions: list[Action] = []
        for index, spec in enumerate(value, start=1):
            awhere = f"{where} action {index}"
            data = self.mapping(awhere, spec, "the action")
            if data is None:
                continue
            if "CrawlerName" in data:
                self.problem(awhere, "crawler actions are not supported (use JobName)")
                continue
            self.check_keys(awhere, data, _ACTION_KEYS)
            job = self.string(awhere, data, "JobName", required=True)
            if job is not None:
                self.job_refs.append((where, "action starts job", job))
            args = self.arguments(awhere, data.get("Arguments"), "Arguments")
            timeout = self.integer(awhere, data, "Timeout", minimum=1, below=MAX_TIMEOUT_MINUTES)
            if job is None:
                continue
            if any(a.job_name == job for a in actions):
                self.problem(awhere, f"job {job!r} is already an action of this trigger")
                continue
            actions.append(Action(job_name=job, arguments=args, timeout=timeout))
        return actions

    def check_graph(
        self, jobs: Mapping[str, JobDefinition], triggers: list[TriggerDefinition]
    ) -> None:
        for where, what, job in dict.fromkeys(self.job_refs):
            if job not in jobs:
                self.problem(
                    where, f"{what} {job!r}, which is not defined in Jobs{_suggest(job, jobs)}"
                )

        starts = [t for t in triggers if t.is_start]
        if not starts:
            self.problem(
                "Triggers",
                "no start trigger: a workflow needs exactly one trigger of type "
                "ON_DEMAND, SCHEDULED or EVENT",
            )
        elif len(starts) > 1:
            names = ", ".join(repr(t.name) for t in starts)
            self.problem(
                "Triggers",
                f"{len(starts)} start triggers ({names}): a workflow has exactly one "
                "ON_DEMAND, SCHEDULED or EVENT trigger",
            )

        conditionals = [t for t in triggers if t.type == "CONDITIONAL"]
        for start in starts:
            for job in start.action_job_names:
                also = [t.name for t in conditionals if job in t.action_job_names]
                if also:
                    self.problem(
                        f"job {job!r}",
                        f"is started both by the start trigger {start.name!r} and by the "
                        f"conditional trigger(s) {', '.join(map(repr, also))}",
                    )

        started = {a.job_name for t in triggers for a in t.actions}
        for job in jobs:
            if job not in started:
                self.problem(f"job {job!r}", "no trigger starts this job, so it would never run")

        for cycle in _find_cycles(_job_edges(conditionals)):
            self.problem(
                "Triggers",
                "cycle in the trigger graph (a job would trigger itself): " + " -> ".join(cycle),
            )


def _find_cycles(edges: Mapping[str, list[str]]) -> Iterator[list[str]]:
    """Yield one cycle (as a closed path) per strongly connected group of jobs that loops."""
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> Iterator[list[str]]:
        colour[node] = grey
        path.append(node)
        for nxt in edges.get(node, ()):
            state = colour.get(nxt, white)
            if state == grey:
                cycle = [*path[path.index(nxt) :], nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    yield cycle
            elif state == white:
                yield from visit(nxt, path)
        path.pop()
        colour[node] = black

    for node in list(edges):
        if colour.get(node, white) == white:
            yield from visit(node, [])
