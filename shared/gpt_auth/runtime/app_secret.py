"""Credentials from one Secrets Manager secret (JSON), read through the AWS Parameters and Secrets
Lambda Extension.

The extension is a Lambda layer (docs/deploy.md) that answers ``GET /secretsmanager/get?secretId=``
on ``localhost:PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`` (2773) with GetSecretValue's JSON, for
requests that carry the function's ``AWS_SESSION_TOKEN`` in ``X-Aws-Parameters-Secrets-Token``. The
function sends that one GET over a socket: no AWS SDK (nor ``http.client``) is imported, which is
most of what reading the secret used to cost at cold start (docs/performance.md). The extension
serves only the invoke phase, so the secret is read on a function's first request, never at import.

Failures answer with fixed texts that hold no ARN, account id or role; those go to ``detail``, which
only the log shows. A throttled, failing or unreachable Secrets Manager (or an extension still
starting) is ``SecretUnavailable``, a 503 with ``Retry-After``; anything else is a ``ConfigError``,
a 500. Imports nothing of ours but errors and setting parsers, so ``gpt_auth.runtime.settings`` can import
it without a cycle.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from gpt_auth.runtime.errors import ConfigError, ServiceUnavailable
from gpt_auth.runtime.setting_values import ascii_int, positive_seconds

# What the secret must hold; the rest of the settings come from the environment.
SECRET_KEYS = (
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GPT_CLIENT_ID",
    "GPT_CLIENT_SECRET",
    "MONGODB_URI",
    "TOKEN_HASH_KEYS",  # the HMAC keys of our tokens' stored hashes
)

# What the secret may hold, read from it alone when APP_SECRET_ARN is set (an environment value of
# these names is ignored): the key ring that seals stored Google tokens, required once a grant is
# stored or read (``Settings.key_ring``).
OPTIONAL_SECRET_KEYS = ("TOKEN_ENCRYPTION_KEYS",)

# The name predates the extension (Powertools Parameters read the secret); deployed stacks set it.
MAX_AGE_SETTING = "POWERTOOLS_PARAMETERS_MAX_AGE"
DEFAULT_MAX_AGE = 300
# After a failed re-read the last good settings serve this long before the next try.
RETRY_SECONDS = 30

PORT_SETTING = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"
DEFAULT_PORT = 2773
TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"
# Seconds for the whole read; the extension's own call to Secrets Manager is inside it. Well under
# the function's timeout, so a hanging read becomes a 503 the client can retry.
READ_TIMEOUT = 5.0
RETRY_AFTER_SECONDS = 5

UNREADABLE = "The settings secret cannot be read; see the function's log."
UNAVAILABLE = "The server could not read its settings just now; try again in a few seconds."
# What the extension's body says when Secrets Manager throttled or it is not ready yet: a retry helps.
_TRANSIENT_WORDS = ("throttl", "rate exceeded", "too many requests", "not ready", "timeout", "timed out")


class SecretUnavailable(ServiceUnavailable):
    """The secret could not be read this time (throttled, network, extension starting): a 503.

    ``detail`` (the cause, with the ARN) is for the log only.
    """

    def __init__(self, detail: str):
        super().__init__(UNAVAILABLE, retry_after=RETRY_AFTER_SECONDS)
        self.detail = detail


def max_age(env: Mapping[str, str] = os.environ) -> int:
    """Seconds the settings read from the secret are reused before it is read again.

    ``POWERTOOLS_PARAMETERS_MAX_AGE`` when set, else 300. A rotation is seen within this plus the
    extension's own cache lifetime, ``SECRETS_MANAGER_TTL``, which the template sets to 0.
    """
    return positive_seconds(env, MAX_AGE_SETTING, DEFAULT_MAX_AGE)


def extension_port(env: Mapping[str, str] = os.environ) -> int:
    """The extension's port, ``PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`` (the extension reads it too)."""
    raw = env.get(PORT_SETTING, "").strip()
    if not raw:
        return DEFAULT_PORT
    port = ascii_int(raw)
    if port is None or not 0 < port < 65536:
        raise ConfigError(f"{PORT_SETTING} must be a port number (1-65535), got {raw[:40]!r}.")
    return port


def _refusal(status: int, body: bytes, arn: str) -> Exception:
    """The exception for a non-200 answer of the extension: transient ones are a 503."""
    text = body[:300].decode("utf-8", "replace")
    detail = f"the extension answered {status} for {arn}: {text}"
    if status == 429 or status >= 500 or any(word in text.lower() for word in _TRANSIENT_WORDS):
        return SecretUnavailable(detail)
    return ConfigError(UNREADABLE, detail=detail)


def _get(port: int, path: str, token: str) -> tuple[int, bytes]:
    """One ``GET`` to the extension on localhost: (status, body).

    HTTP/1.0 over a socket: the answer is not chunked, ends at ``Content-Length`` or when the
    extension closes, and nothing else is needed. ``http.client`` would do the same but imports the
    ``email`` package, 7-17 ms of a cold start on this machine (docs/performance.md).
    """
    import socket

    request = f"GET {path} HTTP/1.0\r\nHost: localhost:{port}\r\n{TOKEN_HEADER}: {token}\r\n\r\n"
    deadline = time.monotonic() + READ_TIMEOUT
    received = b""
    with socket.create_connection(("localhost", port), timeout=READ_TIMEOUT) as connection:
        connection.sendall(request.encode("latin-1"))
        while True:
            head, separator, body = received.partition(b"\r\n\r\n")
            length = _content_length(head) if separator else None
            if length is not None and len(body) >= length:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no whole answer within {READ_TIMEOUT} s")
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    status_line = head.split(b"\r\n", 1)[0].split()
    status = ascii_int(status_line[1].decode("latin-1")) if len(status_line) >= 2 else None
    if not separator or status is None:
        raise ValueError("not an HTTP answer")
    return status, body if length is None else body[:length]


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return ascii_int(value.strip().decode("latin-1"))
    return None


def read_secret_string(arn: str, env: Mapping[str, str] = os.environ) -> str:
    """The secret's ``SecretString``, as the extension serves it.

    Raises
    ------
    SecretUnavailable
        Throttled, Secrets Manager failing or unreachable, the extension slow or not ready.
    ConfigError
        No extension on the port, no session token, access denied, no such secret, no string.
    """
    port = extension_port(env)
    token = env.get("AWS_SESSION_TOKEN", "")
    if not token or not token.isprintable():
        raise ConfigError(
            UNREADABLE,
            detail="AWS_SESSION_TOKEN is not set; the extension serves only requests from inside Lambda",
        )
    try:
        status, body = _get(port, f"/secretsmanager/get?{urlencode({'secretId': arn})}", token)
    except ConnectionRefusedError:
        raise ConfigError(
            UNREADABLE,
            detail=f"nothing listens on localhost:{port}: is the AWS Parameters and Secrets Lambda "
            "Extension layer on the function (docs/deploy.md)?",
        ) from None
    except (OSError, ValueError) as exc:  # timeouts and resets are OSErrors
        raise SecretUnavailable(f"the extension on localhost:{port} did not answer: {exc!r}") from None
    if status != 200:
        raise _refusal(status, body, arn)
    try:
        value = json.loads(body).get("SecretString")
    except (ValueError, AttributeError):
        raise SecretUnavailable(f"the extension's answer for {arn} is not GetSecretValue's JSON") from None
    if not isinstance(value, str):
        raise ConfigError(
            "The settings secret must be a JSON string, not binary.",
            detail=f"{arn} has no SecretString",
        )
    return value


def environment_from(env: Mapping[str, str], secret_string: str) -> dict[str, str]:
    """``env`` with the credentials and ``MONGODB_URI`` taken from the secret's JSON only.

    The secret must hold every one of ``SECRET_KEYS`` as a non-empty string and may hold
    ``OPTIONAL_SECRET_KEYS``; values of those names in ``env`` are ignored, so a stray local value
    never hides a missing key.

    Raises
    ------
    ConfigError
        When the secret is not a JSON object or lacks a key; the message names the key, never a value.
    """
    try:
        secret = json.loads(secret_string)
    except ValueError:
        raise ConfigError("The settings secret is not valid JSON.") from None
    if not isinstance(secret, dict):
        raise ConfigError("The settings secret must be a JSON object of settings.")
    merged = {name: value for name, value in env.items() if name not in (*SECRET_KEYS, *OPTIONAL_SECRET_KEYS)}
    for key in OPTIONAL_SECRET_KEYS:
        optional = secret.get(key)
        if optional is not None and not isinstance(optional, str):
            raise ConfigError(f"The settings secret has a non-string {key}; it must be a string.")
        if optional:
            merged[key] = optional
    for key in SECRET_KEYS:
        value: Any = secret.get(key)
        if not isinstance(value, str) or not value.strip():
            problem = "has no" if value is None else "has an empty or non-string"
            raise ConfigError(f"The settings secret {problem} {key}; it must hold {', '.join(SECRET_KEYS)}.")
        merged[key] = value
    return merged


def environment_with_secret(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the secret that ``APP_SECRET_ARN`` names read through the extension and merged in.

    Raises
    ------
    SecretUnavailable, ConfigError
        As ``read_secret_string`` and ``environment_from``.
    """
    max_age(env)  # a malformed max age is named before any read
    return environment_from(env, read_secret_string(env["APP_SECRET_ARN"].strip(), env))
