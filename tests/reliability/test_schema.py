"""schemathesis against the action schema (``manifest.json``) on the local emulator, with a valid token.

Every operation of an action that needs no Google grant is driven here (listUpcomingEvents, which
needs one, in test_schema_events.py); an action added to the catalog is picked up with no change.
The requests go to the emulator whatever servers ``manifest.json`` names. Both the fuzzing phase
(valid and invalid input, as many as the hypothesis profile allows) and the coverage phase
(schemathesis' boundary cases: limits, wrong types, other methods and media types) run; every
answer must be one the schema documents: no 5xx, no status, media type or body outside it.
"""

from __future__ import annotations

import secrets

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from gpt_auth.actions.catalog import ACTIONS
from localdev.seed import seed_session_for
from tests.support.paths import ROOT
from tests.support.schemas import boundary_cases

SCHEMA = schemathesis.openapi.from_path(ROOT / "manifest.json")
# Invalid data may also be too large: the 413 that refuses a body before it is read rejects it too.
SCHEMA.config.checks.negative_data_rejection.expected_statuses.append("413")
PLAIN = [a for a in ACTIONS if not a.google_scopes]
# An action without query or body has no invalid data to generate: it is driven with valid data only.
DRIVEN = [
    pytest.param(action, mode, id=f"{mode}-{action.operation_id}")
    for action in PLAIN
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or action.query is not None or action.body is not None
]


def operation_of(action) -> schemathesis.APIOperation:
    return SCHEMA[action.path][action.method]


def bearer() -> dict[str, str]:
    """A new signed-in session for each call: an action may erase the caller's (deleteMyData)."""
    token = "gat_" + secrets.token_urlsafe(32)
    seed_session_for(token)
    return {"Authorization": f"Bearer {token}"}


def call_and_check(case: schemathesis.Case, emulator: str) -> None:
    headers = bearer()
    response = case.call(base_url=f"{emulator}/testEndpoint", headers=headers)
    case.validate_response(response, headers=headers)


def test_every_operation_is_declared_and_plain_ones_are_driven_here():
    assert {(a.path, a.method) for a in ACTIONS} == {(op.path, op.method.upper()) for op in operations()}
    assert PLAIN, "no action without Google scopes to drive"


def operations() -> list[schemathesis.APIOperation]:
    return [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.mark.parametrize(("action", "mode"), DRIVEN)
@given(data=st.data())
def test_generated_requests_get_documented_answers(action, mode, data, emulator):
    call_and_check(data.draw(operation_of(action).as_strategy(generation_mode=mode)), emulator)


@pytest.mark.parametrize("action", PLAIN, ids=lambda a: a.operation_id)
def test_boundary_requests_get_documented_answers(action, emulator):
    cases = boundary_cases(SCHEMA, operation_of(action))
    assert len(cases) > (10 if action.body or action.query else 0), "schemathesis produced almost no cases"
    for case in cases:
        call_and_check(case, emulator)
