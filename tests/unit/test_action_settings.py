"""Settings of the example action and the privacy page: defaults, bounds, errors naming the setting."""

from __future__ import annotations

import pytest

from gpt_auth.runtime.errors import ConfigError
from gpt_auth.runtime.settings import load_settings
from tests.support.config import MINIMAL_SETTINGS

BASE = MINIMAL_SETTINGS


def test_defaults():
    config = load_settings(BASE)
    assert config.action_response_max_chars == 20_000
    assert config.google_api_base == "https://www.googleapis.com"
    assert config.operator_name == "The operator of this GPT"
    assert config.operator_contact is None


def test_given_values():
    config = load_settings(
        {
            **BASE,
            "ACTION_RESPONSE_MAX_CHARS": "100000",
            "GOOGLE_API_BASE": "http://127.0.0.1:8123/",
            "OPERATOR_NAME": "Ada's Tools Ltd",
            "OPERATOR_CONTACT": "privacy@example.com",
        }
    )
    assert config.action_response_max_chars == 100_000
    assert config.google_api_base == "http://127.0.0.1:8123"
    assert (config.operator_name, config.operator_contact) == ("Ada's Tools Ltd", "privacy@example.com")
    assert load_settings({**BASE, "OPERATOR_CONTACT": "https://example.com/contact"}).operator_contact == (
        "https://example.com/contact"
    )


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("ACTION_RESPONSE_MAX_CHARS", "100001", "at most 100,000"),
        ("ACTION_RESPONSE_MAX_CHARS", "3999", "at least 4,000"),
        ("ACTION_RESPONSE_MAX_CHARS", "20k", "whole number"),
        ("ACTION_RESPONSE_MAX_CHARS", "-1", "whole number"),
        ("GOOGLE_API_BASE", "http://www.googleapis.com", "https"),
        ("GOOGLE_API_BASE", "googleapis.com", "https"),
        ("OPERATOR_NAME", "x" * 201, "200 printable"),
        ("OPERATOR_NAME", "Ada\nLovelace", "200 printable"),
        ("OPERATOR_CONTACT", "ada at example", "email address or an https"),
        ("OPERATOR_CONTACT", "http://example.com", "email address or an https"),
        ("OPERATOR_CONTACT", "javascript:alert(1)", "email address or an https"),
    ],
)
def test_malformed_setting_is_a_config_error_naming_it(name, value, reason):
    with pytest.raises(ConfigError, match=name) as caught:
        load_settings({**BASE, name: value})
    assert reason in str(caught.value)
