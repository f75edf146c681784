"""The sign-in flow: an authorization request (``GET /``) and the provider's callback.

The GPT's request goes straight to the provider; an MCP client's is checked and shown its consent
page first (``gpt_auth.oauth.consent``, imported for MCP clients only). Errors follow RFC 6749
4.1.2.1: a bad ``client_id`` or ``redirect_uri`` is shown to the person as a page
(``RequestRefused``), never redirected; any other error goes back to the client's callback as
``error`` with its ``state``. Every redirect back carries ``iss`` (RFC 9207), the issuer as the
metadata states it. At the callback, as in Flask-Dance, the provider's ``error`` comes first,
then the pending request is consumed (once), then the code is exchanged. A provider that fails
or sends an ID token we refuse gets a 502 page (``UpstreamError``).

Google's tokens are stored as the user's grant (``gpt_auth.google.google_tokens``). Google sends a
refresh token only with its consent screen, so when the exchange brings none and we hold no live
one for that user, the browser goes back to Google once more with ``prompt=consent``."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from gpt_auth.google import google_tokens, provider
from gpt_auth.oauth import codes, pending, pkce, redirects, scopes, users
from gpt_auth.runtime import metrics
from gpt_auth.runtime.errors import ConfigError, RequestRefused
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.settings import get_settings

# What an anonymous GET / may make us store stays small (a pending request under 2 kB): ChatGPT's
# state is a short opaque value (a UUID seen), and its scope is the GPT editor's Scope field.
# The redirect_uri's cap is redirects.MAX_REDIRECT_URI_CHARS; the stored scope is at most
# GOOGLE_SCOPES, whatever was asked.
MAX_STATE_CHARS = 512
MAX_SCOPE_CHARS = 512
SHOWN_CHARS = 100  # of a refused client_id or redirect_uri: a whole ChatGPT callback fits

UNKNOWN_REQUEST = (
    "This sign-in request is unknown, expired (they last 10 minutes), already used, or was started "
    "in another browser, so there is no safe way back to ChatGPT. Start the sign-in again from "
    "ChatGPT in this browser."
)
NO_COOKIE = (
    "This browser did not bring back the sign-in cookie set when the sign-in started: the sign-in "
    "was started in another browser, or this browser blocks cookies for this site. Start the "
    "sign-in again from ChatGPT in this browser, with cookies allowed for this site."
)


def begin(params: Mapping[str, str], *, public_url: str | None, browser: str) -> str | dict[str, Any]:
    """Check the GPT's authorization request, store it, and return where to send the browser.

    Parameters
    ----------
    params
        The query parameters of ``GET /``.
    public_url
        Where this function's ``/`` is publicly (``gpt_auth.runtime.origin.public_url``), for our
        callback URL ``<public_url>/callback`` when ``GOOGLE_REDIRECT_URI`` is not set.
    browser
        The value of the sign-in cookie the response sets (``gpt_auth.oauth.sign_in_cookie``); only its
        hash is stored with the pending request.

    Returns
    -------
    str
        The provider's authorization URL, or the GPT's callback with an ``error``.

    Raises
    ------
    RequestRefused
        ``client_id`` or ``redirect_uri`` is missing or not allowed.
    UpstreamError
        The provider's configuration could not be read (``OIDC_ISSUER`` only).
    """
    config = get_settings()
    client_id = params.get("client_id", "")
    if client_id and client_id != config.gpt_client_id:
        from gpt_auth.oauth import consent  # only MCP clients need it

        return consent.ask(params, public_url=public_url, browser=browser)
    redirect_uri = _checked_client(params, config.gpt_client_id, config.allowed_redirect_uris)
    callback = callback_uri(public_url)
    iss = issuer(public_url)
    state = params.get("state", "")
    error = request_error(params)
    if error is not None:
        code, description = error
        return error_back(redirect_uri, state, code, description, iss)
    granted = scopes.granted_scope(params.get("scope", ""), config.google_scopes)
    if granted is None:
        return error_back(redirect_uri, state, *scope_refusal(config.google_scopes), iss)
    request = pending.PendingRequest(
        client_id=config.gpt_client_id,
        redirect_uri=redirect_uri,
        state=state,
        scope=granted,
        nonce="",  # nonce and code_verifier: minted by to_provider
        code_verifier="",
        callback_uri=callback,
        code_challenge=_given(params, "code_challenge"),
    )
    logger.info("sign-in started", extra={"gpt_id": redirects.gpt_id(redirect_uri)})
    return to_provider(request, browser=browser)


def to_provider(request: pending.PendingRequest, *, browser: str, login_hint: str | None = None) -> str:
    """Store ``request`` with fresh secrets for our own request to the provider; the provider's URL.

    ``login_hint`` asks for the provider's consent screen (the only way to a refresh token).
    """
    config = get_settings()
    idp = provider.current()
    verifier, nonce = pkce.new_verifier(), secrets.token_urlsafe(32)
    prompted = request.consent_prompted or login_hint is not None
    stored = replace(request, nonce=nonce, code_verifier=verifier, consent_prompted=prompted, stage=None)
    request_id = pending.create(stored, browser=browser)
    return idp.authorization_url(
        client_id=config.google_client_id,
        callback_uri=request.callback_uri,
        state=request_id,
        nonce=nonce,
        code_challenge=pkce.s256_challenge(verifier),
        scope=" ".join(config.google_scopes),
        prompt_consent=login_hint is not None,
        login_hint=login_hint,
    )


def finish(params: Mapping[str, str], *, browser: str | None, public_url: str | None) -> str:
    """Complete a sign-in at the provider's callback; returns the client's callback URL.

    On success that URL carries our one-time ``code`` and the client's ``state``; when the provider
    answered ``error``, it carries ``error=access_denied`` and the client's ``state``; both carry
    ``iss`` (RFC 9207). ``browser`` is the sign-in cookie the browser presented (None: none);
    without the one the pending request is bound to, nothing is consumed and the provider is not
    called. ``public_url`` is as for ``begin``, for the issuer.

    Raises
    ------
    RequestRefused
        No sign-in cookie, or the pending request is unknown, expired, already used or bound to
        another browser (there is nowhere safe to redirect).
    UpstreamError
        The provider failed, refused the code, or sent an ID token we refuse.
    """
    config = get_settings()
    if browser is None:
        raise RequestRefused(NO_COOKIE)
    provider_error = params.get("error")
    request = pending.consume(params.get("state", ""), browser=browser)
    if provider_error is not None:
        logger.info("provider refused the sign-in", extra={"provider_error": provider_error[:64]})
        if request is None:
            raise RequestRefused(
                "The sign-in was cancelled or refused at the sign-in provider. " + UNKNOWN_REQUEST,
                {"provider error": provider_error[:200]},
            )
        return error_back(
            request.redirect_uri,
            request.state,
            "access_denied",
            "The sign-in was cancelled or refused.",
            issuer(public_url),
        )
    if request is None:
        raise RequestRefused(UNKNOWN_REQUEST)
    idp = provider.current()
    code = params.get("code", "")
    if not code:
        # The browser brought a callback without the provider's answer: a bad request, not an outage.
        raise RequestRefused(
            f"This callback from {idp.name} has neither a code nor an error. "
            "Start the sign-in again from ChatGPT."
        )
    tokens = idp.exchange_code(
        code=code,
        callback_uri=request.callback_uri,
        code_verifier=request.code_verifier,
        client_id=config.google_client_id,
        client_secret=config.google_client_secret,
    )
    assert tokens.id_token is not None  # exchange_code refuses an answer without one
    claims = idp.verify_id_token(tokens.id_token, client_id=config.google_client_id, nonce=request.nonce)
    user_id = users.upsert_user(issuer=idp.issuer, claims=claims)
    config.key_ring()  # fail before anything is stored when Google's tokens could not be kept
    if (
        tokens.refresh_token is None
        and not request.consent_prompted
        and not google_tokens.holds_refresh_token(
            user_id, covering=google_tokens.granted_scopes(tokens, config.google_scopes)
        )
    ):
        email = claims.get("email")
        hint = email if isinstance(email, str) and email else claims["sub"]
        logger.info("no refresh token from the provider; asking for consent", extra={"provider": idp.name})
        return to_provider(request, browser=browser, login_hint=hint)
    google_tokens.save_from_callback(user_id, tokens, requested_scopes=config.google_scopes)
    our_code = codes.issue_code(
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        user_id=user_id,
        scope=request.scope,
        code_challenge=request.code_challenge,
        resource=request.resource,
    )
    logger.info("sign-in completed", extra={"gpt_id": redirects.gpt_id(request.redirect_uri)})
    metrics.count(metrics.SIGN_INS)
    return redirects.with_query(
        request.redirect_uri, {"code": our_code, "state": request.state, "iss": issuer(public_url)}
    )


def _checked_client(params: Mapping[str, str], client_id: str, patterns: Iterable[re.Pattern[str]]) -> str:
    """The redirect URI, once client and redirect URI are known good; else ``RequestRefused``."""
    if params.get("client_id", "") != client_id:  # an MCP client's goes to gpt_auth.oauth.consent
        raise RequestRefused("The request has no client_id. Open this page through the GPT's sign-in button.")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        raise RequestRefused(
            "The request has no redirect_uri. Open this page through the GPT's sign-in button."
        )
    reason = redirects.refusal_reason(redirect_uri, patterns)
    if reason is not None:
        # A short prefix is enough to recognise a callback; the allowlist itself is never shown.
        details = {"redirect_uri received": shown_prefix(redirect_uri)}
        gpt = redirects.gpt_id(redirect_uri)
        if gpt:
            details["GPT id it names"] = gpt
        raise RequestRefused(
            f"The redirect_uri is not allowed. {reason} A GPT's callback URL changes when its OAuth "
            "settings are edited; if this is your GPT, allow its callback in ALLOWED_REDIRECT_URIS.",
            details,
        )
    return redirect_uri


def shown_prefix(value: str) -> str:
    """The first ``SHOWN_CHARS`` of a refused value, for the page that refuses it."""
    return value[:SHOWN_CHARS] + ("…" if len(value) > SHOWN_CHARS else "")


def request_error(params: Mapping[str, str]) -> tuple[str, str] | None:
    """The RFC 6749 4.1.2.1 error code and description for the rest of the request, if any."""
    response_type = params.get("response_type", "")
    if not response_type:
        return "invalid_request", "response_type is missing; it must be 'code'."
    if response_type != "code":
        return "unsupported_response_type", "Only response_type=code is supported."
    if not params.get("state"):
        return "invalid_request", "state is missing."
    for name, cap in (("state", MAX_STATE_CHARS), ("scope", MAX_SCOPE_CHARS)):
        if len(params.get(name, "")) > cap:
            return "invalid_request", f"{name} is longer than {cap} characters."
    reason = pkce.challenge_error(_given(params, "code_challenge"), _given(params, "code_challenge_method"))
    return ("invalid_request", reason) if reason is not None else None


def _given(params: Mapping[str, str], name: str) -> str | None:
    """A parameter's value; a blank one counts as absent (RFC 6749 3.1)."""
    return params.get(name) or None


def scope_refusal(offered: Iterable[str]) -> tuple[str, str]:
    """The error for a request asking for none of the scopes we grant."""
    return (
        "invalid_scope",
        f"None of the requested scopes is granted here; ask for some of: {' '.join(offered)}.",
    )


def error_back(redirect_uri: str, state: str, code: str, description: str, iss: str) -> str:
    """The client's callback with an RFC 6749 4.1.2.1 error, its state when it is within bounds, and
    the issuer (RFC 9207)."""
    echoed = {"state": state} if 0 < len(state) <= MAX_STATE_CHARS else {}
    return redirects.with_query(
        redirect_uri, {"error": code, "error_description": description, **echoed, "iss": iss}
    )


def issuer(public_url: str | None) -> str:
    """Our issuer, as the metadata states it: the ``iss`` of every redirect back (RFC 9207)."""
    from gpt_auth.oauth import server_metadata

    return server_metadata.own_issuer(public_url)


def callback_uri(public_url: str | None) -> str:
    """Our callback at the provider: ``GOOGLE_REDIRECT_URI``, or ``<public_url>/callback``."""
    configured = get_settings().google_redirect_uri
    if configured:
        return configured
    if not public_url:
        raise ConfigError(
            "GOOGLE_REDIRECT_URI is not set and the request names no public URL to build it from "
            "(behind CloudFront: the X-Public-Url header of the stack's path function; run make deploy)."
        )
    return f"{public_url}/callback"
