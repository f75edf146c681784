"""deleteMyData over HTTP as make dev runs it: a real sign-in at the Google stand-in, a save, the
erasure, then every collection of the store scanned for the user's id, e-mail and name."""

from __future__ import annotations

import json

import requests

from gpt_auth.actions import my_data, preferences
from gpt_auth.oauth import users
from gpt_auth.runtime import db, settings
from tests.integration.chatgpt import ChatGpt

TIMEOUT = 10


def act(chatgpt: ChatGpt, action, token: str, body: object = None) -> requests.Response:
    url = chatgpt.urls.test_endpoint.rstrip("/") + action.path
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(action.method, url, json=body, headers=headers, timeout=TIMEOUT)


def store_text() -> str:
    database = db.collection(users.COLLECTION, read_only=True).database
    return json.dumps(
        {name: list(database[name].find()) for name in database.list_collection_names()}, default=str
    )


def test_after_erasure_no_collection_holds_the_users_id_email_or_name(chatgpt: ChatGpt):
    # GIVEN Ada signed in twice at the stand-in (verified e-mail, a name), and her preferences saved
    token = chatgpt.access_token_for("ada@example.com")
    other = chatgpt.access_token_for("ada@example.com")
    saved = act(chatgpt, preferences.SAVE, token, {"language": "en-GB", "topics": ["engines"]})
    assert saved.status_code == 200, saved.text
    ada = users.user_id(settings.get_settings().oidc_issuer or "", "ada@example.com")
    traces = (ada, "ada@example.com", "Ada Lovelace")
    assert all(trace in store_text() for trace in traces), (
        "Ada is not in the store: the check would prove nothing"
    )
    # WHEN she erases her data
    erased = act(chatgpt, my_data.ACTION, token)
    # THEN it answers what was erased (the stand-in has no revocation endpoint: Google was not told)
    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "erased": {"sessions": 2, "authorization_codes": 2, "users": 1, "google_grants": 1, "preferences": 1},
        "google_access": "not_revoked",
    }
    # AND nothing in any collection names her, and both tokens now answer 401
    text = store_text()
    assert [trace for trace in traces if trace in text] == []
    for each in (token, other):
        assert act(chatgpt, preferences.GET, each).status_code == 401
