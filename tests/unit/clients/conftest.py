"""Fixtures shared by the source-client tests: a local HTTP API and a recorded sleep."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="module")
def server():
    """An HTTP server on 127.0.0.1, one per test module; threaded, so a request that times out
    does not hold up the retry behind it."""
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


@pytest.fixture
def api(server: HTTPServer) -> HTTPServer:
    server.clear()
    return server


@pytest.fixture
def sleeps() -> list[float]:
    """The waits a retry policy asked for (tests pass ``sleeps.append`` as its sleep)."""
    return []
