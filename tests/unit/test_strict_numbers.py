"""Whole numbers are ASCII digits only: in settings (an error naming one) and from Google (else absent)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gpt_auth.google import google_tokens, provider
from gpt_auth.runtime import app_secret, db
from gpt_auth.runtime.errors import ConfigError
from gpt_auth.runtime.setting_values import ascii_int
from gpt_auth.runtime.settings import load_settings
from localdev.dev import DevError, read_port
from localdev.samples import SAMPLE_GPT_CALLBACK
from tests.unit.test_settings import BASE
from tests.unit.test_sign_in_grants import ADA, authorize, callback, redirected_to

# A superscript two (int() raises), fullwidth 5000 (int() takes it), a sign, an underscore,
# spaces inside, and more digits than int() converts.
FULLWIDTH_5000 = "\uff15\uff10\uff10\uff10"
NOT_ASCII_DIGITS = ["²", FULLWIDTH_5000, "+5000", "5_000", "50 00", "1" * 5000]


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS)
@pytest.mark.parametrize(
    "name", ["ACTION_RESPONSE_MAX_CHARS", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_GRACE", "SESSION_MAX_AGE"]
)
def test_a_setting_that_is_not_ascii_digits_is_refused_by_name(name, raw):
    with pytest.raises(ConfigError, match=name) as refused:
        load_settings({**BASE, name: raw})
    assert len(str(refused.value)) < 300  # a 5,000-digit value is not echoed whole


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS)
def test_the_extension_port_and_max_age_take_ascii_digits_only(raw):
    with pytest.raises(ConfigError, match=app_secret.PORT_SETTING):
        app_secret.extension_port({app_secret.PORT_SETTING: raw})
    with pytest.raises(ConfigError, match=app_secret.MAX_AGE_SETTING):
        app_secret.max_age({app_secret.MAX_AGE_SETTING: raw})


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS)
def test_make_dev_port_takes_ascii_digits_only(raw):
    with pytest.raises(DevError, match="PORT"):
        read_port({"PORT": raw})


def test_ascii_digits_with_surrounding_space_are_read():
    assert load_settings({**BASE, "ACTION_RESPONSE_MAX_CHARS": " 5000 "}).action_response_max_chars == 5000
    assert ascii_int("0042") == 42 and ascii_int(" 42") is None and ascii_int(42) is None


@pytest.mark.parametrize("value", [*NOT_ASCII_DIGITS, True, 0, -5, 3.5, "", None, 10**30, 86_401])
def test_an_unreadable_expires_in_from_google_is_absent(value):
    assert provider.TokenResponse.from_json({"access_token": "a", "expires_in": value}).expires_in is None


@pytest.mark.parametrize(("value", "seconds"), [(3599, 3599), ("3599", 3599), (86_400, 86_400)])
def test_a_readable_expires_in_is_kept(value, seconds):
    assert provider.TokenResponse.from_json({"access_token": "a", "expires_in": value}).expires_in == seconds


@pytest.mark.parametrize("header", ["max-age=²", f"max-age={FULLWIDTH_5000}", f"max-age={'9' * 5000}"])
def test_an_unreadable_keys_max_age_is_the_default(header):
    assert provider._max_age(header) == provider.KEYS_MAX_AGE[1]


@pytest.mark.parametrize("value", ["²", FULLWIDTH_5000])
def test_a_sign_in_whose_expires_in_is_unreadable_completes_with_the_default_lifetime(
    fake_idp, lambda_context, value
):
    # GIVEN Google answering the code exchange with an expires_in that is not ASCII digits
    fake_idp.token_answer["expires_in"] = value
    # WHEN the sign-in completes
    query = redirected_to(callback(lambda_context, authorize(lambda_context), fake_idp), SAMPLE_GPT_CALLBACK)
    # THEN it is a sign-in (no 500), and the stored access token gets the default lifetime
    assert query["code"].startswith("gac_")
    record = db.collection(google_tokens.COLLECTION).find_one({"_id": ADA})
    assert record is not None
    lifetime = record["access_expires_at"] - record["refreshed_at" if record["refreshed_at"] else "issued_at"]
    assert lifetime == timedelta(seconds=google_tokens.DEFAULT_ACCESS_SECONDS)
