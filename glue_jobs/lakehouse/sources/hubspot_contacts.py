"""HubSpot contacts: landed pages of the CRM v3 API (``{"results": [...], "paging": ...}``)."""

from __future__ import annotations

from typing import Any

from lakehouse.contracts import Contract
from lakehouse.sources.landed import Landed, LandedFile, read_json_pages

SUFFIX = ".json"


def read(spark: Any, files: list[LandedFile], contract: Contract) -> Landed:
    """One landed record per element of ``results`` in every page."""
    return read_json_pages(spark, files, contract)
