"""TOKEN_ENCRYPTION_KEYS in AWS: from the settings secret only (served by the extension stand-in), optional
until a grant is stored or read."""

from __future__ import annotations

import pytest

from gpt_auth.google.token_cipher import new_key_entry
from gpt_auth.runtime import settings
from gpt_auth.runtime.errors import ConfigError
from tests.support.secrets import SECRET as CREDENTIALS


def test_the_key_ring_comes_from_the_secret_not_the_environment(serve_secret):
    # GIVEN a key in the secret and another (the sample key) in the environment
    serve_secret({**CREDENTIALS, "TOKEN_ENCRYPTION_KEYS": new_key_entry("aws1")})
    # THEN the secret's serves
    assert settings.get_settings().key_ring().current_id == "aws1"


def test_a_secret_without_the_key_ring_loads_and_names_it_when_a_grant_needs_it(serve_secret):
    # GIVEN a secret made before grants were stored: the environment's key must not stand in
    serve_secret(CREDENTIALS)
    config = settings.get_settings()
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEYS is not set"):
        config.key_ring()


@pytest.mark.parametrize(("value", "message"), [(["k1:x"], "non-string"), ("k1:short", "not 32 bytes")])
def test_a_bad_key_ring_in_the_secret_is_named(serve_secret, value, message):
    serve_secret({**CREDENTIALS, "TOKEN_ENCRYPTION_KEYS": value})
    with pytest.raises(
        ConfigError, match=f"TOKEN_ENCRYPTION_KEYS.*{message}|{message}.*TOKEN_ENCRYPTION_KEYS"
    ):
        settings.get_settings()
