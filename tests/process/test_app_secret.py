"""Settings from one Secrets Manager secret (moto server), read through the Parameters and Secrets
extension (its local stand-in), cached, rotation picked up, the last good settings kept."""

from __future__ import annotations

import json
import time

import pytest

from functions.test_endpoint import app
from gpt_auth.oauth import users
from gpt_auth.runtime import app_secret, db, settings
from gpt_auth.runtime.errors import ConfigError
from localdev.seed import seed_session_for
from tests.support.events import load_event
from tests.support.secrets import SECRET


def test_credentials_and_store_come_from_the_secret_not_the_environment(serve_secret):
    # GIVEN the environment holds other (local) credentials and the secret's ARN
    serve_secret(SECRET)
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


def test_a_warm_container_does_not_ask_the_extension_per_request(serve_secret, lambda_context):
    # GIVEN a container that served its first request from the secret
    served = serve_secret(SECRET)
    event = load_event("test_endpoint_valid")
    seed_session_for(event["headers"]["authorization"].removeprefix("Bearer "))
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 200
    reads = served.extension.reads
    # WHEN it serves many more
    for _ in range(20):
        assert app.lambda_handler(event, lambda_context)["statusCode"] == 200
    # THEN the extension (and so Secrets Manager) was not asked again
    assert served.extension.reads == reads == 1


def test_rotation_is_picked_up_once_the_settings_are_max_age_old(monkeypatch, serve_secret, configure):
    # GIVEN settings read from the secret, kept for one second
    configure(**{app_secret.MAX_AGE_SETTING: "1"})
    served = serve_secret(SECRET)
    db.collection(users.COLLECTION).insert_one({"_id": "before-rotation"})
    assert settings.get_settings().gpt_client_secret == SECRET["GPT_CLIENT_SECRET"]
    # WHEN the secret is rotated (new GPT secret, new store URI)
    rotated = {**SECRET, "GPT_CLIENT_SECRET": "rotated-gpt-secret-0123456789", "MONGODB_URI": "mongomock://b"}
    served.put(rotated)
    # THEN the kept value serves until it is a second old ...
    assert settings.get_settings().gpt_client_secret == SECRET["GPT_CLIENT_SECRET"]
    time.sleep(1.1)
    # ... and then the rotated one, with a new connection to the new store URI
    assert settings.get_settings().gpt_client_secret == rotated["GPT_CLIENT_SECRET"]
    assert settings.get_settings().mongodb_uri == "mongomock://b"
    assert db.collection(users.COLLECTION).find_one({"_id": "before-rotation"}) is None


def test_a_failed_refresh_keeps_the_last_good_settings_and_logs_why(
    monkeypatch, serve_secret, read_logs, configure
):
    # GIVEN settings read from the secret, kept for one second, retried at once after a failure
    configure(**{app_secret.MAX_AGE_SETTING: "1"})
    monkeypatch.setattr(app_secret, "RETRY_SECONDS", 0)
    served = serve_secret(SECRET)
    assert settings.get_settings().gpt_client_id == SECRET["GPT_CLIENT_ID"]
    # WHEN the secret is replaced by one that is not JSON, and the settings are a second old
    served.put("GPT_CLIENT_ID=oops")
    time.sleep(1.1)
    # THEN the last good settings keep serving, and the error is logged without the value
    assert settings.get_settings().gpt_client_id == SECRET["GPT_CLIENT_ID"]
    errors = [line for line in read_logs() if line["level"] == "ERROR"]
    assert errors and "not valid JSON" in errors[0]["reason"]
    assert "oops" not in json.dumps(errors)
    # WHEN the secret is fixed, the next read picks it up
    served.put({**SECRET, "GPT_CLIENT_ID": "fixed"})
    assert settings.get_settings().gpt_client_id == "fixed"


@pytest.mark.parametrize(
    "fault",
    [(400, "ThrottlingException: Rate exceeded"), (500, "InternalServiceError"), (401, "bad token")],
    ids=["throttled", "secrets-manager-failing", "refused"],
)
def test_a_failed_re_read_of_any_kind_keeps_the_last_good_settings(
    monkeypatch, serve_secret, read_logs, fault, configure
):
    # GIVEN settings read from the secret, kept for one second
    configure(**{app_secret.MAX_AGE_SETTING: "1"})
    served = serve_secret(SECRET)
    assert settings.get_settings().gpt_client_id == SECRET["GPT_CLIENT_ID"]
    # WHEN the secret is rotated but the extension fails once they are a second old
    served.put({**SECRET, "GPT_CLIENT_ID": "rotated"})
    served.extension.fault = fault
    time.sleep(1.1)
    # THEN the last good settings serve, the failure is logged with its cause, and not retried at once
    assert settings.get_settings().gpt_client_id == SECRET["GPT_CLIENT_ID"]
    reads = served.extension.reads
    assert settings.get_settings().gpt_client_id == SECRET["GPT_CLIENT_ID"]
    assert served.extension.reads == reads
    errors = [line for line in read_logs() if line["level"] == "ERROR"]
    assert errors and str(fault[0]) in errors[0]["detail"]


@pytest.mark.parametrize("missing", sorted(SECRET))
def test_a_missing_key_is_named(serve_secret, missing):
    # GIVEN a secret without one key, while the environment has a value for it
    serve_secret({k: v for k, v in SECRET.items() if k != missing})
    # THEN loading fails with a message naming the key, not falling back to the environment
    with pytest.raises(ConfigError, match=f"has no {missing}"):
        settings.get_settings()


@pytest.mark.parametrize("value", ["", "  ", 42, None])
def test_an_empty_or_non_string_value_is_named(serve_secret, value):
    serve_secret({**SECRET, "GPT_CLIENT_SECRET": value})
    with pytest.raises(ConfigError, match="GPT_CLIENT_SECRET"):
        settings.get_settings()


def test_a_malformed_json_secret_is_a_clear_error_without_its_value(serve_secret):
    serve_secret('{"GPT_CLIENT_SECRET": "s3cr3t-value-in-broken-json",')
    with pytest.raises(ConfigError, match="not valid JSON") as caught:
        settings.get_settings()
    assert "s3cr3t" not in str(caught.value)


def test_a_secret_that_is_not_an_object_is_refused(serve_secret):
    serve_secret('["GOOGLE_CLIENT_ID"]')
    with pytest.raises(ConfigError, match="JSON object"):
        settings.get_settings()


def test_the_handler_answers_a_missing_key_with_a_500_naming_it(serve_secret, lambda_context):
    serve_secret({k: v for k, v in SECRET.items() if k != "GPT_CLIENT_SECRET"})
    response = app.lambda_handler(load_event("test_endpoint_unknown_token"), lambda_context)
    assert response["statusCode"] == 500
    assert "GPT_CLIENT_SECRET" in json.loads(response["body"])["error_description"]


@pytest.mark.parametrize("raw", ["soon", "0", "-3"])
def test_a_bad_max_age_is_named(monkeypatch, serve_secret, raw, configure):
    configure(**{app_secret.MAX_AGE_SETTING: raw})
    serve_secret(SECRET)
    with pytest.raises(ConfigError, match=app_secret.MAX_AGE_SETTING):
        settings.get_settings()


@pytest.mark.parametrize("raw", ["http", "0", "70000"])
def test_a_bad_extension_port_is_named(monkeypatch, serve_secret, raw, configure):
    serve_secret(SECRET)
    configure(**{app_secret.PORT_SETTING: raw})
    with pytest.raises(ConfigError, match=app_secret.PORT_SETTING):
        settings.get_settings()
