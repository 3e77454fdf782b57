"""Catalog writes: partition overwrite for Bronze, versioned location switch for Silver/Gold."""

from __future__ import annotations

import pytest

from lakehouse import catalog

pytestmark = pytest.mark.spark


def test_overwrite_partitions_replaces_only_the_batch_it_writes(spark, tmp_path):
    spark.sql("CREATE DATABASE IF NOT EXISTS t_bronze")
    location = str(tmp_path / "events")
    day1 = spark.createDataFrame([(1, "2026-01-01"), (2, "2026-01-01")], "id int, d string")
    day2 = spark.createDataFrame([(3, "2026-01-02")], "id int, d string")
    catalog.overwrite_partitions(day1, "t_bronze.events", location, ["d"])
    catalog.overwrite_partitions(day2, "t_bronze.events", location, ["d"])
    catalog.overwrite_partitions(day2, "t_bronze.events", location, ["d"])  # a rerun
    rows = sorted(tuple(r) for r in spark.table("t_bronze.events").collect())
    assert rows == [(1, "2026-01-01"), (2, "2026-01-01"), (3, "2026-01-02")]


def test_overwrite_partitions_refuses_a_frame_with_other_columns(spark, tmp_path):
    spark.sql("CREATE DATABASE IF NOT EXISTS t_bronze")
    location = str(tmp_path / "other")
    catalog.overwrite_partitions(
        spark.createDataFrame([(1, "x")], "id int, d string"), "t_bronze.other", location, ["d"]
    )
    with pytest.raises(ValueError, match=r"unexpected \['extra'\]"):
        catalog.overwrite_partitions(
            spark.createDataFrame([(1, 2, "x")], "id int, extra int, d string"),
            "t_bronze.other",
            location,
            ["d"],
        )


def test_replace_table_switches_to_the_new_version_and_prunes_old_ones(spark, tmp_path):
    spark.sql("CREATE DATABASE IF NOT EXISTS t_gold")
    root = str(tmp_path / "agg")
    versions = []
    for n in range(1, 5):
        frame = spark.createDataFrame([(i,) for i in range(n)], "n int")
        versions.append(catalog.replace_table(frame, "t_gold.agg", root, tag=f"r{n}", keep=2))
        assert spark.table("t_gold.agg").count() == n, "readers see the version just published"
    assert catalog.table_location(spark, "t_gold.agg").endswith(versions[-1].name)
    assert catalog.list_versions(spark, root) == [versions[2].name, versions[3].name]


def test_replace_table_follows_a_schema_change(spark, tmp_path):
    spark.sql("CREATE DATABASE IF NOT EXISTS t_gold")
    root = str(tmp_path / "wide")
    catalog.replace_table(spark.createDataFrame([(1,)], "a int"), "t_gold.wide", root)
    catalog.replace_table(spark.createDataFrame([(1, "x")], "a int, b string"), "t_gold.wide", root)
    assert spark.table("t_gold.wide").columns == ["a", "b"]


def test_version_names_sort_by_time():
    first, second = catalog.new_version_name("a"), catalog.new_version_name("b")
    assert catalog.is_version_name(first) and catalog.is_version_name(second)
    assert first[:-2] <= second[:-2]
