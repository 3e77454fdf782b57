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
