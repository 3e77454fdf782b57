"""Vendor products: the catalogue of eight European vendors and their ';'-delimited price lists.

The initial load holds every vendor's full list. On each later day one or two vendors re-send
their full list, now with the day's few new SKUs and about 10% of the prices changed. A row's
``effective_date`` is the date its current price took effect: the day before the batch for new
SKUs and changed prices, an earlier date for the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lakehouse.generate.common import HISTORY_DAYS, Plan, cumulative
from lakehouse.generate.fx import CURRENCIES

HEADER = ["sku", "product_name", "category", "unit_price", "currency", "vendor_id",
          "effective_date"]  # fmt: skip
PRICE_CHANGE_SHARE = 0.10

# vendor id: (currency, share of the catalogue, brands)
VENDORS: dict[str, tuple[str, float, list[str]]] = {
    "V01": ("EUR", 1.5, ["Größmann", "Küchenwerk", "Alpenhaus"]),
    "V02": ("EUR", 1.2, ["Maison Lumière", "Élan", "Côté Sud"]),
    "V03": ("GBP", 1.1, ["Brightwell", "Thames & Co", "Oakridge"]),
    "V04": ("CHF", 0.9, ["Zürcher Linie", "Bergkristall", "Helvetia Home"]),
    "V05": ("SEK", 0.9, ["Björkvall", "Nordljus", "Fjällgård"]),
    "V06": ("DKK", 0.8, ["Søndergaard", "Hygge Hus", "Østerlund"]),
    "V07": ("PLN", 0.8, ["Łąka", "Wisła Design", "Kraków Craft"]),
    "V08": ("EUR", 0.8, ["Casa Bellà", "Fratelli Rossi", "Dolce Forma"]),
}

# category: (typical EUR price range, product nouns)
CATEGORIES: dict[str, tuple[tuple[float, float], list[str]]] = {
    "Electronics": (
        (12, 450),
        ["Bluetooth-Lautsprecher", "USB-C Ladegerät", "Kopfhörer", "Powerbank"],
    ),
    "Home & Kitchen": ((6, 180), ["Küchenwaage", "Théière", "Gusseisenpfanne", "Kökshandduk"]),
    "Garden": ((4, 250), ["Gießkanne", "Rosenschere", "Hochbeet", "Trädgårdsslang"]),
    "Sports & Outdoors": ((8, 300), ["Yogamatte", "Trinkflasche", "Wanderrucksack", "Springseil"]),
    "Toys": ((5, 90), ["Holzeisenbahn", "Puzzle 1000 Teile", "Kuscheltier", "Bausteine"]),
    "Beauty": ((3, 70), ["Gesichtscreme", "Lippenbalsam", "Haarbürste", "Crème Mains"]),
    "Health": ((3, 120), ["Wärmflasche", "Blutdruckmessgerät", "Vitamin D3", "Erste-Hilfe-Set"]),
    "Office Supplies": (
        (2, 60),
        ["Notizbuch A5", "Füllfederhalter", "Schreibtischlampe", "Ordner"],
    ),
    "Automotive": ((5, 200), ["Eiskratzer", "Starthilfekabel", "Autoshampoo", "Dachbox-Gurt"]),
    "Books": ((8, 45), ["Kochbuch", "Reiseführer", "Bildband", "Kinderbuch"]),
    "Clothing": ((9, 220), ["Wollpullover", "Regenjacke", "Baumwoll-T-Shirt", "Mütze"]),
    "Pet Supplies": ((3, 110), ["Hundeleine", "Katzenkratzbaum", "Futternapf", "Hundebett"]),
}
_CATEGORY_CUM = cumulative([1.4, 1.2, 0.8, 1.0, 0.8, 0.9, 0.7, 0.7, 0.5, 0.6, 1.2, 0.6])
_VARIANTS = ["Classic", "Pro", "Mini", "XL", "2er-Set", "Größe M", "Édition Limitée", "Öko",
             "Premium", "Lätt", "Schwarz", "Weiß", "Blå", "Rouge", "Grün", "Natur"]  # fmt: skip
_PRICE_ENDINGS = [0, 50, 90, 95, 99]


@dataclass(frozen=True)
class Product:
    """A product as first listed: its price may change on later re-sends."""

    sku: str
    vendor_id: str
    name: str
    category: str
    price_cents: int
    currency: str
    created_day: int  # the batch that first delivered it
    effective_date: date


def vendor_product_counts(total: int) -> dict[str, int]:
    """Split the initial catalogue over the vendors by share (largest remainder, at least 1)."""
    shares = {v: spec[1] for v, spec in VENDORS.items()}
    rest = total - len(shares)
    exact = {v: rest * s / sum(shares.values()) for v, s in shares.items()}
    counts = {v: 1 + math.floor(x) for v, x in exact.items()}
    by_remainder = sorted(shares, key=lambda v: (-(exact[v] - math.floor(exact[v])), v))
    for v in by_remainder[: total - sum(counts.values())]:
        counts[v] += 1
    return counts


def to_price_cents(amount: float, rng) -> int:
    """A shelf price near ``amount``: whole units plus a typical ending (.00, .50, .90, .95, .99)."""
    return max(1, int(amount)) * 100 + rng.choice(_PRICE_ENDINGS)


class Catalog:
    """Which SKUs exist on which day, their attributes and their prices over time."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.initial_counts = vendor_product_counts(plan.volumes.products)
        self._products: dict[str, Product] = {}
        # per day >= 1: (re-sending vendors, new SKUs as (vendor, sequence number))
        self._schedule: list[tuple[list[str], list[tuple[str, int]]]] = [([], [])]
        self._next_seq = {v: n + 1 for v, n in self.initial_counts.items()}
        self._created_day: dict[str, int] = {}

    def resend_schedule(self, day: int) -> tuple[list[str], list[tuple[str, int]]]:
        """The vendors re-sending on ``day`` and the SKUs they add that day."""
        while len(self._schedule) <= day:
            d = len(self._schedule)
            rng = self.plan.rng("vendor-resend", d)
            vendors = sorted(rng.sample(sorted(VENDORS), 1 if rng.random() < 0.6 else 2))
            new = []
            for _ in range(self.plan.volumes.new_products_per_day):
                vendor = rng.choice(vendors)
                new.append((vendor, self._next_seq[vendor]))
                self._created_day[sku_of(vendor, self._next_seq[vendor])] = d
                self._next_seq[vendor] += 1
            self._schedule.append((vendors, new))
        return self._schedule[day]

    def vendor_skus(self, vendor_id: str, day: int) -> list[str]:
        """Every SKU of ``vendor_id`` delivered up to and including batch ``day``."""
        skus = [sku_of(vendor_id, s) for s in range(1, self.initial_counts[vendor_id] + 1)]
        for d in range(1, day + 1):
            skus += [sku_of(v, s) for v, s in self.resend_schedule(d)[1] if v == vendor_id]
        return skus

    def skus_before(self, day: int) -> list[str]:
        """Every SKU delivered in a batch before ``day`` (day 0: the initial catalogue)."""
        skus = [sku_of(v, s) for v, n in self.initial_counts.items() for s in range(1, n + 1)]
        for d in range(1, day):
            skus += [sku_of(v, s) for v, s in self.resend_schedule(d)[1]]
        return skus

    def product(self, sku: str) -> Product:
        if sku not in self._products:
            self._products[sku] = self._make_product(sku)
        return self._products[sku]

    def _make_product(self, sku: str) -> Product:
        vendor_id, seq = sku.split("-")[0], int(sku.split("-")[1])
        currency, _, brands = VENDORS[vendor_id]
        created_day = 0 if seq <= self.initial_counts[vendor_id] else self._created_day[sku]
        rng = self.plan.rng("product", sku)
        category = rng.choices(list(CATEGORIES), cum_weights=_CATEGORY_CUM)[0]
        (low, high), nouns = CATEGORIES[category]
        name = f"{rng.choice(brands)} {rng.choice(nouns)} {rng.choice(_VARIANTS)}"
        eur = math.exp(rng.uniform(math.log(low), math.log(high)))
        local = eur * CURRENCIES[currency][0] / CURRENCIES["EUR"][0]
        if created_day == 0:
            effective = self.plan.base_date - timedelta(days=rng.randint(HISTORY_DAYS + 1, 720))
        else:
            effective = self.plan.batch_date(created_day) - timedelta(days=1)
        price = to_price_cents(local, rng)
        return Product(sku, vendor_id, name, category, price, currency, created_day, effective)

    def price_on(self, sku: str, day: int) -> tuple[int, date]:
        """(price in cents, effective date) of ``sku`` as listed by batch ``day``."""
        product = self.product(sku)
        price, effective = product.price_cents, product.effective_date
        for d in range(product.created_day + 1, day + 1):
            if product.vendor_id not in self.resend_schedule(d)[0]:
                continue
            rng = self.plan.rng("price", sku, d)
            if rng.random() < PRICE_CHANGE_SHARE:
                new_price = to_price_cents(price / 100 * rng.uniform(0.88, 1.15), rng)
                price = new_price if new_price != price else price + 100
                effective = self.plan.batch_date(d) - timedelta(days=1)
        return price, effective


def sku_of(vendor_id: str, seq: int) -> str:
    return f"{vendor_id}-{seq:06d}"


def product_row(catalog: Catalog, sku: str, day: int) -> dict[str, str]:
    """One price-list line as the vendor writes it (decimal comma, DD.MM.YYYY)."""
    product = catalog.product(sku)
    cents, effective = catalog.price_on(sku, day)
    return {
        "sku": sku,
        "product_name": product.name,
        "category": product.category,
        "unit_price": f"{cents // 100},{cents % 100:02d}",
        "currency": product.currency,
        "vendor_id": product.vendor_id,
        "effective_date": effective.strftime("%d.%m.%Y"),
    }


def vendor_price_lists(catalog: Catalog, day: int) -> dict[str, list[dict[str, str]]]:
    """vendor id -> its price-list rows delivered in batch ``day``."""
    vendors = sorted(VENDORS) if day == 0 else catalog.resend_schedule(day)[0]
    return {v: [product_row(catalog, s, day) for s in catalog.vendor_skus(v, day)] for v in vendors}


def write_price_lists(
    folder: Path, batch_date: date, lists: dict[str, list[dict[str, str]]]
) -> dict[str, list[dict[str, str]]]:
    """Write ``products_<vendor>_<YYYYMMDD>.csv`` per vendor; returns file name -> rows.

    The columns are ``HEADER`` and after them any other key of the first row (a vendor that
    added a column).
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for vendor_id, rows in lists.items():
        name = price_list_name(vendor_id, batch_date)
        columns = [*HEADER, *(c for c in (rows[0] if rows else {}) if c not in HEADER)]
        (folder / name).write_text(price_list_text(rows, columns), encoding="utf-8")
        files[name] = rows
    return files


def price_list_name(vendor_id: str, batch_date: date, suffix: str = "") -> str:
    return f"products_{vendor_id}_{batch_date:%Y%m%d}{suffix}.csv"


def price_list_text(rows: list[dict[str, str]], columns: list[str]) -> str:
    """A price list: the header line and a line per row, ';'-delimited, unquoted."""
    lines = [";".join(columns)] + [";".join(row[c] for c in columns) for row in rows]
    return "\n".join(lines) + "\n"
