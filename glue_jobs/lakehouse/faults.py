"""Crash points: named places where a test can kill the whole process, to prove crash safety.

Set ``LAKEHOUSE_CRASH_AT=<name>`` (e.g. ``gold.between_publishes``) and the process sends
itself SIGKILL the first time it reaches that point: no cleanup, no ``finally``, exactly like a
lost driver or ``kill -9``. The names are listed in :data:`CRASH_POINTS`; unset, a crash point
costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "LAKEHOUSE_CRASH_AT"
CRASH_POINTS = {
    "ingest.after_bronze_write": "an ingest job wrote Bronze; its ledger and accounting are not",
    "silver.between_tables": "bronze_to_silver published some Silver tables, not all",
    "gold.during_staging": "silver_to_gold staged some Gold versions, not all",
    "dq_gold.during_evaluation": "dq_gold evaluated some staged Gold tables, not all",
    "publish.between_tables": "publish_gold switched some Gold tables, not all",
}


def crash_point(name: str) -> None:
    """SIGKILL this process if ``LAKEHOUSE_CRASH_AT`` names this point."""
    if name not in CRASH_POINTS:
        raise ValueError(f"unknown crash point {name!r}")
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
