"""Over real TCP: a store or provider that refuses connections or never answers; a simulator alone."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from functions.google_authorization import app as authorization_app
from functions.test_endpoint import app as action_app
from gpt_auth.google import provider
from localdev.nx_server import free_port
from tests.support.authorization import assert_page, callback_event, start
from tests.support.events import load_event
from tests.support.fake_idp import FakeIdp
from tests.support.simulator import csrf_token, make_client
from tests.support.token_requests import call


def test_an_unreachable_database_is_a_fast_503_at_the_token_endpoint(configure):
    # GIVEN a MongoDB URI pointing at a closed local port
    configure(MONGODB_URI=f"mongodb://127.0.0.1:{free_port()}/?directConnection=true")
    started = time.monotonic()
    # WHEN a well-formed code is exchanged
    status, body, _ = call(load_event("google_authentication_code_post"))
    # THEN the answer is a JSON 503 well within 3 s
    assert time.monotonic() - started < 3
    assert (status, body["error"]) == (503, "temporarily_unavailable")


def test_an_unreachable_database_is_a_fast_503_at_the_action(lambda_context, configure):
    # GIVEN a MongoDB URI pointing at a closed local port
    configure(MONGODB_URI=f"mongodb://127.0.0.1:{free_port()}/?directConnection=true")
    started = time.monotonic()
    # WHEN a well-formed token is checked
    response = action_app.lambda_handler(load_event("test_endpoint_unknown_token"), lambda_context)
    # THEN the answer is a JSON 503 well within 3 s
    assert time.monotonic() - started < 3
    assert response["statusCode"] == 503
    assert json.loads(response["body"])["error"] == "temporarily_unavailable"


@pytest.mark.parametrize("kind", ["down", "slow"])
def test_token_endpoint_down_or_slow_is_a_502_page_within_the_timeout(
    kind, http_mock, monkeypatch, lambda_context, request, configure
):
    # GIVEN a provider whose token endpoint refuses connections, or accepts and never answers
    port = free_port() if kind == "down" else request.getfixturevalue("black_hole")
    issuer = "http://localhost:9"  # only a local http issuer may name local http endpoints
    configure(OIDC_ISSUER=issuer)
    monkeypatch.setattr(provider, "TIMEOUT", (0.5, 1.0))  # the real one is (3.05, 5)
    fake = FakeIdp(http_mock, issuer=issuer, token_endpoint=f"http://127.0.0.1:{port}/token")
    http_mock.add_passthru(f"http://127.0.0.1:{port}")
    sent = start(lambda_context, issuer)
    fake.nonce = sent["nonce"]
    # WHEN the callback exchanges the code
    started = time.monotonic()
    event = callback_event(code="provider-code", state=sent["state"])
    response = authorization_app.lambda_handler(event, lambda_context)
    # THEN a 502 page says so, within the read timeout
    assert time.monotonic() - started < 3
    expected = "could not be reached" if kind == "down" else "did not answer in time"
    assert_page(response, 502, expected, "exchanging the sign-in code")


def test_token_endpoint_down_is_a_clear_step_not_a_crash():
    # GIVEN the functions are not running (nothing listens on the port)
    dead = make_client(f"http://127.0.0.1:{free_port()}")
    base = dead.application.config.origin
    start = dead.post("/simulator/start", base_url=base, data={"csrf": csrf_token(dead, base)})
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    # WHEN the callback comes back with a code
    dead.get(f"/simulator/callback?code=gac_{'x' * 43}&state={state}", base_url=base)
    # THEN the timeline shows the attempted request and says there was no response
    text = dead.get("/", base_url=base).get_data(as_text=True)
    assert "Token exchange: the authorization code for tokens" in text
    assert "No response: ConnectionError. Is the local system running" in text
    assert 'id="sign-in-state">Not signed in.' in text
