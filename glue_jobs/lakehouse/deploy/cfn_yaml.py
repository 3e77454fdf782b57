"""Read and write CloudFormation YAML with its short-form intrinsic tags (``!Ref``, ``!Sub``…).

Loading turns every tag into the long form (``!Ref x`` -> ``{"Ref": "x"}``), so code and tests
work on plain dicts. Dumping writes plain YAML in the long form, which CloudFormation reads too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

# Short-form tags whose long form is "Fn::<Name>"; Ref and Condition have no "Fn::" prefix.
_FN_TAGS = (
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "If", "ImportValue", "Join",
    "Not", "Or", "Select", "Split", "Sub", "Transform", "GetAtt", "ToJsonString", "Length",
)  # fmt: skip


class _Loader(yaml.SafeLoader):
    pass


def _construct(long_name: str):
    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if long_name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {long_name: value}

    return construct


for _tag in _FN_TAGS:
    _Loader.add_constructor(f"!{_tag}", _construct(f"Fn::{_tag}"))
_Loader.add_constructor("!Ref", _construct("Ref"))
_Loader.add_constructor("!Condition", _construct("Condition"))


def loads(text: str) -> dict[str, Any]:
    """Parse a CloudFormation template (YAML or JSON) into plain dicts."""
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse the template at ``path``."""
    return loads(Path(path).read_text())


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # CloudFormation rejects YAML anchors and aliases


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dumps(template: dict[str, Any]) -> str:
    """YAML for ``template``: keys in the given order, multi-line strings as literal blocks."""
    return yaml.dump(template, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)


def logical_id(*parts: str) -> str:
    """A CloudFormation logical id from names: ``("bronze", "dq_rows", "Table")`` ->
    ``BronzeDqRowsTable`` (each word's first letter upper-cased, the rest kept)."""
    words = (w for part in parts for w in re.split(r"[^A-Za-z0-9]", part) if w)
    return "".join(w[0].upper() + w[1:] for w in words)
