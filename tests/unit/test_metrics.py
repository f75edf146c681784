"""EMF metrics: one line per request that counts something, none otherwise."""

from __future__ import annotations

import json

import pytest

from functions.google_authentication import app as token_app
from functions.test_endpoint import app
from gpt_auth.runtime import metrics
from localdev.seed import seed_session_for
from tests.support.events import load_event, seeded_event
from tests.support.logs import emf_counts


@pytest.fixture(autouse=True)
def _metrics_on(monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    metrics.metrics.clear_metrics()


def test_a_refusal_is_counted_in_one_emf_line(lambda_context, capsys):
    # WHEN the action refuses a request without a token
    response = app.lambda_handler(load_event("test_endpoint_no_token"), lambda_context)
    # THEN one EMF line counts one refusal, in the project's namespace
    assert response["statusCode"] == 401
    out = capsys.readouterr().out
    assert emf_counts(out) == [{metrics.REFUSALS: [1.0]}]
    emf = json.loads(next(line for line in out.splitlines() if '"_aws"' in line))["_aws"]
    assert emf["CloudWatchMetrics"][0]["Namespace"] == "gpt-google-auth"
    assert emf["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]


def test_a_success_prints_no_metric(lambda_context, capsys):
    event = load_event("test_endpoint_valid")
    seed_session_for(event["headers"]["authorization"].removeprefix("Bearer "))
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 200
    assert emf_counts(capsys.readouterr().out) == []


def test_a_server_error_is_counted(lambda_context, capsys, configure):
    configure(GPT_CLIENT_SECRET=None)
    assert app.lambda_handler(load_event("test_endpoint_unknown_token"), lambda_context)["statusCode"] == 500
    assert emf_counts(capsys.readouterr().out) == [{metrics.SERVER_ERRORS: [1.0]}]


def test_disabled_metrics_print_nothing_and_do_not_pile_up(lambda_context, capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    for _ in range(3):
        app.lambda_handler(load_event("test_endpoint_no_token"), lambda_context)
    assert emf_counts(capsys.readouterr().out) == []
    assert not metrics.metrics.metric_set


@pytest.mark.parametrize("name", ["google_authentication_code_post", "google_authentication_refresh"])
def test_a_token_grant_is_counted(name, lambda_context, capsys):
    event = seeded_event(name)
    assert token_app.lambda_handler(event, lambda_context)["statusCode"] == 200
    assert emf_counts(capsys.readouterr().out) == [{metrics.TOKEN_GRANTS: [1.0]}]
