"""googleAuthorization: the OAuth authorize URL (``GET /``), an MCP client's consent form
(``POST /consent``), Google's callback (``GET /callback``), the privacy policy page
(``GET /privacy``), the authorization server metadata (RFC 8414, at both well-known names) and
MCP clients' registration (``POST /register``, RFC 7591).

A browser visits the first three routes, so their errors are HTML pages
(``Router(error_page_title=...)``); the metadata and ``/register`` are for clients and answer
their errors as JSON (RFC 7591's for ``/register``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpt_auth.runtime import cold_start

with cold_start.loading():  # the imports, without the garbage collector
    from gpt_auth.oauth import authorization, server_metadata, sign_in_cookie
    from gpt_auth.runtime import origin
    from gpt_auth.runtime.log import logger
    from gpt_auth.runtime.routing import Router
    from gpt_auth.runtime.web import PUBLIC_READ, Request, cors_preflight, json_response, redirect

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

router = Router(error_page_title="Sign-in failed")


@router.get("/")
def authorize(request: Request) -> dict[str, Any]:
    browser = sign_in_cookie.value_for(request)
    public_url = origin.request_public_url(request)
    answer = authorization.begin(request.query(), public_url=public_url, browser=browser)
    response = redirect(answer) if isinstance(answer, str) else answer  # an MCP client's consent page
    response["cookies"] = [sign_in_cookie.set_cookie(browser, request)]
    return response


@router.post("/consent")
def consent(request: Request) -> dict[str, Any]:
    from gpt_auth.oauth import consent

    browser = sign_in_cookie.presented(request)
    return consent.decide(request.form(), public_url=origin.request_public_url(request), browser=browser)


@router.get("/callback")
def callback(request: Request) -> dict[str, Any]:
    browser = sign_in_cookie.presented(request)
    public_url = origin.request_public_url(request)
    return redirect(authorization.finish(request.query(), browser=browser, public_url=public_url))


@router.get("/privacy")
def privacy(request: Request) -> dict[str, Any]:
    from gpt_auth.oauth.privacy import privacy_page
    from gpt_auth.runtime.settings import get_settings

    return privacy_page(get_settings())


@router.get(server_metadata.OAUTH_WELL_KNOWN, json_errors=True, error_headers=PUBLIC_READ)
@router.get(server_metadata.OPENID_WELL_KNOWN, json_errors=True, error_headers=PUBLIC_READ)
def authorization_server_metadata(request: Request) -> dict[str, Any]:
    return server_metadata.metadata_answer(origin.request_public_url(request))


@router.route("OPTIONS", server_metadata.OAUTH_WELL_KNOWN)
@router.route("OPTIONS", server_metadata.OPENID_WELL_KNOWN)
def metadata_preflight(request: Request) -> dict[str, Any]:
    return cors_preflight()


# Browser-based MCP clients (the MCP Inspector) register from their own origin: CORS, no credential.
@router.post(server_metadata.REGISTRATION_PATH, json_errors=True, error_headers=PUBLIC_READ)
def register(request: Request) -> dict[str, Any]:
    from gpt_auth.oauth import registration
    from gpt_auth.runtime.settings import get_settings

    http = (request.event.get("requestContext") or {}).get("http") or {}
    address = origin.client_address(request.headers, http.get("sourceIp"))
    return json_response(201, registration.register(request, get_settings(), address), PUBLIC_READ)


@router.route("OPTIONS", server_metadata.REGISTRATION_PATH)
def register_preflight(request: Request) -> dict[str, Any]:
    return cors_preflight("POST")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return router.resolve(event, context)
