"""`lakehouse dq evaluate --data PATH`: files and folders of any common format, or a table."""

from __future__ import annotations

import json

import pytest

from lakehouse.dq.datasets import DatasetError, detect_format, load_dataset

pytestmark = pytest.mark.spark


def test_csv_with_a_header_is_read_with_inferred_types(spark, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("id,amount\n1,2.5\n2,3.0\n")
    df = load_dataset(spark, str(path))
    assert df.columns == ["id", "amount"]
    assert dict(df.dtypes) == {"id": "int", "amount": "double"}


def test_json_lines_and_json_documents_are_told_apart(spark, tmp_path):
    lines = tmp_path / "a.jsonl"
    lines.write_text('{"x": 1}\n{"x": 2}\n')
    doc = tmp_path / "b.json"
    doc.write_text(json.dumps([{"x": 1}, {"x": 2}, {"x": 3}], indent=2))
    assert load_dataset(spark, str(lines)).count() == 2
    assert load_dataset(spark, str(doc)).count() == 3


def test_a_parquet_folder_and_a_catalog_table(spark, tmp_path):
    spark.range(4).write.parquet(str(tmp_path / "p"))
    assert load_dataset(spark, str(tmp_path / "p")).count() == 4
    spark.range(2).createOrReplaceTempView("dq_view")
    assert load_dataset(spark, "dq_view").count() == 2


def test_unknown_inputs_are_clear_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DatasetError, match="unknown file type"):
        detect_format(tmp_path / "notes.txt")
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "a.csv").write_text("a\n1\n")
    (tmp_path / "mixed" / "b.parquet").write_bytes(b"")
    with pytest.raises(DatasetError, match="one format"):
        detect_format(tmp_path / "mixed")


def test_a_missing_source_names_itself(spark):
    with pytest.raises(DatasetError, match=r"nowhere\.parquet"):
        load_dataset(spark, "nowhere.parquet")
