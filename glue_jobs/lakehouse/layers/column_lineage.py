"""Declared column lineage of every Silver and Gold table: which input columns make each column.

Written from the transforms in :mod:`lakehouse.layers.silver` and :mod:`lakehouse.layers.gold`
(and the jobs that feed them: ``bronze_to_silver``, ``silver_to_gold``); the tests build every
table with the real transforms and check that the declaration covers exactly its columns and
names only columns its inputs have. Change a transform, change its entry here.

Transformation types and subtypes are OpenLineage's (ColumnLineageDatasetFacet):

* ``DIRECT``: the value comes from the input column: ``IDENTITY`` (as is), ``TRANSFORMATION``
  (computed from it, e.g. trimmed or converted), ``AGGREGATION`` (min, count, sum over rows);
* ``INDIRECT``: the input column decides *which* rows or values appear: ``JOIN``, ``GROUP_BY``,
  ``FILTER``, ``SORT``, ``WINDOW`` (e.g. the latest version per key), ``CONDITIONAL``.

Per-column entries are in :data:`COLUMN_LINEAGE`; dependencies of the whole table (keys and
orderings of the deduplication, join keys, filters, grouping keys) in :data:`DATASET_LINEAGE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DIRECT, INDIRECT = "DIRECT", "INDIRECT"
DIRECT_SUBTYPES = ("IDENTITY", "TRANSFORMATION", "AGGREGATION")
INDIRECT_SUBTYPES = ("JOIN", "GROUP_BY", "FILTER", "SORT", "WINDOW", "CONDITIONAL")


@dataclass(frozen=True)
class Source:
    """One input column of an output column (or of a whole table)."""

    table: str  # "bronze.snowflake_orders"
    column: str
    type: str = DIRECT
    subtype: str = "IDENTITY"
    description: str | None = None
    masking: bool = False  # the output hides the input's value (e.g. a hash)


def same(table: str, column: str) -> Source:
    return Source(table, column)


def changed(table: str, column: str, how: str) -> Source:
    return Source(table, column, DIRECT, "TRANSFORMATION", how)


def aggregated(table: str, column: str, how: str) -> Source:
    return Source(table, column, DIRECT, "AGGREGATION", how)


def indirect(table: str, column: str, subtype: str, why: str) -> Source:
    return Source(table, column, INDIRECT, subtype, why)


def _copies(table: str, columns: str) -> dict[str, tuple[Source, ...]]:
    """``column -> (table.column as is,)`` for each space-separated column."""
    return {c: (same(table, c),) for c in columns.split()}


def _latest_per_key(table: str, keys: str, order: str, why: str) -> tuple[Source, ...]:
    """The deduplication window of :func:`lakehouse.layers.silver.latest_per_key`."""
    return tuple(indirect(table, c, "WINDOW", why) for c in [*keys.split(), *order.split()])


# ---------------------------------------------------------------- Silver

B_CONTACTS = "bronze.hubspot_contacts"
B_ORDERS = "bronze.snowflake_orders"
B_PRODUCTS = "bronze.vendor_products"
B_FX = "bronze.fx_rates"
B_EVENTS = "bronze.order_events"
S_CONTACTS = "silver.contacts"
S_ORDERS = "silver.orders"
S_PRODUCTS = "silver.products"
S_FX = "silver.fx_rates"
S_EVENTS = "silver.order_events"

_CONTACTS = {
    "contact_id": (same(B_CONTACTS, "id"),),
    "email": (changed(B_CONTACTS, "email", "trimmed, lower-cased"),),
    "first_name": (changed(B_CONTACTS, "firstname", "trimmed"),),
    "last_name": (changed(B_CONTACTS, "lastname", "trimmed"),),
    "phone": (changed(B_CONTACTS, "phone", "trimmed"),),
    "company": (changed(B_CONTACTS, "company", "trimmed"),),
    "country": (changed(B_CONTACTS, "country", "trimmed, upper-cased"),),
    "lifecycle_stage": (changed(B_CONTACTS, "lifecyclestage", "trimmed, lower-cased"),),
    **_copies(B_CONTACTS, "created_at updated_at archived _source"),
    "_ingest_date": (same(B_CONTACTS, "ingest_date"),),
}

_PRODUCTS = {
    "sku": (same(B_PRODUCTS, "sku"),),
    "product_name": (changed(B_PRODUCTS, "product_name", "trimmed"),),
    "category": (changed(B_PRODUCTS, "category", "trimmed"),),
    "currency": (changed(B_PRODUCTS, "currency", "upper-cased"),),
    **_copies(B_PRODUCTS, "unit_price vendor_id effective_date _source"),
    "_ingest_date": (same(B_PRODUCTS, "ingest_date"),),
}

_FX = {
    **_copies(B_FX, "rate_date base_currency"),
    "currency": (
        changed(B_FX, "currency", "upper-cased"),
        changed(B_FX, "base_currency", "the base currency's own row"),
    ),
    "rate": (Source(B_FX, "rate", description="as delivered; 1 on the base currency's row"),),
}

_ORDERS = {
    **_copies(B_ORDERS, "order_id contact_id order_ts sku quantity amount updated_at _source"),
    "order_date": (changed(B_ORDERS, "order_ts", "date of the order timestamp (UTC)"),),
    "status": (changed(B_ORDERS, "status", "upper-cased"),),
    "currency": (changed(B_ORDERS, "currency", "upper-cased"),),
    "amount_usd": (
        changed(B_ORDERS, "amount", "amount / rate, rounded to cents"),
        changed(S_FX, "rate", "USD rate of the order date and currency"),
    ),
    "fx_rate": (same(S_FX, "rate"),),
    "_ingest_date": (same(B_ORDERS, "ingest_date"),),
}

_EVENTS = {
    **_copies(
        B_EVENTS,
        "event_id order_id event_ts amount currency kafka_partition kafka_offset kafka_timestamp",
    ),
    "event_type": (changed(B_EVENTS, "event_type", "upper-cased"),),
    "_ingest_date": (same(B_EVENTS, "ingest_date"),),
}

_LATEST = "the latest version per key is kept"
_SILVER_DATASET = {
    S_CONTACTS: _latest_per_key(B_CONTACTS, "id", "updated_at ingest_date _source", _LATEST),
    S_PRODUCTS: _latest_per_key(B_PRODUCTS, "sku", "effective_date ingest_date _source", _LATEST),
    S_FX: _latest_per_key(B_FX, "rate_date currency", "ingest_date _source", _LATEST),
    S_ORDERS: (
        *_latest_per_key(B_ORDERS, "order_id", "updated_at ingest_date _source", _LATEST),
        indirect(B_ORDERS, "order_ts", "JOIN", "rate of the order date"),
        indirect(B_ORDERS, "currency", "JOIN", "rate of the order currency"),
        indirect(S_FX, "rate_date", "JOIN", "rate of the order date"),
        indirect(S_FX, "currency", "JOIN", "rate of the order currency"),
        indirect(S_FX, "base_currency", "FILTER", "only rates against USD"),
        indirect(B_ORDERS, "contact_id", "FILTER", "orders of unknown contacts are quarantined"),
        indirect(S_CONTACTS, "contact_id", "FILTER", "orders of unknown contacts are quarantined"),
        indirect(B_ORDERS, "sku", "FILTER", "orders of unknown products are quarantined"),
        indirect(S_PRODUCTS, "sku", "FILTER", "orders of unknown products are quarantined"),
    ),
    S_EVENTS: _latest_per_key(
        B_EVENTS,
        "event_id",
        "kafka_timestamp kafka_partition kafka_offset",
        "a redelivered event is kept once (its first delivery)",
    ),
}

# ---------------------------------------------------------------- Gold

G_FCT = "gold.fct_orders"
G_CUSTOMER = "gold.dim_customer"
G_REVENUE = "gold.agg_daily_revenue"
G_FULFILLMENT = "gold.fct_order_fulfillment"

_FCT = {
    **_copies(
        S_ORDERS,
        "order_id contact_id order_date status sku quantity amount currency amount_usd updated_at",
    ),
    "product_category": (same(S_PRODUCTS, "category"),),
}

_REVENUE_ONLY = "only PLACED, PAID and SHIPPED orders count as revenue"

_CUSTOMER = {
    **_copies(S_CONTACTS, "contact_id country lifecycle_stage created_at"),
    "email_sha256": (
        Source(S_CONTACTS, "email", DIRECT, "TRANSFORMATION", "SHA-256 of the email", True),
    ),
    "first_order_date": (aggregated(G_FCT, "order_date", "earliest order date"),),
    "orders_count": (aggregated(G_FCT, "order_id", "number of orders (0 without any)"),),
    "lifetime_value_usd": (
        aggregated(G_FCT, "amount_usd", "sum of revenue orders (0 without any)"),
        indirect(G_FCT, "status", "CONDITIONAL", _REVENUE_ONLY),
    ),
}

_REVENUE = {
    "order_date": (same(G_FCT, "order_date"),),
    "country": (same(G_CUSTOMER, "country"),),
    "product_category": (same(G_FCT, "product_category"),),
    "orders": (aggregated(G_FCT, "order_id", "number of revenue orders"),),
    "revenue_usd": (aggregated(G_FCT, "amount_usd", "sum of revenue orders"),),
}

_EVENT_STEPS = ("placed_at", "paid_at", "shipped_at", "cancelled_at", "refunded_at")
_FULFILLMENT = {
    "order_id": (same(S_EVENTS, "order_id"),),
    **{
        step: (
            aggregated(S_EVENTS, "event_ts", "time of the step's first event"),
            indirect(S_EVENTS, "event_type", "CONDITIONAL", "events of this step only"),
        )
        for step in _EVENT_STEPS
    },
    "hours_to_ship": (
        aggregated(S_EVENTS, "event_ts", "first shipped minus first placed event, in hours"),
        indirect(S_EVENTS, "event_type", "CONDITIONAL", "placed and shipped events only"),
    ),
}

_GOLD_DATASET = {
    G_FCT: (
        indirect(S_ORDERS, "sku", "JOIN", "product of the order"),
        indirect(S_PRODUCTS, "sku", "JOIN", "product of the order"),
    ),
    G_CUSTOMER: (
        indirect(S_CONTACTS, "contact_id", "JOIN", "orders of the contact"),
        indirect(G_FCT, "contact_id", "GROUP_BY", "orders of the contact"),
    ),
    G_REVENUE: (
        indirect(G_FCT, "status", "FILTER", _REVENUE_ONLY),
        indirect(G_FCT, "contact_id", "JOIN", "country of the customer"),
        indirect(G_CUSTOMER, "contact_id", "JOIN", "country of the customer"),
        indirect(G_FCT, "order_date", "GROUP_BY", "per day, country and category"),
        indirect(G_CUSTOMER, "country", "GROUP_BY", "per day, country and category"),
        indirect(G_FCT, "product_category", "GROUP_BY", "per day, country and category"),
    ),
    G_FULFILLMENT: (indirect(S_EVENTS, "order_id", "GROUP_BY", "one row per order"),),
}

SILVER_TABLES = (S_CONTACTS, S_ORDERS, S_PRODUCTS, S_FX, S_EVENTS)
GOLD_TABLES = (G_FCT, G_CUSTOMER, G_REVENUE, G_FULFILLMENT)

COLUMN_LINEAGE: Mapping[str, Mapping[str, tuple[Source, ...]]] = {
    S_CONTACTS: _CONTACTS,
    S_ORDERS: _ORDERS,
    S_PRODUCTS: _PRODUCTS,
    S_FX: _FX,
    S_EVENTS: _EVENTS,
    G_FCT: _FCT,
    G_CUSTOMER: _CUSTOMER,
    G_REVENUE: _REVENUE,
    G_FULFILLMENT: _FULFILLMENT,
}
DATASET_LINEAGE: Mapping[str, tuple[Source, ...]] = {**_SILVER_DATASET, **_GOLD_DATASET}


def input_tables(table: str) -> set[str]:
    """Every table ``table``'s declared lineage names."""
    sources = [s for ss in COLUMN_LINEAGE[table].values() for s in ss]
    return {s.table for s in [*sources, *DATASET_LINEAGE.get(table, ())]}
