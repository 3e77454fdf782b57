"""The generated templates (jobs.yaml, catalog.yaml) against their sources, and main.yaml's wiring.

No Spark here: the table schemas are checked against a real run in tests/e2e/test_deploy_schemas.py.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from lakehouse.deploy import pii, render
from lakehouse.deploy.catalog_template import catalog_ruleset, tables_of_template
from lakehouse.deploy.cfn_yaml import load_template, loads
from lakehouse.deploy.jobs_template import GLUE_ARGUMENTS, load_script, render_jobs
from lakehouse.runtime import _STANDARD_OPTIONAL
from lakehouse.workflow.definition import load_workflow, workflow_from_dict

PROJECT = Path(__file__).resolve().parents[3]
CFN = PROJECT / "cloudformation"


@pytest.fixture(scope="module")
def jobs() -> dict:
    return load_template(CFN / "jobs.yaml")


@pytest.fixture(scope="module")
def catalog() -> dict:
    return load_template(CFN / "catalog.yaml")


def of_type(template: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


# ---------------------------------------------------------------- freshness


def test_jobs_template_is_rendered_from_the_current_workflow_and_scripts():
    assert render.stale(PROJECT, {render.JOBS: render.jobs_text(PROJECT)}) == [], (
        "cloudformation/jobs.yaml is stale: run `make render` and commit it"
    )


def test_catalog_template_is_rendered_from_the_current_contracts_lineage_and_rulesets(catalog):
    text = render.catalog_text(tables_of_template(catalog))
    assert render.stale(PROJECT, {render.CATALOG: text}) == [], (
        "cloudformation/catalog.yaml is stale: run `make render` and commit it"
    )


def test_a_changed_workflow_makes_the_rendered_jobs_template_differ():
    workflow = load_workflow(PROJECT / render.WORKFLOW_FILE)
    data = loads((PROJECT / render.WORKFLOW_FILE).read_text())
    data["Jobs"]["dq_gold"]["Timeout"] = 45
    changed = workflow_from_dict(data)
    assert render_jobs(PROJECT, changed) != render_jobs(PROJECT, workflow)
    assert render_jobs(PROJECT, changed)["Resources"]["DqGoldJob"]["Properties"]["Timeout"] == 45


def test_a_changed_ruleset_changes_the_catalog_ruleset():
    source = "dq_rulesets/silver/orders.dqdl"
    text = (PROJECT / source).read_text()
    assert catalog_ruleset(text.replace(">= 0", ">= 1", 1), source) != catalog_ruleset(text, source)


def test_the_render_check_names_a_stale_template(tmp_path):
    (tmp_path / "cloudformation").mkdir()
    (tmp_path / render.JOBS).write_text("old")
    assert render.stale(tmp_path, {render.JOBS: "new"}) == [render.JOBS]


# ---------------------------------------------------------------- jobs


def test_every_glue_job_runs_a_script_of_glue_jobs_with_glue_5(jobs):
    workflow = load_workflow(PROJECT / render.WORKFLOW_FILE)
    rendered = of_type(jobs, "AWS::Glue::Job")
    assert sorted(r["Properties"]["Name"] for r in rendered.values()) == sorted(workflow.jobs)
    for resource in rendered.values():
        props = resource["Properties"]
        script = props["Command"]["ScriptLocation"]["Fn::Sub"].rsplit("/", 1)[1]
        assert (PROJECT / "glue_jobs" / script).is_file(), script
        assert props["GlueVersion"] == "5.0"
        assert props["Command"]["Name"] in ("glueetl", "gluestreaming")
        assert props["SecurityConfiguration"] == {"Ref": "SecurityConfiguration"}
        assert props["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
        args = props["DefaultArguments"]
        for flag in (
            "--enable-metrics",
            "--enable-observability-metrics",
            "--enable-continuous-cloudwatch-log",
        ):
            assert args[flag] == "true", (props["Name"], flag)
        assert args["--extra-py-files"]["Fn::Sub"].endswith("/lakehouse.zip")
        assert args["--additional-python-modules"] in (PROJECT / "requirements.txt").read_text()


def test_the_arguments_passed_are_exactly_what_each_script_resolves(jobs):
    """Every name a script requires is passed; nothing is passed that the script does not read."""
    for resource in of_type(jobs, "AWS::Glue::Job").values():
        props = resource["Properties"]
        script = props["Command"]["ScriptLocation"]["Fn::Sub"].rsplit("/", 1)[1]
        module = load_script(PROJECT, script)
        passed = {
            k.removeprefix("--") for k in props["DefaultArguments"] if k not in GLUE_ARGUMENTS
        }
        required = set(module.REQUIRED_ARGS) | {"lake_root"}  # lake_root: required in Glue
        readable = required | set(module.OPTIONAL_ARGS) | set(_STANDARD_OPTIONAL)
        assert required <= passed, (props["Name"], required - passed)
        assert passed <= readable, (props["Name"], passed - readable)


def test_every_script_hands_its_declared_arguments_to_get_resolved_options():
    for script in sorted((PROJECT / "glue_jobs").glob("*.py")):
        tree = ast.parse(script.read_text())
        calls = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "start_job"
        ]
        assert len(calls) == 1, script.name
        names = [getattr(a, "id", None) for a in calls[0].args[1:]]
        assert names == ["REQUIRED_ARGS", "OPTIONAL_ARGS"], script.name


def test_triggers_follow_the_workflow_with_the_streaming_job_left_to_run_on_its_own(jobs):
    workflow = load_workflow(PROJECT / render.WORKFLOW_FILE)
    streaming = {n for n, j in workflow.jobs.items() if j.is_streaming}
    job_ids = {k: r["Properties"]["Name"] for k, r in of_type(jobs, "AWS::Glue::Job").items()}
    triggers = {
        r["Properties"]["Name"]: r["Properties"]
        for r in of_type(jobs, "AWS::Glue::Trigger").values()
    }
    assert set(triggers) == {t.name for t in workflow.triggers}
    for trigger in workflow.triggers:
        props = triggers[trigger.name]
        assert props["Type"] == trigger.type
        assert props["WorkflowName"] == {"Ref": "Workflow"}
        started = [job_ids[a["JobName"]["Ref"]] for a in props["Actions"]]
        assert started == [a.job_name for a in trigger.actions if a.job_name not in streaming]
        if trigger.type == "CONDITIONAL":
            assert props["StartOnCreation"] is True
            assert props["Predicate"]["Logical"] in ("AND", "ANY")  # always set
            watched = [
                (job_ids[c["JobName"]["Ref"]], c["State"]) for c in props["Predicate"]["Conditions"]
            ]
            assert watched == [
                (c.job_name, c.state) for c in trigger.conditions if c.job_name not in streaming
            ]
        else:
            assert props["Schedule"] == {"Ref": "Schedule"} and props["StartOnCreation"] is True


def test_the_dq_gates_check_tables_that_have_a_ruleset_and_a_catalog_table(jobs, catalog):
    tables = {f"{t.database}.{t.name}" for t in tables_of_template(catalog)}
    rulesets = {
        "{DatabaseName}.{TableName}".format(**r["Properties"]["TargetTable"])
        for r in of_type(catalog, "AWS::Glue::DataQualityRuleset").values()
    }
    gated = set()
    for resource in of_type(jobs, "AWS::Glue::Job").values():
        args = resource["Properties"]["DefaultArguments"]
        if "--layer" in args:
            gated |= {f"{args['--layer']}.{t}" for t in args["--tables"].split(",")}
    files = {f"{p.parent.name}.{p.stem}" for p in (PROJECT / "dq_rulesets").glob("*/*.dqdl")}
    assert gated == files == rulesets
    assert rulesets <= tables


# ---------------------------------------------------------------- catalog and tags


def test_databases_leave_table_permissions_to_lake_formation(catalog):
    databases = of_type(catalog, "AWS::Glue::Database")
    assert {d["Properties"]["DatabaseInput"]["Name"] for d in databases.values()} == {
        "bronze", "silver", "gold", "quarantine", "audit",
    }  # fmt: skip
    for db in databases.values():
        assert db["Properties"]["DatabaseInput"]["CreateTableDefaultPermissions"] == []


def test_every_pii_field_of_the_contracts_and_what_copies_it_is_tagged_pii(catalog):
    tagged: dict[str, set[str]] = {}
    for resource in of_type(catalog, "AWS::LakeFormation::TagAssociation").values():
        target = resource["Properties"]["Resource"].get("TableWithColumns")
        tags = {t["TagKey"]: t["TagValues"] for t in resource["Properties"]["LFTags"]}
        if target and tags.get("classification") == ["pii"]:
            tagged[f"{target['DatabaseName']}.{target['Name']}"] = set(target["ColumnNames"])
    for table, contract in pii.contracts().items():
        assert set(contract.pii_columns) == tagged.get(table, set()), table
    assert tagged["silver.contacts"] == {"email", "first_name", "last_name", "phone"}
    assert "gold.dim_customer" not in tagged  # only a hash of the email reaches Gold


def test_column_lineage_carries_pii_and_a_masking_step_ends_it():
    columns = pii.pii_columns()
    assert {"email", "first_name", "phone"} <= columns["silver.contacts"]
    assert "email_sha256" not in columns["gold.dim_customer"]
    assert columns["silver.orders"] == frozenset()


def test_catalog_rulesets_keep_only_what_glue_runs_on_the_table_alone():
    source = "dq_rulesets/silver/orders.dqdl"
    text = catalog_ruleset((PROJECT / source).read_text(), source)
    assert "labels=" not in text and "DefaultLabels" not in text and "DataSources" not in text
    assert "# gate-only: ReferentialIntegrity" in text
    assert "# gate-only: RowCount >= max(last(3))" in text
    assert '\n  IsPrimaryKey "order_id",' in text


# ---------------------------------------------------------------- main.yaml wiring


def test_main_passes_every_nested_stack_exactly_its_parameters():
    main = load_template(CFN / "main.yaml")
    for name, resource in of_type(main, "AWS::CloudFormation::Stack").items():
        nested = load_template(CFN / resource["Properties"]["TemplateURL"])
        declared = nested.get("Parameters", {})
        required = {k for k, v in declared.items() if "Default" not in v}
        passed = set(resource["Properties"].get("Parameters", {}))
        assert required <= passed, (name, required - passed)
        assert passed <= set(declared), (name, passed - set(declared))
        for value in resource["Properties"]["Parameters"].values():
            if isinstance(value, dict) and "Fn::GetAtt" in value:
                stack, output = value["Fn::GetAtt"][0], value["Fn::GetAtt"][1].split(".", 1)[1]
                source = load_template(CFN / main["Resources"][stack]["Properties"]["TemplateURL"])
                assert output in source["Outputs"], (name, stack, output)


def test_the_default_schedule_is_the_workflow_start_triggers():
    main = load_template(CFN / "main.yaml")
    workflow = load_workflow(PROJECT / render.WORKFLOW_FILE)
    assert main["Parameters"]["Schedule"]["Default"] == workflow.start_trigger.schedule


def test_tag_associations_are_created_one_after_another(catalog):
    """Lake Formation refuses concurrent changes; each association waits for the one before."""
    associations = list(of_type(catalog, "AWS::LakeFormation::TagAssociation"))
    for previous, current in itertools.pairwise(associations):
        depends = catalog["Resources"][current]["DependsOn"]
        assert previous in depends, current
        # ...and for what it tags
        assert any(d.endswith(("Table", "Database")) for d in depends), current
