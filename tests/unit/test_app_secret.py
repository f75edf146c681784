"""Settings from one Secrets Manager secret (moto), cached by Powertools, rotation picked up."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from moto import mock_aws

from functions.test_endpoint import app
from gpt_auth import app_secret, db, settings
from gpt_auth.errors import ConfigError
from localdev.seed import seed_session_for
from tests.support.events import load_event

REGION = "eu-west-1"
SECRET = {
    "GOOGLE_CLIENT_ID": "from-secret.apps.example",
    "GOOGLE_CLIENT_SECRET": "google-secret-from-secret-0123",
    "GPT_CLIENT_ID": "gpt-from-secret",
    "GPT_CLIENT_SECRET": "gpt-secret-from-secret-0123456",
    "MONGODB_URI": "mongomock://from-secret",
}


@pytest.fixture(autouse=True)
def _fresh_parameters():
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()  # a new client per test, bound to this test's mock
    yield
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()


@pytest.fixture
def secretsmanager(monkeypatch):
    """Moto's Secrets Manager in eu-west-1, with fake credentials so no real account is reached."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv(app_secret.MAX_AGE_SETTING, raising=False)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def use_secret(configure, client, value: str | dict) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    arn = client.create_secret(Name="gpt-google-auth/app", SecretString=text)["ARN"]
    configure(APP_SECRET_ARN=arn)
    return arn


def count_secret_reads() -> list[int]:
    """Every GetSecretValue call Powertools' client makes from now on appends to the list."""
    calls: list[int] = []
    client = DEFAULT_PROVIDERS["secrets"].client
    client.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **_: calls.append(1))
    return calls


def test_credentials_and_store_come_from_the_secret_not_the_environment(secretsmanager, configure):
    # GIVEN the environment holds other (local) credentials and the secret's ARN
    use_secret(configure, secretsmanager, SECRET)
    # WHEN the settings are loaded
    config = settings.get_settings()
    # THEN every credential and the store URI are the secret's
    assert config.google_client_id == SECRET["GOOGLE_CLIENT_ID"]
    assert config.google_client_secret == SECRET["GOOGLE_CLIENT_SECRET"]
    assert config.gpt_client_id == SECRET["GPT_CLIENT_ID"]
    assert config.gpt_client_secret == SECRET["GPT_CLIENT_SECRET"]
    assert config.mongodb_uri == SECRET["MONGODB_URI"]
    # and settings that are not secret still come from the environment
    assert config.mongodb_database == "gpt_auth_test"


def test_a_warm_container_does_not_call_secrets_manager_per_request(
    secretsmanager, lambda_context, configure
):
    # GIVEN a container that served its first request from the secret
    use_secret(configure, secretsmanager, SECRET)
    event = load_event("test_endpoint_valid")
    seed_session_for(event["headers"]["authorization"].removeprefix("Bearer "))
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 200
    reads = count_secret_reads()
    # WHEN it serves many more
    for _ in range(20):
        assert app.lambda_handler(event, lambda_context)["statusCode"] == 200
    # THEN Secrets Manager was not asked again
    assert reads == []


def test_rotation_is_picked_up_after_the_cache_expires(monkeypatch, secretsmanager, configure):
    # GIVEN settings read from the secret, cached for one second
    monkeypatch.setenv(app_secret.MAX_AGE_SETTING, "1")
    arn = use_secret(configure, secretsmanager, SECRET)
    db.collection(db.USERS).insert_one({"_id": "before-rotation"})
    assert settings.get_settings().gpt_client_secret == SECRET["GPT_CLIENT_SECRET"]
    # WHEN the secret is rotated (new GPT secret, new store URI)
    rotated = {**SECRET, "GPT_CLIENT_SECRET": "rotated-gpt-secret-0123456789", "MONGODB_URI": "mongomock://b"}
    secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps(rotated))
    # THEN the cached value serves until the cache expires ...
    assert settings.get_settings().gpt_client_secret == SECRET["GPT_CLIENT_SECRET"]
    time.sleep(1.1)
    # ... and then the rotated one, with a new connection to the new store URI
    assert settings.get_settings().gpt_client_secret == rotated["GPT_CLIENT_SECRET"]
    assert settings.get_settings().mongodb_uri == "mongomock://b"
    assert db.collection(db.USERS).find_one({"_id": "before-rotation"}) is None


def test_a_failed_refresh_keeps_the_last_good_settings_and_logs_why(
    monkeypatch, secretsmanager, read_logs, configure
):
    # GIVEN settings read from the secret, cached for one second, retried at once after a failure
    monkeypatch.setenv(app_secret.MAX_AGE_SETTING, "1")
    monkeypatch.setattr(app_secret, "RETRY_SECONDS", 0)
    arn = use_secret(configure, secretsmanager, SECRET)
    assert settings.get_settings().gpt_client_id == SECRET["GPT_CLIENT_ID"]
    # WHEN the secret is replaced by one that is not JSON, and the cache expires
    secretsmanager.put_secret_value(SecretId=arn, SecretString="GPT_CLIENT_ID=oops")
    time.sleep(1.1)
    # THEN the last good settings keep serving, and the error is logged without the value
    assert settings.get_settings().gpt_client_id == SECRET["GPT_CLIENT_ID"]
    errors = [line for line in read_logs() if line["level"] == "ERROR"]
    assert errors and "not valid JSON" in errors[0]["reason"]
    assert "oops" not in json.dumps(errors)
    # WHEN the secret is fixed, the next read picks it up
    secretsmanager.put_secret_value(
        SecretId=arn, SecretString=json.dumps({**SECRET, "GPT_CLIENT_ID": "fixed"})
    )
    assert settings.get_settings().gpt_client_id == "fixed"


@pytest.mark.parametrize("missing", sorted(SECRET))
def test_a_missing_key_is_named(secretsmanager, missing, configure):
    # GIVEN a secret without one key, while the environment has a value for it
    use_secret(configure, secretsmanager, {k: v for k, v in SECRET.items() if k != missing})
    # THEN loading fails with a message naming the key, not falling back to the environment
    with pytest.raises(ConfigError, match=f"has no {missing}"):
        settings.get_settings()


@pytest.mark.parametrize("value", ["", "  ", 42, None])
def test_an_empty_or_non_string_value_is_named(secretsmanager, value, configure):
    use_secret(configure, secretsmanager, {**SECRET, "GPT_CLIENT_SECRET": value})
    with pytest.raises(ConfigError, match="GPT_CLIENT_SECRET"):
        settings.get_settings()


def test_a_malformed_json_secret_is_a_clear_error_without_its_value(secretsmanager, configure):
    use_secret(configure, secretsmanager, '{"GPT_CLIENT_SECRET": "s3cr3t-value-in-broken-json",')
    with pytest.raises(ConfigError, match="not valid JSON") as caught:
        settings.get_settings()
    assert "s3cr3t" not in str(caught.value)


def test_a_secret_that_is_not_an_object_is_refused(secretsmanager, configure):
    use_secret(configure, secretsmanager, '["GOOGLE_CLIENT_ID"]')
    with pytest.raises(ConfigError, match="JSON object"):
        settings.get_settings()


def test_an_unknown_secret_names_the_aws_error(monkeypatch, secretsmanager):
    monkeypatch.setenv("APP_SECRET_ARN", f"arn:aws:secretsmanager:{REGION}:123456789012:secret:nope-AbCdEf")
    with pytest.raises(ConfigError, match=r"could not be read: .*ResourceNotFoundException"):
        settings.get_settings()


def test_the_handler_answers_a_missing_key_with_a_500_naming_it(secretsmanager, lambda_context, configure):
    use_secret(configure, secretsmanager, {k: v for k, v in SECRET.items() if k != "GPT_CLIENT_SECRET"})
    response = app.lambda_handler(load_event("test_endpoint_unknown_token"), lambda_context)
    assert response["statusCode"] == 500
    assert "GPT_CLIENT_SECRET" in json.loads(response["body"])["error_description"]


@pytest.mark.parametrize("raw", ["soon", "0", "-3"])
def test_a_bad_max_age_is_named(monkeypatch, secretsmanager, raw, configure):
    monkeypatch.setenv(app_secret.MAX_AGE_SETTING, raw)
    use_secret(configure, secretsmanager, SECRET)
    with pytest.raises(ConfigError, match=app_secret.MAX_AGE_SETTING):
        settings.get_settings()
