"""Check one file against its source's contract, as the ingest job would, without writing.

What a vendor (or an engineer debugging a rejected batch) runs before sending a file:
``lakehouse contracts check vendor_products products_V01.csv``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import functions as F

from lakehouse.contracts.checks import check_records
from lakehouse.contracts.model import load_contract
from lakehouse.sources.landed import FileReport, LandedFile, kafka_records, landing_relative

MAX_SHOWN = 1000


@dataclass
class FileCheck:
    """The verdict on one file: its report and every violation found (up to ``MAX_SHOWN``)."""

    source: str
    file: str
    landed: int
    accepted: int
    report: FileReport | None
    violations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return self.landed - self.accepted

    @property
    def passed(self) -> bool:
        return self.quarantined == 0


def check_file(spark: Any, source: str, path: str, batch_date: dt.date) -> FileCheck:
    """Read ``path`` as a landed file of ``source`` and check it against the contract."""
    from lakehouse.ingest import SOURCES, batch_end

    contract = load_contract(source)
    stat = os.stat(path)
    full = os.path.abspath(path)
    landed_file = LandedFile(full, landing_relative(full), stat.st_size, int(stat.st_mtime * 1000))
    if source == "order_events":
        from lakehouse.sources.order_events import KAFKA_RECORD

        records = kafka_records(spark.read.schema(KAFKA_RECORD).json(path), contract)
        landed_units, report, cached = records.count(), None, []
    elif source in SOURCES:
        landed = SOURCES[source].read(spark, [landed_file], contract)
        records, landed_units, cached = landed.records, landed.count, landed.cached
        report = landed.files[0] if landed.files else None
    else:
        raise ValueError(
            f"unknown source {source!r}; one of {', '.join([*SOURCES, 'order_events'])}"
        )
    try:
        checked = check_records(records, contract, batch_end(batch_date)).cache()
        accepted = checked.where(F.size("_violations") == 0).count()
        rows = (
            checked.where(F.size("_violations") > 0)
            .select("_position", F.explode("_violations").alias("v"))
            .orderBy("_position")
            .limit(MAX_SHOWN)
            .collect()
        )
        checked.unpersist()
    finally:
        for df in cached:
            df.unpersist()
    violations = [
        {"position": r["_position"], **{k: r["v"][k] for k in ("rule", "field", "value", "detail")}}
        for r in rows
    ]
    return FileCheck(source, path, landed_units, accepted, report, violations)
