"""Every route against the bad-input table (tests/reliability/cases.py), in-process as payload 2.0 events."""

from __future__ import annotations

import importlib

import pytest

from gpt_auth.oauth import pending
from gpt_auth.runtime import db
from localdev.lambda_env import AUTHORIZATION
from tests.reliability.answers import Answer, check_answer
from tests.reliability.cases import CASES, FUNCTIONS, Case, Live, event_for


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_input_gets_a_clear_4xx(case: Case, lambda_context):
    # GIVEN a live session, code and pending sign-in for the placeholders of the request
    live = Live.make()
    handler = importlib.import_module(FUNCTIONS[case.function]).lambda_handler
    # WHEN the function answers the request
    answer = Answer.from_result(handler(event_for(case, live), lambda_context))
    # THEN it is the expected status, with a clear error and nothing hostile reflected
    check_answer(case, answer)


def test_a_refused_sign_in_request_stores_nothing(lambda_context):
    # Every refused authorization request leaves only the pending sign-in Live.make() seeded.
    refused = [c for c in CASES if c.function == AUTHORIZATION and c.path == "/" and c.status != 302]
    for case in refused:
        live = Live.make()
        handler = importlib.import_module(FUNCTIONS[case.function]).lambda_handler
        before = db.collection(pending.COLLECTION).count_documents({})
        handler(event_for(case, live), lambda_context)
        assert db.collection(pending.COLLECTION).count_documents({}) == before, case.id
