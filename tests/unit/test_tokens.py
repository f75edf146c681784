from __future__ import annotations

import hashlib
import hmac

import pytest

from gpt_auth.oauth.tokens import (
    ACCESS_TOKEN,
    AUTHORIZATION_CODE,
    REFRESH_TOKEN,
    family_tag,
    hash_token,
    is_well_formed,
    mint,
)
from gpt_auth.runtime.settings import get_settings


@pytest.mark.parametrize("prefix", [ACCESS_TOKEN, REFRESH_TOKEN, AUTHORIZATION_CODE])
def test_minted_tokens_are_unique_well_formed_and_typed(prefix):
    tokens = {mint(prefix) for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert token.startswith(prefix)
        assert is_well_formed(token, prefix)
        assert not is_well_formed(token, "gxx_")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "gat_",
        "gat_short",
        "gat_" + "a" * 44,
        "gat_" + "a" * 42 + "!",
        "Gat_" + "a" * 43,
        " gat_" + "a" * 43,
    ],
)
def test_malformed_tokens_are_rejected(token):
    assert not is_well_formed(token, ACCESS_TOKEN)


def test_refresh_token_is_not_an_access_token():
    assert not is_well_formed(mint(REFRESH_TOKEN), ACCESS_TOKEN)


def test_hash_is_an_hmac_under_the_first_hash_key_and_never_the_token():
    token = mint(ACCESS_TOKEN)
    key = get_settings().token_hash_keys.keys[0][1]
    assert hash_token(token) == hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
    assert hash_token(token) != hashlib.sha256(token.encode()).hexdigest()  # not a plain digest
    assert token not in hash_token(token)


@pytest.mark.parametrize(
    "token",
    [
        "grt_" + "a" * 43,  # the shape before refresh tokens named their family
        "grt_" + "f" * 22 + "." + "a" * 42,
        "grt_" + "f" * 21 + "." + "a" * 43,
        "grt_" + "f" * 22 + "!" + "a" * 43,
        "grt_" + "f" * 22 + "." + "a" * 43 + "\n",
    ],
)
def test_malformed_refresh_tokens_are_rejected_and_name_no_family(token):
    assert not is_well_formed(token, REFRESH_TOKEN) and family_tag(token) is None
