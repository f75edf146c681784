"""An action's input is checked against its declaration: a 400 names the field and the schema's rule."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Annotated, Literal

import msgspec
import pytest

from gpt_auth.actions import hello, upcoming_events
from gpt_auth.actions.catalog import ACTIONS
from gpt_auth.actions.declaration import PATTERN_RULES
from gpt_auth.actions.inputs import body_of, json_schema, query_of
from gpt_auth.runtime.errors import BadRequest

EventsQuery = upcoming_events.EventsQuery


def refused(check, *args) -> str:
    with pytest.raises(BadRequest) as caught:
        check(*args)
    assert caught.value.status == 400
    return caught.value.description


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"name": ""}, "'name' must be a string of 1 to 200 characters; it must not be empty or blank."),
        ({"name": " \t\n"}, "'name' must be a string of 1 to 200 characters; it must not be empty or blank."),
        ({"name": "a" * 201}, "'name' must be a string of 1 to 200 characters"),
        ({"name": None}, "'name' must be a string"),
        ({}, "'name' is required: it must be a string of 1 to 200 characters"),
        ("Ada", "The body must be a JSON object with the fields: name (required)."),
        ([], "The body must be a JSON object"),
    ],
)
def test_body_refusals_name_the_field_and_the_declared_rule(data, words):
    assert words in refused(body_of, hello.HelloRequest, data)


def test_other_fields_of_a_greeting_are_ignored_as_its_schema_allows():
    assert body_of(hello.HelloRequest, {"name": "Ada", "tone": "x"}).name == "Ada"


@pytest.mark.parametrize(
    ("raw", "days"), [({}, 7), ({"days": "1"}, 1), ({"days": "31"}, 31), ({"days": "07"}, 7)]
)
def test_days_are_ascii_digits_within_the_declared_range(raw, days):
    assert query_of(EventsQuery, raw).days == days


@pytest.mark.parametrize("raw", ["0", "32", "-1", "7.0", "+7", "seven", " 7", "100", "", "٣", "9" * 20])
def test_bad_days_is_a_400_stating_the_range(raw):
    assert refused(query_of, EventsQuery, {"days": raw}) == "'days' must be a whole number from 1 to 31."


def test_the_first_declared_field_at_fault_is_named():
    assert refused(query_of, EventsQuery, {"page": "x\n", "days": "99"}).startswith("'days'")


@pytest.mark.parametrize("page", ["", "abc\n", "ab=c", "A" * 1025])
def test_a_page_outside_the_declared_pattern_names_its_rule(page):
    description = refused(query_of, EventsQuery, {"page": page})
    assert description.startswith("'page' must be a string")
    assert "next_page value of a previous answer, unchanged" in description


def test_unknown_query_parameters_are_ignored_as_openapi_allows():
    assert query_of(EventsQuery, {"utm_source": "x"}).days == 7


# --- the rule the schema states is the rule the code applies ------------------------------------


def declared_patterns() -> list[str]:
    found = []

    def walk(schema):
        if isinstance(schema, dict):
            if isinstance(schema.get("pattern"), str):
                found.append(schema["pattern"])
            for value in schema.values():
                walk(value)
        elif isinstance(schema, list):
            for value in schema:
                walk(value)

    for action in ACTIONS:
        for kind in (action.query, action.body):
            if kind is not None:
                walk(json_schema(kind))
    return sorted(set(found))


EDGES = ["fr", "fr\n", "\nfr", "fr-CA", " ", "\t", "\x1c", "\u00a0", "\u3000", "a\nb", "", "A" * 30, "é"]


@pytest.mark.skipif(
    shutil.which("node") is None, reason="node is not installed (JSON Schema's ECMA-262 regexes)"
)
def test_every_declared_pattern_matches_in_python_exactly_as_in_json_schema():
    # GIVEN every pattern the declarations state, each with a rule in words
    import re

    patterns = declared_patterns()
    assert patterns and all(p in PATTERN_RULES for p in patterns)
    # WHEN ECMA-262 (JSON Schema's regex dialect, as node runs it) and Python judge edge strings
    script = (
        "const [patterns, edges] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(patterns.map(p => edges.map(e => new RegExp(p, 'u').test(e)))));"
    )
    ecma = json.loads(
        subprocess.run(
            ["node", "-e", script],
            input=json.dumps([patterns, EDGES]),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    python = [[re.search(p, e) is not None for e in EDGES] for p in patterns]
    # THEN they agree on every one (a bare $ would let Python take "fr\n")
    assert python == ecma


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    tone: Literal["formal", "casual"] | msgspec.UnsetType = msgspec.UNSET
    topics: Annotated[list[Annotated[str, msgspec.Meta(max_length=5)]], msgspec.Meta(max_length=2)] = []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"mood": 1}, "'mood' is not a field of the body; the fields are: tone, topics."),
        ({"<script>": 1}, "(a value that cannot be shown) is not a field of the body"),
        ({"tone": "loud"}, "'tone' must be one of 'casual', 'formal'."),
        (
            {"topics": ["a", "b", "c"]},
            "'topics' must be a list of at most 2 items; each item must be a string",
        ),
        ({"topics": ["a", "toolong"]}, "'topics[1]' must be a string of at most 5 characters."),
    ],
)
def test_a_struct_that_forbids_other_fields_names_them_and_each_rule(data, words):
    assert words in refused(body_of, Strict, data)
