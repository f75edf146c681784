"""googleAuthorization: the OAuth authorize URL (``GET /``), Google's callback (``GET /callback``)
and the privacy policy page (``GET /privacy``).

A browser visits both routes, so every error here is an HTML page (``Router(error_page_title=...)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpt_auth.oauth import authorization, sign_in_cookie
from gpt_auth.runtime import origin
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.routing import Router
from gpt_auth.runtime.web import Request, redirect

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

router = Router(error_page_title="Sign-in failed")


@router.get("/")
def authorize(request: Request) -> dict[str, Any]:
    domain_name = (request.event.get("requestContext") or {}).get("domainName")
    public_url = origin.public_url(request.headers, domain_name)
    browser = sign_in_cookie.value_for(request)
    response = redirect(authorization.begin(request.query(), public_url=public_url, browser=browser))
    response["cookies"] = [sign_in_cookie.set_cookie(browser, request)]
    return response


@router.get("/callback")
def callback(request: Request) -> dict[str, Any]:
    return redirect(authorization.finish(request.query(), browser=sign_in_cookie.presented(request)))


@router.get("/privacy")
def privacy(request: Request) -> dict[str, Any]:
    from gpt_auth.oauth.privacy import privacy_page
    from gpt_auth.runtime.settings import get_settings

    return privacy_page(get_settings())


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return router.resolve(event, context)
