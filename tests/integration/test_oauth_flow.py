"""The whole OAuth flow over real HTTP, as ChatGPT runs it: emulator, real handlers, Google stand-in.

Everything runs as ``make dev`` runs it (same settings, same emulator); only ChatGPT's callback
on chatgpt.com is never contacted: its ``code`` and ``state`` are read from the ``Location``.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from localdev.dev import LOCAL_GOOGLE_SCOPES
from localdev.emulator import DEFAULT_FUNCTIONS, FunctionUrlEmulator, serve_in_thread
from tests.integration.chatgpt import GPT_CALLBACK, ChatGpt, consent, location, query_of

TOKEN_FIELDS = {"access_token", "token_type", "expires_in", "refresh_token", "scope"}


def tokens_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert set(body) == TOKEN_FIELDS
    return body


@pytest.mark.parametrize("basic", [False, True], ids=["client_secret_post", "http_basic"])
def test_chatgpt_signs_in_calls_the_action_and_refreshes(store: str, chatgpt: ChatGpt, basic: bool):
    # GIVEN ChatGPT sends the person to sign in, and they consent at "Google" as alice
    sign_in = chatgpt.sign_in("alice@example.com", state="gpt-state-1234")
    # THEN the browser was sent to Google with our callback, and back to the GPT with a code and its state
    google = query_of(sign_in.provider_url)
    assert google["redirect_uri"] == f"{chatgpt.base}/googleAuthorization/callback"
    assert google["scope"] == LOCAL_GOOGLE_SCOPES  # make dev asks for the read-only calendar too
    assert (google["access_type"], google["include_granted_scopes"]) == ("offline", "true")
    assert google["code_challenge_method"] == "S256"
    assert sign_in.gpt_redirect.startswith(GPT_CALLBACK + "?")
    assert set(sign_in.params) == {"code", "state", "iss"}
    assert sign_in.params["state"] == "gpt-state-1234"
    assert sign_in.params["iss"] == chatgpt.urls.authorization.rstrip("/")  # RFC 9207: our issuer
    assert sign_in.code.startswith("gac_")

    # WHEN ChatGPT exchanges the code at the token URL
    first = tokens_of(chatgpt.exchange(sign_in.code, basic=basic))
    # THEN it gets our opaque tokens, and the access token opens the action
    assert first["token_type"].lower() == "bearer"
    assert first["access_token"].startswith("gat_")
    assert first["refresh_token"].startswith("grt_")
    assert first["scope"] == LOCAL_GOOGLE_SCOPES  # ChatGPT's empty scope: all of GOOGLE_SCOPES
    assert 0 < first["expires_in"] <= 3600
    hello = chatgpt.call_action(first["access_token"], "Ada")
    assert (hello.status_code, hello.text) == (200, "Hello Ada")

    # WHEN it refreshes twice, each time with the newest refresh token
    second = tokens_of(chatgpt.refresh(first["refresh_token"], basic=basic))
    third = tokens_of(chatgpt.refresh(second["refresh_token"], basic=basic))
    # THEN each answer rotates both tokens, and the newest access token works
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    assert len({first["access_token"], second["access_token"], third["access_token"]}) == 3
    assert chatgpt.call_action(third["access_token"], "Grace").text == "Hello Grace"

    # WHEN the first refresh token, two rotations old, is presented again (a thief's copy)
    replay = chatgpt.refresh(first["refresh_token"], basic=basic)
    # THEN it is refused and the whole sign-in is revoked
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert chatgpt.refresh(third["refresh_token"]).json()["error"] == "invalid_grant"
    revoked = chatgpt.call_action(third["access_token"])
    assert revoked.status_code == 401
    assert revoked.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_a_client_that_never_stores_rotated_refresh_tokens_stays_signed_in(chatgpt: ChatGpt):
    # GIVEN a signed-in GPT that keeps presenting its first refresh token (a lost response, or
    # a client that ignores rotation)
    first = tokens_of(chatgpt.exchange(chatgpt.sign_in().code))
    for _ in range(3):
        # WHEN it refreshes with that same token again
        answer = tokens_of(chatgpt.refresh(first["refresh_token"]))
        # THEN it works, and the new access token (the family keeps one live) opens the action
        assert chatgpt.call_action(answer["access_token"]).status_code == 200


def test_the_person_at_google_is_the_user_of_the_session(chatgpt: ChatGpt):
    # GIVEN two people sign in through the same GPT
    from gpt_auth.oauth import sessions
    from gpt_auth.runtime import db

    alice = tokens_of(chatgpt.exchange(chatgpt.sign_in("alice@example.com").code))
    bob = tokens_of(chatgpt.exchange(chatgpt.sign_in("bob@example.com").code))
    # THEN each has a user record (from the verified ID token), keyed on issuer and subject, and
    # their own session; the stand-in does not say it verified their e-mails, so none is kept
    from gpt_auth.oauth import users
    from gpt_auth.runtime import settings

    issuer = settings.get_settings().oidc_issuer
    records = list(db.collection(users.COLLECTION).find())
    assert {user["_id"] for user in records} == {
        users.user_id(issuer, "alice@example.com"),
        users.user_id(issuer, "bob@example.com"),
    }
    assert not any("email" in user for user in records)
    assert alice["access_token"] != bob["access_token"]
    assert db.collection(sessions.COLLECTION).count_documents({}) == 2


def test_a_verified_email_is_kept_and_names_the_user_for_revocation(chatgpt: ChatGpt):
    from gpt_auth.oauth import revocation, users
    from gpt_auth.runtime import db, settings

    # GIVEN Ada, whom the stand-in knows with a verified e-mail, signs in
    tokens_of(chatgpt.exchange(chatgpt.sign_in("ada@example.com").code))
    # THEN her e-mail is stored, and `make revoke USER=ada@example.com` finds her
    ada = db.collection(users.COLLECTION).find_one({"email": "ada@example.com"})
    assert ada is not None and ada["_id"] == users.user_id(
        settings.get_settings().oidc_issuer, "ada@example.com"
    )
    assert revocation.user_ids_for("ada@example.com") == [ada["_id"]]


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_a_standard_oauth_client_completes_the_flow(chatgpt: ChatGpt, auth_method: str, monkeypatch):
    # GIVEN authlib's OAuth2Session configured as a GPT is (local http URLs allowed for the test)
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    session = OAuth2Session(
        chatgpt.client_id,
        chatgpt.client_secret,
        redirect_uri=GPT_CALLBACK,
        token_endpoint_auth_method=auth_method,
    )
    # WHEN it builds the authorization URL and the person signs in at the provider
    url, state = session.create_authorization_url(chatgpt.urls.authorization)
    browser = requests.Session()  # the person's browser keeps our sign-in cookie
    provider_url = location(browser.get(url, allow_redirects=False, timeout=10))
    provider_redirect = consent(provider_url, sub="carol@example.com")
    gpt_redirect = location(browser.get(provider_redirect, allow_redirects=False, timeout=10))
    # AND it fetches the token from the callback URL (authlib checks the state itself)
    token = session.fetch_token(chatgpt.urls.token, authorization_response=gpt_redirect)
    # THEN its token works for the action
    assert query_of(gpt_redirect)["state"] == state
    assert token["token_type"].lower() == "bearer"
    assert session.post(chatgpt.urls.test_endpoint, json={"name": "Carol"}, timeout=10).text == "Hello Carol"
    # WHEN it refreshes
    refreshed = session.refresh_token(chatgpt.urls.token)
    # THEN it holds rotated tokens, and the new access token works
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert refreshed["access_token"] != token["access_token"]
    assert session.post(chatgpt.urls.test_endpoint, json={"name": "Carol"}, timeout=10).status_code == 200


def test_token_requests_reach_the_handler_as_base64_form_bodies(chatgpt: ChatGpt, configure):
    # GIVEN the same system with the real handlers watched (a second emulator, its own callback)
    events: list[dict[str, Any]] = []

    def watched(module: str):
        real = importlib.import_module(str(module)).lambda_handler

        def handler(event: dict[str, Any], context: Any) -> Any:
            events.append(event)
            return real(event, context)

        return handler

    functions = {name: watched(str(module)) for name, module in DEFAULT_FUNCTIONS.items()}
    with serve_in_thread(FunctionUrlEmulator(functions)) as server:
        base = f"http://127.0.0.1:{server.server_port}"
        configure(GOOGLE_REDIRECT_URI=f"{base}/googleAuthorization/callback")
        watched_gpt = ChatGpt(base, chatgpt.client_id, chatgpt.client_secret)
        # WHEN ChatGPT exchanges a code there
        answer = watched_gpt.exchange(watched_gpt.sign_in().code)
    # THEN the handler received a base64-encoded form, as from a real Function URL, and answered
    assert answer.status_code == 200, answer.text
    token_event = next(
        e for e in events if e["headers"].get("content-type", "").startswith("application/x-www")
    )
    assert token_event["isBase64Encoded"] is True
    assert token_event["rawPath"] == "/"
    callback_event = next(e for e in events if e["rawPath"] == "/callback")
    assert "code=" in callback_event["rawQueryString"]
