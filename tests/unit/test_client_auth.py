"""Client authentication at the token endpoint: client_secret_basic and client_secret_post."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

import pytest

from gpt_auth.oauth import client_auth
from gpt_auth.oauth.client_auth import CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, authenticate_client
from gpt_auth.runtime import settings
from gpt_auth.runtime.errors import BadRequest, InvalidClient

CLIENT_ID = "gpt-client"
SECRET = "gpt-secret-value-0123456789"


def basic(client_id: str, secret: str, *, encode: bool = True) -> str:
    if encode:
        client_id, secret = quote_plus(client_id), quote_plus(secret)
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_client_secret_post_authenticates():
    client = authenticate_client(
        None, {"client_id": CLIENT_ID, "client_secret": SECRET}, settings.get_settings()
    )
    assert client == client_auth.AuthenticatedClient(CLIENT_ID, CLIENT_SECRET_POST)


def test_basic_authenticates():
    client = authenticate_client(basic(CLIENT_ID, SECRET), {}, settings.get_settings())
    assert client == client_auth.AuthenticatedClient(CLIENT_ID, CLIENT_SECRET_BASIC)


@pytest.mark.parametrize("encode", [True, False], ids=["form-urlencoded", "as-is"])
def test_basic_secret_with_special_characters(encode, configure):
    # GIVEN a secret full of characters that form-urlencoding changes
    secret = "p@ss:w+rd/%41 é&="
    configure(GPT_CLIENT_SECRET=secret)
    # WHEN the client sends it in Basic, encoded per RFC 6749 2.3.1 or as typed
    client = authenticate_client(basic(CLIENT_ID, secret, encode=encode), {}, settings.get_settings())
    # THEN it authenticates
    assert client.client_id == CLIENT_ID


def test_basic_form_decodes_plus_as_space(configure):
    # GIVEN a secret with a space, which form-urlencoding sends as '+'
    configure(GPT_CLIENT_SECRET="two words of secret")
    # THEN the encoded form authenticates (the '+' was decoded) and a near miss does not
    assert authenticate_client(basic(CLIENT_ID, "two words of secret"), {}, settings.get_settings())
    with pytest.raises(InvalidClient):
        authenticate_client(basic(CLIENT_ID, "two  words of secret"), {}, settings.get_settings())


def test_credentials_are_compared_in_constant_time(monkeypatch):
    # GIVEN a spy on hmac.compare_digest
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    # WHEN a client id that is wrong is presented with a secret
    with pytest.raises(InvalidClient):
        authenticate_client(None, {"client_id": "someone", "client_secret": "guess"}, settings.get_settings())
    # THEN both the id and the secret went through compare_digest (no early exit on the id)
    assert (hashlib.sha256(b"someone").digest(), hashlib.sha256(CLIENT_ID.encode()).digest()) in calls
    assert (hashlib.sha256(b"guess").digest(), hashlib.sha256(SECRET.encode()).digest()) in calls


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": CLIENT_ID, "client_secret": "wrong"},
        {"client_id": "other-client", "client_secret": SECRET},
        {"client_id": CLIENT_ID, "client_secret": SECRET + "x"},
        {"client_id": CLIENT_ID, "client_secret": "é\ud800"},  # what a JSON body can carry
    ],
)
def test_wrong_post_credentials_are_invalid_client_without_basic_challenge(params):
    with pytest.raises(InvalidClient) as caught:
        authenticate_client(None, params, settings.get_settings())
    assert caught.value.status == 401
    assert "WWW-Authenticate" not in caught.value.headers


@pytest.mark.parametrize(
    "header",
    [
        basic(CLIENT_ID, "wrong"),
        basic("other-client", SECRET),
        "Basic not*base64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":" + SECRET.encode()).decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic " + base64.b64encode(b"gpt-client:%ff").decode(),
        "Basic",
        "Bearer gat_" + "a" * 43,
    ],
)
def test_bad_basic_is_invalid_client_with_basic_challenge(header):
    with pytest.raises(InvalidClient) as caught:
        authenticate_client(header, {}, settings.get_settings())
    assert caught.value.status == 401
    assert caught.value.headers["WWW-Authenticate"] == 'Basic realm="gpt-google-auth"'


def test_basic_scheme_is_case_insensitive():
    header = basic(CLIENT_ID, SECRET).replace("Basic", "bAsIc")
    assert authenticate_client(header, {}, settings.get_settings()).method == CLIENT_SECRET_BASIC


def test_both_methods_at_once_is_invalid_request():
    with pytest.raises(BadRequest) as caught:
        authenticate_client(
            basic(CLIENT_ID, SECRET),
            {"client_id": CLIENT_ID, "client_secret": SECRET},
            settings.get_settings(),
        )
    assert caught.value.code == "invalid_request" and "one method" in caught.value.description


def test_no_authentication_is_invalid_client():
    with pytest.raises(InvalidClient) as caught:
        authenticate_client(None, {"client_id": CLIENT_ID}, settings.get_settings())
    assert "missing" in caught.value.description
    assert "WWW-Authenticate" not in caught.value.headers


def test_secret_without_client_id_is_invalid_request():
    with pytest.raises(BadRequest, match="client_id"):
        authenticate_client(None, {"client_secret": SECRET}, settings.get_settings())


def test_body_client_id_with_basic_must_agree():
    # GIVEN Basic credentials: a matching client_id in the body is fine
    header = basic(CLIENT_ID, SECRET)
    assert authenticate_client(header, {"client_id": CLIENT_ID}, settings.get_settings())
    # WHEN the body names another client THEN the request is contradictory
    with pytest.raises(BadRequest, match="does not match"):
        authenticate_client(header, {"client_id": "other-client"}, settings.get_settings())
