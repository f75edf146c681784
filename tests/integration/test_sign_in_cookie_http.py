"""The sign-in cookie over real HTTP: the emulator carries Set-Cookie and Cookie as a Function URL does."""

from __future__ import annotations

import requests

from tests.integration.chatgpt import TIMEOUT, ChatGpt, consent, location, query_of


def test_over_the_emulators_http_the_cookie_is_set_without_secure(chatgpt: ChatGpt):
    response = chatgpt.authorize()
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("gpt_auth_signin=gsc_")
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Secure" not in set_cookie
    assert chatgpt.browser.cookies.get("gpt_auth_signin") == set_cookie.split(";")[0].partition("=")[2]


def test_a_sign_in_started_in_one_browser_cannot_be_finished_in_another(chatgpt: ChatGpt):
    # GIVEN an attacker who starts a sign-in in their own browser and consents at the provider
    provider_redirect = consent(location(chatgpt.authorize()), sub="mallory@example.com")
    # WHEN the victim's browser is sent to our callback with it
    victim = requests.Session()
    answer = victim.get(provider_redirect, allow_redirects=False, timeout=TIMEOUT)
    # THEN the victim gets a 400 page and no code reaches any GPT
    assert answer.status_code == 400, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Location" not in answer.headers
    # AND the attacker's own browser still completes it (nothing was consumed)
    back = location(chatgpt.browser.get(provider_redirect, allow_redirects=False, timeout=TIMEOUT))
    assert query_of(back)["code"].startswith("gac_")
