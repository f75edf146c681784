"""A refresh at a token endpoint that refuses connections, or accepts and never answers (real TCP)."""

from __future__ import annotations

import time

import pytest

from gpt_auth.google import google_tokens, provider
from gpt_auth.oauth import sessions
from gpt_auth.runtime.errors import ServiceUnavailable
from localdev.nx_server import free_port
from tests.support.fake_idp import FakeIdp
from tests.support.grants import due_grant, session_of

USER = "http://localhost:9#user-1"


@pytest.mark.parametrize("kind", ["down", "slow"])
def test_token_endpoint_down_or_slow_is_a_503_within_the_timeout_and_revokes_nothing(
    kind, http_mock, monkeypatch, request, configure
):
    # GIVEN a due grant, and a provider whose token endpoint refuses connections or never answers
    port = free_port() if kind == "down" else request.getfixturevalue("black_hole")
    issuer = "http://localhost:9"  # only a local http issuer may name local http endpoints
    configure(OIDC_ISSUER=issuer)
    monkeypatch.setattr(provider, "TIMEOUT", (0.5, 1.0))  # the real one is (3.05, 5), as at the callback
    FakeIdp(http_mock, issuer=issuer, token_endpoint=f"http://127.0.0.1:{port}/token")
    http_mock.add_passthru(f"http://127.0.0.1:{port}")
    due_grant(USER)
    session = session_of(USER)
    # WHEN an action asks for a token
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as caught:
        google_tokens.access_token_for(USER)
    # THEN a 503 with Retry-After, within the timeouts, and the session and grant untouched
    assert time.monotonic() - started < 3
    expected = "could not be reached" if kind == "down" else "did not answer in time"
    assert expected in caught.value.description
    assert caught.value.headers["Retry-After"] == str(provider.RETRY_AFTER_SECONDS)
    assert sessions.session_for_access_token(session) is not None
    grant = google_tokens.load(USER)
    assert grant is not None and grant.refresh_token == "1//r"
