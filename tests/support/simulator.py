"""The GPT simulator page on its own, as a WSGI test client."""

from __future__ import annotations

import re

from werkzeug.test import Client

from localdev.manifest import ActionUrls
from localdev.samples import SAMPLE_SETTINGS
from localdev.simulator import Simulator, SimulatorConfig

BASE = "http://127.0.0.1:3999"
SECRET = SAMPLE_SETTINGS["GPT_CLIENT_SECRET"]


def make_client(base: str = BASE, **config) -> Client:
    sim = Simulator(
        SimulatorConfig(
            urls=ActionUrls.local(base),
            client_id=SAMPLE_SETTINGS["GPT_CLIENT_ID"],
            client_secret=SECRET,
            callback_url=f"{base}/simulator/callback",
            **config,
        )
    )
    return Client(sim)


def csrf_token(client: Client, base: str = BASE) -> str:
    """The CSRF token the page's forms carry for this browser (the client's cookie)."""
    page = client.get("/", base_url=base).get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)
