"""The HubSpot contacts client against a fake CRM v3 API served on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from lakehouse.clients.http import AuthError, RetryPolicy, SourceError
from lakehouse.clients.hubspot import (
    CONTACTS_PATH,
    SEARCH_PATH,
    HubSpotClient,
    PullResult,
    contact_properties,
    land_contacts,
)
from lakehouse.clients.state import StateStore
from lakehouse.contracts import load_contract

TOKEN = "pat-eu1-00000000-not-a-real-token"
SECRET = "lakehouse/hubspot"
BASE_MS = 1_764_000_000_000  # 2025-11-24T16:00:00Z


def iso(ms: int) -> str:
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def contact(i: int, modified_ms: int) -> dict:
    return {
        "id": str(1001 + 50 * i),
        "properties": {
            "email": f"zoë.müller{i}@example.com",
            "firstname": "Zoë",
            "lastname": "Müller",
            "lastmodifieddate": iso(modified_ms),
            "hs_object_id": str(1001 + 50 * i),
        },
        "createdAt": iso(BASE_MS),
        "updatedAt": iso(modified_ms),
        "archived": False,
    }


def modified(record: dict) -> int:
    return _epoch_ms(record["properties"]["lastmodifieddate"])


@cache  # the fake search sorts 10,000 contacts per request
def _epoch_ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp() * 1000)


class FakeHubSpot:
    """Contacts served like HubSpot's list and search APIs; keeps every body it sent.

    The search refuses ``after`` at or past the cap with a 400, as HubSpot does.
    """

    def __init__(self, server: HTTPServer, contacts: list[dict], search_cap: int = 10_000):
        self.contacts = contacts
        self.search_cap = search_cap
        self.bodies: list[bytes] = []
        self.searches: list[dict] = []
        self.replace: dict[int, bytes] = {}  # response number (1-based) -> body to send instead
        self.fail_from: int | None = None  # from this response number on, answer 500
        server.expect_request(CONTACTS_PATH, method="GET").respond_with_handler(self.list)
        server.expect_request(SEARCH_PATH, method="POST").respond_with_handler(self.search)

    def list(self, request: Request) -> Response:
        start = int(request.args.get("after", "0"))
        limit = int(request.args["limit"])
        page: dict = {"results": self.contacts[start : start + limit]}
        if start + limit < len(self.contacts):
            page["paging"] = {"next": {"after": str(start + limit), "link": "ignored"}}
        return self.send(request, page)

    def search(self, request: Request) -> Response:
        body = request.get_json()
        self.searches.append(body)
        since = int(body["filterGroups"][0]["filters"][0]["value"])
        start, limit = int(body.get("after", "0")), body["limit"]
        if start >= self.search_cap:
            return Response('{"status":"error","message":"paging past 10000"}', status=400)
        matches = sorted(
            (c for c in self.contacts if modified(c) >= since), key=lambda c: (modified(c), c["id"])
        )
        page: dict = {"total": len(matches), "results": matches[start : start + limit]}
        if start + limit < len(matches):
            page["paging"] = {"next": {"after": str(start + limit)}}
        return self.send(request, page)

    def send(self, request: Request, page: dict) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response('{"status":"error","category":"EXPIRED_AUTHENTICATION"}', status=401)
        number = len(self.bodies) + 1
        if self.fail_from is not None and number >= self.fail_from:
            return Response("upstream trouble", status=500)
        # Pretty-printed non-ASCII JSON: a re-serialised page would not match byte for byte.
        body = self.replace.get(number) or json.dumps(page, ensure_ascii=False, indent=1).encode()
        self.bodies.append(body)
        return Response(body, content_type="application/json")


def make_client(api: HTTPServer, sleeps: list[float], **kwargs) -> HubSpotClient:
    policy = RetryPolicy(sleep=sleeps.append, attempts=2, connect_timeout=1, read_timeout=5)
    return HubSpotClient(
        TOKEN, secret_name=SECRET, base_url=api.url_for("/"), policy=policy, **kwargs
    )


def landed(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob("page-*.json"))]


def test_properties_come_from_the_contract():
    contract = load_contract("hubspot_contacts")
    wanted = [f.source_field.split(".", 1)[1] for f in contract.fields if "." in f.source_field]
    assert contact_properties() == wanted
    assert "email" in wanted and "lastmodifieddate" in wanted and "id" not in wanted


def test_a_full_pull_lands_every_page_byte_for_byte(api, sleeps, tmp_path):
    contacts = [contact(i, BASE_MS + i) for i in range(250)]
    fake = FakeHubSpot(api, contacts)
    result = make_client(api, sleeps).pull_all(str(tmp_path))

    assert result == PullResult(pages=3, records=250, watermark_ms=BASE_MS + 249)
    assert landed(tmp_path) == fake.bodies
    assert [p.name for p in sorted(tmp_path.iterdir())] == [
        "page-00001.json",
        "page-00002.json",
        "page-00003.json",
    ]
    records = [r for body in landed(tmp_path) for r in json.loads(body)["results"]]
    assert records == contacts
    first, second = api.log[0][0], api.log[1][0]
    assert first.args["properties"] == ",".join(contact_properties())
    assert first.args["limit"] == "100" and "after" not in first.args
    assert second.args["after"] == "100"
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"


def test_first_run_pulls_all_then_later_runs_search_from_the_watermark(api, sleeps, tmp_path):
    contacts = [contact(i, BASE_MS + 1000 * i) for i in range(5)]
    fake = FakeHubSpot(api, contacts)
    state = StateStore(str(tmp_path / "lake"))
    client = make_client(api, sleeps)

    day1 = land_contacts(client, str(tmp_path / "day1"), state)
    assert (day1.pages, day1.records, day1.watermark_ms) == (1, 5, BASE_MS + 4000)
    assert state.get("hubspot_contacts")["watermark_ms"] == BASE_MS + 4000
    assert state.get("hubspot_contacts")["watermark"] == iso(BASE_MS + 4000)

    contacts[1] = contact(1, BASE_MS + 9000)  # updated since
    day2 = land_contacts(client, str(tmp_path / "day2"), state)
    assert fake.searches == [
        {
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": "lastmodifieddate",
                            "operator": "GTE",
                            "value": str(BASE_MS + 4000),
                        }
                    ]
                }
            ],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": contact_properties(),
            "limit": 100,
        }
    ]
    # GTE: the contact at exactly the watermark comes again, with the updated one.
    ids = [r["id"] for r in json.loads(landed(tmp_path / "day2")[0])["results"]]
    assert ids == [contacts[4]["id"], contacts[1]["id"]]
    assert (day2.pages, day2.records, day2.watermark_ms) == (1, 2, BASE_MS + 9000)
    assert state.get("hubspot_contacts")["watermark_ms"] == BASE_MS + 9000


def test_a_search_with_no_changes_keeps_the_watermark(api, sleeps, tmp_path):
    FakeHubSpot(api, [contact(0, BASE_MS)])
    result = make_client(api, sleeps).pull_changed(str(tmp_path), BASE_MS + 1)
    assert result == PullResult(pages=1, records=0, watermark_ms=BASE_MS + 1)
    assert json.loads(landed(tmp_path)[0])["results"] == []


def test_a_failure_mid_pull_leaves_the_old_watermark(api, sleeps, tmp_path):
    fake = FakeHubSpot(api, [contact(i, BASE_MS + i) for i in range(300)])
    fake.fail_from = 2  # page 2 keeps failing
    state = StateStore(str(tmp_path / "lake"))
    state.put("hubspot_contacts", {"watermark_ms": BASE_MS})

    with pytest.raises(SourceError, match=r"hubspot: POST /crm/v3/objects/contacts/search failed"):
        land_contacts(make_client(api, sleeps), str(tmp_path / "day"), state)
    assert state.get("hubspot_contacts") == {"watermark_ms": BASE_MS}
    assert len(landed(tmp_path / "day")) == 1  # page 1 stays landed; the rerun replaces it


def test_a_page_that_is_not_json_is_landed_and_stops_the_pull(api, sleeps, tmp_path):
    fake = FakeHubSpot(api, [contact(i, BASE_MS + i) for i in range(300)])
    fake.replace[2] = b'{"results": [{"id": "1051", "properties": {"email": '  # cut short
    state = StateStore(str(tmp_path / "lake"))
    state.put("hubspot_contacts", {"watermark_ms": BASE_MS})

    with pytest.raises(SourceError, match=r"page 2 \(page-00002.json\) is not a JSON page"):
        land_contacts(make_client(api, sleeps), str(tmp_path / "day"), state)
    assert landed(tmp_path / "day") == fake.bodies  # both pages, the bad one as received
    assert landed(tmp_path / "day")[1] == fake.replace[2]
    assert len(api.log) == 2  # page 3 was never asked for
    assert state.get("hubspot_contacts") == {"watermark_ms": BASE_MS}


def test_a_pagination_cycle_is_an_error_not_an_endless_loop(api, sleeps, tmp_path):
    api.expect_request(CONTACTS_PATH).respond_with_json(
        {"results": [contact(0, BASE_MS)], "paging": {"next": {"after": "1051"}}}
    )
    with pytest.raises(SourceError, match=r"pagination cycle: page 2 points back to cursor '1051'"):
        make_client(api, sleeps).pull_all(str(tmp_path))
    assert len(api.log) == 2


def test_an_expired_token_names_the_secret_after_one_request(api, sleeps, tmp_path):
    FakeHubSpot(api, [contact(0, BASE_MS)])
    client = HubSpotClient(
        "pat-expired-token",
        secret_name=SECRET,
        base_url=api.url_for("/"),
        policy=RetryPolicy(sleep=sleeps.append),
    )
    state = StateStore(str(tmp_path / "lake"))
    with pytest.raises(AuthError) as error:
        land_contacts(client, str(tmp_path / "day"), state)
    assert f"secret '{SECRET}'" in str(error.value) and "HTTP 401" in str(error.value)
    assert "pat-expired-token" not in str(error.value)
    assert len(api.log) == 1 and sleeps == []
    assert state.get("hubspot_contacts") == {}


def test_the_search_restarts_from_the_last_modified_date_at_the_10000_cap(api, sleeps, tmp_path):
    # Pairs of contacts share a lastmodifieddate, so the restart point holds two of them.
    contacts = [contact(i, BASE_MS + 1000 * (i // 2)) for i in range(10_050)]
    fake = FakeHubSpot(api, contacts)
    result = make_client(api, sleeps).pull_changed(str(tmp_path), BASE_MS)

    last_of_first_query = BASE_MS + 1000 * (9_999 // 2)
    restarts = [i for i, body in enumerate(fake.searches) if "after" not in body]
    assert restarts == [0, 100]  # 100 pages of 100, then a new search
    assert fake.searches[100]["filterGroups"][0]["filters"][0]["value"] == str(last_of_first_query)
    assert all(int(body.get("after", 0)) < 10_000 for body in fake.searches)
    landed_ids = [r["id"] for body in landed(tmp_path) for r in json.loads(body)["results"]]
    assert set(landed_ids) == {c["id"] for c in contacts}
    # Contacts 9998 and 9999 (the restart's millisecond) land twice.
    assert len(landed_ids) == 10_052
    assert result == PullResult(pages=101, records=10_052, watermark_ms=BASE_MS + 1000 * 5_024)


def test_more_contacts_in_one_millisecond_than_the_cap_is_an_error(api, sleeps, tmp_path):
    FakeHubSpot(api, [contact(i, BASE_MS) for i in range(6)], search_cap=4)
    client = make_client(api, sleeps, page_size=2, search_cap=4)
    with pytest.raises(SourceError, match="more than 4 contacts have lastmodifieddate"):
        client.pull_changed(str(tmp_path), BASE_MS)


def test_a_rerun_of_a_landed_batch_does_not_call_the_api(api, sleeps, tmp_path):
    FakeHubSpot(api, [contact(i, BASE_MS + i) for i in range(3)])
    state = StateStore(str(tmp_path / "lake"))
    folder = str(tmp_path / "day")
    first = land_contacts(make_client(api, sleeps), folder, state)
    again = land_contacts(make_client(api, sleeps), folder, state)
    assert again == PullResult(first.pages, first.records, first.watermark_ms, skipped=True)
    assert len(api.log) == 1


def test_pages_of_an_earlier_failed_attempt_are_replaced(api, sleeps, tmp_path):
    FakeHubSpot(api, [contact(0, BASE_MS)])
    (tmp_path / "page-00007.json").write_text('{"results": []}')
    (tmp_path / "notes.txt").write_text("kept")
    make_client(api, sleeps).pull_all(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "page-00001.json"]


def test_the_token_comes_from_secrets_manager(api, sleeps, tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    FakeHubSpot(api, [contact(0, BASE_MS)])
    with mock_aws():
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name=SECRET, SecretString=json.dumps({"token": TOKEN}))
        client = HubSpotClient.from_secret(
            SECRET,
            secrets_client=secrets,
            base_url=api.url_for("/"),
            policy=RetryPolicy(attempts=1),
        )
    assert client.pull_all(str(tmp_path)).records == 1
    assert api.log[0][0].headers["Authorization"] == f"Bearer {TOKEN}"
