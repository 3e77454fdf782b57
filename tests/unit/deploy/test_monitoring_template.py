"""cloudformation/monitoring.yaml: alerts reach the topic and watch metrics the jobs really send.

Lakehouse metric names come from ``lakehouse.metrics``; the dimension sets each metric is sent
with come from the tables of docs/metrics.md (metrics.py builds them in code, it does not list
them). A metric name or dimension set the jobs never publish would give an alarm or a graph that
stays silent forever, so these tests refuse it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakehouse import metrics
from lakehouse.deploy.cfn_yaml import load_template

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "cloudformation" / "monitoring.yaml"
STORAGE = ROOT / "cloudformation" / "storage.yaml"
METRICS_DOC = ROOT / "docs" / "metrics.md"
WORKFLOW = ROOT / "workflows" / "daily_batch.yaml"
TOPIC = {"Ref": "AlertTopic"}

# Glue's own metrics used here, and what makes Glue emit each one.
GLUE_METRICS = {
    ("Glue", "glue.driver.streaming.maxConsumerLagInMs"): (
        "Kafka source option emitConsumerLagMetrics=true (Glue 4.0+)"
    ),
    ("Glue", "glue.error.ALL"): "job argument --enable-observability-metrics true (Glue 4.0+)",
    ("Glue Data Quality", "glue.data.quality.rules.failed"): (
        "EvaluateDataQuality publishing option enableDataQualityCloudWatchMetrics=True"
    ),
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def _of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {n: r["Properties"] for n, r in template["Resources"].items() if r["Type"] == type_}


# ---------------------------------------------------------------- docs/metrics.md


def _documented_sets() -> dict[str, set[frozenset[str]]]:
    """metric name -> the dimension sets docs/metrics.md says it is sent with."""
    text = METRICS_DOC.read_text()
    sets = {}
    for line in text.splitlines():
        if m := re.match(r"\|\s*\*\*(\w+)\*\*[^|]*\|([^|]+)\|\s*$", line):
            sets[m.group(1)] = frozenset(re.findall(r"`(\w+)`", m.group(2)))
    per_metric: dict[str, set[frozenset[str]]] = {}
    units = {}
    for line in text.splitlines():
        if m := re.match(
            r"\|\s*`(\w+)`\s*\|\s*(\w+)\s*\|.*\|\s*([A-Z]+(?:,\s*[A-Z]+)*)\s*\|\s*$", line
        ):
            name, unit, names = m.groups()
            units[name] = unit
            per_metric[name] = {sets[s.strip()] for s in names.split(",")}
    assert units == metrics.METRIC_UNITS, "docs/metrics.md and lakehouse.metrics disagree"
    return per_metric


DOCUMENTED_SETS = _documented_sets()


def test_the_documented_sets_are_read_from_the_doc():
    assert DOCUMENTED_SETS[metrics.DQ_RULES_FAILED] >= {
        frozenset({metrics.PIPELINE}),
        frozenset({metrics.PIPELINE, metrics.JOB, metrics.SEVERITY}),
    }
    assert DOCUMENTED_SETS[metrics.TABLES_PUBLISHED] == {frozenset({metrics.PIPELINE, metrics.JOB})}


# ---------------------------------------------------------------- metric usages


def _dashboard(template: dict[str, Any]) -> dict[str, Any]:
    (dashboard,) = _of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["DashboardBody"]["Fn::Sub"]
    text = body[0] if isinstance(body, list) else body
    return json.loads(re.sub(r"\$\{[^}]+\}", "SUBSTITUTED", text))


def _from_expression(expression: str) -> list[tuple[str, str, frozenset[str] | None]]:
    """(namespace, metric, dimension names or None) of a SEARCH or Metrics Insights expression."""
    found = []
    for schema, rest in re.findall(r"SEARCH\(\s*'\{([^}]*)\}(.*?)'", expression):
        namespace, *dims = [p.strip().strip('"') for p in schema.split(",")]
        for name in re.findall(r'MetricName="([^"]+)"', rest):
            found.append((namespace, name, frozenset(dims)))
    select = re.match(r'\s*SELECT\s+\w+\("?([^")]+)"?\)\s+FROM\s+"?([^"]+)"?\s*$', expression, re.I)
    if select:
        found.append((select.group(2), select.group(1), None))
    return found


def _usages(template: dict[str, Any]) -> list[tuple[str, str, str, frozenset[str] | None]]:
    """(where, namespace, metric, dimension names) of every metric an alarm or a widget uses."""
    out = []
    for name, alarm in _of_type(template, "AWS::CloudWatch::Alarm").items():
        if "MetricName" in alarm:
            dims = frozenset(d["Name"] for d in alarm.get("Dimensions", []))
            out.append((name, alarm["Namespace"], alarm["MetricName"], dims))
        for query in alarm.get("Metrics", []):
            if "MetricStat" in query:
                metric = query["MetricStat"]["Metric"]
                dims = frozenset(d["Name"] for d in metric.get("Dimensions", []))
                out.append((name, metric["Namespace"], metric["MetricName"], dims))
            else:  # metric math over the ids above yields nothing; SEARCH / SELECT do
                out += [(name, *u) for u in _from_expression(query["Expression"])]
    for widget in _dashboard(template)["widgets"]:
        for line in widget.get("properties", {}).get("metrics", []):
            if isinstance(line[0], dict):
                out += [
                    (widget["properties"]["title"], *u)
                    for u in _from_expression(line[0]["expression"])
                ]
            else:
                values = [v for v in line if not isinstance(v, dict)]
                dims = frozenset(values[2::2])
                out.append((widget["properties"]["title"], values[0], values[1], dims))
    return out


def test_every_alarm_and_metric_widget_is_understood(template):
    """The collector below sees a metric in every alarm and in every metric widget."""
    where = {u[0] for u in _usages(template)}
    assert set(_of_type(template, "AWS::CloudWatch::Alarm")) <= where
    titles = {
        w["properties"]["title"] for w in _dashboard(template)["widgets"] if w["type"] == "metric"
    }
    assert titles <= where


def test_lakehouse_metrics_are_published_by_the_jobs_with_these_dimensions(template):
    lakehouse = [u for u in _usages(template) if u[1] == metrics.NAMESPACE]
    assert len(lakehouse) >= 20
    for where, _, name, dims in lakehouse:
        assert name in metrics.METRIC_UNITS, f"{where}: {name} is not a lakehouse.metrics metric"
        assert dims in DOCUMENTED_SETS[name], (
            f"{where}: {name} is never sent with {sorted(dims or [])}"
        )


def test_glue_metrics_are_ones_we_make_glue_emit(template):
    others = [u for u in _usages(template) if u[1] != metrics.NAMESPACE]
    assert others
    for where, namespace, name, _ in others:
        assert (namespace, name) in GLUE_METRICS, f"{where}: {namespace}/{name} is not allow-listed"


def test_streaming_lag_uses_glue_s_all_runs_gauge(template):
    lag = [
        a
        for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
        if a.get("MetricName") == "glue.driver.streaming.maxConsumerLagInMs"
    ]
    (alarm,) = lag
    assert alarm["Dimensions"] == [
        {"Name": "JobName", "Value": {"Ref": "StreamingJobName"}},
        {"Name": "JobRunId", "Value": "ALL"},
        {"Name": "Type", "Value": "gauge"},
    ]
    assert (alarm["Statistic"], alarm["Threshold"]) == (
        "Maximum",
        {"Ref": "StreamingLagThresholdMs"},
    )


# ---------------------------------------------------------------- alarms


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _of_type(template, "AWS::CloudWatch::Alarm")


def _alarm_name(alarm: dict[str, Any]) -> str:
    name = alarm["AlarmName"]["Fn::Sub"]
    return name[0] if isinstance(name, list) else name


def test_every_alarm_pages_the_topic_and_decides_about_missing_data(template):
    for name, alarm in _alarms(template).items():
        assert TOPIC in alarm["AlarmActions"], name
        assert alarm["TreatMissingData"] in {"breaching", "notBreaching", "ignore", "missing"}, name


def test_alarm_names_match_what_the_key_and_topic_policies_let_cloudwatch_use(template):
    """The lake key and the topic only serve alarms named lakehouse-<env>-*."""
    storage = load_template(STORAGE)
    (key,) = [r for r in storage["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    patterns = [
        s["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"
    ]
    (topic_policy,) = _of_type(template, "AWS::SNS::TopicPolicy").values()
    patterns += [
        s["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
        for s in topic_policy["PolicyDocument"]["Statement"]
        if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"
    ]
    assert len(patterns) == 2
    for pattern in patterns:
        prefix = pattern.split(":alarm:", 1)[1].removesuffix("*")
        assert prefix == "lakehouse-${Env}-"
        for name, alarm in _alarms(template).items():
            assert _alarm_name(alarm).startswith(prefix), name


def _select_index(value: Any, parameter: str) -> int | None:
    if isinstance(value, dict) and "Fn::Select" in value:
        index, source = value["Fn::Select"]
        if source == {"Ref": parameter}:
            return int(index)
    return None


def test_one_halting_dq_alarm_per_gate(template):
    gates = {}
    for alarm in _alarms(template).values():
        if alarm.get("MetricName") == metrics.DQ_RULES_FAILED:
            dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
            assert dims[metrics.SEVERITY] == "halt"
            assert dims[metrics.PIPELINE] == {"Ref": "WorkflowName"}
            assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
                "Sum",
                "GreaterThanThreshold",
                0,
            )
            assert alarm["TreatMissingData"] == "notBreaching"
            assert alarm["AlarmName"]["Fn::Sub"][1] == {"Gate": dims[metrics.JOB]}  # unique names
            gates[_select_index(dims[metrics.JOB], "DqJobNames")] = alarm
    assert sorted(gates) == [0, 1, 2]


def test_one_quarantine_ratio_alarm_per_ingest_job(template):
    jobs = []
    for alarm in _alarms(template).values():
        queries = {q["Id"]: q for q in alarm.get("Metrics", [])}
        if {"q", "w"} <= set(queries):
            q, w = queries["q"]["MetricStat"], queries["w"]["MetricStat"]
            assert q["Metric"]["MetricName"] == metrics.ROWS_QUARANTINED
            assert w["Metric"]["MetricName"] == metrics.ROWS_WRITTEN
            assert q["Metric"]["Dimensions"] == w["Metric"]["Dimensions"]  # the same job
            (ratio,) = [x for x in queries.values() if x.get("ReturnData", True)]
            assert ratio["Expression"].replace(" ", "") == "IF(q+w>0,q/(q+w),0)"
            assert alarm["Threshold"] == {"Ref": "QuarantineRatioThreshold"}
            assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
            dims = {d["Name"]: d["Value"] for d in q["Metric"]["Dimensions"]}
            job = dims[metrics.JOB]
            # the streaming job (last) runs outside the workflow: its runs are "standalone"
            streaming = _select_index(job, "IngestJobNames") == 4
            pipeline = metrics.STANDALONE if streaming else {"Ref": "WorkflowName"}
            assert dims[metrics.PIPELINE] == pipeline
            assert alarm["AlarmName"]["Fn::Sub"][1] == {"Job": job}  # unique names
            jobs.append(_select_index(job, "IngestJobNames"))
    assert sorted(jobs) == [0, 1, 2, 3, 4]


def test_gold_not_published_for_freshness_hours_pages_even_without_data(template):
    (alarm,) = [
        a for a in _alarms(template).values() if a.get("MetricName") == metrics.TABLES_PUBLISHED
    ]
    dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dims == {metrics.PIPELINE: {"Ref": "WorkflowName"}, metrics.JOB: metrics.PUBLISH_JOB}
    assert (alarm["Statistic"], alarm["Period"]) == ("Sum", 3600)
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == {"Ref": "FreshnessHours"}
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
    assert alarm["TreatMissingData"] == "breaching"
    assert template["Parameters"]["FreshnessHours"]["Default"] == 26


def test_glue_dq_alarm_watches_failed_rules(template):
    found = [
        (alarm, usage)
        for alarm in _alarms(template).values()
        for query in alarm.get("Metrics", [])
        for usage in _from_expression(query.get("Expression", ""))
        if usage[0] == "Glue Data Quality"
    ]
    ((alarm, usage),) = found
    assert usage[1] == "glue.data.quality.rules.failed"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


# ---------------------------------------------------------------- events


def _rules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _of_type(template, "AWS::Events::Rule")


def _rule_for(template: dict[str, Any], source: str) -> dict[str, Any]:
    (rule,) = [r for r in _rules(template).values() if r["EventPattern"]["source"] == [source]]
    return rule


def test_job_state_rule_covers_the_workflow_jobs_ending_badly(template):
    pattern = _rule_for(template, "aws.glue")["EventPattern"]
    assert pattern["detail-type"] == ["Glue Job State Change"]
    assert sorted(pattern["detail"]["state"]) == ["FAILED", "STOPPED", "TIMEOUT"]
    assert pattern["detail"]["jobName"] == {"Ref": "GlueJobNames"}
    assert template["Parameters"]["GlueJobNames"]["Type"] == "CommaDelimitedList"


def test_dq_rule_matches_failed_glue_dq_results(template):
    pattern = _rule_for(template, "aws.glue-dataquality")["EventPattern"]
    assert pattern["detail-type"] == ["Data Quality Evaluation Results Available"]
    assert pattern["detail"]["state"] == ["FAILED"]


def test_rules_send_a_readable_sentence_to_the_topic(template):
    for name, rule in _rules(template).items():
        (target,) = rule["Targets"]
        assert target["Arn"] == TOPIC, name
        transformer = target["InputTransformer"]
        sentence = json.loads(transformer["InputTemplate"])  # a JSON string: a plain-text message
        assert isinstance(sentence, str), name
        placeholders = set(re.findall(r"<(\w+)>", sentence))
        assert placeholders == set(transformer["InputPathsMap"]), name
        paths = transformer["InputPathsMap"].values()
        assert all(p == "$.time" or p.startswith("$.detail.") for p in paths), name


def test_job_name_defaults_are_the_workflow_s_jobs(template):
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = list(workflow["Jobs"])
    params = template["Parameters"]
    assert params["WorkflowName"]["Default"] == workflow["Name"]
    assert params["DqJobNames"]["Default"].split(",") == [j for j in jobs if j.startswith("dq_")]
    ingest = [j for j in jobs if j.startswith("ingest_")]
    assert params["IngestJobNames"]["Default"].split(",") == ingest
    streaming = params["StreamingJobName"]["Default"]
    assert workflow["Jobs"][streaming]["Command"]["Name"] == "gluestreaming"
    assert ingest[-1] == streaming  # the quarantine alarm of index 4 expects it last


# ---------------------------------------------------------------- topic


def test_topic_is_encrypted_with_the_lake_key(template):
    (topic,) = _of_type(template, "AWS::SNS::Topic").values()
    assert topic["KmsMasterKeyId"] == {"Ref": "KeyArn"}
    assert topic["TopicName"] == {"Fn::Sub": "lakehouse-${Env}-alerts"}


def test_topic_policy_lets_our_rules_and_alarms_publish(template):
    (policy,) = _of_type(template, "AWS::SNS::TopicPolicy").values()
    assert policy["Topics"] == [TOPIC]
    publishers = {}
    for statement in policy["PolicyDocument"]["Statement"]:
        service = statement["Principal"].get("Service")
        if service:
            assert statement["Effect"] == "Allow" and statement["Action"] == "sns:Publish"
            assert statement["Resource"] == TOPIC
            assert statement["Condition"]["StringEquals"] == {
                "aws:SourceAccount": {"Ref": "AWS::AccountId"}
            }
            publishers[service] = statement
    assert sorted(publishers) == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    rule_arns = publishers["events.amazonaws.com"]["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(rule_arns, key=str) == sorted(
        ({"Fn::GetAtt": [name, "Arn"]} for name in _rules(template)), key=str
    )


def test_email_subscription_only_when_an_address_is_given(template):
    (name,) = [n for n, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Subscription"]
    subscription = template["Resources"][name]
    assert subscription["Condition"] == "HasAlertEmail"
    assert template["Conditions"]["HasAlertEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]
    }
    assert template["Parameters"]["AlertEmail"]["Default"] == ""


# ---------------------------------------------------------------- dashboard


def test_dashboard_shows_every_alarm(template):
    (dashboard,) = _of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["DashboardBody"]["Fn::Sub"][0]
    shown = set(re.findall(r"\$\{(\w+)\.Arn\}", body))
    assert shown == set(_alarms(template))
    assert dashboard["DashboardName"] == {"Fn::Sub": "lakehouse-${Env}"}


def test_dashboard_graphs_outcomes_rows_dq_publishing_freshness_and_lag(template):
    graphed = {u[2] for u in _usages(template) if not u[0].endswith("Alarm")}
    assert {
        metrics.JOB_FAILED,
        metrics.JOB_SUCCEEDED,
        metrics.ROWS_WRITTEN,
        metrics.ROWS_QUARANTINED,
        metrics.DQ_RULES_FAILED,
        metrics.TABLES_PUBLISHED,
        metrics.FRESHNESS_SECONDS,
        "glue.driver.streaming.maxConsumerLagInMs",
    } <= graphed
