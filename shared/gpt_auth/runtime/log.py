"""The one structured JSON logger. Never pass it a token, code, secret or request body."""

from __future__ import annotations

import logging
import os

from aws_lambda_powertools.logging import Logger

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "gpt-google-auth")

# Loggers that write secrets at DEBUG stay at INFO even when the runtime puts the root logger at
# DEBUG: pymongo logs whole commands (a pending sign-in's PKCE verifier and nonce among them),
# botocore and boto3 log whole responses (GetSecretValue's SecretString), urllib3 logs request URLs
# (query strings can hold codes and tokens).
QUIET_LOGGERS = ("pymongo.command", "botocore", "boto3", "urllib3")
for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.INFO)
