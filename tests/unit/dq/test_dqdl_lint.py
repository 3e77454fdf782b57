"""``lint_paths``: every problem of every DQDL file, with warnings for what will not run locally."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.dq import RULE_TYPES, LintProblem, lint_paths, lint_text
from lakehouse.dq.rule_types import ParamKind, suggest, unsupported


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_clean_ruleset_has_no_problems(tmp_path: Path):
    write(
        tmp_path / "silver" / "orders.dqdl", 'Rules = [ IsPrimaryKey "order_id", RowCount > 0 ]\n'
    )
    assert lint_paths([tmp_path]) == []


def test_directories_are_searched_recursively_for_dqdl_files_only(tmp_path: Path):
    write(tmp_path / "bronze" / "a.dqdl", 'Rules = [ IsCompletee "a" ]')
    write(tmp_path / "gold" / "deep" / "b.dqdl", "Rules = [ RowCount > ]")
    write(tmp_path / "gold" / "notes.txt", "Rules = [ nonsense ]")
    single = write(tmp_path / "elsewhere.rules", 'Rules = [ IsComplete "x" ]')
    problems = lint_paths([tmp_path, single])
    assert [(p.path.relative_to(tmp_path).as_posix(), p.line, p.column) for p in problems] == [
        ("bronze/a.dqdl", 1, 11),
        ("gold/deep/b.dqdl", 1, 21),
    ]
    assert (
        problems[0].message
        == "unknown rule type 'IsCompletee' (did you mean IsComplete?) in: Rules = [ IsCompletee \"a\" ]"
    )
    assert all(p.severity == "error" for p in problems)
    assert (
        str(problems[0]) == f"{tmp_path / 'bronze' / 'a.dqdl'}:1:11: error: {problems[0].message}"
    )


def test_missing_paths_and_unreadable_files(tmp_path: Path):
    (missing,) = lint_paths([tmp_path / "nope"])
    assert missing.message == "no such file or directory"
    bad = tmp_path / "bad.dqdl"
    bad.write_bytes(b"\xff\xfe Rules")
    (problem,) = lint_paths([bad])
    assert problem.message.startswith("cannot read the file")


def test_every_problem_of_a_file_is_reported_in_order(tmp_path: Path):
    path = write(
        tmp_path / "t.dqdl",
        """Rules = [
  IsComplete "a",
  Completeness "b",
  ColumnValues "c" betwen 1 and 2,
  RowCount > 0 and IsComplete "d",
  ColumnExists "e" > 1
]
""",
    )
    problems = lint_paths([path])
    assert [(p.line, p.column) for p in problems] == [(3, 19), (4, 20), (5, 16), (6, 20)]
    assert "needs a condition" in problems[0].message
    assert "did you mean 'between'" in problems[1].message
    assert "parentheses" in problems[2].message
    assert "takes no condition" in problems[3].message


def test_rules_we_will_not_evaluate_are_warnings():
    problems = lint_text(
        """Rules = [
  FileSize "s3://b/" < 5 GB,
  (RowCount > 0) and (DetectAnomalies "RowCount"),
  FileMatch "s3://a/" "s3://b/",
  FileFreshness > (now() - 1 days),
  FileUniqueness > 0.5
]"""
    )
    assert all(p.severity == "warning" for p in problems)
    assert [(p.line, p.message.split(" will")[0]) for p in problems] == [
        (2, "FileSize"),
        (3, "DetectAnomalies"),
        (4, "FileMatch"),
        (5, "FileFreshness"),
        (6, "FileUniqueness"),
    ]
    assert "S3 object metadata" in problems[0].message
    assert "anomaly-detection model" in problems[1].message
    assert problems[1].column == 23


def test_other_warnings():
    problems = lint_text(
        """DataSources = {"Primary": "orders", "AdditionalDataSources": ["customers"]}
unused = "x"
used = "select count(*) from primary"
Rules = [
  CustomSql $used > 0,
  RowCount > avg(last(3)) + 1 * 2,
  RowCount > (avg(last(3)) + 1) * 2,
  RowCount between 5 and 5,
  ReferentialIntegrity "cid" "cust.id" = 1.0,
  ReferentialIntegrity "cid" "customers.id" = 1.0,
  ColumnDataType "x" = "String",
  ColumnValues "s" matches "(?<name>x)"
]
Analyzers = [ Completeness "a" ]"""
    )
    assert [(p.line, p.severity) for p in problems] == [
        (2, "warning"),
        (6, "warning"),
        (8, "warning"),
        (9, "warning"),
        (11, "warning"),
        (12, "warning"),
    ]
    messages = [p.message for p in problems]
    assert messages[0] == "constant 'unused' is never used"
    assert "evaluated left to right as '(avg(last(3)) + 1) * 2'" in messages[1]
    assert "can never pass" in messages[2]
    assert "data source 'cust' is not listed" in messages[3]
    assert "'String' is not one Glue lists" in messages[4]
    assert "does not compile in Python" in messages[5]


def test_label_count_warning_when_defaults_and_rule_labels_add_up_past_ten():
    defaults = ",".join(f'"d{i}"="v"' for i in range(6))
    rule_labels = ",".join(f'"d{i}"="w"' for i in range(5))
    problems = lint_text(
        f'DefaultLabels = [{defaults}]\nRules = [ IsComplete "a" labels=[{rule_labels}] ]'
    )
    (warning,) = problems
    assert warning.severity == "warning" and "6 default + 5 rule labels" in warning.message


def test_problems_have_a_readable_form():
    p = LintProblem(None, 3, 4, "boom", "warning")
    assert str(p) == "3:4: warning: boom"


# --------------------------------------------------------------------------- the registry


def test_unsupported_rule_types_have_reasons():
    assert set(unsupported()) == {
        "FileFreshness",
        "FileMatch",
        "FileUniqueness",
        "FileSize",
        "DetectAnomalies",
    }
    assert all(reason for reason in unsupported().values())


@pytest.mark.parametrize(
    ("name", "where", "threshold", "analyzer", "row_level", "condition"),
    [
        ("RowCount", True, False, True, False, "required"),
        ("ColumnCount", False, False, True, False, "required"),
        ("ColumnExists", False, False, False, False, "none"),
        ("ColumnValues", True, True, True, True, "required"),
        ("ColumnDataType", True, True, False, False, "required"),
        ("ColumnLength", True, True, True, True, "required"),
        ("CustomSql", False, True, False, True, "optional"),
        ("IsComplete", True, False, False, True, "none"),
        ("IsPrimaryKey", True, False, False, True, "none"),
        ("ReferentialIntegrity", False, False, False, False, "required"),
        ("FileSize", False, True, False, False, "required"),
        ("FileMatch", False, False, False, False, "optional"),
        ("Distribution", False, False, True, False, "none"),
    ],
)
def test_registry_flags(name, where, threshold, analyzer, row_level, condition):
    spec = RULE_TYPES[name]
    assert (spec.where, spec.threshold, spec.analyzer, spec.row_level, spec.condition) == (
        where,
        threshold,
        analyzer,
        row_level,
        condition,
    )


def test_registry_parameters():
    assert RULE_TYPES["RowCount"].arity_text() == "no parameters"
    assert RULE_TYPES["IsPrimaryKey"].arity_text() == "at least 1 parameter"
    assert RULE_TYPES["DatasetMatch"].arity_text() == "2 to 3 parameters"
    assert RULE_TYPES["ColumnCorrelation"].arity_text() == "exactly 2 parameters"
    assert RULE_TYPES["IsUnique"].param_spec(5).kind is ParamKind.COLUMN  # type: ignore[union-attr]
    assert RULE_TYPES["ReferentialIntegrity"].params[1].kind.family == "strings"
    assert RULE_TYPES["RowCountMatch"].params[0].kind.family == "data_sources"
    assert RULE_TYPES["DetectAnomalies"].params[0].kind.family == "rule_names"
    assert not RULE_TYPES["Distribution"].rule and not RULE_TYPES["AllStatistics"].rule
    assert RULE_TYPES["DetectAnomalies"].etl_only
    assert suggest("iscomplete") == "IsComplete"
    assert suggest("Completenes") == "Completeness"
    assert suggest("Zzz") is None


def test_the_project_rulesets_lint_clean(project_dir: Path):
    problems = [p for p in lint_paths([project_dir / "dq_rulesets"]) if p.severity == "error"]
    assert problems == []
