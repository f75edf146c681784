"""googleAuthorization's authorization server metadata (RFC 8414): the document's fields, and its
issuer equal byte for byte to the one /mcp's resource metadata (RFC 9728) names, in every setup
the template makes (the local one: tests/integration/test_mcp_discovery.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.google_authorization import app as authorization_app
from functions.test_endpoint import app as action_app
from gpt_auth.actions.catalog import gpt_scope
from gpt_auth.oauth import clients, server_metadata
from tests.support.events import load_event
from tests.support.stack import STACKS, Stack

ISSUER = "https://authorizationhost0123.lambda-url.eu-west-1.on.aws"
TOKEN_URL = "https://authenticationhost01.lambda-url.eu-west-1.on.aws/"
WELL_KNOWN_PATHS = (server_metadata.OAUTH_WELL_KNOWN, server_metadata.OPENID_WELL_KNOWN)


def get(handler: Any, path: str, lambda_context: Any, domain: str, headers: dict[str, str]) -> dict[str, Any]:
    """A GET of ``path`` on a function whose Function URL host is ``domain``."""
    event = load_event("google_authorization_privacy")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["domainName"] = event["headers"]["host"] = domain
    event["headers"].update(headers)
    return handler(event, lambda_context)


def metadata(lambda_context: Any, path: str = server_metadata.OAUTH_WELL_KNOWN, **headers: str) -> dict:
    response = get(authorization_app.lambda_handler, path, lambda_context, ISSUER[8:], headers)
    assert response["statusCode"] == 200, response["body"]
    return response


@pytest.fixture
def three_hosts(configure):
    configure(TOKEN_URL=TOKEN_URL)


@pytest.mark.parametrize("path", WELL_KNOWN_PATHS)
def test_both_well_known_names_serve_the_document(three_hosts, lambda_context, path):
    # WHEN a client fetches the metadata at either name, on googleAuthorization's Function URL
    document = json.loads(metadata(lambda_context, path)["body"])
    # THEN the issuer is that URL without a trailing slash; GET on it is the authorize URL
    assert document["issuer"] == ISSUER
    assert document["authorization_endpoint"] == ISSUER
    assert document["token_endpoint"] == TOKEN_URL
    # AND it states what the sign-in and the token endpoint accept
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["token_endpoint_auth_methods_supported"] == [
        "none",
        "client_secret_post",
        "client_secret_basic",
    ]
    assert document["scopes_supported"] == list(gpt_scope())
    assert document["authorization_response_iss_parameter_supported"] is True
    # AND nothing that does not exist: no revocation endpoint; registration as clients says
    assert "revocation_endpoint" not in document
    assert ("registration_endpoint" in document) is clients.DYNAMIC_REGISTRATION
    assert document["client_id_metadata_document_supported"] is clients.CLIENT_ID_METADATA_DOCUMENTS


def test_the_answer_is_cacheable_json_any_web_origin_may_read(three_hosts, lambda_context):
    headers = metadata(lambda_context)["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "public, max-age=3600"
    assert "Pragma" not in headers
    assert headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", WELL_KNOWN_PATHS)
def test_a_browsers_preflight_is_allowed_from_any_origin(lambda_context, path):
    # GIVEN a page's fetch with MCP's header, which makes the browser ask first (no settings needed)
    event = load_event("google_authorization_privacy")
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = "OPTIONS"
    event["headers"].update(
        {"origin": "http://localhost:6274", "access-control-request-headers": "mcp-protocol-version"}
    )
    # WHEN googleAuthorization answers the preflight
    response = authorization_app.lambda_handler(event, lambda_context)
    # THEN the GET may follow from any origin, with any header
    assert (response["statusCode"], response["body"]) == (204, "")
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"
    assert response["headers"]["Access-Control-Allow-Methods"] == "GET"
    assert response["headers"]["Access-Control-Allow-Headers"] == "*"


@pytest.mark.parametrize(("dynamic", "cimd"), [(True, False), (False, True), (True, True)])
def test_registration_is_advertised_as_the_clients_module_says(monkeypatch, dynamic, cimd):
    monkeypatch.setattr(clients, "DYNAMIC_REGISTRATION", dynamic)
    monkeypatch.setattr(clients, "CLIENT_ID_METADATA_DOCUMENTS", cimd)
    document = server_metadata.metadata_document(ISSUER, TOKEN_URL, ("openid",))
    assert document.get("registration_endpoint") == (f"{ISSUER}/register" if dynamic else None)
    assert document["client_id_metadata_document_supported"] is cimd


@pytest.mark.parametrize(
    ("configured", "issuer"),
    [
        ("https://auth.example.com/", "https://auth.example.com"),
        ("https://auth.example.com/authorize/", "https://auth.example.com/authorize"),
        ("/authorize", f"{ISSUER}/authorize"),
        ("/authorize/", f"{ISSUER}/authorize"),
    ],
)
def test_a_configured_issuer_never_keeps_a_trailing_slash(
    three_hosts, configure, lambda_context, configured, issuer
):
    configure(AUTHORIZATION_SERVER_URL=configured)
    assert json.loads(metadata(lambda_context)["body"])["issuer"] == issuer


def test_a_token_url_path_is_on_the_issuers_host(configure, lambda_context):
    configure(TOKEN_URL="/token", AUTHORIZATION_SERVER_URL="https://gpt.example.com/authorize")
    assert json.loads(metadata(lambda_context)["body"])["token_endpoint"] == "https://gpt.example.com/token"


def test_without_the_token_url_the_metadata_is_a_500_naming_the_setting(lambda_context):
    response = get(
        authorization_app.lambda_handler, server_metadata.OAUTH_WELL_KNOWN, lambda_context, ISSUER[8:], {}
    )
    # THEN it is JSON, as a client reads it, naming the setting
    assert response["statusCode"] == 500
    assert "TOKEN_URL" in json.loads(response["body"])["error_description"]
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"  # a page can read why
    # AND another method is JSON's 405 too
    event = load_event("google_authorization_privacy")
    event["rawPath"] = server_metadata.OPENID_WELL_KNOWN
    event["requestContext"]["http"]["method"] = "DELETE"
    refused = authorization_app.lambda_handler(event, lambda_context)
    assert refused["statusCode"] == 405 and refused["headers"]["Allow"] == "GET, OPTIONS"
    assert json.loads(refused["body"])["error"]


@pytest.mark.parametrize(
    ("url", "inserted"),
    [
        ("https://h.example/authorize", "https://h.example/.well-known/oauth-authorization-server/authorize"),
        (
            "https://h.example/authorize/",
            "https://h.example/.well-known/oauth-authorization-server/authorize",
        ),
        ("https://h.example", "https://h.example/.well-known/oauth-authorization-server"),
        ("http://127.0.0.1:3000/g/", "http://127.0.0.1:3000/.well-known/oauth-authorization-server/g"),
    ],
)
def test_the_well_known_name_goes_between_host_and_path(url, inserted):
    assert server_metadata.well_known_url(url, server_metadata.OAUTH_WELL_KNOWN) == inserted


@pytest.mark.parametrize("stack", STACKS, ids=lambda stack: stack.name)
def test_the_issuer_mcp_names_is_the_one_the_metadata_states_in_every_setup(
    stack: Stack, template, configure, lambda_context
):
    outputs = {
        name: stack.value(template["Outputs"][name]["Value"])
        for name in ("AuthorizationUrl", "TokenUrl", "ActionUrl", "McpUrl")
    }
    # GIVEN testEndpoint deployed with the template's settings: its /mcp names our issuer
    configure(**stack.environment(template, "TestEndpointFunction"))
    domain, headers = stack.request_headers(outputs["ActionUrl"])
    response = get(
        action_app.lambda_handler,
        "/.well-known/oauth-protected-resource/mcp",
        lambda_context,
        domain,
        headers,
    )
    resource = json.loads(response["body"])
    assert resource["resource"] == outputs["McpUrl"]
    (named,) = resource["authorization_servers"]
    # WHEN googleAuthorization, with its settings, answers at the URL that issuer's metadata is at
    configure(TOKEN_URL=None, AUTHORIZATION_SERVER_URL=None, ACTION_URL=None)
    configure(**stack.environment(template, "GoogleAuthorizationFunction"))
    domain, headers = stack.request_headers(outputs["AuthorizationUrl"])
    answer = get(
        authorization_app.lambda_handler, server_metadata.OAUTH_WELL_KNOWN, lambda_context, domain, headers
    )
    assert answer["statusCode"] == 200, answer["body"]
    document = json.loads(answer["body"])
    # THEN both state the same issuer, the AuthorizationUrl output without its trailing slash
    assert document["issuer"] == named == outputs["AuthorizationUrl"].rstrip("/")
    assert document["authorization_endpoint"] == named
    # AND the token endpoint is the TokenUrl output the GPT is given
    assert document["token_endpoint"] == outputs["TokenUrl"]
