"""Races on nx-27017: one Google grant refreshed by eight containers at once.

Each thread plays a container answering an action at the same moment with the same due access
token; Google's token endpoint is stubbed (``responses``) and answers slowly enough that every
container has read the grant before any stores a refresh, so all eight refresh and race to store.
Only the store's conditional update (compare-and-set on ``version``) keeps them apart.
"""

from __future__ import annotations

import itertools
import json
import threading
import time

import pytest
import responses

from gpt_auth.google import google_tokens
from gpt_auth.oauth import sessions
from gpt_auth.runtime import db
from gpt_auth.runtime.errors import InvalidToken
from tests.support.concurrency import CONTAINERS, at_once
from tests.support.grants import due_grant, session_of

pytestmark = pytest.mark.nx

TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_LATENCY = 1.0  # seconds: longer than eight threads take to read the grant, on a loaded machine too
ROUNDS = 5
USER = "user-1"


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_refreshes_all_answer_and_the_store_keeps_one(nx_store, http_mock, round_):
    # GIVEN a due grant, and Google issuing a new access token per refresh
    due_grant(USER)  # inserted fresh: see the module doc
    counter = itertools.count()
    issued: list[str] = []
    lock = threading.Lock()

    def google(request):
        time.sleep(GOOGLE_LATENCY)
        with lock:
            token = f"ya29.new-{next(counter)}"
            issued.append(token)
        return 200, {}, json.dumps({"access_token": token, "expires_in": 3599})

    http_mock.add_callback(responses.POST, TOKEN_URL, callback=google)
    # WHEN eight containers ask for the token at once
    answers = at_once(lambda: google_tokens.access_token_for(USER))
    # THEN every one answered with a token Google issued (none failed, none got the old one)
    assert len(answers) == CONTAINERS and set(answers) <= set(issued)
    # AND exactly one refresh was stored: the version moved by one, and it holds one of them
    record = db.collection(google_tokens.COLLECTION).find_one({"_id": USER})
    assert record is not None and record["version"] == 2
    grant = google_tokens.load(USER)
    assert grant is not None and grant.access_token in issued and grant.refresh_token == "1//r"


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_refreshes_google_refuses_all_sign_the_user_out_cleanly(nx_store, http_mock, round_):
    # GIVEN a due grant the person removed at Google, and their session with us
    due_grant(USER)  # inserted fresh: see the module doc
    session = session_of(USER)

    def refused(request):
        time.sleep(GOOGLE_LATENCY / 3)
        return 400, {}, json.dumps({"error": "invalid_grant"})

    http_mock.add_callback(responses.POST, TOKEN_URL, callback=refused)

    def action() -> str:
        try:
            google_tokens.access_token_for(USER)
        except InvalidToken as exc:
            return exc.code
        return "answered"

    # WHEN eight containers meet the refusal at once
    answers = at_once(action)
    # THEN each answers 401 invalid_token, the grant is gone and the session revoked
    assert answers == ["invalid_token"] * CONTAINERS
    assert db.collection(google_tokens.COLLECTION).find_one({"_id": USER}) is None
    assert sessions.session_for_access_token(session) is None
