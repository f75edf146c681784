"""Client secrets compared without leaking their length, a minimum secret length from any source,
and the store's read and write concerns for codes and sessions."""

from __future__ import annotations

import contextlib
import hashlib
import hmac

import pytest
from pymongo import ReadPreference, WriteConcern

from gpt_auth.oauth import codes, sessions
from gpt_auth.oauth.client_auth import authenticate_client
from gpt_auth.runtime import db, settings
from gpt_auth.runtime.errors import ConfigError, InvalidClient
from localdev.dev import LOCAL_GPT_CLIENT_SECRET
from localdev.samples import SAMPLE_SETTINGS

SECRET = SAMPLE_SETTINGS["GPT_CLIENT_SECRET"]
CLIENT_ID = SAMPLE_SETTINGS["GPT_CLIENT_ID"]


@pytest.mark.parametrize("presented", ["g", "guess", SECRET[:-1], SECRET + "x" * 100, SECRET])
def test_the_secret_compare_sees_only_fixed_length_digests(monkeypatch, presented):
    # GIVEN a spy on hmac.compare_digest
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    # WHEN a client presents a secret of any length
    with contextlib.suppress(InvalidClient):
        authenticate_client(
            None, {"client_id": CLIENT_ID, "client_secret": presented}, settings.get_settings()
        )
    # THEN every comparison was of two SHA-256 digests: the time taken says nothing about lengths
    assert calls and all(len(a) == len(b) == hashlib.sha256().digest_size for a, b in calls)
    assert (hashlib.sha256(presented.encode()).digest(), hashlib.sha256(SECRET.encode()).digest()) in calls


def test_a_short_gpt_client_secret_is_a_config_error(configure):
    configure(GPT_CLIENT_SECRET="fifteen-chars!!")
    with pytest.raises(ConfigError, match="GPT_CLIENT_SECRET must be at least 16 characters"):
        settings.get_settings()


def test_sixteen_characters_are_enough(configure):
    configure(GPT_CLIENT_SECRET="sixteen-chars!!!")
    assert settings.get_settings().gpt_client_secret == "sixteen-chars!!!"


def test_a_short_secret_from_the_deployed_secret_is_refused_too():
    env = {k: v for k, v in SAMPLE_SETTINGS.items() if k != "GPT_CLIENT_SECRET"}
    with pytest.raises(ConfigError, match="GPT_CLIENT_SECRET must be at least 16"):
        settings.load_settings({**env, "GPT_CLIENT_SECRET": "short"})


def test_local_defaults_and_samples_meet_the_minimum():
    assert len(LOCAL_GPT_CLIENT_SECRET) >= settings.MIN_CLIENT_SECRET_CHARS
    assert len(SAMPLE_SETTINGS["GPT_CLIENT_SECRET"]) >= settings.MIN_CLIENT_SECRET_CHARS
    settings.load_settings(SAMPLE_SETTINGS)


@pytest.mark.parametrize("name", [sessions.COLLECTION, codes.COLLECTION], ids=lambda stored: stored.name)
@pytest.mark.parametrize("read_only", [False, True])
def test_codes_and_sessions_read_the_primary_and_write_majority(store, name, read_only):
    coll = db.collection(name, read_only=read_only)
    assert coll.read_preference == ReadPreference.PRIMARY
    assert coll.write_concern == WriteConcern("majority")
