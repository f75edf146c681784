"""The simulator's forms and answers, read from declarations: fields, typed bodies, continuations."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import msgspec

from gpt_auth.actions import hello, upcoming_events
from gpt_auth.actions.declaration import Action, Call, Reply
from localdev.action_forms import CELL_CHARS, Continuation, answer_of, form_of, refusal_of, submission_of


class Query(msgspec.Struct):
    cursor: Annotated[str, msgspec.Meta(description="Where to start.")] | msgspec.UnsetType = msgspec.UNSET


class Body(msgspec.Struct):
    size: Annotated[int, msgspec.Meta(ge=1, le=9)]
    ratio: float | msgspec.UnsetType = msgspec.UNSET
    kind: Literal["a", "b"] | msgspec.UnsetType = msgspec.UNSET
    sizes: list[int] | msgspec.UnsetType = msgspec.UNSET
    extra: dict[str, int] | msgspec.UnsetType = msgspec.UNSET
    csrf: str | msgspec.UnsetType = msgspec.UNSET  # a field named like the page's own
    note: Annotated[str, msgspec.Meta(max_length=5)] | msgspec.UnsetType | None = msgspec.UNSET


class Item(msgspec.Struct):
    title: str
    notes: str | None


class Answer(msgspec.Struct):
    items: list[Item]
    more: str | None
    done: bool


def unused(call: Call) -> Reply:
    raise AssertionError("the form never runs the action")


ACTION = Action(
    operation_id="formTest",
    method="PATCH",
    path="/form-test",
    summary="s",
    description="d",
    instruction="i",
    run=unused,
    returns=Answer,
    query=Query,
    body=Body,
)


def test_fields_come_from_the_declared_query_and_body():
    form = form_of(ACTION)
    shown = {f.name: (f.part, f.input, f.widget, f.required) for f in form.fields}
    assert shown == {
        "cursor": ("query", "cursor", "text", False),
        "size": ("body", "size", "number", True),
        "ratio": ("body", "ratio", "number", False),
        "kind": ("body", "kind", "select", False),
        "sizes": ("body", "sizes", "list", False),
        "extra": ("body", "extra", "json", False),
        "csrf": ("body", "body.csrf", "text", False),  # never taken for the page's CSRF token
        "note": ("body", "note", "text", False),
    }
    assert [f.name for f in form.fields if f.nullable] == ["note"]
    size = next(f for f in form.fields if f.name == "size")
    assert (size.minimum, size.maximum, size.rule) == (1, 9, "must be a whole number from 1 to 9")


def test_a_submission_is_typed_by_the_schema_and_leaves_empty_optional_fields_out():
    sent = submission_of(
        form_of(ACTION),
        {
            "cursor": [""],
            "size": [" 4 "],
            "ratio": ["2.5"],
            "kind": [""],
            "sizes": ["1\n 2 \n\nx"],
            "extra": ['{"k": 1}'],
            "body.csrf": ["c"],
        },
    )
    assert sent.query == []
    assert sent.body == {"size": 4, "ratio": 2.5, "sizes": [1, 2, "x"], "extra": {"k": 1}, "csrf": "c"}


def test_what_is_not_of_the_declared_type_is_sent_as_typed_for_the_action_to_refuse():
    sent = submission_of(form_of(ACTION), {"size": ["4.0"], "extra": ["{not json"]})
    assert sent.body == {"size": "4.0", "extra": "{not json"}
    assert submission_of(form_of(ACTION), {}).body == {"size": ""}  # required: sent empty


def test_the_continuation_is_the_query_parameter_whose_description_names_an_answer_field():
    assert form_of(upcoming_events.ACTION).continuation == Continuation("page", "next_page")
    assert form_of(hello.ACTION).continuation is None
    assert form_of(ACTION).continuation is None  # "Where to start." names no field of the answer


def test_a_json_answer_is_summarized_with_lists_counted_and_long_values_shortened():
    form = form_of(upcoming_events.ACTION)
    text = json.dumps(
        {
            "events": [{"summary": "s" * 100, "start": "2026-01-01", "end": None, "link": None}],
            "truncated": False,
            "next_page": "abc",
        }
    )
    answer = answer_of(form, text, "application/json; charset=utf-8", page_number=2)
    assert answer.ok and answer.counts == ["1 events"] and answer.continuation == "abc"
    assert answer.flags == ["truncated: no", "next_page: yes"]
    (table,) = answer.tables
    assert table.columns[:4] == ["summary", "start", "end", "link"]
    assert table.rows[0][0] == "s" * CELL_CHARS + "… (100 chars)" and table.rows[0][2] == ""
    assert answer.headline == f"{form.operation_id} answered 1 events in {len(text):,} characters."


def test_a_refusal_states_the_action_s_reason_and_its_declared_meaning():
    form = form_of(hello.ACTION)
    body = json.dumps({"error": "invalid_request", "error_description": "'name' must be a string."})
    refused = refusal_of(form, 400, body, {})
    assert not refused.ok
    assert refused.headline == f"{form.operation_id} answered 400: invalid_request: 'name' must be a string."
    assert refused.meaning == hello.ACTION.statuses[400]
    unavailable = refusal_of(form, 503, '{"error": "temporarily_unavailable"}', {"Retry-After": "5"})
    assert unavailable.reason == "temporarily_unavailable (Retry-After: 5 s)"
    token = refusal_of(form, 401, "", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    assert token.headline.startswith("The action refused the access token (401)")
    assert token.reason == 'Bearer error="invalid_token"'


def test_a_nullable_body_field_ticked_null_is_sent_as_null():
    form = form_of(ACTION)
    sent = submission_of(form, {"size": ["1"], "note": ["kept?"], "null": ["note", "size", "cursor"]})
    # only a field the schema lets be null is sent as null; the rest are sent as typed
    assert sent.body == {"size": 1, "note": None}
    assert sent.query == [] and sent.values["null"] == ["note", "size", "cursor"]
