"""The MongoDB connection: one lazy client per container, indexes ensured once per collection.

Each collection is declared (:class:`Stored`) in the module that uses it; ``gpt_auth.stored``
lists them all.

With ``MONGODB_URI`` unset or ``mongomock://...`` the embedded in-memory store (mongomock) serves
local runs and tests through the same code. Inside AWS Lambda the embedded store is refused,
since each container would keep its own sessions and lose them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from gpt_auth.runtime.errors import ConfigError, ServiceUnavailable
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.settings import get_settings

if TYPE_CHECKING:
    from pymongo.collection import Collection


class Stored(NamedTuple):
    """A collection, declared in the module that uses it: its indexes, its concerns, what it keeps.

    A NamedTuple, not a frozen dataclass: every function imports this module at a cold start, and
    a dataclass compiles its methods there.

    Attributes
    ----------
    name
        The collection's name in ``MONGODB_DATABASE``.
    about, holds
        What it keeps about a person, in words: a title and sentences for the privacy page.
        ``holds`` may name the configured lifetimes: ``{access}``, ``{refresh}``, ``{longest}``.
    indexes
        ``(keys, options)`` pairs, created once per container (an idempotent ``createIndexes``);
        none is fine. An ``expires_at`` index with ``expireAfterSeconds: 0`` is a TTL index.
    strict
        Reads the primary and writes to a majority whatever ``MONGODB_URI`` says: for documents
        that decide who is signed in, or that a compare-and-set or an erasure must not lose.
    user_field
        The field holding the user id, where a user's documents are found and erased; None when
        no document names a user.
    """

    name: str
    about: str
    holds: str
    indexes: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    strict: bool = False
    user_field: str | None = None


def expiring(field: str = "expires_at") -> tuple[str, Mapping[str, Any]]:
    """A TTL index: MongoDB deletes a document once its ``field`` has passed."""
    return (field, {"expireAfterSeconds": 0})


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


def collection(stored: Stored, *, read_only: bool = False) -> Collection[dict[str, Any]]:
    """The declared collection in the configured database, its indexes ensured on first use.

    ``read_only=True`` skips that round trip, for callers that never insert (the token check, a
    code's redemption): they find or update only documents a writer inserted after it created
    the indexes.
    """
    global _client, _client_uri
    settings = get_settings()
    if _client is None or _client_uri != settings.mongodb_uri:
        reset()  # first use, or a rotated secret changed the URI (e.g. a new password)
        _client, _client_uri = _new_client(settings.mongodb_uri), settings.mongodb_uri
    coll: Collection[dict[str, Any]] = _client[settings.mongodb_database][stored.name]
    if stored.strict:
        from pymongo import ReadPreference, WriteConcern

        coll = coll.with_options(
            read_preference=ReadPreference.PRIMARY, write_concern=WriteConcern("majority")
        )
    if not read_only and stored.name not in _ready:
        ensure_indexes(coll, stored)
        _ready.add(stored.name)
    return coll


def ensure_indexes(coll: Collection[dict[str, Any]], stored: Stored) -> list[str]:
    """Create the collection's declared indexes; a no-op when they exist, or when none is declared."""
    from pymongo import IndexModel

    if not stored.indexes:
        return []  # createIndexes refuses an empty list
    return coll.create_indexes([IndexModel(keys, **options) for keys, options in stored.indexes])


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
