"""One batch of all five sources: its records, built in memory, then written as landed files.

Building and writing are separate steps so defects can be injected in between (see defects.py),
a failure scenario's records added (see scenarios.py), and so nothing is deleted or written
before every record exists.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from lakehouse.generate.common import Plan
from lakehouse.generate.contacts import ContactBook, contact_batch, contact_id, write_pages
from lakehouse.generate.defects import (
    BatchDefects,
    count_defects,
    extra_event_records,
    is_reserved_sku,
    kinds_of,
)
from lakehouse.generate.events import EventStream, event_batch, is_late, write_parts
from lakehouse.generate.fx import FxRates, fx_documents, write_fx_documents
from lakehouse.generate.manifest import file_entry, read_manifest, source_entry
from lakehouse.generate.orders import OrderBook, order_batch, order_id, write_unload
from lakehouse.generate.products import Catalog, vendor_price_lists, write_price_lists
from lakehouse.generate.scenarios import write_file as write_scenario_file

SOURCES = ["hubspot_contacts", "snowflake_orders", "vendor_products", "fx_rates", "order_events"]
COUNTS = ("records", "updates")  # per file and per source; order_events adds "late"
EVENTS_FOLDER = "order_events"  # one folder for the whole topic: no ingest_date partitions


class Batch:
    """Batch ``day`` of a plan (0: the initial load), with defects unless ``clean``.

    Usage: ``records = batch.records()``, then with defects ``records =
    batch.defects.inject(records)``, then ``batch.write(landing, records)``; with a scenario,
    ``batch.write(landing, records, scenario, scenario_records)``.
    """

    def __init__(self, plan: Plan, day: int, clean: bool = True) -> None:
        self.plan, self.day = plan, day
        self.batch_date: date = plan.batch_date(day)
        self.fx = FxRates(plan)
        self.catalog = Catalog(plan)
        self.contacts = ContactBook(plan)
        self.orders = OrderBook(plan, self.contacts, self.catalog, self.fx)
        self.stream = EventStream(plan, self.orders)
        self.first_event_file = 0
        self.defects = None if clean else BatchDefects(self)

    def records(self) -> dict[str, list | dict]:
        """source -> its clean records: lists of wire-ready dicts (vendor id -> rows for products).

        With defects, Kafka offsets and file numbers already count earlier batches' defects.
        """
        extra = None if self.defects is None else extra_event_records(self.plan)
        events, self.first_event_file = event_batch(self.stream, self.day, extra)
        return {
            "hubspot_contacts": contact_batch(self.contacts, self.day),
            "snowflake_orders": order_batch(self.orders, self.day),
            "vendor_products": vendor_price_lists(self.catalog, self.day),
            "fx_rates": fx_documents(self.fx, self.day),
            "order_events": events,
        }

    def write(
        self,
        landing: Path,
        records: dict[str, list | dict],
        scenario: str | None = None,
        scenario_records: dict[str, list[dict]] | None = None,
    ) -> dict[str, dict]:
        """Replace the batch's files under ``landing``; returns source -> manifest entry.

        ``scenario_records`` (source -> records of ``scenario``) land in files of their own,
        counted as ``scenario`` in their file's and source's entries.
        """
        scenario_records = scenario_records or {}
        self.remove_files(landing)
        folders = self.ingest_folders(landing)
        written = {
            "hubspot_contacts": write_pages,
            "snowflake_orders": write_unload,
            "vendor_products": lambda folder, lists: write_price_lists(
                folder, self.batch_date, lists
            ),
            "fx_rates": write_fx_documents,
            "order_events": lambda folder, recs: write_parts(folder, recs, self.first_event_file),
        }
        entries = {}
        for source, write in written.items():
            folder = folders[source]
            files = write(folder, records[source])
            if self.defects is not None:
                files.update(self.defects.write_files(source, folder, files))
            counts = ("records", "updates", "late") if source == "order_events" else COUNTS
            in_scenario = {}
            if scenario_records.get(source):
                rows = scenario_records[source]
                folder.mkdir(parents=True, exist_ok=True)
                name = write_scenario_file(scenario, source, folder, rows, files, self)
                files[name], in_scenario[name] = rows, len(rows)
                counts = (*counts, "scenario")
            entries[source] = source_entry(
                {
                    (folder / name).relative_to(landing).as_posix(): self.file_entry(
                        source, folder / name, rows, in_scenario.get(name)
                    )
                    for name, rows in files.items()
                },
                counts,
                None if self.defects is None else kinds_of(source),
            )
        return entries

    def file_entry(self, source: str, path: Path, rows: list, scenario: int | None = None) -> dict:
        """A file's manifest entry; ``scenario``: how many of its records a scenario's are."""
        counts = self.count(source, rows)
        if scenario is not None:
            counts["scenario"] = scenario
        if self.defects is None:
            return file_entry(path, **counts)
        kind = self.defects.unreadable.get(path.name)
        if kind is not None:  # a file that cannot be read is 1 landed unit
            return file_entry(path, records=1, updates=0, defects={kind: 1})
        return file_entry(path, defects=count_defects(rows), **counts)

    def count(self, source: str, rows: list[dict]) -> dict[str, int]:
        """A file's counts: records, updates (keys an earlier batch delivered) and late events."""
        if source == "hubspot_contacts":
            first_new = contact_id(self.contacts.delivered_before(self.day))
            return {"records": len(rows), "updates": sum(int(r["id"]) < first_new for r in rows)}
        if source == "snowflake_orders":
            first_new = order_id(self.orders.delivered_before(self.day))
            return {"records": len(rows), "updates": sum(r["ORDER_ID"] < first_new for r in rows)}
        if source == "vendor_products":
            known = sum(
                not is_reserved_sku(r["sku"])
                and self.catalog.product(r["sku"]).created_day < self.day
                for r in rows
            )
            return {"records": len(rows), "updates": known}
        if source == "fx_rates":  # a record per (rate date, currency), each delivered once
            return {"records": sum(len(doc["rates"]) for doc in rows), "updates": 0}
        # order_events: each event (event_id) is delivered once
        return {"records": len(rows), "updates": 0, "late": sum(map(is_late, rows))}

    def ingest_folders(self, landing: Path) -> dict[str, Path]:
        ingest = f"ingest_date={self.batch_date.isoformat()}"
        folders = {source: landing / source / ingest for source in SOURCES}
        folders["order_events"] = landing / EVENTS_FOLDER
        return folders

    def remove_files(self, landing: Path) -> None:
        """Delete what an earlier run wrote for this batch, so no stale file can linger."""
        for source, folder in self.ingest_folders(landing).items():
            if source != "order_events":
                shutil.rmtree(folder, ignore_errors=True)
        previous = read_manifest(landing)["batches"].get(self.batch_date.isoformat(), {})
        for name in previous.get("sources", {}).get("order_events", {}).get("files", {}):
            (landing / name).unlink(missing_ok=True)
