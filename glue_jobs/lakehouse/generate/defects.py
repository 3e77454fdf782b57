"""Bad input at fixed rates: the defects every batch lands unless it is generated clean.

``DEFECTS`` is the catalogue: per kind, its source, what lands, its rate and the outcome the
ingest jobs must reach (layer, reason code, contract field). ``BatchDefects`` builds a batch's
defects from its clean records (``inject``, between ``Batch.records()`` and ``Batch.write()``) and
writes the extra files (``write_files``).

Every row-level defect is an EXTRA record with a reserved key, never a change to a clean record,
and carries exactly one defect, so its outcome is unambiguous. The clean records of a batch with
defects are exactly what the clean generator writes (Kafka offsets aside), and every defect record
is rejected before Gold (or, for a redelivered event, deduplicated), so Gold is the same.

Rates, per batch (``n = per_thousand(clean records of the source in the batch)``: 1 per 1,000,
rounded, at least 1):

- each row-level kind: ``n`` records (``order_id_duplicate_conflict``: ``n`` pairs; events:
  none in a batch without events);
- each file-level kind: exactly 1 file;
- ``products_header_extra_column``: the first vendor file of the batch (lowest vendor id).

Where they land:

- contacts: after the clean contacts (ids keep ascending), then paged as usual; one more page
  after the last, ``page-<n+1>.json`` (3 contacts), is cut at 60% of its text, and the page
  before it links to it;
- orders: after the clean rows of the unload (a duplicate pair stays in one file); one more
  file, ``orders_0_<n+1>_0.csv.gz`` (50 rows), is a gzip stream cut at 60% of its bytes;
- products: malformed prices after the rows of the last vendor file of the batch; the first
  vendor file gets the column ``discount_pct`` (on a day with a single vendor file, the
  malformed lines in it have the column too and count only as ``product_price_malformed``);
  extra files ``products_V02_<YYYYMMDD>_latin1.csv`` and
  ``products_V04_<YYYYMMDD>_no_unit_price.csv``, 5 data lines each;
- FX: extra files ``rates_missing_date.json`` (5 currencies) and ``rates_<date 20 years before
  the batch's rate date>.json`` (every currency, valid, plus ``ARS`` at "n/a");
- events: among the batch's records in delivery order (a moment after the event they derive
  from, before the batch cutoff), in the partition of their key; offsets stay contiguous per
  partition, and later batches count the defect records of earlier ones (``extra_event_records``).

Reserved keys, unique per batch and across batches: contact ids and ORDER_IDs
``9_000_000_000 + day * 1_000_000 + serial`` (buyer ids of orphan orders from serial 500_000 on,
so no contact, defective or not, has them; serials from 900_000 on are left to the failure
scenarios of scenarios.py), SKUs ``DEFECT-<day>-<serial>``, and event ids fresh
uuid4s from the batch's defect rng. Defects are a function of (seed, scale, base date, day), like
everything the generator writes.

Manifest counts are in landed units: a record (a CSV data line, a HubSpot result object, an FX
(date, currency) rate entry, a Kafka record), or 1 for a file that cannot be read at all.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lakehouse.generate.common import Plan, format_cents, iso_ms, uuid4_from
from lakehouse.generate.contacts import (
    COUNTRIES,
    FIRST_NAMES,
    LAST_NAMES,
    STAGES,
    Contact,
    email_local,
    hubspot_record,
    make_company,
    make_phone,
    write_page,
)
from lakehouse.generate.events import PARTITIONS, ExtraRecords, event_value, kafka_columns
from lakehouse.generate.fx import BASE_CURRENCY, write_fx_document
from lakehouse.generate.orders import STATUSES, order_id, unload_bytes, unload_name
from lakehouse.generate.products import (
    CATEGORIES,
    HEADER,
    VENDORS,
    price_list_name,
    price_list_text,
)

if TYPE_CHECKING:
    from lakehouse.generate.batch import Batch

RESERVED_ID_BASE = 9_000_000_000  # contact ids and ORDER_IDs from here on: defects, scenarios
IDS_PER_DAY = 1_000_000
ORPHAN_CONTACT_SERIAL = 500_000  # buyer ids of orphan orders: never a contact id
SCENARIO_SERIAL = 900_000  # ORDER_IDs from here on are failure scenarios' (scenarios.py)
RESERVED_SKU_PREFIX = "DEFECT-"
PER_RECORDS = 1_000  # row-level kinds: 1 per this many clean records of the source
FILE_ROWS = 5  # data lines of an extra vendor file, rates of an extra FX document
TRUNCATED_PAGE_CONTACTS = 3
TRUNCATED_PAGE_KEEP = 0.6  # share of the page's text that lands
CORRUPT_UNLOAD_ROWS = 50
CORRUPT_UNLOAD_KEEP = 0.6  # share of the gzip bytes that land
LATIN1_VENDOR, NO_PRICE_VENDOR = "V02", "V04"
FX_CURRENCIES = ["CHF", "EUR", "GBP", "JPY", "SEK"]
NOT_A_NUMBER_CURRENCY = "ARS"  # not in the feed's currencies
DISCOUNTS = ["0", "5", "10", "15", "20"]
_PRICE_ENDINGS = [0, 50, 90, 95, 99]
_VARIANTS = ["Classic", "Pro", "Mini", "XL", "Öko", "Lätt", "Édition Limitée", "Größe M"]
# (category, noun): Latin-1 names with ä, ö, é, ü, ß; the variants make sure each appears
_LATIN1_NOUNS = [("Home & Kitchen", "Küchenwaage"), ("Home & Kitchen", "Théière"),
                 ("Garden", "Gießkanne"), ("Health", "Wärmflasche"), ("Beauty", "Crème Mains"),
                 ("Office Supplies", "Füllfederhalter"), ("Books", "Reiseführer")]  # fmt: skip
_LATIN1_VARIANTS = ["Öko", "Lätt", "Édition Limitée", "Größe M", "Weiß"]
_COUNTRY_CODES = list(COUNTRIES)
_STAGES = STAGES[:-1]


@dataclass(frozen=True)
class Defect:
    """A kind of bad input and what the ingest jobs must do with it."""

    kind: str
    source: str
    description: str  # what lands, one line (for the README)
    rate: str
    layer: Literal["bronze", "silver"]
    outcome: Literal["quarantined", "rejected batch", "accepted with drift", "deduplicated"]
    reason: str  # the reason code the layer records
    field: str | None  # the contract column it is about, if any
    unit: Literal["record", "file"]  # what a count of 1 is


_PER_1000 = "1 per 1,000 clean {} of the batch (rounded, at least 1)"
_CONTACTS, _ORDERS = _PER_1000.format("contacts"), _PER_1000.format("order rows")
_EVENTS = "1 per 1,000 clean events of the batch (rounded, at least 1 if it has events)"
_FILE = "1 file per batch"


def _defect(kind, source, description, rate, layer, outcome, reason, field, unit="record"):
    return Defect(kind, source, description, rate, layer, outcome, reason, field, unit)


DEFECTS: dict[str, Defect] = {
    d.kind: d
    for d in [
        # hubspot_contacts
        _defect("contact_email_malformed", "hubspot_contacts",
                'a contact whose `properties.email` has no "@"',
                _CONTACTS, "bronze", "quarantined", "pattern", "email"),
        _defect("contact_email_null", "hubspot_contacts",
                "a contact whose `properties.email` is null",
                _CONTACTS, "bronze", "quarantined", "required", "email"),
        _defect("contact_country_unknown", "hubspot_contacts",
                'a contact whose `properties.country` is "XX"',
                _CONTACTS, "bronze", "quarantined", "enum", "country"),
        _defect("contact_updated_at_unparseable", "hubspot_contacts",
                'a contact whose `updatedAt` is "dd/MM/yyyy HH:mm" (e.g. "31/12/2025 10:00")',
                _CONTACTS, "bronze", "quarantined", "type", "updated_at"),
        _defect("contacts_page_truncated", "hubspot_contacts",
                "an extra last page whose JSON text is cut off at 60% (3 contacts)",
                _FILE, "bronze", "quarantined", "unreadable", None, "file"),
        # snowflake_orders
        _defect("order_amount_negative", "snowflake_orders",
                'an order row with a negative AMOUNT (e.g. "-12.50")',
                _ORDERS, "bronze", "quarantined", "range", "amount"),
        _defect("order_quantity_zero", "snowflake_orders", "an order row with QUANTITY 0",
                _ORDERS, "bronze", "quarantined", "range", "quantity"),
        _defect("order_currency_unknown", "snowflake_orders", 'an order row with CURRENCY "XXX"',
                _ORDERS, "bronze", "quarantined", "enum", "currency"),
        _defect("order_ts_unparseable", "snowflake_orders",
                'an order row whose ORDER_TS is "dd/MM/yyyy HH:mm" (e.g. "01/03/2026 10:00")',
                _ORDERS, "bronze", "quarantined", "type", "order_ts"),
        _defect("order_in_future", "snowflake_orders",
                "an order row whose ORDER_TS is 30 days after the batch date "
                "(UPDATED_AT before it)",
                _ORDERS, "bronze", "quarantined", "future", "order_ts"),
        _defect("order_status_invalid", "snowflake_orders", 'an order row with STATUS "SHIPED"',
                _ORDERS, "bronze", "quarantined", "enum", "status"),
        _defect("order_id_duplicate_conflict", "snowflake_orders",
                "two rows in one file with the same ORDER_ID, different STATUS and AMOUNT "
                "(2 records per pair)",
                "1 pair per 1,000 clean order rows of the batch (rounded, at least 1)",
                "bronze", "quarantined", "duplicate_key", "order_id"),
        _defect("order_contact_orphan", "snowflake_orders",
                "a valid order row whose CONTACT_ID is no contact",
                _ORDERS, "silver", "quarantined", "orphan_contact_id", "contact_id"),
        _defect("order_sku_orphan", "snowflake_orders",
                'a valid order row whose SKU ("DEFECT-…") no vendor lists',
                _ORDERS, "silver", "quarantined", "orphan_sku", "sku"),
        _defect("orders_file_corrupt_gzip", "snowflake_orders",
                "an extra unload file whose gzip stream is cut off at 60% of its bytes",
                _FILE, "bronze", "quarantined", "unreadable", None, "file"),
        # vendor_products
        _defect("product_price_malformed", "vendor_products",
                'a price-list line whose unit_price has a thousands separator ("1.234,50")',
                _PER_1000.format("price-list lines"),
                "bronze", "quarantined", "type", "unit_price"),
        _defect("products_file_latin1", "vendor_products",
                "an extra vendor file encoded ISO-8859-1, non-ASCII names on every line "
                "(5 lines)",
                _FILE, "bronze", "quarantined", "encoding", None),
        _defect("products_header_missing_column", "vendor_products",
                "an extra vendor file without the unit_price column (5 lines)",
                _FILE, "bronze", "quarantined", "schema_break", "unit_price"),
        _defect("products_header_extra_column", "vendor_products",
                "a real vendor file with an extra column discount_pct (its lines are valid)",
                "the first vendor file of the batch (all its lines)",
                "bronze", "accepted with drift", "drift", None),
        # fx_rates
        _defect("fx_document_date_missing", "fx_rates",
                'an extra rates document without "date" (5 rates)',
                _FILE, "bronze", "quarantined", "required", "rate_date"),
        _defect("fx_rate_not_a_number", "fx_rates",
                'an extra rates document 20 years back: every currency\'s valid rate, plus one '
                'more currency (ARS) whose rate is "n/a"',
                _FILE, "bronze", "quarantined", "type", "rate"),
        # order_events
        _defect("event_redelivered", "order_events",
                "an exact copy of an event's value (same event_id) at a new offset",
                _EVENTS, "silver", "deduplicated", "deduplicated", "event_id"),
        _defect("event_type_unknown", "order_events",
                'an event of an existing order with event_type "ORDER_TELEPORTED"',
                _EVENTS, "bronze", "quarantined", "enum", "event_type"),
        _defect("event_value_not_json", "order_events",
                'a record whose value is cut-off JSON (`{"event_id": "…", "order_id": "100`)',
                _EVENTS, "bronze", "quarantined", "unparseable_record", None),
    ]
}  # fmt: skip
KINDS: tuple[str, ...] = tuple(DEFECTS)


def kinds_of(source: str) -> tuple[str, ...]:
    return tuple(k for k, d in DEFECTS.items() if d.source == source)


CONTACT_KINDS = ("contact_email_malformed", "contact_email_null", "contact_country_unknown",
                 "contact_updated_at_unparseable")  # fmt: skip
ORDER_KINDS = ("order_amount_negative", "order_quantity_zero", "order_currency_unknown",
               "order_ts_unparseable", "order_in_future", "order_status_invalid",
               "order_id_duplicate_conflict", "order_contact_orphan", "order_sku_orphan")  # fmt: skip
EVENT_KINDS = ("event_redelivered", "event_type_unknown", "event_value_not_json")


class DefectRecord(dict):
    """A landed record (wire-ready, like the clean ones) that carries one defect.

    ``units``: how many landed units it counts for (an FX document: its rates with the defect).
    """

    __slots__ = ("kind", "units")

    def __init__(self, fields: dict, kind: str, units: int = 1) -> None:
        super().__init__(fields)
        self.kind, self.units = kind, units


def per_thousand(clean_records: int) -> int:
    """The number of records (or pairs) of a row-level kind in a batch."""
    return max(1, round(clean_records / PER_RECORDS))


def reserved_id(day: int, serial: int) -> int:
    return RESERVED_ID_BASE + day * IDS_PER_DAY + serial


def is_reserved_sku(sku: str) -> bool:
    return sku.startswith(RESERVED_SKU_PREFIX)


def count_defects(rows: list) -> dict[str, int]:
    """The defects among a file's records, per kind in catalogue order."""
    found: dict[str, int] = {}
    for row in rows:
        if type(row) is DefectRecord:
            found[row.kind] = found.get(row.kind, 0) + row.units
    return {k: found[k] for k in KINDS if k in found}


def event_defect_partitions(plan: Plan, day: int, counts: list[int]) -> list[tuple[str, int]]:
    """The event defects of batch ``day`` as (kind, partition), from its events per partition.

    Each kind gets ``per_thousand(events)`` records, dealt round-robin over the partitions that
    hold events, from a seeded start. A function of the counts alone, so later batches can count
    the defect records of earlier ones without building them.
    """
    used = [p for p, n in enumerate(counts) if n]
    if not used:
        return []
    n = per_thousand(sum(counts))
    start = plan.rng("defect", "order_events", "partitions", day).randrange(len(used))
    kinds = [k for k in EVENT_KINDS for _ in range(n)]
    return [(k, used[(start + j) % len(used)]) for j, k in enumerate(kinds)]


def extra_event_records(plan: Plan) -> ExtraRecords:
    """Per batch and partition, the defect records it adds to the topic (for offsets, files)."""

    def extra(day: int, counts: list[int]) -> list[int]:
        added = [0] * len(counts)
        for _, partition in event_defect_partitions(plan, day, counts):
            added[partition] += 1
        return added

    return extra


def _ms(iso: str) -> int:
    """An ISO-8601 UTC timestamp with ``Z`` as epoch milliseconds."""
    return round(datetime.fromisoformat(iso).timestamp() * 1000)


def _day_month_year(iso: str) -> str:
    """An ISO-8601 timestamp as ``dd/MM/yyyy HH:mm``, a format no contract accepts."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]} {iso[11:16]}"


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


class BatchDefects:
    """The defects of one batch: built from its clean records, then written with them."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.plan, self.day = batch.plan, batch.day
        self.unreadable: dict[str, str] = {}  # file name -> kind, for files written so far
        self._serials = {"id": 0, "orphan": ORPHAN_CONTACT_SERIAL, "sku": 0}
        self._files: dict[str, object] = {}  # source -> what its extra files hold

    # -- reserved keys -----------------------------------------------------------------------
    def _next(self, counter: str) -> int:
        serial = self._serials[counter]
        self._serials[counter] += 1
        return serial

    def new_id(self) -> int:
        """A reserved contact id or ORDER_ID (one counter: no number is both)."""
        serial = self._next("id")
        if serial >= ORPHAN_CONTACT_SERIAL:
            raise ValueError("too many defects in one batch for the reserved id range")
        return reserved_id(self.day, serial)

    def orphan_contact_id(self) -> int:
        serial = self._next("orphan")
        if serial >= SCENARIO_SERIAL:
            raise ValueError("too many orphan orders in one batch for the reserved id range")
        return reserved_id(self.day, serial)

    def new_sku(self) -> str:
        return f"{RESERVED_SKU_PREFIX}{self.day:05d}-{self._next('sku'):06d}"

    def rng(self, source: str):
        return self.plan.rng("defect", source, self.day)

    # -- building ------------------------------------------------------------------------------
    def inject(self, records: dict[str, list | dict]) -> dict[str, list | dict]:
        """The batch's records with its row-level defects added (extra files are built too)."""
        out = dict(records)
        out["hubspot_contacts"] = self._contacts(records["hubspot_contacts"])
        out["snowflake_orders"] = self._orders(records["snowflake_orders"])
        out["vendor_products"] = self._products(records["vendor_products"])
        self._fx()
        out["order_events"] = self._events(records["order_events"])
        return out

    def _contacts(self, clean: list[dict]) -> list[dict]:
        rng = self.rng("hubspot_contacts")
        kinds = [k for k in CONTACT_KINDS for _ in range(per_thousand(len(clean)))]
        rng.shuffle(kinds)
        bad = [self._bad_contact(rng, kind) for kind in kinds]
        truncated = [self._contact(rng) for _ in range(TRUNCATED_PAGE_CONTACTS)]
        self._files["hubspot_contacts"] = truncated
        return [*clean, *bad]  # reserved ids are the highest: the pages stay in id order

    def _contact(self, rng) -> dict:
        """A valid contact under a reserved id, created and modified in the batch's window."""
        plan, cid = self.plan, self.new_id()
        start, cutoff = plan.activity_start_ms(self.day), plan.cutoff_ms(self.day)
        created = start + int(rng.random() * (cutoff - start))
        modified = created + int(rng.random() * (cutoff - created))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country = rng.choice(_COUNTRY_CODES)
        company = make_company(rng)
        domain = email_local(company.rsplit(" ", 1)[0]) + ".com"
        contact = Contact(
            index=-1,
            id=cid,
            email=f"{email_local(first)}.{email_local(last)}{cid}@{domain}",
            firstname=first,
            lastname=last,
            phone=make_phone(rng, country),
            company=company,
            country=country,
            lifecyclestage=rng.choice(_STAGES),
            created_ms=created,
            modified_ms=modified,
        )
        return hubspot_record(contact)

    def _bad_contact(self, rng, kind: str) -> DefectRecord:
        record = self._contact(rng)
        properties = record["properties"]
        if kind == "contact_email_malformed":
            properties["email"] = properties["email"].replace("@", ".")
        elif kind == "contact_email_null":
            properties["email"] = None
        elif kind == "contact_country_unknown":
            properties["country"] = "XX"
        else:  # contact_updated_at_unparseable
            record["updatedAt"] = _day_month_year(record["updatedAt"])
        return DefectRecord(record, kind)

    def _orders(self, clean: list[dict]) -> list[dict]:
        rng = self.rng("snowflake_orders")
        kinds = [k for k in ORDER_KINDS for _ in range(per_thousand(len(clean)))]
        rng.shuffle(kinds)
        rows = list(clean)
        for kind in kinds:
            rows += self._bad_orders(rng, kind, clean)
        self._files["snowflake_orders"] = [
            self._order(rng, clean) for _ in range(CORRUPT_UNLOAD_ROWS)
        ]
        return rows

    def _order(self, rng, clean: list[dict]) -> dict:
        """A valid row: the terms and times of a clean row of the batch, a reserved ORDER_ID."""
        return {**rng.choice(clean), "ORDER_ID": self.new_id()}

    def _bad_orders(self, rng, kind: str, clean: list[dict]) -> list[DefectRecord]:
        row = self._order(rng, clean)
        cents = int(row["AMOUNT"].replace(".", ""))
        if kind == "order_id_duplicate_conflict":
            other = dict(row)
            other["STATUS"] = rng.choice([s for s in STATUSES if s != row["STATUS"]])
            other["AMOUNT"] = format_cents(cents + 100)
            return [DefectRecord(row, kind), DefectRecord(other, kind)]
        if kind == "order_amount_negative":
            row["AMOUNT"] = format_cents(-cents if cents > 0 else -1250)
        elif kind == "order_quantity_zero":
            row["QUANTITY"] = 0
        elif kind == "order_currency_unknown":
            row["CURRENCY"] = "XXX"
        elif kind == "order_ts_unparseable":
            row["ORDER_TS"] = _day_month_year(row["ORDER_TS"])
        elif kind == "order_in_future":
            future = self.batch.batch_date + timedelta(days=30)
            row["ORDER_TS"] = f"{future.isoformat()} {row['ORDER_TS'][11:]}"
        elif kind == "order_status_invalid":
            row["STATUS"] = "SHIPED"
        elif kind == "order_contact_orphan":
            row["CONTACT_ID"] = self.orphan_contact_id()
        else:  # order_sku_orphan
            row["SKU"] = self.new_sku()
        return [DefectRecord(row, kind)]

    def _products(self, lists: dict[str, list[dict]]) -> dict[str, list[dict]]:
        rng = self.rng("vendor_products")
        lists = dict(lists)
        vendors = list(lists)
        first, last = vendors[0], vendors[-1]
        n = per_thousand(sum(len(rows) for rows in lists.values()))
        drift = "products_header_extra_column"
        lists[first] = [
            DefectRecord({**row, "discount_pct": rng.choice(DISCOUNTS)}, drift)
            for row in lists[first]
        ]
        malformed = []
        for _ in range(n):
            row = self._product(rng, last)
            price = rng.randint(1_000, 9_999)
            row["unit_price"] = (
                f"{price // 1000}.{price % 1000:03d},{rng.choice(_PRICE_ENDINGS):02d}"
            )
            if first == last:  # the drifted file: every line has the column
                row["discount_pct"] = rng.choice(DISCOUNTS)
            malformed.append(DefectRecord(row, "product_price_malformed"))
        lists[last] = [*lists[last], *malformed]
        latin1 = []
        for i in range(FILE_ROWS):
            row = self._product(rng, LATIN1_VENDOR)
            category, noun = rng.choice(_LATIN1_NOUNS)
            brand = rng.choice(VENDORS[LATIN1_VENDOR][2])
            variant = _LATIN1_VARIANTS[i % len(_LATIN1_VARIANTS)]
            row["product_name"], row["category"] = f"{brand} {noun} {variant}", category
            latin1.append(DefectRecord(row, "products_file_latin1"))
        no_price = []
        for _ in range(FILE_ROWS):
            row = self._product(rng, NO_PRICE_VENDOR)
            del row["unit_price"]
            no_price.append(DefectRecord(row, "products_header_missing_column"))
        self._files["vendor_products"] = (latin1, no_price)
        return lists

    def _product(self, rng, vendor_id: str) -> dict[str, str]:
        """A valid price-list line of ``vendor_id`` under a reserved SKU, new the day before."""
        currency, _, brands = VENDORS[vendor_id]
        category = rng.choice(list(CATEGORIES))
        noun = rng.choice(CATEGORIES[category][1])
        effective = self.batch.batch_date - timedelta(days=1)
        return {
            "sku": self.new_sku(),
            "product_name": f"{rng.choice(brands)} {noun} {rng.choice(_VARIANTS)}",
            "category": category,
            "unit_price": f"{rng.randint(2, 250)},{rng.choice(_PRICE_ENDINGS):02d}",
            "currency": currency,
            "vendor_id": vendor_id,
            "effective_date": effective.strftime("%d.%m.%Y"),
        }

    def _fx(self) -> None:
        rate_date = self.batch.batch_date - timedelta(days=1)
        rates = self.batch.fx.rates(rate_date)
        valid = {c: rates[c] for c in FX_CURRENCIES}
        undated = {"base": BASE_CURRENCY, "rates": dict(valid)}
        old = {"base": BASE_CURRENCY, "date": _years_before(rate_date, 20).isoformat()}
        # A complete document (the date keeps all its currencies, as the DQ rules demand) plus
        # one more currency whose rate is not a number.
        old["rates"] = {**rates, NOT_A_NUMBER_CURRENCY: "n/a"}
        self._files["fx_rates"] = (
            DefectRecord(undated, "fx_document_date_missing", units=len(valid)),
            DefectRecord(old, "fx_rate_not_a_number"),
        )

    def _events(self, clean: list[dict]) -> list[dict]:
        """The records with the event defects merged in by delivery time, offsets renumbered."""
        rng = self.rng("order_events")
        in_partition: list[list[dict]] = [[] for _ in range(PARTITIONS)]
        for record in clean:
            in_partition[record["partition"]].append(record)
        counts = [len(records) for records in in_partition]
        cutoff = self.plan.cutoff_ms(self.day)
        extra = []
        for kind, partition in event_defect_partitions(self.plan, self.day, counts):
            source = rng.choice(in_partition[partition])
            at = _ms(source["timestamp"])
            if kind == "event_redelivered":  # the producer retried: the same value again
                record = DefectRecord(source, kind)
                record["timestamp"] = iso_ms(min(cutoff - 1, at + rng.randint(1_000, 600_000)))
            else:
                key = source["key"]
                terms = self.batch.orders.terms(int(key) - order_id(0))
                event_ts = min(cutoff - 2, at + rng.randint(1_000, 3_600_000))
                delivered = min(cutoff - 1, event_ts + 5 + rng.randint(0, 2_500))
                event_id = uuid4_from(rng.getrandbits(128))
                if kind == "event_type_unknown":
                    event_type = "ORDER_TELEPORTED"
                else:
                    event_type = json.loads(source["value"])["event_type"]
                value = event_value(
                    event_id, key, event_type, event_ts, terms.amount_cents, terms.currency
                )
                if kind == "event_value_not_json":  # cut inside the order id
                    value = value[: value.index('"order_id": "') + len('"order_id": "') + 3]
                record = DefectRecord(kafka_columns(key, value, partition, 0, delivered), kind)
            extra.append(record)
        extra.sort(key=lambda r: r["timestamp"])
        stamps = [r["timestamp"] for r in clean]
        merged, taken = [], 0
        for record in extra:  # after the clean records delivered at the same time or before
            upto = bisect.bisect_right(stamps, record["timestamp"], lo=taken)
            merged += clean[taken:upto]
            merged.append(record)
            taken = upto
        merged += clean[taken:]
        next_offset = {}
        for record in clean:
            next_offset.setdefault(record["partition"], record["offset"])
        for record in merged:
            record["offset"] = next_offset[record["partition"]]
            next_offset[record["partition"]] += 1
        return merged

    # -- writing -------------------------------------------------------------------------------
    def write_files(self, source: str, folder: Path, files: dict[str, list]) -> dict[str, list]:
        """Write the source's extra files next to ``files`` (its regular ones, already written).

        Returns file name -> the records it holds; unreadable files are also in ``unreadable``.
        """
        extra: dict[str, list] = {}
        batch_date = self.batch.batch_date
        if source == "hubspot_contacts":
            kind = "contacts_page_truncated"
            last_results = list(files.values())[-1]
            truncated = self._files[source]
            number = len(files) + 1
            write_page(folder, number - 1, last_results, truncated)  # now with its cursor
            name = write_page(folder, number, truncated, None)
            text = (folder / name).read_text(encoding="utf-8")
            cut = int(len(text) * TRUNCATED_PAGE_KEEP)
            (folder / name).write_text(text[:cut], encoding="utf-8")
            extra[name], self.unreadable[name] = truncated, kind
        elif source == "snowflake_orders":
            data = unload_bytes(self._files[source])
            name = unload_name(len(files))
            (folder / name).write_bytes(data[: int(len(data) * CORRUPT_UNLOAD_KEEP)])
            extra[name], self.unreadable[name] = self._files[source], "orders_file_corrupt_gzip"
        elif source == "vendor_products":
            latin1, no_price = self._files[source]
            name = price_list_name(LATIN1_VENDOR, batch_date, "_latin1")
            (folder / name).write_bytes(price_list_text(latin1, HEADER).encode("latin-1"))
            extra[name] = latin1
            name = price_list_name(NO_PRICE_VENDOR, batch_date, "_no_unit_price")
            columns = [c for c in HEADER if c != "unit_price"]
            (folder / name).write_text(price_list_text(no_price, columns), encoding="utf-8")
            extra[name] = no_price
        elif source == "fx_rates":
            undated, old = self._files[source]
            extra[write_fx_document(folder, "rates_missing_date.json", undated)] = [undated]
            extra[write_fx_document(folder, f"rates_{old['date']}.json", old)] = [old]
        return extra
