"""Local settings from .env: the environment wins, values are read as written."""

from __future__ import annotations

import os

import pytest

from localdev.env_file import load_env_file


def test_file_fills_what_the_environment_lacks(tmp_path, monkeypatch):
    # GIVEN a .env with a quoted secret holding '#' and '$', and GPT_CLIENT_ID already set
    env = tmp_path / ".env"
    env.write_text(
        '# local\nGPT_CLIENT_ID=from-file\nGPT_CLIENT_SECRET="pa#ss$word with spaces"\nEXTRA_ONE=1\n'
    )
    monkeypatch.setenv("GPT_CLIENT_ID", "from-environment")
    monkeypatch.delenv("GPT_CLIENT_SECRET")
    monkeypatch.delenv("EXTRA_ONE", raising=False)
    # WHEN it is loaded
    assert load_env_file(env) == env
    # THEN the environment's value stands, and the file's values arrive exactly
    assert os.environ["GPT_CLIENT_ID"] == "from-environment"
    assert os.environ["GPT_CLIENT_SECRET"] == "pa#ss$word with spaces"
    assert os.environ["EXTRA_ONE"] == "1"


def test_a_missing_default_file_is_fine(tmp_path, monkeypatch):
    monkeypatch.setattr("localdev.env_file.DEFAULT_PATH", tmp_path / ".env")
    monkeypatch.delenv("ENV_FILE", raising=False)
    assert load_env_file() is None


def test_env_file_names_another_file(tmp_path, monkeypatch):
    prod = tmp_path / "prod.env"
    prod.write_text("MONGODB_DATABASE=from-prod-env\n")
    monkeypatch.setenv("ENV_FILE", str(prod))
    monkeypatch.delenv("MONGODB_DATABASE")
    assert load_env_file() == prod
    assert os.environ["MONGODB_DATABASE"] == "from-prod-env"


def test_a_named_file_that_does_not_exist_stops_with_its_name(tmp_path, monkeypatch):
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "typo.env"))
    with pytest.raises(SystemExit, match=r"typo\.env does not exist"):
        load_env_file()


def test_the_example_names_only_known_settings():
    from tests.support.paths import ROOT

    names = {
        line.lstrip("# ").split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    reference = (ROOT / "docs" / "reference.md").read_text()
    assert names and all(f"`{name}`" in reference for name in names), names
