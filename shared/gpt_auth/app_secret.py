"""Credentials from one Secrets Manager secret (JSON), read with Powertools Parameters.

Powertools' parameters module (and so boto3) is imported only when a secret is read, that is
only when ``APP_SECRET_ARN`` is set. Imports nothing of ours but errors and setting parsers, so
``gpt_auth.settings`` can import it without a cycle.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gpt_auth.errors import ConfigError
from gpt_auth.setting_values import positive_seconds

# What the secret must hold; the rest of the settings come from the environment.
SECRET_KEYS = (
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GPT_CLIENT_ID",
    "GPT_CLIENT_SECRET",
    "MONGODB_URI",
)

DEFAULT_MAX_AGE = 300
MAX_AGE_SETTING = "POWERTOOLS_PARAMETERS_MAX_AGE"
# After a failed refresh the last good settings serve this long before the next try.
RETRY_SECONDS = 30


def max_age(env: Mapping[str, str] = os.environ) -> int:
    """Seconds a read secret is reused before Secrets Manager is asked again.

    Powertools' own ``POWERTOOLS_PARAMETERS_MAX_AGE`` when set, else 300 (Powertools' default
    of 5 s would call Secrets Manager every few requests).
    """
    return positive_seconds(env, MAX_AGE_SETTING, DEFAULT_MAX_AGE)


def read_secret(arn: str, *, max_age_seconds: int) -> dict[str, Any]:
    """The secret's JSON object, from Powertools' cache while it is younger than ``max_age_seconds``.

    Raises
    ------
    ConfigError
        When the secret cannot be read or is not a JSON object; the message never holds its value.
    """
    from aws_lambda_powertools.utilities import parameters
    from botocore.exceptions import BotoCoreError

    try:
        value = parameters.get_secret(arn, transform="json", max_age=max_age_seconds)
    except parameters.exceptions.TransformParameterError:
        raise ConfigError("The secret APP_SECRET_ARN names is not valid JSON.") from None
    except (parameters.exceptions.GetParameterError, BotoCoreError) as exc:
        raise ConfigError(f"The secret APP_SECRET_ARN names could not be read: {exc}") from None
    if not isinstance(value, dict):
        raise ConfigError("The secret APP_SECRET_ARN names must be a JSON object of settings.")
    return value


def environment_with_secret(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the credentials and ``MONGODB_URI`` taken from the secret only.

    The secret must hold every one of ``SECRET_KEYS`` as a non-empty string; values of those
    names in ``env`` are ignored, so a stray local value never hides a missing key.

    Raises
    ------
    ConfigError
        When the secret cannot be read, is not a JSON object, or lacks a key; the message names it.
    """
    secret = read_secret(env["APP_SECRET_ARN"].strip(), max_age_seconds=max_age(env))
    merged = {name: value for name, value in env.items() if name not in SECRET_KEYS}
    for key in SECRET_KEYS:
        value = secret.get(key)
        if not isinstance(value, str) or not value.strip():
            problem = "has no" if value is None else "has an empty or non-string"
            raise ConfigError(
                f"The secret APP_SECRET_ARN names {problem} {key}; it must hold {', '.join(SECRET_KEYS)}."
            )
        merged[key] = value
    return merged
