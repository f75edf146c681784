"""Cold paths stay light: the grant store and its cipher import cryptography and requests only when used."""

from __future__ import annotations

import pytest

from tests.support.cold_imports import loaded_after

HEAVY = ("cryptography", "requests", "google.auth", "jwt")


@pytest.mark.parametrize(
    "script",
    [
        # importing the helper, and reading settings with a key ring, loads none of them
        "from gpt_auth.google import google_tokens, token_cipher\nfrom gpt_auth.runtime import settings\n"
        "settings.get_settings().key_ring()",
        # ChatGPT's authorization request (GET /) with Google's built-in endpoints
        "from functions.google_authorization import app\n"
        "event = json.load(open('events/google_authorization_authorize.json'))\n"
        "assert app.router.resolve(event)['statusCode'] == 302",
        # the hello action (POST /): its token check needs no provider client
        "from functions.test_endpoint import app\n"
        "event = json.load(open('events/test_endpoint_valid.json'))\n"
        "assert app.router.resolve(event)['statusCode'] == 401",
    ],
    ids=["import", "authorize", "hello"],
)
def test_cold_paths_import_no_cipher_or_http_client(app_settings, script):
    assert loaded_after(script, HEAVY, app_settings) == []


def test_the_probe_sees_the_cipher_once_a_token_is_sealed(app_settings):
    # The probe can fail: sealing a token does load cryptography.
    script = (
        "from gpt_auth.google import token_cipher\nfrom gpt_auth.runtime import settings\n"
        "token_cipher.encrypt(settings.get_settings().key_ring(), 'v', 'aad')"
    )
    assert "cryptography" in loaded_after(script, HEAVY, app_settings)
