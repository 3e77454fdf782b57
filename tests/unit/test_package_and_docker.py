"""`make package` output and the `make glue-docker` command."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lakehouse import package
from lakehouse.cli import GLUE_IMAGE, glue_docker_command

JOBS = [
    "ingest_hubspot_contacts",
    "ingest_snowflake_orders",
    "ingest_vendor_products",
    "ingest_fx_rates",
    "ingest_order_events",
    "bronze_to_silver",
    "silver_to_gold",
]


def test_package_zip_holds_the_library_and_its_definition_files(project_dir, tmp_path):
    zip_path = package.build(project_dir, tmp_path)
    names = set(zipfile.ZipFile(zip_path).namelist())
    assert "lakehouse/runtime.py" in names
    assert "lakehouse/_bundled/contracts/snowflake_orders.yaml" in names
    assert "lakehouse/_bundled/workflows/daily_batch.yaml" in names
    assert not any("__pycache__" in n for n in names)
    assert {p.stem for p in (tmp_path / "glue_jobs").glob("*.py")} >= set(JOBS)


def test_package_zip_is_byte_identical_for_the_same_sources(project_dir, tmp_path):
    first = package.build(project_dir, tmp_path / "a").read_bytes()
    second = package.build(project_dir, tmp_path / "b").read_bytes()
    assert first == second


def test_bundled_contracts_load_from_the_zip(project_dir, tmp_path):
    """In Glue there is no checkout: contracts must load from inside lakehouse.zip."""
    import subprocess
    import sys

    zip_path = package.build(project_dir, tmp_path)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import lakehouse.resources as r; assert r.project_dir() is None, r.project_dir();"
        "from lakehouse.contracts import load_contract;"
        "print(load_contract('fx_rates').table)"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, str(zip_path)],
        capture_output=True, text=True, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": _site_packages_without_project()},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "bronze.fx_rates"


def _site_packages_without_project() -> str:
    import yaml

    return str(Path(yaml.__file__).parents[1])


@pytest.mark.parametrize("job", JOBS)
def test_every_job_script_defines_main_and_does_no_work_at_import(project_dir, job):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"probe_{job}", project_dir / "glue_jobs" / f"{job}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # would start Spark or fail if it did work at import
    assert callable(module.main)


def test_glue_docker_command_mounts_the_workspace_as_the_image_expects(project_dir):
    command = glue_docker_command(
        "silver_to_gold", ["--batch_date", "2026-01-02"], project_dir, Path("/home/me")
    )
    assert command[:3] == ["docker", "run", "--rm"]
    assert f"{project_dir}:/home/hadoop/workspace" in command
    assert "/home/me/.aws:/home/hadoop/.aws:ro" in command
    image_at = command.index(GLUE_IMAGE)
    assert command[image_at + 1] == "spark-submit"
    assert "/home/hadoop/workspace/glue_jobs/silver_to_gold.py" in command
    assert command[command.index("--py-files") + 1] == "/home/hadoop/workspace/dist/lakehouse.zip"
    assert command[command.index("--JOB_NAME") + 1] == "silver_to_gold"
    assert command[-2:] == ["--batch_date", "2026-01-02"]


def test_glue_docker_refuses_an_unknown_job(project_dir):
    with pytest.raises(FileNotFoundError, match="no job script"):
        glue_docker_command("no_such_job", [], project_dir, Path("/home/me"))
