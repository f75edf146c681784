"""The GPT callback allowlist: whole-URL matching, and the tricks it refuses."""

from __future__ import annotations

import re

import pytest

from gpt_auth.oauth.redirects import gpt_id, refusal_reason, with_query
from gpt_auth.runtime.settings import DEFAULT_REDIRECT_PATTERNS

DEFAULTS = tuple(re.compile(p) for p in DEFAULT_REDIRECT_PATTERNS)


@pytest.mark.parametrize(
    "uri",
    [
        "https://chatgpt.com/aip/g-abc123/oauth/callback",
        "https://chat.openai.com/aip/g-AbC_12-x/oauth/callback",
        "HTTPS://ChatGPT.com/aip/g-abc123/oauth/callback",  # scheme and host compare case-insensitively
    ],
)
def test_chatgpt_callbacks_are_allowed(uri):
    assert refusal_reason(uri, DEFAULTS) is None


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("https://chatgpt.com.evil.example/aip/g-abc123/oauth/callback", "none of the allowed"),
        ("https://evil.example/chatgpt.com/aip/g-abc123/oauth/callback", "none of the allowed"),
        ("https://chatgpt.com@evil.example/aip/g-abc123/oauth/callback", "user information"),
        ("https://user:pw@chatgpt.com/aip/g-abc123/oauth/callback", "user information"),
        ("https://chatgpt.com:8443/aip/g-abc123/oauth/callback", "port (8443)"),
        ("https://chatgpt.com:443/aip/g-abc123/oauth/callback", "port (443)"),
        ("https://chatgpt.com:/aip/g-abc123/oauth/callback", "port (empty)"),
        ("https://chatgpt.com:99999/aip/g-abc123/oauth/callback", "not a number"),
        ("https://chatgpt.com/aip/g-abc123/oauth/callback#@evil.example", "fragment"),
        ("https://chatgpt.com/aip/g-abc123/oauth/callback/extra", "none of the allowed"),
        ("https://chatgpt.com/aip/g-abc123/extra/oauth/callback", "none of the allowed"),
        ("https://chatgpt.com/aip/g-abc123/oauth/callback?next=https://evil.example", "none of the allowed"),
        ("https://chatgpt.com/aip/g-abc/../../evil/oauth/callback", "none of the allowed"),
        ("http://chatgpt.com/aip/g-abc123/oauth/callback", "http://"),
        ("https://chatgpt.com\\@evil.example/aip/g-abc123/oauth/callback", "backslash"),
        ("https://chatgpt.com/aip/g-abc123/oauth/call\nback", "control characters"),
        ("https://chatgpt.com./aip/g-abc123/oauth/callback", "none of the allowed"),
        ("javascript:alert(1)//chatgpt.com/aip/g-abc123/oauth/callback", "absolute https"),
        ("//chatgpt.com/aip/g-abc123/oauth/callback", "absolute https"),
        ("https://[chatgpt.com/aip/g-abc123/oauth/callback", "not a valid URL"),
        ("https://chatgpt.com/aip/g-abc123/oauth/callbäck", "non-ASCII"),
    ],
)
def test_tricks_are_refused_with_a_reason(uri, reason):
    result = refusal_reason(uri, DEFAULTS)
    assert result is not None and reason in result


def test_a_pattern_that_names_a_port_allows_exactly_that_port():
    # GIVEN the local simulator's callback added to the defaults, as `make dev` does
    patterns = (*DEFAULTS, re.compile(r"http://127\.0\.0\.1:3000/simulator/callback"))
    # THEN that URL is allowed, another port or host is not
    assert refusal_reason("http://127.0.0.1:3000/simulator/callback", patterns) is None
    assert refusal_reason("http://127.0.0.1:3001/simulator/callback", patterns) is not None
    assert refusal_reason("http://localhost:3000/simulator/callback", patterns) is not None


def test_a_custom_allowlist_replaces_the_defaults():
    pinned = (re.compile(r"https://chatgpt\.com/aip/g-abc123/oauth/callback"),)
    assert refusal_reason("https://chatgpt.com/aip/g-abc123/oauth/callback", pinned) is None
    assert refusal_reason("https://chatgpt.com/aip/g-other/oauth/callback", pinned) is not None


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://chatgpt.com/aip/g-abc123/oauth/callback", "g-abc123"),
        ("https://chatgpt.com.evil.example/aip/g-abc123/oauth/callback", "g-abc123"),
        ("https://chatgpt.com/somewhere/else", None),
        ("https://[broken", None),
    ],
)
def test_gpt_id_is_read_from_the_path(uri, expected):
    assert gpt_id(uri) == expected


def test_with_query_encodes_and_keeps_an_existing_query():
    assert (
        with_query("https://chatgpt.com/cb", {"code": "gac_x", "state": "a b&c"})
        == "https://chatgpt.com/cb?code=gac_x&state=a+b%26c"
    )
    assert with_query("https://example.com/cb?x=1", {"error": "access_denied"}) == (
        "https://example.com/cb?x=1&error=access_denied"
    )
