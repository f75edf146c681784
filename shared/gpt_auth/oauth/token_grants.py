"""The token endpoint's grants: ``authorization_code`` (RFC 6749 4.1.3) and ``refresh_token`` (6).

The client is already authenticated (``gpt_auth.oauth.client_auth``). Each grant returns a new token
pair or raises the RFC 6749 5.2 error to answer. For an MCP client, a ``resource`` sent (RFC 8707)
must be the one its code or token family is bound to (``invalid_target`` otherwise); the GPT's
requests are bound to no resource, and a ``resource`` it sends is ignored, as it always was.
"""

from __future__ import annotations

from collections.abc import Mapping

from gpt_auth.oauth import codes, pkce, sessions
from gpt_auth.oauth.tokens import AUTHORIZATION_CODE, REFRESH_TOKEN, Lookup, is_well_formed, lookup
from gpt_auth.runtime.errors import BadRequest, InvalidGrant, InvalidScope, UnsupportedGrantType
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.settings import Settings

AUTHORIZATION_CODE_GRANT = "authorization_code"
REFRESH_TOKEN_GRANT = "refresh_token"


def issue_tokens(
    params: Mapping[str, str], *, client_id: str, settings: Settings, mcp: bool = False
) -> sessions.IssuedTokens:
    """Run the grant named by ``grant_type`` for an authenticated client.

    Parameters
    ----------
    params
        The token request's parameters; blank values count as absent (RFC 6749 3.1).
    client_id
        The authenticated client.
    mcp
        It is a public MCP client (``none``): the ``resource`` it sends is checked.
    settings
        Token lifetimes.

    Raises
    ------
    BadRequest
        A required parameter is missing (``invalid_request``).
    UnsupportedGrantType, InvalidGrant, InvalidScope
        As RFC 6749 section 5.2 describes them.
    InvalidTarget
        As RFC 8707 section 2 does.
    """
    lifetimes = sessions.Lifetimes.from_settings(settings)
    resource = params.get("resource") if mcp else None
    grant_type = _required(params, "grant_type")
    if grant_type == AUTHORIZATION_CODE_GRANT:
        return exchange_code(
            _required(params, "code"),
            redirect_uri=_required(params, "redirect_uri"),
            client_id=client_id,
            lifetimes=lifetimes,
            code_verifier=params.get("code_verifier"),
            resource=resource,
        )
    if grant_type == REFRESH_TOKEN_GRANT:
        return refresh(
            _required(params, "refresh_token"),
            scope=params.get("scope"),
            client_id=client_id,
            lifetimes=lifetimes,
            resource=resource,
        )
    raise UnsupportedGrantType(
        f"This grant_type is not supported; use {AUTHORIZATION_CODE_GRANT} or {REFRESH_TOKEN_GRANT}."
    )


def exchange_code(
    code: str,
    *,
    redirect_uri: str,
    client_id: str,
    lifetimes: sessions.Lifetimes,
    code_verifier: str | None = None,
    resource: str | None = None,
) -> sessions.IssuedTokens:
    """Redeem an authorization code once and start a token family from it, bound to the code's resource.

    A code presented again is refused. A replay (anything but a duplicate of the first exchange,
    see ``codes.redeem_code``) also revokes every session issued from it, including the one a
    concurrent first redemption is creating at that moment.
    """
    if not is_well_formed(code, AUTHORIZATION_CODE):
        raise InvalidGrant("The code is not an authorization code of this server.")
    malformed = pkce.verifier_error(code_verifier)
    if malformed is not None:  # refused before the code is spent
        raise BadRequest(malformed)
    grant = codes.redeem_code(code, client_id=client_id, redirect_uri=redirect_uri)
    if grant is None:
        code_hash = lookup(code)
        if codes.was_replayed(code_hash):  # a duplicate of the first exchange revokes nothing
            _revoke_issued_from(code_hash)
        raise InvalidGrant("The authorization code is unknown, expired or already used.")
    # The code is used up from here on, whatever the outcome (RFC 6749 4.1.3).
    if grant.client_id != client_id:
        raise InvalidGrant("The authorization code was issued to another client.")
    if grant.redirect_uri != redirect_uri:
        raise InvalidGrant("The redirect_uri does not match the one the authorization code was issued for.")
    pkce.check_verifier(grant.code_challenge, code_verifier)
    if resource is not None:
        from gpt_auth.oauth import resources

        resources.check_requested(resource, grant.resource)
    issued = sessions.create_session(
        user_id=grant.user_id,
        client_id=client_id,
        scope=grant.scope,
        lifetimes=lifetimes,
        code_hash=grant.code_hash,
        resource=grant.resource,
    )
    # A replay that ran while we were creating the session found nothing to revoke yet.
    if codes.was_replayed(grant.code_hash):
        _revoke_issued_from(grant.code_hash)
        raise InvalidGrant("The authorization code was presented twice; start the sign-in again.")
    return issued


def refresh(
    refresh_token: str,
    *,
    scope: str | None,
    client_id: str,
    lifetimes: sessions.Lifetimes,
    resource: str | None = None,
) -> sessions.IssuedTokens:
    """Rotate a refresh token (see ``sessions.rotate_refresh_token``), optionally narrowing scope;
    a ``resource`` sent must be the family's."""
    if not is_well_formed(refresh_token, REFRESH_TOKEN):
        raise InvalidGrant("The refresh_token is not a refresh token of this server.")
    narrower = None
    if scope is not None or resource is not None:
        granted = sessions.grant_of_refresh_token(refresh_token, client_id=client_id)
        # An unknown or retired token falls through to the rotation, which refuses it.
        if granted is not None:
            if resource is not None:
                from gpt_auth.oauth import resources

                resources.check_requested(resource, granted.get("resource"))
            if scope is not None:
                narrower = narrowed_scope(scope, str(granted["scope"]))
    issued = sessions.rotate_refresh_token(
        refresh_token, client_id=client_id, lifetimes=lifetimes, scope=narrower
    )
    if issued is None:
        raise InvalidGrant("The refresh token is unknown, expired or revoked; sign in again.")
    return issued


def narrowed_scope(requested: str, granted: str) -> str | None:
    """The requested scope if it is strictly narrower than ``granted``; None if equal.

    Raises
    ------
    InvalidScope
        The request asks for a scope the user never granted.
    """
    wanted = list(dict.fromkeys(requested.split()))
    have = set(granted.split())
    if not set(wanted) <= have:
        raise InvalidScope("The requested scope is wider than the scope the user granted.")
    return None if set(wanted) == have else " ".join(wanted)


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if value is None:
        raise BadRequest(f"The {name} parameter is missing.")
    return value


def _revoke_issued_from(code_hash: Lookup) -> None:
    revoked = sessions.revoke_issued_from_code(code_hash)
    if revoked:
        logger.warning(
            "authorization code replayed; sessions issued from it revoked", extra={"revoked": revoked}
        )
