"""RFC 7591 registration at googleAuthorization's POST /register: what it registers, every refusal
(its status, RFC 7591 error code and the field it names), its rate limits and a registration's life."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from functions.google_authorization import app
from gpt_auth.oauth import clients, registration, registration_counts, tokens
from gpt_auth.runtime import db
from gpt_auth.runtime.errors import TooManyRequests
from gpt_auth.runtime.origin import ORIGIN_HEADER, VIEWER_ADDRESS_HEADER
from gpt_auth.runtime.settings import get_settings
from tests.support import stores
from tests.support.events import load_event

CLAUDE = "https://claude.ai/api/mcp/auth_callback"
CHATGPT = "https://chatgpt.com/connector_platform_oauth_redirect"
INSPECTOR = "http://localhost:6274/oauth/callback/debug"
SECRET = "Zq0" * 16


def register_event(body=None, *, raw: str | None = None, source_ip: str = "203.0.113.10", **headers):
    """The sample registration (Claude's), with another JSON body or raw text, address or headers."""
    event = load_event("google_authorization_register")
    if body is not None:
        event["body"] = json.dumps(body)
    if raw is not None:
        event["body"] = raw
    event["requestContext"]["http"]["sourceIp"] = source_ip
    event["headers"].update(headers)
    return event


def post(lambda_context, body=None, **kwargs):
    response = app.lambda_handler(register_event(body, **kwargs), lambda_context)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def claude(**changes):
    return {
        "client_name": "Claude",
        "redirect_uris": [CLAUDE],
        "token_endpoint_auth_method": "none",
    } | changes


def test_claudes_registration_gets_a_public_client_id_that_signs_in(store, lambda_context):
    # WHEN Claude registers as it does on each new connection
    status, answer, headers = post(lambda_context)
    # THEN 201 with a client_id of ours, no secret, the metadata as registered
    assert status == 201, answer
    assert answer["client_id"].startswith(tokens.REGISTERED_CLIENT) and len(answer["client_id"]) == 47
    assert "client_secret" not in answer
    assert answer["redirect_uris"] == [CLAUDE]
    assert answer["token_endpoint_auth_method"] == "none"
    assert answer["grant_types"] == ["authorization_code", "refresh_token"]
    assert answer["response_types"] == ["code"]
    assert answer["client_name"] == "Claude"
    assert abs(answer["client_id_issued_at"] - db.now().timestamp()) < 60
    assert headers["Cache-Control"] == "no-store"
    # AND the sign-in finds it, as an MCP client that may go back only to what it registered
    found = clients.find(answer["client_id"], get_settings())
    assert found == clients.Client(answer["client_id"], "Claude", (CLAUDE,), clients.REGISTERED)
    # AND it is kept UNUSED_CLIENT_DAYS
    stored = db.collection(clients.COLLECTION).find_one({"_id": answer["client_id"]})
    assert stored is not None
    lives = stored["expires_at"] - db.now()
    assert (
        timedelta(days=clients.UNUSED_CLIENT_DAYS - 1) < lives <= timedelta(days=clients.UNUSED_CLIENT_DAYS)
    )


def test_a_registration_is_logged_for_the_operator(lambda_context, read_logs):
    _, answer, _ = post(lambda_context)
    logged = [line for line in read_logs() if line.get("message") == "client registered"]
    assert [(line["client_id"], line["redirect_uris"]) for line in logged] == [
        (answer["client_id"], [CLAUDE])
    ]


def test_each_registration_is_a_new_client(lambda_context):
    first, second = post(lambda_context)[1], post(lambda_context)[1]
    assert first["client_id"] != second["client_id"]
    assert db.collection(clients.COLLECTION).count_documents({}) == 2


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic", "private_key_jwt"])
def test_a_client_asking_for_a_secret_is_registered_public_and_told_so(method, lambda_context):
    status, answer, _ = post(lambda_context, claude(token_endpoint_auth_method=method))
    assert status == 201
    assert answer["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in answer


def test_defaults_unknown_fields_and_repeated_uris(lambda_context):
    # GIVEN a registration with only redirect_uris (one repeated), and fields this server does not use
    body = {
        "redirect_uris": [CHATGPT, INSPECTOR, CHATGPT],
        "logo_uri": "https://evil.example/logo.png",
        "software_id": "x",
        "scope": "openid",
    }
    status, answer, _ = post(lambda_context, body)
    # THEN the defaults are registered, each URI once, and nothing of the rest is kept
    assert status == 201, answer
    assert answer["redirect_uris"] == [CHATGPT, INSPECTOR]
    assert answer["grant_types"] == ["authorization_code", "refresh_token"]
    assert "client_name" not in answer and "logo_uri" not in answer
    stored = db.collection(clients.COLLECTION).find_one({"_id": answer["client_id"]})
    assert stored is not None and "logo_uri" not in stored and "software_id" not in stored


def test_a_name_is_trimmed_and_may_be_any_language(lambda_context):
    status, answer, _ = post(lambda_context, claude(client_name="  Éditeur 日本  "))
    assert status == 201 and answer["client_name"] == "Éditeur 日本"


LONG_URI = "https://claude.ai/api/mcp/auth_callback?x=" + "a" * 250

REFUSALS = [
    # (body, error code, text the description must hold)
    ({"client_name": "x"}, "invalid_redirect_uri", "redirect_uris is required"),
    (claude(redirect_uris=CLAUDE), "invalid_redirect_uri", "redirect_uris must be a non-empty array"),
    (claude(redirect_uris=[]), "invalid_redirect_uri", "redirect_uris must be a non-empty array"),
    (claude(redirect_uris=[CLAUDE, 7]), "invalid_redirect_uri", "redirect_uris must be a non-empty array"),
    (claude(redirect_uris=[CLAUDE] * 11), "invalid_redirect_uri", "at most 10"),
    (
        claude(redirect_uris=[CLAUDE, "https://evil.example/cb"]),
        "invalid_redirect_uri",
        "redirect_uris[1] ('https://evil.example/cb') is refused: It matches none",
    ),
    (claude(redirect_uris=[LONG_URI]), "invalid_redirect_uri", "longer than 256 characters"),
    (
        claude(redirect_uris=["http://chatgpt.com/connector_platform_oauth_redirect"]),
        "invalid_redirect_uri",
        "http://",
    ),
    (claude(redirect_uris=[CLAUDE + "#frag"]), "invalid_redirect_uri", "fragment"),
    (claude(client_name=42), "invalid_client_metadata", "client_name must be a string"),
    (claude(client_name="n" * 101), "invalid_client_metadata", "client_name is longer than 100"),
    (claude(client_name="Claude\nSign in as admin"), "invalid_client_metadata", "client_name holds control"),
    (claude(client_name="Claude\u202egnp.exe"), "invalid_client_metadata", "client_name holds control"),
    (
        claude(grant_types=["client_credentials"]),
        "invalid_client_metadata",
        "grant_types holds 'client_credentials'",
    ),
    (
        claude(grant_types=["refresh_token"]),
        "invalid_client_metadata",
        "grant_types must include 'authorization_code'",
    ),
    (
        claude(grant_types="authorization_code"),
        "invalid_client_metadata",
        "grant_types must be a non-empty array",
    ),
    (claude(response_types=["token"]), "invalid_client_metadata", "response_types holds 'token'"),
    (
        claude(token_endpoint_auth_method="magic"),
        "invalid_client_metadata",
        "token_endpoint_auth_method 'magic'",
    ),
    (
        claude(token_endpoint_auth_method=1),
        "invalid_client_metadata",
        "token_endpoint_auth_method a non-string",
    ),
    (["redirect_uris"], "invalid_client_metadata", "must be a JSON object"),
]


@pytest.mark.parametrize(("body", "code", "text"), REFUSALS)
def test_every_refusal_is_400_json_naming_the_field(body, code, text, store, lambda_context):
    status, answer, _ = post(lambda_context, body)
    assert (status, answer["error"]) == (400, code), answer
    assert text in answer["error_description"]
    # AND nothing is stored, nothing counted
    assert db.collection(clients.COLLECTION).count_documents({}) == 0
    assert db.collection(registration_counts.COLLECTION).count_documents({}) == 0


def test_a_body_that_is_not_json_is_invalid_client_metadata(lambda_context):
    status, answer, _ = post(lambda_context, raw="{redirect_uris")
    assert (status, answer["error"]) == (400, "invalid_client_metadata")
    assert "not valid JSON" in answer["error_description"]


def test_a_body_over_the_cap_is_413(lambda_context):
    body = claude(client_name="x", padding="p" * registration.MAX_BODY_BYTES)
    status, answer, _ = post(lambda_context, body)
    assert status == 413 and "8,192 bytes" in answer["error_description"]


def test_a_form_body_is_415(lambda_context):
    status, answer, _ = post(lambda_context, raw="redirect_uris=x", **{"content-type": "text/plain"})
    assert status == 415 and "application/json" in answer["error_description"]


def test_other_methods_are_405_json(lambda_context):
    event = register_event()
    event["requestContext"]["http"]["method"] = "GET"
    response = app.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 405 and response["headers"]["Allow"] == "OPTIONS, POST"
    assert json.loads(response["body"])["error"] == "method_not_allowed"


def test_a_browser_may_register_from_any_origin(lambda_context):
    # GIVEN a browser-based client (the MCP Inspector) on its own origin: it asks first
    event = register_event(origin="http://localhost:6274")
    event["requestContext"]["http"]["method"] = "OPTIONS"
    preflight = app.lambda_handler(event, lambda_context)
    assert preflight["statusCode"] == 204
    assert preflight["headers"]["Access-Control-Allow-Origin"] == "*"
    assert preflight["headers"]["Access-Control-Allow-Methods"] == "POST"
    # THEN its registration and a refusal are both readable there
    status, _, headers = post(lambda_context, origin="http://localhost:6274")
    assert status == 201 and headers["Access-Control-Allow-Origin"] == "*"
    status, _, headers = post(lambda_context, {"client_name": "x"})
    assert status == 400 and headers["Access-Control-Allow-Origin"] == "*"
    # AND the browser routes' pages stay same-origin
    privacy = app.lambda_handler(load_event("google_authorization_privacy"), lambda_context)
    assert "Access-Control-Allow-Origin" not in privacy["headers"]


def test_the_browser_routes_still_answer_pages(lambda_context):
    event = load_event("google_authorization_privacy")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/nowhere"
    response = app.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 404 and response["headers"]["Content-Type"].startswith("text/html")


# Rate limits


def test_one_address_registers_at_most_its_hourly_bound(configure, store, lambda_context):
    configure(REGISTRATIONS_PER_IP_PER_HOUR="2")
    assert [post(lambda_context)[0] for _ in range(2)] == [201, 201]
    status, answer, headers = post(lambda_context)
    assert status == 429 and answer["error"] == "temporarily_unavailable"
    assert "REGISTRATIONS_PER_IP_PER_HOUR" in answer["error_description"]
    assert 0 < int(headers["Retry-After"]) <= 3601
    assert db.collection(clients.COLLECTION).count_documents({}) == 2
    # AND another address is not held back by it
    assert post(lambda_context, source_ip="198.51.100.7")[0] == 201


def test_an_ipv6_64_counts_as_one_address(configure, lambda_context):
    configure(REGISTRATIONS_PER_IP_PER_HOUR="1")
    assert post(lambda_context, source_ip="2001:db8:1:2::1")[0] == 201
    assert post(lambda_context, source_ip="2001:db8:1:2:ffff::9")[0] == 429
    assert post(lambda_context, source_ip="2001:db8:1:3::1")[0] == 201


def test_everyone_together_registers_at_most_the_global_bound(configure, lambda_context):
    configure(REGISTRATIONS_PER_HOUR="3")
    statuses = [post(lambda_context, source_ip=f"198.51.100.{n}")[0] for n in range(1, 5)]
    assert statuses == [201, 201, 201, 429]
    status, answer, _ = post(lambda_context, source_ip="198.51.100.99")
    assert status == 429 and "REGISTRATIONS_PER_HOUR" in answer["error_description"]


def test_an_address_over_its_bound_does_not_spend_everyones(configure, lambda_context):
    configure(REGISTRATIONS_PER_IP_PER_HOUR="1", REGISTRATIONS_PER_HOUR="2")
    for _ in range(5):
        post(lambda_context)
    assert post(lambda_context, source_ip="198.51.100.7")[0] == 201


def test_the_count_starts_again_each_hour_and_retry_after_is_the_hours_end(configure):
    configure(REGISTRATIONS_PER_IP_PER_HOUR="1")
    settings = get_settings()
    at = datetime(2026, 12, 3, 10, 59, 30, tzinfo=UTC)
    registration_counts.spend("203.0.113.10", settings, now=at)
    with pytest.raises(TooManyRequests) as refused:
        registration_counts.spend("203.0.113.10", settings, now=at)
    assert refused.value.headers["Retry-After"] == "31"
    registration_counts.spend("203.0.113.10", settings, now=at + timedelta(seconds=31))


def test_the_counts_keep_no_address_and_expire(lambda_context):
    post(lambda_context)
    counts = list(db.collection(registration_counts.COLLECTION).find())
    assert len(counts) == 2
    assert not any("203.0.113" in doc["_id"] for doc in counts)
    assert all(doc["expires_at"] - db.now() <= timedelta(hours=2) for doc in counts)


def test_behind_cloudfront_the_viewer_is_counted_not_cloudfront(configure, lambda_context):
    # GIVEN one host: every request reaches the function from CloudFront's own addresses
    configure(ORIGIN_SECRET=SECRET, REGISTRATIONS_PER_IP_PER_HOUR="1")
    edge = {"source_ip": "130.176.0.1", ORIGIN_HEADER: SECRET}

    def from_viewer(address, **more):
        return post(lambda_context, **edge, **{VIEWER_ADDRESS_HEADER: address}, **more)[0]

    # THEN each viewer has a bound of its own, and X-Forwarded-For changes nothing
    assert from_viewer("198.51.100.1:50000") == 201
    assert from_viewer("198.51.100.2:50000") == 201
    assert from_viewer("198.51.100.1:50001", **{"x-forwarded-for": "192.0.2.1"}) == 429
    assert from_viewer("2001:db8::1:443") == 201


@pytest.mark.parametrize(
    ("headers", "source_ip", "expected"),
    [
        ({}, "203.0.113.10", "203.0.113.10"),
        ({}, "::ffff:203.0.113.10", "::ffff:203.0.113.10"),
        ({}, "not an address", None),
        ({"x-forwarded-for": "192.0.2.1"}, "203.0.113.10", "203.0.113.10"),
    ],
)
def test_client_address_is_the_function_urls_peer_without_cloudfront(headers, source_ip, expected):
    from gpt_auth.runtime.origin import client_address

    assert client_address(headers, source_ip) == expected


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.10", "203.0.113.10"),
        ("::ffff:203.0.113.10", "203.0.113.10"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        (None, "unknown"),
        ("garbage", "unknown"),
    ],
)
def test_what_one_caller_is_counted_as(address, network):
    assert registration_counts.network(address) == network


# A registration's life


def test_a_registration_in_use_lives_on_with_one_write_a_day(store):
    stores.skip_on_nx(store, "$set of a datetime on an existing document stores it as a string")
    client = clients.Client("gcl_used", "Claude", (CLAUDE,), clients.REGISTERED)
    now = db.now().replace(microsecond=0)  # the store keeps milliseconds
    clients.save(client, expires_at=now + timedelta(days=3), now=now)
    coll = db.collection(clients.COLLECTION)
    # WHEN it is found (a sign-in)
    assert clients.find("gcl_used", get_settings(), now=now) == client
    # THEN it lives UNUSED_CLIENT_DAYS from then
    extended = coll.find_one({"_id": "gcl_used"})["expires_at"]
    assert extended == now + timedelta(days=clients.UNUSED_CLIENT_DAYS)
    # AND a sign-in an hour later writes nothing; one two days later pushes it again
    clients.find("gcl_used", get_settings(), now=now + timedelta(hours=1))
    assert coll.find_one({"_id": "gcl_used"})["expires_at"] == extended
    clients.find("gcl_used", get_settings(), now=now + timedelta(days=2))
    assert coll.find_one({"_id": "gcl_used"})["expires_at"] == now + timedelta(
        days=clients.UNUSED_CLIENT_DAYS + 2
    )


def test_an_unused_registration_is_gone_after_unused_client_days(lambda_context):
    _, answer, _ = post(lambda_context)
    later = db.now() + timedelta(days=clients.UNUSED_CLIENT_DAYS, minutes=1)
    assert clients.find(answer["client_id"], get_settings(), now=later) is None
