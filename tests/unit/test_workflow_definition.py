"""Loading and validating workflow definitions (Glue's Workflow/Job/Trigger rules)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from lakehouse.workflow import (
    WorkflowDefinitionError,
    find_workflow,
    load_workflow,
    workflow_from_dict,
)

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / "workflows"


def cond(job: str, state: str = "SUCCEEDED") -> dict:
    return {"LogicalOperator": "EQUALS", "JobName": job, "State": state}


BASE: dict = {
    "Name": "wf",
    "Description": "a small valid workflow",
    "MaxConcurrentRuns": 1,
    "DefaultRunProperties": {"batch_date": "2026-01-01"},
    "Jobs": {
        "extract": {
            "Command": {"Name": "glueetl", "ScriptLocation": "glue_jobs/extract.py"},
            "DefaultArguments": {"--lake_root": ".lake"},
            "NonOverridableArguments": {"--env": "local"},
            "WorkerType": "G.1X",
            "NumberOfWorkers": 2,
            "Timeout": 30,
            "MaxRetries": 1,
        },
        "load": {"Command": {"Name": "pythonshell", "ScriptLocation": "glue_jobs/load.py"}},
        "notify": {"Command": {"Name": "pythonshell", "ScriptLocation": "glue_jobs/notify.py"}},
    },
    "Triggers": [
        {
            "Name": "start",
            "Type": "SCHEDULED",
            "Schedule": "cron(0 2 * * ? *)",
            "Actions": [{"JobName": "extract", "Arguments": {"--mode": "full"}, "Timeout": 10}],
        },
        {
            "Name": "extracted",
            "Type": "CONDITIONAL",
            "Predicate": {"Conditions": [cond("extract")]},  # one condition: Logical optional
            "Actions": [{"JobName": "load"}],
        },
        {
            "Name": "failed",
            "Type": "CONDITIONAL",
            "Predicate": {
                "Logical": "ANY",
                "Conditions": [cond("extract", "FAILED"), cond("load", "FAILED")],
            },
            "Actions": [{"JobName": "notify"}],
        },
    ],
    "LocalRun": {"StreamingJobs": "availableNow"},
}


def base() -> dict:
    return copy.deepcopy(BASE)


def trig(data: dict, name: str) -> dict:
    return next(t for t in data["Triggers"] if t["Name"] == name)


def problems_of(data: dict) -> str:
    with pytest.raises(WorkflowDefinitionError) as info:
        workflow_from_dict(data, source="wf.yaml")
    return str(info.value)


# --------------------------------------------------------------------------------------------
# valid definitions


def test_the_real_daily_batch_loads_and_validates():
    wf = load_workflow(WORKFLOWS / "daily_batch.yaml")
    assert wf.name == "daily_batch"
    assert wf.max_concurrent_runs == 1
    assert list(wf.jobs) == [
        "ingest_hubspot_contacts",
        "ingest_snowflake_orders",
        "ingest_vendor_products",
        "ingest_fx_rates",
        "ingest_order_events",
        "dq_bronze",
        "bronze_to_silver",
        "dq_silver",
        "silver_to_gold",
        "dq_gold",
        "publish_gold",
        "notify_failure",
    ]
    start = wf.start_trigger
    assert (start.name, start.type, start.schedule) == (
        "daily_batch_start",
        "SCHEDULED",
        "cron(0 2 * * ? *)",
    )
    assert len(start.actions) == 5
    bronze_ready = wf.trigger("bronze_ready")
    assert bronze_ready.logical == "AND" and len(bronze_ready.conditions) == 5
    assert bronze_ready.action_job_names == ("dq_bronze",)
    # every promotion waits for its gate's SUCCEEDED, and only for that
    for gate, step in [("dq_bronze", "bronze_to_silver"), ("dq_silver", "silver_to_gold"),
                       ("dq_gold", "publish_gold")]:  # fmt: skip
        (trigger,) = wf.triggers_starting(step)
        assert [(c.job_name, c.state) for c in trigger.conditions] == [(gate, "SUCCEEDED")]
    gates = {name: wf.jobs[name] for name in ("dq_bronze", "dq_silver", "dq_gold")}
    assert {j.script_location for j in gates.values()} == {"glue_jobs/dq_gate.py"}
    assert [j.default_arguments["--layer"] for j in gates.values()] == ["bronze", "silver", "gold"]
    failure = wf.trigger("on_failure")
    assert failure.logical == "ANY" and failure.action_job_names == ("notify_failure",)
    watched = {(c.job_name, c.state) for c in failure.conditions}
    others = [j for j in wf.jobs if j != "notify_failure"]
    assert watched == {(j, s) for j in others for s in ("FAILED", "TIMEOUT")}
    streaming = wf.jobs["ingest_order_events"]
    assert streaming.is_streaming and streaming.timeout == 0 and streaming.worker_type == "G.025X"
    assert wf.jobs["bronze_to_silver"].number_of_workers == 4
    assert wf.local_run == {"StreamingJobs": "availableNow"}
    assert wf.downstream_jobs("ingest_fx_rates") == {
        "dq_bronze", "bronze_to_silver", "dq_silver", "silver_to_gold", "dq_gold", "publish_gold",
        "notify_failure",
    }  # fmt: skip
    assert wf.source == WORKFLOWS / "daily_batch.yaml"


def test_a_full_definition_is_modelled():
    wf = workflow_from_dict(base())
    extract = wf.jobs["extract"]
    assert extract.command_name == "glueetl"
    assert extract.script_location == "glue_jobs/extract.py"
    assert extract.default_arguments == {"--lake_root": ".lake"}
    assert extract.non_overridable_arguments == {"--env": "local"}
    assert (extract.timeout, extract.max_retries, extract.number_of_workers) == (30, 1, 2)
    assert wf.jobs["load"].timeout is None and wf.jobs["load"].max_retries == 0
    action = wf.start_trigger.actions[0]
    assert (action.job_name, action.arguments, action.timeout) == (
        "extract",
        {"--mode": "full"},
        10,
    )
    extracted = wf.trigger("extracted")
    assert extracted.logical == "AND"  # default for a single condition
    assert extracted.conditions[0].job_name == "extract"
    assert extracted.conditions[0].state == "SUCCEEDED"
    assert extracted.conditions[0].logical_operator == "EQUALS"
    assert wf.trigger("failed").logical == "ANY"
    assert wf.default_run_properties == {"batch_date": "2026-01-01"}
    assert [t.name for t in wf.conditional_triggers] == ["extracted", "failed"]
    assert [t.name for t in wf.triggers_starting("notify")] == ["failed"]


@pytest.mark.parametrize("start_type", ["ON_DEMAND", "EVENT"])
def test_other_start_trigger_types(start_type):
    data = base()
    start = trig(data, "start")
    start["Type"] = start_type
    del start["Schedule"]
    if start_type == "EVENT":
        start["EventBatchingCondition"] = {"BatchSize": 1, "BatchWindow": 900}
    wf = workflow_from_dict(data)
    assert wf.start_trigger.type == start_type


def test_a_job_may_be_started_by_two_conditional_triggers():
    data = base()
    trig(data, "extracted")["Actions"].append({"JobName": "notify"})
    workflow_from_dict(data)


# --------------------------------------------------------------------------------------------
# every rule rejects a bad definition with a message naming the problem

Mutation = Callable[[dict], None]


def _trigger(name: str, fn: Callable[[dict], None]) -> Mutation:
    return lambda data: fn(trig(data, name))


def _add_trigger(spec: dict) -> Mutation:
    return lambda data: data["Triggers"].append(spec)


def _many_conditions(data: dict, count: int) -> None:
    names = [f"j{i}" for i in range(count)]
    data["Jobs"].update(
        {n: {"Command": {"Name": "glueetl", "ScriptLocation": "x.py"}} for n in names}
    )
    trig(data, "start")["Actions"] += [{"JobName": n} for n in names]
    trig(data, "failed")["Predicate"]["Conditions"] = [cond(n) for n in names]


CASES: list[tuple[str, Mutation, list[str]]] = [
    (
        "no start trigger",
        _trigger(
            "start",
            lambda t: (
                t.update(Type="CONDITIONAL", Predicate={"Conditions": [cond("load")]}),
                t.pop("Schedule"),
            ),
        ),
        ["no start trigger"],
    ),
    (
        "two start triggers",
        _add_trigger({"Name": "again", "Type": "ON_DEMAND", "Actions": [{"JobName": "extract"}]}),
        ["2 start triggers", "'start'", "'again'"],
    ),
    (
        "conditional without predicate",
        _trigger("extracted", lambda t: t.pop("Predicate")),
        ["trigger 'extracted'", "needs a Predicate"],
    ),
    (
        "empty conditions",
        _trigger("extracted", lambda t: t["Predicate"].update(Conditions=[])),
        ["trigger 'extracted' Predicate", "Conditions must be a non-empty list"],
    ),
    (
        "more than 500 conditions",
        lambda d: _many_conditions(d, 501),
        ["trigger 'failed' Predicate", "501 conditions", "at most 500"],
    ),
    (
        "Logical missing with two conditions",
        _trigger("failed", lambda t: t["Predicate"].pop("Logical")),
        ["trigger 'failed' Predicate", "Logical (AND or ANY) is required"],
    ),
    (
        "Logical OR",
        _trigger("failed", lambda t: t["Predicate"].update(Logical="OR")),
        ["trigger 'failed' Predicate", "Logical must be AND or ANY", "'OR'"],
    ),
    (
        "LogicalOperator not EQUALS",
        _trigger(
            "extracted",
            lambda t: t["Predicate"]["Conditions"][0].update(LogicalOperator="NOT_EQUALS"),
        ),
        ["trigger 'extracted' condition 1", "LogicalOperator must be EQUALS"],
    ),
    (
        "unknown job state",
        _trigger("extracted", lambda t: t["Predicate"]["Conditions"][0].update(State="SUCCESS")),
        [
            "trigger 'extracted' condition 1",
            "'SUCCESS' is not a job state",
            "did you mean 'SUCCEEDED'",
        ],
    ),
    (
        "crawler state is not a job state",
        _trigger("extracted", lambda t: t["Predicate"]["Conditions"][0].update(State="CANCELLED")),
        ["'CANCELLED' is not a job state"],
    ),
    (
        "condition on undefined job",
        _trigger("extracted", lambda t: t["Predicate"]["Conditions"][0].update(JobName="extrct")),
        [
            "trigger 'extracted'",
            "condition on job 'extrct'",
            "not defined in Jobs",
            "did you mean 'extract'",
        ],
    ),
    (
        "action on undefined job",
        _trigger("extracted", lambda t: t["Actions"].append({"JobName": "publish"})),
        ["trigger 'extracted'", "action starts job 'publish'", "not defined in Jobs"],
    ),
    (
        "SCHEDULED without Schedule",
        _trigger("start", lambda t: t.pop("Schedule")),
        ["trigger 'start'", "SCHEDULED trigger needs a Schedule"],
    ),
    (
        "Schedule not cron",
        _trigger("start", lambda t: t.update(Schedule="rate(1 day)")),
        ["trigger 'start'", "'rate(1 day)'", "cron(...)"],
    ),
    (
        "cron with 5 fields",
        _trigger("start", lambda t: t.update(Schedule="cron(0 2 * * ?)")),
        ["trigger 'start'", "must have 6 fields"],
    ),
    (
        "Schedule on a conditional trigger",
        _trigger("extracted", lambda t: t.update(Schedule="cron(0 2 * * ? *)")),
        ["trigger 'extracted'", "Schedule is only allowed on SCHEDULED triggers"],
    ),
    (
        "Predicate on the start trigger",
        _trigger("start", lambda t: t.update(Predicate={"Conditions": [cond("load")]})),
        ["trigger 'start'", "Predicate is only allowed on CONDITIONAL triggers"],
    ),
    (
        "duplicate trigger names",
        _trigger("failed", lambda t: t.update(Name="extracted")),
        ["trigger 'extracted'", "duplicate trigger name"],
    ),
    (
        "empty actions",
        _trigger("extracted", lambda t: t.update(Actions=[])),
        ["trigger 'extracted'", "Actions must list at least one job"],
    ),
    (
        "missing actions",
        _trigger("extracted", lambda t: t.pop("Actions")),
        ["trigger 'extracted'", "Actions must list at least one job"],
    ),
    (
        "same job twice in one trigger",
        _trigger("start", lambda t: t["Actions"].append({"JobName": "extract"})),
        ["trigger 'start' action 2", "already an action of this trigger"],
    ),
    (
        "invalid trigger type",
        _trigger("extracted", lambda t: t.update(Type="CONDITIONNAL")),
        ["trigger 'extracted'", "Type 'CONDITIONNAL' is not valid", "did you mean 'CONDITIONAL'"],
    ),
    (
        "invalid command name",
        lambda d: d["Jobs"]["load"]["Command"].update(Name="glueray"),
        ["job 'load' Command", "'glueray' is not a supported command"],
    ),
    (
        "missing command",
        lambda d: d["Jobs"]["load"].pop("Command"),
        ["job 'load'", "Command is required"],
    ),
    (
        "missing script location",
        lambda d: d["Jobs"]["load"]["Command"].pop("ScriptLocation"),
        ["job 'load' Command", "ScriptLocation is required"],
    ),
    (
        "job started by the start trigger and a conditional trigger",
        _trigger("failed", lambda t: t["Actions"].append({"JobName": "extract"})),
        ["job 'extract'", "start trigger 'start'", "conditional trigger(s) 'failed'"],
    ),
    (
        "cycle",
        _add_trigger(
            {
                "Name": "loop",
                "Type": "CONDITIONAL",
                "Predicate": {"Conditions": [cond("notify")]},
                "Actions": [{"JobName": "load"}],
            }
        ),
        ["cycle in the trigger graph", "load -> notify -> load"],
    ),
    (
        "job triggers itself",
        _trigger("extracted", lambda t: t["Predicate"].update(Conditions=[cond("load")])),
        ["cycle in the trigger graph", "load -> load"],
    ),
    (
        "unknown top-level key",
        lambda d: d.update(Trigers=[]),
        ["top level", "unknown key 'Trigers'", "did you mean 'Triggers'"],
    ),
    (
        "unknown job key",
        lambda d: d["Jobs"]["extract"].update(Timout=5),
        ["job 'extract'", "unknown key 'Timout'", "did you mean 'Timeout'"],
    ),
    (
        "unknown trigger key",
        _trigger("extracted", lambda t: t.update(Predicates={})),
        ["trigger 'extracted'", "unknown key 'Predicates'"],
    ),
    (
        "unknown condition key",
        _trigger("extracted", lambda t: t["Predicate"]["Conditions"][0].update(Jobname="x")),
        ["trigger 'extracted' condition 1", "unknown key 'Jobname'"],
    ),
    (
        "unknown action key",
        _trigger("start", lambda t: t["Actions"][0].update(Args={})),
        ["trigger 'start' action 1", "unknown key 'Args'"],
    ),
    (
        "argument key without --",
        lambda d: d["Jobs"]["extract"]["DefaultArguments"].update(lake_root="x"),
        ["job 'extract'", "DefaultArguments key 'lake_root' must start with '--'"],
    ),
    (
        "action argument key without --",
        _trigger("start", lambda t: t["Actions"][0]["Arguments"].update(mode="x")),
        ["trigger 'start' action 1", "Arguments key 'mode' must start with '--'"],
    ),
    (
        "non-overridable argument key without --",
        lambda d: d["Jobs"]["extract"]["NonOverridableArguments"].update({"-env": "x"}),
        ["job 'extract'", "NonOverridableArguments key '-env' must start with '--'"],
    ),
    (
        "reserved argument",
        lambda d: d["Jobs"]["extract"]["DefaultArguments"].update({"--JOB_NAME": "x"}),
        ["job 'extract'", "must not set --JOB_NAME"],
    ),
    (
        "argument value not a string",
        lambda d: d["Jobs"]["extract"]["DefaultArguments"].update({"--enable-metrics": True}),
        ["job 'extract'", "'--enable-metrics' must be a string", "quote it"],
    ),
    (
        "job that no trigger starts",
        lambda d: d["Jobs"].update(
            orphan={"Command": {"Name": "glueetl", "ScriptLocation": "o.py"}}
        ),
        ["job 'orphan'", "no trigger starts this job"],
    ),
    (
        "AND that can never be true",
        _trigger(
            "extracted",
            lambda t: t["Predicate"].update(
                Logical="AND", Conditions=[cond("extract"), cond("extract", "FAILED")]
            ),
        ),
        ["trigger 'extracted' Predicate", "can never fire"],
    ),
    (
        "bad timeout",
        lambda d: d["Jobs"]["extract"].update(Timeout=10_080),
        ["job 'extract'", "Timeout must be below 10080"],
    ),
    (
        "negative timeout",
        lambda d: d["Jobs"]["extract"].update(Timeout=-1),
        ["job 'extract'", "Timeout must be at least 0"],
    ),
    (
        "timeout not an int",
        lambda d: d["Jobs"]["extract"].update(Timeout="30"),
        ["job 'extract'", "Timeout must be an integer"],
    ),
    (
        "workers out of range",
        lambda d: d["Jobs"]["extract"].update(NumberOfWorkers=0),
        ["job 'extract'", "NumberOfWorkers must be at least 1"],
    ),
    (
        "missing Name",
        lambda d: d.pop("Name"),
        ["top level", "Name is required"],
    ),
    (
        "no jobs",
        lambda d: d.pop("Jobs"),
        ["Jobs is required"],
    ),
    (
        "triggers not a list",
        lambda d: d.update(Triggers={"Name": "x"}),
        ["Triggers must be a list"],
    ),
    (
        "run properties not strings",
        lambda d: d.update(DefaultRunProperties={"n": 1}),
        ["DefaultRunProperties value for 'n' must be a string"],
    ),
    (
        "event batching out of range",
        _trigger(
            "start",
            lambda t: (
                t.update(Type="EVENT", EventBatchingCondition={"BatchSize": 101})
                or t.pop("Schedule")
            ),
        ),
        ["trigger 'start' EventBatchingCondition", "BatchSize must be at most 100"],
    ),
    (
        "crawler action",
        _trigger("extracted", lambda t: t["Actions"].append({"CrawlerName": "c"})),
        ["trigger 'extracted' action 2", "crawler actions are not supported"],
    ),
]


@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_rejects_a_bad_definition(mutate: Mutation, needles: list[str]):
    data = base()
    mutate(data)
    message = problems_of(data)
    assert message.startswith("wf.yaml: invalid workflow definition")
    for needle in needles:
        assert needle in message, f"{needle!r} not in:\n{message}"


def test_exactly_500_conditions_are_allowed():
    data = base()
    _many_conditions(data, 500)
    assert len(workflow_from_dict(data).trigger("failed").conditions) == 500


def test_an_undefined_job_is_reported_even_when_its_condition_has_another_problem():
    data = base()
    trig(data, "extracted")["Predicate"]["Conditions"][0].update(JobName="extrct", State="OK")
    message = problems_of(data)
    assert "'OK' is not a job state" in message
    assert "condition on job 'extrct', which is not defined in Jobs" in message


def test_all_problems_are_reported_at_once():
    data = base()
    data["Jobs"]["extract"]["Timout"] = 5
    trig(data, "extracted")["Predicate"]["Conditions"][0]["State"] = "DONE"
    trig(data, "start")["Schedule"] = "daily"
    with pytest.raises(WorkflowDefinitionError) as info:
        workflow_from_dict(data, source="wf.yaml")
    err = info.value
    assert isinstance(err, ValueError)
    assert len(err.problems) == 3, err.problems
    assert "(3 problems)" in str(err)
    assert any("Timout" in p for p in err.problems)
    assert any("'DONE'" in p for p in err.problems)
    assert any("trigger 'start'" in p and "'daily'" in p for p in err.problems)


# --------------------------------------------------------------------------------------------
# files


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_workflow_names_the_file_in_errors(tmp_path):
    data = base()
    data["Jobs"]["extract"]["Command"]["Name"] = "spark"
    path = write(tmp_path, "bad.yaml", yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(WorkflowDefinitionError, match=r"bad\.yaml: invalid workflow definition"):
        load_workflow(path)


def test_duplicate_yaml_keys_are_rejected_with_the_line(tmp_path):
    text = yaml.safe_dump(base(), sort_keys=False)
    text = text.replace("  load:\n", "  extract:\n", 1)  # a second job called 'extract'
    path = write(tmp_path, "dup.yaml", text)
    with pytest.raises(WorkflowDefinitionError) as info:
        load_workflow(path)
    message = str(info.value)
    assert "dup.yaml" in message and "duplicate key 'extract'" in message and "line" in message


@pytest.mark.parametrize(
    ("text", "needle"),
    [("Name: [unclosed\n", "not valid YAML"), ("", "got empty"), ("- a\n- b\n", "got list")],
)
def test_unreadable_files(tmp_path, text, needle):
    path = write(tmp_path, "w.yaml", text)
    with pytest.raises(WorkflowDefinitionError, match=needle):
        load_workflow(path)


def test_load_workflow_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_workflow(tmp_path / "nope.yaml")


def test_find_workflow(tmp_path):
    assert find_workflow("daily_batch", WORKFLOWS) == WORKFLOWS / "daily_batch.yaml"
    other = write(tmp_path, "some_file.yml", yaml.safe_dump({**base(), "Name": "nightly"}))
    write(tmp_path, "a.yaml", yaml.safe_dump({**base(), "Name": "hourly"}))
    assert find_workflow("nightly", tmp_path) == other  # by top-level Name
    assert find_workflow("a", tmp_path) == tmp_path / "a.yaml"  # by file name
    assert find_workflow(str(other), WORKFLOWS) == other  # a path is taken as is
    with pytest.raises(FileNotFoundError, match="available: hourly, nightly"):
        find_workflow("weekly", tmp_path)
