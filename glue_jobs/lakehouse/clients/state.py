"""Small JSON state documents (watermarks) at ``<lake_root>/_state/<name>.json``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from lakehouse.clients import blobs

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class StateStore:
    """One JSON object per name; reads of a name never written give ``{}``."""

    def __init__(self, lake_root: str, client: Any = None) -> None:
        self.root = lake_root.rstrip("/") + "/_state"
        self.client = client  # an S3 client, for s3:// lakes (default: boto3's)

    def location(self, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"bad state name {name!r} (lower-case letters, digits, '_')")
        return f"{self.root}/{name}.json"

    def get(self, name: str) -> dict[str, Any]:
        """The saved state of ``name`` (``{}`` if none was saved)."""
        try:
            data = blobs.read_bytes(self.location(name), self.client)
        except FileNotFoundError:
            return {}
        state = json.loads(data)
        if not isinstance(state, dict):
            raise ValueError(f"state {self.location(name)} is not a JSON object")
        return state

    def put(self, name: str, state: Mapping[str, Any]) -> None:
        """Replace the state of ``name`` (atomically)."""
        text = json.dumps(dict(state), indent=2, sort_keys=True) + "\n"
        blobs.write_bytes(self.location(name), text.encode("utf-8"), self.client)
