"""Parsers of setting values, shared by ``settings`` and ``app_secret`` (which must not import each other).

``ascii_int`` is the one reader of a whole number written as text, for settings and for numbers
a peer sends (Google's ``expires_in``, a ``Retry-After``, the secrets extension's answer):
``str.isdigit()`` and ``int()`` take ``²``, fullwidth digits or 4,300+ digits, and ``int("²")`` raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from gpt_auth.runtime.errors import ConfigError

MAX_DIGITS = 18  # more than any count or duration here needs; int() never meets 4,300 digits
_ASCII_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


def ascii_int(text: object) -> int | None:
    """The whole number ``text`` writes in 1-18 ASCII digits, else None (a sign, a space, ``²``)."""
    if isinstance(text, str) and _ASCII_DIGITS.fullmatch(text):
        return int(text)
    return None


def whole_number(env: Mapping[str, str], name: str, default: int, unit: str = "") -> int:
    """A whole number from ``env[name]`` (surrounding white space ignored), or ``default`` when blank.

    Raises
    ------
    ConfigError
        The value is not ASCII digits; the message names the setting.
    """
    raw = env.get(name, "").strip()
    if not raw:
        return default
    value = ascii_int(raw)
    if value is None:
        raise ConfigError(f"{name} must be a whole number{unit} (ASCII digits 0-9), got {raw[:40]!r}.")
    return value


def positive_number(env: Mapping[str, str], name: str, default: int, unit: str = "") -> int:
    """A whole number above 0 from ``env[name]``, or ``default`` when blank."""
    value = whole_number(env, name, default, unit)
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {value}.")
    return value


def positive_seconds(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of seconds above 0 from ``env[name]``, or ``default`` when blank."""
    return positive_number(env, name, default, " of seconds")
