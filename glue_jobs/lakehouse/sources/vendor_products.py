"""Vendor products: ';'-delimited UTF-8 CSV files dropped in S3 by European vendors."""

from __future__ import annotations

from typing import Any

from lakehouse.contracts import Contract
from lakehouse.sources.landed import Landed, LandedFile, read_csv

SUFFIX = ".csv"


def read(spark: Any, files: list[LandedFile], contract: Contract) -> Landed:
    return read_csv(spark, files, contract, sep=contract.properties.get("delimiter", ";"))
