"""RFC 6750 3.1: a 401 without any token names only the realm; a bad token names invalid_token."""

from __future__ import annotations

import json

import pytest

from functions.test_endpoint import app
from tests.reliability.flows import action_event

REALM_ONLY = 'Bearer realm="gpt-google-auth"'


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Basic dXNlcjpwYXNz", "Token gat_abc", "gat_" + "A" * 43],
    ids=["no header", "empty header", "Basic", "another scheme", "a token without a scheme"],
)
def test_no_bearer_token_gets_the_realm_only(authorization, lambda_context):
    # GIVEN an action call that carries no bearer token at all
    event = action_event("unused")
    if authorization is None:
        del event["headers"]["authorization"]
    else:
        event["headers"]["authorization"] = authorization
    # WHEN the action answers
    response = app.lambda_handler(event, lambda_context)
    # THEN it is a 401 whose challenge has no error (the client may not know a token is needed)
    assert response["statusCode"] == 401
    assert response["headers"]["WWW-Authenticate"] == REALM_ONLY
    assert "Authorization: Bearer TOKEN" in json.loads(response["body"])["error_description"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer ", "Bearer", "Bearer gat_unknown", "bearer grt_" + "R" * 43],
    ids=["empty token", "scheme alone", "malformed token", "wrong type"],
)
def test_a_bad_bearer_token_names_invalid_token(authorization, lambda_context):
    # GIVEN an action call with a Bearer token that cannot be valid
    event = action_event("unused")
    event["headers"]["authorization"] = authorization
    # WHEN the action answers
    response = app.lambda_handler(event, lambda_context)
    # THEN the challenge says invalid_token
    assert response["statusCode"] == 401
    assert response["headers"]["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
