"""A processed-files ledger: which landed files a job has already ingested, and in what state.

A file is *pending* when the ledger has not seen it, or has seen it with another size or
modification time (the vendor re-sent it). The ledger is committed only after the job has
written the files' rows, so a failed run leaves them pending. This is the semantics of Glue job
bookmarks for S3 sources, made explicit so a run can report which files it skipped and why,
and kept as a JSON file next to the lake, so it works the same locally and in S3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lakehouse import storage
from lakehouse.sources.landed import LandedFile


@dataclass
class Pending:
    """The files a run must ingest and those it skips."""

    new: list[LandedFile]
    changed: list[LandedFile]
    skipped: list[LandedFile]

    @property
    def files(self) -> list[LandedFile]:
        return sorted(self.new + self.changed, key=lambda f: f.name)


class FileLedger:
    """The ledger of one source, stored at ``location`` (a JSON file)."""

    def __init__(self, spark: Any, location: str) -> None:
        self.spark, self.location = spark, location
        text = storage.read_text(spark, location)
        self.entries: dict[str, dict] = json.loads(text)["files"] if text else {}

    def pending(self, files: list[LandedFile]) -> Pending:
        new, changed, skipped = [], [], []
        for f in files:
            seen = self.entries.get(f.name)
            if seen is None:
                new.append(f)
            elif (seen["size"], seen["modified"]) != (f.size, f.modified):
                changed.append(f)
            else:
                skipped.append(f)
        return Pending(new, changed, skipped)

    def commit(self, files: list[LandedFile], run_id: str) -> None:
        """Record ``files`` as ingested by ``run_id`` and save the ledger."""
        for f in files:
            self.entries[f.name] = {"size": f.size, "modified": f.modified, "run_id": run_id}
        document = {"files": dict(sorted(self.entries.items()))}
        storage.write_text(self.spark, self.location, json.dumps(document, indent=1) + "\n")
