"""Every collection the product keeps, in one tuple: what each holds about a person, and its erasure.

Each collection is declared (``db.Stored``) in the module that uses it; this names them all, so
the privacy page lists each one and the erase-my-data action erases a user from each. A declared
collection missing here fails tests/unit/test_user_data.py.
"""

from __future__ import annotations

from gpt_auth.actions import preferences
from gpt_auth.google import google_tokens
from gpt_auth.oauth import clients, codes, pending, registration_counts, sessions, users
from gpt_auth.runtime import db

# In the order of erasure: sessions first, so no other request of the user's starts meanwhile,
# and codes next, so a sign-in in flight mints no new session.
COLLECTIONS: tuple[db.Stored, ...] = (
    sessions.COLLECTION,
    codes.COLLECTION,
    users.COLLECTION,
    google_tokens.COLLECTION,
    preferences.COLLECTION,
    pending.COLLECTION,
    clients.COLLECTION,
    registration_counts.COLLECTION,
)


def erase(user_id: str) -> dict[str, int]:
    """Delete every document of ``user_id`` in each collection that names users; the count of each.

    Written to a majority whatever ``MONGODB_URI`` says, so a failover cannot bring one back.
    """
    from pymongo import WriteConcern

    erased = {}
    for stored in COLLECTIONS:
        if stored.user_field is None:
            continue
        coll = db.collection(stored, read_only=True).with_options(write_concern=WriteConcern("majority"))
        erased[stored.name] = coll.delete_many({stored.user_field: user_id}).deleted_count
    return erased
