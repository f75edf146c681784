"""manifest.json's listUpcomingEvents: the operation, its parameters as the route checks them."""

from __future__ import annotations

import json

from gpt_auth.actions import upcoming_events
from localdev import manifest as m
from tests.support.paths import ROOT

DEPLOYED = m.ActionUrls(
    authorization="https://aaaa1111.lambda-url.eu-west-1.on.aws/",
    token="https://bbbb2222.lambda-url.eu-west-1.on.aws/",
    action="https://cccc3333.lambda-url.eu-west-1.on.aws/",
)


def operation(manifest: dict) -> dict:
    return manifest["paths"]["/events"]["get"]


def test_list_upcoming_events_is_a_valid_get_with_days_and_page_described():
    manifest = m.build_manifest(DEPLOYED)
    assert m.manifest_problems(manifest, expected=DEPLOYED) == []
    op = operation(manifest)
    assert op["operationId"] == "listUpcomingEvents"
    params = {p["name"]: p for p in op["parameters"]}
    assert set(params) == {"days", "page"}
    assert all(p["in"] == "query" and not p["required"] and p["description"] for p in params.values())
    days = params["days"]["schema"]
    assert (days["minimum"], days["maximum"], days["default"]) == (
        1,
        upcoming_events.MAX_DAYS,
        upcoming_events.DEFAULT_DAYS,
    )
    # the whole string, as JSON Schema reads it: no trailing newline either
    assert (
        params["page"]["schema"]["pattern"]
        == f"^(?:[A-Za-z0-9_-]{{1,{upcoming_events.MAX_CURSOR_CHARS}}})$(?!\\n)"
    )
    assert "next_page" in params["page"]["description"]
    assert set(op["responses"]) == {"200", "400", "401", "403", "503"}


def test_answer_schema_is_the_route_s_shape():
    schema = m.build_manifest(DEPLOYED)["components"]["schemas"]["Events"]
    assert schema["required"] == ["untrusted_text", "events", "truncated", "next_page"]
    event = schema["properties"]["events"]["items"]
    assert set(event["properties"]) == {"summary", "start", "end", "location", "link", "description"}
    # what compact_event always sets is required; what it may leave out is not
    assert set(event["required"]) == set(upcoming_events.compact_event({}))


def test_committed_and_local_manifests_carry_the_operation():
    committed = json.loads((ROOT / "manifest.json").read_text())
    assert operation(committed)["operationId"] == "listUpcomingEvents"
    local = m.build_manifest(m.ActionUrls.local("http://127.0.0.1:3000"))
    assert m.manifest_problems(local, local=True) == []
    assert operation(local)["operationId"] == "listUpcomingEvents"


def test_instructions_say_when_to_call_it_and_to_page_with_next_page():
    instructions = (ROOT / "gpt-instructions.md").read_text()
    assert "listUpcomingEvents" in instructions
    assert "next_page" in instructions and "`page`" in instructions
