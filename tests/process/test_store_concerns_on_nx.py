"""Read and write concerns on a real server: a MONGODB_URI asking for secondary reads and w=1
changes neither for codes, sessions and Google grants, and still applies to other collections."""

from __future__ import annotations

import pytest
from pymongo import ReadPreference, WriteConcern

from gpt_auth.google import google_tokens
from gpt_auth.oauth import codes, sessions, users
from gpt_auth.runtime import db, settings
from localdev.samples import SAMPLE_SETTINGS

CLIENT_ID = SAMPLE_SETTINGS["GPT_CLIENT_ID"]


@pytest.mark.nx
def test_codes_and_sessions_keep_their_concerns_whatever_the_uri_asks(nx_server, configure):
    # GIVEN a MONGODB_URI that asks for secondary reads and unacknowledged-ish writes
    configure(
        MONGODB_URI=f"{nx_server.uri}&readPreference=secondaryPreferred&w=1", MONGODB_DATABASE="concerns"
    )
    # THEN codes and sessions still read the primary and write majority, and work
    for name in (sessions.COLLECTION, codes.COLLECTION):
        assert db.collection(name).read_preference == ReadPreference.PRIMARY
        assert db.collection(name).write_concern == WriteConcern("majority")
    lifetimes = sessions.Lifetimes.from_settings(settings.get_settings())
    issued = sessions.create_session(user_id="u", client_id=CLIENT_ID, scope="", lifetimes=lifetimes)
    assert sessions.rotate_refresh_token(issued.refresh_token, client_id=CLIENT_ID, lifetimes=lifetimes)
    code = codes.issue_code(
        client_id=CLIENT_ID, redirect_uri="https://chatgpt.com/aip/g-1/oauth/callback", user_id="u", scope=""
    )
    assert codes.redeem_code(code) is not None
    # AND other collections keep what the URI says
    assert db.collection(users.COLLECTION).read_preference == ReadPreference.SECONDARY_PREFERRED


@pytest.mark.nx
def test_google_grants_keep_their_concerns_whatever_the_uri_asks(nx_server, configure):
    configure(MONGODB_URI=f"{nx_server.uri}&readPreference=secondaryPreferred&w=1", MONGODB_DATABASE="grants")
    coll = db.collection(google_tokens.COLLECTION)
    assert coll.read_preference == ReadPreference.PRIMARY
    assert coll.write_concern == WriteConcern("majority")
    assert (
        db.collection(users.COLLECTION).read_preference == ReadPreference.SECONDARY_PREFERRED
    )  # the URI is read
