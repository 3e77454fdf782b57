"""The README's bad-input table lists every defect the generator injects, with its outcome."""

from __future__ import annotations

from pathlib import Path

from lakehouse.generate.defects import DEFECTS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_defect_kind_has_a_row_that_states_its_reason():
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    }
    assert len(DEFECTS) >= 20
    for kind, defect in DEFECTS.items():
        assert kind in rows, f"README bad-input table misses {kind}"
        if defect.outcome == "quarantined":
            assert f"`{defect.reason}`" in rows[kind], kind
