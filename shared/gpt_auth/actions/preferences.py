"""``savePreferences`` and ``getPreferences``: what the user asked the GPT to remember, per user.

One document per user in ``preferences`` (``_id`` = the user id), holding only the fields saved.
A save is a merge (JSON Merge Patch, RFC 7396): a field sent replaces the stored one, a field sent
as ``null`` is forgotten, a field left out stays as it was; the answer is what is stored after it.
Whoever holds a live access token of the user reads and changes them (docs/reference.md).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from gpt_auth.actions.declaration import NOT_BLANK, Action, Call, Reply, pattern, whole
from gpt_auth.runtime import db

MAX_BODY_BYTES = 4096
MAX_TOPICS = 20
MAX_TOPIC_CHARS = 50
MAX_NOTES_CHARS = 1000
LANGUAGE = pattern(whole("[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*"), "it must be a BCP 47 tag such as fr-CA")
FORGET = "null forgets it"

# strict: a save answered must be what the next read sees, and an erasure must survive a failover.
COLLECTION = db.Stored(
    "preferences",
    about="What you asked the GPT to remember",
    holds=(
        "the tone, language, topics and notes you asked it to keep, with your id, not encrypted. "
        "Kept until you change or erase them."
    ),
    strict=True,
    user_field="_id",
)

Tone = Literal["formal", "casual", "neutral"]
Topic = Annotated[str, Meta(min_length=1, max_length=MAX_TOPIC_CHARS, pattern=NOT_BLANK)]


class Preferences(msgspec.Struct, forbid_unknown_fields=True):
    tone: Annotated[Tone, Meta(description=f"How to write to the user; {FORGET}.")] | UnsetType | None = UNSET
    language: (
        Annotated[str, Meta(pattern=LANGUAGE, description=f"e.g. fr-CA; {FORGET}.")] | UnsetType | None
    ) = UNSET
    topics: (
        Annotated[list[Topic], Meta(max_length=MAX_TOPICS, description=f"Interests; {FORGET}.")]
        | UnsetType
        | None
    ) = UNSET
    notes: (
        Annotated[str, Meta(max_length=MAX_NOTES_CHARS, description=f"Anything else; {FORGET}.")]
        | UnsetType
        | None
    ) = UNSET


FIELDS = tuple(Preferences.__struct_fields__)


def stored(user_id: str) -> dict[str, Any]:
    """The preferences stored for ``user_id``; empty when none are."""
    found = db.collection(COLLECTION, read_only=True).find_one({"_id": user_id})
    return _fields_of(found)


def merge(user_id: str, sent: Preferences) -> dict[str, Any]:
    """Merge ``sent`` into what is stored for ``user_id``; returns what is stored after it."""
    from pymongo import ReturnDocument

    given = {name: getattr(sent, name) for name in FIELDS if getattr(sent, name) is not UNSET}
    update: dict[str, Any] = {}
    if kept := {name: value for name, value in given.items() if value is not None}:
        update["$set"] = kept
    if forgotten := {name: "" for name, value in given.items() if value is None}:
        update["$unset"] = forgotten
    if not update:
        return stored(user_id)
    found = db.collection(COLLECTION).find_one_and_update(
        {"_id": user_id}, update, upsert=bool(kept), return_document=ReturnDocument.AFTER
    )
    return _fields_of(found)


def _fields_of(document: dict[str, Any] | None) -> dict[str, Any]:
    return {name: document[name] for name in FIELDS if document and name in document}


def save(call: Call) -> Reply:
    return Reply.of(merge(call.user_id, call.body))


def get(call: Call) -> Reply:
    return Reply.of(stored(call.user_id))


SAVE = Action(
    operation_id="savePreferences",
    method="PUT",
    path="/preferences",
    summary="Remember the user's preferences",
    description=(
        "Stores any of tone, language, topics and notes for the signed-in user: fields sent replace "
        "the stored ones, null forgets one, others stay. Answers everything now stored."
    ),
    instruction=(
        "When the user states a lasting preference (tone, language, topics, notes), save just that "
        "with `savePreferences`."
    ),
    run=save,
    returns=Preferences,
    statuses={400: "A field breaks its rule or is not one of the four: the answer names it."},
    body=Preferences,
    max_body_bytes=MAX_BODY_BYTES,
)

GET = Action(
    operation_id="getPreferences",
    method="GET",
    path="/preferences",
    summary="Read the user's saved preferences",
    description="What the signed-in user asked to be remembered; {} when nothing is.",
    instruction="At a conversation's start, call `getPreferences` and follow what it holds.",
    run=get,
    returns=Preferences,
)
