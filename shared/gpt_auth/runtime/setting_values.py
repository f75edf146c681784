"""Parsers of setting values, shared by ``settings`` and ``app_secret`` (which must not import each other)."""

from __future__ import annotations

from collections.abc import Mapping

from gpt_auth.runtime.errors import ConfigError


def positive_seconds(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of seconds above 0 from ``env[name]``, or ``default`` when blank."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of seconds, got {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {value}.")
    return value
