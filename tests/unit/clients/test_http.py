"""The shared retry policy against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from lakehouse.clients.http import AuthError, RetryPolicy, SourceError, new_session, request


def policy(sleeps: list[float], **overrides) -> RetryPolicy:
    settings = {"connect_timeout": 0.5, "read_timeout": 0.5, **overrides}
    return RetryPolicy(sleep=sleeps.append, **settings)


def get(api: HTTPServer, sleeps: list[float], path: str = "/v1/thing", **overrides):
    return request(
        new_session(),
        "GET",
        api.url_for(path),
        source="fx",
        policy=policy(sleeps, **overrides),
        secret_name="lakehouse/fx-api",
    )


def test_a_2xx_response_is_returned(api, sleeps):
    api.expect_request("/v1/thing").respond_with_json({"ok": True})
    assert get(api, sleeps).json() == {"ok": True}
    assert sleeps == []


def test_429_waits_the_retry_after_seconds_then_succeeds(api, sleeps):
    api.expect_ordered_request("/v1/thing").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    api.expect_ordered_request("/v1/thing").respond_with_json({"ok": True})
    assert get(api, sleeps).json() == {"ok": True}
    assert sleeps == [7.0]
    assert len(api.log) == 2


def test_a_long_retry_after_is_capped(api, sleeps):
    api.expect_ordered_request("/v1/thing").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    api.expect_ordered_request("/v1/thing").respond_with_json({})
    get(api, sleeps, max_retry_after=45.0)
    assert sleeps == [45.0]


def test_a_retry_after_date_falls_back_to_backoff(api, sleeps):
    api.expect_ordered_request("/v1/thing").respond_with_data(
        "", status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    api.expect_ordered_request("/v1/thing").respond_with_json({})
    get(api, sleeps)
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 2.0


def test_500_then_success_backs_off_once(api, sleeps):
    api.expect_ordered_request("/v1/thing").respond_with_data("oops", status=500)
    api.expect_ordered_request("/v1/thing").respond_with_json({"ok": True})
    assert get(api, sleeps).json() == {"ok": True}
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 2.0  # first wait plus up to 1 s jitter


def test_a_read_timeout_is_retried(api, sleeps):
    def too_slow(_: Request) -> Response:
        time.sleep(0.6)
        return Response("{}", content_type="application/json")

    api.expect_ordered_request("/v1/thing").respond_with_handler(too_slow)
    api.expect_ordered_request("/v1/thing").respond_with_json({"ok": True})
    started = time.monotonic()
    assert get(api, sleeps, read_timeout=0.2).json() == {"ok": True}
    assert time.monotonic() - started < 0.6  # it did not wait for the slow response
    assert len(sleeps) == 1
    # Let the abandoned slow handler finish here, not in the log of the next test.
    deadline = time.monotonic() + 2
    while len(api.log) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(api.log) == 2


def test_a_refused_connection_is_retried_then_reported(sleeps):
    with socket.socket() as probe:  # a port on 127.0.0.1 that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SourceError, match=r"after 3 attempts; last error: ConnectionError"):
        request(
            new_session(),
            "GET",
            f"http://127.0.0.1:{port}/v1/thing",
            source="fx",
            policy=policy(sleeps, attempts=3),
        )
    assert len(sleeps) == 2


def test_exhausted_retries_name_source_path_and_status_but_not_the_query(api, sleeps):
    api.expect_request("/v1/rates/2026-01-01").respond_with_data("down", status=503)
    with pytest.raises(SourceError) as error:
        request(
            new_session(),
            "GET",
            api.url_for("/v1/rates/2026-01-01") + "?api_key=SUPERSECRET",
            source="fx",
            policy=policy(sleeps),
        )
    message = str(error.value)
    assert "fx: GET /v1/rates/2026-01-01 failed after 5 attempts" in message
    assert "HTTP 503" in message and error.value.status == 503
    assert "SUPERSECRET" not in message
    assert len(api.log) == 5
    # Exponential backoff with jitter: 1, 2, 4, 8 s plus up to 1 s each.
    assert [int(s) for s in sleeps] == [1, 2, 4, 8]


def test_the_total_wait_is_bounded(api, sleeps):
    api.expect_request("/v1/thing").respond_with_data("", status=429, headers={"Retry-After": "10"})
    with pytest.raises(SourceError, match="after 3 attempts"):
        get(api, sleeps, attempts=10, max_total_wait=25.0)
    assert sleeps == [10.0, 10.0]  # a third wait would take the total to 30 s


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_raises_auth_error_at_once(api, sleeps, status):
    api.expect_request("/v1/thing").respond_with_data("expired", status=status)
    with pytest.raises(AuthError) as error:
        request(
            new_session(),
            "GET",
            api.url_for("/v1/thing"),
            source="hubspot",
            policy=policy(sleeps),
            secret_name="lakehouse/hubspot",
            headers={"Authorization": "Bearer pat-TOKEN-VALUE"},
        )
    assert "'lakehouse/hubspot'" in str(error.value)
    assert "pat-TOKEN-VALUE" not in str(error.value)
    assert error.value.status == status
    assert len(api.log) == 1 and sleeps == []


def test_other_4xx_are_not_retried(api, sleeps):
    api.expect_request("/v1/thing").respond_with_data("no such date", status=404)
    with pytest.raises(SourceError, match="HTTP 404") as error:
        get(api, sleeps)
    assert not isinstance(error.value, AuthError)
    assert len(api.log) == 1 and sleeps == []


def test_the_session_sends_json_accept_and_a_user_agent(api, sleeps):
    api.expect_request("/v1/thing", headers={"Accept": "application/json"}).respond_with_json({})
    get(api, sleeps)
    assert api.log[0][0].headers["User-Agent"].startswith("lakehouse-ingest/")


def test_policy_timeout_is_connect_and_read():
    assert RetryPolicy(connect_timeout=3, read_timeout=9).timeout == (3, 9)
    assert isinstance(new_session(), requests.Session)
