"""Which columns hold personal data, and which domain each table belongs to.

Bronze columns are classified in the contracts (``classification: pii``). Silver and Gold
columns inherit it through the declared column lineage (``lakehouse.layers.column_lineage``): a
column that copies or transforms a PII column is PII unless the lineage says the transformation
masks the value (a hash). Quarantine tables keep whole raw records, so they are PII as a whole.
"""

from __future__ import annotations

from functools import cache

from lakehouse.contracts import load_contract
from lakehouse.contracts.model import Contract
from lakehouse.layers import column_lineage as cl
from lakehouse.resources import folder

PLATFORM_DOMAIN = "platform"


@cache
def contracts() -> dict[str, Contract]:
    """Every contract, by its Bronze table (``bronze.hubspot_contacts``)."""
    found = {}
    for entry in folder("contracts").iterdir():
        if entry.name.endswith(".yaml"):
            contract = load_contract(entry.name.removesuffix(".yaml"))
            found[contract.table] = contract
    return found


@cache
def pii_columns() -> dict[str, frozenset[str]]:
    """``table -> PII columns`` for Bronze (contracts), Silver and Gold (lineage)."""
    pii = {table: frozenset(c.pii_columns) for table, c in contracts().items()}
    for table in (*cl.SILVER_TABLES, *cl.GOLD_TABLES):  # Silver first: Gold reads Silver
        pii[table] = frozenset(
            column
            for column, sources in cl.COLUMN_LINEAGE[table].items()
            if any(
                s.type == cl.DIRECT and not s.masking and s.column in pii.get(s.table, ())
                for s in sources
            )
        )
    return pii


def _first_source_table(table: str) -> str:
    first_column = next(iter(cl.COLUMN_LINEAGE[table].values()))
    return next(s.table for s in first_column if s.type == cl.DIRECT)


@cache
def domain_of(table: str) -> str:
    """The table's data domain: its contract's, or that of the table its rows come from
    (the source of its first column); DQ and audit tables are the platform's."""
    if table in contracts():
        return contracts()[table].domain or PLATFORM_DOMAIN
    if table in cl.COLUMN_LINEAGE:
        return domain_of(_first_source_table(table))
    database, name = table.split(".")
    if database == "quarantine":
        for candidate in (f"bronze.{name}", f"silver.{name}"):
            if candidate in contracts() or candidate in cl.COLUMN_LINEAGE:
                return domain_of(candidate)
    return PLATFORM_DOMAIN
