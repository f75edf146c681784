"""testEndpoint: the GPT's protected actions, each declared once in ``gpt_auth.actions``, and
the same actions as MCP tools at ``/mcp`` (``gpt_auth.mcp``).

Every route comes from the declarations in ``gpt_auth.actions.catalog``; an action's own module
imports what talks to Google only once a call passed its checks, so ``POST /`` keeps its cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpt_auth.runtime import cold_start

with cold_start.loading():  # the imports, without the garbage collector
    from gpt_auth.actions import serve
    from gpt_auth.actions.catalog import ACTIONS
    from gpt_auth.mcp import mount as mcp
    from gpt_auth.runtime.log import logger
    from gpt_auth.runtime.routing import Router

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

router = Router()
serve.register(router, ACTIONS)
mcp.register(router, ACTIONS)  # the same actions as MCP tools at /mcp


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return router.resolve(event, context)
