"""The bad-input table: hostile and malformed requests to every route, with the answer each must get.

Each case is an HTTP request (method, path, raw query, headers, body bytes), so the same table
runs in-process as payload 2.0 events (``event_for``, built as a Function URL builds them) and
over HTTP against the local emulator. ``@ACCESS@``, ``@REFRESH@``, ``@CODE@`` and ``@PENDING@``
stand for a live access token, refresh token, authorization code and pending sign-in, made
fresh for each case (``Live.make``), so a case about a token of the wrong type uses a real one.

Every case must get its listed status, and ``answers.check_answer`` holds each answer to the
rules that apply to all: a 4xx with a clear error (or, for the authorization request, the
RFC 6749 4.1.2.1 redirect of the error to the GPT's own callback), never a 5xx, a stack trace,
markup or a header built from a hostile value, or a redirect anywhere else.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from gpt_auth.oauth import codes, sessions, sign_in_cookie
from gpt_auth.oauth.tokens import AUTHORIZATION_CODE, AUTHORIZATION_REQUEST, mint
from gpt_auth.runtime.settings import get_settings
from gpt_auth.runtime.web import MAX_BODY_CHARS as LIMIT
from localdev.lambda_env import ACTION, AUTHORIZATION, FORM, FUNCTION_MOUNTS, TOKEN, handler_module, with_body
from localdev.samples import SAMPLE_GPT_CALLBACK, SAMPLE_SETTINGS, SAMPLE_SIGN_IN_COOKIE
from localdev.seed import every_action_scope, seed_pending_request
from tests.support.events import load_event

GPT_CALLBACK = SAMPLE_GPT_CALLBACK
CLIENT_ID = SAMPLE_SETTINGS["GPT_CLIENT_ID"]
CLIENT_SECRET = SAMPLE_SETTINGS["GPT_CLIENT_SECRET"]
AUTH = f"client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
CB = quote(GPT_CALLBACK, safe="")
AUTHORIZE = f"response_type=code&client_id={CLIENT_ID}&redirect_uri={CB}&state=gpt-state-1&scope="
CODE_FORM = f"grant_type=authorization_code&code=@CODE@&redirect_uri={CB}&{AUTH}"
REFRESH_FORM = f"grant_type=refresh_token&refresh_token=@REFRESH@&{AUTH}"
TOKEN_LENGTH = len(mint(AUTHORIZATION_CODE))

SCRIPT = "<script>alert(1)</script>"
MARKUP = '"><img src=x onerror=alert(1)>'
CRLF = "\r\nSet-Cookie: pwned=1\r\n"

FUNCTIONS = {mount: handler_module(package) for mount, package in FUNCTION_MOUNTS.items()}
SAMPLE_EVENTS = {
    AUTHORIZATION: "google_authorization_authorize",
    TOKEN: "google_authentication_code_post",
    ACTION: "test_endpoint_valid",
}
OTHER_BROWSER = "gsc_" + "B" * 43


def sign_in_cookies(value: str) -> str:
    """A Cookie header carrying ``value`` under both names of the sign-in cookie: over https
    (in-process events) the handler reads the ``__Host-`` one, over the emulator's plain http the
    other. The browser of every case presents SAMPLE_SIGN_IN_COOKIE, which @PENDING@ is bound to."""
    return f"{sign_in_cookie.HTTPS_NAME}={value}; {sign_in_cookie.NAME}={value}"


DEFAULT_HEADERS: dict[str, dict[str, str]] = {
    AUTHORIZATION: {"cookie": sign_in_cookies(SAMPLE_SIGN_IN_COOKIE)},
    TOKEN: {"content-type": FORM},
    ACTION: {"content-type": "application/json", "authorization": "Bearer @ACCESS@"},
}


@dataclass(frozen=True)
class Case:
    """One request and the answer it must get.

    ``error`` is the JSON ``error`` code; for a 302 of googleAuthorization it is the ``error``
    the GPT's callback receives (None: the browser goes on to the provider).
    ``event_changes`` are set on the event in-process only: malformations HTTP cannot carry.
    """

    id: str
    function: str
    status: int
    error: str | None = None
    method: str = "POST"
    path: str = "/"
    query: str = ""
    headers: Mapping[str, str | None] = field(default_factory=dict)
    body: bytes = b""
    event_changes: Mapping[str, Any] | None = None

    def request_headers(self) -> dict[str, str]:
        merged = {**DEFAULT_HEADERS[self.function], **self.headers}
        return {name: value for name, value in merged.items() if value is not None}


@dataclass(frozen=True)
class Live:
    """Live values substituted for the placeholders of a case."""

    access: str
    refresh: str
    code: str
    pending: str

    @classmethod
    def make(cls) -> Live:
        config = get_settings()
        pair = sessions.create_session(
            user_id="user-1",
            client_id=config.gpt_client_id,
            scope=every_action_scope(),  # every refusal comes from the input, not the scope check
            lifetimes=sessions.Lifetimes.from_settings(config),
        )
        code = codes.issue_code(client_id=CLIENT_ID, redirect_uri=GPT_CALLBACK, user_id="user-1", scope="")
        pending_id = mint(AUTHORIZATION_REQUEST)
        seed_pending_request(pending_id, state="gpt-state-1")
        return cls(pair.access_token, pair.refresh_token, code, pending_id)

    def fill(self, text: str) -> str:
        for marker, value in self._values().items():
            text = text.replace(marker, value)
        return text

    def fill_bytes(self, data: bytes) -> bytes:
        for marker, value in self._values().items():
            data = data.replace(marker.encode(), value.encode())
        return data

    def _values(self) -> dict[str, str]:
        return {
            "@ACCESS@": self.access,
            "@REFRESH@": self.refresh,
            "@CODE@": self.code,
            "@PENDING@": self.pending,
        }


def event_for(case: Case, live: Live) -> dict[str, Any]:
    """The payload 2.0 event a Function URL builds for the case's request."""
    event = load_event(SAMPLE_EVENTS[case.function])
    headers = {
        "host": event["headers"]["host"],
        **{k: live.fill(v) for k, v in case.request_headers().items()},
    }
    body = live.fill_bytes(case.body)
    cookie_header = headers.pop("cookie", "")  # a Function URL moves Cookie into ``cookies``
    if cookie_header:
        event["cookies"] = [c.strip() for c in cookie_header.split(";") if c.strip()]
    event["headers"] = headers
    event["rawPath"] = case.path
    event["rawQueryString"] = live.fill(case.query)
    event["requestContext"]["http"]["method"] = case.method
    event["requestContext"]["http"]["path"] = case.path
    event.pop("body", None)
    event["isBase64Encoded"] = False
    if body:
        with_body(event, body, headers.get("content-type", ""))
    event.update(case.event_changes or {})
    return event


def _authorize(**changes: str | None) -> str:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": CB,
        "state": "gpt-state-1",
        "scope": "",
    }
    params.update(changes)
    return "&".join(f"{name}={value}" for name, value in params.items() if value is not None)


def _q(value: str) -> str:
    return quote(value, safe="")


def _gpt_callback(gpt_id: str) -> str:
    return f"https://chatgpt.com/aip/{gpt_id}/oauth/callback"


S256_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B


def _padded_form(total: int) -> bytes:
    """The code exchange padded to ``total`` bytes once its placeholder is filled in."""
    base = CODE_FORM + "&pad="
    filled = len(base) + (TOKEN_LENGTH - len("@CODE@")) * base.count("@CODE@")
    return (base + "x" * (total - filled)).encode()


def _padded_json(total: int) -> bytes:
    base = '{"name": "Ada", "pad": ""}'
    return (base[:-2] + "x" * (total - len(base)) + '"}').encode()


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


DEEP_JSON = b"[" * 40_000 + b"]" * 40_000
HUGE_NUMBER = b'{"name": ' + b"7" * 5000 + b"}"
OVER_LIMIT = b"x" * (LIMIT + 1)


def _authorization_cases() -> list[Case]:
    fn = AUTHORIZATION

    def page(id: str, status: int, error: str | None = None, **kwargs: Any) -> Case:
        return Case(f"authorize/{id}", fn, status, error, **{"method": "GET", **kwargs})

    def callback(id: str, status: int, error: str | None = None, **kwargs: Any) -> Case:
        return Case(f"callback/{id}", fn, status, error, **{"method": "GET", "path": "/callback", **kwargs})

    cases = [
        page("ok", 302, query=AUTHORIZE),
        page("missing client_id", 400, query=_authorize(client_id=None)),
        page("missing redirect_uri", 400, query=_authorize(redirect_uri=None)),
        page("missing response_type", 302, "invalid_request", query=_authorize(response_type=None)),
        page("missing state", 302, "invalid_request", query=_authorize(state=None)),
        page("no query at all", 400),
        page("empty client_id", 400, query=_authorize(client_id="")),
        page("empty redirect_uri", 400, query=_authorize(redirect_uri="")),
        page("empty response_type", 302, "invalid_request", query=_authorize(response_type="")),
        page("empty state", 302, "invalid_request", query=_authorize(state="")),
        page(
            "unsupported response_type",
            302,
            "unsupported_response_type",
            query=_authorize(response_type="token"),
        ),
        page("state of 512", 302, query=_authorize(state="s" * 512)),
        page("state of 513", 302, "invalid_request", query=_authorize(state="s" * 513)),
        page("scope of 512", 302, query=_authorize(scope="openid" + "+x" * 253)),
        page("scope of 513", 302, "invalid_request", query=_authorize(scope="x" * 513)),
        page(
            "scope granted nowhere", 302, "invalid_scope", query=_authorize(scope="admin+delete%3Aeverything")
        ),
        page("scope partly granted", 302, query=_authorize(scope="profile+admin")),
        page("scope with markup", 302, "invalid_scope", query=_authorize(scope=_q(SCRIPT))),
        page("GPT id of 64", 302, query=_authorize(redirect_uri=_q(_gpt_callback("g-" + "A" * 64)))),
        page("GPT id of 65", 400, query=_authorize(redirect_uri=_q(_gpt_callback("g-" + "A" * 65)))),
        page("GPT id of 8000", 400, query=_authorize(redirect_uri=_q(_gpt_callback("g-" + "A" * 8000)))),
        page(
            "PKCE S256", 302, query=AUTHORIZE + f"&code_challenge={S256_CHALLENGE}&code_challenge_method=S256"
        ),
        page(
            "PKCE plain",
            302,
            "invalid_request",
            query=AUTHORIZE + f"&code_challenge={S256_CHALLENGE}&code_challenge_method=plain",
        ),
        page(
            "PKCE without method",
            302,
            "invalid_request",
            query=AUTHORIZE + f"&code_challenge={S256_CHALLENGE}",
        ),
        page("PKCE method alone", 302, "invalid_request", query=AUTHORIZE + "&code_challenge_method=S256"),
        page(
            "PKCE challenge of 5000",
            302,
            "invalid_request",
            query=AUTHORIZE + "&code_challenge=" + "c" * 5000 + "&code_challenge_method=S256",
        ),
        page(
            "PKCE challenge with markup",
            302,
            "invalid_request",
            query=AUTHORIZE + "&code_challenge=" + _q(MARKUP) + "&code_challenge_method=S256",
        ),
        page("state of 100000", 302, "invalid_request", query=_authorize(state="s" * LIMIT)),
        page("client_id of 5000", 400, query=_authorize(client_id="c" * 5000)),
        page("redirect_uri of 5000", 400, query=_authorize(redirect_uri=CB + "x" * 5000)),
        page("bad percent-encoding in state", 302, query=_authorize(state="%zz%")),
        page("non-UTF-8 state", 400, query=_authorize(state="%ff%fe")),
        page("truncated UTF-8 in client_id", 400, query=_authorize(client_id="%E2%82")),
        page("truncated percent-encoding in redirect_uri", 400, query=_authorize(redirect_uri=CB[:-2])),
        page("state with CR LF", 302, query=_authorize(state=_q("s" + CRLF))),
        page("state with markup", 302, query=_authorize(state=_q(MARKUP))),
        page(
            "state with markup, error echoed",
            302,
            "invalid_request",
            query=_authorize(state=_q(SCRIPT), response_type=None),
        ),
        page(
            "state with CR LF, error echoed",
            302,
            "invalid_request",
            query=_authorize(state=_q(CRLF), response_type=None),
        ),
        page("state javascript:", 302, query=_authorize(state="javascript:alert(1)")),
        page("client_id with markup", 400, query=_authorize(client_id=_q(SCRIPT))),
        page("wrong method POST", 405, method="POST", query=AUTHORIZE),
        page("wrong method PUT", 405, method="PUT", query=AUTHORIZE),
        page("wrong method DELETE", 405, method="DELETE", query=AUTHORIZE),
        page("wrong method PATCH", 405, method="PATCH", query=AUTHORIZE),
        page("unknown path", 404, path="/admin"),
        page("unknown path with markup", 404, path="/%3Cscript%3E"),
    ]
    for name in ("response_type", "client_id", "redirect_uri", "state", "scope"):
        cases.append(page(f"duplicated {name}", 400, query=AUTHORIZE + f"&{name}=x"))
    hostile_redirects = {
        "CR LF": GPT_CALLBACK + CRLF,
        "encoded CR LF in its query": GPT_CALLBACK + "?x=%0d%0aSet-Cookie:%20pwned=1",
        "javascript:": "javascript:alert(1)//chatgpt.com/aip/g-AbCdEf123/oauth/callback",
        "javascript: with an allowed look": "javascript://chatgpt.com/aip/g-AbCdEf123/oauth/callback%0aalert(1)",
        "data:": "data:text/html,<script>alert(1)</script>",
        "look-alike host": "https://chatgpt.com.evil.example/aip/g-AbCdEf123/oauth/callback",
        "look-alike prefix": "https://evilchatgpt.com/aip/g-AbCdEf123/oauth/callback",
        "userinfo": "https://chatgpt.com@evil.example/aip/g-AbCdEf123/oauth/callback",
        "userinfo with password": "https://chatgpt.com:443@evil.example/aip/g-AbCdEf123/oauth/callback",
        "encoded @": "https://chatgpt.com%40evil.example/aip/g-AbCdEf123/oauth/callback",
        "backslash userinfo": "https://chatgpt.com\\@evil.example/aip/g-AbCdEf123/oauth/callback",
        "backslash host": "https://evil.example\\.chatgpt.com/aip/g-AbCdEf123/oauth/callback",
        "extra path segment": GPT_CALLBACK + "/evil",
        "dot segments": "https://chatgpt.com/aip/g-AbCdEf123/oauth/callback/../../../evil",
        "dot segment inside": "https://chatgpt.com/aip/g-AbCdEf123/../g-other/oauth/callback",
        "query with another URL": GPT_CALLBACK + "?next=https://evil.example/",
        "fragment": GPT_CALLBACK + "#https://evil.example/",
        "scheme-relative": "//evil.example/aip/g-AbCdEf123/oauth/callback",
        "no scheme": "chatgpt.com/aip/g-AbCdEf123/oauth/callback",
        "http": "http://chatgpt.com/aip/g-AbCdEf123/oauth/callback",
        "port": "https://chatgpt.com:8443/aip/g-AbCdEf123/oauth/callback",
        "empty port": "https://chatgpt.com:/aip/g-AbCdEf123/oauth/callback",
        "trailing dot host": "https://chatgpt.com./aip/g-AbCdEf123/oauth/callback",
        "homoglyph host": "https://chatg\u0440t.com/aip/g-AbCdEf123/oauth/callback",  # Cyrillic er
        "punycode host": "https://xn--chatgt-5ye.com/aip/g-AbCdEf123/oauth/callback",
        "tab in host": "https://chatgpt.com\t.evil.example/aip/g-AbCdEf123/oauth/callback",
        "markup": "https://chatgpt.com/aip/g-1/oauth/callback?" + MARKUP,
        "unbalanced bracket": "https://[chatgpt.com/aip/g-AbCdEf123/oauth/callback",
    }
    for name, uri in hostile_redirects.items():
        cases.append(page(f"redirect_uri {name}", 400, query=_authorize(redirect_uri=_q(uri))))

    cases += [
        callback("missing state", 400, query="code=provider-code"),
        callback("empty state", 400, query="code=provider-code&state="),
        callback("no query", 400),
        callback("unknown state", 400, query="code=c&state=gar_" + "A" * 43),
        callback("state of another type", 400, query="code=c&state=@CODE@"),
        callback("missing code", 400, query="state=@PENDING@"),
        callback("empty code", 400, query="code=&state=@PENDING@"),
        callback("duplicated state", 400, query="code=c&state=@PENDING@&state=@PENDING@"),
        callback("duplicated code", 400, query="code=c&code=d&state=@PENDING@"),
        callback("state of 100000", 400, query="code=c&state=" + "s" * LIMIT),
        callback("non-UTF-8 state", 400, query="code=c&state=%ff"),
        callback("provider error with markup", 400, query="error=" + _q(SCRIPT) + "&state=x"),
        callback(
            "provider error, live sign-in",
            302,
            "access_denied",
            query="error=" + _q(MARKUP) + "&state=@PENDING@",
        ),
        callback("wrong method POST", 405, method="POST", query="code=c&state=@PENDING@"),
        callback("no sign-in cookie", 400, query="code=c&state=@PENDING@", headers={"cookie": None}),
        callback(
            "another browser's sign-in cookie",
            400,
            query="code=c&state=@PENDING@",
            headers={"cookie": sign_in_cookies(OTHER_BROWSER)},
        ),
        callback(
            "sign-in cookie with markup",
            400,
            query="code=c&state=@PENDING@",
            headers={"cookie": sign_in_cookies(_q(SCRIPT))},
        ),
        callback(
            "sign-in cookie of 4000",
            400,
            query="code=c&state=@PENDING@",
            headers={"cookie": sign_in_cookies("gsc_" + "A" * 4000)},
        ),
        callback(
            "provider error, no sign-in cookie",
            400,
            query="error=access_denied&state=@PENDING@",
            headers={"cookie": None},
        ),
    ]
    return cases


def _token_cases() -> list[Case]:
    fn = TOKEN
    form = "application/x-www-form-urlencoded"

    def token(id: str, status: int, error: str | None, body: str | bytes, **kwargs: Any) -> Case:
        return Case(
            f"token/{id}", fn, status, error, body=body.encode() if isinstance(body, str) else body, **kwargs
        )

    json_type = {"headers": {"content-type": "application/json"}}
    cases = [
        token("ok", 200, None, CODE_FORM),
        token("ok refresh", 200, None, REFRESH_FORM),
        token("missing grant_type", 400, "invalid_request", f"code=@CODE@&redirect_uri={CB}&{AUTH}"),
        token(
            "missing code", 400, "invalid_request", f"grant_type=authorization_code&redirect_uri={CB}&{AUTH}"
        ),
        token(
            "missing redirect_uri",
            400,
            "invalid_request",
            f"grant_type=authorization_code&code=@CODE@&{AUTH}",
        ),
        token("missing refresh_token", 400, "invalid_request", f"grant_type=refresh_token&{AUTH}"),
        token("missing client authentication", 401, "invalid_client", CODE_FORM.replace(f"&{AUTH}", "")),
        token("missing client_id", 400, "invalid_request", CODE_FORM.replace(f"client_id={CLIENT_ID}&", "")),
        token("empty body", 401, "invalid_client", b""),
        token(
            "empty grant_type",
            400,
            "invalid_request",
            CODE_FORM.replace("grant_type=authorization_code", "grant_type="),
        ),
        token("empty code", 400, "invalid_request", CODE_FORM.replace("code=@CODE@", "code=")),
        token(
            "empty refresh_token",
            400,
            "invalid_request",
            REFRESH_FORM.replace("refresh_token=@REFRESH@", "refresh_token="),
        ),
        token(
            "empty client_secret",
            401,
            "invalid_client",
            CODE_FORM.replace(f"client_secret={CLIENT_SECRET}", "client_secret="),
        ),
        token("only separators", 400, "invalid_request", "&&&=&="),
        token("duplicated grant_type", 400, "invalid_request", CODE_FORM + "&grant_type=refresh_token"),
        token("duplicated code", 400, "invalid_request", CODE_FORM + "&code=@CODE@"),
        token("duplicated client_secret", 400, "invalid_request", CODE_FORM + "&client_secret=other"),
        token("duplicated refresh_token", 400, "invalid_request", REFRESH_FORM + "&refresh_token=@REFRESH@"),
        token("duplicated name with quotes", 400, "invalid_request", CODE_FORM + '&a"b\\=1&a"b\\=2'),
        token("code of 5000", 400, "invalid_grant", CODE_FORM.replace("@CODE@", "gac_" + "A" * 5000)),
        token(
            "code_verifier for a code without challenge",
            400,
            "invalid_grant",
            CODE_FORM + "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ),
        token("code_verifier too short", 400, "invalid_request", CODE_FORM + "&code_verifier=abc"),
        token("code_verifier of 5000", 400, "invalid_request", CODE_FORM + "&code_verifier=" + "v" * 5000),
        token(
            "code_verifier with markup", 400, "invalid_request", CODE_FORM + "&code_verifier=" + _q(MARKUP)
        ),
        token(
            "refresh_token of 5000",
            400,
            "invalid_grant",
            REFRESH_FORM.replace("@REFRESH@", "grt_" + "A" * 5000),
        ),
        token(
            "grant_type of 5000",
            400,
            "unsupported_grant_type",
            CODE_FORM.replace("authorization_code", "g" * 5000),
        ),
        token("client_secret of 5000", 401, "invalid_client", CODE_FORM.replace(CLIENT_SECRET, "s" * 5000)),
        token(
            "client_id of 5000",
            401,
            "invalid_client",
            CODE_FORM.replace(f"client_id={CLIENT_ID}", "client_id=" + "c" * 5000),
        ),
        token("redirect_uri of 50000", 400, "invalid_grant", CODE_FORM.replace(CB, CB + "x" * 50_000)),
        token("bad percent-encoding", 400, "invalid_grant", CODE_FORM.replace("@CODE@", "%zz%")),
        token("non-UTF-8 percent-encoding", 400, "invalid_request", CODE_FORM + "&x=%ff%fe"),
        token("truncated UTF-8 percent-encoding", 400, "invalid_request", CODE_FORM + "&x=%E2%82"),
        token("non-UTF-8 bytes", 400, "invalid_request", CODE_FORM.encode() + b"&x=\xff\xfe"),
        token("NUL bytes", 400, "invalid_grant", CODE_FORM.replace("@CODE@", "gac_\x00\x00")),
        token(
            "redirect_uri with CR LF", 400, "invalid_grant", CODE_FORM.replace(CB, _q(GPT_CALLBACK + CRLF))
        ),
        token("text/plain", 400, "invalid_request", CODE_FORM, headers={"content-type": "text/plain"}),
        token(
            "multipart",
            400,
            "invalid_request",
            CODE_FORM,
            headers={"content-type": "multipart/form-data; boundary=x"},
        ),
        token(
            "content type with markup",
            400,
            "invalid_request",
            CODE_FORM,
            headers={"content-type": "text/html" + MARKUP},
        ),
        token("no content type", 200, None, CODE_FORM, headers={"content-type": None}),
        token(
            "latin-1 charset",
            400,
            "invalid_request",
            CODE_FORM.encode() + b"&name=\xe9",
            headers={"content-type": form + "; charset=iso-8859-1"},
        ),
        token(
            "JSON ok",
            200,
            None,
            _json(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": "@REFRESH@",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                }
            ),
            **json_type,
        ),
        token("JSON unterminated", 400, "invalid_request", b'{"grant_type": "refresh_token"', **json_type),
        token("JSON array", 400, "invalid_request", b'["grant_type"]', **json_type),
        token("JSON number value", 400, "invalid_request", b'{"grant_type": 1}', **json_type),
        token("JSON nested too deeply", 400, "invalid_request", DEEP_JSON, **json_type),
        token("JSON huge number", 400, "invalid_request", HUGE_NUMBER, **json_type),
        token(
            "JSON duplicated key",
            400,
            "invalid_request",
            (
                '{"grant_type": "refresh_token", "refresh_token": "@REFRESH@", "client_id": "'
                + CLIENT_ID
                + '", "client_secret": "x", "client_secret": "'
                + CLIENT_SECRET
                + '"}'
            ).encode(),
            **json_type,
        ),
        token(
            "JSON lone surrogate secret",
            401,
            "invalid_client",
            (
                '{"grant_type": "refresh_token", "refresh_token": "@REFRESH@", "client_id": "'
                + CLIENT_ID
                + '", "client_secret": "\\ud800"}'
            ).encode(),
            **json_type,
        ),
        token("JSON non-UTF-8", 400, "invalid_request", b'{"grant_type": "\xff"}', **json_type),
        token("JSON NaN", 400, "invalid_request", b'{"grant_type": NaN}', **json_type),
        token("Basic ok", 200, None, CODE_FORM.replace(f"&{AUTH}", ""), headers={"authorization": BASIC}),
        token(
            "Basic not base64",
            401,
            "invalid_client",
            CODE_FORM.replace(f"&{AUTH}", ""),
            headers={"authorization": "Basic @@@"},
        ),
        token(
            "Basic non-UTF-8",
            401,
            "invalid_client",
            CODE_FORM.replace(f"&{AUTH}", ""),
            headers={"authorization": "Basic " + base64.b64encode(b"\xff:\xfe").decode()},
        ),
        token(
            "Basic without colon",
            401,
            "invalid_client",
            CODE_FORM.replace(f"&{AUTH}", ""),
            headers={"authorization": "Basic " + base64.b64encode(CLIENT_ID.encode()).decode()},
        ),
        token(
            "Basic wrong secret",
            401,
            "invalid_client",
            CODE_FORM.replace(f"&{AUTH}", ""),
            headers={"authorization": "Basic " + base64.b64encode(f"{CLIENT_ID}:nope".encode()).decode()},
        ),
        token("Basic and client_secret", 400, "invalid_request", CODE_FORM, headers={"authorization": BASIC}),
        token(
            "Bearer as client authentication",
            401,
            "invalid_client",
            CODE_FORM.replace(f"&{AUTH}", ""),
            headers={"authorization": "Bearer @ACCESS@"},
        ),
        token("body of 99999", 200, None, _padded_form(LIMIT - 1)),
        token("body of 100000", 200, None, _padded_form(LIMIT)),
        token("body of 100001", 413, "invalid_request", _padded_form(LIMIT + 1)),
        token("body of 1000000", 413, "invalid_request", b"x" * 1_000_000),
        token(
            "malformed base64 event",
            400,
            "invalid_request",
            CODE_FORM,
            event_changes={"body": "@@@", "isBase64Encoded": True},
        ),
        token(
            "base64 event with line breaks",
            400,
            "invalid_request",
            CODE_FORM,
            event_changes={"body": "Z3Jh\nbnQ=", "isBase64Encoded": True},
        ),
        token(
            "body that is not text",
            400,
            "invalid_request",
            CODE_FORM,
            event_changes={"body": 12345, "isBase64Encoded": False},
        ),
        token("access token as code", 400, "invalid_grant", CODE_FORM.replace("@CODE@", "@ACCESS@")),
        token("refresh token as code", 400, "invalid_grant", CODE_FORM.replace("@CODE@", "@REFRESH@")),
        token(
            "access token as refresh token",
            400,
            "invalid_grant",
            REFRESH_FORM.replace("@REFRESH@", "@ACCESS@"),
        ),
        token("code as refresh token", 400, "invalid_grant", REFRESH_FORM.replace("@REFRESH@", "@CODE@")),
        token("pending sign-in as code", 400, "invalid_grant", CODE_FORM.replace("@CODE@", "@PENDING@")),
        token(
            "provider token as refresh token",
            400,
            "invalid_grant",
            REFRESH_FORM.replace("@REFRESH@", "1//0g-provider-refresh"),
        ),
        token(
            "unknown grant_type with markup",
            400,
            "unsupported_grant_type",
            CODE_FORM.replace("authorization_code", _q(SCRIPT)),
        ),
    ]
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        cases.append(token(f"wrong method {method}", 405, "method_not_allowed", b"", method=method))
    cases.append(token("unknown path", 404, "not_found", CODE_FORM, path="/token"))
    cases.append(token("unknown path with quotes", 404, "not_found", CODE_FORM, path='/a"b\\c'))
    return cases


def _action_cases() -> list[Case]:
    fn = ACTION
    hello = b'{"name": "Ada"}'

    def action(id: str, status: int, error: str | None, body: bytes = hello, **kwargs: Any) -> Case:
        return Case(f"action/{id}", fn, status, error, body=body, **kwargs)

    def bearer(value: str) -> dict[str, Any]:
        return {"headers": {"authorization": value}}

    cases = [
        action("ok", 200, None),
        action("no Authorization", 401, "invalid_token", headers={"authorization": None}),
        action("empty Bearer", 401, "invalid_token", **bearer("Bearer ")),
        action("Basic instead of Bearer", 401, "invalid_token", **bearer(BASIC)),
        action("refresh token as Bearer", 401, "invalid_token", **bearer("Bearer @REFRESH@")),
        action("code as Bearer", 401, "invalid_token", **bearer("Bearer @CODE@")),
        action("pending sign-in as Bearer", 401, "invalid_token", **bearer("Bearer @PENDING@")),
        action("client secret as Bearer", 401, "invalid_token", **bearer(f"Bearer {CLIENT_SECRET}")),
        action("token of 5000", 401, "invalid_token", **bearer("Bearer gat_" + "A" * 5000)),
        action("token and more", 401, "invalid_token", **bearer("Bearer @ACCESS@ extra")),
        action(
            "duplicated Authorization", 401, "invalid_token", **bearer("Bearer @ACCESS@, Bearer @ACCESS@")
        ),
        action("non-ASCII token", 401, "invalid_token", **bearer("Bearer gat_" + "é" * 43)),
        action("token with markup", 401, "invalid_token", **bearer("Bearer " + MARKUP)),
        action("no body", 400, "invalid_request", b""),
        action("empty object", 400, "invalid_request", b"{}"),
        action("empty name", 400, "invalid_request", b'{"name": ""}'),
        action("name not a string", 400, "invalid_request", b'{"name": 5}'),
        action("name of 201", 400, "invalid_request", _json({"name": "a" * 201})),
        action("name of 99000", 400, "invalid_request", _json({"name": "a" * 99_000})),
        action("duplicated name", 400, "invalid_request", b'{"name": "Ada", "name": "Eve"}'),
        action("unterminated JSON", 400, "invalid_request", b'{"name": "Ada"'),
        action("JSON nested too deeply", 400, "invalid_request", DEEP_JSON),
        action("JSON huge number", 400, "invalid_request", HUGE_NUMBER),
        action("JSON NaN", 400, "invalid_request", b'{"name": NaN}'),
        action("non-UTF-8 JSON", 400, "invalid_request", b'{"name": "\xff\xfe"}'),
        action(
            "UTF-16 JSON",
            400,
            "invalid_request",
            '{"name": "Ada"}'.encode("utf-16"),
            headers={"content-type": "application/json; charset=utf-16"},
        ),
        action("text/plain", 415, "invalid_request", headers={"content-type": "text/plain"}),
        action(
            "form body",
            415,
            "invalid_request",
            b"name=Ada",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        action(
            "content type with markup", 415, "invalid_request", headers={"content-type": "text/x" + MARKUP}
        ),
        action("body of 99999", 200, None, _padded_json(LIMIT - 1)),
        action("body of 100000", 200, None, _padded_json(LIMIT)),
        action("body of 100001", 413, "invalid_request", _padded_json(LIMIT + 1)),
        action("body of 1000000", 413, "invalid_request", b"x" * 1_000_000),
        action(
            "malformed base64 event",
            400,
            "invalid_request",
            event_changes={"body": "e30=!", "isBase64Encoded": True},
        ),
        action("unknown path", 404, "not_found", path="/admin"),
        action("unknown path with markup", 404, "not_found", path="/%3Cscript%3E"),
    ]
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        cases.append(action(f"wrong method {method}", 405, "method_not_allowed", b"", method=method))
    return cases + _events_cases()


def _events_cases() -> list[Case]:
    """listUpcomingEvents (GET /events): every refusal that comes before Google is asked."""

    def events(id: str, status: int, error: str | None, query: str, **kwargs: Any) -> Case:
        kwargs.setdefault("method", "GET")
        return Case(f"events/{id}", "testEndpoint", status, error, path="/events", query=query, **kwargs)

    cursor = base64.urlsafe_b64encode(b'{"v":1,"a":"2026-12-01T00:00:00Z"}').decode().rstrip("=")
    return [
        events("no Authorization", 401, "invalid_token", "days=7", headers={"authorization": None}),
        events("days with markup", 400, "invalid_request", "days=" + _q(SCRIPT)),
        events("days of 100000 digits", 400, "invalid_request", "days=" + "9" * 100_000),
        events("days negative", 400, "invalid_request", "days=-1"),
        events("days repeated", 400, "invalid_request", "days=1&days=2"),
        events("days not UTF-8", 400, "invalid_request", "days=%FF"),
        events("page with markup", 400, "invalid_request", "page=" + _q(MARKUP)),
        events("page with CRLF", 400, "invalid_request", "page=" + _q(CRLF)),
        events("page of 5000", 400, "invalid_request", "page=" + "A" * 5000),
        events("page a URL", 400, "invalid_request", "page=" + _q("https://evil.example/x")),
        events("page missing fields", 400, "invalid_request", "page=" + cursor),
        events("wrong method POST", 405, "method_not_allowed", "days=7", method="POST", body=b"{}"),
    ]


CASES: list[Case] = [*_authorization_cases(), *_token_cases(), *_action_cases()]
