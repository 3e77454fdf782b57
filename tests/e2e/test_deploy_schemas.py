"""The tables of cloudformation/catalog.yaml are the tables the jobs really write.

catalog.yaml is rendered from a lake's catalog after a run (`make render`); this checks the
committed file against the catalog of the e2e daily runs, so a job that changes a table's columns,
or writes a new table, fails here until the template is rendered again.
"""

from __future__ import annotations

import json

import pytest

from lakehouse.deploy import render
from lakehouse.deploy.catalog_template import DQ_ROWS, schemas_from_catalog, tables_of_template
from lakehouse.deploy.cfn_yaml import load_template
from tests.unit.deploy.test_render import PROJECT

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def tables_the_runs_wrote(lake) -> set[str]:
    """Every table a job of the e2e runs recorded as an output, and the DQ results table."""
    written = {"audit.dq_results"}
    for path in lake.glob("_runs/*/jobs/*.json"):
        written |= {o["table"] for o in json.loads(path.read_text()).get("outputs", [])}
    return written


def test_the_catalog_template_declares_every_table_as_the_jobs_write_it(day2, lake, spark):
    declared = {t.full_name: t for t in tables_of_template(load_template(PROJECT / render.CATALOG))}
    written = tables_the_runs_wrote(lake)
    assert written <= set(declared), f"undeclared tables {written - set(declared)}: make render"
    # The worker's catalog also holds the unit tests' tables: compare the ones the runs wrote.
    in_catalog = {t.full_name: t for t in schemas_from_catalog(spark)}
    for name in sorted(written):
        assert in_catalog[name] == declared[name], f"{name} differs: run `make render`"
    assert set(declared) - written == {DQ_ROWS.full_name}  # only written when a rule quarantines
