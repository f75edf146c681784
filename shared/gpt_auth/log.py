"""The one structured JSON logger. Never pass it a token, code, secret or request body."""

from __future__ import annotations

import os

from aws_lambda_powertools.logging import Logger

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "gpt-google-auth")
