"""deleteMyData through testEndpoint's handler after a whole sign-in in-process (the provider
stubbed at its HTTP edge): Google's grant revoked there first, every document naming the user
erased from every collection, the next call 401, other users untouched."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses

from functions.google_authorization import app as authorization
from gpt_auth.actions import my_data, preferences
from gpt_auth.google import google_tokens
from gpt_auth.oauth import users
from gpt_auth.runtime import db
from tests.support.action_calls import answer, call, signed_in
from tests.support.authorization import callback_event, location, start
from tests.support.fake_idp import ISSUER
from tests.support.token_requests import REDIRECT_URI, exchange

ERASE, SAVE, GET = my_data.ACTION, preferences.SAVE, preferences.GET
ADA = users.user_id(ISSUER, "user-1")  # the fake provider's subject
ADA_TRACES = (ADA, "user-1", "ada@example.com", "Ada Lovelace")
BOB = "https://accounts.google.com#bob"


def sign_in(lambda_context, fake_idp) -> dict[str, Any]:
    """Ada's whole sign-in: ChatGPT's authorization request, the provider's callback, the code's
    exchange at the token endpoint; the token response ChatGPT gets."""
    sent = start(lambda_context)
    fake_idp.nonce = sent["nonce"]
    back = authorization.lambda_handler(
        callback_event(code="provider-code", state=sent["state"]), lambda_context
    )
    url, query = location(back)
    assert url == REDIRECT_URI, back["body"]
    status, tokens = exchange(query["code"])
    assert status == 200, tokens
    return tokens


def every_document() -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection in the store, whatever declares it."""
    database = db.collection(users.COLLECTION, read_only=True).database
    return {name: list(database[name].find()) for name in database.list_collection_names()}


def traces_in(documents: dict[str, list[dict[str, Any]]], traces: tuple[str, ...]) -> dict[str, list[str]]:
    """For each collection, which of ``traces`` some document of it holds (in any field or value)."""
    found = {}
    for name, docs in documents.items():
        text = json.dumps(docs, default=str)
        if held := [trace for trace in traces if trace in text]:
            found[name] = held
    return found


@pytest.fixture
def ada_signed_in_twice(fake_idp, lambda_context) -> tuple[str, str]:
    """Ada signed in twice (two sessions, a Google grant, a verified e-mail and a name), with
    preferences saved; her two access tokens."""
    fake_idp.claims["email_verified"] = True
    first, second = sign_in(lambda_context, fake_idp), sign_in(lambda_context, fake_idp)
    answer(
        call(SAVE, first["access_token"], lambda_context, body={"tone": "casual", "notes": "Ada Lovelace"})
    )
    return first["access_token"], second["access_token"]


def test_everything_naming_the_user_is_erased_in_every_collection(
    ada_signed_in_twice, fake_idp, lambda_context
):
    # GIVEN Ada's sign-ins, grant and preferences, and Bob's preferences beside them
    first, second = ada_signed_in_twice
    bob = signed_in(BOB)
    answer(call(SAVE, bob, lambda_context, body={"tone": "formal"}))
    before = every_document()
    assert set(traces_in(before, ADA_TRACES)) >= {
        "users",
        "sessions",
        "authorization_codes",
        "google_grants",
        "preferences",
    }, "Ada is not in the store: the check would prove nothing"
    # WHEN she asks to erase her data
    erased = answer(call(ERASE, first, lambda_context))
    # THEN Google was told to end our access with her refresh token, before the grant was deleted
    assert fake_idp.revoke_forms == [{"token": "provider-refresh-token"}]
    assert erased == {
        "erased": {
            "sessions": 2,
            "authorization_codes": 2,
            "users": 1,
            "google_grants": 1,
            "preferences": 1,
        },
        "google_access": "revoked",
    }
    # AND no document of any collection holds her id, subject, e-mail or name
    after = every_document()
    assert traces_in(after, ADA_TRACES) == {}
    # AND both her tokens answer 401 now, so the GPT offers sign-in again
    for token in (first, second):
        response = call(GET, token, lambda_context)
        assert response["statusCode"] == 401
        assert 'error="invalid_token"' in response["headers"]["WWW-Authenticate"]
    assert call(ERASE, first, lambda_context)["statusCode"] == 401
    # AND Bob keeps his session and preferences
    assert answer(call(GET, bob, lambda_context)) == {"tone": "formal"}


@pytest.mark.parametrize(
    "refusal",
    [{"status": 503}, {"body": requests.exceptions.ConnectTimeout("down")}],
    ids=["5xx", "unreachable"],
)
def test_google_unreachable_still_erases_and_says_google_was_not_told(
    ada_signed_in_twice, http_mock, lambda_context, refusal
):
    http_mock.replace(responses.POST, f"{ISSUER}/revoke", **refusal)
    erased = answer(call(ERASE, ada_signed_in_twice[0], lambda_context))
    assert erased["google_access"] == "not_revoked"
    assert erased["erased"]["google_grants"] == 1
    assert google_tokens.load(ADA) is None
    assert traces_in(every_document(), ADA_TRACES) == {}


def test_a_user_without_a_google_grant_is_erased_without_calling_google(http_mock, lambda_context):
    # GIVEN a session of a user who never had a grant stored, and saved preferences
    token = signed_in(BOB)
    answer(call(SAVE, token, lambda_context, body={"topics": ["chess"]}))
    # WHEN erased, THEN Google is not called and nothing but the session and preferences are counted
    erased = answer(call(ERASE, token, lambda_context))
    assert erased["google_access"] == "none"
    assert erased["erased"]["sessions"] == 1 and erased["erased"]["preferences"] == 1
    assert erased["erased"]["google_grants"] == 0
    assert len(http_mock.calls) == 0
    assert traces_in(every_document(), (BOB,)) == {}


def test_without_a_token_nothing_is_erased(store, lambda_context):
    token = signed_in(BOB)
    answer(call(SAVE, token, lambda_context, body={"tone": "neutral"}))
    assert call(ERASE, None, lambda_context)["statusCode"] == 401
    assert call(ERASE, "gat_" + "x" * 43, lambda_context)["statusCode"] == 401
    assert answer(call(GET, token, lambda_context)) == {"tone": "neutral"}
