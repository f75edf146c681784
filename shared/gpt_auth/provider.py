"""The identity provider (Google unless ``OIDC_ISSUER`` is set): endpoints, code exchange, ID tokens.

Google's endpoints are built in, so signing in with Google fetches no discovery document. With
``OIDC_ISSUER`` set, ``<issuer>/.well-known/openid-configuration`` is fetched once per container.
The provider's signing keys (JWKS) are cached per container for the ``max-age`` it announces and
fetched again when an ID token names a key the cache lacks (key rotation). Every call has a
connect and a read timeout; any failure becomes ``UpstreamError`` (a 502 page). ``requests`` and
``google-auth`` are imported only inside the functions that talk to the provider.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlencode, urlsplit

from gpt_auth.errors import UpstreamError
from gpt_auth.log import logger
from gpt_auth.settings import get_settings

if TYPE_CHECKING:
    from requests import Response

TIMEOUT = (3.05, 5.0)  # connect, read (seconds); the function's own timeout is 15 s
KEYS_MAX_AGE = (60, 3600, 86400)  # floor, default when not announced, ceiling (seconds)
RETRY = "Try signing in again from ChatGPT in a moment."


@dataclass(frozen=True)
class Provider:
    """Where and how to talk to one OpenID Connect provider."""

    name: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    accepted_issuers: tuple[str, ...]
    token_endpoint_auth: str = "client_secret_post"

    def authorization_url(
        self, *, client_id: str, callback_uri: str, state: str, nonce: str, code_challenge: str, scope: str
    ) -> str:
        """Where to send the browser to sign in (code flow, PKCE S256), asking for ``scope``."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": callback_uri,
                "scope": scope,
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in self.authorization_endpoint else "?"
        return f"{self.authorization_endpoint}{separator}{query}"

    def exchange_code(
        self, *, code: str, callback_uri: str, code_verifier: str, client_id: str, client_secret: str
    ) -> str:
        """Trade the provider's code for its token response; returns the ID token (nothing else is kept).

        Raises
        ------
        UpstreamError
            The provider is unreachable, slow, failing, refuses the code or answers without an ID token.
        """
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback_uri,
            "code_verifier": code_verifier,
        }
        auth = None
        if self.token_endpoint_auth == "client_secret_basic":  # RFC 6749 2.3.1: form-encode, then Basic
            auth = (quote_plus(client_id), quote_plus(client_secret))
        else:
            form |= {"client_id": client_id, "client_secret": client_secret}
        action = "exchanging the sign-in code"
        response = _call(self.name, "POST", self.token_endpoint, action, data=form, auth=auth)
        if response.status_code in (400, 401):
            answer = _json_or_none(response) or {}
            error = str(answer.get("error", ""))[:64]
            logger.warning(
                "provider refused the code", extra={"status": response.status_code, "error": error}
            )
            hint = " Check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET." if error == "invalid_client" else ""
            raise UpstreamError(
                f"{self.name} refused the sign-in code ({error or f'HTTP {response.status_code}'}).{hint} "
                "Start the sign-in again from ChatGPT."
            )
        id_token = _json(self.name, response, action).get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise UpstreamError(f"{self.name} answered the code exchange without an ID token. {RETRY}")
        return id_token

    def verify_id_token(self, token: str, *, client_id: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, expiry and nonce check out.

        Raises
        ------
        UpstreamError
            The token is invalid (code ``server_error``), or the signing keys cannot be fetched.
        """
        from gpt_auth import id_tokens

        try:
            keys = self._signing_keys(id_tokens.unverified_key_id(token))
            return id_tokens.verify(
                token,
                keys=keys,
                keys_url=self.jwks_uri,
                audience=client_id,
                issuers=self.accepted_issuers,
                nonce=nonce,
            )
        except id_tokens.InvalidIdToken as exc:
            logger.warning("ID token refused", extra={"reason": exc.reason})
            raise UpstreamError(
                f"{self.name}'s ID token was refused: {exc.reason}. Start the sign-in again from ChatGPT.",
                code="server_error",
            ) from None

    def _signing_keys(self, key_id: str | None) -> bytes:
        cached = _keys.get(self.jwks_uri)
        if (
            cached is not None
            and cached.expires > time.monotonic()
            and (key_id is None or key_id in cached.kids)
        ):
            return cached.body
        # An unknown key id refetches at once: tokens reach us only from the token endpoint, over
        # TLS, in exchange for a one-time code, so this cannot be driven by a third party.
        action = "fetching its signing keys"
        response = _call(self.name, "GET", self.jwks_uri, action)
        keys = _json(self.name, response, action).get("keys")
        if not isinstance(keys, list):
            raise UpstreamError(f"{self.name}'s signing keys are not a JWK set. {RETRY}")
        kids = frozenset(k["kid"] for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str))
        max_age = _max_age(response.headers.get("Cache-Control", ""))
        _keys[self.jwks_uri] = _Keys(response.content, kids, time.monotonic() + max_age)
        return response.content


GOOGLE = Provider(
    name="Google",
    issuer="https://accounts.google.com",
    authorization_endpoint="https://accounts.google.com/o/oauth2/v2/auth",
    token_endpoint="https://oauth2.googleapis.com/token",
    # The JWK set Google's discovery document names; verified through PyJWT like any provider's.
    jwks_uri="https://www.googleapis.com/oauth2/v3/certs",
    accepted_issuers=("https://accounts.google.com", "accounts.google.com"),
)


@dataclass(frozen=True)
class _Keys:
    body: bytes
    kids: frozenset[str]
    expires: float  # time.monotonic()


_discovered: dict[str, Provider] = {}
_keys: dict[str, _Keys] = {}


def current() -> Provider:
    """Google, or the provider ``OIDC_ISSUER`` names (discovered once per container)."""
    issuer = get_settings().oidc_issuer
    if issuer is None:
        return GOOGLE
    found = _discovered.get(issuer)
    if found is None:
        found = _discovered[issuer] = discover(issuer)
    return found


def discover(issuer: str) -> Provider:
    """Read ``<issuer>/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0).

    Raises
    ------
    UpstreamError
        The document cannot be fetched, names another issuer, or lacks an endpoint we need.
    """
    name = urlsplit(issuer).netloc or issuer
    action = "reading its OpenID configuration"
    doc = _json(name, _call(name, "GET", f"{issuer}/.well-known/openid-configuration", action), action)
    if str(doc.get("issuer", "")).rstrip("/") != issuer:
        raise UpstreamError(
            f"{name}'s OpenID configuration names another issuer than OIDC_ISSUER ({issuer})."
        )
    endpoints = {}
    schemes = ("https", "http") if issuer.startswith("http://") else ("https",)  # http: local stand-ins
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = doc.get(field)
        if not isinstance(value, str) or urlsplit(value).scheme not in schemes:
            raise UpstreamError(f"{name}'s OpenID configuration has no usable {field}.")
        endpoints[field] = value
    # The discovery default is client_secret_basic; prefer client_secret_post, as with Google.
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth = "client_secret_post" if "client_secret_post" in methods else "client_secret_basic"
    return Provider(
        name=name,
        issuer=str(doc["issuer"]),
        accepted_issuers=(str(doc["issuer"]),),
        token_endpoint_auth=auth,
        **endpoints,
    )


def reset() -> None:
    """Forget discovered providers and cached signing keys (tests)."""
    _discovered.clear()
    _keys.clear()


def _call(name: str, method: str, url: str, action: str, **kwargs: Any) -> Response:
    import requests

    try:
        return requests.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except requests.Timeout:
        failure = "did not answer in time"
    except requests.RequestException:
        failure = "could not be reached"
    logger.warning("provider unavailable", extra={"provider": name, "action": action, "failure": failure})
    raise UpstreamError(f"{name} {failure} while {action}. {RETRY}")


def _json_or_none(response: Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _json(name: str, response: Response, action: str) -> dict[str, Any]:
    if response.status_code != 200:
        logger.warning(
            "provider failed", extra={"provider": name, "action": action, "status": response.status_code}
        )
        raise UpstreamError(f"{name} answered HTTP {response.status_code} while {action}. {RETRY}")
    data = _json_or_none(response)
    if data is None:
        raise UpstreamError(f"{name} answered something other than a JSON object while {action}. {RETRY}")
    return data


def _max_age(cache_control: str) -> float:
    floor, default, ceiling = KEYS_MAX_AGE
    match = re.search(r"(?:^|[,\s])max-age=(\d+)", cache_control)
    return min(max(int(match.group(1)), floor), ceiling) if match else default
