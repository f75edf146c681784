"""Settings: read once per container, validated, with errors that name the setting.

Values come from the environment. When ``APP_SECRET_ARN`` is set, the credentials and
``MONGODB_URI`` come from that Secrets Manager secret instead (read through the Parameters and
Secrets Lambda Extension, see ``gpt_auth.runtime.app_secret``), and are read again once they are
``app_secret.max_age()`` seconds old, so a rotation is picked up without a redeploy.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from gpt_auth.google.token_cipher import KeyRing, parse_key_ring
from gpt_auth.oauth.redirects import GPT_ID
from gpt_auth.runtime import app_secret
from gpt_auth.runtime.errors import ConfigError
from gpt_auth.runtime.setting_values import positive_number, positive_seconds, whole_number

DEFAULT_REDIRECT_PATTERNS = (
    rf"https://chatgpt\.com/aip/{GPT_ID}/oauth/callback",
    rf"https://chat\.openai\.com/aip/{GPT_ID}/oauth/callback",
)
DEFAULT_GOOGLE_SCOPES = ("openid", "email", "profile")
# RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
EMBEDDED_MONGODB_URI = "mongomock://localhost"
# Host names that always mean this machine: where http:// is acceptable.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# The template's GptClientSecret pattern asks as much; checked here for a secret from any source.
MIN_CLIENT_SECRET_CHARS = 16
GOOGLE_API_BASE = "https://www.googleapis.com"
DEFAULT_ACTION_RESPONSE_MAX_CHARS = 20_000
# ChatGPT refuses an action's answer over 100,000 characters; below the floor one event may not fit.
MAX_ACTION_RESPONSE_CHARS = 100_000
MIN_ACTION_RESPONSE_CHARS = 4_000
DEFAULT_OPERATOR_NAME = "The operator of this GPT"
TOKEN_HASH_KEYS = "TOKEN_HASH_KEYS"
# ChatGPT refreshes about once an hour; a family may rotate this often before a 429.
DEFAULT_REFRESH_ROTATIONS_PER_HOUR = 60
DEFAULT_REFRESH_TOKEN_GRACE = 120
DEFAULT_SESSION_MAX_AGE = 7776000  # 90 days
# RFC 7591 registrations an hour from one address (an IPv6 /64), and from everyone: the second
# bounds what the store keeps (docs/operate.md, "Client registration").
DEFAULT_REGISTRATIONS_PER_IP_PER_HOUR = 10
DEFAULT_REGISTRATIONS_PER_HOUR = 60


class Settings(NamedTuple):
    """The validated settings (:func:`get_settings`). A NamedTuple, not a frozen dataclass: every
    function builds this class at a cold start, and a dataclass compiles its methods there."""

    google_client_id: str
    google_client_secret: str
    gpt_client_id: str
    gpt_client_secret: str
    token_hash_keys: KeyRing  # keys the stored hashes of our tokens (TOKEN_HASH_KEYS)
    mongodb_uri: str = EMBEDDED_MONGODB_URI
    mongodb_database: str = "gpt_auth"
    google_redirect_uri: str | None = None
    allowed_redirect_uris: tuple[re.Pattern[str], ...] = ()
    mcp_redirect_uris: tuple[re.Pattern[str], ...] = ()  # beyond gpt_auth.oauth.clients' defaults
    google_scopes: tuple[str, ...] = DEFAULT_GOOGLE_SCOPES
    oidc_issuer: str | None = None
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 2592000
    refresh_token_grace: int = DEFAULT_REFRESH_TOKEN_GRACE
    session_max_age: int = DEFAULT_SESSION_MAX_AGE
    refresh_rotations_per_hour: int = DEFAULT_REFRESH_ROTATIONS_PER_HOUR
    registrations_per_ip_per_hour: int = DEFAULT_REGISTRATIONS_PER_IP_PER_HOUR
    registrations_per_hour: int = DEFAULT_REGISTRATIONS_PER_HOUR
    google_api_base: str = GOOGLE_API_BASE
    action_response_max_chars: int = DEFAULT_ACTION_RESPONSE_MAX_CHARS
    operator_name: str = DEFAULT_OPERATOR_NAME
    operator_contact: str | None = None
    token_encryption_keys: KeyRing | None = None
    action_url: str | None = None
    authorization_server_url: str | None = None
    token_url: str | None = None

    def __repr__(self) -> str:  # never print secrets by accident
        return f"Settings(gpt_client_id={self.gpt_client_id!r}, mongodb_database={self.mongodb_database!r})"

    @property
    def embedded_store(self) -> bool:
        return self.mongodb_uri.startswith("mongomock://")

    def key_ring(self) -> KeyRing:
        """The keys that encrypt stored provider tokens.

        Raises
        ------
        ConfigError
            ``TOKEN_ENCRYPTION_KEYS`` is not set: a Google grant cannot be stored or read without it.
        """
        if self.token_encryption_keys is None:
            raise ConfigError(
                "TOKEN_ENCRYPTION_KEYS is not set; it is required to store or read Google grants "
                "(see docs/reference.md, 'Settings', for how to make a key)."
            )
        return self.token_encryption_keys


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set; it is required (see docs/reference.md, 'Settings').")
    return value


def _client_secret(env: Mapping[str, str]) -> str:
    secret = _required(env, "GPT_CLIENT_SECRET")
    if len(secret) < MIN_CLIENT_SECRET_CHARS:
        raise ConfigError(
            f"GPT_CLIENT_SECRET must be at least {MIN_CLIENT_SECRET_CHARS} characters, got {len(secret)}; "
            "choose a long random one (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    return secret


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    local = parts.hostname in LOOPBACK_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise ConfigError(f"{name} must be an https:// URL (http:// only for localhost), got {raw!r}.")
    if not parts.netloc:
        raise ConfigError(f"{name} must be an absolute URL, got {raw!r}.")
    return raw.rstrip("/") if name == "OIDC_ISSUER" else raw


def _url_or_path(env: Mapping[str, str], name: str) -> str | None:
    """An absolute URL, or a path on the host of the URL it is resolved against (``/authorize``)."""
    raw = env.get(name, "").strip()
    if raw.startswith("/") and not raw.startswith("//"):
        if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+/?", raw):
            raise ConfigError(
                f"{name} must be an https:// URL or a path such as /authorize, got {raw[:100]!r}."
            )
        return raw
    return _url(env, name)


def redirect_pattern_sources(raw: str, name: str = "ALLOWED_REDIRECT_URIS") -> list[str]:
    """The regexes of a ``name`` value (``ALLOWED_REDIRECT_URIS``, ``MCP_REDIRECT_URIS``), separated
    by whitespace (spaces or newlines).

    A URL holds no whitespace, and a regex needs none, while a comma is part of ``{1,64}``. A
    value still written with the old comma separator (``...,https://...``) is a ConfigError
    rather than one pattern that silently matches nothing.

    Raises
    ------
    ConfigError
        A pattern holds a comma directly followed by a URL scheme.
    """
    sources = raw.split()
    for source in sources:
        if re.search(r",\^?https?:", source):
            raise ConfigError(
                f"{name} separates its patterns with spaces or newlines, not commas; "
                f"the pattern {source[:80]!r} looks like a comma-separated list."
            )
    return sources


def _redirect_patterns(
    env: Mapping[str, str], name: str = "ALLOWED_REDIRECT_URIS"
) -> tuple[re.Pattern[str], ...]:
    """The compiled patterns of ``name``; ``ALLOWED_REDIRECT_URIS`` falls back to ChatGPT's callbacks."""
    sources = redirect_pattern_sources(env.get(name, ""), name)
    if not sources and name == "ALLOWED_REDIRECT_URIS":
        sources = list(DEFAULT_REDIRECT_PATTERNS)
    patterns = []
    for source in sources:
        try:
            patterns.append(re.compile(source))
        except re.error as exc:
            raise ConfigError(f"{name} has an invalid pattern {source!r}: {exc}.") from None
    return tuple(patterns)


def _google_scopes(env: Mapping[str, str]) -> tuple[str, ...]:
    """``GOOGLE_SCOPES``: space-separated scopes asked of Google, ``openid`` among them (we sign in
    with its ID token); repeats dropped, order kept."""
    raw = env.get("GOOGLE_SCOPES", "").split()
    if not raw:
        return DEFAULT_GOOGLE_SCOPES
    for token in raw:
        if not _SCOPE_TOKEN.fullmatch(token):
            raise ConfigError(
                f"GOOGLE_SCOPES holds {token[:80]!r}, which is not a scope (RFC 6749 3.3: printable "
                "ASCII without spaces, double quotes or backslashes)."
            )
    if "openid" not in raw:
        raise ConfigError(
            f"GOOGLE_SCOPES must include openid (the sign-in needs an ID token), got {' '.join(raw)!r}."
        )
    return tuple(dict.fromkeys(raw))


def _mongodb_uri(env: Mapping[str, str]) -> str:
    raw = env.get("MONGODB_URI", "").strip()
    if not raw:
        return EMBEDDED_MONGODB_URI
    if not raw.startswith(("mongodb://", "mongodb+srv://", "mongomock://")):
        raise ConfigError("MONGODB_URI must start with mongodb://, mongodb+srv:// or mongomock://.")
    return raw


def _action_response_max_chars(env: Mapping[str, str]) -> int:
    value = whole_number(
        env, "ACTION_RESPONSE_MAX_CHARS", DEFAULT_ACTION_RESPONSE_MAX_CHARS, " of characters"
    )
    if value > MAX_ACTION_RESPONSE_CHARS:
        raise ConfigError(
            f"ACTION_RESPONSE_MAX_CHARS must be at most {MAX_ACTION_RESPONSE_CHARS:,} "
            f"(ChatGPT refuses longer action answers), got {value:,}."
        )
    if value < MIN_ACTION_RESPONSE_CHARS:
        raise ConfigError(
            f"ACTION_RESPONSE_MAX_CHARS must be at least {MIN_ACTION_RESPONSE_CHARS:,} "
            f"(one event and its page cursor must fit), got {value:,}."
        )
    return value


def _operator_name(env: Mapping[str, str]) -> str:
    raw = env.get("OPERATOR_NAME", "").strip()
    if not raw:
        return DEFAULT_OPERATOR_NAME
    if len(raw) > 200 or not raw.isprintable():
        raise ConfigError("OPERATOR_NAME must be at most 200 printable characters.")
    return raw


def _operator_contact(env: Mapping[str, str]) -> str | None:
    raw = env.get("OPERATOR_CONTACT", "").strip()
    if not raw:
        return None
    if len(raw) <= 254 and re.fullmatch(r"[^@\s<>\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}", raw):
        return raw
    if len(raw) <= 500 and urlsplit(raw).scheme == "https" and raw.isprintable() and " " not in raw:
        return _url(env, "OPERATOR_CONTACT")
    raise ConfigError(f"OPERATOR_CONTACT must be an email address or an https:// URL, got {raw[:100]!r}.")


def _key_ring(env: Mapping[str, str]) -> KeyRing | None:
    raw = env.get("TOKEN_ENCRYPTION_KEYS", "")
    return parse_key_ring(raw) if raw.strip() else None


def _hash_key_ring(env: Mapping[str, str]) -> KeyRing:
    raw = env.get(TOKEN_HASH_KEYS, "")
    if not raw.strip():
        raise ConfigError(
            f"{TOKEN_HASH_KEYS} is not set; it is required: our tokens are stored as HMACs under its "
            "keys (see docs/reference.md, 'Settings', for how to make a key)."
        )
    return parse_key_ring(raw, TOKEN_HASH_KEYS)


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build validated settings from a mapping of setting names to strings.

    Raises
    ------
    ConfigError
        When a required setting is missing or a setting is malformed; the message names it.
    """
    database = env.get("MONGODB_DATABASE", "").strip() or "gpt_auth"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", database):
        raise ConfigError(f"MONGODB_DATABASE must be 1-63 letters, digits, '_' or '-', got {database!r}.")
    return Settings(
        google_client_id=_required(env, "GOOGLE_CLIENT_ID"),
        google_client_secret=_required(env, "GOOGLE_CLIENT_SECRET"),
        gpt_client_id=_required(env, "GPT_CLIENT_ID"),
        gpt_client_secret=_client_secret(env),
        mongodb_uri=_mongodb_uri(env),
        mongodb_database=database,
        google_redirect_uri=_url(env, "GOOGLE_REDIRECT_URI"),
        allowed_redirect_uris=_redirect_patterns(env),
        mcp_redirect_uris=_redirect_patterns(env, "MCP_REDIRECT_URIS"),
        google_scopes=_google_scopes(env),
        oidc_issuer=_url(env, "OIDC_ISSUER"),
        access_token_ttl=positive_seconds(env, "ACCESS_TOKEN_TTL", 3600),
        refresh_token_ttl=positive_seconds(env, "REFRESH_TOKEN_TTL", 2592000),
        refresh_token_grace=positive_seconds(env, "REFRESH_TOKEN_GRACE", DEFAULT_REFRESH_TOKEN_GRACE),
        session_max_age=positive_seconds(env, "SESSION_MAX_AGE", DEFAULT_SESSION_MAX_AGE),
        refresh_rotations_per_hour=positive_number(
            env, "REFRESH_ROTATIONS_PER_HOUR", DEFAULT_REFRESH_ROTATIONS_PER_HOUR
        ),
        registrations_per_ip_per_hour=positive_number(
            env, "REGISTRATIONS_PER_IP_PER_HOUR", DEFAULT_REGISTRATIONS_PER_IP_PER_HOUR
        ),
        registrations_per_hour=positive_number(env, "REGISTRATIONS_PER_HOUR", DEFAULT_REGISTRATIONS_PER_HOUR),
        google_api_base=(_url(env, "GOOGLE_API_BASE") or GOOGLE_API_BASE).rstrip("/"),
        action_response_max_chars=_action_response_max_chars(env),
        operator_name=_operator_name(env),
        operator_contact=_operator_contact(env),
        token_encryption_keys=_key_ring(env),
        action_url=(_url(env, "ACTION_URL") or "").rstrip("/") or None,
        authorization_server_url=(_url_or_path(env, "AUTHORIZATION_SERVER_URL") or "").rstrip("/") or None,
        token_url=_url_or_path(env, "TOKEN_URL"),
        token_hash_keys=_hash_key_ring(env),
    )


_cached: Settings | None = None
# Monotonic time after which settings from the secret are read again; None: never (environment).
_refresh_at: float | None = None


def get_settings() -> Settings:
    """The container's settings, loaded on first use and then reused.

    From the environment they are kept for the container's life. From the secret that
    ``APP_SECRET_ARN`` names they are read again once they are ``gpt_auth.runtime.app_secret.max_age()``
    seconds old, so a rotated secret is picked up within that time. When that re-read fails, the
    last good settings keep serving (logged as an error) and it is tried again
    ``app_secret.RETRY_SECONDS`` later.

    Raises
    ------
    ConfigError
        A setting is missing or malformed, or the secret cannot be read (a 500).
    gpt_auth.runtime.app_secret.SecretUnavailable
        The first read of the secret failed in a way a retry may fix (a 503).
    """
    global _cached, _refresh_at
    if _cached is not None and (_refresh_at is None or time.monotonic() < _refresh_at):
        return _cached
    if not os.environ.get("APP_SECRET_ARN", "").strip():
        _cached, _refresh_at = load_settings(os.environ), None
        return _cached
    try:
        fresh = load_settings(app_secret.environment_with_secret(os.environ))
    except (ConfigError, app_secret.SecretUnavailable) as exc:
        if _cached is None:
            raise
        from gpt_auth.runtime.log import logger

        logger.error(
            "secret refresh failed; keeping the last good settings",
            extra={"reason": str(exc), "detail": getattr(exc, "detail", None)},
        )
        _refresh_at = time.monotonic() + app_secret.RETRY_SECONDS
        return _cached
    _cached, _refresh_at = fresh, time.monotonic() + app_secret.max_age()
    return _cached


def reset() -> None:
    """Forget the cached settings (tests, or after the environment changed)."""
    global _cached, _refresh_at
    _cached, _refresh_at = None, None
