"""Identity: whose session a token is, and which client it was issued to."""

from __future__ import annotations

import pytest

from functions.test_endpoint import app
from gpt_auth.oauth import revocation, sessions, users
from gpt_auth.runtime import db
from tests.support.events import load_event
from tests.support.identity import GOOGLE, LIFETIMES, OTHER_ISSUER, sign_in


def action_status(access_token: str, lambda_context) -> int:
    event = load_event("test_endpoint_valid")
    event["headers"]["authorization"] = f"Bearer {access_token}"
    return app.lambda_handler(event, lambda_context)["statusCode"]


def test_the_action_accepts_only_sessions_of_the_configured_gpt_client(store, lambda_context):
    # GIVEN two live sessions of one user: one issued to the configured GPT client, one to another
    ours = sessions.create_session(user_id="u", client_id="gpt-client", scope="", lifetimes=LIFETIMES)
    theirs = sessions.create_session(user_id="u", client_id="other-gpt", scope="", lifetimes=LIFETIMES)
    # THEN the action answers the first and refuses the second as an invalid token
    assert action_status(ours.access_token, lambda_context) == 200
    assert action_status(theirs.access_token, lambda_context) == 401
    assert sessions.session_for_access_token(theirs.access_token, client_id="other-gpt") is not None


# Users are keyed on issuer and subject; an e-mail is kept only when the provider verified it.


def stored(user_id: str) -> dict:
    return db.collection(users.COLLECTION).find_one({"_id": user_id})


def test_the_user_id_is_issuer_and_subject_as_one_stable_string(store):
    user_id = sign_in("108234567890", email="ada@example.com", email_verified=True)
    assert user_id == "https://accounts.google.com#108234567890"
    assert user_id == users.user_id(GOOGLE, "108234567890") == users.user_id(GOOGLE + "/", "108234567890")
    assert sign_in("108234567890") == user_id  # the next sign-in finds the same user
    assert (stored(user_id)["issuer"], stored(user_id)["sub"]) == (GOOGLE, "108234567890")


def test_one_subject_at_two_issuers_is_two_users(store):
    at_google, elsewhere = sign_in("42"), sign_in("42", issuer=OTHER_ISSUER)
    assert at_google != elsewhere
    assert db.collection(users.COLLECTION).count_documents({"sub": "42"}) == 2


@pytest.mark.parametrize("verified", [True, "true"])
def test_a_verified_email_is_stored(store, verified):
    user_id = sign_in("s-1", email="ada@example.com", email_verified=verified)
    assert stored(user_id)["email"] == "ada@example.com"
    assert revocation.user_ids_for("ada@example.com") == [user_id]


@pytest.mark.parametrize(
    "claims", [{}, {"email_verified": False}, {"email_verified": "false"}, {"email_verified": 1}]
)
def test_an_unverified_email_is_not_stored_nor_matched(store, claims):
    # GIVEN a provider that sends an e-mail without saying it verified it
    user_id = sign_in("s-1", email="ceo@example.com", **claims)
    # THEN the e-mail is not kept, and revoking by it matches nobody
    assert "email" not in stored(user_id)
    assert revocation.user_ids_for("ceo@example.com") == []


def test_an_email_no_longer_verified_is_dropped(store):
    user_id = sign_in("s-1", email="ada@example.com", email_verified=True)
    sign_in("s-1", email="ada@example.com", email_verified=False)
    assert "email" not in stored(user_id)
    assert revocation.user_ids_for("ada@example.com") == []


def test_someone_elses_unverified_email_cannot_make_them_a_revocation_target(store):
    ada = sign_in("s-ada", email="ada@example.com", email_verified=True)
    sign_in("s-mallory", issuer=OTHER_ISSUER, email="ada@example.com", email_verified=False)
    assert revocation.user_ids_for("ada@example.com") == [ada]


def test_revoking_by_sub_finds_the_user_at_every_issuer(store):
    at_google, elsewhere = sign_in("42"), sign_in("42", issuer=OTHER_ISSUER)
    assert revocation.user_ids_for("42") == sorted([at_google, elsewhere])
    assert revocation.user_ids_for(at_google) == [at_google]  # a whole user id works too


def test_revoking_an_unrecorded_sub_names_it_at_the_configured_provider(store):
    assert revocation.user_ids_for("never-seen") == [users.user_id(GOOGLE, "never-seen")]


def test_revoking_an_unrecorded_sub_with_another_provider_uses_its_issuer(store, configure):
    configure(OIDC_ISSUER=OTHER_ISSUER)
    assert revocation.user_ids_for("never-seen") == [users.user_id(OTHER_ISSUER, "never-seen")]
