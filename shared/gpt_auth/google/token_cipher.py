"""AES-256-GCM for provider tokens at rest, under a key ring from ``TOKEN_ENCRYPTION_KEYS``.

A ciphertext is ``<key id>:<base64url(12-byte nonce || ciphertext || 16-byte tag)>``: the key id
says which key of the ring decrypts it, so a key can be rotated (the first key encrypts, every key
decrypts). The associated data binds a ciphertext to its owner and field (e.g. the user id and
``refresh_token``): copied into another record or field, it no longer decrypts.

``cryptography`` is imported only when a value is encrypted or decrypted; parsing the key ring
(``parse_key_ring``) needs only the standard library, so settings can validate it on any path.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from typing import NamedTuple

from gpt_auth.runtime.errors import ConfigError

SETTING = "TOKEN_ENCRYPTION_KEYS"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce, random per encryption
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
MAX_SHOWN_ID_CHARS = 32


class KeyRing(NamedTuple):
    """Keys by id; ``keys[0]`` encrypts. Its repr never shows a key. A NamedTuple, not a frozen
    dataclass, whose methods would be compiled at every cold start (settings imports this module)."""

    keys: tuple[tuple[str, bytes], ...]

    def __repr__(self) -> str:
        return f"KeyRing(ids={[key_id for key_id, _ in self.keys]!r})"

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes | None:
        return next((key for kid, key in self.keys if kid == key_id), None)


class UndecryptableToken(Exception):
    """A stored ciphertext does not open: malformed, sealed under a key id the ring lacks, tampered
    with, or copied from another record. Its message is for the log: a key id in it is bounded
    and sanitized (``shown_key_id``), never the stored text itself."""


def parse_key_ring(raw: str, setting: str = SETTING) -> KeyRing:
    """Parse ``id:base64key`` entries separated by commas or white space (first one encrypts).

    Each key is 32 random bytes in standard or URL-safe base64 (padding optional), e.g. from
    ``python3 -c "import os, base64; print('k1:' + base64.b64encode(os.urandom(32)).decode())"``.

    Raises
    ------
    ConfigError
        When the value is empty, an entry is malformed, a key is not 32 bytes, or an id repeats;
        the message names the setting (``setting``: this one, or ``TOKEN_HASH_KEYS`` whose ring
        keys the stored hashes of our tokens) and the entry's id, never a key.
    """
    entries = [entry for entry in re.split(r"[\s,]+", raw.strip()) if entry]
    if not entries:
        raise ConfigError(f"{setting} is empty; it needs at least one 'id:base64key' entry.")
    keys: list[tuple[str, bytes]] = []
    for position, entry in enumerate(entries, start=1):
        key_id, separator, encoded = entry.partition(":")
        if not separator or not _KEY_ID.fullmatch(key_id):
            raise ConfigError(
                f"{setting} entry {position} is not 'id:base64key' with an id of 1-32 letters, digits, "
                "'_', '.' or '-'."
            )
        key = _b64decode(encoded)
        if key is None or len(key) != KEY_BYTES:
            raise ConfigError(f"{setting} key {key_id!r} is not {KEY_BYTES} bytes of base64 (a 256-bit key).")
        if any(kid == key_id for kid, _ in keys):
            raise ConfigError(f"{setting} names the key id {key_id!r} twice.")
        keys.append((key_id, key))
    return KeyRing(tuple(keys))


def new_key_entry(key_id: str = "k1") -> str:
    """A fresh ``id:base64key`` entry (32 bytes from the OS's random source)."""
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


def encrypt(ring: KeyRing, value: str, aad: str) -> str:
    """``value`` encrypted under the ring's first key, bound to ``aad``."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key_id, key = ring.keys[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, value.encode("utf-8"), aad.encode("utf-8"))
    return f"{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def key_id_of(ciphertext: str) -> str:
    """The id of the key a ciphertext was made with."""
    return ciphertext.partition(":")[0]


def decrypt(ring: KeyRing, ciphertext: str, aad: str) -> str:
    """The value ``encrypt`` sealed, when ``aad`` is the one it was sealed with.

    Raises
    ------
    UndecryptableToken
        The ciphertext is malformed (no ``:``, an empty or malformed key id), names a key id the
        ring lacks (a key removed while still in use), is altered, or was sealed for other
        associated data. A stored value is the store's, so none of these is a settings error.
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key_id, separator, encoded = ciphertext.partition(":")
    if not separator:
        raise UndecryptableToken("malformed ciphertext: no key id")
    key = ring.key(key_id)
    if key is None:
        raise UndecryptableToken(
            f"{SETTING} has no key {shown_key_id(key_id)}; if a key was removed while still in use, put it "
            "back after the new one"
        )
    sealed = _b64decode(encoded)
    if sealed is None or len(sealed) <= NONCE_BYTES:
        raise UndecryptableToken("malformed ciphertext")
    try:
        plain = AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad.encode("utf-8"))
    except InvalidTag:
        raise UndecryptableToken("authentication failed") from None
    return plain.decode("utf-8")


def shown_key_id(key_id: str) -> str:
    """A stored key id fit for the log: a well-formed one as it is, anything else bounded and
    reduced to id characters, with its length."""
    if _KEY_ID.fullmatch(key_id):
        return repr(key_id)
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "?", key_id[:MAX_SHOWN_ID_CHARS])
    return f"(malformed, {len(key_id)} characters: {cleaned!r})"


def _b64decode(encoded: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional; None when not base64."""
    text = encoded.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
