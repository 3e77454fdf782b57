"""Contracts: loading ODCS files and deriving Spark schemas and typed columns from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pyspark.sql import types as T

from lakehouse.contracts import ContractError, load_contract
from lakehouse.contracts.model import parse_contract
from lakehouse.contracts.spark import raw_struct, to_typed

SOURCES = ["hubspot_contacts", "snowflake_orders", "vendor_products", "fx_rates", "order_events"]


@pytest.mark.parametrize("source", SOURCES)
def test_every_source_has_a_contract_naming_its_bronze_table(source):
    contract = load_contract(source)
    assert contract.table == f"bronze.{source}"
    assert contract.primary_key, "every source declares its primary key"


def test_pii_columns_are_classified():
    assert set(load_contract("hubspot_contacts").pii_columns) == {
        "email",
        "firstname",
        "lastname",
        "phone",
    }


def test_raw_struct_nests_along_source_paths():
    contract = load_contract("hubspot_contacts")
    struct = raw_struct(contract)
    properties = struct["properties"].dataType
    assert isinstance(properties, T.StructType)
    assert "email" in properties.fieldNames()
    assert struct["id"].dataType == T.StringType()


def test_raw_struct_with_prefix_selects_the_kafka_value_fields():
    struct = raw_struct(load_contract("order_events"), prefix="value.")
    assert struct.fieldNames() == [
        "event_id",
        "order_id",
        "event_type",
        "event_ts",
        "amount",
        "currency",
    ]


def test_unsupported_physical_type_is_refused_with_the_property_name():
    doc = {
        "apiVersion": "v3.0.2",
        "kind": "DataContract",
        "id": "x",
        "version": "1",
        "schema": [{"name": "t", "properties": [{"name": "c", "physicalType": "varchar"}]}],
    }
    with pytest.raises(ContractError, match=r"'c'.*varchar"):
        parse_contract(doc, "test.yaml")


@pytest.mark.spark
def test_typed_parsing_follows_the_contract(spark):
    contract = load_contract("vendor_products")
    raw = spark.createDataFrame(
        [("V01-1", "Küchenmesser", "kitchen", "12,50", "EUR", "V01", "31.01.2026")],
        contract.column_names,
    )
    row = to_typed(raw, contract).collect()[0]
    assert row["unit_price"] == Decimal("12.50")
    assert row["effective_date"] == dt.date(2026, 1, 31)
    assert row["product_name"] == "Küchenmesser"


@pytest.mark.spark
def test_unparseable_values_become_null_not_errors(spark):
    contract = load_contract("snowflake_orders")
    values = ("1", "2", "not a time", "PAID", "S", "x", "1.5.0", "EUR", "2026-01-01 10:00:00.000")
    row = to_typed(spark.createDataFrame([values], contract.column_names), contract).collect()[0]
    assert row["order_ts"] is None
    assert row["quantity"] is None
    assert row["amount"] is None
    assert row["updated_at"] == dt.datetime(2026, 1, 1, 10, 0)
