"""googleAuthentication: the OAuth token URL (``POST /``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpt_auth.http import Request, json_response
from gpt_auth.log import logger
from gpt_auth.routing import Router

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

router = Router()


@router.route("POST", "/")
def not_yet(request: Request) -> dict[str, Any]:
    return json_response(
        501, {"error": "not_implemented", "error_description": "The token endpoint is not built yet."}
    )


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return router.resolve(event, context)
