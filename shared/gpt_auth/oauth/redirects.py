"""GPT callback URLs: the allowlist check, the GPT id they name, and adding query parameters.

A redirect URI is matched as a whole, after parsing: ``re.fullmatch`` of each allowed pattern
against ``scheme://host[:port]/path[?query]`` with scheme and host in lower case. Userinfo
(``https://chatgpt.com@evil.example/``), fragments, backslashes and characters outside printable
ASCII are refused before any pattern is tried, and a port stays in the matched text, so only a
pattern that names the port (the local simulator's) allows one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode, urlsplit

# A GPT id in a ChatGPT callback: "g-" and up to 64 characters. The ids ChatGPT hands out are
# far shorter (40 hexadecimal characters seen), and the cap keeps a forged 8,000-character id
# out of the store and the logs.
GPT_ID = r"g-[A-Za-z0-9_-]{1,64}"
MAX_REDIRECT_URI_CHARS = 256  # a ChatGPT callback is under 120; a custom pattern gets room to spare

_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
_GPT_ID = re.compile(rf"/aip/({GPT_ID})/oauth/callback")


def refusal_reason(uri: str, patterns: Iterable[re.Pattern[str]]) -> str | None:
    """Why ``uri`` is not an allowed GPT callback, or None when it is allowed.

    Parameters
    ----------
    uri
        The ``redirect_uri`` the GPT sent, as received.
    patterns
        The allowlist (settings ``allowed_redirect_uris``).

    Returns
    -------
    str or None
        A sentence for the person who configures the GPT, or None.
    """
    if len(uri) > MAX_REDIRECT_URI_CHARS:
        return f"It is longer than {MAX_REDIRECT_URI_CHARS} characters."
    if not _PRINTABLE_ASCII.fullmatch(uri):
        return "It contains spaces, control characters or non-ASCII characters."
    if "\\" in uri:
        return "It contains a backslash."
    if "#" in uri:
        return "It contains a fragment ('#'), which a redirect URI must not have (RFC 6749 3.1.2)."
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unbalanced '[' in the host
        return "It is not a valid URL."
    if parts.scheme.lower() not in ("https", "http") or not parts.netloc:
        return "It is not an absolute https:// URL."
    if "@" in parts.netloc:
        return "It contains user information before the host ('...@host'), which is refused."
    try:
        port = parts.port
    except ValueError:
        return "Its port is not a number between 0 and 65535."
    normalised = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"
    if parts.query:
        normalised += f"?{parts.query}"
    if any(pattern.fullmatch(normalised) for pattern in patterns):
        return None
    if port is not None or parts.netloc.endswith(":"):
        named = parts.netloc.rpartition(":")[2] or "empty"
        return f"It names a port ({named}), which no allowed pattern allows."
    if parts.scheme.lower() != "https":
        return "It uses http://, which no allowed pattern allows."
    return "It matches none of the allowed redirect URI patterns (setting ALLOWED_REDIRECT_URIS)."


def gpt_id(uri: str) -> str | None:
    """The GPT id a ChatGPT callback names, e.g. ``g-abc123`` in ``/aip/g-abc123/oauth/callback``."""
    try:
        path = urlsplit(uri).path
    except ValueError:
        return None
    match = _GPT_ID.search(path)
    return match.group(1) if match else None


def with_query(uri: str, params: Mapping[str, str]) -> str:
    """``uri`` with ``params`` added to its query string (kept when it already has one)."""
    extra = urlencode(params)
    if not extra:
        return uri
    return f"{uri}{'&' if '?' in uri else '?'}{extra}"
