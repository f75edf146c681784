"""The Google stand-in: ``oidc-provider-mock``, a real OpenID Connect provider, on a free local port.

The handlers reach it through ``OIDC_ISSUER`` (discovery at ``/.well-known/openid-configuration``).
Its consent page lists the sample users; any other user id typed there signs in as well (its
email is the id). It accepts any client id and secret, but grants an unregistered client only the
OIDC scopes (``openid profile email address phone``): ``make dev`` registers a client allowed
Calendar's scope (:meth:`StandIn.register_client`) and uses its id and secret as
``GOOGLE_CLIENT_ID`` and ``GOOGLE_CLIENT_SECRET``. Consent is a POST to the authorize URL (query
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
    # 1,000 events in the next week at the Calendar stand-in (localdev.calendar_stand_in).
    oidc_provider_mock.User(
        sub="busy@example.com",
        claims={"email": "busy@example.com", "email_verified": True, "name": "Busy Bee"},
    ),
)
REGISTER_TIMEOUT = 5.0


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

    def revoke_user(self, sub: str) -> None:
        """Drop every token of ``sub``: the user removing our access at Google."""
        import requests

        requests.post(f"{self.issuer}/users/{sub}/revoke-tokens", timeout=REGISTER_TIMEOUT).raise_for_status()

    def register_client(
        self, redirect_uris: Sequence[str], scope: str, *, auth_method: str = "client_secret_post"
    ) -> tuple[str, str]:
        """Register an OAuth client allowed ``scope`` (an unregistered one gets only the OIDC scopes).

        Returns its ``(client_id, client_secret)``; it authenticates with ``auth_method``. Our
        provider client uses ``client_secret_basic`` here: the stand-in's discovery document
        names no ``token_endpoint_auth_methods_supported``, whose default is Basic.
        """
        import requests

        answer = requests.post(
            f"{self.issuer}/oauth2/clients",
            json={
                "redirect_uris": list(redirect_uris),
                "scope": scope,
                "token_endpoint_auth_method": auth_method,
            },
            timeout=REGISTER_TIMEOUT,
        )
        answer.raise_for_status()
        client = answer.json()
        return str(client["client_id"]), str(client["client_secret"])


@contextmanager
def google_stand_in(users: Sequence[oidc_provider_mock.User] = SAMPLE_USERS) -> Iterator[StandIn]:
    """Run the stand-in on a background thread for the ``with`` block, on a free port.

    It requires a ``nonce`` in authorization requests, as our handlers always send one.
    """
    with oidc_provider_mock.run_server_in_thread(port=0, require_nonce=True, user_claims=users) as server:
        yield StandIn(port=server.server_port)
