"""The GPT simulator against the real functions, as ``make dev`` serves them, driven over HTTP.

A ``requests.Session`` plays the browser (cookies, redirects, the consent form); the simulator's
server side does the token exchange and the action call over real HTTP to the emulator. The
browser test (tests/e2e) does the same clicking in Chromium; these cover the failure paths.
"""

from __future__ import annotations

import re

import pytest
import requests

from gpt_auth.actions import hello
from gpt_auth.oauth import sessions
from tests.support.make_dev import TIMEOUT, Local, press

HELLO = hello.ACTION.operation_id


def sign_in(local: Local, browser: requests.Session, token_auth: str = "client_secret_post") -> str:
    """Click "Sign in", consent as the sample user at the stand-in; returns the page at the end."""
    consent = press(local, browser, "/simulator/start", token_auth=token_auth)
    assert consent.status_code == 200 and "Authorize Client" in consent.text, consent.text[:500]
    page = browser.post(consent.url, data={"sub": "ada@example.com"}, timeout=TIMEOUT)
    assert page.url == f"{local.base}/", page.url
    return page.text


def greet(local: Local, browser: requests.Session, name: str) -> str:
    return press(local, browser, f"/simulator/actions/{HELLO}", name=name).text


def refresh(local: Local, browser: requests.Session) -> str:
    return press(local, browser, "/simulator/refresh").text


@pytest.mark.parametrize("token_auth", ["client_secret_post", "client_secret_basic"])
def test_sign_in_action_and_refresh_with_real_tokens_never_shown(local, token_auth):
    browser = requests.Session()
    # WHEN the user signs in through the simulator
    page = sign_in(local, browser, token_auth)
    # THEN the simulator's server holds real tokens that the functions accept
    held = local.browser_session(browser)
    assert held.access_token and held.access_token.startswith("gat_")
    assert held.refresh_token and held.refresh_token.startswith("grt_")
    assert "Signed in." in page
    assert '<span id="signed-in-user">User: <strong>ada@example.com</strong></span>' in page
    answer = requests.post(
        f"{local.base}/testEndpoint/",
        json={"name": "Direct"},
        headers={"Authorization": f"Bearer {held.access_token}"},
        timeout=TIMEOUT,
    )
    assert answer.text == "Hello Direct"
    # AND the action call and refresh work from the page
    answer = f'<output id="answer-{HELLO}" for="{HELLO}-body-name">Hello Ada</output>'
    assert answer in greet(local, browser, "Ada")
    first = (held.access_token, held.refresh_token)
    page = refresh(local, browser)
    assert held.access_token != first[0] and held.refresh_token != first[1]
    assert "Refreshed: a new access token replaced the old one." in page
    # AND no token, secret or code ever reaches the page in clear
    for secret in (*first, held.access_token, held.refresh_token, local.simulator.config.client_secret):
        assert secret not in page
    assert not re.search(r"g(at|rt|ac)_[A-Za-z0-9_-]{20,}", page)


def test_an_empty_name_shows_the_action_s_400(local):
    browser = requests.Session()
    sign_in(local, browser)
    page = greet(local, browser, "")
    # the action's reason, under its own form (not only in the timeline below)
    form = page[page.index(f'<article class="action" id="action-{HELLO}"') :]
    form = form[: form.index("</article>")]
    assert (
        f"{HELLO} answered 400: invalid_request: &#39;name&#39; must be a string of 1 to 200 characters; "
        "it must not be empty or blank." in form
    )
    assert 'role="alert"' in form and "What 400 means to the GPT: The name is missing" in form
    assert "&#34;error&#34;: &#34;invalid_request&#34;" in page  # the JSON error body, in the timeline
    assert f'id="answer-{HELLO}"' not in page


def test_revoked_sign_in_shows_401_then_a_refused_refresh(local):
    # GIVEN a signed-in browser whose session the operator then revokes
    browser = requests.Session()
    sign_in(local, browser)
    held = local.browser_session(browser)
    family = sessions.session_for_access_token(held.access_token)
    assert family is not None
    sessions.revoke_family(family["_id"])
    # WHEN the action is called, THEN it is refused and the page says what to do
    page = greet(local, browser, "Ada")
    assert "The action refused the access token (401): refresh it or sign in again." in page
    assert "WWW-Authenticate: Bearer error=&#34;invalid_token&#34;" in page
    # WHEN the refresh token is used, THEN the token endpoint refuses it too
    page = refresh(local, browser)
    assert "The token endpoint answered 400 invalid_grant: see the timeline." in page


def test_start_over_forgets_the_tokens(local):
    browser = requests.Session()
    sign_in(local, browser)
    page = press(local, browser, "/simulator/reset").text
    assert "Not signed in." in page and "No requests yet" in page
    assert local.browser_session(browser).access_token is None
