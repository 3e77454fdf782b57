"""The FX rates client against a fake rates API served on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from lakehouse.clients.fx import FxClient, FxResult, dates_to_pull, land_fx_rates, last_landed_date
from lakehouse.clients.http import AuthError, RetryPolicy, SourceError
from lakehouse.clients.state import StateStore

KEY = "fx-key-not-real"
SECRET = "lakehouse/fx-api"
D = dt.date.fromisoformat


class FakeRates:
    """``GET /v1/rates/<date>?base=USD`` with ``X-Api-Key``; keeps every body it sent."""

    def __init__(self, server: HTTPServer) -> None:
        self.bodies: dict[str, bytes] = {}
        self.fail: set[str] = set()  # dates answered with 500
        self.wrong_date: set[str] = set()  # dates answered with another date's document
        server.expect_request(re.compile(r"^/v1/rates/[0-9-]+$")).respond_with_handler(self.rates)

    def rates(self, request: Request) -> Response:
        if request.headers.get("X-Api-Key") != KEY:
            return Response('{"error": "invalid key"}', status=401)
        assert request.args["base"] == "USD"
        date = request.path.rsplit("/", 1)[-1]
        if date in self.fail:
            return Response("down", status=500)
        shown = "1999-01-01" if date in self.wrong_date else date
        doc = {"base": "USD", "date": shown, "rates": {"EUR": "0.9215", "JPY": "151.20"}}
        body = json.dumps(doc, indent=2).encode() + b"\n"
        self.bodies[date] = body
        return Response(body, content_type="application/json")


def make_client(api: HTTPServer, key: str = KEY) -> FxClient:
    policy = RetryPolicy(sleep=lambda _: None, attempts=2, connect_timeout=1, read_timeout=5)
    return FxClient(api.url_for("/"), key, secret_name=SECRET, policy=policy)


def batch_folder(lake: Path, batch_date: str) -> str:
    return str(lake / "landing" / "fx_rates" / f"ingest_date={batch_date}")


def test_dates_from_the_day_after_the_last_to_the_day_before_the_batch():
    assert dates_to_pull(D("2026-11-24"), D("2026-11-21")) == [D("2026-11-22"), D("2026-11-23")]
    assert dates_to_pull(D("2026-11-24"), D("2026-11-23")) == []
    assert dates_to_pull(D("2026-11-24"), D("2026-11-30")) == []
    assert dates_to_pull(D("2026-11-24"), None) == [D("2026-11-23")]
    assert dates_to_pull(D("2026-11-24"), None, first_date=D("2026-11-21")) == [
        D("2026-11-21"),
        D("2026-11-22"),
        D("2026-11-23"),
    ]
    bounded = dates_to_pull(D("2026-03-01"), D("2025-12-31"), max_days=5)
    assert bounded == [D("2026-01-01") + dt.timedelta(days=i) for i in range(5)]


def test_the_missing_dates_are_pulled_and_landed_raw(api, tmp_path):
    fake = FakeRates(api)
    state = StateStore(str(tmp_path))
    state.put("fx_rates", {"last_date": "2026-11-20"})
    folder = batch_folder(tmp_path, "2026-11-24")

    result = land_fx_rates(make_client(api), folder, state, D("2026-11-24"))

    dates = ("2026-11-21", "2026-11-22", "2026-11-23")
    assert result == FxResult(tuple(map(D, dates)), D("2026-11-23"))
    assert sorted(p.name for p in Path(folder).iterdir()) == [f"rates_{d}.json" for d in dates]
    for date in dates:
        assert (Path(folder) / f"rates_{date}.json").read_bytes() == fake.bodies[date]
    assert state.get("fx_rates") == {"last_date": "2026-11-23"}
    assert [r.path for r, _ in api.log] == [f"/v1/rates/{d}" for d in dates]


def test_without_a_watermark_the_newest_landed_document_counts(api, tmp_path):
    FakeRates(api)
    old = Path(batch_folder(tmp_path, "2026-11-20"))
    old.mkdir(parents=True)
    (old / "rates_2026-11-19.json").write_text("{}")
    (old / "rates_2026-11-18.json").write_text("{}")
    assert last_landed_date(str(old.parent)) == D("2026-11-19")

    result = land_fx_rates(
        make_client(api),
        batch_folder(tmp_path, "2026-11-22"),
        StateStore(str(tmp_path)),
        D("2026-11-22"),
    )
    assert result.dates == (D("2026-11-20"), D("2026-11-21"))


def test_an_up_to_date_lake_calls_nothing(api, tmp_path):
    FakeRates(api)
    state = StateStore(str(tmp_path))
    state.put("fx_rates", {"last_date": "2026-11-23"})
    result = land_fx_rates(
        make_client(api), batch_folder(tmp_path, "2026-11-24"), state, D("2026-11-24")
    )
    assert result == FxResult((), D("2026-11-23"))
    assert api.log == []


def test_a_failed_date_leaves_the_old_watermark(api, tmp_path):
    fake = FakeRates(api)
    fake.fail.add("2026-11-22")
    state = StateStore(str(tmp_path))
    state.put("fx_rates", {"last_date": "2026-11-20"})
    with pytest.raises(SourceError, match=r"fx: GET /v1/rates/2026-11-22 failed after 2 attempts"):
        land_fx_rates(
            make_client(api), batch_folder(tmp_path, "2026-11-24"), state, D("2026-11-24")
        )
    assert state.get("fx_rates") == {"last_date": "2026-11-20"}


def test_a_document_of_another_date_is_landed_and_refused(api, tmp_path):
    fake = FakeRates(api)
    fake.wrong_date.add("2026-11-23")
    folder = batch_folder(tmp_path, "2026-11-24")
    with pytest.raises(SourceError, match="holds the rates of '1999-01-01'"):
        land_fx_rates(make_client(api), folder, StateStore(str(tmp_path)), D("2026-11-24"))
    assert (Path(folder) / "rates_2026-11-23.json").read_bytes() == fake.bodies["2026-11-23"]
    assert StateStore(str(tmp_path)).get("fx_rates") == {}


def test_a_refused_key_names_the_secret_after_one_request(api, tmp_path):
    FakeRates(api)
    with pytest.raises(AuthError, match=f"secret '{SECRET}'") as error:
        land_fx_rates(
            make_client(api, key="wrong-key"),
            batch_folder(tmp_path, "2026-11-24"),
            StateStore(str(tmp_path)),
            D("2026-11-24"),
        )
    assert "wrong-key" not in str(error.value)
    assert len(api.log) == 1
