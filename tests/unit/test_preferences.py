"""savePreferences and getPreferences through testEndpoint's handler: the merge, each rule's 400
naming the field, the 413, and one user's preferences out of another's reach."""

from __future__ import annotations

import pytest

from gpt_auth.actions import preferences
from gpt_auth.runtime import db
from tests.support.action_calls import answer, call, refusal, signed_in

SAVE, GET = preferences.SAVE, preferences.GET
ADA, BOB = "https://accounts.google.com#ada", "https://accounts.google.com#bob"


def test_nothing_saved_reads_as_an_empty_object(store, lambda_context):
    assert answer(call(GET, signed_in(ADA), lambda_context)) == {}


def test_a_save_answers_and_stores_what_is_now_stored(store, lambda_context):
    # GIVEN Ada signed in
    token = signed_in(ADA)
    sent = {"tone": "casual", "language": "fr-CA", "topics": ["jazz", "chess"], "notes": "Vegetarian."}
    # WHEN she saves all four fields
    saved = answer(call(SAVE, token, lambda_context, body=sent))
    # THEN the answer, the next read and the store hold them, in one document keyed on her id
    assert saved == sent
    assert answer(call(GET, token, lambda_context)) == sent
    assert list(db.collection(preferences.COLLECTION).find()) == [{"_id": ADA, **sent}]


def test_a_save_merges_fields_left_out_stay_and_null_forgets_one(store, lambda_context):
    token = signed_in(ADA)
    answer(call(SAVE, token, lambda_context, body={"tone": "formal", "topics": ["jazz"], "notes": "n"}))
    # WHEN a later save names one field, and forgets another with null
    merged = answer(call(SAVE, token, lambda_context, body={"topics": ["chess"], "notes": None}))
    # THEN the field left out is kept, the one sent replaced, the null one gone
    assert merged == {"tone": "formal", "topics": ["chess"]}
    assert answer(call(GET, token, lambda_context)) == merged


@pytest.mark.parametrize(
    "body", [{}, {"notes": None}], ids=["empty object", "only forgetting what was never saved"]
)
def test_a_save_that_stores_nothing_writes_no_document(store, lambda_context, body):
    assert answer(call(SAVE, signed_in(ADA), lambda_context, body=body)) == {}
    assert db.collection(preferences.COLLECTION).count_documents({}) == 0


def test_the_limits_themselves_are_accepted(store, lambda_context):
    at_limits = {"topics": ["t" * 50] * 20, "notes": "n" * 1000, "language": "zh-Hant-TW", "tone": "neutral"}
    assert answer(call(SAVE, signed_in(ADA), lambda_context, body=at_limits)) == at_limits


@pytest.mark.parametrize(
    ("body", "named", "rule"),
    [
        ({"tone": "loud"}, "'tone'", "one of 'casual', 'formal', 'neutral'"),
        ({"language": "fr\n"}, "'language'", "BCP 47 tag such as fr-CA"),
        ({"language": "french!"}, "'language'", "BCP 47 tag such as fr-CA"),
        ({"language": 33}, "'language'", "must be a string"),
        ({"topics": ["jazz", " \t "]}, "'topics[1]'", "must not be empty or blank"),
        ({"topics": [""]}, "'topics[0]'", "1 to 50 characters"),
        ({"topics": ["t" * 51]}, "'topics[0]'", "1 to 50 characters"),
        ({"topics": ["t"] * 21}, "'topics'", "at most 20 items"),
        ({"topics": "jazz"}, "'topics'", "must be a list"),
        ({"notes": "n" * 1001}, "'notes'", "at most 1,000 characters"),
        ({"colour": "red"}, "'colour'", "not a field of the body; the fields are: tone, language, topics"),
        (["tone"], "The body", "must be a JSON object"),
    ],
)
def test_each_rule_is_a_400_naming_the_field_and_stores_nothing(store, lambda_context, body, named, rule):
    said = refusal(call(SAVE, signed_in(ADA), lambda_context, body=body), 400)
    assert named in said and rule in said, said
    assert db.collection(preferences.COLLECTION).count_documents({}) == 0


def test_a_body_that_is_not_json_is_a_400(store, lambda_context):
    assert refusal(call(SAVE, signed_in(ADA), lambda_context, raw=b"{tone: formal"), 400)


def test_a_body_over_4_kb_is_a_413_before_it_is_read(store, lambda_context):
    token = signed_in(ADA)
    # a body of exactly 4,096 bytes (a valid one, padded with JSON's whitespace) passes the size check
    small = b'{"notes": "n"}'
    exact = small + b" " * (4096 - len(small))
    assert len(exact) == 4096
    assert call(SAVE, token, lambda_context, raw=exact)["statusCode"] == 200
    # one byte more is refused, even though it is otherwise valid
    said = refusal(call(SAVE, token, lambda_context, raw=exact + b" "), 413)
    assert "4,096 bytes" in said


@pytest.mark.parametrize("action", [SAVE, GET], ids=lambda a: a.operation_id)
def test_without_a_token_nothing_is_read_or_written(store, lambda_context, action):
    response = call(action, None, lambda_context, body={"tone": "formal"} if action.body else None)
    assert response["statusCode"] == 401
    assert db.collection(preferences.COLLECTION).count_documents({}) == 0


def test_each_user_reads_and_changes_only_their_own(store, lambda_context):
    # GIVEN Ada and Bob, each signed in, and Ada's preferences saved
    ada, bob = signed_in(ADA), signed_in(BOB)
    answer(call(SAVE, ada, lambda_context, body={"tone": "formal", "notes": "Ada's"}))
    # THEN Bob reads none of them, and his save and his forgetting leave Ada's as they were
    assert answer(call(GET, bob, lambda_context)) == {}
    bobs = answer(call(SAVE, bob, lambda_context, body={"tone": "casual", "notes": None}))
    assert bobs == {"tone": "casual"}
    assert answer(call(GET, ada, lambda_context)) == {"tone": "formal", "notes": "Ada's"}
    assert answer(call(GET, bob, lambda_context)) == {"tone": "casual"}


def test_the_collection_declares_no_index_and_still_opens(store):
    # GIVEN the collection with only its _id (one document per user): an empty index list
    assert preferences.COLLECTION.indexes == ()
    # WHEN it is opened for writing in a fresh container, THEN that works and creates nothing
    db.reset()
    assert db.ensure_indexes(db.collection(preferences.COLLECTION), preferences.COLLECTION) == []
