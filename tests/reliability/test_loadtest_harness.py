"""The parts of localdev/loadtest.py, on the in-process emulator: `make loadtest` must be able to fail."""

from __future__ import annotations

import argparse

import pytest

from gpt_auth.oauth import sessions
from gpt_auth.oauth.tokens import mint_refresh_token, new_family_tag
from localdev import loadtest
from localdev.doc_block import markers, write_block
from localdev.loadtest import Run, Sample


@pytest.fixture
def load_client(configure):
    """The handlers configured with the load test's GPT client, as its make dev server is."""
    configure(
        GPT_CLIENT_ID=loadtest.CLIENT_ID,
        GPT_CLIENT_SECRET=loadtest.CLIENT_SECRET,
        REFRESH_ROTATIONS_PER_HOUR=str(loadtest.ROTATIONS_PER_HOUR),
    )


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
    forked.refresh_token = mint_refresh_token(new_family_tag())  # a rotation the store never saw
    problems = loadtest.audit(emulator, [kept, lost, forked])
    assert problems == [
        "lost: the session is gone or revoked",
        "forked: its newest refresh token was refused (400)",
    ]


def test_the_audit_checks_that_a_retired_token_revokes(emulator, load_client, monkeypatch):
    # GIVEN a user who rotated 150 times (more than the 100 hashes a family used to keep)
    user = loadtest.sign_in(emulator, "ada")
    run = Run(requests_cap=150, duration=60)
    loadtest.drive(emulator, user, run, refresh_share=1.0, seed=0)
    assert len(user.issued_refresh_tokens) == 151
    # WHEN the audit runs with theft detection intact THEN the session passes, and ends revoked
    assert loadtest.audit(emulator, [user]) == []
    assert sessions.session_for_access_token(user.access_token) is None
    # AND with theft detection switched off, the audit names the session
    other = loadtest.sign_in(emulator, "bob")
    loadtest.drive(emulator, other, Run(requests_cap=3, duration=60), refresh_share=1.0, seed=1)
    monkeypatch.setattr(sessions, "_revoke_if_retired", lambda *args: False)
    assert loadtest.audit(emulator, [other]) == [
        "bob: its first refresh token, retired, did not revoke the family"
    ]


def test_the_doc_table_carries_the_run_and_its_audit():
    # GIVEN a run of 3 action calls (one failed) and 1 refresh, with one session lost
    run = Run(requests_cap=10, duration=60)
    for status in (200, 200, 503):
        run.record(Sample("action", status, 0.010))
    run.record(Sample("refresh", 200, 0.004))
    args = argparse.Namespace(users=2, duration=60.0, requests=50_000, refresh_share=0.25)
    # WHEN it is rendered for docs/performance.md
    table = loadtest.doc_table(run, elapsed=2.0, args=args, problems=["bob: gone"], rotations=1)
    # THEN the table rows, the run's settings and the audit are what the run measured
    assert "| action | 3 | 1 | 10.0 ms | 10.0 ms |" in table
    assert "| refresh | 1 | 0 | 4.0 ms | 4.0 ms |" in table
    assert "| all | 4 (2/s) | 1 |" in table
    assert table.startswith("Last run: 2 users for 2 s (at most 60 s and 50,000 requests), 75% action")
    assert "Sessions: 1 of 2 lost; 1 refresh-token rotations." in table


def test_a_run_writes_only_the_loadtest_block(tmp_path):
    # GIVEN a document with a bench block and a stale loadtest block, between hand-written text
    bench_begin, bench_end = markers("bench")
    begin, end = markers(loadtest.DOC_BLOCK)
    head = f"# Performance\n\n{bench_begin}\n\n| bench | table |\n\n{bench_end}\n\nBetween.\n\n"
    tail = "\n\nAfter the load test.\n"
    doc = tmp_path / "performance.md"
    doc.write_text(f"{head}{begin}\n\n| stale | table |\n\n{end}{tail}")
    # WHEN make loadtest runs, briefly, against it
    status = loadtest.main(["--users", "2", "--duration", "1", "--requests", "20", "--doc", str(doc)])
    # THEN its block holds this run's table and everything else is byte for byte as it was
    text = doc.read_text()
    assert status == 0
    assert text.startswith(f"{head}{begin}\n\nLast run: 2 users for ") and text.endswith(f"\n\n{end}{tail}")
    block = text.removeprefix(head).removesuffix(tail)
    assert "| stale | table |" not in block
    assert "| all | 20 (" in block and "Sessions: 0 of 2 lost;" in block


def test_a_document_without_the_loadtest_block_is_left_alone(tmp_path):
    bench_begin, bench_end = markers("bench")
    doc = tmp_path / "performance.md"
    doc.write_text(f"{bench_begin}\n{bench_end}\n")
    with pytest.raises(SystemExit, match="loadtest:begin"):
        write_block(doc, loadtest.DOC_BLOCK, "| new | table |")
    assert doc.read_text() == f"{bench_begin}\n{bench_end}\n"
