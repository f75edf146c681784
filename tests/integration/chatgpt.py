"""Play ChatGPT's side of a GPT action's OAuth over real HTTP, and the person's part in the browser.

ChatGPT sends the person to the authorization URL (``client_id``, its callback, ``state``, an
empty ``scope``), receives ``code`` and ``state`` at its callback, exchanges the code at the
token URL with a form body (client credentials in the body or in HTTP Basic), calls the action
with the access token, and refreshes. Its callback is on chatgpt.com, which is never contacted:
the code and state are read from the last redirect's ``Location``. The person's browser keeps
cookies (``ChatGpt.browser``), so our sign-in cookie set at the authorization URL comes back
with the provider's redirect to our callback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from localdev.dev import LocalUrls

GPT_CALLBACK = "https://chatgpt.com/aip/g-Integration01/oauth/callback"
TIMEOUT = 10


def query_of(url: str) -> dict[str, str]:
    """A URL's query parameters, single-valued."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def location(response: requests.Response) -> str:
    """The redirect target of a 302 (asserting it is one)."""
    assert response.status_code == 302, f"{response.status_code}: {response.text[:500]}"
    return response.headers["Location"]


@dataclass
class SignIn:
    """Where one sign-in ended: the GPT callback URL with its query, and every hop on the way."""

    gpt_redirect: str
    provider_url: str
    provider_redirect: str

    @property
    def params(self) -> dict[str, str]:
        return query_of(self.gpt_redirect)

    @property
    def code(self) -> str:
        return self.params["code"]


@dataclass
class ChatGpt:
    """A GPT configured with the local URLs and its client credentials."""

    base: str
    client_id: str
    client_secret: str
    redirect_uri: str = GPT_CALLBACK
    browser: requests.Session = field(default_factory=requests.Session)  # the person's, with its cookies

    @property
    def urls(self) -> LocalUrls:
        """The functions' URLs under the emulator at ``base``."""
        return LocalUrls(self.base)

    def authorize(self, **overrides: str | None) -> requests.Response:
        """ChatGPT's authorization request (not followed); ``None`` leaves a parameter out."""
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": "gpt-state-1234",
            "scope": "",
        } | overrides
        sent = {name: value for name, value in params.items() if value is not None}
        return self.browser.get(self.urls.authorization, params=sent, allow_redirects=False, timeout=TIMEOUT)

    def sign_in(self, user: str = "alice@example.com", **overrides: str | None) -> SignIn:
        """The whole browser journey: authorize, consent at the provider as ``user``, our callback."""
        provider_url = location(self.authorize(**overrides))
        provider_redirect = consent(provider_url, sub=user)
        gpt_redirect = location(self.browser.get(provider_redirect, allow_redirects=False, timeout=TIMEOUT))
        return SignIn(gpt_redirect, provider_url, provider_redirect)

    def token(
        self, data: dict[str, str], *, basic: bool = False, secret: str | None = None
    ) -> requests.Response:
        """A token request with a form body; client credentials in the body or in HTTP Basic."""
        client_secret = self.client_secret if secret is None else secret
        if basic:
            return requests.post(
                self.urls.token, data=data, auth=(self.client_id, client_secret), timeout=TIMEOUT
            )
        credentials = {"client_id": self.client_id, "client_secret": client_secret}
        return requests.post(self.urls.token, data=data | credentials, timeout=TIMEOUT)

    def exchange(
        self, code: str, *, basic: bool = False, redirect_uri: str | None = None
    ) -> requests.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri or self.redirect_uri,
        }
        return self.token(data, basic=basic)

    def access_token_for(self, user: str) -> str:
        """Sign ``user`` in and exchange the code, as ChatGPT does; the access token it got."""
        exchanged = self.exchange(self.sign_in(user).code)
        assert exchanged.status_code == 200, exchanged.text
        return str(exchanged.json()["access_token"])

    def refresh(self, refresh_token: str, *, basic: bool = False) -> requests.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token}, basic=basic)

    def call_action(self, access_token: str, name: str = "Ada") -> requests.Response:
        return requests.post(
            self.urls.test_endpoint,
            json={"name": name},
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=TIMEOUT,
        )


def consent(provider_url: str, **form: Any) -> str:
    """The person at the provider: open its consent page, submit it; returns where it sends them."""
    page = requests.get(provider_url, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    return location(requests.post(provider_url, data=form, allow_redirects=False, timeout=TIMEOUT))
