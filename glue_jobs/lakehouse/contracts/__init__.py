"""Schema contracts (Open Data Contract Standard v3) for the source datasets.

A contract is the single description of a source dataset: its columns, their types and how each
is read from the raw record. Spark read schemas and typed casts are derived from it (see
:mod:`lakehouse.contracts.spark`); no job repeats a column list.
"""

from lakehouse.contracts.model import Contract, ContractError, Field, load_contract

__all__ = ["Contract", "ContractError", "Field", "load_contract"]
