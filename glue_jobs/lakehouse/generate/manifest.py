"""The generator's state file and the cumulative manifest of what each batch landed.

``landing/_generator.json`` pins the seed, scale, clean flag and base date of a landing zone on
its first batch. ``landing/manifest.json`` lists, per batch date and source, the files written,
their record counts and, unless the zone is clean, the injected defects per kind; a batch
generated with a failure scenario also has a ``scenario`` entry (its name, the gate, ruleset and
rule it halts, its ORDER_IDs and records per source). It is rewritten atomically (temp file +
``os.replace``).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

STATE_FILE = "_generator.json"
MANIFEST_FILE = "manifest.json"


def write_json_atomically(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temp, path)


def settle_base_date(
    landing: Path, seed: int, scale: float, batch_date: date, clean: bool = True
) -> date:
    """The base date of the landing zone, pinning seed, scale, clean and base on its first batch.

    Raises ValueError when the zone was generated with another seed, scale or clean flag. A
    state file without the flag is from before defects existed: its zone is clean.
    """
    state_path = landing / STATE_FILE
    if not state_path.exists():
        state = {"seed": seed, "scale": scale, "clean": clean, "base_date": batch_date.isoformat()}
        write_json_atomically(state_path, state)
        return batch_date
    state = json.loads(state_path.read_text(encoding="utf-8"))
    pinned_clean = bool(state.get("clean", True))
    if state["seed"] != seed or float(state["scale"]) != float(scale) or pinned_clean != clean:
        raise ValueError(
            f"{landing} was generated with seed={state['seed']} scale={state['scale']} "
            f"clean={pinned_clean}; got seed={seed} scale={scale} clean={clean}. "
            "Use the same values (clean: with or without --clean) or a new lake root."
        )
    return date.fromisoformat(state["base_date"])


def file_entry(
    path: Path, records: int, updates: int, defects: dict[str, int] | None = None, **extra: int
) -> dict:
    """A file's manifest entry: its counts, its defects per kind (if any), the sha256 of its bytes.

    Counts are in landed units: a record, or 1 for a file that cannot be read at all.
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    entry: dict = {"records": records, "updates": updates, **extra}
    if defects:
        entry["defects"] = defects
    entry["sha256"] = digest
    return entry


def source_entry(
    files: dict[str, dict],
    counts: tuple[str, ...] = ("records", "updates"),
    defect_kinds: tuple[str, ...] | None = None,
) -> dict:
    """A source's entry: each of ``counts`` summed over its files (0 where absent), then the files.

    With ``defect_kinds`` (the kinds, in the order to list them), also ``"defects"``: the
    files' defects summed per kind, kinds without any left out.
    """
    entry: dict = {count: sum(f.get(count, 0) for f in files.values()) for count in counts}
    if defect_kinds is not None:
        totals = {
            k: sum(f.get("defects", {}).get(k, 0) for f in files.values()) for k in defect_kinds
        }
        entry["defects"] = {k: n for k, n in totals.items() if n}
    entry["files"] = files
    return entry


def read_manifest(landing: Path) -> dict:
    path = landing / MANIFEST_FILE
    if not path.exists():
        return {"batches": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def record_batch(landing: Path, generator: dict, batch_date: date, entry: dict) -> dict:
    """Replace ``batch_date``'s entry in the manifest (others are kept); returns the manifest."""
    batches = read_manifest(landing).get("batches", {})
    batches[batch_date.isoformat()] = entry
    manifest = {"generator": generator, "batches": dict(sorted(batches.items()))}
    write_json_atomically(landing / MANIFEST_FILE, manifest)
    return manifest
