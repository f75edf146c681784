"""Error types. Each HTTP-facing error knows its status and its public message."""

from __future__ import annotations

import re

BASIC_REALM = "gpt-google-auth"
BEARER_REALM = "gpt-google-auth"

# RFC 6749 5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no double quote, no backslash).
_NOT_DESCRIPTION_TEXT = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
# What a client-supplied value may hold to be quoted in an error: no quotes, backslashes or markup.
_SHOWABLE = re.compile(r"[A-Za-z0-9 !#$%&()*+,./:;=?@\[\]^_{|}~-]{0,60}")


def shown(value: str) -> str:
    """A client-supplied value quoted for an error message, or a placeholder when unsafe to echo.

    Only short, plain values (no quotes, backslashes, markup or control characters) are echoed.
    """
    return f"'{value}'" if _SHOWABLE.fullmatch(value) else "(a value that cannot be shown)"


def description_text(text: str) -> str:
    """``text`` within RFC 6749 5.2's error_description characters: '"' becomes "'", others '?'."""
    return _NOT_DESCRIPTION_TEXT.sub(lambda m: "'" if m.group() == '"' else "?", text)


class ConfigError(Exception):
    """A setting is missing or malformed. The message names the setting and may be shown to a client;
    ``detail`` says more for the log only (an ARN, an account id, the cause)."""

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(message)
        self.detail = detail


class HttpError(Exception):
    """An error answered as JSON ``{"error": code, "error_description": description}``."""

    status = 400
    code = "invalid_request"

    def __init__(self, description: str, *, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.description = description
        if code is not None:
            self.code = code
        self.headers = headers or {}


class BadRequest(HttpError):
    status = 400
    code = "invalid_request"


class RequestRefused(BadRequest):
    """A sign-in request refused with a page, never a redirect; ``details`` are the values at fault."""

    def __init__(self, description: str, details: dict[str, str] | None = None):
        super().__init__(description)
        self.details = details or {}


class InvalidToken(HttpError):
    """RFC 6750: the bearer token is missing, malformed, unknown, expired or revoked."""

    status = 401
    code = "invalid_token"

    def __init__(self, description: str = "The access token is missing, invalid, expired or revoked."):
        super().__init__(
            description,
            headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
        )


class MissingToken(InvalidToken):
    """RFC 6750 3.1: the request carries no bearer token at all (no Authorization, or another scheme).

    The challenge then names only the realm: no ``error``, since the client may simply not have
    known that this resource needs a token.
    """

    def __init__(self, description: str):
        super().__init__(description)
        self.headers = {"WWW-Authenticate": f'Bearer realm="{BEARER_REALM}"'}


class InsufficientScope(HttpError):
    """RFC 6750 3.1: the user did not grant a scope at Google that this action needs."""

    status = 403
    code = "insufficient_scope"

    def __init__(self, missing: tuple[str, ...]):
        self.missing = missing
        scope = " ".join(missing)
        super().__init__(
            "This action needs access you did not allow at Google when you signed in "
            f"({scope}). Sign in again from ChatGPT and allow it on Google's consent screen.",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        )


class InvalidClient(HttpError):
    """RFC 6749 5.2: client authentication failed. ``basic`` when the client tried HTTP Basic."""

    status = 401
    code = "invalid_client"

    def __init__(self, description: str, *, basic: bool = False):
        super().__init__(
            description, headers={"WWW-Authenticate": f'Basic realm="{BASIC_REALM}"'} if basic else None
        )


class InvalidGrant(HttpError):
    """RFC 6749 5.2: the code or refresh token is invalid, expired, revoked, used or not ours."""

    status = 400
    code = "invalid_grant"


class UnsupportedGrantType(HttpError):
    status = 400
    code = "unsupported_grant_type"


class InvalidScope(HttpError):
    status = 400
    code = "invalid_scope"


class InvalidTarget(HttpError):
    """RFC 8707 2: the ``resource`` asked for is not one this server issues tokens for."""

    status = 400
    code = "invalid_target"


class NotFound(HttpError):
    status = 404
    code = "not_found"


class MethodNotAllowed(HttpError):
    status = 405
    code = "method_not_allowed"

    def __init__(self, method: str, allowed: list[str]):
        super().__init__(
            f"Method {method} is not allowed here; use {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)},
        )


class PayloadTooLarge(HttpError):
    status = 413
    code = "invalid_request"


class UnsupportedMediaType(HttpError):
    status = 415
    code = "invalid_request"


class UpstreamError(HttpError):
    """The identity provider failed or answered something we cannot trust."""

    status = 502
    code = "temporarily_unavailable"


class ServiceUnavailable(HttpError):
    status = 503
    code = "temporarily_unavailable"

    def __init__(self, description: str, *, retry_after: int | None = None):
        super().__init__(description, headers={"Retry-After": str(retry_after)} if retry_after else None)


class TooManyRequests(HttpError):
    """A caller over a rate bound: 429 with ``Retry-After``."""

    status = 429
    code = "temporarily_unavailable"

    def __init__(self, description: str, *, retry_after: int):
        super().__init__(description, headers={"Retry-After": str(retry_after)})


class ServerMisconfigured(HttpError):
    status = 500
    code = "server_error"
