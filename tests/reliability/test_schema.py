"""schemathesis against the action's schema (``manifest.json``) on the local emulator, with a valid token.

The requests go to the emulator whatever servers ``manifest.json`` names. Both the fuzzing
phase (valid and invalid bodies, as many as the hypothesis profile allows) and the coverage
phase (schemathesis' boundary cases: limits, wrong types, other methods and media types) run;
every answer must be one the schema documents: no 5xx, no status, media type or body outside it.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from localdev.seed import seed_session_for
from tests.support.paths import ROOT
from tests.support.schemas import boundary_cases

SCHEMA = schemathesis.openapi.from_path(ROOT / "manifest.json")
OPERATION = SCHEMA["/"]["POST"]


@pytest.fixture
def bearer() -> dict[str, str]:
    """A valid access token, as the GPT sends it once the user has signed in."""
    token = "gat_" + "S" * 43
    seed_session_for(token)
    return {"Authorization": f"Bearer {token}"}


def call_and_check(case: schemathesis.Case, emulator: str, bearer: dict[str, str]) -> None:
    response = case.call(base_url=f"{emulator}/testEndpoint", headers=bearer)
    case.validate_response(response, headers=bearer)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
@given(data=st.data())
def test_generated_requests_get_documented_answers(mode, data, emulator, bearer):
    call_and_check(data.draw(OPERATION.as_strategy(generation_mode=mode)), emulator, bearer)


def test_boundary_requests_get_documented_answers(emulator, bearer):
    cases = boundary_cases(SCHEMA, OPERATION)
    assert len(cases) > 10, "schemathesis produced almost no boundary cases"
    for case in cases:
        call_and_check(case, emulator, bearer)
