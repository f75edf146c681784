from __future__ import annotations

import pytest

from gpt_auth.runtime.errors import ConfigError
from gpt_auth.runtime.settings import EMBEDDED_MONGODB_URI, load_settings
from tests.support.config import MINIMAL_SETTINGS

BASE = MINIMAL_SETTINGS


def test_defaults_when_only_credentials_are_given():
    config = load_settings(BASE)
    assert config.mongodb_uri == EMBEDDED_MONGODB_URI
    assert config.embedded_store
    assert config.mongodb_database == "gpt_auth"
    assert (config.access_token_ttl, config.refresh_token_ttl) == (3600, 2592000)
    assert config.oidc_issuer is None
    assert next(p.pattern for p in config.allowed_redirect_uris).startswith("https://chatgpt")


@pytest.mark.parametrize("missing", sorted(BASE))
def test_missing_required_setting_is_named(missing):
    env = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        load_settings(env)


def test_blank_required_setting_counts_as_missing():
    with pytest.raises(ConfigError, match="GPT_CLIENT_SECRET"):
        load_settings({**BASE, "GPT_CLIENT_SECRET": "   "})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACCESS_TOKEN_TTL", "soon"),
        ("ACCESS_TOKEN_TTL", "0"),
        ("REFRESH_TOKEN_TTL", "-5"),
        ("MONGODB_URI", "postgres://db"),
        ("MONGODB_DATABASE", "bad name!"),
        ("ALLOWED_REDIRECT_URIS", "https://ok\\.example/cb,(unclosed"),
        ("OIDC_ISSUER", "http://issuer.example"),
        ("GOOGLE_REDIRECT_URI", "not a url"),
        ("AUTHORIZATION_SERVER_URL", "/auth orize"),
        ("TOKEN_URL", "/token?x=1"),
        ("TOKEN_URL", "http://token.example/"),
    ],
)
def test_malformed_setting_is_named(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({**BASE, name: value})


def test_local_http_issuer_is_allowed_and_trailing_slash_dropped():
    config = load_settings({**BASE, "OIDC_ISSUER": "http://127.0.0.1:9000/"})
    assert config.oidc_issuer == "http://127.0.0.1:9000"


def test_the_metadata_urls_are_absolute_or_a_path_and_only_the_issuer_loses_its_slash():
    config = load_settings({**BASE, "AUTHORIZATION_SERVER_URL": "/authorize/", "TOKEN_URL": "/token/"})
    assert (config.authorization_server_url, config.token_url) == ("/authorize", "/token/")
    absolute = load_settings(
        {**BASE, "AUTHORIZATION_SERVER_URL": "https://a.example/", "TOKEN_URL": "https://t.example/"}
    )
    assert (absolute.authorization_server_url, absolute.token_url) == (
        "https://a.example",
        "https://t.example/",
    )


def test_repr_hides_secrets():
    text = repr(load_settings(BASE))
    assert "gsecret" not in text and "gptsecret" not in text
