"""The MongoDB connection: one lazy client per container, indexes ensured once per collection.

With ``MONGODB_URI`` unset or ``mongomock://...`` the embedded in-memory store (mongomock) serves
local runs and tests through the same code. Inside AWS Lambda the embedded store is refused,
since each container would keep its own sessions and lose them.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gpt_auth.runtime.errors import ConfigError, ServiceUnavailable
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.settings import get_settings

if TYPE_CHECKING:
    from pymongo.collection import Collection

USERS = "users"
AUTHORIZATION_REQUESTS = "authorization_requests"
AUTHORIZATION_CODES = "authorization_codes"
SESSIONS = "sessions"
GOOGLE_GRANTS = "google_grants"

# name -> list of (keys, options); all creations are idempotent.
_INDEXES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    USERS: [("email", {})],
    AUTHORIZATION_REQUESTS: [("expires_at", {"expireAfterSeconds": 0})],
    AUTHORIZATION_CODES: [("expires_at", {"expireAfterSeconds": 0})],
    SESSIONS: [
        ("expires_at", {"expireAfterSeconds": 0}),
        ("access_token_hash", {"unique": True}),
        ("refresh_token_hash", {"unique": True}),
        ("previous_refresh_token_hash", {}),
        ("retry_refresh_token_hash", {}),
        ("retry_access_token_hash", {}),
        ("family_tag_hash", {}),
        ("user_id", {}),
        ("code_hash", {}),
    ],
    GOOGLE_GRANTS: [("expires_at", {"expireAfterSeconds": 0})],
}

MAX_POOL_SIZE = 2

# Server error codes that mean the store refuses to serve us until an operator acts: our
# credentials or roles (AuthenticationFailed, Unauthorized), Atlas's proxy refusals (AtlasError:
# "bad auth", "you are over your space quota", "user is not allowed to do action"), a full disk.
REFUSAL_CODES: dict[int, str] = {
    13: "Unauthorized",
    18: "AuthenticationFailed",
    8000: "AtlasError",
    14031: "OutOfDiskSpace",
}

# Codes and sessions decide who is signed in, and a Google grant is refreshed by compare-and-set
# and deleted when Google refuses it: whatever MONGODB_URI says, they read the primary (a
# secondary may not have seen a rotation, a new grant or a revocation yet) and write to a
# majority (an acknowledged rotation or revocation survives a failover).
_STRICT = frozenset({AUTHORIZATION_CODES, SESSIONS, GOOGLE_GRANTS})

# Fail fast: an unreachable database becomes a 503 within a few seconds, far inside the
# function timeout, instead of pymongo's default 30 s server selection.
CLIENT_OPTIONS: dict[str, Any] = {
    "serverSelectionTimeoutMS": 2000,
    "connectTimeoutMS": 2000,
    "socketTimeoutMS": 3000,
    # One request at a time per container: 2 connections cover a request plus a connection being
    # replaced, and keep containers x 2 (+ pymongo's monitor connections) under the cluster's
    # connection limit (docs/deploy.md, "Concurrency and connections").
    "maxPoolSize": MAX_POOL_SIZE,
    # Where several requests share a client (make dev's three functions, the tests), one waits at
    # most this long for a pooled connection, then answers 503; in Lambda it never waits.
    "waitQueueTimeoutMS": 2000,
    "tz_aware": True,
    "appname": "gpt-google-auth",
}

_client: Any = None
_client_uri: str | None = None
_ready: set[str] = set()


def now() -> datetime:
    return datetime.now(UTC)


def _new_client(uri: str) -> Any:
    if uri.startswith("mongomock://"):
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            raise ConfigError("MONGODB_URI is not set; the embedded store is for local runs only.")
        import mongomock  # local runs and tests only

        return mongomock.MongoClient(tz_aware=True)
    from pymongo import MongoClient

    return MongoClient(uri, **CLIENT_OPTIONS)


def collection(name: str, *, read_only: bool = False) -> Collection[dict[str, Any]]:
    """A collection of the configured database, its indexes ensured on first use.

    ``read_only=True`` skips that round trip, for callers that never insert (the token check, a
    code's redemption): they find or update only documents a writer inserted after it created
    the indexes.
    """
    global _client, _client_uri
    settings = get_settings()
    if _client is None or _client_uri != settings.mongodb_uri:
        reset()  # first use, or a rotated secret changed the URI (e.g. a new password)
        _client, _client_uri = _new_client(settings.mongodb_uri), settings.mongodb_uri
    coll: Collection[dict[str, Any]] = _client[settings.mongodb_database][name]
    if name in _STRICT:
        from pymongo import ReadPreference, WriteConcern

        coll = coll.with_options(
            read_preference=ReadPreference.PRIMARY, write_concern=WriteConcern("majority")
        )
    if not read_only and name not in _ready:
        ensure_indexes(coll, name)
        _ready.add(name)
    return coll


def ensure_indexes(coll: Collection[dict[str, Any]], name: str) -> list[str]:
    """Create the collection's indexes; a no-op when they exist."""
    from pymongo import IndexModel

    return coll.create_indexes([IndexModel(keys, **options) for keys, options in _INDEXES[name]])


def reset() -> None:
    """Drop the cached client (tests; a new MONGODB_URI)."""
    global _client, _client_uri
    if _client is not None:
        _client.close()
    _client, _client_uri = None, None
    _ready.clear()


def outage_answer(exc: Exception) -> ServiceUnavailable | None:
    """The 503 for an exception that means the store cannot serve now, else None.

    Server selection and connection failures, timeouts and unmet write concerns are outages: the
    request may succeed in a moment, so the caller is told to retry, never given a 500. A server
    refusal with a code of ``REFUSAL_CODES`` (bad credentials or roles, Atlas's quota) is one too,
    logged as an error since it lasts until an operator acts; the client learns only "unavailable".
    """
    from pymongo.errors import ConnectionFailure, ExecutionTimeout, OperationFailure, WriteConcernError

    if isinstance(exc, (ConnectionFailure, ExecutionTimeout, WriteConcernError)):
        logger.warning("database unavailable", extra={"error_type": type(exc).__name__})
        return ServiceUnavailable("The session store is unreachable; try again in a moment.")
    if isinstance(exc, OperationFailure) and exc.code in REFUSAL_CODES:
        # The code names the cause; the server's message is not logged (it may quote a user name).
        logger.error(
            "database refused the request",
            extra={"error_type": type(exc).__name__, "code": exc.code, "code_name": REFUSAL_CODES[exc.code]},
        )
        return ServiceUnavailable("The session store refused to serve this request; try again later.")
    return None
