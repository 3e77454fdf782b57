"""Deterministic sample data for the landing zone, in the wire formats of the five sources.

``generate(lake_root, batch_date)`` writes one batch under ``<lake_root>/landing/``: the initial
load on the first call (the landing zone's base date), or the increment of a later date, which
holds the activity of the day before it. Every file is a pure function of (seed, scale, base
date, day), so regenerating any batch, in any order, rewrites the same bytes.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

from lakehouse.generate.common import Plan
from lakehouse.generate.contacts import ContactBook, contact_batch, contact_id, write_pages
from lakehouse.generate.events import EventStream, event_batch, is_late, write_parts
from lakehouse.generate.fx import FxRates, fx_documents, write_fx_documents
from lakehouse.generate.manifest import (
    file_entry,
    read_manifest,
    record_batch,
    settle_base_date,
    source_entry,
)
from lakehouse.generate.orders import OrderBook, order_batch, order_id, write_unload
from lakehouse.generate.products import Catalog, vendor_price_lists, write_price_lists

SOURCES = ["hubspot_contacts", "snowflake_orders", "vendor_products", "fx_rates", "order_events"]
DATED_SOURCES = SOURCES[:4]  # order_events has no ingest_date folders

__all__ = ["SOURCES", "generate"]


def generate(lake_root: Path, batch_date: date, scale: float = 1.0, seed: int = 42) -> dict:
    """Write the batch of ``batch_date`` under ``lake_root/landing`` and return its manifest entry.

    Raises ValueError for a non-positive scale, a seed or scale other than the landing zone's,
    or a date before its base date.
    """
    if isinstance(batch_date, datetime):
        batch_date = batch_date.date()
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    landing = Path(lake_root) / "landing"
    base_date = settle_base_date(landing, seed, scale, batch_date)
    if batch_date < base_date:
        raise ValueError(
            f"{batch_date} is before the landing zone's base date {base_date}; "
            "batches can only be generated from the base date on"
        )
    plan = Plan(seed, scale, base_date)
    day = (batch_date - base_date).days

    batch = Batch(plan, day)
    contacts, orders = batch.contacts(), batch.orders()
    products, fx_docs = batch.products(), batch.fx_documents()
    events, first_part = batch.events()

    _remove_batch_files(landing, batch_date)
    ingest = f"ingest_date={batch_date.isoformat()}"
    sources = {}
    folder = landing / "hubspot_contacts" / ingest
    new_id = contact_id(batch.contact_book.delivered_before(day))
    sources["hubspot_contacts"] = _entry(
        folder, write_pages(folder, contacts), lambda r: int(r["id"]) < new_id
    )
    folder = landing / "snowflake_orders" / ingest
    new_order = order_id(batch.order_book.delivered_before(day))
    sources["snowflake_orders"] = _entry(
        folder, write_unload(folder, orders), lambda r: r["ORDER_ID"] < new_order
    )
    folder = landing / "vendor_products" / ingest
    sources["vendor_products"] = _entry(
        folder,
        write_price_lists(folder, batch_date, products),
        lambda r: batch.catalog.product(r["sku"]).created_day < day,
    )
    folder = landing / "fx_rates" / ingest
    files = write_fx_documents(folder, fx_docs)
    sources["fx_rates"] = source_entry(
        {
            f"fx_rates/{ingest}/{name}": file_entry(
                folder / name, sum(len(d["rates"]) for d in docs), 0
            )
            for name, docs in files.items()
        }
    )
    folder = landing / "order_events"
    files = write_parts(folder, events, first_part)
    sources["order_events"] = source_entry(
        {
            f"order_events/{name}": file_entry(
                folder / name, len(recs), 0, late=sum(map(is_late, recs))
            )
            for name, recs in files.items()
        }
    )

    entry = {"sources": sources}
    generator = {"seed": seed, "scale": scale, "base_date": base_date.isoformat()}
    record_batch(landing, generator, batch_date, entry)
    return entry


class Batch:
    """The records of one batch of every source, before they are written."""

    def __init__(self, plan: Plan, day: int) -> None:
        self.plan, self.day = plan, day
        self.fx = FxRates(plan)
        self.catalog = Catalog(plan)
        self.contact_book = ContactBook(plan)
        self.order_book = OrderBook(plan, self.contact_book, self.catalog, self.fx)
        self.stream = EventStream(plan, self.order_book)

    def contacts(self) -> list[dict]:
        return contact_batch(self.contact_book, self.day)

    def orders(self) -> list[dict]:
        return order_batch(self.order_book, self.day)

    def products(self) -> dict[str, list[dict]]:
        return vendor_price_lists(self.catalog, self.day)

    def fx_documents(self) -> list[dict]:
        return fx_documents(self.fx, self.day)

    def events(self) -> tuple[list[dict], int]:
        return event_batch(self.stream, self.day)


def _entry(folder: Path, files: dict[str, list[dict]], is_update) -> dict:
    """A source entry for files in an ``ingest_date`` folder, counting updates with a predicate."""
    prefix = f"{folder.parent.name}/{folder.name}"
    return source_entry(
        {
            f"{prefix}/{name}": file_entry(folder / name, len(rows), sum(map(is_update, rows)))
            for name, rows in files.items()
        }
    )


def _remove_batch_files(landing: Path, batch_date: date) -> None:
    """Delete what an earlier run wrote for this batch, so no stale file can linger."""
    ingest = f"ingest_date={batch_date.isoformat()}"
    for source in DATED_SOURCES:
        shutil.rmtree(landing / source / ingest, ignore_errors=True)
    previous = read_manifest(landing).get("batches", {}).get(batch_date.isoformat(), {})
    event_files = previous.get("sources", {}).get("order_events", {}).get("files", {})
    for name in event_files:
        (landing / name).unlink(missing_ok=True)
