"""Business metrics as CloudWatch EMF lines: sign-ins, token grants, refusals, server errors, Google grants.

Powertools' ``Metrics`` module is already loaded with its Logger, so this module adds little at
cold start (docs/performance.md). A request that records nothing prints nothing.
Namespace from ``POWERTOOLS_METRICS_NAMESPACE``; ``POWERTOOLS_METRICS_DISABLED=true`` turns it off.
"""

from __future__ import annotations

import os

from aws_lambda_powertools.metrics import Metrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from gpt_auth.runtime.log import logger

SIGN_INS = "SignIns"  # a user came back from Google and got an authorization code
TOKEN_GRANTS = "TokenGrants"  # the token endpoint issued tokens (code or refresh)
REFUSALS = "Refusals"  # any 4xx answer
SERVER_ERRORS = "ServerErrors"  # any 5xx answer
REFRESH_TOKEN_REUSE = "RefreshTokenReuse"  # a retired refresh token was presented: its family revoked
DUPLICATE_CODE_EXCHANGES = "DuplicateCodeExchanges"  # a code presented again within the duplicate window
GOOGLE_REFRESHES = "GoogleRefreshes"  # an action refreshed a user's stored Google grant at Google
GOOGLE_GRANTS_ENDED = "GoogleGrantsEnded"  # a grant was refused (invalid_grant) or unusable: user signed out
GOOGLE_UNAVAILABLE = "GoogleUnavailable"  # a refresh met Google failing or slow: answered 503

metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "gpt-google-auth",
    service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "gpt-google-auth",
)


def count(name: str) -> None:
    """Add one to ``name`` for this request; published by ``publish``."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def count_outcome(status: int) -> None:
    """Count a refusal (4xx) or a server error (5xx) from a response status."""
    if 400 <= status < 500:
        count(REFUSALS)
    elif status >= 500:
        count(SERVER_ERRORS)


def publish() -> None:
    """Print this request's metrics as one EMF line, if it recorded any."""
    if not metrics.metric_set:
        return
    try:
        if is_metrics_disabled():
            metrics.clear_metrics()
        else:
            metrics.flush_metrics()
    except Exception as exc:  # a metric must never cost the answer
        metrics.clear_metrics()
        logger.warning("metrics not published", extra={"error_type": type(exc).__name__})
