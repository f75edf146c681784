"""An MCP client at the token endpoint (``none`` authentication, PKCE, the resource binding) and
its tokens at testEndpoint: good for /mcp, refused by the GPT's actions, and the reverse."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gpt_auth.oauth import clients, codes, pkce, resources, revocation, sessions
from gpt_auth.runtime import db
from localdev.lambda_env import with_form
from tests.support.events import load_event
from tests.support.mcp_sign_in import (
    CALLBACK,
    CLIENT_ID,
    RESOURCE,
    VERIFIER,
    callback_query,
    exchange,
    get_hello,
    resource_call,
    save_client,
    token_request,
    tool_call,
)
from tests.support.token_requests import POST_AUTH, call, refresh, signed_in


@pytest.fixture(autouse=True)
def mcp_client(store):
    return save_client()


def mcp_code(*, resource: str = RESOURCE, client_id: str = CLIENT_ID, challenge: str | None = None) -> str:
    return codes.issue_code(
        client_id=client_id,
        redirect_uri=CALLBACK,
        user_id="user-1",
        scope="openid email",
        code_challenge=challenge or pkce.s256_challenge(VERIFIER),
        resource=resource,
    )


def refreshed(refresh_token: str, **extra: str) -> tuple[int, dict]:
    status, body, _ = token_request({"grant_type": "refresh_token", "refresh_token": refresh_token, **extra})
    return status, body


def test_an_mcp_client_signs_in_and_calls_a_tool_on_mcp(fake_idp, lambda_context):
    # GIVEN a whole MCP sign-in: consent allowed, the provider's callback, our code
    query = callback_query(lambda_context, fake_idp)
    # WHEN the client exchanges the code with its verifier and the resource, no secret
    status, body = exchange(query["code"], resource=RESOURCE)
    # THEN it gets a token pair, for /mcp
    assert status == 200, body
    family = db.collection(sessions.COLLECTION).find_one({"_id": {"$exists": True}})
    assert (family["client_id"], family["resource"]) == (CLIENT_ID, RESOURCE)
    # AND the token calls a tool on /mcp
    answer = json.loads(get_hello(lambda_context, body["access_token"])["body"])
    assert "Hello" in json.dumps(answer["result"]), answer
    # AND the GPT's actions refuse it
    refused = resource_call(lambda_context, body["access_token"], "/", {"name": "Ada"})
    assert refused["statusCode"] == 401


def test_a_gpt_token_is_refused_by_mcp_with_the_challenge(lambda_context):
    gpt = signed_in()
    refused = get_hello(lambda_context, gpt["access_token"])
    assert refused["statusCode"] == 401
    assert 'resource_metadata="' in refused["headers"]["WWW-Authenticate"]


def test_a_token_bound_to_no_resource_works_on_mcp_but_not_for_the_gpt(lambda_context):
    # GIVEN a client that named no resource (its code is bound to this deployment's /mcp)
    status, body = exchange(mcp_code(resource=resources.THIS_DEPLOYMENTS_MCP))
    assert status == 200, body
    assert get_hello(lambda_context, body["access_token"])["statusCode"] == 200
    assert resource_call(lambda_context, body["access_token"], "/", {"name": "Ada"})["statusCode"] == 401


def test_a_token_bound_to_another_mcp_url_is_refused_here(lambda_context):
    status, body = exchange(mcp_code(resource="https://other.example/mcp"))
    assert status == 200, body
    assert get_hello(lambda_context, body["access_token"])["statusCode"] == 401


@pytest.mark.parametrize(
    ("extra", "status", "error"),
    [
        ({"code_verifier": None}, 400, "invalid_grant"),
        ({"code_verifier": "w" * 64}, 400, "invalid_grant"),
        ({"resource": "https://other.example/mcp"}, 400, "invalid_target"),
        ({"redirect_uri": "http://localhost:1/cb"}, 400, "invalid_grant"),
    ],
)
def test_a_code_exchange_refusal(extra, status, error):
    form = {
        "grant_type": "authorization_code",
        "code": mcp_code(),
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
    }
    form = {k: v for k, v in (form | extra).items() if v is not None}
    got, body, _ = token_request(form)
    assert (got, body["error"]) == (status, error), body
    assert db.collection(sessions.COLLECTION).count_documents({}) == 0


def test_a_resource_sent_for_a_code_bound_to_none_is_invalid_target():
    status, body = exchange(mcp_code(resource=resources.THIS_DEPLOYMENTS_MCP), resource=RESOURCE)
    assert (status, body["error"]) == (400, "invalid_target")


def test_another_clients_code_is_refused():
    save_client("mcp-client-2")
    status, body = exchange(mcp_code(client_id="mcp-client-2"))
    assert (status, body["error"]) == (400, "invalid_grant")


def test_the_gpts_code_is_refused_to_an_mcp_client():
    code = codes.issue_code(
        client_id=POST_AUTH["client_id"], redirect_uri=CALLBACK, user_id="u", scope="openid"
    )
    status, body = exchange(code)
    assert (status, body["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    "form",
    [
        {"client_id": "unknown-client"},  # no such client
        {"client_id": POST_AUTH["client_id"]},  # the GPT, without its secret
        {"client_id": CLIENT_ID, "client_secret": "guess"},  # an MCP client has no secret
    ],
)
def test_client_authentication_refusals(form):
    request = {"grant_type": "authorization_code", "code": mcp_code(), "redirect_uri": CALLBACK, **form}
    status, body, _ = call(with_form(load_event("google_authentication_code_post"), request))
    assert (status, body["error"]) == (401, "invalid_client")


def test_an_expired_registration_cannot_exchange():
    code = mcp_code()
    expired = db.now() - timedelta(seconds=1)
    clients.save(clients.Client(CLIENT_ID, "Old", (CALLBACK,), clients.REGISTERED), expires_at=expired)
    status, body = exchange(code)
    assert (status, body["error"]) == (401, "invalid_client")


def test_refresh_rotates_and_a_retired_token_revokes_the_family(lambda_context):
    # GIVEN an MCP client's token pair
    _, first = exchange(mcp_code())
    # WHEN it refreshes (with the resource, then without), twice
    status, second = refreshed(first["refresh_token"], resource=RESOURCE)
    assert status == 200, second
    status, third = refreshed(second["refresh_token"])
    assert status == 200, third
    assert get_hello(lambda_context, third["access_token"])["statusCode"] == 200
    # THEN the first refresh token, retired, revokes the family (theft): /mcp answers 401
    status, body = refreshed(first["refresh_token"])
    assert (status, body["error"]) == (400, "invalid_grant")
    assert get_hello(lambda_context, third["access_token"])["statusCode"] == 401


def test_a_refresh_retried_inside_the_grace_window_gets_a_pair():
    _, first = exchange(mcp_code())
    assert refreshed(first["refresh_token"])[0] == 200
    status, retry = refreshed(first["refresh_token"])
    assert status == 200, retry


def test_refresh_refusals():
    _, first = exchange(mcp_code())
    status, body = refreshed(first["refresh_token"], resource="https://other.example/mcp")
    assert (status, body["error"]) == (400, "invalid_target")
    save_client("mcp-client-2")
    status, body, _ = token_request(
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": "mcp-client-2"}
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    # AND the family is untouched by the refusals
    assert refreshed(first["refresh_token"])[0] == 200


def test_the_gpt_cannot_refresh_an_mcp_family():
    _, first = exchange(mcp_code())
    status, body = refresh(first["refresh_token"])
    assert (status, body["error"]) == (400, "invalid_grant")
    # AND the MCP family is not revoked for it: its own client still refreshes
    assert refreshed(first["refresh_token"])[0] == 200


# --- revocation and limits reach /mcp -------------------------------------------------------------


def signed_in_over_mcp(lambda_context, fake_idp, **changes: str) -> str:
    """A real MCP sign-in (the stubbed provider, consent allowed); its access token, checked on /mcp."""
    status, body = exchange(callback_query(lambda_context, fake_idp, **changes)["code"])
    assert status == 200, body
    assert get_hello(lambda_context, body["access_token"])["statusCode"] == 200
    return body["access_token"]


def assert_challenged(response: dict, status: int, error: str) -> None:
    assert response["statusCode"] == status, response
    challenge = response["headers"]["WWW-Authenticate"]
    assert f'error="{error}"' in challenge
    assert 'resource_metadata="https://' in challenge


def test_make_revoke_signs_an_mcp_client_out(fake_idp, lambda_context):
    token = signed_in_over_mcp(lambda_context, fake_idp)
    # WHEN make revoke's function revokes the user, named by the provider's subject
    assert revocation.revoke(user_ids=revocation.user_ids_for("user-1")).sessions == 1
    # THEN /mcp answers 401 with the challenge
    assert_challenged(get_hello(lambda_context, token), 401, "invalid_token")


def test_delete_my_data_over_mcp_signs_the_client_out(fake_idp, lambda_context):
    token = signed_in_over_mcp(lambda_context, fake_idp)
    answer = tool_call(lambda_context, token, "deleteMyData")
    assert answer["statusCode"] == 200 and not json.loads(answer["body"])["result"]["isError"], answer
    assert_challenged(get_hello(lambda_context, token), 401, "invalid_token")


def test_a_scope_not_granted_is_403_insufficient_scope_over_mcp(fake_idp, lambda_context):
    token = signed_in_over_mcp(lambda_context, fake_idp, scope="openid email")
    assert_challenged(tool_call(lambda_context, token, "listUpcomingEvents"), 403, "insufficient_scope")
