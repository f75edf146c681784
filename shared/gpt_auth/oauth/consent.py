"""An MCP client's sign-in: its authorization request and the consent page shown before Google.

Anyone can register an MCP client and name it as they like, so before the browser goes to Google
a page names the client and, prominently, the host its redirect URI sends the code to, and asks
to allow or deny. The request's checks come first, in RFC 6749 4.1.2.1's order: an unknown
client or a redirect URI it did not register is a page (``RequestRefused``), never a redirect;
anything else wrong goes back to the client as ``error``: a missing PKCE S256 challenge
(``invalid_request``: a public client's code is only as safe as its verifier) and a ``resource``
that is not ``/mcp`` (``invalid_target``, ``gpt_auth.oauth.resources``) included.

The page is a plain form without JavaScript, posting to ``/consent``. The request waits in the
store at the consent stage, bound to the browser's sign-in cookie like any pending sign-in; its
id is the form's CSRF token. A POST is honoured only with both that id and the cookie of the
browser that opened the page, once: another browser's cookie, none, a wrong or replayed id is a
refusal page, and nothing is redirected. The page cannot be framed (``X-Frame-Options: DENY``,
``frame-ancestors 'none'``) nor cached (``no-store``): no click on it can be borrowed by another
site. Allow stores the request anew for the provider (a fresh id as our ``state`` at Google) and
sends the browser there with 303; Deny sends it back to the client with ``access_denied``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from gpt_auth.oauth import authorization, clients, pending, resources, scopes
from gpt_auth.runtime.errors import InvalidTarget, RequestRefused
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.settings import get_settings
from gpt_auth.runtime.web import html_response, redirect

CONSENT_PATH = "/consent"
ALLOW, DENY = "allow", "deny"
PKCE_REQUIRED = "PKCE is required: send code_challenge with code_challenge_method=S256."
UNKNOWN_CLIENT = (
    "The client_id is unknown, or its registration expired. For a GPT, set its OAuth 'Client ID' to "
    "this server's GPT_CLIENT_ID; for an MCP app, connect it to this server again so that it "
    "registers anew."
)
UNKNOWN_CONSENT = (
    "This sign-in request is unknown, expired (they last 10 minutes), already answered, or was "
    "started in another browser, so nothing was allowed. Start the sign-in again from the app, in "
    "this browser."
)


def ask(params: Mapping[str, str], *, public_url: str | None, browser: str) -> str | dict[str, Any]:
    """Check an MCP client's authorization request; its consent page, or its callback with an error.

    Raises
    ------
    RequestRefused
        The client is unknown, or the redirect URI missing or not one the client registered.
    """
    config = get_settings()
    client = clients.find(params.get("client_id", ""), config)
    if client is None or not client.is_mcp:
        received = params.get("client_id", "")
        raise RequestRefused(UNKNOWN_CLIENT, {"client_id received": authorization.shown_prefix(received)})
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        raise RequestRefused("The request has no redirect_uri. Start the sign-in again from the app.")
    reason = clients.allows_redirect(client, redirect_uri, ())
    if reason is not None:
        raise RequestRefused(
            f"The redirect_uri is not allowed. {reason}",
            {"redirect_uri received": authorization.shown_prefix(redirect_uri)},
        )
    iss = authorization.issuer(public_url)
    try:
        granted, resource = _checked(params)
    except _SentBack as back:
        code, description = back.args
        return authorization.error_back(redirect_uri, params.get("state", ""), code, description, iss)
    request = pending.PendingRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        state=params["state"],
        scope=granted,
        nonce="",  # nonce and code_verifier: minted by authorization.to_provider once allowed
        code_verifier="",
        callback_uri=authorization.callback_uri(public_url),
        code_challenge=params["code_challenge"],
        resource=resource,
        stage=pending.CONSENT,
    )
    request_id = pending.create(request, browser=browser)
    logger.info("consent asked", extra={"client_kind": client.kind})
    return page(client, request, form_token=request_id, action=iss + CONSENT_PATH)


class _SentBack(Exception):
    """An error for the client's callback: its code and description (RFC 6749 4.1.2.1)."""


def _checked(params: Mapping[str, str]) -> tuple[str, str]:
    """The scope to grant and the resource binding; ``_SentBack`` when the request is refused."""
    config = get_settings()
    error = authorization.request_error(params)
    if error is None and not params.get("code_challenge"):
        error = "invalid_request", PKCE_REQUIRED
    if error is not None:
        raise _SentBack(*error)
    granted = scopes.granted_scope(params.get("scope", ""), config.google_scopes)
    if granted is None:
        raise _SentBack(*authorization.scope_refusal(config.google_scopes))
    try:
        return granted, resources.binding(params.get("resource") or None, config)
    except InvalidTarget as exc:
        raise _SentBack(exc.code, exc.description) from None


def decide(form: Mapping[str, str], *, public_url: str | None, browser: str | None) -> dict[str, Any]:
    """The answer to the consent form: 303 to the provider (allow) or to the client (deny).

    Raises
    ------
    RequestRefused
        No sign-in cookie, no decision, or no pending request at the consent stage for this
        form token and this browser (unknown, expired, answered, another browser's).
    """
    if browser is None:
        raise RequestRefused(authorization.NO_COOKIE)
    decision = form.get("decision")
    if decision not in (ALLOW, DENY):
        raise RequestRefused("The answer is neither Allow nor Deny. Start the sign-in again from the app.")
    request = pending.consume(form.get("request", ""), browser=browser, stage=pending.CONSENT)
    if request is None:
        raise RequestRefused(UNKNOWN_CONSENT)
    logger.info("consent answered", extra={"decision": decision})
    if decision == DENY:
        denied = "The person denied this app access."
        iss = authorization.issuer(public_url)
        return redirect(
            authorization.error_back(request.redirect_uri, request.state, "access_denied", denied, iss), 303
        )
    return redirect(authorization.to_provider(replace(request, stage=None), browser=browser), 303)


def page(
    client: clients.Client, request: pending.PendingRequest, *, form_token: str, action: str
) -> dict[str, Any]:
    """The consent page: every value from the client is escaped."""
    host = urlsplit(request.redirect_uri).netloc
    scope_items = "".join(f"<li><code>{html.escape(scope)}</code></li>" for scope in request.scope.split())
    body = (
        f"<p><strong>{html.escape(client.name)}</strong> asks to use this server's tools "
        "(its MCP endpoint) as you, with your Google account.</p>"
        "<p>If you allow, you sign in with Google next, and the app's access is sent to</p>"
        f'<p style="font-size:1.4rem"><strong>{html.escape(host)}</strong></p>'
        f"<p>(<code>{html.escape(request.redirect_uri)}</code>). Allow only if you started this "
        "from that app, and you trust that address.</p>"
        f"<p>It asks for:</p><ul>{scope_items}</ul>"
        f'<form method="post" action="{html.escape(action)}">'
        f'<input type="hidden" name="request" value="{html.escape(form_token)}">'
        f'<button type="submit" name="decision" value="{ALLOW}">Allow</button> '
        f'<button type="submit" name="decision" value="{DENY}">Deny</button>'
        "</form>"
        f"<p><small>Client id: <code>{html.escape(client.client_id)}</code></small></p>"
    )
    return html_response(200, f"Allow {client.name}?", body)
