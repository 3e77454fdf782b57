"""Options and query for Glue's native Snowflake connector (pure functions)."""

from __future__ import annotations

import pytest

from lakehouse.clients.snowflake import (
    connection_options,
    orders_query,
    read_orders,
    table_name,
    timestamp_literal,
)
from lakehouse.contracts import load_contract

# The contract's source fields, quoted, in contract order.
COLUMNS = ", ".join(f'"{f.source_field}"' for f in load_contract("snowflake_orders").fields)


def test_the_query_selects_the_contract_columns_between_watermark_and_batch_end():
    query = orders_query("SALES.PUBLIC.ORDERS", "2026-11-24 17:03:12.345", "2026-11-25 00:00:00")
    assert query == (
        f"SELECT {COLUMNS} FROM SALES.PUBLIC.ORDERS "
        "WHERE \"UPDATED_AT\" > '2026-11-24 17:03:12.345' AND \"UPDATED_AT\" < '2026-11-25 00:00:00' "
        'ORDER BY "UPDATED_AT", "ORDER_ID"'
    )
    assert COLUMNS.startswith('"ORDER_ID", "CONTACT_ID", ') and '"UPDATED_AT"' in COLUMNS


def test_the_first_load_has_no_lower_bound():
    query = orders_query("ORDERS", None, "2026-11-25")
    assert "WHERE \"UPDATED_AT\" < '2026-11-25' ORDER BY" in query
    assert ">" not in query


def test_connection_options():
    options = connection_options(
        "snowflake-sales",
        "ORDERS",
        "2026-11-24 00:00:00",
        "2026-11-25 00:00:00",
        database="SALES",
        schema="PUBLIC",
        warehouse="LOAD_WH",
    )
    assert options == {
        "connectionName": "snowflake-sales",
        "query": orders_query("ORDERS", "2026-11-24 00:00:00", "2026-11-25 00:00:00"),
        "sfDatabase": "SALES",
        "sfSchema": "PUBLIC",
        "sfWarehouse": "LOAD_WH",
    }
    minimal = connection_options("snowflake-sales", "SALES.PUBLIC.ORDERS", None, "2026-11-25")
    assert set(minimal) == {"connectionName", "query"}


@pytest.mark.parametrize(
    "table",
    [
        "ORDERS; DROP TABLE ORDERS",
        "ORDERS--",
        'ORDERS"',
        "ORDERS WHERE 1=1",
        "ORDERS/*x*/",
        "1ORDERS",
        "A..B",
        "A.",
        ".A",
        "A.B.C.D",
        "",
    ],
)
def test_table_names_that_are_not_plain_identifiers_are_refused(table):
    with pytest.raises(ValueError, match="not a plain Snowflake table name"):
        connection_options("snowflake-sales", table, None, "2026-11-25")


def test_plain_table_names_pass():
    for name in ("ORDERS", "public.orders", "SALES.PUBLIC.ORDERS", "_T$1"):
        assert table_name(name) == name


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-24' OR '1'='1",
        "2026-11-24 00:00:00'; DROP TABLE ORDERS; --",
        "yesterday",
        "2026-13-01",
        "2026-11-24T00:00",
        "",
    ],
)
def test_timestamps_that_are_not_timestamps_are_refused(value):
    with pytest.raises(ValueError):
        timestamp_literal(value)
    with pytest.raises(ValueError):
        orders_query("ORDERS", value, "2026-11-25")
    with pytest.raises(ValueError):
        orders_query("ORDERS", None, value)


def test_session_identifiers_are_checked_too():
    with pytest.raises(ValueError, match="not a plain Snowflake identifier"):
        connection_options("c", "ORDERS", None, "2026-11-25", schema="PUBLIC; DROP")
    with pytest.raises(ValueError, match="connection name"):
        connection_options("", "ORDERS", None, "2026-11-25")


def test_read_orders_asks_glue_for_a_snowflake_frame():
    calls = []

    class Frame:
        def toDF(self):
            return "dataframe"

    class Reader:
        def from_options(self, **kwargs):
            calls.append(kwargs)
            return Frame()

    class GlueContext:
        create_dynamic_frame = Reader()

    options = {"connectionName": "c", "query": "SELECT 1"}
    assert read_orders(GlueContext(), options) == "dataframe"
    assert calls == [{"connection_type": "snowflake", "connection_options": options}]
