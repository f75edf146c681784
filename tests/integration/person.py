"""The person's browser in an MCP client's sign-in, for the tests that drive an MCP client (an SDK's
OAuth provider, the conformance suite) through the real consent page and the Google stand-in."""

from __future__ import annotations

import html
import re

import requests

from tests.integration.chatgpt import TIMEOUT, consent, location


class Person:
    """The person's browser for an MCP client's sign-in: our consent page's Allow, then the Google
    stand-in as ``user``; ``page`` is the consent page seen. It stops at ``callback``, never opened."""

    def __init__(self, callback: str, user: str = "sdk@example.com") -> None:
        self.callback, self.user = callback, user
        self.browser = requests.Session()
        self.page = ""

    def sign_in(self, authorization_url: str) -> str:
        """Where the browser lands at the end: the client's callback URL with its query."""
        page = self.browser.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
        assert page.status_code == 200, page.text[:500]
        self.page = page.text
        action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page.text)[1])
        token = html.unescape(re.search(r'name="request" value="([^"]+)"', page.text)[1])
        allowed = self.browser.post(
            action, data={"request": token, "decision": "allow"}, allow_redirects=False, timeout=TIMEOUT
        )
        assert allowed.status_code == 303, allowed.text[:500]
        provider_redirect = consent(allowed.headers["Location"], sub=self.user)
        back = location(self.browser.get(provider_redirect, allow_redirects=False, timeout=TIMEOUT))
        assert back.startswith(self.callback + "?"), back
        return back
