"""OpenLineage events from job-run records, checked against the OpenLineage JSON schema, and the
transports that send them (file, HTTP to a loopback server, console)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.serde import Serde

from lakehouse import lineage
from lakehouse.layers import column_lineage
from tests.openlineage_spec.validate import InvalidEvent, validate_event

JOB_RUN_ID = "jr_" + "1a" * 32
RUN_ID = "wr_" + "2b" * 32
LAKE = "/abs/lake"
TRACEBACK = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: boom'


def schema(*columns: str) -> list[dict[str, str]]:
    return [{"name": c, "type": "string"} for c in columns]


ORDERS_COLUMNS = tuple(column_lineage.COLUMN_LINEAGE["silver.orders"])


def record(state: str = "SUCCEEDED", **overrides: Any) -> dict[str, Any]:
    """A bronze_to_silver job-run record as ``lakehouse.runtime`` writes it."""
    running = state == "RUNNING"
    base: dict[str, Any] = {
        "job_name": "bronze_to_silver",
        "job_run_id": JOB_RUN_ID,
        "run_id": RUN_ID,
        "workflow_name": "daily_batch",
        "batch_date": "2026-03-01",
        "mode": "local",
        "state": state,
        "started_at": "2026-11-27T16:40:01.123456+00:00",
        "ended_at": None if running else "2026-11-27T16:40:09.000000+00:00",
        "duration_s": None if running else 7.877,
        "metrics": {"rows_read": 1200, "rows_written": 1180, "rows_quarantined": 20},
        "inputs": [
            {
                "table": "bronze.snowflake_orders",
                "layer": "bronze",
                "location": f"{LAKE}/bronze/snowflake_orders",
                "schema": [
                    {"name": "order_id", "type": "bigint"},
                    {"name": "order_ts", "type": "timestamp"},
                    {"name": "amount", "type": "decimal(18,2)"},
                ],
                "rows": 1200,
            },
            {
                "table": "bronze.hubspot_contacts",
                "layer": "bronze",
                "location": f"{LAKE}/bronze/hubspot_contacts",
                "schema": schema("id", "email"),
                "rows": None,
            },
        ],
        "outputs": []
        if running
        else [
            {
                "table": "silver.orders",
                "layer": "silver",
                "kind": "table",
                "location": f"{LAKE}/silver/orders/v20261127T164005123Z_abc",
                "schema": schema(*ORDERS_COLUMNS),
                "rows": 1180,
                "bytes": 53211,
                "files": 4,
                "newest_record_at": "2026-03-01T23:59:00+00:00",
            },
            {
                "table": "quarantine.orders",
                "layer": "quarantine",
                "kind": "quarantine",
                "location": f"{LAKE}/quarantine/orders/v20261127T164006001Z_abc",
                "schema": schema("_violations", "_raw", "_source"),
                "rows": 20,
                "bytes": 3000,
                "files": 1,
                "newest_record_at": None,
            },
        ],
        "dq": [],
        "error": None,
        "traceback": None,
    }
    base.update(overrides)
    return base


def dq_result(rule: str, outcome: str, **extra: Any) -> dict[str, Any]:
    return {
        "layer": "bronze",
        "table": "snowflake_orders",
        "dataset": "bronze.snowflake_orders",
        "rule": rule,
        "outcome": outcome,
        "severity": "halt",
        "action": "halt",
        "failure_reason": None,
        "metrics": {},
        "labels": {"layer": "bronze", "table": "snowflake_orders"},
        "rows_quarantined": 0,
        **extra,
    }


def event_dict(rec: dict[str, Any], event_type: str) -> dict[str, Any]:
    return Serde.to_dict(lineage.build_event(rec, event_type))


def facet(event: dict[str, Any], where: str, key: str, index: int = 0) -> dict[str, Any]:
    group = "facets"
    if where in ("inputs", "outputs") and key in ("dataQualityAssertions", "outputStatistics"):
        group = "inputFacets" if where == "inputs" else "outputFacets"
    holder = event["run"] if where == "run" else event[where][index]
    return holder[group][key]


# ---------------------------------------------------------------- events against the schema

CASES = {
    "START": record("RUNNING"),
    "COMPLETE": record("SUCCEEDED"),
    "FAIL": record("FAILED", error="ValueError: boom", traceback=TRACEBACK),
    "ABORT": record("RUNNING"),  # found at resume: the runner died while it ran
}


@pytest.mark.parametrize("event_type", list(CASES))
def test_each_event_type_is_a_valid_openlineage_run_event(event_type: str) -> None:
    event = event_dict(CASES[event_type], event_type)
    validate_event(event)
    assert event["eventType"] == event_type
    assert event["job"] == {"namespace": "lakehouse", "name": "bronze_to_silver", "facets": {}}
    assert uuid.UUID(event["run"]["runId"])


def test_event_times_are_the_records_start_and_end() -> None:
    assert event_dict(CASES["START"], "START")["eventTime"] == "2026-11-27T16:40:01.123456+00:00"
    done = record("SUCCEEDED")
    assert event_dict(done, "COMPLETE")["eventTime"] == done["ended_at"]
    before = dt.datetime.now(dt.UTC)
    abort = event_dict(CASES["ABORT"], "ABORT")  # no end in the record: the time of the event
    assert before <= dt.datetime.fromisoformat(abort["eventTime"]) <= dt.datetime.now(dt.UTC)
    validate_event(abort)


def test_a_failed_run_carries_its_error_and_traceback() -> None:
    error = facet(event_dict(CASES["FAIL"], "FAIL"), "run", "errorMessage")
    assert error["message"] == "ValueError: boom"
    assert error["programmingLanguage"] == "PYTHON"
    assert error["stackTrace"] == TRACEBACK


def test_an_abort_found_at_resume_says_the_runner_died() -> None:
    error = facet(event_dict(CASES["ABORT"], "ABORT"), "run", "errorMessage")
    assert "runner process died" in error["message"]
    assert "errorMessage" not in event_dict(record(), "COMPLETE")["run"]["facets"]


def test_event_type_must_be_known() -> None:
    with pytest.raises(ValueError, match="RUNNING"):
        lineage.build_event(record(), "RUNNING")


# ---------------------------------------------------------------- the validator bites


def test_vendored_schemas_are_the_ones_the_client_names() -> None:
    from openlineage.client.event_v2 import RunEvent
    from openlineage.client.facet_v2 import (
        column_lineage_dataset,
        data_quality_assertions_dataset,
        error_message_run,
        output_statistics_output_dataset,
        parent_run,
        schema_dataset,
    )

    from tests.openlineage_spec.validate import registry

    written = [
        RunEvent,
        parent_run.ParentRunFacet,
        schema_dataset.SchemaDatasetFacet,
        output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet,
        data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet,
        column_lineage_dataset.ColumnLineageDatasetFacet,
        error_message_run.ErrorMessageRunFacet,
    ]
    vendored = registry()
    for cls in written:
        url, _, pointer = cls._get_schema().partition("#")
        assert vendored.contents(url), cls
        assert vendored.resolver().lookup(cls._get_schema()).contents, pointer


def valid_event() -> dict[str, Any]:
    return event_dict(record(dq=[dq_result('IsComplete "order_id"', "Passed")]), "COMPLETE")


def broken_run_id(event: dict[str, Any]) -> None:
    event["run"]["runId"] = JOB_RUN_ID


def facet_without_producer(event: dict[str, Any]) -> None:
    del event["outputs"][0]["facets"]["schema"]["_producer"]


def error_without_language(event: dict[str, Any]) -> None:
    event["run"]["facets"]["errorMessage"] = {
        "_producer": lineage.PRODUCER,
        "_schemaURL": facet(event_dict(CASES["FAIL"], "FAIL"), "run", "errorMessage")["_schemaURL"],
        "message": "boom",
    }


def bad_event_time(event: dict[str, Any]) -> None:
    event["eventTime"] = "yesterday"


def assertion_without_success(event: dict[str, Any]) -> None:
    del event["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"][0]["success"]


def row_count_as_text(event: dict[str, Any]) -> None:
    event["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] = "1180"


def lineage_field_without_name(event: dict[str, Any]) -> None:
    fields = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    del fields["order_id"]["inputFields"][0]["name"]


def parent_run_id_not_a_uuid(event: dict[str, Any]) -> None:
    event["run"]["facets"]["parent"]["run"]["runId"] = RUN_ID


def facet_schema_not_vendored(event: dict[str, Any]) -> None:
    event["run"]["facets"]["nominalTime"] = {
        "_producer": lineage.PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
        "nominalStartTime": "2026-03-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    "breakage",
    [
        broken_run_id,
        facet_without_producer,
        error_without_language,
        bad_event_time,
        assertion_without_success,
        row_count_as_text,
        lineage_field_without_name,
        parent_run_id_not_a_uuid,
        facet_schema_not_vendored,
    ],
)
def test_the_validator_rejects_a_broken_event(breakage: Any) -> None:
    event = valid_event()
    validate_event(deepcopy(event))
    breakage(event)
    with pytest.raises(InvalidEvent):
        validate_event(event)


# ---------------------------------------------------------------- identity


def test_run_ids_are_stable_uuids_of_our_ids_and_the_workflow_run_is_the_parent() -> None:
    start = event_dict(CASES["START"], "START")
    complete = event_dict(record(), "COMPLETE")
    assert start["run"]["runId"] == complete["run"]["runId"] == lineage.run_uuid(JOB_RUN_ID)
    assert lineage.run_uuid(JOB_RUN_ID) != lineage.run_uuid(RUN_ID)
    parent = facet(complete, "run", "parent")
    assert parent["run"]["runId"] == lineage.run_uuid(RUN_ID)
    assert parent["job"] == {"namespace": "lakehouse", "name": "daily_batch", "facets": {}}


def test_a_standalone_run_has_no_parent() -> None:
    standalone = record(workflow_name=None, run_id=JOB_RUN_ID)
    event = event_dict(standalone, "COMPLETE")
    assert "parent" not in event["run"]["facets"]
    validate_event(event)


def test_a_dataset_is_the_table_root_not_the_version_folder() -> None:
    event = event_dict(record(), "COMPLETE")
    assert (event["inputs"][0]["namespace"], event["inputs"][0]["name"]) == (
        "file",
        f"{LAKE}/bronze/snowflake_orders",
    )
    assert (event["outputs"][0]["namespace"], event["outputs"][0]["name"]) == (
        "file",
        f"{LAKE}/silver/orders",
    )


@pytest.mark.parametrize(
    ("location", "identity"),
    [
        ("/lake/silver/orders/v20261127T164005123Z_abc", ("file", "/lake/silver/orders")),
        ("file:///lake/silver/orders/", ("file", "/lake/silver/orders")),
        (
            "s3://bucket/prefix/gold/fct_orders/v20261127T164005123Z",
            ("s3://bucket", "prefix/gold/fct_orders"),
        ),
        ("s3a://bucket/bronze/fx_rates", ("s3://bucket", "bronze/fx_rates")),
        ("/lake/bronze/fx_rates", ("file", "/lake/bronze/fx_rates")),
    ],
)
def test_dataset_identity_follows_openlineage_naming(
    location: str, identity: tuple[str, str]
) -> None:
    assert lineage.dataset_identity(location) == identity


def test_column_lineage_names_tables_outside_the_event_by_their_place_in_the_lake() -> None:
    rec = record()
    for entry in [*rec["inputs"], *rec["outputs"]]:
        entry["location"] = entry["location"].replace(LAKE, "s3://bucket/lake")
    event = event_dict(rec, "COMPLETE")
    lineage_ = facet(event, "outputs", "columnLineage")
    fx_rate = lineage_["fields"]["fx_rate"]["inputFields"][0]
    assert (fx_rate["namespace"], fx_rate["name"], fx_rate["field"]) == (
        "s3://bucket",
        "lake/silver/fx_rates",
        "rate",
    )
    validate_event(event)


# ---------------------------------------------------------------- facets


def test_data_quality_results_attach_to_the_input_they_were_evaluated_on() -> None:
    results = [
        dq_result(
            'IsComplete "order_id"',
            "Failed",
            metrics={"Column.order_id.Completeness": 0.98},
            failure_reason="Value: 0.98 does not meet the constraint requirement!",
        ),
        dq_result("RowCount > 0", "Passed", severity="warn", metrics={"Dataset.*.RowCount": 5}),
        dq_result(
            'ColumnValues "status" in ["PAID", "SHIPPED"]',
            "Passed",
            metrics={"a": 1, "b": 2},
        ),
        {**dq_result('IsComplete "id"', "Passed"), "dataset": "bronze.hubspot_contacts"},
    ]
    event = event_dict(record(dq=results), "COMPLETE")
    validate_event(event)
    orders = facet(event, "inputs", "dataQualityAssertions", 0)["assertions"]
    assert [(a["assertion"], a["success"]) for a in orders] == [
        ('IsComplete "order_id"', False),
        ("RowCount > 0", True),
        ('ColumnValues "status" in ["PAID", "SHIPPED"]', True),
    ]
    assert orders[0]["column"] == "order_id"
    assert orders[0]["actual"] == "0.98"
    assert orders[0]["severity"] == "error"
    assert orders[0]["description"].startswith("Value: 0.98")
    assert "column" not in orders[1]  # a dataset rule
    assert orders[1]["severity"] == "warn"
    assert orders[2]["column"] == "status"
    assert "actual" not in orders[2]  # several metrics: no single actual value
    contacts = facet(event, "inputs", "dataQualityAssertions", 1)["assertions"]
    assert [a["assertion"] for a in contacts] == ['IsComplete "id"']


def test_outputs_carry_their_statistics_and_schema() -> None:
    event = event_dict(record(), "COMPLETE")
    stats = facet(event, "outputs", "outputStatistics")
    assert (stats["rowCount"], stats["size"], stats["fileCount"]) == (1180, 53211, 4)
    fields = facet(event, "outputs", "schema")["fields"]
    assert [f["name"] for f in fields] == list(ORDERS_COLUMNS)
    assert [f["ordinal_position"] for f in fields] == list(range(1, len(ORDERS_COLUMNS) + 1))


def test_column_lineage_is_declared_for_silver_and_gold_outputs_only() -> None:
    event = event_dict(record(), "COMPLETE")
    orders, quarantine = event["outputs"]
    assert set(orders["facets"]["columnLineage"]["fields"]) == set(ORDERS_COLUMNS)
    amount_usd = orders["facets"]["columnLineage"]["fields"]["amount_usd"]["inputFields"]
    assert {(f["name"].rsplit("/", 2)[-2:][1], f["field"]) for f in amount_usd} == {
        ("snowflake_orders", "amount"),
        ("fx_rates", "rate"),
    }
    assert "columnLineage" not in quarantine["facets"]


def test_a_staged_gold_version_gets_the_gold_tables_lineage() -> None:
    columns = tuple(column_lineage.COLUMN_LINEAGE["gold.dim_customer"])
    staged = {
        "table": "gold.dim_customer",
        "layer": "gold",
        "kind": "staged",
        "location": f"{LAKE}/gold/dim_customer/v20261127T164005123Z_abc",
        "schema": schema(*columns),
        "rows": 3,
        "bytes": 10,
        "files": 1,
    }
    event = event_dict(record(job_name="silver_to_gold", outputs=[staged]), "COMPLETE")
    validate_event(event)
    email = facet(event, "outputs", "columnLineage")["fields"]["email_sha256"]["inputFields"][0]
    assert email["name"] == f"{LAKE}/silver/contacts"
    assert email["transformations"][0]["masking"] is True


def test_column_lineage_never_names_a_column_the_output_lacks() -> None:
    rec = record()
    rec["outputs"][0]["schema"] = schema("order_id", "status")
    event = event_dict(rec, "COMPLETE")
    assert set(facet(event, "outputs", "columnLineage")["fields"]) == {"order_id", "status"}


def test_events_hold_no_row_values() -> None:
    rec = record(
        state="FAILED",
        error="ValueError: boom",
        metrics={"rows_read": 1200, "secret_sample": "ana@example.com"},
    )
    text = json.dumps(event_dict(rec, "FAIL"))
    assert "ana@example.com" not in text


# ---------------------------------------------------------------- emitters


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_file_transport_appends_one_json_line_per_event_from_many_threads(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "_runs" / RUN_ID
    emitter = lineage.emitter_from_config("file", run_dir=run_dir)
    threads, per_thread = 8, 25

    def send(worker: int) -> None:
        for i in range(per_thread):
            rec = record(job_run_id=f"jr_{worker:02d}{i:04d}")
            assert lineage.emit_for_record(rec, "COMPLETE", emitter)

    workers = [threading.Thread(target=send, args=(w,)) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    events = lines(run_dir / "lineage.jsonl")
    assert len(events) == threads * per_thread == emitter.emitted
    assert len({e["run"]["runId"] for e in events}) == threads * per_thread
    assert emitter.failures == 0
    validate_event(events[0])
    lineage.emit_for_record(record(state="RUNNING"), None, emitter)
    assert lines(run_dir / "lineage.jsonl")[-1]["eventType"] == "START", "appends"


def test_a_file_transport_that_cannot_write_warns_and_counts_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the run folder should be")
    emitter = lineage.emitter_from_config("file", run_dir=blocker / "run")
    with caplog.at_level(logging.WARNING, logger="lakehouse.lineage"):
        assert lineage.emit_for_record(record(), "COMPLETE", emitter) is False
    assert emitter.failures == 1
    warning = caplog.records[-1].getMessage()
    assert "COMPLETE event of job bronze_to_silver" in warning
    assert lineage.run_uuid(JOB_RUN_ID) not in warning, "no event body in the warning"
    assert "snowflake_orders" not in warning


def test_http_transport_posts_to_the_marquez_endpoint(httpserver: Any, monkeypatch) -> None:
    monkeypatch.setenv("LAKEHOUSE_TEST_OL_KEY", "s3cr3t")
    httpserver.expect_request(
        "/api/v1/lineage", method="POST", headers={"Authorization": "Bearer s3cr3t"}
    ).respond_with_data("", status=201)
    emitter = lineage.emitter_from_config(
        "http", run_dir=None, url=httpserver.url_for("/"), api_key_env="LAKEHOUSE_TEST_OL_KEY"
    )
    assert lineage.emit_for_record(record(), "COMPLETE", emitter)
    (request, _), *_ = httpserver.log
    sent = json.loads(request.get_data())
    validate_event(sent)
    assert sent["eventType"] == "COMPLETE"
    assert "s3cr3t" not in repr(emitter)
    emitter.close()


def test_http_transport_failures_do_not_reach_the_job(
    httpserver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/api/v1/lineage").respond_with_data("down", status=500)
    emitter = lineage.emitter_from_config("http", run_dir=None, url=httpserver.url_for("/"))
    with caplog.at_level(logging.WARNING, logger="lakehouse.lineage"):
        assert lineage.emit_for_record(record(), "COMPLETE", emitter) is False
    assert emitter.failures == 1
    assert '"eventType"' not in caplog.text


def test_an_unreachable_lineage_server_does_not_reach_the_job() -> None:
    emitter = lineage.emitter_from_config("http", run_dir=None, url="http://127.0.0.1:9")
    assert lineage.emit_for_record(record(), "COMPLETE", emitter) is False
    assert emitter.failures == 1


def test_console_transport_logs_the_event(caplog: pytest.LogCaptureFixture) -> None:
    emitter = lineage.emitter_from_config("console", run_dir=None)
    with caplog.at_level(logging.INFO, logger="openlineage.client.transport.console"):
        assert lineage.emit_for_record(record(), "COMPLETE", emitter)
    validate_event(json.loads(caplog.records[-1].getMessage()))


def test_none_transport_sends_nothing(tmp_path: Path) -> None:
    emitter = lineage.emitter_from_config("none", run_dir=tmp_path)
    assert lineage.emit_for_record(record(), "COMPLETE", emitter) is False
    assert (emitter.emitted, emitter.failures) == (0, 0)
    assert not (tmp_path / "lineage.jsonl").exists()


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({}, "file"),
        ({"LAKEHOUSE_LINEAGE_TRANSPORT": "console"}, "console"),
        ({"LAKEHOUSE_LINEAGE_TRANSPORT": "none"}, "none"),
        ({"OPENLINEAGE_URL": "http://127.0.0.1:5000"}, "http"),
        ({"LAKEHOUSE_LINEAGE_TRANSPORT": "FILE", "OPENLINEAGE_URL": "http://x:1"}, "file"),
    ],
)
def test_the_transport_comes_from_the_environment_when_not_given(
    env: dict[str, str], kind: str, tmp_path: Path, monkeypatch
) -> None:
    for name in ("LAKEHOUSE_LINEAGE_TRANSPORT", "OPENLINEAGE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert lineage.emitter_from_config(None, run_dir=tmp_path).kind == kind


def test_openlineage_client_configuration_does_not_redirect_events(
    tmp_path: Path, monkeypatch
) -> None:
    config = tmp_path / "openlineage.yml"
    config.write_text("transport:\n  type: http\n  url: http://127.0.0.1:9\n")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "console")
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    emitter = lineage.emitter_from_config("file", run_dir=tmp_path)
    assert lineage.emit_for_record(record(), "COMPLETE", emitter)
    assert len(lines(tmp_path / "lineage.jsonl")) == 1


@pytest.mark.parametrize(
    ("kind", "kwargs", "message"),
    [
        ("kafka", {"run_dir": "x"}, "not one of"),
        ("http", {"run_dir": None}, "needs a URL"),
        ("http", {"run_dir": None, "url": "not a url"}, "bad lineage URL"),
        ("file", {"run_dir": None}, "run_dir"),
    ],
)
def test_a_configuration_that_cannot_work_is_refused(
    kind: str, kwargs: dict[str, Any], message: str, monkeypatch
) -> None:
    monkeypatch.delenv("OPENLINEAGE_URL", raising=False)
    with pytest.raises(lineage.LineageConfigError, match=message):
        lineage.emitter_from_config(kind, **kwargs)


def test_a_run_folder_on_s3_sends_events_to_the_log() -> None:
    emitter = lineage.emitter_from_config("file", run_dir="s3://bucket/lake/_runs/wr_1")
    assert emitter.kind == "console"


def test_a_record_that_cannot_become_an_event_is_counted_not_raised() -> None:
    emitter = lineage.emitter_from_config("none", run_dir=None)
    broken = record()
    del broken["job_run_id"]
    assert lineage.emit_for_record(broken, "COMPLETE", emitter) is False
    assert lineage.emit_for_record(record(state="WAITING"), None, emitter) is False
    assert emitter.failures == 2
