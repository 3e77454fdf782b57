"""The runtime adapter: Glue-style arguments, run properties, run id and batch date."""

from __future__ import annotations

import datetime as dt

import pytest

from lakehouse import runtime
from lakehouse.runtime import JobArgumentError, LocalRunProperties, resolve_args


def test_required_arguments_are_required_as_in_glue():
    with pytest.raises(JobArgumentError, match="table"):
        resolve_args(["job.py", "--JOB_NAME", "j"], required=["table"])


def test_job_name_is_always_required():
    with pytest.raises(JobArgumentError, match="JOB_NAME"):
        resolve_args(["job.py", "--lake_root", "/x"], optional={"lake_root": None})


def test_optional_arguments_take_defaults_when_absent_and_values_when_present():
    args = resolve_args(
        ["job.py", "--JOB_NAME", "j", "--lake_root", "/lake"],
        optional={"lake_root": None, "window_size": "100 seconds"},
    )
    assert args["JOB_NAME"] == "j"
    assert args["lake_root"] == "/lake"
    assert args["window_size"] == "100 seconds"


def test_glue_reserved_arguments_are_tolerated():
    args = resolve_args(
        ["job.py", "--JOB_NAME", "j", "--job-bookmark-option", "job-bookmark-enable"]
    )
    assert args["JOB_NAME"] == "j"


def test_local_run_properties_merge_and_persist(tmp_path):
    store = LocalRunProperties(str(tmp_path), "wr_1")
    store.put({"run_id": "wr_1", "batch_date": "2026-01-02"})
    store.put({"extra": 3})
    again = LocalRunProperties(str(tmp_path), "wr_1").get()
    assert again == {"run_id": "wr_1", "batch_date": "2026-01-02", "extra": "3"}


def test_jobs_of_a_workflow_run_take_the_runs_id_and_batch_date(tmp_path):
    LocalRunProperties(str(tmp_path), "wr_7").put({"run_id": "wr_7", "batch_date": "2026-03-04"})
    eng = runtime.Engine(spark=None, mode="local", lake_root=str(tmp_path))
    args = {"WORKFLOW_NAME": "daily_batch", "WORKFLOW_RUN_ID": "wr_7", "batch_date": "1999-01-01"}
    run_id, batch_date, _ = runtime._resolve_run(args, eng, "jr_1")
    assert (run_id, batch_date) == ("wr_7", dt.date(2026, 3, 4)), "the run's properties win"


def test_the_first_job_of_a_run_without_properties_fixes_the_batch_date(tmp_path):
    eng = runtime.Engine(spark=None, mode="local", lake_root=str(tmp_path))
    args = {"WORKFLOW_NAME": "daily_batch", "WORKFLOW_RUN_ID": "wr_9", "batch_date": "2026-05-06"}
    assert runtime._resolve_run(args, eng, "jr_1")[:2] == ("wr_9", dt.date(2026, 5, 6))
    assert LocalRunProperties(str(tmp_path), "wr_9").get()["batch_date"] == "2026-05-06"


def test_a_job_run_alone_uses_its_own_run_id():
    eng = runtime.Engine(spark=None, mode="local", lake_root="/unused")
    run_id, batch_date, store = runtime._resolve_run({"batch_date": "2026-02-03"}, eng, "jr_5")
    assert (run_id, batch_date, store) == ("jr_5", dt.date(2026, 2, 3), None)


def test_a_bad_batch_date_is_a_clear_argument_error():
    eng = runtime.Engine(spark=None, mode="local", lake_root="/unused")
    with pytest.raises(JobArgumentError, match="not an ISO date"):
        runtime._resolve_run({"batch_date": "03/02/2026"}, eng, "jr_5")


def test_the_glue_api_store_is_used_only_in_glue_against_s3(tmp_path):
    assert isinstance(
        runtime.run_properties_store("local", str(tmp_path), "wf", "wr"), LocalRunProperties
    )
