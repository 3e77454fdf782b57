"""Snowflake orders: gzip CSV files as unloaded by ``COPY INTO @stage ... HEADER=TRUE``.

In AWS the rows come from Glue's native Snowflake connector (:mod:`lakehouse.clients.snowflake`)
and are landed as the same files; the ingest reads the landed files in both runtimes.
"""

from __future__ import annotations

from typing import Any

from lakehouse.contracts import Contract
from lakehouse.sources.landed import Landed, LandedFile, read_csv

SUFFIX = ".csv.gz"


def read(spark: Any, files: list[LandedFile], contract: Contract) -> Landed:
    return read_csv(spark, files, contract, sep=contract.properties.get("delimiter", ","))
