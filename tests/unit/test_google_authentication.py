"""googleAuthentication, the token endpoint: events, client authentication, the code grant."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qsl

import pytest

from gpt_auth.oauth import codes, sessions, token_grants
from gpt_auth.oauth.tokens import hash_token
from gpt_auth.runtime import db
from localdev.lambda_env import with_form
from tests.support.concurrency import at_once
from tests.support.events import answered, events_of, load_event, seeded_event
from tests.support.token_requests import (
    OTHER_CALLBACK,
    POST_AUTH,
    REDIRECT_URI,
    call,
    exchange,
    is_live,
    new_code,
    refresh,
    signed_in,
    with_json,
)

# RFC 6749 5.2: error_description is printable ASCII without '"' and '\\'.
RFC6749_DESCRIPTION = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]+")
CASES = events_of("google_authentication")


@pytest.mark.parametrize("name", CASES)
def test_every_event_gets_its_documented_status(name, store, lambda_context):
    # GIVEN the event file and, where it documents one, a live code or refresh token;
    # WHEN the handler answers it
    meta, response = answered(name, lambda_context)
    # THEN the status is the documented one, as JSON, never cached
    assert response["statusCode"] == meta["status"], response["body"]
    body = json.loads(response["body"])
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["Pragma"] == "no-cache"
    if meta["status"] == 200:
        assert is_live(body["access_token"])
    else:
        assert body["error"] and RFC6749_DESCRIPTION.fullmatch(body["error_description"])


@pytest.mark.parametrize("name", ["google_authentication_code_post", "google_authentication_code_basic"])
def test_code_exchange_answers_a_token_response(name, store):
    # GIVEN a live code, exchanged with either client authentication method
    status, body, headers = call(seeded_event(name))
    # THEN the answer is RFC 6749 5.1's, never cached, and its access token opens testEndpoint
    assert status == 200
    assert (headers["Cache-Control"], headers["Pragma"]) == ("no-store", "no-cache")
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["scope"] == ""
    assert body["access_token"].startswith("gat_") and body["refresh_token"].startswith("grt_")
    assert sessions.session_for_access_token(body["access_token"])["user_id"] == "sample-user"


def test_scope_and_lifetime_come_from_the_code_and_settings(configure):
    configure(ACCESS_TOKEN_TTL="600")
    body = signed_in(scope="openid email profile")
    assert body["expires_in"] == 600 and body["scope"] == "openid email profile"


def test_wrong_basic_secret_is_401_with_a_basic_challenge():
    event = seeded_event("google_authentication_code_basic")
    event["headers"]["authorization"] = "Basic " + base64.b64encode(b"gpt-client:wrong").decode()
    status, body, headers = call(event)
    assert status == 401 and body["error"] == "invalid_client"
    assert headers["WWW-Authenticate"] == 'Basic realm="gpt-google-auth"'


def test_wrong_post_secret_is_401_without_a_challenge():
    status, body, headers = call(seeded_event("google_authentication_wrong_client_secret"))
    assert status == 401 and body["error"] == "invalid_client"
    assert "WWW-Authenticate" not in headers


def test_wrong_client_does_not_use_up_the_code():
    # GIVEN a code presented first with a wrong secret
    event = seeded_event("google_authentication_wrong_client_secret")
    assert call(event)[0] == 401
    # THEN the right client can still redeem it
    assert call(load_event("google_authentication_code_post"))[0] == 200


def test_json_body_is_accepted():
    code = new_code()
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **POST_AUTH}
    status, body, _ = call(with_json(load_event("google_authentication_code_post"), json.dumps(form)))
    assert status == 200 and is_live(body["access_token"])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"headers": {"content-type": "text/plain"}}, "application/x-www-form-urlencoded"),
        (
            {"headers": {"content-type": "multipart/form-data; boundary=x"}},
            "application/x-www-form-urlencoded",
        ),
        ({"body": "%%%not base64"}, "base64"),
        ({"body": base64.b64encode(b"code=\xff").decode()}, "UTF-8"),
        ({"body": base64.b64encode(b"grant_type=a&grant_type=b").decode()}, "more than once"),
        ({"body": base64.b64encode(b"code=%ff").decode()}, "UTF-8"),
        ({"json": "[1, 2]"}, "object whose values are strings"),
        ({"json": '{"grant_type": 1}'}, "object whose values are strings"),
        ({"json": "{not json"}, "not valid JSON"),
    ],
)
def test_malformed_request_is_invalid_request(change, expected):
    # GIVEN a token request whose body cannot be read
    event = load_event("google_authentication_code_post")
    event["headers"].update(change.get("headers", {}))
    if "body" in change:
        event["body"] = change["body"]
    if "json" in change:
        with_json(event, change["json"])
    # THEN it is a 400 invalid_request that says what is wrong
    status, body, _ = call(event)
    assert (status, body["error"]) == (400, "invalid_request")
    assert expected in body["error_description"]


@pytest.mark.parametrize("missing", ["grant_type", "code", "redirect_uri"])
def test_missing_or_blank_parameter_is_invalid_request(missing):
    form = {"grant_type": "authorization_code", "code": new_code(), "redirect_uri": REDIRECT_URI, **POST_AUTH}
    for value in (None, "", "  "):
        if value is None:
            form.pop(missing, None)
        else:
            form[missing] = value
        status, body, _ = call(with_form(load_event("google_authentication_code_post"), form))
        assert (status, body["error"]) == (400, "invalid_request")
        assert f"The {missing} parameter is missing." == body["error_description"]


@pytest.mark.parametrize(
    "body",
    [
        {"grant_type": "authorization_code", "code": "gac_" + "é" * 43, "redirect_uri": "x", **POST_AUTH},
        {"grant_type": "refresh_token", "refresh_token": "grt_\ud800" * 11, **POST_AUTH},
        {"grant_type": "authorization_code\u0000", "code": "gac_", **POST_AUTH},
        {"grant_type": "refresh_token", "refresh_token": "grt_" + "A" * 43, "scope": "\ud800", **POST_AUTH},
        {"grant_type": "refresh_token", "client_id": "gpt-client", "client_secret": "é\ud800"},
        {"grant_type": "refresh_token", "client_id": "\u0000", "client_secret": ""},
    ],
)
def test_odd_json_input_is_a_clear_4xx(body, store):
    status, answer, _ = call(with_json(load_event("google_authentication_code_post"), json.dumps(body)))
    assert status in (400, 401), answer
    assert RFC6749_DESCRIPTION.fullmatch(answer["error_description"])


@pytest.mark.parametrize(
    "authorization",
    ["Basic ÿÿÿ", "Basic " + base64.b64encode("gpt-client:é".encode()).decode(), "Digest x", "Basic =="],
)
def test_odd_authorization_header_is_401(authorization):
    event = load_event("google_authentication_code_basic")
    event["headers"]["authorization"] = authorization
    status, body, headers = call(event)
    assert (status, body["error"]) == (401, "invalid_client")
    assert headers["WWW-Authenticate"] == 'Basic realm="gpt-google-auth"'


def test_oversized_body_is_413_not_500():
    event = with_form(load_event("google_authentication_code_post"), {"code": "x" * 200_000})
    assert call(event)[0] == 413


def test_code_works_once_and_its_replay_revokes_the_pair(store):
    # GIVEN a code exchanged once
    code = new_code()
    status, first = exchange(code)
    assert status == 200 and is_live(first["access_token"])
    # WHEN it is presented again, not as a duplicate of the first (another redirect_uri)
    status, body = exchange(code, redirect_uri=OTHER_CALLBACK)
    # THEN the replay is refused and the pair issued from it is dead, refresh token included
    assert (status, body["error"]) == (400, "invalid_grant")
    assert not is_live(first["access_token"])
    assert refresh(first["refresh_token"])[1]["error"] == "invalid_grant"


def test_replay_revokes_the_pairs_rotated_from_the_code(store):
    # GIVEN a code exchanged, then its refresh token rotated
    code = new_code()
    first = exchange(code)[1]
    status, rotated = refresh(first["refresh_token"])
    assert status == 200 and is_live(rotated["access_token"])
    # WHEN the code is replayed THEN the rotated pair dies as well
    assert exchange(code, redirect_uri=OTHER_CALLBACK)[0] == 400
    assert not is_live(rotated["access_token"])
    assert refresh(rotated["refresh_token"])[0] == 400


def test_other_sessions_survive_a_replay(store):
    bystander = signed_in()
    code = new_code()
    exchange(code)
    exchange(code, redirect_uri=OTHER_CALLBACK)
    assert is_live(bystander["access_token"])


def test_redirect_uri_mismatch_is_invalid_grant_and_burns_the_code(store):
    code = new_code()
    status, body = exchange(code, redirect_uri="https://chatgpt.com/aip/g-Other/oauth/callback")
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "redirect_uri" in body["error_description"]
    # THEN not even the right redirect URI redeems it any more
    assert exchange(code)[1]["error"] == "invalid_grant"
    assert db.collection(sessions.COLLECTION).count_documents({}) == 0


def test_code_of_another_client_is_invalid_grant_and_burned(store):
    code = new_code(client_id="another-client")
    status, body = exchange(code)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "another client" in body["error_description"]
    assert db.collection(sessions.COLLECTION).count_documents({}) == 0
    assert codes.redeem_code(code) is None


def test_expired_code_is_invalid_grant(store):
    code = new_code(now=db.now() - timedelta(seconds=codes.CODE_TTL_SECONDS + 1))
    status, body = exchange(code)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert db.collection(sessions.COLLECTION).count_documents({}) == 0


def test_wrong_type_tokens_are_refused_without_a_database_call(monkeypatch):
    # GIVEN a real pair, then a store that fails the test if touched
    pair = signed_in()

    def no_database(name):
        raise AssertionError("the store was queried for a token of the wrong type")

    monkeypatch.setattr(db, "collection", no_database)
    # WHEN tokens are presented as the wrong thing THEN each is invalid_grant, store untouched
    for presented in (pair["refresh_token"], pair["access_token"], "gac_short", "x" * 47):
        status, body = exchange(presented)
        assert (status, body["error"]) == (400, "invalid_grant"), presented
    for presented in (pair["access_token"], new_code_like(), "grt_short", "grt_" + "!" * 43):
        status, body = refresh(presented)
        assert (status, body["error"]) == (400, "invalid_grant"), presented
    status, body = refresh(pair["access_token"], scope="openid")
    assert (status, body["error"]) == (400, "invalid_grant")


def new_code_like() -> str:
    return "gac_" + "A" * 43


def test_replay_during_session_creation_leaves_nothing_live(store, monkeypatch):
    # GIVEN a replay of the code that lands after the first redemption has used the code
    # but before it has created its session (so the replay finds nothing to revoke yet)
    code = new_code()
    replay_answers = []
    real_create = sessions.create_session

    def create_after_a_replay(**kwargs):
        replay_answers.append(exchange(code, redirect_uri=OTHER_CALLBACK))
        return real_create(**kwargs)

    monkeypatch.setattr(token_grants.sessions, "create_session", create_after_a_replay)
    # WHEN the first redemption goes on
    status, body = exchange(code)
    # THEN both are refused and the session the first one created is revoked
    assert replay_answers[0][1]["error"] == "invalid_grant"
    assert (status, body["error"]) == (400, "invalid_grant")
    created = list(db.collection(sessions.COLLECTION).find({"code_hash": hash_token(code)}))
    assert len(created) == 1 and created[0]["revoked_at"] is not None


def test_concurrent_redemptions_issue_one_pair_and_leave_none_live(store, monkeypatch):
    if store == "mongomock":
        pytest.skip("mongomock's find_one_and_update is a find then an update, not atomic across threads")
    # GIVEN one code and eight clients presenting it at the same moment (half of them with another
    # redirect_uri, so not duplicates of the first), and a session store
    # slow enough that the replays arrive while the winner is still creating its session
    code = new_code()
    real_create = sessions.create_session

    def slow_create(**kwargs):
        time.sleep(0.2)
        return real_create(**kwargs)

    monkeypatch.setattr(token_grants.sessions, "create_session", slow_create)
    callbacks = iter([REDIRECT_URI, OTHER_CALLBACK] * 4)
    lock = threading.Lock()

    def redeem():
        with lock:
            callback = next(callbacks)
        return exchange(code, redirect_uri=callback)

    answers = at_once(redeem, containers=8)
    # THEN at most one session was created (none when the winner's redirect_uri was wrong),
    # every other answer is invalid_grant, and since the code was replayed, nothing issued from
    # it is live
    assert len(answers) == 8
    assert sum(status == 200 for status, _ in answers) <= 1
    assert all(body["error"] == "invalid_grant" for status, body in answers if status != 200)
    created = list(db.collection(sessions.COLLECTION).find({"code_hash": hash_token(code)}))
    assert len(created) <= 1
    assert codes.was_replayed(hash_token(code))
    assert all(session["revoked_at"] is not None for session in created)
    assert not any(is_live(body["access_token"]) for status, body in answers if status == 200)


def test_logs_hold_no_token_code_or_secret(read_logs, app_settings):
    # GIVEN every sample event, a sign-in, a refresh and a replay
    secrets = [app_settings["GPT_CLIENT_SECRET"], app_settings["GOOGLE_CLIENT_SECRET"]]
    for name in CASES:
        event = seeded_event(name)
        form = dict(parse_qsl(base64.b64decode(event.get("body") or "").decode()))
        secrets += [event.get("body"), event["headers"].get("authorization", "").removeprefix("Basic ")]
        secrets += [form.get(key) for key in ("code", "refresh_token", "client_secret")]
        call(event)
    code = new_code()
    first = exchange(code)[1]
    second = refresh(first["refresh_token"])[1]
    exchange(code)
    secrets += [code, *(pair[key] for pair in (first, second) for key in ("access_token", "refresh_token"))]
    # THEN one request line per call, and no token, code, secret or body anywhere
    lines = read_logs()
    assert sum(line.get("message") == "request" for line in lines) == len(CASES) + 3
    assert any("replayed" in line.get("message", "") for line in lines)
    text = "\n".join(json.dumps(line) for line in lines)
    for secret in filter(None, secrets):
        assert secret not in text


def test_store_holds_no_token_code_or_secret(store, app_settings):
    code = new_code()
    first = exchange(code)[1]
    second = refresh(first["refresh_token"])[1]
    stored = repr([list(db.collection(name).find()) for name in (codes.COLLECTION, sessions.COLLECTION)])
    for secret in (
        code,
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
        app_settings["GPT_CLIENT_SECRET"],
    ):
        assert secret not in stored
    assert hash_token(second["refresh_token"]) in stored
