"""A settings secret in moto's Secrets Manager, served by the Parameters and Secrets extension stand-in."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from localdev.secrets_extension import SecretsExtension

# A complete settings secret, with values of its own (so a test sees they came from the secret).
SECRET = {
    "GOOGLE_CLIENT_ID": "from-secret.apps.example",
    "GOOGLE_CLIENT_SECRET": "google-secret-from-secret-0123",
    "GPT_CLIENT_ID": "gpt-from-secret",
    "GPT_CLIENT_SECRET": "gpt-secret-from-secret-0123456",
    "MONGODB_URI": "mongomock://from-secret",
    "TOKEN_HASH_KEYS": "from-secret:" + base64.b64encode(b"token-hash-key-from-the-secret-0").decode(),
}


@dataclass
class ServedSecret:
    """A secret the extension stand-in serves; the ``serve_secret`` fixture names it in APP_SECRET_ARN."""

    arn: str
    extension: SecretsExtension

    def put(self, value: str | dict[str, Any]) -> None:
        """Store a new value (a rotation): JSON text as given, or a dict as JSON."""
        self.extension.client.put_secret_value(SecretId=self.arn, SecretString=as_text(value))


def as_text(value: str | dict[str, Any]) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def create_secret(extension: SecretsExtension, value: str | dict[str, Any]) -> ServedSecret:
    """A new secret of that value (JSON text, or a dict as JSON), under a name of its own."""
    name = f"gpt-google-auth/{uuid4().hex}"
    arn = extension.client.create_secret(Name=name, SecretString=as_text(value))["ARN"]
    return ServedSecret(arn, extension)
