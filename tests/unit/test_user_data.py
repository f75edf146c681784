"""gpt_auth.user_data names every declared collection once, so the privacy page and deleteMyData
cover a collection as soon as it is declared and listed."""

from __future__ import annotations

import importlib
import pkgutil

import gpt_auth
from gpt_auth import user_data
from gpt_auth.runtime import db


def declared_collections() -> dict[int, db.Stored]:
    """Every ``db.Stored`` at the top level of any module of ``gpt_auth``, by identity."""
    found = {}
    for module_info in pkgutil.walk_packages(gpt_auth.__path__, "gpt_auth."):
        module = importlib.import_module(module_info.name)
        found |= {id(value): value for value in vars(module).values() if isinstance(value, db.Stored)}
    return found


def test_every_declared_collection_is_listed_once():
    listed = user_data.COLLECTIONS
    assert len({stored.name for stored in listed}) == len(listed)
    declared = declared_collections()
    assert len(declared) >= 6, "the walk found almost no declaration: the check would prove nothing"
    assert sorted(stored.name for stored in declared.values()) == sorted(stored.name for stored in listed)
    assert set(declared) == {id(stored) for stored in listed}


def test_every_collection_but_pending_sign_ins_clients_and_their_counts_says_where_a_user_is():
    # a sign-in in progress names nobody until Google answers, a client is an app, not a person,
    # and a registration count keeps a hashed address; every other collection names its user
    unnamed = {stored.name for stored in user_data.COLLECTIONS if stored.user_field is None}
    assert unnamed == {"authorization_requests", "oauth_clients", "registration_counts"}
