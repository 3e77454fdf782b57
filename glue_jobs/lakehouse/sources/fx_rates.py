"""FX rates: one JSON document per rate date, ``{"base", "date", "rates": {currency: rate}}``."""

from __future__ import annotations

from typing import Any

from lakehouse.contracts import Contract
from lakehouse.sources.landed import Landed, LandedFile, read_json_documents

SUFFIX = ".json"


def read(spark: Any, files: list[LandedFile], contract: Contract) -> Landed:
    """One landed record per (document, currency)."""
    return read_json_documents(spark, files, contract)
