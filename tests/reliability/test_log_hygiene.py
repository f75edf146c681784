"""Log hygiene: the whole flow and every error path, with every log line captured, and not one secret in them.

Captured: the product's structured log (Powertools, at DEBUG), every other logger at DEBUG
through the root logger (pymongo, urllib3, requests, google-auth...), and whatever reaches the
process's stdout and stderr.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import sys
import time

import pytest
import responses

from functions.google_authorization import app as authorization_app
from functions.test_endpoint import app as action_app
from gpt_auth.google import google_tokens, provider
from gpt_auth.oauth import users
from gpt_auth.runtime import app_secret, db
from gpt_auth.runtime.errors import InvalidToken, ServiceUnavailable
from gpt_auth.runtime.log import QUIET_LOGGERS, logger
from localdev.lambda_env import FakeLambdaContext
from localdev.nx_server import free_port
from localdev.samples import SAMPLE_SIGN_IN_COOKIE
from localdev.seed import seed_session_for
from tests.reliability.cases import BASIC, CASES, FUNCTIONS, OTHER_BROWSER, Live, event_for
from tests.reliability.flows import (
    action_event,
    authorize_event,
    callback_event,
    location_query,
    start_sign_in,
    store_routes,
    token_call,
)
from tests.reliability.provider_faults import PROVIDER_FAULTS
from tests.support.fake_idp import FakeIdp
from tests.support.token_requests import OTHER_CALLBACK, refresh


@pytest.fixture
def everything_logged(read_logs, caplog, capfd):
    """Call it for all the text logged so far: product JSON lines, library records, stdout and stderr."""
    caplog.set_level(logging.DEBUG)
    previous = logger.log_level
    logger.setLevel(logging.DEBUG)

    def text() -> str:
        records = [json.dumps(record.__dict__, default=str) for record in caplog.records]
        out, err = capfd.readouterr()
        captured.append(out + err)
        return "\n".join([*(json.dumps(line) for line in read_logs()), *records, *captured])

    captured: list[str] = []
    yield text
    logger.setLevel(previous)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the HS256 forgery
def test_no_secret_reaches_any_log(store, fake_idp, app_settings, everything_logged, monkeypatch, configure):
    secrets: list[str] = [
        app_settings["GPT_CLIENT_SECRET"],
        app_settings["GOOGLE_CLIENT_SECRET"],
        BASIC.removeprefix("Basic "),
    ]
    context = FakeLambdaContext()
    # GIVEN a whole sign-in: authorization, the provider's callback, the code exchange
    sent = start_sign_in(fake_idp)
    callback = callback_event(code="provider-code-4/0AbCdEf", state=sent["state"])
    back = location_query(authorization_app.lambda_handler(callback, context))
    secrets += [
        sent["state"],
        sent["nonce"],
        "provider-code-4/0AbCdEf",
        "provider-access-token",
        "provider-refresh-token",
        back["code"],
    ]
    secrets += [fake_idp.issued_id_tokens[0], fake_idp.issued_id_tokens[0].split(".")[1]]
    secrets.append(fake_idp.token_forms[0]["code_verifier"])
    # AND a sign-in from a browser without a sign-in cookie yet, and that cookie refused elsewhere
    first_visit = authorize_event()
    del first_visit["cookies"]
    started = authorization_app.lambda_handler(first_visit, context)
    fresh_cookie = started["cookies"][0].split(";")[0]
    fresh_state = location_query(started)["state"]
    fake_idp.nonce = location_query(started)["nonce"]
    elsewhere = callback_event(code="provider-code-elsewhere", state=fresh_state)
    elsewhere["cookies"] = [fresh_cookie.replace(fresh_cookie[-8:], "A" * 8)]
    assert authorization_app.lambda_handler(elsewhere, context)["statusCode"] == 400
    callback = callback_event(code="provider-code-fresh", state=fresh_state)
    callback["cookies"] = [fresh_cookie]
    assert authorization_app.lambda_handler(callback, context)["statusCode"] == 302
    secrets += [fresh_cookie.partition("=")[2], fresh_state, SAMPLE_SIGN_IN_COOKIE, OTHER_BROWSER]
    status, pair, _ = token_call({"grant_type": "authorization_code", "code": back["code"]})
    assert status == 200
    # AND the action, a rotation, a retry with the previous token
    assert action_app.lambda_handler(action_event(pair["access_token"]), context)["statusCode"] == 200
    status, second = refresh(pair["refresh_token"])
    status, third = refresh(pair["refresh_token"])
    assert status == 200
    secrets += [p[key] for p in (pair, second, third) for key in ("access_token", "refresh_token")]
    # AND theft: the oldest refresh token, once its successors were used
    status, fourth = refresh(third["refresh_token"])
    assert refresh(pair["refresh_token"])[0] == 400
    secrets += [fourth["access_token"], fourth["refresh_token"]]
    # AND a code redeemed twice: a duplicate of the first exchange, then a replay
    replayed = Live.make().code
    status, fifth, _ = token_call({"grant_type": "authorization_code", "code": replayed})
    assert token_call({"grant_type": "authorization_code", "code": replayed})[0] == 400
    replay = {"grant_type": "authorization_code", "code": replayed, "redirect_uri": OTHER_CALLBACK}
    assert token_call(replay)[0] == 400
    secrets += [replayed, fifth["access_token"], fifth["refresh_token"]]
    # AND every case of the bad-input table, with its live values
    for case in CASES:
        live = Live.make()
        handler = importlib.import_module(FUNCTIONS[case.function]).lambda_handler
        handler(event_for(case, live), context)
        secrets += [live.access, live.refresh, live.code, live.pending]
    # AND every provider fault, each against a fresh provider
    for setup, _ in PROVIDER_FAULTS.values():
        provider.reset()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            idp = FakeIdp(mock)
            fault_sent = start_sign_in(idp)
            setup(idp, mock)
            callback = callback_event(code="provider-code-fault", state=fault_sent["state"])
            assert authorization_app.lambda_handler(callback, context)["statusCode"] == 502
        secrets.append(fault_sent["state"])
    # AND a store outage on every route, with live tokens, and a configuration error
    tokens = {"access": third["access_token"], "refresh": third["refresh_token"], "code": Live.make().code}
    configure(MONGODB_URI=f"mongodb://127.0.0.1:{free_port()}/?directConnection=true")
    monkeypatch.setattr(db, "CLIENT_OPTIONS", {**db.CLIENT_OPTIONS, "serverSelectionTimeoutMS": 200})
    answers = [call() for call in store_routes(tokens).values()]
    assert {answer["statusCode"] for answer in answers} == {503}
    secrets.append(tokens["code"])
    configure(GPT_CLIENT_SECRET="")
    assert action_app.lambda_handler(action_event(third["access_token"]), context)["statusCode"] == 500
    # THEN the logs said what happened, and hold none of the codes, tokens or secrets
    logged = everything_logged()
    for expected in (
        "sign-in completed",
        "replayed",
        "duplicate code exchange",
        "retired refresh token",
        "ID token refused",
        "database unavailable",
        "configuration error",
    ):
        assert expected in logged, f"nothing logged about {expected!r}"
    leaked = pieces_found(secrets, logged)
    assert not leaked, f"{len(leaked)} secrets in the logs, e.g. {sorted(leaked)[0][:8]}..."


def test_no_google_token_or_key_reaches_any_log(fake_idp, app_settings, everything_logged):
    ADA = users.user_id(fake_idp.issuer, "user-1")
    # (embedded store only: nx-27017 reads a datetime set on an existing document back as a string)
    # GIVEN a sign-in that stored Google's tokens
    callback = callback_event(code="provider-code-g", state=start_sign_in(fake_idp)["state"])
    back = location_query(authorization_app.lambda_handler(callback, FakeLambdaContext()))
    assert back["code"]
    record = db.collection(google_tokens.COLLECTION).find_one({"_id": ADA})
    assert record is not None
    secrets = [
        "provider-access-token",
        "provider-refresh-token",
        record["access_token"],
        record["refresh_token"],
        *app_settings["TOKEN_ENCRYPTION_KEYS"].split(":"),
    ]
    due = {"$set": {"access_expires_at": db.now()}}
    # AND a refresh (Google rotating the refresh token), a forced one, a 5xx, an invalid_grant
    fake_idp.token_answer |= {
        "access_token": "ya29.refreshed-0123456789",
        "refresh_token": "1//rotated-0123456789",
    }
    db.collection(google_tokens.COLLECTION).update_one({"_id": ADA}, due)
    assert google_tokens.access_token_for(ADA) == "ya29.refreshed-0123456789"
    fake_idp.token_answer |= {"access_token": "ya29.forced-0123456789"}
    assert google_tokens.after_unauthorized(ADA, "ya29.refreshed-0123456789") == "ya29.forced-0123456789"
    secrets += ["ya29.refreshed-0123456789", "1//rotated-0123456789", "ya29.forced-0123456789"]
    record = db.collection(google_tokens.COLLECTION).find_one({"_id": ADA})
    assert record is not None
    secrets += [record["access_token"], record["refresh_token"]]
    db.collection(google_tokens.COLLECTION).update_one({"_id": ADA}, due)
    fake_idp.token_failure = (503, {"error": "backend_error"})
    with pytest.raises(ServiceUnavailable):
        google_tokens.access_token_for(ADA)
    # AND a revocation at Google, then a new grant that Google refuses
    assert google_tokens.revoke_at_google(ADA) == "revoked"
    assert fake_idp.revoke_forms == [{"token": "1//rotated-0123456789"}]
    fake_idp.token_failure = None
    fake_idp.token_answer |= {"access_token": "ya29.last-0123456789", "refresh_token": "1//last-0123456789"}
    callback = callback_event(code="provider-code-h", state=start_sign_in(fake_idp)["state"])
    authorization_app.lambda_handler(callback, FakeLambdaContext())
    secrets += ["ya29.last-0123456789", "1//last-0123456789"]
    db.collection(google_tokens.COLLECTION).update_one({"_id": ADA}, due)
    fake_idp.token_failure = (400, {"error": "invalid_grant"})
    with pytest.raises(InvalidToken):
        google_tokens.access_token_for(ADA)
    # THEN the logs tell the story and hold no Google token, ciphertext or key
    logged = everything_logged()
    for expected in ("Google grant refreshed", "provider failed", "Google grant unusable"):
        assert expected in logged, f"nothing logged about {expected!r}"
    leaked = pieces_found(secrets, logged)
    assert not leaked, f"{len(leaked)} secrets in the logs, e.g. {sorted(leaked)[0][:8]}..."


PIECE = 12  # characters: a token's prefix and 8 of its random characters, far too many to be chance


def pieces_found(secrets: list[str], text: str) -> set[str]:
    """The secrets of which the text holds any piece of ``PIECE`` characters (or the whole, if shorter)."""
    owner = {}
    for secret in filter(None, secrets):
        for start in range(max(1, len(secret) - PIECE + 1)):
            owner[secret[start : start + PIECE]] = secret
    found = set()
    for run in re.findall(r"[^\s\"'\\,:{}\[\]]+", text):  # the text cut at JSON and log punctuation
        for start in range(max(1, len(run) - PIECE + 1)):
            if run[start : start + PIECE] in owner:
                found.add(owner[run[start : start + PIECE]])
    return found


def test_the_capture_sees_every_channel(everything_logged):
    # The hygiene test proves nothing if its capture misses a channel: each must show up.
    logger.debug("product-debug-marker")
    logging.getLogger("google.auth.transport.requests").debug("library-debug-marker")
    print("stdout-marker")
    print("stderr-marker", file=sys.stderr)
    logged = everything_logged()
    for marker in ("product-debug-marker", "library-debug-marker", "stdout-marker", "stderr-marker"):
        assert marker in logged


def test_the_quiet_loggers_stay_at_info_under_a_debug_root(everything_logged):
    # GIVEN the root logger at DEBUG (everything_logged puts it there)
    # THEN the loggers that write secrets at DEBUG still drop DEBUG records
    for name in QUIET_LOGGERS:
        logging.getLogger(f"{name}.anything").debug(f"{name}-debug-marker")
        assert logging.getLogger(name).getEffectiveLevel() == logging.INFO
    assert "-debug-marker" not in everything_logged()


def test_the_secret_path_logs_no_piece_of_the_secret(serve_secret, everything_logged, monkeypatch, configure):
    # GIVEN settings from the secret (moto's Secrets Manager behind the extension stand-in, which
    # reads it with boto3 in this process, so botocore logs here too), every logger at DEBUG
    configure(POWERTOOLS_PARAMETERS_MAX_AGE="1")
    monkeypatch.setattr(app_secret, "RETRY_SECONDS", 0)
    secret = {
        "GOOGLE_CLIENT_ID": "hygiene-google-client.apps.example",
        "GOOGLE_CLIENT_SECRET": "hygiene-google-secret-9f8e7d6c5b4a",
        "GPT_CLIENT_ID": "hygiene-gpt-client",
        "GPT_CLIENT_SECRET": "hygiene-gpt-secret-0a1b2c3d4e5f6a7b",
        "MONGODB_URI": "mongomock://hygiene-user:hygiene-db-password-77@localhost",
        "TOKEN_HASH_KEYS": "hygiene:aHlnaWVuZS1oYXNoLWtleS0wMTIzNDU2Nzg5YWJjZGU=",
    }
    served = serve_secret(secret)
    context = FakeLambdaContext()
    access = "gat_" + "H" * 43
    # WHEN the action is answered from the secret's settings
    seed_session_for(access)
    assert action_app.lambda_handler(action_event(access), context)["statusCode"] == 200
    # AND a rotation is read, then a throttled re-read keeps it, then a re-read of a broken secret
    rotated = {**secret, "GPT_CLIENT_SECRET": "hygiene-rotated-secret-1122334455"}
    served.put(rotated)
    time.sleep(1.1)
    assert action_app.lambda_handler(action_event(access), context)["statusCode"] == 200
    served.extension.fault = (400, "ThrottlingException: Rate exceeded")
    time.sleep(1.1)
    assert action_app.lambda_handler(action_event(access), context)["statusCode"] == 200
    served.extension.fault = None
    served.put('{"GPT_CLIENT_SECRET": "hygiene-broken-json-secret-6677",')
    time.sleep(1.1)
    assert action_app.lambda_handler(action_event(access), context)["statusCode"] == 200
    # AND a container whose first read fails: throttled, then a secret that does not exist
    configure()
    served.extension.fault = (400, "ThrottlingException: Rate exceeded")
    assert action_app.lambda_handler(action_event(access), context)["statusCode"] == 503
    served.extension.fault = None
    configure(APP_SECRET_ARN=served.arn[:-6] + "Zz9Zz9")
    assert action_app.lambda_handler(action_event(access), context)["statusCode"] == 500
    # THEN the log says what happened and names the secret, and holds no piece of any value in it
    logged = everything_logged()
    expected_lines = ("secret refresh failed", "settings secret unavailable", "configuration error")
    for expected in (*expected_lines, served.arn):
        assert expected in logged, f"nothing logged about {expected!r}"
    values = [*secret.values(), rotated["GPT_CLIENT_SECRET"], "hygiene-db-password-77", "hygiene-broken-json"]
    leaked = pieces_found([v.removeprefix("mongomock://") for v in values], logged)
    assert not leaked, f"{len(leaked)} secret values in the logs, e.g. {sorted(leaked)[0][:8]}..."
