"""The declared column lineage matches the real Silver and Gold transforms, column for column."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from lakehouse.contracts import load_contract
from lakehouse.contracts.drift import keeps_extra_columns
from lakehouse.layers import column_lineage as cl

ALL_SOURCES = [
    (table, column, source)
    for table, columns in cl.COLUMN_LINEAGE.items()
    for column, sources in columns.items()
    for source in sources
] + [(table, None, s) for table, sources in cl.DATASET_LINEAGE.items() for s in sources]


def tables_written_by(project_dir: Path, script: str, layer: str) -> set[str]:
    """Tables the job script publishes or stages (``publish_table(job, "silver.x", ...)``)."""
    text = (project_dir / "glue_jobs" / script).read_text()
    return set(re.findall(rf'(?:publish_table|stage)\(\s*job,\s*"({layer}\.\w+)"', text))


def test_every_silver_and_gold_table_the_jobs_write_is_declared(project_dir: Path) -> None:
    assert tables_written_by(project_dir, "bronze_to_silver.py", "silver") == set(cl.SILVER_TABLES)
    assert tables_written_by(project_dir, "silver_to_gold.py", "gold") == set(cl.GOLD_TABLES)
    assert set(cl.COLUMN_LINEAGE) == {*cl.SILVER_TABLES, *cl.GOLD_TABLES}
    assert set(cl.DATASET_LINEAGE) <= set(cl.COLUMN_LINEAGE)


@pytest.mark.parametrize(
    ("table", "column", "source"),
    ALL_SOURCES,
    ids=[f"{t}.{c or '*'}<-{s.table}.{s.column}" for t, c, s in ALL_SOURCES],
)
def test_each_source_uses_an_openlineage_transformation(
    table: str, column: str | None, source: cl.Source
) -> None:
    allowed = cl.DIRECT_SUBTYPES if source.type == cl.DIRECT else cl.INDIRECT_SUBTYPES
    assert source.type in (cl.DIRECT, cl.INDIRECT)
    assert source.subtype in allowed, f"{table}.{column}: {source}"
    if column is None:
        assert source.type == cl.INDIRECT, "table-wide lineage is about which rows, not values"


@pytest.mark.parametrize("table", [*cl.SILVER_TABLES, *cl.GOLD_TABLES])
def test_tables_are_built_from_the_layer_below_or_their_own(table: str) -> None:
    layer = table.split(".")[0]
    allowed = {"silver": ("bronze", "silver"), "gold": ("silver", "gold")}[layer]
    inputs = cl.input_tables(table)
    assert inputs and all(t.split(".")[0] in allowed for t in inputs)
    assert table not in inputs


def test_every_column_has_a_direct_source() -> None:
    for table, columns in cl.COLUMN_LINEAGE.items():
        for column, sources in columns.items():
            assert any(s.type == cl.DIRECT for s in sources), f"{table}.{column}"


# ---------------------------------------------------------------- against the real transforms

BRONZE_SOURCES = (
    "hubspot_contacts",
    "snowflake_orders",
    "vendor_products",
    "fx_rates",
    "order_events",
)


def bronze_frame(spark: Any, dataset: str) -> Any:
    """An empty Bronze table with the schema ingest gives it (contract columns + lineage)."""
    from lakehouse.layers.bronze import EXTRA_COLUMNS, to_bronze

    contract = load_contract(dataset)
    columns = [f"`{f.name}` {f.physical_type}" for f in contract.fields]
    columns.append("`_source` string")
    if keeps_extra_columns(contract):
        columns.append(f"`{EXTRA_COLUMNS}` map<string,string>")
    checked = spark.createDataFrame([], ", ".join(columns))
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    return to_bronze(checked, contract, "wr_test", at, at.date())


@pytest.fixture(scope="module")
def tables(spark: Any) -> dict[str, Any]:
    """Every Bronze, Silver and Gold table as the jobs build them (empty frames, real schemas)."""
    from lakehouse.layers import gold, silver

    frames = {f"bronze.{d}": bronze_frame(spark, d) for d in BRONZE_SOURCES}
    frames["silver.fx_rates"] = silver.fx_rates(frames["bronze.fx_rates"])
    frames["silver.contacts"] = silver.contacts(frames["bronze.hubspot_contacts"])
    frames["silver.products"] = silver.products(frames["bronze.vendor_products"])
    frames["silver.orders"], _ = silver.split_orphan_orders(
        silver.orders(frames["bronze.snowflake_orders"], frames["silver.fx_rates"]),
        frames["silver.contacts"],
        frames["silver.products"],
    )
    frames["silver.order_events"] = silver.order_events(frames["bronze.order_events"])
    frames["gold.fct_orders"] = gold.fct_orders(frames["silver.orders"], frames["silver.products"])
    frames["gold.dim_customer"] = gold.dim_customer(
        frames["silver.contacts"], frames["gold.fct_orders"]
    )
    frames["gold.agg_daily_revenue"] = gold.agg_daily_revenue(
        frames["gold.fct_orders"], frames["gold.dim_customer"]
    )
    frames["gold.fct_order_fulfillment"] = gold.fct_order_fulfillment(frames["silver.order_events"])
    return {table: frame.columns for table, frame in frames.items()}


@pytest.mark.spark
@pytest.mark.parametrize("table", [*cl.SILVER_TABLES, *cl.GOLD_TABLES])
def test_declared_columns_are_exactly_the_tables_columns(
    tables: dict[str, list[str]], table: str
) -> None:
    declared = set(cl.COLUMN_LINEAGE[table])
    actual = set(tables[table])
    assert not actual - declared, f"{table}: columns without lineage"
    assert not declared - actual, f"{table}: lineage for columns it does not have"


@pytest.mark.spark
@pytest.mark.parametrize("table", [*cl.SILVER_TABLES, *cl.GOLD_TABLES])
def test_every_declared_input_column_exists_in_its_input_table(
    tables: dict[str, list[str]], table: str
) -> None:
    sources = [s for ss in cl.COLUMN_LINEAGE[table].values() for s in ss]
    for source in [*sources, *cl.DATASET_LINEAGE.get(table, ())]:
        assert source.column in tables[source.table], f"{table} <- {source}"
