"""The one structured JSON logger. Never pass it a token, code, secret or request body."""

from __future__ import annotations

import logging
import os

from aws_lambda_powertools.logging import Logger

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "gpt-google-auth")

# pymongo logs whole commands at DEBUG, a pending sign-in's PKCE verifier and nonce among them:
# keep that logger quiet even when the runtime puts the root logger at DEBUG.
logging.getLogger("pymongo.command").setLevel(logging.INFO)
