"""What every answer to a bad request must hold, whichever route and however it was sent."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from localdev.lambda_env import ACTION, AUTHORIZATION
from tests.reliability.cases import GPT_CALLBACK, Case

# RFC 6749 5.2: error_description is %x20-21 / %x23-5B / %x5D-7E, and we never echo markup.
DESCRIPTION = re.compile(r"[\x20\x21\x23-\x3b\x3d\x3f-\x5b\x5d-\x7e]+")
HEADER_VALUE = re.compile(r"[\x20-\x7e]*")
# The only elements our HTML pages are made of (gpt_auth.runtime.web.html_response and error_page).
PAGE_TAGS = {
    "!doctype",
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "main",
    "h1",
    "p",
    "dl",
    "dt",
    "dd",
    "code",
    "small",
}
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\bat 0x[0-9a-f]+")
PROVIDER_HOSTS = {"accounts.google.com"}
# The one cookie any answer may set: the sign-in cookie of GET / (gpt_auth.oauth.sign_in_cookie).
SIGN_IN_SET_COOKIE = re.compile(
    r"(__Host-)?gpt_auth_signin=gsc_[A-Za-z0-9_-]{43}; Path=/; Max-Age=600; HttpOnly(; Secure)?; SameSite=Lax"
)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, from a handler's result or from the emulator. Header names in lower case."""

    status: int
    headers: dict[str, str]
    body: str

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> Answer:
        headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        if result.get("cookies"):  # one Set-Cookie each, as a Function URL sends them
            headers["set-cookie"] = ", ".join(str(cookie) for cookie in result["cookies"])
        return cls(result["statusCode"], headers, result.get("body") or "")

    def json(self) -> Any:
        return json.loads(self.body)


def check_answer(case: Case, answer: Answer) -> None:
    """Assert the case's expected answer and the rules every answer keeps."""
    assert answer.status == case.status, (
        f"{case.id}: expected {case.status}, got {answer.status}: {answer.body[:300]}"
    )
    assert answer.status < 500, case.id
    for name, value in answer.headers.items():
        assert HEADER_VALUE.fullmatch(value), f"{case.id}: header {name} carries {value!r}"
    if "set-cookie" in answer.headers:
        assert case.function == "googleAuthorization" and case.path == "/", f"{case.id}: sets a cookie"
        assert SIGN_IN_SET_COOKIE.fullmatch(answer.headers["set-cookie"]), f"{case.id}: sets a cookie"
    assert not TRACEBACK.search(answer.body), f"{case.id}: a stack trace in {answer.body[:300]!r}"
    if answer.status in (301, 302, 303, 307, 308):
        _check_redirect(case, answer.headers["location"])
        return
    assert "location" not in answer.headers, f"{case.id}: a {answer.status} that redirects"
    content_type = answer.headers.get("content-type", "")
    if case.function == AUTHORIZATION:
        assert content_type.startswith("text/html"), f"{case.id}: {content_type}"
        _check_page(case, answer.body)
    elif answer.status >= 400:
        assert content_type == "application/json", f"{case.id}: {content_type}"
        _check_json_error(case, answer)
    else:
        assert answer.headers.get("cache-control") == "no-store", case.id
    assert answer.headers.get("x-content-type-options") == "nosniff", case.id


def _check_redirect(case: Case, location: str) -> None:
    parts = urlsplit(location)
    query = parse_qs(parts.query, keep_blank_values=True)
    if case.error is None:
        assert parts.scheme == "https" and parts.hostname in PROVIDER_HOSTS, f"{case.id}: to {location[:200]}"
        assert "error" not in query, case.id
        return
    # RFC 6749 4.1.2.1: with a valid client and redirect URI, errors go back to the GPT's callback.
    assert location.startswith(GPT_CALLBACK + "?"), f"{case.id}: to {location[:200]}"
    assert query["error"] == [case.error], f"{case.id}: {query}"
    assert "code" not in query, case.id
    for description in query.get("error_description", []):
        assert DESCRIPTION.fullmatch(description), f"{case.id}: {description!r}"


def _check_page(case: Case, body: str) -> None:
    tags = {match.lower() for match in re.findall(r"<\s*/?\s*([!A-Za-z][^\s/>]*)", body)}
    assert tags <= PAGE_TAGS, f"{case.id}: the page carries markup it did not make: {tags - PAGE_TAGS}"
    assert f"HTTP {case.status}" in body, f"{case.id}: the page does not say its status"


def _check_json_error(case: Case, answer: Answer) -> None:
    payload = answer.json()
    assert set(payload) == {"error", "error_description"}, f"{case.id}: {payload}"
    if case.error is not None:
        assert payload["error"] == case.error, f"{case.id}: {payload}"
    assert DESCRIPTION.fullmatch(payload["error_description"]), f"{case.id}: {payload['error_description']!r}"
    if answer.status == 401 and case.function == ACTION:
        sent = case.request_headers().get("authorization", "")
        if sent.split(" ", 1)[0].lower() != "bearer":  # RFC 6750 3.1: no token, no error named
            assert answer.headers["www-authenticate"] == 'Bearer realm="gpt-google-auth"', case.id
        else:
            assert answer.headers["www-authenticate"].startswith('Bearer error="invalid_token"'), case.id
    if answer.status == 405:
        assert answer.headers["allow"], case.id
