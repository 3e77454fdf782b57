"""Snowflake orders: each order's whole lifecycle, fixed when it is placed, and the CSV unloads.

Order ``i`` (0-based, in placement order) has ORDER_ID ``1000001 + i``. Its lifecycle is drawn
once from its own seeded rng: PLACED at ORDER_TS, then PAID 0.1-24 h later, SHIPPED 12-96 h after
that, or CANCELLED (from PLACED or PAID), or REFUNDED 2-30 days after shipping. The status a
batch reports is the last milestone before the batch's cutoff, so statuses only move forward and
an order reappears in the batch of each day on which it reached a new milestone.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import NamedTuple

from lakehouse.generate.common import (
    DAY_MS,
    HISTORY_DAYS,
    HOUR_MS,
    Plan,
    cumulative,
    format_cents,
    ms_date,
    pick,
    slot_ms,
    snowflake_ts,
)
from lakehouse.generate.contacts import ContactBook
from lakehouse.generate.fx import FxRates
from lakehouse.generate.products import Catalog

HEADER = ["ORDER_ID", "CONTACT_ID", "ORDER_TS", "STATUS", "SKU", "QUANTITY", "AMOUNT", "CURRENCY",
          "UPDATED_AT"]  # fmt: skip
QUOTED = {"STATUS", "SKU", "CURRENCY"}  # string columns: Snowflake encloses them in quotes
ROWS_PER_FILE = 25_000
STATUSES = ["PLACED", "PAID", "SHIPPED", "CANCELLED", "REFUNDED"]
LIFECYCLE_MAX_MS = 24 * HOUR_MS + 96 * HOUR_MS + 30 * DAY_MS  # placed -> refunded at the latest
LATE_SHARE = 0.05  # share of events that reach Kafka 2-10 days after they happened

# The order currency follows the buyer's country; everyone else pays in USD.
ORDER_CURRENCY = {
    "US": "USD", "CA": "CAD", "GB": "GBP", "JP": "JPY", "AU": "AUD", "CH": "CHF", "SE": "SEK",
    **dict.fromkeys(["DE", "FR", "NL", "ES", "IT", "IE", "BE", "AT", "FI", "PT"], "EUR"),
}  # fmt: skip
ORDER_CURRENCIES = sorted({*ORDER_CURRENCY.values(), "USD"})
ZERO_DECIMAL_CURRENCIES = {"JPY"}
_QUANTITIES = list(range(1, 11))
_QUANTITY_CUM = cumulative([40, 22, 12, 8, 6, 4, 3, 2, 2, 1])


class Milestone(NamedTuple):
    """A status an order reached, when, and when its Kafka event was delivered."""

    status: str
    ts_ms: int
    delivered_ms: int
    event_bits: int  # random bits of its event id


class Lifecycle(NamedTuple):
    index: int
    placed_ms: int
    milestones: tuple[Milestone, ...]  # in time order
    terms_draws: tuple[float, ...]  # uniform draws that fix the order's terms

    def status_at(self, cutoff_ms: int) -> Milestone | None:
        """The last milestone strictly before ``cutoff_ms`` (None if not yet placed)."""
        reached = None
        for m in self.milestones:
            if m.ts_ms >= cutoff_ms:
                break
            reached = m
        return reached


class OrderTerms(NamedTuple):
    """What was ordered: fixed at placement."""

    order_id: int
    contact_id: int
    sku: str
    quantity: int
    currency: str
    amount_cents: int


def order_id(index: int) -> int:
    return 1_000_001 + index


class OrderBook:
    """Every order of every day, computed from the plan alone."""

    def __init__(self, plan: Plan, contacts: ContactBook, catalog: Catalog, fx: FxRates) -> None:
        self.plan, self.contacts, self.catalog, self.fx = plan, contacts, catalog, fx
        self._lifecycles: dict[int, Lifecycle] = {}
        self._terms: dict[int, OrderTerms] = {}
        self._skus: dict[int, list[str]] = {}

    # -- who exists when -------------------------------------------------------------------
    def delivered_before(self, day: int) -> int:
        """How many orders were placed before batch ``day``'s window (indices ``0 .. n-1``)."""
        v = self.plan.volumes
        return 0 if day == 0 else v.orders + (day - 1) * v.new_orders_per_day

    def new_on(self, day: int) -> range:
        return range(self.delivered_before(day), self.delivered_before(day + 1))

    def day_of(self, index: int) -> int:
        v = self.plan.volumes
        return 0 if index < v.orders else 1 + (index - v.orders) // v.new_orders_per_day

    def first_placed_from(self, ms: int) -> int:
        """An index such that every order placed at or after ``ms`` has an index >= it."""
        plan, v = self.plan, self.plan.volumes
        start = plan.activity_start_ms(0)
        if ms <= start:
            return 0
        if ms < plan.cutoff_ms(0):
            return max(0, int((ms - start) // (HISTORY_DAYS * DAY_MS / v.orders)) - 1)
        return self.delivered_before(plan.batch_of_ms(ms))

    def updated_on(self, day: int) -> list[int]:
        """Orders of earlier batches that reached a new status within batch ``day``'s window."""
        if day == 0:
            return []
        start, cutoff = self.plan.activity_start_ms(day), self.plan.cutoff_ms(day)
        first = self.first_placed_from(start - LIFECYCLE_MAX_MS - DAY_MS)
        return [
            i
            for i in range(first, self.delivered_before(day))
            if any(start <= m.ts_ms < cutoff for m in self.lifecycle(i).milestones)
        ]

    # -- the lifecycle -----------------------------------------------------------------------
    def lifecycle(self, index: int, keep: bool = True) -> Lifecycle:
        """Order ``index``'s milestones; ``keep=False`` does not cache a newly drawn one."""
        life = self._lifecycles.get(index)
        if life is None:
            life = self._draw_lifecycle(index)
            if keep:
                self._lifecycles[index] = life
        return life

    def _draw_lifecycle(self, index: int) -> Lifecycle:
        plan, v = self.plan, self.plan.volumes
        rng = plan.rng("order", index)
        draw = rng.random
        day = self.day_of(index)
        if day == 0:
            count, slot = v.orders, index
        else:
            count, slot = v.new_orders_per_day, (index - v.orders) % v.new_orders_per_day
        placed = slot_ms(plan.activity_start_ms(day), plan.cutoff_ms(day), count, slot, draw())
        fate = draw()
        paid = placed + int((0.1 + 23.9 * draw()) * HOUR_MS)
        shipped = paid + int((12 + 84 * draw()) * HOUR_MS)
        cancel_delay = int((0.5 + 10.5 * draw()) * HOUR_MS)
        refunded = shipped + int((2 + 28 * draw()) * DAY_MS)
        if fate < 0.04:  # cancelled before paying
            times = [("PLACED", placed), ("CANCELLED", placed + 4 * cancel_delay)]
        elif fate < 0.07:  # cancelled after paying, before shipping
            times = [("PLACED", placed), ("PAID", paid), ("CANCELLED", paid + cancel_delay)]
        elif fate < 0.12:
            times = [("PLACED", placed), ("PAID", paid), ("SHIPPED", shipped),
                     ("REFUNDED", refunded)]  # fmt: skip
        else:
            times = [("PLACED", placed), ("PAID", paid), ("SHIPPED", shipped)]
        milestones = []
        for status, ts in times:
            bits = rng.getrandbits(128)
            if draw() < LATE_SHARE:  # reaches Kafka 2-10 days after the day it happened
                late_days = 2 + int(9 * draw())
                delivered = (ts // DAY_MS + late_days) * DAY_MS + int(draw() * DAY_MS)
            else:
                delivered = ts + 5 + int(2500 * draw())
            milestones.append(Milestone(status, ts, delivered, bits))
        terms_draws = (draw(), draw(), draw(), draw(), draw())
        return Lifecycle(index, placed, tuple(milestones), terms_draws)

    # -- the terms ---------------------------------------------------------------------------
    def terms(self, index: int) -> OrderTerms:
        if index not in self._terms:
            self._terms[index] = self._draw_terms(index)
        return self._terms[index]

    def _draw_terms(self, index: int) -> OrderTerms:
        life, day = self.lifecycle(index), self.day_of(index)
        buyer, item, how_many, has_discount, discount = life.terms_draws
        if day == 0:  # someone who already existed when ordering
            buyers = self.contacts.created_before(life.placed_ms)
        else:
            buyers = self.contacts.delivered_before(day)
        contact = self.contacts.created(int(buyer * buyers))
        skus = self.skus_for(day)
        product = self.catalog.product(skus[int(item * len(skus))])
        quantity = pick(_QUANTITIES, _QUANTITY_CUM, how_many)
        currency = ORDER_CURRENCY.get(contact.country, "USD")
        unit = self.fx.convert(
            product.price_cents / 100, product.currency, currency, ms_date(life.placed_ms)
        )
        amount = unit * quantity * (1 - (0.05 + 0.2 * discount if has_discount > 0.65 else 0))
        whole_units = currency in ZERO_DECIMAL_CURRENCIES
        cents = round(amount) * 100 if whole_units else round(amount * 100)
        return OrderTerms(order_id(index), contact.id, product.sku, quantity, currency, cents)

    def skus_for(self, day: int) -> list[str]:
        """The SKUs an order of batch ``day`` may reference: those delivered in earlier batches."""
        if day not in self._skus:
            self._skus[day] = self.catalog.skus_before(day)
        return self._skus[day]


def order_row(book: OrderBook, index: int, day: int) -> dict:
    """Order ``index`` as batch ``day`` unloads it: its status as of the batch cutoff."""
    terms, life = book.terms(index), book.lifecycle(index)
    reached = life.status_at(book.plan.cutoff_ms(day))
    assert reached is not None, f"order {index} is not placed before batch {day}"
    return {
        "ORDER_ID": terms.order_id,
        "CONTACT_ID": terms.contact_id,
        "ORDER_TS": snowflake_ts(life.placed_ms),
        "STATUS": reached.status,
        "SKU": terms.sku,
        "QUANTITY": terms.quantity,
        "AMOUNT": format_cents(terms.amount_cents),
        "CURRENCY": terms.currency,
        "UPDATED_AT": snowflake_ts(reached.ts_ms),
    }


def order_batch(book: OrderBook, day: int) -> list[dict]:
    """Rows of batch ``day``: orders placed in its window and earlier ones whose status moved."""
    indices = [*book.updated_on(day), *book.new_on(day)]
    return [order_row(book, i, day) for i in indices]


def csv_line(row: dict) -> str:
    """A line as ``COPY INTO ... FIELD_OPTIONALLY_ENCLOSED_BY='"'`` writes it."""
    fields = []
    for column in HEADER:
        value = row[column]
        if value is None:
            fields.append("")
        elif column in QUOTED:
            fields.append('"' + str(value).replace('"', '""') + '"')
        else:
            fields.append(str(value))
    return ",".join(fields) + "\n"


def unload_bytes(rows: list[dict]) -> bytes:
    """An unload file: the header and ``rows`` as CSV, gzipped (no name, mtime 0)."""
    text = ",".join(HEADER) + "\n" + "".join(csv_line(r) for r in rows)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="", compresslevel=6) as gz:
        gz.write(text.encode("utf-8"))
    return buffer.getvalue()


def unload_name(number: int) -> str:
    return f"orders_0_{number}_0.csv.gz"


def write_unload(folder: Path, rows: list[dict]) -> dict[str, list[dict]]:
    """Write ``orders_0_<n>_0.csv.gz`` per ``ROWS_PER_FILE`` rows; returns file name -> rows.

    Rows of one ORDER_ID that follow each other stay in one file (a file may grow past
    ``ROWS_PER_FILE`` for them); clean batches hold each ORDER_ID once.
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    start, number = 0, 0
    while start < len(rows) or not files:
        end = min(start + ROWS_PER_FILE, len(rows))
        while 0 < end < len(rows) and rows[end]["ORDER_ID"] == rows[end - 1]["ORDER_ID"]:
            end += 1
        chunk = rows[start:end]
        name = unload_name(number)
        (folder / name).write_bytes(unload_bytes(chunk))
        files[name] = chunk
        start, number = end, number + 1
    return files
