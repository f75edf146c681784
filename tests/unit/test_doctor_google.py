"""make doctor reads Google's answer to our sign-in: its error page names the error in authError.

Google itself is the edge here: its answers are built as Google sends them (a 302 to
/signin/oauth/error with the error in base64-encoded bytes, or on to its sign-in page).
"""

from __future__ import annotations

import base64

import pytest
import requests

from localdev.doctor import check_google

CALLBACK = "https://d111111abcdef8.cloudfront.net/authorize/callback"


def answer(status: int, location: str | None = None, body: str = "") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    if location:
        response.headers["Location"] = location
    response._content = body.encode()
    return response


def error_page(code: str) -> str:
    raw = b"\n" + bytes([len(code)]) + code.encode() + b"\x12\x1bsome human-readable details"
    auth_error = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"https://accounts.google.com/signin/oauth/error?authError={auth_error}&client_id=123"


def google(response: requests.Response):
    return lambda url: response


def test_a_redirect_uri_google_does_not_know_is_a_problem_naming_it():
    finding = check_google(
        "https://accounts.google.com/o/oauth2/v2/auth?x",
        CALLBACK,
        google(answer(302, error_page("redirect_uri_mismatch"))),
    )
    assert finding.ok is False
    assert finding.what.startswith(f"Google refuses the redirect URI {CALLBACK}")
    assert f"must list exactly {CALLBACK}" in finding.fix


@pytest.mark.parametrize("code", ["invalid_client", "deleted_client"])
def test_an_unknown_client_is_a_problem_naming_the_setting(code):
    finding = check_google(
        "https://accounts.google.com/o/oauth2/v2/auth?x", CALLBACK, google(answer(302, error_page(code)))
    )
    assert finding.ok is False and f"GOOGLE_CLIENT_ID ({code})" in finding.what


def test_another_refusal_is_a_problem_with_its_code():
    finding = check_google(
        "https://accounts.google.com/o/oauth2/v2/auth?x",
        CALLBACK,
        google(answer(302, error_page("admin_policy_enforced"))),
    )
    assert finding.ok is False and "(admin_policy_enforced)" in finding.what


@pytest.mark.parametrize(
    "response",
    [answer(302, "https://accounts.google.com/v3/signin/identifier?flowName=GeneralOAuthFlow"), answer(200)],
    ids=["to-sign-in", "consent-page"],
)
def test_google_going_on_to_sign_in_means_the_redirect_uri_is_registered(response):
    finding = check_google("https://accounts.google.com/o/oauth2/v2/auth?x", CALLBACK, google(response))
    assert finding.ok is True
