"""What the system refuses over real HTTP, and what it never keeps: as ChatGPT meets it.

A reused refresh token (refused, its family revoked) is covered by the flow in test_oauth_flow.py.
"""

from __future__ import annotations

import json
import logging

import pytest
import requests

from gpt_auth.oauth import codes, pending, sessions, users
from gpt_auth.runtime import db
from gpt_auth.runtime.settings import get_settings
from tests.integration.chatgpt import GPT_CALLBACK, ChatGpt, consent, location, query_of

OTHER_ALLOWED_CALLBACK = "https://chat.openai.com/aip/g-Integration01/oauth/callback"


def assert_error_page(response: requests.Response, *words: str) -> None:
    """A 400 HTML page, never a redirect (RFC 6749 4.1.2.1), that names what is wrong."""
    assert response.status_code == 400, response.text[:300]
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    for word in words:
        assert word in response.text


def test_unknown_client_gets_an_error_page_not_a_redirect(chatgpt: ChatGpt):
    assert_error_page(chatgpt.authorize(client_id="someone-else"), "client_id")
    assert_error_page(chatgpt.authorize(client_id=None), "client_id")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/aip/g-Integration01/oauth/callback",
        "https://chatgpt.com.evil.example/aip/g-Integration01/oauth/callback",
        "https://chatgpt.com@evil.example/aip/g-Integration01/oauth/callback",
        "http://chatgpt.com/aip/g-Integration01/oauth/callback",
        "http://127.0.0.1:1/simulator/callback",
    ],
)
def test_redirect_uri_outside_the_allowlist_gets_an_error_page(chatgpt: ChatGpt, redirect_uri: str):
    assert_error_page(chatgpt.authorize(redirect_uri=redirect_uri), "redirect_uri")


def test_the_local_simulator_callback_is_allowed(chatgpt: ChatGpt):
    # make dev adds the simulator's own callback on the emulator's port to the allowlist
    sign_in = chatgpt.sign_in(redirect_uri=f"{chatgpt.base}/simulator/callback")
    assert sign_in.gpt_redirect.startswith(f"{chatgpt.base}/simulator/callback?code=gac_")


def test_missing_state_is_sent_back_to_the_gpt_as_invalid_request(chatgpt: ChatGpt):
    # The client and callback are trusted, so the error goes to the GPT's callback (RFC 6749 4.1.2.1)
    back = location(chatgpt.authorize(state=None))
    assert back.startswith(GPT_CALLBACK + "?")
    assert query_of(back)["error"] == "invalid_request"
    assert "code" not in query_of(back)


def test_wrong_client_secret_is_invalid_client_and_spends_nothing(chatgpt: ChatGpt):
    # GIVEN a fresh code
    code = chatgpt.sign_in().code
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": GPT_CALLBACK}
    # WHEN the token request carries a wrong secret, in the body or in HTTP Basic
    in_body = chatgpt.token(data, secret="wrong-secret-0123456789")
    in_basic = chatgpt.token(data, basic=True, secret="wrong-secret-0123456789")
    # THEN both are 401 invalid_client, Basic with its challenge
    assert (in_body.status_code, in_body.json()["error"]) == (401, "invalid_client")
    assert (in_basic.status_code, in_basic.json()["error"]) == (401, "invalid_client")
    assert in_basic.headers["WWW-Authenticate"].startswith("Basic")
    # AND the code was not spent by the refused client
    assert chatgpt.exchange(code).status_code == 200


def test_unknown_client_at_the_token_url_is_invalid_client(chatgpt: ChatGpt):
    code = chatgpt.sign_in().code
    stranger = ChatGpt(chatgpt.base, "someone-else", chatgpt.client_secret)
    answer = stranger.exchange(code)
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")


def test_replayed_code_is_refused_and_revokes_what_it_issued(chatgpt: ChatGpt):
    # GIVEN a code exchanged once
    code = chatgpt.sign_in().code
    first = chatgpt.exchange(code).json()
    assert chatgpt.call_action(first["access_token"]).status_code == 200
    # WHEN it is presented again, with another redirect_uri (not a duplicate of the first)
    replay = chatgpt.exchange(code, redirect_uri=OTHER_ALLOWED_CALLBACK)
    # THEN it is refused, and the tokens issued from it stop working
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    assert chatgpt.call_action(first["access_token"]).status_code == 401
    assert chatgpt.refresh(first["refresh_token"]).json()["error"] == "invalid_grant"


def test_duplicate_exchange_is_refused_and_keeps_what_it_issued(chatgpt: ChatGpt):
    # GIVEN a code exchanged once, and ChatGPT sending the same exchange again at once
    code = chatgpt.sign_in().code
    first = chatgpt.exchange(code).json()
    duplicate = chatgpt.exchange(code)
    # THEN the duplicate is refused, and the tokens of the first keep working
    assert (duplicate.status_code, duplicate.json()["error"]) == (400, "invalid_grant")
    assert chatgpt.call_action(first["access_token"]).status_code == 200
    assert chatgpt.refresh(first["refresh_token"]).status_code == 200


def test_code_with_another_redirect_uri_is_refused(chatgpt: ChatGpt):
    # GIVEN a code bound to the GPT's chatgpt.com callback
    code = chatgpt.sign_in().code
    # WHEN it is exchanged with another (also allowed) callback
    answer = chatgpt.exchange(code, redirect_uri=OTHER_ALLOWED_CALLBACK)
    # THEN it is refused
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


def test_consent_refused_at_google_reaches_the_gpt_as_access_denied(chatgpt: ChatGpt):
    # GIVEN the person at "Google" refuses
    provider_url = location(chatgpt.authorize(state="gpt-state-deny"))
    provider_redirect = consent(provider_url, action="deny")
    assert query_of(provider_redirect)["error"] == "access_denied"
    # WHEN Google sends them back to our callback
    back = location(chatgpt.browser.get(provider_redirect, allow_redirects=False, timeout=10))
    # THEN the GPT's callback gets access_denied with its own state, and no code
    assert back.startswith(GPT_CALLBACK + "?")
    params = query_of(back)
    assert (params["error"], params["state"]) == ("access_denied", "gpt-state-deny")
    assert "code" not in params


def test_no_raw_token_code_or_secret_is_stored_or_logged(chatgpt: ChatGpt, read_logs, caplog):
    caplog.set_level(logging.INFO)
    # GIVEN a whole flow with its refusals: sign-in, exchange, action, refresh, wrong secret,
    # replayed code and refresh, and a sign-in still pending at Google
    sign_in = chatgpt.sign_in()
    first = chatgpt.exchange(sign_in.code).json()
    chatgpt.call_action(first["access_token"])
    second = chatgpt.refresh(first["refresh_token"]).json()
    third = chatgpt.refresh(second["refresh_token"], basic=True).json()
    chatgpt.token(
        {"grant_type": "refresh_token", "refresh_token": third["refresh_token"]}, secret="wrong-0123"
    )
    chatgpt.exchange(sign_in.code)  # replay: revokes the family
    chatgpt.refresh(first["refresh_token"])
    in_flight = location(chatgpt.authorize())
    secrets: dict[str, str] = {
        "our code": sign_in.code,
        "Google's code": query_of(sign_in.provider_redirect)["code"],
        "our state at Google": query_of(sign_in.provider_url)["state"],
        "a pending state": query_of(in_flight)["state"],
        "GPT client secret": chatgpt.client_secret,
        "Google client secret": get_settings().google_client_secret,
    }
    for n, answer in enumerate((first, second, third)):
        secrets[f"access token {n}"] = answer["access_token"]
        secrets[f"refresh token {n}"] = answer["refresh_token"]

    # WHEN every collection of the database is read
    database = db.collection(users.COLLECTION).database
    stored = {name: list(database[name].find()) for name in database.list_collection_names()}
    dump = json.dumps(stored, default=str)
    # AND every line the handlers and the emulator logged
    ours = [r.getMessage() for r in caplog.records if r.name == "localdev.emulator"]
    logged = json.dumps(read_logs()) + "\n".join(ours)

    # THEN none of them holds a raw token, code or secret
    declared = (users.COLLECTION, pending.COLLECTION, codes.COLLECTION, sessions.COLLECTION)
    assert set(stored) >= {collection.name for collection in declared}
    assert stored[sessions.COLLECTION.name], "the flow stored no session: the check would prove nothing"
    assert len(read_logs()) > 10 and ours, "nothing was logged: the check would prove nothing"
    leaks = {what for what, value in secrets.items() if value in dump}
    assert not leaks, f"stored raw: {sorted(leaks)}"
    leaks = {what for what, value in secrets.items() if value in logged}
    assert not leaks, f"logged raw: {sorted(leaks)}"
