"""`lakehouse dq lint` and the checks `dq evaluate` makes before it reads any data."""

from __future__ import annotations

import json

from lakehouse import cli


def test_lint_passes_the_projects_rulesets(project_dir, capsys):
    assert cli.main(["dq", "lint", str(project_dir / "dq_rulesets")]) == 0
    assert "0 error(s)" in capsys.readouterr().err


def test_lint_reports_a_misspelt_rule_with_line_and_column_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.dqdl"
    bad.write_text('Rules = [\n  RowCount > 0,\n  IsCompletee "email"\n]\n')
    assert cli.main(["dq", "lint", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert f"{bad}:3:3" in out
    assert "IsComplete" in out, "suggests the rule type that was meant"


def test_evaluate_refuses_a_bad_ruleset_before_reading_data(tmp_path, capsys):
    bad = tmp_path / "bad.dqdl"
    bad.write_text('Rules = [ IsComplete "a" with treshold > 0.5 ]\n')
    code = cli.main(
        [
            "dq",
            "evaluate",
            "--data",
            str(tmp_path / "missing.csv"),
            "--ruleset",
            str(bad),
            "--format",
            "json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert "line 1" in captured.err and "threshold" in captured.err
    assert captured.out == "", "no JSON document when nothing was evaluated"


def test_evaluate_refuses_rules_the_engine_cannot_evaluate_before_reading_data(tmp_path, capsys):
    ruleset = tmp_path / "files.dqdl"
    ruleset.write_text('Rules = [ RowCount > 0, FileSize "s3://bucket/key" < 5 GB ]\n')
    code = cli.main(
        ["dq", "evaluate", "--data", str(tmp_path / "missing.csv"), "--ruleset", str(ruleset)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "FileSize" in err and "nothing was evaluated" in err


def test_lint_of_a_missing_path_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["dq", "lint", str(tmp_path / "nope")]) == 2
    assert json.dumps(str(tmp_path / "nope"))[1:-1] in capsys.readouterr().err


def test_evaluate_a_users_csv_prints_one_json_document_and_exits_1_on_failure(
    spark, spark_lake, tmp_path, capsys
):
    data = tmp_path / "people.csv"
    data.write_text("id,email,age\n1,a@x.io,30\n2,,41\n3,c@x.io,17\n")
    ruleset = tmp_path / "people.dqdl"
    ruleset.write_text(
        'Rules = [\n  IsPrimaryKey "id",\n  IsComplete "email",\n  ColumnValues "age" >= 18\n]\n'
    )
    code = cli.main([
        "dq", "evaluate", "--lake-root", str(spark_lake), "--data", str(data),
        "--ruleset", str(ruleset), "--format", "json",
    ])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [o["Outcome"] for o in doc["outcomes"]] == ["Passed", "Failed", "Failed"]
    assert doc["outcomes"][1]["EvaluatedMetrics"]["Column.email.Completeness"] == 2 / 3
    assert doc["score"] == 1 / 3 and doc["passed"] is False


def test_evaluate_json_lines_with_a_reference_and_row_level_output(
    spark, spark_lake, tmp_path, capsys
):
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"id": 1, "cid": 10}\n{"id": 2, "cid": 11}\n')
    customers = tmp_path / "customers.jsonl"
    customers.write_text('{"cid": 10}\n{"cid": 11}\n')
    ruleset = tmp_path / "orders.dqdl"
    ruleset.write_text(
        'Rules = [ ReferentialIntegrity "cid" "customers.cid" = 1.0, IsUnique "id" ]\n'
    )
    rows = tmp_path / "rows"
    code = cli.main([
        "dq", "evaluate", "--lake-root", str(spark_lake), "--data", str(orders),
        "--ruleset", str(ruleset), "--ref", f"customers={customers}", "--rows", str(rows),
    ])  # fmt: skip
    assert code == 0, capsys.readouterr()
    row_level = spark.read.parquet(str(rows))
    assert "DataQualityEvaluationResult" in row_level.columns
    assert {r[0] for r in row_level.select("DataQualityEvaluationResult").collect()} == {"Passed"}
