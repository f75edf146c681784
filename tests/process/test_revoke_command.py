"""``make revoke`` against a real wire-protocol server (nx-27017)."""

from __future__ import annotations

import pytest

from gpt_auth.oauth import sessions
from localdev import revoke
from tests.support import identity
from tests.support.identity import LIFETIMES
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


@pytest.mark.nx
@pytest.mark.parametrize("named_by", ["email", "sub", "user id"])
def test_make_revoke_names_a_user_by_email_sub_or_user_id(nx_server, monkeypatch, capsys, named_by):
    from localdev import revoke

    # GIVEN a store on a wire-protocol server, and Ada signed in at Google with a verified e-mail
    monkeypatch.setenv("MONGODB_URI", nx_server.uri)
    monkeypatch.setenv("MONGODB_DATABASE", f"revoke_by_{named_by.replace(' ', '_')}")
    ada = identity.sign_in("108234567890", email="ada@example.com", email_verified=True)
    issued = sessions.create_session(user_id=ada, client_id="gpt-client", scope="", lifetimes=LIFETIMES)
    who = {"email": "ada@example.com", "sub": "108234567890", "user id": ada}[named_by]
    # WHEN the operator runs `make revoke USER=<who>`
    assert revoke.main(["--user", who]) == 0
    # THEN her session is gone and the command names her user id
    assert ada in capsys.readouterr().out
    assert sessions.session_for_access_token(issued.access_token) is None
