"""Property tests (hypothesis): the event and body parsers, the handlers, and the redirect URI matcher.

Example counts come from the hypothesis profile in tests/support/hypothesis_profiles.py (``ci``
by default: modest and reproducible; ``HYPOTHESIS_PROFILE=thorough`` for a longer search).
"""

from __future__ import annotations

import base64
import importlib
import json
import re
import string
from itertools import combinations, product
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from gpt_auth.oauth import redirects
from gpt_auth.runtime import settings
from gpt_auth.runtime.errors import HttpError, description_text, shown
from gpt_auth.runtime.web import Request
from localdev.lambda_env import ACTION, AUTHORIZATION, TOKEN
from localdev.samples import SAMPLE_SETTINGS
from tests.reliability.answers import DESCRIPTION, HEADER_VALUE
from tests.reliability.cases import BASIC, CLIENT_ID, CLIENT_SECRET, FUNCTIONS, GPT_CALLBACK, Live

RFC6749_TEXT = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")

# --- requests ------------------------------------------------------------------------------------

ROUTES = {
    AUTHORIZATION: (("GET", "/"), ("GET", "/callback")),
    TOKEN: (("POST", "/"),),
    ACTION: (("POST", "/"),),
}
header_names = st.sampled_from(
    ["content-type", "authorization", "content-length", "openai-conversation-id", "openai-gpt-id", "x-any"]
)
media_types = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
        'text/"quoted\\',
        "application/jsön",
        "a/b\r\nx-injected: 1",
        "text/html<script>",
    ]
)
header_values = st.one_of(
    st.text(max_size=80), media_types, st.sampled_from(["Bearer @ACCESS@", "Bearer @REFRESH@", BASIC])
)
percent_text = st.lists(
    st.one_of(
        st.text(alphabet=string.ascii_letters + string.digits + "&=+%;,/?:@-._~", max_size=20),
        st.sampled_from(["%", "%f", "%zz", "%ff", "%C3%28", "%E2%82", "%00", "%0D%0A", "&&", "=="]),
    ),
    max_size=8,
).map("".join)
parameters = st.dictionaries(
    st.one_of(
        st.sampled_from(
            ["response_type", "client_id", "redirect_uri", "state", "scope", "code", "error", "name"]
        ),
        st.text(max_size=10),
    ),
    st.one_of(st.sampled_from(["code", CLIENT_ID, GPT_CALLBACK, "@PENDING@", "Ada"]), st.text(max_size=40)),
    max_size=6,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
bodies = st.one_of(
    st.none(),
    st.text(max_size=300),
    percent_text,
    parameters.map(urlencode),
    parameters.map(json.dumps),
    json_values.map(json.dumps),
    st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()),
    st.from_regex(r"[A-Za-z0-9+/=@!\n ]{0,40}", fullmatch=True),
)
any_routes = st.tuples(
    st.one_of(st.sampled_from(["GET", "POST", "PUT", "HEAD", "OPTIONS"]), st.text(max_size=8)),
    st.one_of(st.sampled_from(["//", "/callback/", "/admin"]), st.text(max_size=30)),
)


@st.composite
def events(draw: st.DrawFn, routes: tuple[tuple[str, str], ...] = ROUTES[AUTHORIZATION]) -> dict[str, Any]:
    """Payload 2.0 events as AWS shapes them, mostly for one of ``routes``, with any content."""
    method, path = draw(st.one_of(st.sampled_from(routes), any_routes))
    event: dict[str, Any] = {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": draw(st.one_of(percent_text, st.text(max_size=60), parameters.map(urlencode))),
        "headers": draw(st.dictionaries(header_names, header_values, max_size=4)),
        "requestContext": {"domainName": "abc.lambda-url.eu-west-1.on.aws", "http": {"method": method}},
        "isBase64Encoded": draw(st.booleans()),
    }
    body = draw(bodies)
    if body is not None:
        event["body"] = body
    return event


def parse_all(event: dict[str, Any]) -> None:
    """Every parser of ``gpt_auth.runtime.web`` on the event; HttpError is the only refusal allowed."""
    try:
        request = Request.from_event(event)
    except HttpError as exc:
        assert DESCRIPTION.fullmatch(exc.description), exc.description
        return
    for parse in (request.query, request.text, request.json, request.form):
        try:
            parse()
        except HttpError as exc:
            # Clean at the source: error_response's RFC 6749 filter is only a backstop.
            assert DESCRIPTION.fullmatch(exc.description), exc.description


@hypothesis_settings(max_examples=hypothesis_settings.default.max_examples * 3)  # cheap examples
@given(events())
def test_the_parsers_refuse_only_with_an_http_error(event):
    parse_all(event)


@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=40), max_size=8))
def test_a_form_reads_back_what_was_encoded(params):
    event = {"body": urlencode(params), "headers": {"content-type": "application/x-www-form-urlencoded"}}
    assert Request.from_event(event).form() == params


@given(json_values)
def test_json_reads_back_what_was_encoded(value):
    event = {"body": json.dumps(value), "headers": {"content-type": "application/json"}}
    assert Request.from_event(event).json() == value


@given(st.text())
def test_error_descriptions_keep_to_rfc6749(text):
    cleaned = description_text(text)
    assert RFC6749_TEXT.fullmatch(cleaned)
    assert len(cleaned) == len(text)
    if RFC6749_TEXT.fullmatch(text):
        assert cleaned == text


@given(st.text())
def test_an_echoed_value_is_plain_or_not_shown(text):
    echoed = shown(text)
    assert echoed in (f"'{text}'", "(a value that cannot be shown)")
    assert DESCRIPTION.fullmatch(echoed) and "'" not in echoed[1:-1]


# --- the handlers --------------------------------------------------------------------------------


def check_handler_answer(result: dict[str, Any]) -> None:
    assert result["statusCode"] < 500, result
    for name, value in result["headers"].items():
        assert HEADER_VALUE.fullmatch(value), (name, value)
    if result["headers"]["Content-Type"] == "application/json" and result["statusCode"] >= 400:
        payload = json.loads(result["body"])
        assert DESCRIPTION.fullmatch(payload["error_description"]), payload


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
@given(data=st.data())
def test_no_event_gets_a_5xx(function, data, lambda_context):
    # GIVEN any event for the function, its Bearer tokens and pending sign-ins live where it names them
    event = data.draw(events(ROUTES[function]))
    live = Live.make()
    event["headers"] = {name: live.fill(value) for name, value in event["headers"].items()}
    event["rawQueryString"] = live.fill(event["rawQueryString"])
    # WHEN the function answers it, THEN never with a 5xx or a header or description out of bounds
    handler = importlib.import_module(FUNCTIONS[function]).lambda_handler
    check_handler_answer(handler(event, lambda_context))


token_params = st.dictionaries(
    st.sampled_from(
        ["grant_type", "code", "refresh_token", "redirect_uri", "client_id", "client_secret", "scope"]
    ),
    st.one_of(
        st.sampled_from(
            [
                "authorization_code",
                "refresh_token",
                "@CODE@",
                "@REFRESH@",
                "@ACCESS@",
                "@PENDING@",
                GPT_CALLBACK,
            ]
        ),
        st.sampled_from([CLIENT_ID, CLIENT_SECRET, "profile", "openid profile extra", ""]),
        st.text(max_size=50),
    ),
    max_size=7,
)


@given(params=token_params, basic=st.booleans(), as_json=st.booleans())
def test_any_token_request_gets_tokens_or_an_rfc6749_error(params, basic, as_json, lambda_context):
    # GIVEN live tokens for the placeholders, and any mix of the token endpoint's parameters
    from functions.google_authentication import app

    live = Live.make()
    filled = {name: live.fill(value) for name, value in params.items()}
    body = json.dumps(filled) if as_json else urlencode(filled)
    event = {
        "rawPath": "/",
        "requestContext": {"http": {"method": "POST"}},
        "headers": {
            "content-type": "application/json" if as_json else "application/x-www-form-urlencoded",
            **({"authorization": BASIC} if basic else {}),
        },
        "body": body,
    }
    note(body)
    # WHEN the token endpoint answers
    result = app.lambda_handler(event, lambda_context)
    # THEN it is a token pair or one of RFC 6749 5.2's errors, never anything else
    check_handler_answer(result)
    payload = json.loads(result["body"])
    if result["statusCode"] == 200:
        assert payload["token_type"] == "bearer" and payload["refresh_token"].startswith("grt_")
        assert filled.get("grant_type") in ("authorization_code", "refresh_token")
    else:
        assert payload["error"] in {
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unsupported_grant_type",
            "invalid_scope",
        }, payload
        assert result["statusCode"] == (401 if payload["error"] == "invalid_client" else 400)


# --- the redirect URI matcher --------------------------------------------------------------------

ALLOWED_HOSTS = {"chatgpt.com", "chat.openai.com"}
REQUIRED = {
    "GOOGLE_CLIENT_ID": "g",
    "GOOGLE_CLIENT_SECRET": "s",
    "GPT_CLIENT_ID": "c",
    "GPT_CLIENT_SECRET": "s" * 16,
    "TOKEN_HASH_KEYS": SAMPLE_SETTINGS["TOKEN_HASH_KEYS"],
}
DEFAULT_PATTERNS = settings.load_settings(REQUIRED).allowed_redirect_uris
SIMULATOR_PATTERNS = settings.load_settings(
    {**REQUIRED, "ALLOWED_REDIRECT_URIS": r"http://127\.0\.0\.1:3000/simulator/callback"}
).allowed_redirect_uris
CALLBACK_PATH = re.compile(r"/aip/g-[A-Za-z0-9_-]+/oauth/callback")
gpt_ids = st.from_regex(r"g-[A-Za-z0-9_-]{1,40}", fullmatch=True)

# Each part of a callback URL, and what an attacker might put there instead.
SLOTS: tuple[tuple[str, ...], ...] = (
    ("https", "HTTPS", "http", "javascript", "data", "", "https:"),
    ("://", ":/", ":\\\\", ":///", "//", ":", ":\\/"),
    ("", "evil.example@", "chatgpt.com@", "127.0.0.1:3000@", "user:pass@", "@", "chatgpt.com%40", "evil%40"),
    (
        "chatgpt.com",
        "CHATGPT.COM",
        "chat.openai.com",
        "chatgpt.com.",
        "chatgpt.com.evil.example",
        "evilchatgpt.com",
        "evil.example",
        "chatgpt.com\\.evil.example",
        "[::1]",
        "chatgpt.com%2eevil.example",
        "chatgpt.com\u3002evil.example",
        "127.0.0.1",
        "127.0.0.1.evil.example",
        "localhost",
        "127.1",
    ),
    ("", ":443", ":", ":8443", ":abc", ":0443", ":3000", ":03000", ":3000@evil.example", ":30000"),
    (
        "/aip/g-AbCdEf123/oauth/callback",
        "/simulator/callback",
        "/",
        "",
        "//evil.example/aip/g-AbCdEf123/oauth/callback",
        "/aip/g-AbCdEf123/oauth/callback/..",
        "/aip/g-AbCdEf123/../../evil/oauth/callback",
        "/AIP/g-AbCdEf123/OAUTH/CALLBACK",
        "/simulator/callback/..",
        "/SIMULATOR/callback",
    ),
    ("", "?x=1", "?", "#x", "?next=https://evil.example/", "/evil", "%2f..%2fevil", "\\..\\evil"),
)
CHATGPT = ("https", "://", "", "chatgpt.com", "", "/aip/g-AbCdEf123/oauth/callback", "")
SIMULATOR = ("http", "://", "", "127.0.0.1", ":3000", "/simulator/callback", "")


def tricked(valid: tuple[str, ...]) -> list[str]:
    """Every URL made from ``valid`` by swapping one or two of its parts for another value of the slot."""
    uris = set()
    for i, j in combinations(range(len(SLOTS)), 2):
        for first, second in product(SLOTS[i], SLOTS[j]):
            parts = list(valid)
            parts[i], parts[j] = first, second
            uris.add("".join(parts))
    return sorted(uris)


def destination(uri: str) -> tuple[str | None, int | None, str]:
    """Host, port and path as urllib3 (a second, independent URL parser) reads the URI."""
    parsed = parse_url(uri)
    return (parsed.host.lower() if parsed.host else None), parsed.port, parsed.path or ""


def assert_leads_to(uri: str, scheme: str, hosts: set[str], port: int | None, path: re.Pattern[str]) -> None:
    """Both URL parsers agree the URI goes to that scheme, host, port and path, with nothing more."""
    parts = urlsplit(uri)
    assert parts.scheme.lower() == scheme and parts.hostname in hosts and parts.port == port, uri
    assert parts.username is None and not parts.query and not parts.fragment, uri
    host, parsed_port, parsed_path = destination(uri)
    assert host in hosts and parsed_port == port and path.fullmatch(parsed_path), uri
    assert not any(char in uri for char in "\\\t\n\r @#%"), uri
    # Adding our answer keeps the destination and carries the values back intact.
    answered = redirects.with_query(uri, {"code": "gac_x", "state": "a&b=c#d"})
    assert destination(answered) == (host, port, parsed_path)
    assert parse_qs(urlsplit(answered).query)["state"] == ["a&b=c#d"]


def assert_leads_to_chatgpt(uri: str) -> None:
    assert_leads_to(uri, "https", ALLOWED_HOSTS, None, CALLBACK_PATH)


def test_no_tricked_callback_leads_anywhere_but_chatgpt():
    # GIVEN every ChatGPT callback with one or two parts swapped for a trick
    uris = tricked(CHATGPT)
    # WHEN the default allowlist judges them
    allowed = [uri for uri in uris if redirects.refusal_reason(uri, DEFAULT_PATTERNS) is None]
    # THEN each one it allows leads to a ChatGPT callback, and the tricks are refused
    assert "https://chatgpt.com/aip/g-AbCdEf123/oauth/callback" in allowed
    assert 0 < len(allowed) < len(uris) // 20, allowed
    for uri in allowed:
        assert_leads_to_chatgpt(uri)


def test_a_pattern_with_a_port_allows_only_that_origin():
    # GIVEN the local simulator's callback, whose pattern names its port, tricked the same ways
    uris = tricked(SIMULATOR)
    allowed = [uri for uri in uris if redirects.refusal_reason(uri, SIMULATOR_PATTERNS) is None]
    # THEN only that origin and path pass
    assert "http://127.0.0.1:3000/simulator/callback" in allowed
    for uri in allowed:
        assert_leads_to(uri, "http", {"127.0.0.1"}, 3000, re.compile("/simulator/callback"))


hostile_chars = st.sampled_from([*"@\\/#?:%.[]\t\n\r ", "\x00", "\u3002", "\uff0e", "%2e", "%40", "//"])


@st.composite
def hostile_uris(draw: st.DrawFn) -> str:
    """A tricked ChatGPT callback with one to three hostile characters put anywhere in it."""
    uri = draw(st.sampled_from(tricked(CHATGPT)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(uri)))
        uri = uri[:at] + draw(hostile_chars) + uri[at:]
    return uri


@hypothesis_settings(max_examples=hypothesis_settings.default.max_examples * 5)  # cheap examples
@given(hostile_uris())
def test_an_allowed_redirect_uri_leads_only_to_chatgpt(uri):
    if redirects.refusal_reason(uri, DEFAULT_PATTERNS) is None:
        assert_leads_to_chatgpt(uri)


@given(gpt_ids, st.sampled_from(sorted(ALLOWED_HOSTS)))
def test_every_chatgpt_callback_is_allowed(gpt, host):
    uri = f"https://{host}/aip/{gpt}/oauth/callback"
    assert redirects.refusal_reason(uri, DEFAULT_PATTERNS) is None
    assert redirects.gpt_id(uri) == gpt
