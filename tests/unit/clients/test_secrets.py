"""Secrets Manager reads, against moto (in-process; nothing leaves the machine)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from lakehouse.clients.secrets import SecretError, get_secret

VALUE = "pat-na1-0123456789"


@pytest.fixture
def secretsmanager(aws_credentials):
    with mock_aws():
        client = boto3.client("secretsmanager")
        client.create_secret(Name="lakehouse/hubspot", SecretString=json.dumps({"token": VALUE}))
        client.create_secret(Name="lakehouse/fx", SecretString=VALUE)
        yield client


def test_a_field_of_a_json_secret(secretsmanager):
    assert get_secret("lakehouse/hubspot", "token", client=secretsmanager) == VALUE


def test_a_plain_string_secret_with_the_default_client(secretsmanager):
    assert get_secret("lakehouse/fx") == VALUE


def test_a_missing_secret_is_named(secretsmanager):
    with pytest.raises(SecretError, match="'lakehouse/nope' does not exist"):
        get_secret("lakehouse/nope", "token", client=secretsmanager)


def test_a_missing_field_is_named_without_the_value(secretsmanager):
    with pytest.raises(SecretError, match="'lakehouse/hubspot' has no field 'api_key'") as error:
        get_secret("lakehouse/hubspot", "api_key", client=secretsmanager)
    assert VALUE not in str(error.value)


def test_a_field_of_a_plain_string_secret(secretsmanager):
    with pytest.raises(SecretError, match="not a JSON object") as error:
        get_secret("lakehouse/fx", "api_key", client=secretsmanager)
    assert VALUE not in str(error.value)


def test_an_empty_field_is_refused(secretsmanager):
    secretsmanager.create_secret(Name="lakehouse/empty", SecretString='{"token": ""}')
    with pytest.raises(SecretError, match="not a non-empty string"):
        get_secret("lakehouse/empty", "token", client=secretsmanager)
