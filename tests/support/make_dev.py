"""The system as ``make dev`` sets it up, for tests that run it in-process: settings and simulator."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import requests

from gpt_auth.runtime import settings
from localdev.dev import LOCAL_GOOGLE_SCOPES, LocalUrls, local_settings
from localdev.manifest import ActionUrls
from localdev.simulator import COOKIE, BrowserSession, Simulator, SimulatorConfig
from localdev.stand_in import StandIn

TIMEOUT = 10


def calendar_settings(stand_in: StandIn, urls: LocalUrls, api_base: str | None = None) -> dict[str, str]:
    """``make dev``'s settings with a stand-in client registered for its scopes, Calendar's included.

    ``api_base`` is the Calendar stand-in's URL (``GOOGLE_API_BASE``); without it, Google's.
    Apply them with the ``configure`` fixture.
    """
    client = stand_in.register_client(
        [urls.google_redirect], LOCAL_GOOGLE_SCOPES, auth_method="client_secret_basic"
    )
    return local_settings(os.environ, urls, stand_in.issuer, client, api_base)


def local_simulator(urls: LocalUrls) -> Simulator:
    """The GPT simulator for ``urls``, with the GPT client of the settings in force."""
    config = settings.get_settings()
    return Simulator(
        SimulatorConfig(
            ActionUrls.local(urls.base),
            config.gpt_client_id,
            config.gpt_client_secret,
            urls.simulator_callback,
        )
    )


@dataclass
class Local:
    """The functions and the simulator on one port, as make dev serves them (the ``local`` fixture)."""

    base: str
    simulator: Simulator

    def browser_session(self, browser: requests.Session) -> BrowserSession:
        """What the simulator's server holds for this browser (the test may look; the page may not)."""
        return self.simulator._sessions[browser.cookies[COOKIE]]


def press(local: Local, browser: requests.Session, path: str, **fields: str) -> requests.Response:
    """Submit one of the page's forms as a browser does: load the page, send the form and its CSRF token."""
    page = browser.get(f"{local.base}/", timeout=TIMEOUT).text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token, page[:500]
    return browser.post(f"{local.base}{path}", data={"csrf": token.group(1), **fields}, timeout=TIMEOUT)
