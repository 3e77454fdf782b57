"""The generator's state file and the cumulative manifest of what each batch landed.

``landing/_generator.json`` pins the seed, scale and base date of a landing zone on its first
batch. ``landing/manifest.json`` lists, per batch date and source, the files written and their
record counts; it is rewritten atomically (temp file + ``os.replace``).
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


def settle_base_date(landing: Path, seed: int, scale: float, batch_date: date) -> date:
    """The base date of the landing zone, pinning seed, scale and base on its first batch.

    Raises ValueError when the zone was generated with another seed or scale.
    """
    state_path = landing / STATE_FILE
    if not state_path.exists():
        state = {"seed": seed, "scale": scale, "base_date": batch_date.isoformat()}
        write_json_atomically(state_path, state)
        return batch_date
    state = json.loads(state_path.read_text(encoding="utf-8"))
    if state["seed"] != seed or float(state["scale"]) != float(scale):
        raise ValueError(
            f"{landing} was generated with seed={state['seed']} scale={state['scale']}; "
            f"got seed={seed} scale={scale}. Use the same values or a new lake root."
        )
    return date.fromisoformat(state["base_date"])


def file_entry(path: Path, records: int, updates: int, **extra: int) -> dict:
    """A file's manifest entry: its counts and the sha256 of its bytes."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"records": records, "updates": updates, **extra, "sha256": digest}


def source_entry(files: dict[str, dict], counts: tuple[str, ...] = ("records", "updates")) -> dict:
    """A source's entry: each of ``counts`` summed over its files, then the files."""
    entry: dict = {count: sum(f[count] for f in files.values()) for count in counts}
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
