"""The settings every test starts from, and how a test changes them.

The autouse fixture ``app_settings`` applies them before each test; a test that changes a
setting asks for the ``configure`` fixture, which goes through ``apply``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from gpt_auth.google import provider
from gpt_auth.runtime import app_secret, db, settings
from localdev.samples import SAMPLE_SETTINGS

# The sample events carry the clients of SAMPLE_SETTINGS.
TEST_SETTINGS = {
    **SAMPLE_SETTINGS,
    "MONGODB_URI": "mongomock://localhost",
    "MONGODB_DATABASE": "gpt_auth_test",
}

# The least load_settings accepts: the four credentials and the token hash key.
MINIMAL_SETTINGS = {
    "GOOGLE_CLIENT_ID": "gid",
    "GOOGLE_CLIENT_SECRET": "gsecret",
    "GPT_CLIENT_ID": "gpt",
    "GPT_CLIENT_SECRET": "gptsecret-0123456789",
    "TOKEN_HASH_KEYS": SAMPLE_SETTINGS["TOKEN_HASH_KEYS"],
}

# Removed before each test, so neither the developer's environment nor another test sets them.
CLEARED = (
    *app_secret.SECRET_KEYS,
    "APP_SECRET_ARN",
    "GOOGLE_REDIRECT_URI",
    "ACTION_URL",
    "AUTHORIZATION_SERVER_URL",
    "TOKEN_URL",
    "ALLOWED_REDIRECT_URIS",
    "OIDC_ISSUER",
    "GOOGLE_SCOPES",
    "ACCESS_TOKEN_TTL",
    "REFRESH_TOKEN_TTL",
    "REFRESH_TOKEN_GRACE",
    "SESSION_MAX_AGE",
    "REFRESH_ROTATIONS_PER_HOUR",
    "REGISTRATIONS_PER_IP_PER_HOUR",
    "REGISTRATIONS_PER_HOUR",
    "MCP_REDIRECT_URIS",
    "MONGODB_DATABASE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_SESSION_TOKEN",
    app_secret.PORT_SETTING,
    app_secret.MAX_AGE_SETTING,
    "GOOGLE_API_BASE",
    "ACTION_RESPONSE_MAX_CHARS",
    "OPERATOR_NAME",
    "OPERATOR_CONTACT",
)

STORE_SETTINGS = frozenset({"MONGODB_URI", "MONGODB_DATABASE"})


def reset_caches() -> None:
    """Forget the cached settings, the store client (an embedded store starts empty) and provider data."""
    settings.reset()
    db.reset()
    provider.reset()


def apply(monkeypatch: pytest.MonkeyPatch, values: Mapping[str, str | None]) -> None:
    """Set each setting (``None`` removes it) and make the product read the settings again.

    A change of the store's URI or database also drops the store client, so the next call
    connects to the new one; a change of ``OIDC_ISSUER`` also forgets discovered providers.
    Anything else stays, so what the test stored before is still there.
    """
    for name, value in values.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    settings.reset()
    if STORE_SETTINGS & values.keys():
        db.reset()
    if "OIDC_ISSUER" in values:
        provider.reset()
