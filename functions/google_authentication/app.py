"""googleAuthentication: the OAuth token URL (``POST /``), RFC 6749 sections 3.2, 4.1.3 and 6."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpt_auth.runtime import cold_start

with cold_start.loading():  # the imports, without the garbage collector
    from gpt_auth.oauth import token_grants
    from gpt_auth.oauth.client_auth import authenticate_client
    from gpt_auth.runtime import metrics
    from gpt_auth.runtime.errors import BadRequest, UnsupportedMediaType
    from gpt_auth.runtime.log import logger
    from gpt_auth.runtime.routing import Router
    from gpt_auth.runtime.settings import get_settings
    from gpt_auth.runtime.web import Request, json_response

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

router = Router()


def token_parameters(request: Request) -> dict[str, str]:
    """The form (or JSON) parameters; blank ones count as absent (RFC 6749 3.1)."""
    try:
        params = request.form()
    except UnsupportedMediaType as exc:
        raise BadRequest(exc.description) from None  # RFC 6749 5.2 answers 400 here
    return {name: value for name, value in params.items() if value.strip()}


@router.post("/")
def token(request: Request) -> dict[str, Any]:
    params = token_parameters(request)
    settings = get_settings()
    client = authenticate_client(request.headers.get("authorization"), params, settings)
    issued = token_grants.issue_tokens(
        params, client_id=client.client_id, settings=settings, mcp=client.is_mcp
    )
    metrics.count(metrics.TOKEN_GRANTS)
    return json_response(200, issued.as_response())


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return router.resolve(event, context)
