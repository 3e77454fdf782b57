"""Contract rules and schema drift, without Spark: what a contract author and a data engineer see.

``parse_contract`` must refuse a contract whose rules cannot be enforced (with a message that
says how to fix it), ``Rule.describe`` is the text shown in quarantine, and ``header_drift`` /
``key_drift`` decide per drift policy whether a batch's columns break it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from lakehouse import resources
from lakehouse.contracts import ContractError, load_contract
from lakehouse.contracts.drift import header_drift, keeps_extra_columns, key_drift
from lakehouse.contracts.model import RULE_KINDS, Rule, parse_contract

SOURCES = ["hubspot_contacts", "snowflake_orders", "vendor_products", "fx_rates", "order_events"]


def prop(name: str, physical: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "logicalType": "string", "physicalType": physical, **extra}


def document(properties: list[dict[str, Any]], **custom: str) -> dict[str, Any]:
    return {
        "apiVersion": "v3.0.2",
        "kind": "DataContract",
        "id": "urn:test",
        "version": "1.0.0",
        "customProperties": [{"property": k, "value": v} for k, v in custom.items()],
        "schema": [{"name": "things", "properties": properties}],
    }


def with_rule(rule: dict[str, Any], physical: str = "string") -> dict[str, Any]:
    return document([prop("code", physical, quality=[rule])])


def custom(**params: Any) -> list[dict[str, Any]]:
    return [{"property": k, "value": v} for k, v in params.items()]


# ------------------------------------------------------------------ parse_contract refusals


@pytest.mark.parametrize(
    ("rule", "physical", "message"),
    [
        ({"rule": "unique"}, "string", "supported rules are validValues, pattern, range"),
        (
            {"rule": "validValues", "type": "sql", "query": "SELECT 1"},
            "string",
            "supported rules are",
        ),
        (
            {"rule": "validValues", "customProperties": custom(validValues=[])},
            "string",
            "validValues needs a non-empty list",
        ),
        ({"rule": "validValues"}, "string", "validValues needs a non-empty list"),
        (
            {"rule": "validValues", "customProperties": custom(validValues="A")},
            "string",
            "validValues needs a non-empty list",
        ),
        (
            {"rule": "pattern", "customProperties": custom(pattern="^[A-Z")},
            "string",
            "invalid pattern '^[A-Z'",
        ),
        ({"rule": "pattern"}, "string", "invalid pattern None"),
        ({"rule": "range"}, "int", "needs one of mustBeGreaterThan"),
    ],
    ids=[
        "unknown-kind",
        "non-library-type",
        "empty-validValues",
        "missing-validValues",
        "scalar-validValues",
        "bad-regex",
        "missing-regex",
        "range-without-bounds",
    ],
)
def test_unenforceable_rules_are_refused_naming_the_property_and_rule(rule, physical, message):
    with pytest.raises(ContractError) as err:
        parse_contract(with_rule(rule, physical), "things.yaml")
    text = str(err.value)
    assert message in text
    assert text.startswith("things.yaml: property 'code' quality rule "), text


def test_a_yaml_boolean_in_valid_values_is_refused_with_a_hint_to_quote_it():
    # YAML 1.1 reads the bare country code NO as false: the rule would never match Norway.
    values = yaml.safe_load("[SE, NO, DK]")
    assert values == ["SE", False, "DK"]
    rule = {"rule": "validValues", "customProperties": custom(validValues=values)}
    with pytest.raises(ContractError, match=r"False is not a string; quote it \(YAML reads NO"):
        parse_contract(with_rule(rule), "countries.yaml")


def test_quoted_no_and_integer_valid_values_are_accepted_as_text():
    values = yaml.safe_load('[SE, "NO", 7]')
    rule = {"rule": "validValues", "customProperties": custom(validValues=values)}
    parsed = parse_contract(with_rule(rule), "x").field("code").rules[0]
    assert parsed.valid_values == ("SE", "NO", "7")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("schemaDrift", "loose"),
        ("onSchemaBreak", "ignore"),
        ("onUnreadableBatch", "skip"),
    ],
)
def test_a_bad_contract_policy_is_refused_listing_the_allowed_values(key, value):
    with pytest.raises(ContractError) as err:
        parse_contract(document([prop("a")], **{key: value}), "p.yaml")
    assert str(err.value).startswith(f"p.yaml: {key} must be one of ")
    assert f"got {value!r}" in str(err.value)


def test_schema_drift_lists_the_three_policies():
    with pytest.raises(ContractError, match="strict, evolve, permissive, got 'loose'"):
        parse_contract(document([prop("a")], schemaDrift="loose"), "p.yaml")


def test_contract_policies_default_to_strict_fail_continue_and_no_empty_files():
    contract = parse_contract(document([prop("a")]), "x")
    assert (
        contract.drift_policy,
        contract.on_schema_break,
        contract.on_unreadable_batch,
        contract.allow_empty_files,
    ) == ("strict", "fail", "continue", False)


def test_contract_policies_are_read_from_custom_properties():
    contract = parse_contract(
        document(
            [prop("a")],
            schemaDrift="evolve",
            onSchemaBreak="continue",
            onUnreadableBatch="fail",
            allowEmptyFiles="True",
        ),
        "x",
    )
    assert (
        contract.drift_policy,
        contract.on_schema_break,
        contract.on_unreadable_batch,
        contract.allow_empty_files,
    ) == ("evolve", "continue", "fail", True)


def test_rules_are_parsed_with_their_parameters_in_order():
    doc = document(
        [
            prop(
                "qty",
                "int",
                quality=[
                    {"rule": "range", "mustBeGreaterThan": 0, "mustBeLessOrEqualTo": 10},
                    {"rule": "notInFuture", "name": "no-future"},
                    {"rule": "pattern", "customProperties": custom(pattern="^[0-9]+$")},
                ],
            )
        ]
    )
    rules = parse_contract(doc, "x").field("qty").rules
    assert [r.kind for r in rules] == ["range", "notInFuture", "pattern"]
    assert rules[0].bounds == ((">", 0.0), ("<=", 10.0))
    assert rules[1].name == "no-future"
    assert rules[2].pattern == "^[0-9]+$"


# ------------------------------------------------------------------ Rule.describe


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Rule("validValues", valid_values=("A", "B")), "must be one of A, B"),
        (
            Rule("validValues", valid_values=tuple("ABCDEFGHIJ")),
            "must be one of A, B, C, D, E, F, G, H (+2 more)",
        ),
        (
            Rule("validValues", valid_values=tuple("ABCDEFGH")),
            "must be one of A, B, C, D, E, F, G, H",
        ),
        (Rule("pattern", pattern="^V[0-9]{2}$"), "must match ^V[0-9]{2}$"),
        (Rule("range", bounds=((">", 0.0),)), "must be > 0"),
        (Rule("range", bounds=((">=", 0.5), ("<", 100.0))), "must be >= 0.5 and < 100"),
        (Rule("notInFuture"), "must not be after the end of the batch date"),
    ],
)
def test_rule_descriptions_say_what_the_rule_demands(rule, text):
    assert rule.describe() == text


# ------------------------------------------------------------------ header_drift

# Contract columns A (required), B (required), C (optional); source names differ from the
# column names, and drift is judged on the source names.
STRICT, EVOLVE, PERMISSIVE = "strict", "evolve", "permissive"
HEADERS = {
    "same": ["A", "B", "C"],
    "reordered": ["B", "A", "C"],
    "extra": ["A", "B", "C", "X"],
    "missing_optional": ["A", "B"],
    "missing_required": ["A", "C"],
}
# (policy, header case) -> breaks?
BREAKS = {
    (STRICT, "same"): False,
    (STRICT, "reordered"): True,
    (STRICT, "extra"): True,
    (STRICT, "missing_optional"): True,
    (STRICT, "missing_required"): True,
    (EVOLVE, "same"): False,
    (EVOLVE, "reordered"): False,
    (EVOLVE, "extra"): False,
    (EVOLVE, "missing_optional"): True,
    (EVOLVE, "missing_required"): True,
    (PERMISSIVE, "same"): False,
    (PERMISSIVE, "reordered"): False,
    (PERMISSIVE, "extra"): False,
    (PERMISSIVE, "missing_optional"): False,
    (PERMISSIVE, "missing_required"): True,
}
# header case -> (added, missing_required, missing_optional, reordered)
DIFFERENCES = {
    "same": ((), (), (), False),
    "reordered": ((), (), (), True),
    "extra": (("X",), (), (), False),
    "missing_optional": ((), (), ("C",), False),
    "missing_required": ((), ("B",), (), False),
}


def abc_contract(policy: str):
    def field(name: str, required: bool) -> dict[str, Any]:
        return prop(
            name.lower(),
            required=required,
            customProperties=[{"property": "sourceField", "value": name}],
        )

    doc = document([field("A", True), field("B", True), field("C", False)], schemaDrift=policy)
    return parse_contract(doc, "abc")


@pytest.mark.parametrize(("policy", "case"), list(BREAKS), ids=[f"{p}-{c}" for p, c in BREAKS])
def test_header_drift_per_policy(policy, case):
    drift = header_drift(abc_contract(policy), HEADERS[case])
    assert bool(drift.breaking) is BREAKS[policy, case], drift.breaking
    added, missing_required, missing_optional, reordered = DIFFERENCES[case]
    assert drift.added == added
    assert drift.missing_required == missing_required
    assert drift.missing_optional == missing_optional
    assert drift.reordered is reordered
    assert drift.changed is (case != "same")


def test_a_missing_required_column_breaks_every_policy_for_that_reason():
    for policy in (STRICT, EVOLVE, PERMISSIVE):
        drift = header_drift(abc_contract(policy), ["A", "C"])
        assert "required columns are missing" in drift.breaking
        assert drift.describe() == "missing required column(s) B"


def test_drift_description_lists_every_difference():
    drift = header_drift(abc_contract(STRICT), ["C", "A", "Z"])
    assert drift.describe() == (
        "missing required column(s) B; unexpected column(s) Z; "
        "columns in another order than the contract's"
    )
    assert drift.breaking == (
        "required columns are missing",
        "the contract's drift policy is strict",
    )
    assert drift.as_dict() == {
        "added": ["Z"],
        "missing_required": ["B"],
        "missing_optional": [],
        "reordered": True,
        "breaking": True,
    }


def test_header_drift_is_judged_on_source_names_not_column_names():
    drift = header_drift(abc_contract(STRICT), ["a", "b", "c"])
    assert drift.missing_required == ("A", "B")
    assert drift.added == ("a", "b", "c")


def test_only_evolve_keeps_extra_columns():
    assert [keeps_extra_columns(abc_contract(p)) for p in (STRICT, EVOLVE, PERMISSIVE)] == [
        False,
        True,
        False,
    ]


# ------------------------------------------------------------------ key_drift


@pytest.mark.parametrize(
    ("policy", "breaks"), [(STRICT, True), (EVOLVE, False), (PERMISSIVE, False)]
)
def test_unexpected_json_keys_break_only_a_strict_contract(policy, breaks):
    drift = key_drift(abc_contract(policy), ["z", "properties.y", "z"])
    assert drift.added == ("properties.y", "z"), "sorted and deduplicated"
    assert bool(drift.breaking) is breaks
    assert not drift.missing_required and not drift.missing_optional
    assert drift.changed


def test_no_unexpected_keys_is_no_drift_even_for_strict():
    drift = key_drift(abc_contract(STRICT), [])
    assert not drift.breaking and not drift.changed
    assert drift.describe() == "no drift"


# ------------------------------------------------------------------ shipped contracts


def shipped_document(source: str) -> dict[str, Any]:
    path = resources.folder("contracts") / f"{source}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("source", SOURCES)
def test_every_shipped_contract_loads_and_its_rules_belong_to_its_fields(source):
    contract = load_contract(source)
    doc = shipped_document(source)
    columns = contract.column_names
    for p in doc["schema"][0]["properties"]:
        quality = p.get("quality") or []
        assert p["name"] in columns
        assert len(contract.field(p["name"]).rules) == len(quality), p["name"]
        for entry in quality:
            assert entry["rule"] in RULE_KINDS
    for field in contract.fields:
        for rule in field.rules:
            if rule.kind == "pattern":
                re.compile(rule.pattern)
            if rule.kind == "validValues":
                assert rule.valid_values and all(isinstance(v, str) for v in rule.valid_values)
            if rule.kind == "range":
                assert rule.bounds
            if rule.kind == "notInFuture":
                assert field.physical_type in ("date", "timestamp"), field.name
    assert set(contract.primary_key) <= set(columns)
    assert all(field.required for field in contract.fields if field.primary_key)


@pytest.mark.parametrize(
    ("source", "policy", "on_break"),
    [
        ("snowflake_orders", "strict", "fail"),
        ("fx_rates", "strict", "fail"),
        ("vendor_products", "evolve", "continue"),
        ("hubspot_contacts", "permissive", "fail"),
        ("order_events", "permissive", "fail"),
    ],
)
def test_shipped_contract_policies(source, policy, on_break):
    contract = load_contract(source)
    assert (contract.drift_policy, contract.on_schema_break) == (policy, on_break)


def test_the_shipped_country_list_keeps_norway_as_text():
    country = load_contract("hubspot_contacts").field("country")
    assert "NO" in country.rules[0].valid_values
    assert False not in country.rules[0].valid_values


def test_a_shipped_contract_with_its_rules_tampered_is_refused():
    doc = copy.deepcopy(shipped_document("vendor_products"))
    vendor = next(p for p in doc["schema"][0]["properties"] if p["name"] == "vendor_id")
    vendor["quality"][0]["customProperties"][0]["value"] = "^V[0-9{2}$"
    with pytest.raises(ContractError, match="property 'vendor_id' quality rule 'pattern'"):
        parse_contract(doc, "vendor_products.yaml")


def test_order_events_transport_fields_are_marked():
    contract = load_contract("order_events")
    assert [f.name for f in contract.fields if f.transport] == [
        "kafka_topic",
        "kafka_partition",
        "kafka_offset",
        "kafka_timestamp",
    ]
