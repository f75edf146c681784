"""The Google stand-in: ``oidc-provider-mock``, a real OpenID Connect provider, on a free local port.

The handlers reach it through ``OIDC_ISSUER`` (discovery at ``/.well-known/openid-configuration``).
Its consent page lists the sample users; any other user id typed there signs in as well (its
email is the id). It accepts any client id and secret, so ``GOOGLE_CLIENT_ID`` and
``GOOGLE_CLIENT_SECRET`` are local placeholders. Consent is a POST to the authorize URL (query
string kept) with form field ``sub``; ``action=deny`` answers ``error=access_denied``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import oidc_provider_mock

SAMPLE_USERS = (
    oidc_provider_mock.User(
        sub="ada@example.com",
        claims={"email": "ada@example.com", "email_verified": True, "name": "Ada Lovelace"},
    ),
)


@dataclass(frozen=True)
class StandIn:
    """A running stand-in: ``issuer`` is the value for ``OIDC_ISSUER``."""

    port: int

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def authorize_url(self) -> str:
        return f"{self.issuer}/oauth2/authorize"


@contextmanager
def google_stand_in(users: Sequence[oidc_provider_mock.User] = SAMPLE_USERS) -> Iterator[StandIn]:
    """Run the stand-in on a background thread for the ``with`` block, on a free port.

    It requires a ``nonce`` in authorization requests, as our handlers always send one.
    """
    with oidc_provider_mock.run_server_in_thread(port=0, require_nonce=True, user_claims=users) as server:
        yield StandIn(port=server.server_port)
