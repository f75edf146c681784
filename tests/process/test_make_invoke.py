"""``make invoke`` itself, as a subprocess, over every event and on bad arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.events import EVENT_NAMES
from tests.support.paths import ROOT


def run_invoke(*args: str, env_file: str = "/dev/null") -> subprocess.CompletedProcess[str]:
    """``make invoke``'s command in a clean environment, with ``env_file`` as its .env."""
    env = {"PATH": os.environ["PATH"], "HOME": str(ROOT)}
    command = [sys.executable, "-m", "localdev.invoke", "--env-file", str(ROOT / env_file), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("env_file", ["/dev/null", ".env.example"])
def test_make_invoke_answers_every_event_as_documented(env_file):
    # GIVEN no .env, or a .env copied from .env.example; WHEN make invoke checks every event
    result = run_invoke(env_file=env_file)
    # THEN each one answers its documented status
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "every event answered as documented"
    assert sorted(line.split()[-1].removesuffix(".json") for line in lines[:-1]) == EVENT_NAMES


def test_make_invoke_one_event_prints_the_response_after_seeding():
    result = run_invoke("--event", "events/google_authentication_code_basic.json")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout[result.stdout.index("{\n") :])
    assert response["statusCode"] == 200 and json.loads(response["body"])["token_type"] == "bearer"
    assert "200 as documented (seeded: authorization_code)" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--event", "events/nope.json"], "No event file 'events/nope.json'"),
        (["--event", "test_endpoint_valid", "--function", "teapot"], "No function 'teapot'"),
        (
            ["--event", "test_endpoint_valid", "--function", "googleAuthentication"],
            "is a test_endpoint event",
        ),
    ],
)
def test_make_invoke_explains_bad_arguments(args, message):
    result = run_invoke(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_make_invoke_names_an_event_file_that_is_not_json(tmp_path):
    broken = tmp_path / "mine.json"
    broken.write_text("{not json")
    result = run_invoke("--event", str(broken), "--function", "testEndpoint")
    assert result.returncode == 2
    assert "mine.json is not JSON" in result.stderr
