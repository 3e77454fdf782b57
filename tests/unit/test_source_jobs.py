"""The HubSpot and FX ingest jobs pull from a real HTTP API on 127.0.0.1, land, then ingest.

The API serves pages and documents the generator wrote (the sources' real wire format); the
secrets come from moto's Secrets Manager. This proves the job wiring: arguments -> client ->
landing -> contract enforcement -> Bronze.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from lakehouse.clients.fx import last_landed_date
from lakehouse.clients.state import StateStore
from lakehouse.generate import generate

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 3, 1)


def job_module(name: str):
    spec = importlib.util.spec_from_file_location(f"job_{name}", ROOT / "glue_jobs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def wire(tmp_path_factory) -> Path:
    """A clean generated landing zone whose files the fake APIs serve."""
    lake = tmp_path_factory.mktemp("wire")
    generate(lake, DAY, scale=0.01, clean=True)
    return lake / "landing"


@pytest.fixture
def secrets(aws_credentials):
    with mock_aws():
        client = boto3.client("secretsmanager")
        client.create_secret(Name="hubspot", SecretString=json.dumps({"token": "pat-test"}))
        client.create_secret(Name="fx", SecretString=json.dumps({"api_key": "key-test"}))
        yield


def test_hubspot_job_pulls_every_page_lands_it_raw_and_ingests_it(
    spark, spark_lake, wire, secrets, httpserver: HTTPServer, forget_batch
):
    pages = sorted((wire / "hubspot_contacts" / f"ingest_date={DAY}").glob("page-*.json"))
    by_cursor = {None: pages[0]}
    for page in pages:
        after = (json.loads(page.read_text()).get("paging") or {}).get("next", {}).get("after")
        if after:
            by_cursor[after] = pages[pages.index(page) + 1]
    seen = []

    def handler(request: Request) -> Response:
        assert request.headers["Authorization"] == "Bearer pat-test"
        seen.append(request.args.get("after"))
        return Response(by_cursor[request.args.get("after")].read_bytes(), 200,
                        content_type="application/json")  # fmt: skip

    httpserver.expect_request("/crm/v3/objects/contacts").respond_with_handler(handler)
    batch = dt.date(2032, 1, 1)
    forget_batch("hubspot_contacts", batch)
    job_module("ingest_hubspot_contacts").main(
        ["prog", "--JOB_NAME", "ingest_hubspot_contacts", "--lake_root", str(spark_lake),
         "--batch_date", batch.isoformat(), "--hubspot_secret_name", "hubspot",
         "--hubspot_base_url", httpserver.url_for("/").rstrip("/")]
    )  # fmt: skip
    assert len(seen) == len(pages)
    landed = sorted(
        (spark_lake / "landing" / "hubspot_contacts" / f"ingest_date={batch}").glob("*")
    )
    assert [p.read_bytes() for p in landed] == [p.read_bytes() for p in pages]
    records = sum(len(json.loads(p.read_text())["results"]) for p in pages)
    bronze = spark.sql(
        f"select count(*) n from bronze.hubspot_contacts where ingest_date = '{batch}'"
    ).first()["n"]
    assert bronze == records


def test_fx_job_pulls_each_missing_date_and_ingests_the_documents(
    spark, spark_lake, wire, secrets, httpserver: HTTPServer, forget_batch
):
    template = json.loads(
        next((wire / "fx_rates" / f"ingest_date={DAY}").glob("rates_2*.json")).read_text()
    )
    # The job continues after the newest date landed in this lake (other tests land some too).
    saved = StateStore(str(spark_lake)).get("fx_rates").get("last_date")
    last = (
        dt.date.fromisoformat(saved)
        if saved
        else last_landed_date(str(spark_lake / "landing" / "fx_rates"))
    )
    start = (last or dt.date(2033, 1, 1)) + dt.timedelta(days=1)
    batch = start + dt.timedelta(days=2)
    forget_batch("fx_rates", batch)
    wanted = [start, start + dt.timedelta(days=1)] if last else [batch - dt.timedelta(days=1)]
    requested = []

    def handler(request: Request) -> Response:
        assert request.headers["X-Api-Key"] == "key-test"
        day = request.path.rsplit("/", 1)[-1]
        requested.append(day)
        return Response(json.dumps({**template, "date": day}), 200, content_type="application/json")

    httpserver.expect_request(re.compile(r"^/v1/rates/\d{4}-\d{2}-\d{2}$")).respond_with_handler(
        handler
    )
    job_module("ingest_fx_rates").main(
        ["prog", "--JOB_NAME", "ingest_fx_rates", "--lake_root", str(spark_lake),
         "--fx_base_url", httpserver.url_for("/").rstrip("/"), "--fx_secret_name", "fx",
         "--batch_date", batch.isoformat()]
    )  # fmt: skip
    assert requested == [d.isoformat() for d in wanted]
    folder = spark_lake / "landing" / "fx_rates" / f"ingest_date={batch}"
    assert sorted(p.name for p in folder.glob("rates_*.json")) == [
        f"rates_{d}.json" for d in wanted
    ]
    bronze = spark.sql(
        f"select count(*) n from bronze.fx_rates where ingest_date = '{batch}'"
    ).first()["n"]
    assert bronze == len(template["rates"]) * len(wanted)
