"""Identity: whose session a token is, and which client it was issued to."""

from __future__ import annotations

from functions.test_endpoint import app
from gpt_auth import sessions
from tests.support.events import load_event

LIFETIMES = sessions.Lifetimes(3600, 86400, grace=120, max_age=7 * 86400)


def action_status(access_token: str, lambda_context) -> int:
    event = load_event("test_endpoint_valid")
    event["headers"]["authorization"] = f"Bearer {access_token}"
    return app.lambda_handler(event, lambda_context)["statusCode"]


def test_the_action_accepts_only_sessions_of_the_configured_gpt_client(store, lambda_context):
    # GIVEN two live sessions of one user: one issued to the configured GPT client, one to another
    ours = sessions.create_session(user_id="u", client_id="gpt-client", scope="", lifetimes=LIFETIMES)
    theirs = sessions.create_session(user_id="u", client_id="other-gpt", scope="", lifetimes=LIFETIMES)
    # THEN the action answers the first and refuses the second as an invalid token
    assert action_status(ours.access_token, lambda_context) == 200
    assert action_status(theirs.access_token, lambda_context) == 401
    assert sessions.session_for_access_token(theirs.access_token, client_id="other-gpt") is not None
