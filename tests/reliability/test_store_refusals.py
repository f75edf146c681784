"""The store refusing us (bad credentials or roles, Atlas's quota) answers 503 on every route, not 500.

The refusals come from a wire-protocol responder (``refusing_store``) through real pymongo, so
the exceptions are the ones pymongo raises for MongoDB's and Atlas's replies.
"""

from __future__ import annotations

import json

import pytest

from tests.reliability.flows import store_routes
from tests.reliability.refusing_store import RefusingStore, refusal

WELL_FORMED = {
    "code": "gac_" + "C" * 43,
    "refresh": "grt_" + "F" * 22 + "." + "R" * 43,
    "access": "gat_" + "A" * 43,
}

REFUSALS = {
    "wrong password": ("user:wrong", refusal(18, "AuthenticationFailed", "Authentication failed.")),
    "Atlas bad auth": ("user:wrong", refusal(8000, "AtlasError", "bad auth : authentication failed")),
    "missing role": ("", refusal(13, "Unauthorized", "not authorized on gpt_auth to execute command")),
    "Atlas space quota": (
        "",
        refusal(8000, "AtlasError", "you are over your space quota, using 513 MB of 512 MB"),
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_store_refusal_is_a_503_on_every_route(case, configure, read_logs):
    credentials, reply = REFUSALS[case]
    with RefusingStore(reply) as store:
        # GIVEN a store that refuses us (our credentials, our roles, or its quota)
        configure(MONGODB_URI=store.uri(credentials))
        # WHEN every route that needs the store is called
        answers = {name: call() for name, call in store_routes(WELL_FORMED).items()}
        # THEN the refusal reached pymongo from the server, and every route answers 503
        assert store.commands, "the store was never asked"
    for name, result in answers.items():
        assert result["statusCode"] == 503, (name, result["body"][:300])
        assert "Traceback" not in result["body"]
        if name in ("authorize", "callback"):
            assert "session store refused" in result["body"], name
        else:
            assert json.loads(result["body"])["error"] == "temporarily_unavailable", name
    # AND the log names the server's code, never its message
    refused = [line for line in read_logs() if line["message"] == "database refused the request"]
    assert {line["code"] for line in refused} == {reply["code"]}
    assert {line["code_name"] for line in refused} == {reply["codeName"]}
    assert all(reply["errmsg"] not in json.dumps(line) for line in read_logs())


def test_another_server_error_stays_a_500(configure):
    # GIVEN a store answering an error that is not an outage nor a refusal (a bug of ours: BadValue)
    with RefusingStore(refusal(2, "BadValue", "unknown operator: $nope")) as store:
        configure(MONGODB_URI=store.uri())
        # WHEN the action checks a well-formed token
        result = store_routes(WELL_FORMED)["action"]()
    # THEN it is the internal error it is, not a retry-later
    assert result["statusCode"] == 500
    assert json.loads(result["body"])["error"] == "server_error"
