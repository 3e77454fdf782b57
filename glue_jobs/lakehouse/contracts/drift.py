"""Schema drift: compare the columns (or JSON keys) a batch arrived with to its contract.

A contract's ``schemaDrift`` policy decides what a difference means:

=============  =========================================================================
strict         the columns must be the contract's, in its order; anything else breaks
evolve         other order and new columns are fine (new ones are kept in
               ``_extra_columns``); a missing column breaks
permissive     other order, new columns (dropped, reported) and missing optional
               columns (read as NULL) are fine
=============  =========================================================================

A missing *required* column always breaks the batch. For JSON records only new keys count as
drift: APIs leave out keys whose value is null, so a missing key is a NULL value that the
row-level ``required`` rule judges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lakehouse.contracts.model import Contract


@dataclass(frozen=True)
class Drift:
    """How one batch's columns differ from its contract, and whether that breaks it."""

    added: tuple[str, ...] = ()
    missing_required: tuple[str, ...] = ()
    missing_optional: tuple[str, ...] = ()
    reordered: bool = False
    breaking: tuple[str, ...] = field(default=())  # human-readable reasons it breaks

    @property
    def changed(self) -> bool:
        return bool(self.added or self.missing_required or self.missing_optional or self.reordered)

    def describe(self) -> str:
        parts = []
        if self.missing_required:
            parts.append("missing required column(s) " + ", ".join(self.missing_required))
        if self.missing_optional:
            parts.append("missing column(s) " + ", ".join(self.missing_optional))
        if self.added:
            parts.append("unexpected column(s) " + ", ".join(self.added))
        if self.reordered:
            parts.append("columns in another order than the contract's")
        return "; ".join(parts) or "no drift"

    def as_dict(self) -> dict:
        return {
            "added": list(self.added),
            "missing_required": list(self.missing_required),
            "missing_optional": list(self.missing_optional),
            "reordered": self.reordered,
            "breaking": bool(self.breaking),
        }


def header_drift(contract: Contract, header: list[str]) -> Drift:
    """Judge a CSV header (column names in file order) by the contract's drift policy."""
    expected = [f.source_field for f in contract.fields]
    required = {f.source_field for f in contract.fields if f.required}
    present = set(header)
    added = tuple(c for c in header if c not in set(expected))
    missing_required = tuple(c for c in expected if c not in present and c in required)
    missing_optional = tuple(c for c in expected if c not in present and c not in required)
    common = [c for c in header if c in set(expected)]
    reordered = common != [c for c in expected if c in present]
    breaking = []
    if missing_required:
        breaking.append("required columns are missing")
    policy = contract.drift_policy
    if policy == "strict" and (added or missing_optional or reordered):
        breaking.append("the contract's drift policy is strict")
    if policy == "evolve" and missing_optional:
        breaking.append("the contract's drift policy (evolve) does not allow missing columns")
    return Drift(added, missing_required, missing_optional, reordered, tuple(breaking))


def key_drift(contract: Contract, added_keys: list[str]) -> Drift:
    """Judge the unexpected keys found in a batch of JSON records."""
    added = tuple(sorted(set(added_keys)))
    breaking = (
        ("the contract's drift policy is strict",)
        if added and (contract.drift_policy == "strict")
        else ()
    )
    return Drift(added=added, breaking=breaking)


def keeps_extra_columns(contract: Contract) -> bool:
    """Whether Bronze keeps unexpected columns (in ``_extra_columns``) for this contract."""
    return contract.drift_policy == "evolve"
