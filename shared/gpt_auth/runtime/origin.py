"""One host, one way in: with ``ORIGIN_SECRET`` set, only requests that CloudFront forwarded pass.

CloudFront adds the header ``ORIGIN_HEADER`` with the secret to every request it sends to a
Function URL; a request that reaches a Function URL directly lacks it and is refused with 403
before routing, so the WAF rule and the one host cannot be walked around. Unset (no
``DomainName``, and local runs), every request passes.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping
from typing import Any

from gpt_auth.runtime.errors import ConfigError, HttpError

ORIGIN_HEADER = "x-origin-verify"
MIN_SECRET_LENGTH = 32
_SECRET = re.compile(r"[A-Za-z0-9._~-]+")  # what a header value carries safely


class NotThroughCloudFront(HttpError):
    status = 403
    code = "forbidden"

    def __init__(self) -> None:
        super().__init__(
            "This function answers only through its CloudFront host (DomainName), not on its "
            "Function URL; use the URLs of the stack's outputs."
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
    sent = next((str(v) for k, v in headers.items() if str(k).lower() == ORIGIN_HEADER), "")
    if not hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), secret.encode()):
        raise NotThroughCloudFront()
