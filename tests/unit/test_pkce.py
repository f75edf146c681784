"""PKCE S256, proven with RFC 7636's own example (the local stand-in does not enforce PKCE)."""

from __future__ import annotations

import re

from gpt_auth.oauth.pkce import new_verifier, s256_challenge


def test_rfc7636_appendix_b_vector():
    assert (
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_verifiers_are_fresh_and_within_rfc_limits():
    first, second = new_verifier(), new_verifier()
    assert first != second
    # RFC 7636 4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~]
    assert re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", first)
