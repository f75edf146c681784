"""A fresh interpreter, as a cold Lambda container: what each function's first request imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.paths import ROOT


def test_authorize_with_google_loads_neither_requests_nor_google_auth(app_settings):
    # GIVEN a fresh interpreter (a cold Lambda container)
    probe = (
        "import json, sys\n"
        "from functions.google_authorization import app\n"
        "event = json.load(open('events/google_authorization_authorize.json'))\n"
        "assert app.router.resolve(event)['statusCode'] == 302\n"
        "print(json.dumps(sorted(m for m in ('requests', 'google.auth', 'jwt') if m in sys.modules)))\n"
    )
    env = {**os.environ, **app_settings}
    # WHEN it answers ChatGPT's authorization request with Google's built-in endpoints
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    # THEN none of the provider client's heavy imports were loaded
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_token_endpoint_imports_neither_google_auth_nor_requests():
    # The token endpoint's cold start must not pay for the Google client.
    probe = (
        "import sys, functions.google_authentication.app; "
        "loaded = [m for m in ('google.auth', 'google.oauth2', 'requests', 'boto3') if m in sys.modules]; "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_secret_arn_neither_boto3_nor_parameters_is_imported():
    # GIVEN a fresh interpreter with settings in the environment only
    code = (
        "import sys; from functions.test_endpoint import app; from gpt_auth import settings;"
        "from localdev.lambda_env import FakeLambdaContext;"
        "settings.get_settings();"
        "event = {'rawPath': '/', 'requestContext': {'http': {'method': 'POST'}}};"
        "app.lambda_handler(event, FakeLambdaContext());"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'boto3' or m.startswith('botocore.')"
        " or m.startswith('aws_lambda_powertools.utilities.parameters')))"
    )
    env = {"PATH": "/usr/bin:/bin"}
    env.update({"GOOGLE_CLIENT_ID": "g", "GOOGLE_CLIENT_SECRET": "g", "GPT_CLIENT_ID": "c"})
    env["GPT_CLIENT_SECRET"] = "s"
    # WHEN it loads the settings and answers a request
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    # THEN no AWS SDK module was imported (Powertools itself imports the bare botocore package
    # to read its version, which costs well under a millisecond)
    assert out.stdout.strip().splitlines()[-1] == "[]"
