"""The daily FX rates API: ``GET <base>/v1/rates/<YYYY-MM-DD>?base=USD`` with ``X-Api-Key``.

Each document is landed as ``rates_<date>.json`` byte for byte, then checked. A run pulls every
date after the last one pulled (the saved watermark, else the newest ``rates_<date>.json`` under
the source's landing root) up to the day before the batch date, oldest first and at most
``max_days`` of them, so a long outage is caught up over a few runs. The watermark is saved only
after every date of the run landed; dates of a failed run are pulled again by the next one.
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

log = logging.getLogger("lakehouse.clients.fx")

SOURCE = "fx_rates"
BASE_CURRENCY = "USD"
MAX_DAYS = 366
_RATES_FILE = re.compile(r"^rates_(\d{4}-\d{2}-\d{2})\.json$")


@dataclass(frozen=True)
class FxResult:
    """The rate dates this run landed (oldest first) and the watermark it saved."""

    dates: tuple[dt.date, ...]
    watermark: dt.date | None


class FxClient:
    """The FX rates API at ``base_url``, read with an API key."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        secret_name: str,
        base_currency: str = BASE_CURRENCY,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"X-Api-Key": api_key}
        self.secret_name = secret_name  # named in errors; the key never is
        self.base_currency = base_currency
        self.policy = policy or RetryPolicy()
        self.session = session or new_session()

    @classmethod
    def from_secret(
        cls,
        base_url: str,
        secret_name: str,
        *,
        field: str | None = "api_key",
        secrets_client: Any = None,
        **kwargs: Any,
    ) -> FxClient:
        """A client whose key is field ``field`` (None: the whole string) of the secret."""
        api_key = get_secret(secret_name, field, client=secrets_client)
        return cls(base_url, api_key, secret_name=secret_name, **kwargs)

    def fetch(self, rate_date: dt.date) -> bytes:
        """The raw rates document of ``rate_date``."""
        response = request(
            self.session,
            "GET",
            f"{self.base_url}/v1/rates/{rate_date.isoformat()}",
            source="fx",
            policy=self.policy,
            secret_name=self.secret_name,
            params={"base": self.base_currency},
            headers=self._headers,
        )
        return response.content


def dates_to_pull(
    batch_date: dt.date,
    last_date: dt.date | None,
    *,
    first_date: dt.date | None = None,
    max_days: int = MAX_DAYS,
) -> list[dt.date]:
    """From the day after ``last_date`` (else ``first_date``, else the day before the batch)
    to the day before ``batch_date``: at most ``max_days`` dates, oldest first."""
    end = batch_date - dt.timedelta(days=1)
    start = last_date + dt.timedelta(days=1) if last_date else (first_date or end)
    count = max(0, min((end - start).days + 1, max_days))
    return [start + dt.timedelta(days=i) for i in range(count)]


def last_landed_date(landing_root: str) -> dt.date | None:
    """The newest rate date landed anywhere under ``landing_root`` (all ingest dates)."""
    dates = [
        match.group(1)
        for location in blobs.list_files(landing_root)
        if (match := _RATES_FILE.match(location.rsplit("/", 1)[-1]))
    ]
    return dt.date.fromisoformat(max(dates)) if dates else None


def land_fx_rates(
    client: FxClient,
    folder: str,
    state: StateStore,
    batch_date: dt.date,
    *,
    first_date: dt.date | None = None,
    max_days: int = MAX_DAYS,
) -> FxResult:
    """Land the missing rate documents into ``folder`` and then advance the saved watermark.

    ``folder`` is this batch's landing folder (``.../fx_rates/ingest_date=<batch date>``); its
    parent is searched for landed documents when no watermark was saved yet.
    """
    saved = state.get(SOURCE).get("last_date")
    if saved:
        last = dt.date.fromisoformat(saved)
    else:
        last = last_landed_date(folder.rstrip("/").rsplit("/", 1)[0])
    dates = dates_to_pull(batch_date, last, first_date=first_date, max_days=max_days)
    if not dates:
        log.info("fx: nothing to pull (last date %s, batch %s)", last, batch_date)
        return FxResult((), last)
    for rate_date in dates:
        name = f"rates_{rate_date.isoformat()}.json"
        body = client.fetch(rate_date)
        blobs.write_bytes(f"{folder.rstrip('/')}/{name}", body)
        _check_document(body, rate_date, name)
    state.put(SOURCE, {"last_date": dates[-1].isoformat()})
    log.info("fx: landed %d documents, %s to %s", len(dates), dates[0], dates[-1])
    return FxResult(tuple(dates), dates[-1])


def _check_document(body: bytes, rate_date: dt.date, name: str) -> None:
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("rates"), dict):
        raise SourceError(f"fx: {name} is not a JSON rates document; it is landed as received")
    if document.get("date") != rate_date.isoformat():
        raise SourceError(
            f"fx: {name} holds the rates of {document.get('date')!r}, not of {rate_date}"
        )
