"""Fixtures for tests that stub the identity provider at its HTTP edge."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from gpt_auth import settings
from tests.fake_idp import ISSUER, FakeIdp


@pytest.fixture
def http_mock() -> Iterator[responses.RequestsMock]:
    """Every ``requests`` call in the test goes to stubs; an unstubbed URL fails the call."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake_idp(http_mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> FakeIdp:
    """The stubbed provider, configured through ``OIDC_ISSUER``."""
    monkeypatch.setenv("OIDC_ISSUER", ISSUER)
    settings.reset()
    return FakeIdp(http_mock)
