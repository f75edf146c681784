"""The scope bound to a code: the request's, within what this server grants (gpt_auth.oauth.scopes)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gpt_auth.oauth.scopes import granted_scope

OFFERED = ("openid", "email", "profile")
scope_tokens = st.sampled_from(["openid", "email", "profile", "admin", "delete:everything", "tasks.read"])


@given(st.lists(scope_tokens, max_size=8), st.sampled_from([" ", "  ", "\t", "\n"]))
def test_the_granted_scope_never_holds_what_is_not_offered(requested, separator):
    granted = granted_scope(separator.join(requested), OFFERED)
    if not requested:
        assert granted == "openid email profile"
    elif set(requested) & set(OFFERED):
        assert granted is not None
        assert granted.split() == [s for s in OFFERED if s in requested]
    else:
        assert granted is None
