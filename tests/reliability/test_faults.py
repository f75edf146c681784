"""Faults: the store unreachable, hanging or restarted; the provider down, slow or lying; bad settings.

Every fault must end in a fast, clear answer (503 for the store, 502 for the provider, 500 naming
the setting), well inside the 15 s function timeout of template.yaml, and leave nothing
half-written in the store.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from functions.google_authentication import app as token_app
from functions.google_authorization import app as authorization_app
from functions.test_endpoint import app as action_app
from gpt_auth.google import provider
from gpt_auth.oauth import codes, pending, sessions, users
from gpt_auth.runtime import db
from localdev.lambda_env import ACTION, AUTHORIZATION, FUNCTION_TIMEOUT, TOKEN, FakeLambdaContext
from localdev.nx_server import NxServer, free_port
from tests.reliability.flows import (
    action_event,
    callback_event,
    location_query,
    sign_in,
    start_sign_in,
    store_routes,
    token_call,
    token_event,
)
from tests.reliability.network import FreezableProxy
from tests.reliability.provider_faults import PROVIDER_FAULTS
from tests.support.events import load_event
from tests.support.fake_idp import FakeIdp
from tests.support.token_requests import refresh

# gpt_auth.runtime.db: server selection gives up after 2 s; a connection that goes silent mid-request
# after 3 s, and then the one retry pymongo makes waits for server selection again.
UNREACHABLE_WITHIN = 4  # seconds
_OPTIONS_S = {name: ms / 1000 for name, ms in db.CLIENT_OPTIONS.items() if name.endswith("MS")}
# A hang: the socket timeout, the retry's server selection and socket timeout, plus the wait for one
# of the pooled connections that the routes, run side by side in this one process, share.
HANGING_WITHIN = (
    2 * _OPTIONS_S["socketTimeoutMS"]
    + _OPTIONS_S["serverSelectionTimeoutMS"]
    + _OPTIONS_S["waitQueueTimeoutMS"]
)
assert HANGING_WITHIN < FUNCTION_TIMEOUT - 3, "a hanging store must answer well inside the function timeout"
WELL_FORMED = {
    "code": "gac_" + "C" * 43,
    "refresh": "grt_" + "F" * 22 + "." + "R" * 43,
    "access": "gat_" + "A" * 43,
}


def all_at_once(routes: dict[str, Callable[[], dict[str, Any]]]) -> dict[str, tuple[dict[str, Any], float]]:
    """Each route's answer and its duration, the routes running side by side as separate functions do."""
    answers: dict[str, tuple[dict[str, Any], float]] = {}

    def run(name: str, call: Callable[[], dict[str, Any]]) -> None:
        started = time.monotonic()
        result = call()
        answers[name] = (result, time.monotonic() - started)

    threads = [threading.Thread(target=run, args=item) for item in routes.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=FUNCTION_TIMEOUT * 2)
    assert set(answers) == set(routes), "a route never answered"
    return answers


def assert_store_unavailable(
    name: str, result: dict[str, Any], seconds: float, within: float = UNREACHABLE_WITHIN
) -> None:
    """A 503 well inside the function timeout: a page for the browser routes, RFC 6749 JSON for the rest."""
    assert result["statusCode"] == 503, (name, result["body"][:300])
    assert seconds < within, (name, seconds)
    if name in ("authorize", "callback"):
        assert result["headers"]["Content-Type"].startswith("text/html"), name
        assert "session store is unreachable" in result["body"], name
    else:
        assert json.loads(result["body"])["error"] == "temporarily_unavailable", name
    assert "Traceback" not in result["body"]


def use_store(configure: Callable[..., None], uri: str, database: str = "faults") -> None:
    configure(MONGODB_URI=uri, MONGODB_DATABASE=database)
    # Created now, not lazily by whichever of all_at_once's threads comes first (a Lambda
    # container runs one request at a time, so the product needs no lock for this).
    db._client = db._new_client(uri)


# --- the session store ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["closed port", "black hole"])
def test_an_unreachable_store_is_a_fast_503_on_every_route(kind, request, configure):
    # GIVEN a store URI on a closed port, or on a port that accepts and never answers
    port = free_port() if kind == "closed port" else request.getfixturevalue("black_hole")
    use_store(configure, f"mongodb://127.0.0.1:{port}/?directConnection=true")
    # WHEN every route that needs the store is called
    answers = all_at_once(store_routes(WELL_FORMED))
    # THEN each answers 503 within a few seconds
    for name, (result, seconds) in answers.items():
        assert_store_unavailable(name, result, seconds)


@pytest.mark.nx
def test_a_store_hanging_mid_flow_is_a_fast_503_and_recovers(nx_server, fake_idp, configure):
    # GIVEN a signed-in client, its connections to the store open (through a proxy that can freeze)
    with FreezableProxy(nx_server.port) as proxy:
        use_store(configure, f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true", "hanging")
        tokens = signed_in_tokens(fake_idp)
        # WHEN the store stops answering on those connections, and every route is called
        proxy.freeze()
        answers = all_at_once(store_routes(tokens))
        # THEN each answers 503 within a few seconds
        for name, (result, seconds) in answers.items():
            assert_store_unavailable(name, result, seconds, HANGING_WITHIN)
        # AND once the store answers again, the same container serves the same session
        proxy.thaw()
        assert_session_works(tokens)


def signed_in_tokens(idp: FakeIdp) -> dict[str, str]:
    """A whole sign-in and code exchange: live access and refresh tokens, and a fresh code."""
    status, body, _ = token_call({"grant_type": "authorization_code", "code": sign_in(idp)["code"]})
    assert status == 200, body
    return {"access": body["access_token"], "refresh": body["refresh_token"], "code": sign_in(idp)["code"]}


def assert_session_works(tokens: dict[str, str]) -> dict[str, str]:
    """The access token calls the action and the refresh token rotates; returns the new pair."""
    answer = action_app.lambda_handler(action_event(tokens["access"]), FakeLambdaContext())
    assert (answer["statusCode"], answer["body"]) == (200, "Hello Ada"), answer["body"]
    status, pair = refresh(tokens["refresh"])
    assert status == 200, pair
    return {"access": pair["access_token"], "refresh": pair["refresh_token"]}


@pytest.mark.nx
def test_a_store_restarted_mid_flow_loses_nothing(fake_idp, configure):
    with NxServer(persistent=True) as server:
        # GIVEN a signed-in client, and a second sign-in waiting at the provider
        use_store(configure, server.uri, "restart")
        tokens = signed_in_tokens(fake_idp)
        waiting = start_sign_in(fake_idp)
        client = db._client
        # WHEN the database server dies
        server.stop()
        answers = all_at_once(store_routes(tokens))
        # THEN every route answers 503 while it is down
        for name, (result, seconds) in answers.items():
            assert_store_unavailable(name, result, seconds)
        # AND once it is back on the same port, the same container (same client) serves everything:
        server.start()
        session = assert_session_works(tokens)
        assert db._client is client
        # the code issued before the crash still redeems, once
        status, body, _ = token_call({"grant_type": "authorization_code", "code": tokens["code"]})
        assert status == 200, body
        # and the sign-in started before the crash completes
        finished = authorization_app.lambda_handler(
            callback_event(code="provider-code", state=waiting["state"]), FakeLambdaContext()
        )
        assert finished["statusCode"] == 302, finished["body"]
        status, body, _ = token_call(
            {"grant_type": "authorization_code", "code": location_query(finished)["code"]}
        )
        assert status == 200, body
        assert_session_works(session)


# --- the identity provider -----------------------------------------------------------------------


def assert_nothing_half_written() -> None:
    """The pending sign-in is spent, and no user, code or session came of it."""
    for name in (pending.COLLECTION, codes.COLLECTION, users.COLLECTION, sessions.COLLECTION):
        assert db.collection(name).count_documents({}) == 0, name


def assert_provider_failure_page(result: dict[str, Any], reason: str) -> None:
    assert result["statusCode"] == 502, result["body"][:300]
    assert result["headers"]["Content-Type"].startswith("text/html")
    assert "Location" not in result["headers"]
    assert reason in result["body"].replace("&#x27;", "'"), result["body"]
    assert (
        "Start the sign-in again from ChatGPT" in result["body"] or "Try signing in again" in result["body"]
    )


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the HS256 forgery
@pytest.mark.parametrize("fault", sorted(PROVIDER_FAULTS))
def test_a_failing_or_lying_provider_is_a_502_and_leaves_nothing(fault, fake_idp, http_mock, store):
    # GIVEN a sign-in started at a provider that then fails or sends something we must refuse
    sent = start_sign_in(fake_idp)
    setup, reason = PROVIDER_FAULTS[fault]
    setup(fake_idp, http_mock)
    # WHEN its callback arrives
    result = authorization_app.lambda_handler(
        callback_event(code="provider-code", state=sent["state"]), FakeLambdaContext()
    )
    # THEN a 502 page says why, and the store holds nothing from this sign-in
    assert_provider_failure_page(result, reason)
    assert_nothing_half_written()


@pytest.mark.parametrize(
    ("where", "kind", "timeouts"),
    [
        ("token_endpoint", "down", None),
        ("token_endpoint", "slow", None),  # the real timeouts: (3.05, 5) s
        ("jwks_uri", "down", (0.5, 1.0)),
        ("jwks_uri", "slow", (0.5, 1.0)),
    ],
)
def test_a_provider_down_or_hanging_is_a_502_inside_the_function_timeout(
    where, kind, timeouts, http_mock, monkeypatch, request, configure
):
    # GIVEN a provider whose token endpoint or key set refuses connections, or accepts and never answers
    port = free_port() if kind == "down" else request.getfixturevalue("black_hole")
    issuer = "http://localhost:9"  # a local http issuer may name local http endpoints
    configure(OIDC_ISSUER=issuer)
    if timeouts:
        monkeypatch.setattr(provider, "TIMEOUT", timeouts)
    idp = FakeIdp(http_mock, issuer=issuer)
    idp.discovery[where] = f"http://127.0.0.1:{port}/{where}"
    http_mock.add_passthru(f"http://127.0.0.1:{port}")
    sent = start_sign_in(idp)
    # WHEN the callback arrives
    started = time.monotonic()
    result = authorization_app.lambda_handler(
        callback_event(code="provider-code", state=sent["state"]), FakeLambdaContext()
    )
    # THEN a 502 page says so, well inside the function timeout, and nothing is left behind
    assert time.monotonic() - started < FUNCTION_TIMEOUT - 5
    failure = "could not be reached" if kind == "down" else "did not answer in time"
    assert_provider_failure_page(result, failure)
    assert_nothing_half_written()


# --- settings ------------------------------------------------------------------------------------

BAD_SETTINGS: dict[str, tuple[str, str | None]] = {
    "GOOGLE_CLIENT_ID missing": ("GOOGLE_CLIENT_ID", None),
    "GOOGLE_CLIENT_SECRET missing": ("GOOGLE_CLIENT_SECRET", None),
    "GPT_CLIENT_ID missing": ("GPT_CLIENT_ID", None),
    "GPT_CLIENT_SECRET blank": ("GPT_CLIENT_SECRET", "   "),
    "MONGODB_URI another scheme": ("MONGODB_URI", "postgres://admin:hunter2-secret@db.example/x"),
    "MONGODB_DATABASE with a space": ("MONGODB_DATABASE", "gpt auth"),
    "ACCESS_TOKEN_TTL not a number": ("ACCESS_TOKEN_TTL", "one hour"),
    "REFRESH_TOKEN_TTL negative": ("REFRESH_TOKEN_TTL", "-5"),
    "ALLOWED_REDIRECT_URIS bad regex": ("ALLOWED_REDIRECT_URIS", "https://chatgpt\\.com/(unclosed"),
    "OIDC_ISSUER plain http": ("OIDC_ISSUER", "http://idp.example"),
    "GOOGLE_REDIRECT_URI not a URL": ("GOOGLE_REDIRECT_URI", "callback"),
}
SETTINGS_ROUTES = {
    AUTHORIZATION: (
        authorization_app.lambda_handler,
        lambda: load_event("google_authorization_authorize"),
    ),
    TOKEN: (
        token_app.lambda_handler,
        lambda: token_event({"grant_type": "refresh_token", "refresh_token": WELL_FORMED["refresh"]}),
    ),
    ACTION: (action_app.lambda_handler, lambda: action_event(WELL_FORMED["access"])),
}


@pytest.mark.parametrize("function", sorted(SETTINGS_ROUTES))
@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_a_missing_or_malformed_setting_is_named(case, function, read_logs, configure):
    # GIVEN a container started with one setting missing or malformed
    name, value = BAD_SETTINGS[case]
    configure(**{name: value})
    handler, event = SETTINGS_ROUTES[function]
    # WHEN its first request arrives
    result = handler(event(), FakeLambdaContext())
    # THEN the answer and the log name the setting, and quote no secret
    assert result["statusCode"] == 500, result["body"][:300]
    assert name in result["body"] and "misconfigured" in result["body"]
    logged = [line for line in read_logs() if line["message"] == "configuration error"]
    assert logged and name in logged[0]["reason"]
    assert "hunter2" not in result["body"] + json.dumps(logged)
