"""Validate OpenLineage events offline against the schema documents in this folder.

``validate_event(event_dict)`` checks the event against the core spec (the ``RunEvent`` its
``schemaURL`` names) and then every facet against the schema its ``_schemaURL`` names: the core
spec alone checks facets only as generic ``BaseFacet``. Formats are checked (``uuid``,
``date-time``, ``uri``). Schemas resolve from the local files only; a facet whose schema is not
here is an error, never a download.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

SPEC_DIR = Path(__file__).resolve().parent
REQUIRED_FORMATS = ("uuid", "date-time", "uri")


class InvalidEvent(AssertionError):
    """The event breaks the OpenLineage schema; ``problems`` lists every violation."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid OpenLineage event:\n  " + "\n  ".join(problems))
        self.problems = problems


@cache
def registry() -> Registry:
    """Every schema document under this folder, by its ``$id``."""
    resources: dict[str, Resource] = {}
    for path in sorted(SPEC_DIR.rglob("*.json")):
        resource = Resource.from_contents(json.loads(path.read_text(encoding="utf-8")))
        schema_id = resource.id()
        if not schema_id:
            raise ValueError(f"{path} has no $id")
        if schema_id in resources:
            raise ValueError(f"two schema documents have the $id {schema_id}")
        resources[schema_id] = resource
    return Registry().with_resources(resources.items())


def _format_checker() -> Any:
    checker = Draft202012Validator.FORMAT_CHECKER
    missing = [f for f in REQUIRED_FORMATS if f not in checker.checkers]
    if missing:  # jsonschema skips formats whose checker library is not installed
        raise RuntimeError(
            f"format checks unavailable: {missing} (install rfc3339/rfc3986 validators)"
        )
    return checker


def _validator(schema_url: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": schema_url}, registry=registry(), format_checker=_format_checker()
    )


def facets_of(event: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(where, facet)`` for every facet of the event."""
    for key, facet in ((event.get("run") or {}).get("facets") or {}).items():
        yield f"run.facets.{key}", facet
    for key, facet in ((event.get("job") or {}).get("facets") or {}).items():
        yield f"job.facets.{key}", facet
    for side in ("inputs", "outputs"):
        for i, dataset in enumerate(event.get(side) or []):
            for group in ("facets", "inputFacets", "outputFacets"):
                for key, facet in (dataset.get(group) or {}).items():
                    yield f"{side}[{i}].{group}.{key}", facet


def _problems(where: str, schema_url: str, instance: Any) -> list[str]:
    try:
        errors = list(_validator(schema_url).iter_errors(instance))
    except Unresolvable as exc:
        return [f"{where}: schema {schema_url} is not vendored here ({exc})"]
    return [
        f"{where}{''.join(f'[{p!r}]' for p in e.absolute_path)}: {e.message}"
        for e in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    ]


def validate_event(event: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidEvent` unless ``event`` (a JSON dict) is a valid OpenLineage event."""
    schema_url = event.get("schemaURL")
    if not isinstance(schema_url, str):
        raise InvalidEvent(["event: no schemaURL"])
    problems = _problems("event", schema_url, event)
    for where, facet in facets_of(event):
        url = facet.get("_schemaURL") if isinstance(facet, Mapping) else None
        if not isinstance(url, str):
            problems.append(f"{where}: no _schemaURL")
            continue
        problems += _problems(where, url, facet)
    if problems:
        raise InvalidEvent(problems)
