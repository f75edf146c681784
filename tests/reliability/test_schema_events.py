"""schemathesis against listUpcomingEvents (``GET /events`` in ``manifest.json``) on the emulator.

The user signed in through the OIDC stand-in with a client registered for Calendar's scope, and
the Calendar API stand-in answers for Google, as under ``make dev``. Generated and boundary
``days``/``page`` values must get answers the schema documents: no 5xx, nothing outside it.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.integration.chatgpt import ChatGpt
from tests.support.paths import ROOT
from tests.support.schemas import boundary_cases

SCHEMA = schemathesis.openapi.from_path(ROOT / "manifest.json")
OPERATION = SCHEMA["/events"]["GET"]


@pytest.fixture
def bearer(calendar_gpt: ChatGpt) -> dict[str, str]:
    """ada@example.com signed in as ChatGPT does, with her Google grant stored."""
    return {"Authorization": f"Bearer {calendar_gpt.access_token_for('ada@example.com')}"}


def call_and_check(case: schemathesis.Case, emulator: str, bearer: dict[str, str]) -> None:
    response = case.call(base_url=f"{emulator}/testEndpoint", headers=bearer)
    # A schema-valid page is not yet a cursor we wrote: its 400 is right, so positive-data
    # acceptance is not checked; every other check is.
    case.validate_response(response, headers=bearer, excluded_checks=[positive_data_acceptance])
    assert response.status_code in (200, 400, 405), response.text  # her grant is good: nothing else


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
@settings(max_examples=30)
@given(data=st.data())
def test_generated_queries_get_documented_answers(mode, data, emulator, bearer):
    call_and_check(data.draw(OPERATION.as_strategy(generation_mode=mode)), emulator, bearer)


def test_boundary_queries_get_documented_answers(emulator, bearer):
    cases = boundary_cases(SCHEMA, OPERATION)
    assert len(cases) > 5, "schemathesis produced almost no boundary cases"
    for case in cases:
        call_and_check(case, emulator, bearer)
