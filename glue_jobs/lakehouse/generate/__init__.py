"""Deterministic sample data for the landing zone, in the wire formats of the five sources.

``generate(lake_root, batch_date)`` writes one batch under ``<lake_root>/landing/``: the initial
load on the first call (the landing zone's base date), or the increment of a later date, which
holds the activity of the day before it. Every file is a pure function of (seed, scale, clean,
base date, day), so regenerating any batch, in any order, rewrites the same bytes.

Unless ``clean``, a batch also lands bad input at fixed rates: the catalogue in defects.py, the
counts per file and kind in the manifest.

With ``scenario``, a batch also lands a few records that pass every contract but halt one DQ gate
of the workflow (chosen per batch, not pinned by the landing zone; see scenarios.py):

- ``bronze-dq-fail``: 3 orders whose UPDATED_AT is before their ORDER_TS; dq_bronze halts on
  bronze/snowflake_orders.
- ``gold-dq-fail``: 3 orders whose ORDER_SHIPPED event is stamped before their ORDER_PAID;
  Bronze and Silver pass, dq_gold halts on gold/fct_order_fulfillment.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from lakehouse.generate.batch import SOURCES, Batch
from lakehouse.generate.common import Plan
from lakehouse.generate.defects import DEFECTS
from lakehouse.generate.manifest import record_batch, settle_base_date
from lakehouse.generate.scenarios import SCENARIOS, build, manifest_entry, scenario_of

__all__ = ["DEFECTS", "SCENARIOS", "SOURCES", "generate"]


def generate(
    lake_root: Path,
    batch_date: date,
    scale: float = 1.0,
    seed: int = 42,
    clean: bool = False,
    scenario: str | None = None,
) -> dict:
    """Write the batch of ``batch_date`` under ``lake_root/landing`` and return its manifest entry.

    The entry is ``{["scenario",] "sources": {source: {"records", "updates", ["late",]
    ["scenario",] ["defects",] "files": {name: {"records", "updates", ["late",] ["scenario",]
    ["defects",] "sha256"}}}}}``; ``defects`` (kind -> count, in landed units) is left out when
    ``clean``, and in a file without defects; the ``scenario`` counts and entry (see
    scenarios.manifest_entry) only with a ``scenario`` (a name in ``SCENARIOS``).
    Raises ValueError for a non-positive scale, an unknown scenario, a seed, scale or clean flag
    other than the landing zone's, or a date before its base date.
    """
    if isinstance(batch_date, datetime):
        batch_date = batch_date.date()
    seed, scale, clean = int(seed), float(scale), bool(clean)
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if scenario is not None:
        scenario_of(scenario)
    landing = Path(lake_root) / "landing"
    base_date = settle_base_date(landing, seed, scale, batch_date, clean)
    if batch_date < base_date:
        raise ValueError(
            f"{batch_date} is before the landing zone's base date {base_date}; "
            "batches can only be generated from the base date on"
        )
    batch = Batch(Plan(seed, scale, base_date), (batch_date - base_date).days, clean=clean)
    records = batch.records()
    extra = {} if scenario is None else build(scenario, batch, records)
    if batch.defects is not None:
        records = batch.defects.inject(records)
    entry = {"sources": batch.write(landing, records, scenario, extra)}
    if scenario is not None:
        entry = {"scenario": manifest_entry(scenario, extra, batch.day), **entry}
    generator = {"seed": seed, "scale": scale, "clean": clean, "base_date": base_date.isoformat()}
    record_batch(landing, generator, batch_date, entry)
    return entry
