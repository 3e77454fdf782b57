"""Build what AWS Glue runs: ``dist/lakehouse.zip`` (for ``--extra-py-files``) and the scripts.

The zip holds the ``lakehouse`` package plus a bundled copy of contracts/, workflows/ and
dq_rulesets/ (read through :mod:`lakehouse.resources`). Entries carry a fixed timestamp, so the
same sources always give a byte-identical zip.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from pathlib import Path

from lakehouse import resources

FIXED_TIME = (2020, 1, 1, 0, 0, 0)
SKIP_PARTS = {"__pycache__", ".pytest_cache"}


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not SKIP_PARTS.intersection(p.parts) and p.suffix != ".pyc"
    )


def _add(archive: zipfile.ZipFile, path: Path, name: str) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, path.read_bytes())


def build(project: Path, out: Path) -> Path:
    """Write ``out/lakehouse.zip`` and ``out/glue_jobs/*.py``; return the zip's path."""
    out.mkdir(parents=True, exist_ok=True)
    package_dir = project / "glue_jobs" / "lakehouse"
    zip_path = out / "lakehouse.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in _files(package_dir):
            _add(archive, path, "lakehouse/" + path.relative_to(package_dir).as_posix())
        for folder in resources.FOLDERS:
            for path in _files(project / folder):
                rel = path.relative_to(project / folder).as_posix()
                _add(archive, path, f"lakehouse/_bundled/{folder}/{rel}")
    scripts = out / "glue_jobs"
    shutil.rmtree(scripts, ignore_errors=True)
    scripts.mkdir()
    for script in sorted((project / "glue_jobs").glob("*.py")):
        shutil.copy2(script, scripts / script.name)
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="dist", type=Path)
    args = parser.parse_args(argv)
    project = resources.project_dir()
    if project is None:
        print("error: run from a checkout of the project", file=sys.stderr)
        return 2
    zip_path = build(project, args.out)
    scripts = sorted(p.name for p in (args.out / "glue_jobs").glob("*.py"))
    print(f"{zip_path} ({zip_path.stat().st_size:,} bytes) and {len(scripts)} job scripts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
