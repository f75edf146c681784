"""TOKEN_ENCRYPTION_KEYS in AWS: from the settings secret only (moto), optional until a grant is stored."""

from __future__ import annotations

import json

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from moto import mock_aws

from gpt_auth import settings
from gpt_auth.errors import ConfigError
from gpt_auth.token_cipher import new_key_entry

CREDENTIALS = {
    "GOOGLE_CLIENT_ID": "from-secret.apps.example",
    "GOOGLE_CLIENT_SECRET": "google-secret-from-secret-0123",
    "GPT_CLIENT_ID": "gpt-from-secret",
    "GPT_CLIENT_SECRET": "gpt-secret-from-secret-0123456",
    "MONGODB_URI": "mongomock://from-secret",
}


@pytest.fixture
def secret_holding(monkeypatch, configure):
    """Call it with the secret's JSON: APP_SECRET_ARN then names it, in moto's Secrets Manager."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-1")

        def use(value: dict) -> None:
            arn = client.create_secret(Name=f"app-{len(value)}", SecretString=json.dumps(value))["ARN"]
            configure(APP_SECRET_ARN=arn)

        yield use
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()


def test_the_key_ring_comes_from_the_secret_not_the_environment(secret_holding):
    # GIVEN a key in the secret and another (the sample key) in the environment
    secret_holding({**CREDENTIALS, "TOKEN_ENCRYPTION_KEYS": new_key_entry("aws1")})
    # THEN the secret's serves
    assert settings.get_settings().key_ring().current_id == "aws1"


def test_a_secret_without_the_key_ring_loads_and_names_it_when_a_grant_needs_it(secret_holding):
    # GIVEN a secret made before grants were stored: the environment's key must not stand in
    secret_holding(CREDENTIALS)
    config = settings.get_settings()
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEYS is not set"):
        config.key_ring()


@pytest.mark.parametrize(("value", "message"), [(["k1:x"], "non-string"), ("k1:short", "not 32 bytes")])
def test_a_bad_key_ring_in_the_secret_is_named(secret_holding, value, message):
    secret_holding({**CREDENTIALS, "TOKEN_ENCRYPTION_KEYS": value})
    with pytest.raises(
        ConfigError, match=f"TOKEN_ENCRYPTION_KEYS.*{message}|{message}.*TOKEN_ENCRYPTION_KEYS"
    ):
        settings.get_settings()
