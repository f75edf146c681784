"""Operator revocation (`make revoke`), on the embedded store and on nx-27017."""

from __future__ import annotations

import pytest

from gpt_auth.oauth import codes, revocation
from localdev import revoke
from tests.support.revocation import ADA, can_call_the_action, can_refresh, sign_in
from tests.support.stores import skip_on_nx


def test_revoking_a_user_by_email_ends_all_their_sessions_only(store, lambda_context):
    # GIVEN Ada with two sessions (two chats) and Bob with one
    ada_1, ada_2 = sign_in("sub-ada", "ada@example.com"), sign_in("sub-ada", "ada@example.com")
    bob = sign_in("sub-bob", "bob@example.com")
    # WHEN the operator revokes Ada by e-mail
    result = revocation.revoke(user_ids=revocation.user_ids_for("ada@example.com"))
    # THEN both of Ada's sessions are refused, at the action and at refresh, and Bob's still work
    assert result.sessions == 2
    assert not can_call_the_action(ada_1, lambda_context)
    assert not can_call_the_action(ada_2, lambda_context)
    assert not can_refresh(ada_1)
    assert can_call_the_action(bob, lambda_context)
    assert can_refresh(bob)


def test_an_email_matches_in_lower_case_too(store):
    sign_in("sub-ada", "ada@example.com")
    assert revocation.user_ids_for("Ada@Example.com") == [ADA]
    assert revocation.user_ids_for("nobody@example.com") == []


def test_revoking_by_sub_works_without_a_user_record(store, lambda_context):
    orphan = sign_in("sub-without-record", None)
    assert revocation.revoke(user_ids=revocation.user_ids_for("sub-without-record")).sessions == 1
    assert not can_call_the_action(orphan, lambda_context)


def test_revoking_a_client_ends_its_sessions_only(store, lambda_context):
    # GIVEN sessions issued to two GPT clients
    first = sign_in("sub-ada", "ada@example.com", client_id="gpt-client")
    other = sign_in("sub-ada", "ada@example.com", client_id="other-gpt")
    # WHEN the first client is revoked
    assert revocation.revoke(client_id="gpt-client").sessions == 1
    # THEN only its session is refused
    assert not can_call_the_action(first, lambda_context)
    assert can_refresh(other, client_id="other-gpt")


def test_a_user_and_a_client_together_narrow_the_revocation(store):
    sign_in("sub-ada", "ada@example.com", client_id="gpt-client")
    keep = sign_in("sub-ada", "ada@example.com", client_id="other-gpt")
    assert revocation.revoke(user_ids=[ADA], client_id="gpt-client").sessions == 1
    assert can_refresh(keep, client_id="other-gpt")


def test_an_unredeemed_code_cannot_mint_a_session_after_revocation(store):
    skip_on_nx(store, "update_many matching $in, a null field and $gt together matches nothing")
    # GIVEN Ada signed in at Google and her code is on its way to the token endpoint
    sign_in("sub-ada", "ada@example.com")
    code = codes.issue_code(
        client_id="gpt-client",
        redirect_uri="https://chatgpt.com/aip/g-1/oauth/callback",
        user_id=ADA,
        scope="",
    )
    # WHEN she is revoked before the code is redeemed
    result = revocation.revoke(user_ids=[ADA])
    # THEN the code is void
    assert result.codes == 1
    assert codes.redeem_code(code) is None


def test_revoking_twice_counts_nothing_the_second_time(store):
    sign_in("sub-ada", "ada@example.com")
    assert revocation.revoke(user_ids=[ADA]).sessions == 1
    assert revocation.revoke(user_ids=[ADA]) == revocation.Revoked(sessions=0, codes=0)


def test_naming_nobody_is_refused(store):
    sign_in("sub-ada", "ada@example.com")
    with pytest.raises(ValueError, match="Name the users or the client"):
        revocation.revoke()
    assert revocation.revoke(user_ids=[]).sessions == 0


# The command. On the embedded store it refuses: another process's in-memory store is out of reach.


def test_the_command_refuses_the_embedded_store(capsys):
    assert revoke.main(["--user", "ada@example.com"]) == 2
    assert "MONGODB_URI is not set" in capsys.readouterr().err


def test_the_command_needs_a_user_or_a_client(capsys):
    with pytest.raises(SystemExit) as stopped:
        revoke.main([])
    assert stopped.value.code == 2
    assert "make revoke USER=<email or sub>" in capsys.readouterr().err
