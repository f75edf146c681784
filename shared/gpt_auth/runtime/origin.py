"""One host, one way in: with ``ORIGIN_SECRET`` set, only requests that CloudFront forwarded pass.

CloudFront adds the header ``ORIGIN_HEADER`` with the secret to every request it sends to a
Function URL; a request that reaches a Function URL directly lacks it and is refused with 403
before routing, so the WAF rule and the one host cannot be walked around. Unset (``Hosts`` three,
and local runs), every request passes.

``client_address``: who is calling, for rate limits. Behind CloudFront a Function URL's peer is
CloudFront itself; the viewer's address comes in ``VIEWER_ADDRESS_HEADER``, which CloudFront
writes (the template's origin request policy, AllViewerExceptHostHeader, forwards CloudFront's
headers) and which is believed only with the origin secret, like ``PUBLIC_URL_HEADER``.

``public_url``: where a function's ``/`` is as the GPT and Google see it. Behind CloudFront, the
path function (template.yaml, ``PathRouter``) says so in ``PUBLIC_URL_HEADER``
(``https://<distribution>.cloudfront.net/authorize``); the header is believed only on a request
that carries the origin secret, since anyone may send it to a Function URL.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gpt_auth.runtime.errors import ConfigError, HttpError

if TYPE_CHECKING:
    from gpt_auth.runtime.web import Request

ORIGIN_HEADER = "x-origin-verify"
PUBLIC_URL_HEADER = "x-public-url"
VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"  # "<ip>:<port>", IPv6 unbracketed
# What the path function sends: https, a host name, and the one path segment it stripped.
_PUBLIC_URL = re.compile(r"https://[a-z0-9.-]+(/[a-z]+)?")
MIN_SECRET_LENGTH = 32
_SECRET = re.compile(r"[A-Za-z0-9._~-]+")  # what a header value carries safely


class NotThroughCloudFront(HttpError):
    status = 403
    code = "forbidden"

    def __init__(self) -> None:
        super().__init__(
            "This function answers only through its CloudFront host, not on its Function URL; "
            "use the URLs of the stack's outputs."
        )


def expected_secret() -> str | None:
    """``ORIGIN_SECRET``, validated; None when unset.

    Raises
    ------
    ConfigError
        When it is set but shorter than ``MIN_SECRET_LENGTH`` or holds characters other than
        letters, digits and ``._~-``.
    """
    raw = os.environ.get("ORIGIN_SECRET", "").strip()
    if not raw:
        return None
    if len(raw) < MIN_SECRET_LENGTH or not _SECRET.fullmatch(raw):
        raise ConfigError(
            f"ORIGIN_SECRET must be at least {MIN_SECRET_LENGTH} letters, digits or '._~-' "
            f"(got {len(raw)} characters)."
        )
    return raw


def require_cloudfront(headers: Mapping[str, Any]) -> None:
    """Refuse a request without the origin header's secret (compared in constant time).

    ``headers`` are the event's; names are matched without regard to case.

    Raises
    ------
    NotThroughCloudFront
        When ``ORIGIN_SECRET`` is set and the request's ``ORIGIN_HEADER`` differs or is missing.
    """
    secret = expected_secret()
    if secret is None:
        return
    sent = _header(headers, ORIGIN_HEADER)
    if not hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), secret.encode()):
        raise NotThroughCloudFront()


def public_url(headers: Mapping[str, Any], domain_name: str | None) -> str | None:
    """This function's ``/`` as callers reach it, without a trailing slash; None when unknown.

    Behind CloudFront (``ORIGIN_SECRET`` set) it is ``PUBLIC_URL_HEADER``, once the request's
    origin header is checked, and None when that header is missing or malformed (a path function
    that is not the template's); otherwise ``https://<domain_name>``, the Function URL's own host
    (``requestContext.domainName``).

    Raises
    ------
    NotThroughCloudFront
        ``ORIGIN_SECRET`` is set and the request does not carry it.
    """
    if expected_secret() is None:
        return f"https://{domain_name}" if domain_name else None
    require_cloudfront(headers)
    sent = _header(headers, PUBLIC_URL_HEADER)
    return sent if _PUBLIC_URL.fullmatch(sent) else None


def request_public_url(request: Request) -> str | None:
    """``public_url`` for the function ``request`` came to (its ``requestContext.domainName``)."""
    domain = (request.event.get("requestContext") or {}).get("domainName")
    return public_url(request.headers, str(domain) if domain else None)


def client_address(headers: Mapping[str, Any], source_ip: str | None) -> str | None:
    """The caller's IP address in its standard text form; None when unknown.

    Behind CloudFront (``ORIGIN_SECRET`` set) it is the address in ``VIEWER_ADDRESS_HEADER``,
    once the request's origin header is checked; otherwise ``source_ip``, the Function URL's TCP
    peer (``requestContext.http.sourceIp``). ``X-Forwarded-For`` is never read: a caller writes it.

    Raises
    ------
    NotThroughCloudFront
        ``ORIGIN_SECRET`` is set and the request does not carry it.
    """
    if expected_secret() is None:
        return _ip_address(source_ip or "")
    require_cloudfront(headers)
    return _ip_address(_header(headers, VIEWER_ADDRESS_HEADER).rpartition(":")[0].strip("[]"))


def _ip_address(text: str) -> str | None:
    import ipaddress  # only the routes that rate-limit by address pay for it

    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _header(headers: Mapping[str, Any], name: str) -> str:
    """A header's value ('' when absent), its name matched without regard to case."""
    return next((str(v) for k, v in headers.items() if str(k).lower() == name), "")
