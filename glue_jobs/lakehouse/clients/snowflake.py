"""Snowflake orders through Glue's native Snowflake connector (Glue 4.0 and later).

:func:`connection_options` builds the ``connection_options`` of
``glueContext.create_dynamic_frame.from_options(connection_type="snowflake", ...)``; option
names per https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-connect-snowflake-home.html
(``connectionName`` names a Glue connection of type SNOWFLAKE holding host and credentials;
``query`` reads a SQL query; ``sfDatabase``, ``sfSchema``, ``sfWarehouse`` set the session).

The query is incremental on ``UPDATED_AT``: ``> watermark`` and ``< batch end``. Save as the next
watermark the greatest ``UPDATED_AT`` read (not the batch end): with strict bounds on both sides
a row updated exactly at the batch end is then picked up by the next run.

Nothing from a job argument reaches the SQL unchecked: the table name must be a plain (optionally
dotted) identifier and the timestamps must look like timestamps.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from lakehouse.contracts import Contract, load_contract

SOURCE = "snowflake_orders"
UPDATED_AT = "UPDATED_AT"
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$.]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,9})?)?$")


def table_name(name: str) -> str:
    """``name`` if it is ``TABLE``, ``SCHEMA.TABLE`` or ``DB.SCHEMA.TABLE`` of plain identifiers."""
    parts = name.split(".")
    if not _TABLE.match(name) or len(parts) > 3 or not all(parts):
        raise ValueError(f"not a plain Snowflake table name: {name!r}")
    if not all(_IDENTIFIER.match(part) for part in parts):
        raise ValueError(f"not a plain Snowflake table name: {name!r}")
    return name


def identifier(name: str) -> str:
    """``name`` if it is one plain identifier (letters, digits, ``_``, ``$``; no dots)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain Snowflake identifier: {name!r}")
    return name


def quote_column(name: str) -> str:
    """A contract column as a quoted identifier (exact case, as the contract spells it)."""
    return f'"{identifier(name)}"'


def timestamp_literal(value: str) -> str:
    """``value`` as a SQL string literal, if it is ``YYYY-MM-DD[ HH:MM:SS[.fff]]``."""
    if not _TIMESTAMP.match(value):
        raise ValueError(f"not a timestamp (YYYY-MM-DD HH:MM:SS[.fff]): {value!r}")
    dt.date.fromisoformat(value[:10])  # rejects a month 13 or a day 32
    return f"'{value}'"


def orders_query(
    table: str, watermark: str | None, batch_end: str, contract: Contract | None = None
) -> str:
    """The SELECT of the contract's source columns updated after ``watermark``, before ``batch_end``.

    Without a watermark (the first load) every row before ``batch_end`` is read.
    """
    contract = contract or load_contract(SOURCE)
    columns = ", ".join(quote_column(f.source_field) for f in contract.fields)
    updated = quote_column(UPDATED_AT)
    conditions = [f"{updated} < {timestamp_literal(batch_end)}"]
    if watermark is not None:
        conditions.insert(0, f"{updated} > {timestamp_literal(watermark)}")
    order = ", ".join(
        [updated, *(quote_column(contract.field(k).source_field) for k in contract.primary_key)]
    )
    return (
        f"SELECT {columns} FROM {table_name(table)} "
        f"WHERE {' AND '.join(conditions)} ORDER BY {order}"
    )


def connection_options(
    connection_name: str,
    table: str,
    watermark: str | None,
    batch_end: str,
    *,
    database: str | None = None,
    schema: str | None = None,
    warehouse: str | None = None,
) -> dict[str, str]:
    """The Glue Snowflake ``connection_options`` reading this batch's orders."""
    if not connection_name:
        raise ValueError("a Glue Snowflake connection name is required")
    options = {
        "connectionName": connection_name,
        "query": orders_query(table, watermark, batch_end),
    }
    for key, value in (("sfDatabase", database), ("sfSchema", schema), ("sfWarehouse", warehouse)):
        if value:
            options[key] = identifier(value)
    return options


def read_orders(glue_context: Any, options: dict[str, str]) -> Any:
    """Read the orders as a Spark DataFrame (AWS Glue only: needs the native connector)."""
    frame = glue_context.create_dynamic_frame.from_options(
        connection_type="snowflake", connection_options=options
    )
    return frame.toDF()
