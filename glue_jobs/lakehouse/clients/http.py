"""HTTP for the source APIs: a session factory and the one retry policy they share.

The rules, for HubSpot and the FX API alike:

* retried: 429 (waiting ``Retry-After`` seconds, capped), 5xx, connection errors and timeouts;
* other waits grow exponentially with jitter; both the attempts and the total wait are bounded;
* 401/403 raise :class:`AuthError` at once, naming the secret the credential came from;
* any other 4xx raises :class:`SourceError` at once (retrying cannot fix a bad request);
* when the retries run out, :class:`SourceError` names the source, URL path and last status.

Messages carry the URL path only: query strings and headers may hold secrets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

log = logging.getLogger("lakehouse.clients.http")

USER_AGENT = "lakehouse-ingest/0.1"


class SourceError(RuntimeError):
    """A source API call failed for good (after retries, or with a status retrying cannot fix)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(SourceError):
    """The API refused the credential (401/403): rotate the secret, do not retry."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request. ``sleep`` is injectable so tests do not wait."""

    attempts: int = 5
    first_wait: float = 1.0  # seconds before the first retry, doubling after
    max_wait: float = 30.0  # cap of one backoff wait
    jitter: float = 1.0  # up to this many random seconds added to a backoff wait
    max_retry_after: float = 60.0  # cap of a server's Retry-After
    max_total_wait: float = 120.0  # no retry whose wait would take the total past this
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


def new_session(user_agent: str = USER_AGENT) -> requests.Session:
    """A session for one source (connection reuse); credentials go on each request, not here."""
    session = requests.Session()
    session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
    return session


class _RetryableStatus(Exception):
    """A response worth another try (429 or 5xx); internal to :func:`request`."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


# Network failures worth another try: timeouts, refused/reset connections, a body cut short.
_TRANSIENT = (
    _RetryableStatus,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    source: str,
    policy: RetryPolicy | None = None,
    secret_name: str | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one request under the retry policy and return its 2xx response.

    ``source`` (e.g. ``"hubspot"``) and ``secret_name`` only name things in errors and logs.
    Raises :class:`AuthError` on 401/403 and :class:`SourceError` on any other failure.
    """
    policy = policy or RetryPolicy()
    what = f"{source}: {method} {urlsplit(url).path or '/'}"

    def attempt() -> requests.Response:
        response = session.request(method, url, timeout=policy.timeout, **kwargs)
        status = response.status_code
        if status in (401, 403):
            credential = f"the credential from secret {secret_name!r}" if secret_name else "it"
            raise AuthError(
                f"{what} was refused with HTTP {status}: check {credential} "
                "(expired, revoked or missing a scope)",
                status=status,
            )
        if status == 429 or status >= 500:
            raise _RetryableStatus(response)
        if status >= 400:
            raise SourceError(f"{what} failed with HTTP {status} (not retried)", status=status)
        return response

    retrying = Retrying(
        retry=retry_if_exception_type(_TRANSIENT),
        wait=_wait(policy),
        stop=stop_after_attempt(policy.attempts) | _total_wait_over(policy.max_total_wait),
        sleep=policy.sleep,
        before_sleep=_log_retry(what, policy.attempts),
    )
    try:
        return retrying(attempt)
    except RetryError as exc:
        last = exc.last_attempt
        error = last.exception()
        status = error.response.status_code if isinstance(error, _RetryableStatus) else None
        raise SourceError(
            f"{what} failed after {last.attempt_number} attempts; last error: {_describe(error)}",
            status=status,
        ) from None


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(
        initial=policy.first_wait, max=policy.max_wait, jitter=policy.jitter
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _RetryableStatus):
            after = retry_after_seconds(error.response)
            if after is not None:
                return min(after, policy.max_retry_after)
        return backoff(state)

    return wait


def _total_wait_over(limit: float) -> Callable[[RetryCallState], bool]:
    # Counts the planned waits, not the wall clock, so it holds with an injected sleep too.
    def stop(state: RetryCallState) -> bool:
        return state.idle_for + (state.upcoming_sleep or 0.0) > limit

    return stop


def _log_retry(what: str, attempts: int) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: %s; attempt %d of %d, retrying in %.1f s",
            what,
            _describe(error),
            state.attempt_number,
            attempts,
            state.upcoming_sleep,
        )

    return before_sleep


def retry_after_seconds(response: requests.Response) -> float | None:
    """The ``Retry-After`` header as seconds (None if absent or not a number of seconds)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _describe(error: BaseException | None) -> str:
    if isinstance(error, _RetryableStatus):
        return f"HTTP {error.response.status_code}"
    # The type only: requests' messages repeat the full URL, query string included.
    return type(error).__name__ if error else "unknown"
