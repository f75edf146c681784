"""The system as ``make dev`` sets it up, for tests that run it in-process: settings and simulator."""

from __future__ import annotations

import os

from gpt_auth.runtime import settings
from localdev.dev import LOCAL_GOOGLE_SCOPES, LocalUrls, local_settings
from localdev.manifest import ActionUrls
from localdev.simulator import Simulator, SimulatorConfig
from localdev.stand_in import StandIn


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
