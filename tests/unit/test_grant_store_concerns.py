"""Google grants read the primary and write to a majority, as codes and sessions do, whatever the URI says.

A grant is refreshed with a compare-and-set on ``version`` and deleted when Google refuses it: a
secondary that has not seen a new sign-in's grant yet would sign the user out, and a delete
acknowledged by one node only can be rolled back by a failover.
"""

from __future__ import annotations

import pytest
from pymongo import ReadPreference, WriteConcern

from gpt_auth.google import google_tokens
from gpt_auth.runtime import db


@pytest.mark.parametrize("read_only", [False, True])
def test_google_grants_read_the_primary_and_write_majority(store, read_only):
    coll = db.collection(google_tokens.COLLECTION, read_only=read_only)
    assert coll.read_preference == ReadPreference.PRIMARY
    assert coll.write_concern == WriteConcern("majority")
