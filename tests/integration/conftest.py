"""The whole system as ``make dev`` runs it: the emulator, the Google stand-in, make dev's settings."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from gpt_auth.runtime import settings
from localdev.dev import LocalUrls, local_settings
from localdev.emulator import FunctionUrlEmulator, serve_in_thread
from localdev.simulator import LocalSite
from localdev.stand_in import StandIn
from tests.integration.chatgpt import ChatGpt
from tests.support.make_dev import Local, local_simulator


@pytest.fixture
def chatgpt(emulator: str, stand_in: StandIn, configure: Callable[..., None]) -> ChatGpt:
    """A GPT pointed at the emulator's URLs, with the handlers set up exactly as ``make dev`` does."""
    configure(**local_settings(os.environ, LocalUrls(emulator), stand_in.issuer))
    config = settings.get_settings()
    return ChatGpt(emulator, config.gpt_client_id, config.gpt_client_secret)


@pytest.fixture
def mcp_url(emulator: str, stand_in: StandIn, configure: Callable[..., None]) -> str:
    """The emulator's /mcp, with the settings make dev gives the handlers."""
    urls = LocalUrls(emulator)
    configure(**local_settings(os.environ, urls, stand_in.issuer))
    return urls.mcp


@pytest.fixture
def local(stand_in: StandIn, configure: Callable[..., None]) -> Iterator[Local]:
    """The functions and the simulator on one free port, with make dev's settings."""
    site = LocalSite(FunctionUrlEmulator())
    with serve_in_thread(site) as server:
        urls = LocalUrls(f"http://127.0.0.1:{server.server_port}")
        configure(**local_settings(os.environ, urls, stand_in.issuer))
        site.simulator = local_simulator(urls)
        yield Local(urls.base, site.simulator)
