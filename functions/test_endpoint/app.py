"""testEndpoint: the protected GPT actions.

``POST /`` (``getHello``) with a Bearer token and ``{"name": ...}``; ``GET /events``
(``listUpcomingEvents``) with a Bearer token and ``days``/``page``: the user's upcoming Google
Calendar events. Only ``GET /events`` imports what talks to Google (``requests``, the grant store
and its ``cryptography``), so ``POST /`` keeps its cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpt_auth.oauth import sessions
from gpt_auth.runtime.errors import BadRequest, InvalidToken, MissingToken
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.routing import Router
from gpt_auth.runtime.web import Request, response, text_response

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

MAX_NAME_LENGTH = 200

router = Router()


def bearer_token(request: Request) -> str:
    """The bearer token; ``MissingToken`` without one, ``InvalidToken`` for an empty one."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise MissingToken("Send the access token in the header 'Authorization: Bearer TOKEN'.")
    if not token.strip():
        raise InvalidToken("The Authorization header says Bearer but carries no token.")
    return token.strip()


def signed_in_session(request: Request) -> dict[str, Any]:
    session = sessions.session_for_access_token(bearer_token(request))
    if session is None:
        raise InvalidToken()
    return session


@router.post("/")
def hello(request: Request) -> dict[str, Any]:
    signed_in_session(request)
    body = request.json()
    if not isinstance(body, dict) or "name" not in body:
        raise BadRequest("The body must be a JSON object with a string member 'name'.")
    name = body["name"]
    if not isinstance(name, str):
        raise BadRequest("'name' must be a string.")
    name = name.strip()
    if not name:
        raise BadRequest("'name' must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise BadRequest(f"'name' must be at most {MAX_NAME_LENGTH} characters.")
    return text_response(200, f"Hello {name}")


@router.get("/events")
def list_upcoming_events(request: Request) -> dict[str, Any]:
    session = signed_in_session(request)
    query = request.query()
    from datetime import UTC, datetime

    from gpt_auth.actions.event_answers import cursor_for

    cursor = cursor_for(query.get("days"), query.get("page"), datetime.now(UTC))
    from gpt_auth.actions.upcoming_events import upcoming_events  # requests, the grant store, cryptography

    body = upcoming_events(str(session["user_id"]), cursor)
    return response(200, body, "application/json; charset=utf-8")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return router.resolve(event, context)
