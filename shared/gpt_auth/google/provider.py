"""The identity provider (Google unless ``OIDC_ISSUER`` is set): endpoints, code exchange, ID tokens.

Google's endpoints are built in, so signing in with Google fetches no discovery document. With
``OIDC_ISSUER`` set, ``<issuer>/.well-known/openid-configuration`` is fetched once per container.
The provider's signing keys (JWKS) are cached per container for the ``max-age`` it announces and
fetched again when an ID token names a key the cache lacks (key rotation). Every call has a
connect and a read timeout; at sign-in any failure becomes ``UpstreamError`` (a 502 page), while
an action's refresh of a stored grant that meets an outage answers 503 with ``Retry-After``
(``ServiceUnavailable``) and a refused grant raises ``GrantRefused``. ``requests`` and
``google-auth`` are imported only inside the functions that talk to the provider.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlencode, urlsplit

from gpt_auth.google.http import TIMEOUT, retry_after_seconds
from gpt_auth.runtime.errors import ServiceUnavailable, UpstreamError
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.setting_values import ascii_int
from gpt_auth.runtime.settings import get_settings

if TYPE_CHECKING:
    from requests import Response

KEYS_MAX_AGE = (60, 3600, 86400)  # floor, default when not announced, ceiling (seconds)
RETRY = "Try signing in again from ChatGPT in a moment."
RETRY_AFTER_SECONDS = 10  # what a 503 tells the caller when the provider names no Retry-After
GOOGLE_REVOCATION_ENDPOINT = "https://oauth2.googleapis.com/revoke"
# Google's access tokens live an hour; a longer claimed lifetime is not believed.
MAX_EXPIRES_IN = 86_400


@dataclass(frozen=True, repr=False)
class TokenResponse:
    """The provider's token response (RFC 6749 5.1), as far as we use it. Its repr shows no token."""

    id_token: str | None
    access_token: str | None
    refresh_token: str | None
    expires_in: int | None
    scope: str | None

    def __repr__(self) -> str:
        present = [name for name in ("id_token", "access_token", "refresh_token") if getattr(self, name)]
        return f"TokenResponse(has={present!r}, expires_in={self.expires_in!r}, scope={self.scope!r})"

    @classmethod
    def from_json(cls, answer: dict[str, Any]) -> TokenResponse:
        def text(name: str) -> str | None:
            value = answer.get(name)
            return value if isinstance(value, str) and value else None

        return cls(
            id_token=text("id_token"),
            access_token=text("access_token"),
            refresh_token=text("refresh_token"),
            expires_in=_expires_in(answer.get("expires_in")),
            scope=answer.get("scope") if isinstance(answer.get("scope"), str) else None,
        )


def _expires_in(value: object) -> int | None:
    """Seconds from a number or a string of ASCII digits (some providers send one), within
    1..``MAX_EXPIRES_IN``; anything else is treated as absent (the caller's default applies)."""
    seconds = value if type(value) is int else ascii_int(value)
    return seconds if seconds is not None and 0 < seconds <= MAX_EXPIRES_IN else None


class GrantRefused(Exception):
    """The provider refused a stored refresh token (``invalid_grant``): the user's grant is gone."""


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
    revocation_endpoint: str | None = None

    def authorization_url(
        self,
        *,
        client_id: str,
        callback_uri: str,
        state: str,
        nonce: str,
        code_challenge: str,
        scope: str,
        prompt_consent: bool = False,
        login_hint: str | None = None,
    ) -> str:
        """Where to send the browser to sign in (code flow, PKCE S256), asking for ``scope`` offline.

        ``access_type=offline`` asks Google for a refresh token, which it issues only when the
        person sees the consent screen: the first time, or with ``prompt_consent``.
        ``include_granted_scopes=true`` keeps what the person granted before.
        """
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback_uri,
            "scope": scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "access_type": "offline",
            "include_granted_scopes": "true",
        }
        if prompt_consent:
            params["prompt"] = "consent"
        if login_hint:
            params["login_hint"] = login_hint
        query = urlencode(params)
        separator = "&" if "?" in self.authorization_endpoint else "?"
        return f"{self.authorization_endpoint}{separator}{query}"

    def exchange_code(
        self, *, code: str, callback_uri: str, code_verifier: str, client_id: str, client_secret: str
    ) -> TokenResponse:
        """Trade the provider's code for its token response (which always holds an ID token).

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
        form, auth = self._client_auth(form, client_id, client_secret)
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
        tokens = TokenResponse.from_json(_json(self.name, response, action))
        if tokens.id_token is None:
            raise UpstreamError(f"{self.name} answered the code exchange without an ID token. {RETRY}")
        return tokens

    def refresh(self, *, refresh_token: str, client_id: str, client_secret: str) -> TokenResponse:
        """A new access token for a stored refresh token (RFC 6749 6), same timeouts as the callback.

        Raises
        ------
        GrantRefused
            The provider answered ``invalid_grant``: the person removed access, changed the
            password, or the token outlived its lifetime.
        ServiceUnavailable
            The provider is unreachable, slow or failing (5xx); ``Retry-After`` says when to retry.
        UpstreamError
            The provider refused our client (e.g. ``invalid_client``) or answered nonsense.
        """
        form, auth = self._client_auth(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, client_id, client_secret
        )
        action = "refreshing the access it granted"
        response = _call_or_503(self.name, "POST", self.token_endpoint, action, data=form, auth=auth)
        if response.status_code in (400, 401):
            error = str((_json_or_none(response) or {}).get("error", ""))[:64]
            logger.warning(
                "provider refused the refresh", extra={"status": response.status_code, "error": error}
            )
            if error == "invalid_grant":
                raise GrantRefused(error)
            raise UpstreamError(
                f"{self.name} refused our refresh ({error or f'HTTP {response.status_code}'}). "
                "Check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET."
            )
        if response.status_code >= 500:
            logger.warning(
                "provider failed",
                extra={"provider": self.name, "action": action, "status": response.status_code},
            )
            raise ServiceUnavailable(
                f"{self.name} answered HTTP {response.status_code} while {action}; try again in a moment.",
                retry_after=retry_after_seconds(response.headers.get("Retry-After", ""), RETRY_AFTER_SECONDS),
            )
        tokens = TokenResponse.from_json(_json(self.name, response, action))
        if tokens.access_token is None:
            raise UpstreamError(f"{self.name} answered the refresh without an access token.")
        return tokens

    def revoke(self, token: str) -> bool:
        """Revoke a token at the provider (RFC 7009); False when it has no revocation endpoint.

        An already revoked or unknown token counts as revoked (Google answers 400 invalid_token).

        Raises
        ------
        UpstreamError
            The provider is unreachable, slow or failing.
        """
        if self.revocation_endpoint is None:
            return False
        action = "revoking the access it granted"
        response = _call(self.name, "POST", self.revocation_endpoint, action, data={"token": token})
        if response.status_code == 200:
            return True
        error = str((_json_or_none(response) or {}).get("error", ""))[:64]
        if response.status_code == 400 and error in ("invalid_token", "invalid_grant"):
            return True
        logger.warning(
            "provider failed", extra={"provider": self.name, "action": action, "status": response.status_code}
        )
        raise UpstreamError(f"{self.name} answered HTTP {response.status_code} while {action}.")

    def _client_auth(
        self, form: dict[str, str], client_id: str, client_secret: str
    ) -> tuple[dict[str, str], tuple[str, str] | None]:
        if self.token_endpoint_auth == "client_secret_basic":  # RFC 6749 2.3.1: form-encode, then Basic
            return form, (quote_plus(client_id), quote_plus(client_secret))
        return form | {"client_id": client_id, "client_secret": client_secret}, None

    def verify_id_token(self, token: str, *, client_id: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, expiry and nonce check out.

        Raises
        ------
        UpstreamError
            The token is invalid (code ``server_error``), or the signing keys cannot be fetched.
        """
        from gpt_auth.google import id_tokens

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
    revocation_endpoint=GOOGLE_REVOCATION_ENDPOINT,
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
    revocation = doc.get("revocation_endpoint")  # optional (RFC 8414); the local stand-in has none
    return Provider(
        name=name,
        issuer=str(doc["issuer"]),
        accepted_issuers=(str(doc["issuer"]),),
        token_endpoint_auth=auth,
        revocation_endpoint=revocation
        if isinstance(revocation, str) and urlsplit(revocation).scheme in schemes
        else None,
        **endpoints,
    )


def reset() -> None:
    """Forget discovered providers and cached signing keys (tests)."""
    _discovered.clear()
    _keys.clear()


def _send(name: str, method: str, url: str, action: str, **kwargs: Any) -> Response | str:
    """The response, or why there is none ("did not answer in time", "could not be reached")."""
    import requests

    try:
        return requests.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except requests.Timeout:
        failure = "did not answer in time"
    except requests.RequestException:
        failure = "could not be reached"
    logger.warning("provider unavailable", extra={"provider": name, "action": action, "failure": failure})
    return failure


def _call(name: str, method: str, url: str, action: str, **kwargs: Any) -> Response:
    answer = _send(name, method, url, action, **kwargs)
    if isinstance(answer, str):
        raise UpstreamError(f"{name} {answer} while {action}. {RETRY}")
    return answer


def _call_or_503(name: str, method: str, url: str, action: str, **kwargs: Any) -> Response:
    answer = _send(name, method, url, action, **kwargs)
    if isinstance(answer, str):
        raise ServiceUnavailable(
            f"{name} {answer} while {action}; try again in a moment.", retry_after=RETRY_AFTER_SECONDS
        )
    return answer


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
    match = re.search(r"(?:^|[,\s])max-age=([^,\s]+)", cache_control)
    seconds = ascii_int(match.group(1)) if match else None
    return default if seconds is None else min(max(seconds, floor), ceiling)
