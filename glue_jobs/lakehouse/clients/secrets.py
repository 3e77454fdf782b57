"""Read one credential from AWS Secrets Manager. Values are never logged or put in errors."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError


class SecretError(RuntimeError):
    """A secret is missing, unreadable or lacks the wanted field."""


def get_secret(name: str, field: str | None = None, client: Any = None) -> str:
    """The ``SecretString`` of secret ``name``; with ``field``, that key of its JSON object."""
    client = client or boto3.client("secretsmanager")
    try:
        response = client.get_secret_value(SecretId=name)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "unknown")
        if code == "ResourceNotFoundException":
            raise SecretError(f"secret {name!r} does not exist in Secrets Manager") from None
        raise SecretError(f"cannot read secret {name!r}: {code}") from exc
    text = response.get("SecretString")
    if text is None:
        raise SecretError(f"secret {name!r} has no SecretString (binary secrets are not supported)")
    if field is None:
        return text
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise SecretError(f"secret {name!r} is not a JSON object, so it has no field {field!r}")
    if field not in document:
        raise SecretError(f"secret {name!r} has no field {field!r}")
    value = document[field]
    if not isinstance(value, str) or not value:
        raise SecretError(f"field {field!r} of secret {name!r} is not a non-empty string")
    return value
