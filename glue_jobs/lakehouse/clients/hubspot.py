"""HubSpot CRM v3 contacts: pull them page by page and land every raw page.

* Full pull: ``GET /crm/v3/objects/contacts`` with ``after`` cursors.
* Incremental pull: ``POST /crm/v3/objects/contacts/search`` for ``lastmodifieddate >=`` the
  watermark, oldest first. HubSpot's search stops at 10,000 results per query, so on reaching
  that the search starts again from the last ``lastmodifieddate`` seen (the records of that
  exact millisecond come twice; Bronze keeps duplicates, Silver deduplicates).

Each response body is landed as ``page-NNNNN.json`` byte for byte *before* it is parsed, so what
the API said is kept even when it cannot be read, and a replay reads the landing, not the API.
A page that is not JSON (or has no ``results`` list) is landed and then stops the pull with an
error naming the page: the watermark is not moved, so the next run pulls the same range again.
The watermark (the greatest ``lastmodifieddate`` seen) is saved only after every page landed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import requests

from lakehouse.clients import blobs
from lakehouse.clients.http import RetryPolicy, SourceError, new_session, request
from lakehouse.clients.secrets import get_secret
from lakehouse.clients.state import StateStore
from lakehouse.contracts import Contract, load_contract

log = logging.getLogger("lakehouse.clients.hubspot")

SOURCE = "hubspot_contacts"
DEFAULT_BASE_URL = "https://api.hubapi.com"
CONTACTS_PATH = "/crm/v3/objects/contacts"
SEARCH_PATH = "/crm/v3/objects/contacts/search"
PAGE_SIZE = 100  # the list API's maximum, and the generator's page size
SEARCH_CAP = 10_000  # HubSpot search returns at most this many results per query
_PAGE_FILE = re.compile(r"^page-\d+\.json$")


@dataclass(frozen=True)
class PullResult:
    """What a pull landed. ``watermark_ms``: greatest lastmodifieddate seen (epoch ms)."""

    pages: int
    records: int
    watermark_ms: int | None
    skipped: bool = False  # True when this batch was already landed and the API was not called


def contact_properties(contract: Contract | None = None) -> list[str]:
    """The HubSpot properties to request: the contract's ``properties.*`` source fields."""
    contract = contract or load_contract(SOURCE)
    prefix = "properties."
    return [
        f.source_field[len(prefix) :] for f in contract.fields if f.source_field.startswith(prefix)
    ]


class HubSpotClient:
    """Contacts of one HubSpot account, read with a private-app token."""

    def __init__(
        self,
        token: str,
        *,
        secret_name: str,
        base_url: str = DEFAULT_BASE_URL,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        page_size: int = PAGE_SIZE,
        search_cap: int = SEARCH_CAP,
    ) -> None:
        self._headers = {"Authorization": f"Bearer {token}"}
        self.secret_name = secret_name  # named in errors; the token never is
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.session = session or new_session()
        self.page_size = page_size
        self.search_cap = search_cap
        self.properties = contact_properties()

    @classmethod
    def from_secret(
        cls, secret_name: str, *, field: str = "token", secrets_client: Any = None, **kwargs: Any
    ) -> HubSpotClient:
        """A client whose token is field ``field`` of Secrets Manager secret ``secret_name``."""
        token = get_secret(secret_name, field, client=secrets_client)
        return cls(token, secret_name=secret_name, **kwargs)

    def pull_all(self, folder: str) -> PullResult:
        """Land every contact (the list API), page by page, into ``folder``."""
        landing = _Landing(folder)
        params = {"limit": str(self.page_size), "properties": ",".join(self.properties)}
        after: str | None = None
        seen: set[str] = set()
        while True:
            query = {**params, "after": after} if after else params
            page = landing.land(self._call("GET", CONTACTS_PATH, params=query).content)
            after = _next_cursor(page)
            if after is None:
                return landing.result(None)
            _check_cycle(after, seen, landing.pages)

    def pull_changed(self, folder: str, since_ms: int) -> PullResult:
        """Land the contacts modified at or after ``since_ms`` (the search API), oldest first."""
        landing = _Landing(folder)
        floor = since_ms
        while True:  # one search query per round; a new round starts past the search cap
            after: str | None = None
            seen: set[str] = set()
            fetched = 0
            while True:
                body = self._search_body(floor, after)
                page = landing.land(self._call("POST", SEARCH_PATH, json=body).content)
                fetched += len(page["results"])
                after = _next_cursor(page)
                if after is None:
                    return landing.result(since_ms)
                _check_cycle(after, seen, landing.pages)
                if fetched + self.page_size > self.search_cap:
                    break
            restart = landing.max_ms
            if restart is None or restart <= floor:
                raise SourceError(
                    f"hubspot: more than {self.search_cap} contacts have lastmodifieddate "
                    f"{_iso(floor)}; the search cannot page past them"
                )
            log.info(
                "hubspot: search cap of %d reached after page %d; searching again from %s",
                self.search_cap,
                landing.pages,
                _iso(restart),
            )
            floor = restart

    def _search_body(self, since_ms: int, after: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": "lastmodifieddate",
                            "operator": "GTE",
                            "value": str(since_ms),
                        }
                    ]
                }
            ],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": self.properties,
            "limit": self.page_size,
        }
        if after:
            body["after"] = after
        return body

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return request(
            self.session,
            method,
            self.base_url + path,
            source="hubspot",
            policy=self.policy,
            secret_name=self.secret_name,
            headers=self._headers,
            **kwargs,
        )


def land_contacts(
    client: HubSpotClient, folder: str, state: StateStore, *, full: bool = False
) -> PullResult:
    """Land this batch's contacts into ``folder`` and then advance the saved watermark.

    Without a saved watermark (or with ``full``) every contact is pulled, else those modified
    since the watermark. If the last successful pull landed into this same ``folder``, nothing
    is called again (a rerun of the batch keeps its landing); ``full`` forces a new pull.
    """
    saved = state.get(SOURCE)
    if not full and saved.get("landed_folder") == folder:
        log.info(
            "hubspot: %s was already landed (%s pages); not calling the API", folder, saved["pages"]
        )
        return PullResult(saved["pages"], saved["records"], saved.get("watermark_ms"), skipped=True)
    since = None if full else saved.get("watermark_ms")
    result = client.pull_all(folder) if since is None else client.pull_changed(folder, int(since))
    state.put(
        SOURCE,
        {
            "watermark_ms": result.watermark_ms,
            "watermark": _iso(result.watermark_ms) if result.watermark_ms is not None else None,
            "landed_folder": folder,
            "pages": result.pages,
            "records": result.records,
        },
    )
    log.info("hubspot: landed %d records in %d pages", result.records, result.pages)
    return result


class _Landing:
    """Numbered raw pages in one folder, plus the counts and watermark read from them."""

    def __init__(self, folder: str) -> None:
        self.folder = folder.rstrip("/")
        self.pages = 0
        self.records = 0
        self.max_ms: int | None = None
        # Pages left by an earlier failed attempt would mix with this one's numbering.
        stale = [f for f in blobs.list_files(self.folder) if _PAGE_FILE.match(f.rsplit("/", 1)[-1])]
        for location in stale:
            blobs.delete(location)
        if stale:
            log.info("hubspot: removed %d pages of an earlier attempt from %s", len(stale), folder)

    def land(self, body: bytes) -> dict[str, Any]:
        """Write the raw body as the next page, then parse it."""
        self.pages += 1
        name = f"page-{self.pages:05d}.json"
        blobs.write_bytes(f"{self.folder}/{name}", body)
        try:
            page = json.loads(body)
        except ValueError:
            page = None
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise SourceError(
                f"hubspot: page {self.pages} ({name}) is not a JSON page with a 'results' list; "
                "it is landed as received and the pull stops there"
            )
        self.records += len(page["results"])
        for record in page["results"]:
            modified = _modified_ms(record)
            if modified is not None and (self.max_ms is None or modified > self.max_ms):
                self.max_ms = modified
        log.info("hubspot: landed %s (%d records)", name, len(page["results"]))
        return page

    def result(self, since_ms: int | None) -> PullResult:
        marks = [m for m in (since_ms, self.max_ms) if m is not None]
        return PullResult(self.pages, self.records, max(marks) if marks else None)


def _next_cursor(page: dict[str, Any]) -> str | None:
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after not in (None, "") else None


def _check_cycle(after: str, seen: set[str], page_number: int) -> None:
    if after in seen:
        raise SourceError(
            f"hubspot: pagination cycle: page {page_number} points back to cursor {after!r}"
        )
    seen.add(after)


def _modified_ms(record: Any) -> int | None:
    """A record's lastmodifieddate (falling back to updatedAt) as epoch ms, if readable."""
    if not isinstance(record, dict):
        return None
    value = (record.get("properties") or {}).get("lastmodifieddate") or record.get("updatedAt")
    if not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _iso(ms: int) -> str:
    moment = _EPOCH + dt.timedelta(milliseconds=ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
