"""ALLOWED_REDIRECT_URIS: regexes separated by whitespace, and the page a refused redirect_uri gets."""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlencode

import pytest

from functions.google_authorization import app
from gpt_auth.oauth.redirects import refusal_reason
from gpt_auth.runtime.errors import ConfigError
from gpt_auth.runtime.settings import DEFAULT_REDIRECT_PATTERNS, load_settings
from localdev.dev import LocalUrls, local_settings
from tests.support.config import MINIMAL_SETTINGS
from tests.support.events import load_event
from tests.support.paths import ROOT

BASE = MINIMAL_SETTINGS
PINNED = r"https://chatgpt\.com/aip/g-[A-Za-z0-9]{1,64}/oauth/callback"


def patterns_of(value: str) -> list[str]:
    return [p.pattern for p in load_settings({**BASE, "ALLOWED_REDIRECT_URIS": value}).allowed_redirect_uris]


def test_a_pattern_with_a_counted_repetition_stays_one_pattern():
    # GIVEN an allowlist whose one regex holds a comma, in {1,64}
    config = load_settings({**BASE, "ALLOWED_REDIRECT_URIS": PINNED})
    # THEN it is one pattern, and it allows the callback it describes
    assert [p.pattern for p in config.allowed_redirect_uris] == [PINNED]
    assert (
        refusal_reason("https://chatgpt.com/aip/g-abc123/oauth/callback", config.allowed_redirect_uris)
        is None
    )


@pytest.mark.parametrize(
    "value",
    [
        rf"{PINNED} http://127\.0\.0\.1:3000/cb",
        f"\n  {PINNED}\n\thttp://127\\.0\\.0\\.1:3000/cb\n",
        rf"{PINNED}   http://127\.0\.0\.1:3000/cb ",
    ],
)
def test_patterns_are_separated_by_spaces_or_newlines(value):
    assert patterns_of(value) == [PINNED, r"http://127\.0\.0\.1:3000/cb"]


def test_blank_allowlist_means_the_two_chatgpt_patterns():
    assert patterns_of("  \n ") == list(DEFAULT_REDIRECT_PATTERNS)


@pytest.mark.parametrize(
    "value",
    [
        r"https://a\.example/cb,http://127\.0\.0\.1:3000/cb",
        r"^https://a\.example/cb$,^https://b\.example/cb$",
    ],
)
def test_an_old_comma_separated_list_is_a_config_error_naming_the_separator(value):
    with pytest.raises(
        ConfigError, match="ALLOWED_REDIRECT_URIS separates its patterns with spaces or newlines"
    ):
        load_settings({**BASE, "ALLOWED_REDIRECT_URIS": value})


def test_make_dev_adds_its_callback_as_one_more_whitespace_separated_pattern():
    urls = LocalUrls("http://127.0.0.1:3000")
    values = local_settings({"ALLOWED_REDIRECT_URIS": PINNED}, urls, "http://127.0.0.1:9999")
    assert patterns_of(values["ALLOWED_REDIRECT_URIS"]) == [
        PINNED,
        r"http://127\.0\.0\.1:3000/simulator/callback",
    ]


def authorize_event(redirect_uri: str) -> dict:
    event = load_event("google_authorization_authorize")
    query = dict(parse_qsl(event["rawQueryString"], keep_blank_values=True)) | {"redirect_uri": redirect_uri}
    event["rawQueryString"] = urlencode(query)
    return event


def test_the_refusal_page_echoes_a_short_prefix_and_lists_no_pattern(lambda_context, configure):
    # GIVEN an allowlist pinned to one GPT
    configure(ALLOWED_REDIRECT_URIS=r"https://chatgpt\.com/aip/g-Mine01/oauth/callback")
    # WHEN another, long callback is presented
    received = "https://chatgpt.com/aip/g-Other02/oauth/callback?" + "p=" + "x" * 150
    response = app.lambda_handler(authorize_event(received), lambda_context)
    # THEN the page is a 400 that shows the start of what it received, not all of it
    body = response["body"]
    assert response["statusCode"] == 400
    assert html.escape(received[:100]) in body
    assert "x" * 60 not in body
    # AND it never shows the allowlist itself
    assert "g-Mine01" not in body and "allowed patterns" not in body


def test_the_pin_documented_in_deploy_md_allows_only_that_gpt_on_both_hosts():
    # GIVEN the pattern docs/deploy.md tells you to set, for the GPT g-Mine01
    pin = r"https://(chatgpt\.com|chat\.openai\.com)/aip/g-Mine01/oauth/callback"
    assert pin.replace("g-Mine01", "g-YOURID") in (ROOT / "docs" / "deploy.md").read_text()
    allowed = load_settings({**BASE, "ALLOWED_REDIRECT_URIS": pin}).allowed_redirect_uris
    # THEN that GPT's callbacks pass, and another GPT's do not
    assert refusal_reason("https://chatgpt.com/aip/g-Mine01/oauth/callback", allowed) is None
    assert refusal_reason("https://chat.openai.com/aip/g-Mine01/oauth/callback", allowed) is None
    assert refusal_reason("https://chatgpt.com/aip/g-Other02/oauth/callback", allowed) is not None
