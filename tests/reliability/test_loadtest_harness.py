"""The parts of localdev/loadtest.py, on the in-process emulator: `make loadtest` must be able to fail."""

from __future__ import annotations

import pytest

from gpt_auth import sessions, settings
from localdev import loadtest
from localdev.loadtest import Run, Sample


@pytest.fixture
def load_client(monkeypatch):
    """The handlers configured with the load test's GPT client, as its make dev server is."""
    monkeypatch.setenv("GPT_CLIENT_ID", loadtest.CLIENT_ID)
    monkeypatch.setenv("GPT_CLIENT_SECRET", loadtest.CLIENT_SECRET)
    settings.reset()


def test_percentiles_and_the_error_count():
    run = Run(requests_cap=10, duration=60)
    for millis in range(1, 101):
        run.record(Sample("action", 200, millis / 1000))
    run.record(Sample("refresh", 0, 5.0))
    table, errors = loadtest.report(run, elapsed=2.0, users=3)
    assert errors == 1
    action = next(line for line in table.splitlines() if line.startswith("action"))
    assert action.split() == ["action", "100", "0", "50.5", "99.0"]
    assert "101 requests from 3 users in 2.0 s: 50 requests/s" in table


def test_a_short_run_is_bounded_and_every_session_audits(emulator, load_client):
    # GIVEN two users signed in through the emulator's token URL
    users = [loadtest.sign_in(emulator, name) for name in ("ada", "bob")]
    # WHEN they share a budget of 40 requests, half of them refreshes
    run = Run(requests_cap=40, duration=30)
    for index, user in enumerate(users):
        loadtest.drive(emulator, user, run, refresh_share=0.5, seed=index)
    # THEN exactly 40 requests ran, all answered 200, and both sessions pass the audit
    assert len(run.samples) == 40 and {sample.status for sample in run.samples} == {200}
    assert sum(len(user.issued_refresh_tokens) - 1 for user in users) == sum(
        sample.kind == "refresh" for sample in run.samples
    )
    assert loadtest.audit(emulator, users) == []


def test_the_audit_names_a_lost_session(emulator, load_client):
    kept, lost, forked = (loadtest.sign_in(emulator, name) for name in ("kept", "lost", "forked"))
    sessions.revoke({"user_id": "lost"})
    forked.issued_refresh_tokens.append("grt_" + "X" * 43)  # a rotation the store never saw
    problems = loadtest.audit(emulator, [kept, lost, forked])
    assert problems == [
        "lost: the session is gone or revoked",
        "forked: the refresh tokens stored differ from those issued, in order",
    ]
