"""The sign-in keeps Google's grant: offline access, the scopes asked and granted, consent when needed."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from functions.google_authorization import app
from gpt_auth.google import google_tokens
from gpt_auth.oauth import codes, pending, users
from gpt_auth.runtime import db
from localdev.samples import SAMPLE_GPT_CALLBACK
from tests.support.events import load_event
from tests.support.fake_idp import ISSUER

CALENDAR = "https://www.googleapis.com/auth/calendar.readonly"
ADA = users.user_id(ISSUER, "user-1")  # the fake provider's subject


def authorize(lambda_context) -> dict[str, str]:
    """Run ChatGPT's authorization request; the query of the provider URL it redirects to."""
    event = load_event("google_authorization_authorize")
    # the browser of the sample callback events: it presents their sign-in cookie
    event["cookies"] = load_event("google_authorization_callback_unknown_state")["cookies"]
    return redirected_to(app.lambda_handler(event, lambda_context), f"{ISSUER}/authorize")


def callback(lambda_context, sent: dict[str, str], fake_idp) -> dict:
    fake_idp.nonce = sent["nonce"]
    event = load_event("google_authorization_callback_unknown_state")
    event["rawQueryString"] = urlencode({"code": "provider-code", "state": sent["state"]})
    return app.lambda_handler(event, lambda_context)


def redirected_to(response: dict, expected_url: str) -> dict[str, str]:
    assert response["statusCode"] == 302, response["body"]
    parts = urlsplit(response["headers"]["Location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == expected_url
    return {name: values[0] for name, values in parse_qs(parts.query).items()}


def test_the_request_to_google_asks_offline_access_for_the_configured_scopes(
    fake_idp, lambda_context, configure
):
    configure(GOOGLE_SCOPES=f"openid email profile {CALENDAR}")
    sent = authorize(lambda_context)
    assert sent["scope"] == f"openid email profile {CALENDAR}"
    assert (sent["access_type"], sent["include_granted_scopes"]) == ("offline", "true")
    assert "prompt" not in sent  # who signs in is unknown until the callback


def test_the_callback_stores_the_grant_with_the_scopes_google_granted(fake_idp, lambda_context, configure):
    # GIVEN the calendar scope asked for, and the person unticking it at Google
    configure(GOOGLE_SCOPES=f"openid email profile {CALENDAR}")
    fake_idp.token_answer["scope"] = "openid https://www.googleapis.com/auth/userinfo.email"
    # WHEN the sign-in completes
    query = redirected_to(callback(lambda_context, authorize(lambda_context), fake_idp), SAMPLE_GPT_CALLBACK)
    assert query["code"].startswith("gac_")
    # THEN the grant holds Google's tokens, sealed, and only the scopes Google granted
    record = db.collection(google_tokens.COLLECTION).find_one({"_id": ADA})
    assert record is not None and record["scopes"] == ["email", "openid"]
    text = json.dumps(record, default=str)
    assert "provider-access-token" not in text and "provider-refresh-token" not in text
    grant = google_tokens.load(ADA)
    assert grant is not None and grant.refresh_token == "provider-refresh-token"


def test_no_refresh_token_and_none_stored_goes_back_to_google_once_with_consent(fake_idp, lambda_context):
    # GIVEN Google sending no refresh token (the person consented before) and none stored here
    fake_idp.token_answer["refresh_token"] = None
    first = authorize(lambda_context)
    # WHEN the callback arrives
    again = redirected_to(callback(lambda_context, first, fake_idp), f"{ISSUER}/authorize")
    # THEN the browser goes back to Google with the consent screen, for that account, a new state and nonce
    assert again["prompt"] == "consent" and again["login_hint"] == "ada@example.com"
    assert again["access_type"] == "offline"
    assert again["state"] != first["state"] and again["nonce"] != first["nonce"]
    assert db.collection(codes.COLLECTION).count_documents({}) == 0
    # AND when that trip too brings no refresh token, the sign-in completes (never a third trip)
    query = redirected_to(callback(lambda_context, again, fake_idp), SAMPLE_GPT_CALLBACK)
    assert query["state"] == "gpt-state-8f2c" and query["code"].startswith("gac_")
    grant = google_tokens.load(ADA)
    assert grant is not None and grant.refresh_token is None and grant.access_token == "provider-access-token"


def test_the_consent_trip_brings_the_refresh_token(fake_idp, lambda_context):
    fake_idp.token_answer["refresh_token"] = None
    again = redirected_to(
        callback(lambda_context, authorize(lambda_context), fake_idp), f"{ISSUER}/authorize"
    )
    fake_idp.token_answer["refresh_token"] = "provider-refresh-after-consent"
    redirected_to(callback(lambda_context, again, fake_idp), SAMPLE_GPT_CALLBACK)
    grant = google_tokens.load(ADA)
    assert grant is not None and grant.refresh_token == "provider-refresh-after-consent"


def test_no_refresh_token_while_one_is_stored_signs_in_without_consent(fake_idp, lambda_context):
    # GIVEN a first sign-in that stored a refresh token, then Google sending none the next time
    redirected_to(callback(lambda_context, authorize(lambda_context), fake_idp), SAMPLE_GPT_CALLBACK)
    fake_idp.token_answer |= {"refresh_token": None, "access_token": "provider-access-2"}
    # WHEN the person signs in again
    redirected_to(callback(lambda_context, authorize(lambda_context), fake_idp), SAMPLE_GPT_CALLBACK)
    # THEN no consent trip: the stored refresh token stays, the new access token replaces the old
    grant = google_tokens.load(ADA)
    assert grant is not None
    assert (grant.refresh_token, grant.access_token) == ("provider-refresh-token", "provider-access-2")
    assert len(fake_idp.token_forms) == 2


def test_without_encryption_keys_the_callback_is_a_page_naming_the_setting(
    fake_idp, lambda_context, configure
):
    sent = authorize(lambda_context)
    configure(TOKEN_ENCRYPTION_KEYS=None)
    response = callback(lambda_context, sent, fake_idp)
    assert response["statusCode"] == 500 and "TOKEN_ENCRYPTION_KEYS is not set" in response["body"]
    assert "Location" not in response["headers"]
    assert db.collection(codes.COLLECTION).count_documents({}) == 0
    assert db.collection(google_tokens.COLLECTION).count_documents({}) == 0


@pytest.mark.parametrize("consent_prompted", [0, 1])
def test_a_pending_request_reads_back_its_consent_flag_as_stored_by_nx(consent_prompted):
    # nx-27017 stores booleans as integers; older records have no flag at all

    request_id = pending.create(
        pending.PendingRequest("c", "https://r", "s", "", "n", "v", "https://cb", bool(consent_prompted)),
        browser="gsc_browser",
    )
    db.collection(pending.COLLECTION).update_many({}, {"$set": {"consent_prompted": consent_prompted}})
    consumed = pending.consume(request_id, browser="gsc_browser")
    assert consumed is not None and consumed.consent_prompted is bool(consent_prompted)
    legacy_id = pending.create(
        pending.PendingRequest("c", "https://r", "s", "", "n", "v", "https://cb"), browser="gsc_browser"
    )
    db.collection(pending.COLLECTION).update_many({}, {"$unset": {"consent_prompted": ""}})
    legacy = pending.consume(legacy_id, browser="gsc_browser")
    assert legacy is not None and legacy.consent_prompted is False


def test_a_newly_granted_scope_without_a_new_refresh_token_asks_consent(fake_idp, lambda_context, configure):
    # GIVEN a first sign-in without the calendar (unticked), its refresh token stored
    configure(GOOGLE_SCOPES=f"openid email profile {CALENDAR}")
    fake_idp.token_answer["scope"] = "openid email"
    redirected_to(callback(lambda_context, authorize(lambda_context), fake_idp), SAMPLE_GPT_CALLBACK)
    # WHEN the person signs in again and allows the calendar, but Google sends no new refresh token
    fake_idp.token_answer |= {"scope": f"openid email {CALENDAR}", "refresh_token": None}
    again = redirected_to(
        callback(lambda_context, authorize(lambda_context), fake_idp), f"{ISSUER}/authorize"
    )
    # THEN the old refresh token (it covers no calendar) is not relied on: Google's consent screen once more
    assert again["prompt"] == "consent"


def test_the_consent_trip_stays_bound_to_the_browser_that_started(fake_idp, lambda_context):
    fake_idp.token_answer["refresh_token"] = None
    again = redirected_to(
        callback(lambda_context, authorize(lambda_context), fake_idp), f"{ISSUER}/authorize"
    )
    fake_idp.nonce = again["nonce"]
    other = load_event("google_authorization_callback_unknown_state")
    other["rawQueryString"] = urlencode({"code": "provider-code", "state": again["state"]})
    other["cookies"] = ["__Host-gpt_auth_signin=gsc_AnotherBrowser0000000000000000000000000000000"]
    assert app.lambda_handler(other, lambda_context)["statusCode"] == 400
    # the browser that started it still completes
    redirected_to(callback(lambda_context, again, fake_idp), SAMPLE_GPT_CALLBACK)
