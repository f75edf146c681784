"""The whole system as ``make dev`` runs it: the emulator, the Google stand-in, make dev's settings."""

from __future__ import annotations

import os

import pytest

from gpt_auth import provider, settings
from localdev.dev import LocalUrls, local_settings
from localdev.stand_in import StandIn
from tests.integration.chatgpt import ChatGpt


@pytest.fixture
def chatgpt(emulator: str, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch) -> ChatGpt:
    """A GPT pointed at the emulator's URLs, with the handlers set up exactly as ``make dev`` does."""
    for name, value in local_settings(os.environ, LocalUrls(emulator), stand_in.issuer).items():
        monkeypatch.setenv(name, value)
    settings.reset()
    provider.reset()
    config = settings.get_settings()
    return ChatGpt(emulator, config.gpt_client_id, config.gpt_client_secret)
