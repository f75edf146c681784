"""``make revoke`` against a real wire-protocol server (nx-27017)."""

from __future__ import annotations

import pytest

from localdev import revoke
from tests.support.revocation import can_call_the_action, sign_in


@pytest.mark.nx
def test_the_command_revokes_on_a_real_server(nx_server, monkeypatch, capsys, lambda_context):
    # GIVEN a store on a wire-protocol server, and Ada signed in
    monkeypatch.setenv("MONGODB_URI", nx_server.uri)
    monkeypatch.setenv("MONGODB_DATABASE", "revoke_command")
    ada = sign_in("sub-ada", "ada@example.com")
    # WHEN the operator runs the command
    assert revoke.main(["--user", "ada@example.com"]) == 0
    # THEN it says what it did, without credentials, and the session is refused
    out = capsys.readouterr().out
    assert "Revoked 1 session(s)" in out and "sub-ada" in out and "127.0.0.1" in out
    assert not can_call_the_action(ada, lambda_context)
    # and an unknown e-mail is an error that says nothing was revoked
    assert revoke.main(["--user", "nobody@example.com"]) == 1
    assert "nothing revoked" in capsys.readouterr().err
