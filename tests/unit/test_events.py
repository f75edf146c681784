"""Every sample event in events/: indexed, shaped as AWS sends it, answered as documented.

Also `make invoke` itself, as a subprocess, over every event.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest

from localdev import invoke
from tests.support.events import EVENTS, event_index, load_event, seeded_event
from tests.support.paths import ROOT

FILES = sorted(path.stem for path in EVENTS.glob("*.json") if path.name != "index.json")


def test_every_event_file_has_an_index_entry_and_every_entry_a_file():
    assert FILES
    assert set(FILES) == set(event_index())
    for name, entry in event_index().items():
        assert entry["function"] in invoke.FUNCTIONS, name
        assert isinstance(entry["status"], int) and 200 <= entry["status"] < 600, name
        assert entry.get("description"), name


@pytest.mark.parametrize("name", FILES)
def test_each_event_has_the_shape_aws_sends(name):
    event = load_event(name)
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    http = event["requestContext"]["http"]
    assert {"method", "path", "protocol", "sourceIp", "userAgent"} <= set(http)
    assert event["rawPath"] == http["path"]
    assert isinstance(event["rawQueryString"], str)
    assert all(header == header.lower() for header in event["headers"]), "header names are lower case"
    assert event["headers"]["host"] == event["requestContext"]["domainName"]
    assert isinstance(event["isBase64Encoded"], bool)
    if event["headers"].get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # Function URLs base64-encode form bodies
        assert event["isBase64Encoded"] and base64.b64decode(event["body"], validate=True)


@pytest.mark.parametrize("name", FILES)
def test_every_event_gets_its_documented_status(name, store, lambda_context):
    # GIVEN the event and what its index entry asks to seed
    entry = event_index()[name]
    event = seeded_event(name)
    # WHEN its function's real handler answers it
    response = invoke.handler_of(entry["function"])(event, lambda_context)
    # THEN the status is the documented one, with a content type
    assert response["statusCode"] == entry["status"], response.get("body", "")[:500]
    assert response["headers"].get("Content-Type") or response["statusCode"] in (301, 302, 303, 307)


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
    assert sorted(line.split()[-1].removesuffix(".json") for line in lines[:-1]) == FILES


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


@pytest.mark.parametrize("name", ["test_endpoint", "testEndpoint", "TestEndpointFunction", "test-endpoint"])
def test_function_names_in_every_spelling(name):
    if name == "test-endpoint":
        with pytest.raises(ValueError, match="No function"):
            invoke.function_name(name)
    else:
        assert invoke.function_name(name) == "test_endpoint"


def test_make_invoke_names_an_event_file_that_is_not_json(tmp_path):
    broken = tmp_path / "mine.json"
    broken.write_text("{not json")
    result = run_invoke("--event", str(broken), "--function", "testEndpoint")
    assert result.returncode == 2
    assert "mine.json is not JSON" in result.stderr
