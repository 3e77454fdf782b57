"""Where the project's definition files live: contracts/, workflows/, dq_rulesets/.

In a checkout they are the top-level folders. In AWS Glue they travel inside ``lakehouse.zip``
under ``lakehouse/_bundled/`` (``make package`` puts them there). ``LAKEHOUSE_PROJECT_DIR``
overrides both.
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

FOLDERS = ("contracts", "workflows", "dq_rulesets")


def project_dir() -> Path | None:
    """The checkout's root (the folder holding glue_jobs/), if we run from one."""
    if os.environ.get("LAKEHOUSE_PROJECT_DIR"):
        return Path(os.environ["LAKEHOUSE_PROJECT_DIR"])
    here = Path(__file__).resolve()
    root = here.parents[2]
    return root if (root / "glue_jobs").is_dir() and (root / "contracts").is_dir() else None


def folder(name: str) -> Traversable:
    """A project folder, from the checkout or from the bundled copy in the package."""
    if name not in FOLDERS:
        raise ValueError(f"unknown project folder {name!r}; expected one of {FOLDERS}")
    root = project_dir()
    if root is not None:
        return root / name
    bundled = resources.files("lakehouse") / "_bundled" / name
    if not bundled.is_dir():
        raise FileNotFoundError(
            f"cannot find the {name}/ folder: not in a checkout and not bundled in the package"
        )
    return bundled
