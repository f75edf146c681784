"""AES-256-GCM for stored provider tokens: the key ring setting, sealing, rotation, binding."""

from __future__ import annotations

import base64
import os

import pytest

from gpt_auth.google import token_cipher
from gpt_auth.google.token_cipher import UndecryptableToken
from gpt_auth.runtime import settings
from gpt_auth.runtime.errors import ConfigError

KEY_1 = base64.b64encode(b"1" * 32).decode()
KEY_2 = base64.urlsafe_b64encode(b"\xfb" * 32).decode().rstrip("=")  # URL-safe, unpadded


def ring(raw: str) -> token_cipher.KeyRing:
    return token_cipher.parse_key_ring(raw)


def test_a_sealed_value_opens_with_the_same_associated_data_only():
    keys = ring(f"k1:{KEY_1}")
    sealed = token_cipher.encrypt(keys, "ya29.secret-token", "google_grants/user-a/refresh_token")
    assert sealed.startswith("k1:") and "ya29" not in sealed
    assert token_cipher.decrypt(keys, sealed, "google_grants/user-a/refresh_token") == "ya29.secret-token"
    # copied to another user's record, or to another field, it does not open
    for other in ("google_grants/user-b/refresh_token", "google_grants/user-a/access_token"):
        with pytest.raises(UndecryptableToken):
            token_cipher.decrypt(keys, sealed, other)


def test_each_sealing_uses_a_fresh_nonce():
    keys = ring(f"k1:{KEY_1}")
    assert token_cipher.encrypt(keys, "same", "aad") != token_cipher.encrypt(keys, "same", "aad")


@pytest.mark.parametrize("flip", [3, 20, -1])
def test_an_altered_ciphertext_does_not_open(flip):
    keys = ring(f"k1:{KEY_1}")
    sealed = token_cipher.encrypt(keys, "value", "aad")
    body = bytearray(base64.urlsafe_b64decode(sealed[3:] + "=" * (-len(sealed[3:]) % 4)))
    body[flip] ^= 0x01
    altered = "k1:" + base64.urlsafe_b64encode(bytes(body)).decode()
    with pytest.raises(UndecryptableToken):
        token_cipher.decrypt(keys, altered, "aad")


@pytest.mark.parametrize("garbage", ["k1:", "k1:not base64!", "k1:AAAA", "no-separator"])
def test_a_malformed_ciphertext_does_not_open(garbage):
    keys = ring(f"k1:{KEY_1} no-separator:{KEY_2}")
    with pytest.raises(UndecryptableToken):
        token_cipher.decrypt(keys, garbage, "aad")


def test_rotation_first_key_seals_every_key_opens():
    old = ring(f"k1:{KEY_1}")
    sealed_before = token_cipher.encrypt(old, "value", "aad")
    rotated = ring(f"k2:{KEY_2},k1:{KEY_1}")
    assert token_cipher.decrypt(rotated, sealed_before, "aad") == "value"
    assert token_cipher.key_id_of(token_cipher.encrypt(rotated, "value", "aad")) == "k2"


def test_a_removed_key_makes_its_ciphertexts_undecryptable_naming_it_for_the_log():
    sealed = token_cipher.encrypt(ring(f"k1:{KEY_1}"), "value", "aad")
    with pytest.raises(UndecryptableToken, match=r"TOKEN_ENCRYPTION_KEYS has no key 'k1'"):
        token_cipher.decrypt(ring(f"k2:{KEY_2}"), sealed, "aad")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("   ", "is empty"),
        (KEY_1, "entry 1 is not 'id:base64key'"),
        (f"k1:{KEY_1},:{KEY_2}", "entry 2 is not 'id:base64key'"),
        ("k1:%%%%", "key 'k1' is not 32 bytes"),
        ("k1:" + base64.b64encode(b"x" * 16).decode(), "key 'k1' is not 32 bytes"),
        (f"k1:{KEY_1} k1:{KEY_2}", "names the key id 'k1' twice"),
    ],
)
def test_a_malformed_key_ring_is_a_clear_error_without_the_key(raw, message):
    with pytest.raises(ConfigError, match=message) as caught:
        ring(raw)
    assert "TOKEN_ENCRYPTION_KEYS" in str(caught.value)
    assert KEY_1 not in str(caught.value) and KEY_2 not in str(caught.value)


def test_the_key_ring_never_shows_a_key():
    keys = ring(f"k1:{KEY_1}")
    assert repr(keys) == "KeyRing(ids=['k1'])"
    assert KEY_1 not in repr(settings.load_settings({**_required(), "TOKEN_ENCRYPTION_KEYS": f"k1:{KEY_1}"}))


def test_a_new_key_entry_is_a_valid_ring():
    entry = token_cipher.new_key_entry("k9")
    assert ring(entry).current_id == "k9"
    assert token_cipher.new_key_entry() != token_cipher.new_key_entry()


def test_settings_parse_the_ring_and_require_it_only_when_used(monkeypatch):
    # GIVEN settings without TOKEN_ENCRYPTION_KEYS: they load, and asking for the ring names it
    loaded = settings.load_settings(_required())
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEYS is not set"):
        loaded.key_ring()
    # AND a malformed value fails the settings load itself
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEYS"):
        settings.load_settings({**_required(), "TOKEN_ENCRYPTION_KEYS": "k1:short"})
    good = settings.load_settings({**_required(), "TOKEN_ENCRYPTION_KEYS": f"k2:{KEY_2}, k1:{KEY_1}"})
    assert good.key_ring().current_id == "k2"


def _required() -> dict[str, str]:
    return {
        name: os.environ[name]
        for name in (
            "GOOGLE_CLIENT_ID",
            "GOOGLE_CLIENT_SECRET",
            "GPT_CLIENT_ID",
            "GPT_CLIENT_SECRET",
            "TOKEN_HASH_KEYS",
        )
    }
