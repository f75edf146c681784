"""Credentials from one Secrets Manager secret (JSON), read with Powertools Parameters."""

from __future__ import annotations

from collections.abc import Mapping

from gpt_auth.errors import ConfigError
from gpt_auth.settings import SECRET_KEYS

SECRET_MAX_AGE = 300


def environment_with_secret(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the secret's keys laid over it; the secret wins."""
    from aws_lambda_powertools.utilities import parameters

    arn = env["APP_SECRET_ARN"]
    try:
        value = parameters.get_secret(arn, transform="json", max_age=SECRET_MAX_AGE)
    except parameters.exceptions.TransformParameterError:
        raise ConfigError("APP_SECRET_ARN names a secret that is not a JSON object.") from None
    except parameters.exceptions.GetParameterError as exc:
        reason = type(exc.__cause__ or exc).__name__
        raise ConfigError(f"APP_SECRET_ARN could not be read: {reason}.") from None
    if not isinstance(value, dict):
        raise ConfigError("APP_SECRET_ARN names a secret that is not a JSON object.")
    merged = dict(env)
    merged.update({key: str(value[key]) for key in SECRET_KEYS if value.get(key) is not None})
    return merged
