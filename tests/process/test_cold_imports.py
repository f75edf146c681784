"""A fresh interpreter, as a cold Lambda container: what each function's first request imports."""

from __future__ import annotations

import json
import subprocess
import sys

from localdev.samples import SAMPLE_SETTINGS
from tests.support.cold_imports import loaded_after
from tests.support.layers import LAYERS, top_level_modules
from tests.support.secrets import SECRET


def test_authorize_with_google_loads_neither_requests_nor_google_auth(app_settings):
    # GIVEN a fresh interpreter (a cold Lambda container)
    script = (
        "from functions.google_authorization import app\n"
        "event = json.load(open('events/google_authorization_authorize.json'))\n"
        "assert app.router.resolve(event)['statusCode'] == 302"
    )
    # WHEN it answers ChatGPT's authorization request with Google's built-in endpoints
    loaded = loaded_after(script, ("requests", "google.auth", "jwt"), app_settings)
    # THEN none of the provider client's heavy imports were loaded
    assert loaded == []


MCP_SIGN_IN_MODULES = ("gpt_auth.oauth.consent", "gpt_auth.oauth.clients", "gpt_auth.oauth.resources")


def test_the_gpts_authorize_and_token_requests_load_nothing_of_the_mcp_sign_in(app_settings):
    # GIVEN a fresh interpreter that answers the GPT's authorization request, then redeems a
    # GPT code and refreshes at the token endpoint
    script = (
        "import base64\n"
        "from urllib.parse import urlencode\n"
        "from functions.google_authorization import app\n"
        "from functions.google_authentication import app as token_app\n"
        "from gpt_auth.oauth import codes\n"
        "from gpt_auth.runtime.settings import get_settings\n"
        "event = json.load(open('events/google_authorization_authorize.json'))\n"
        "assert app.router.resolve(event)['statusCode'] == 302\n"
        "config = get_settings()\n"
        "redirect = 'https://chatgpt.com/aip/g-x/oauth/callback'\n"
        "gpt = config.gpt_client_id\n"
        "code = codes.issue_code(client_id=gpt, redirect_uri=redirect, user_id='u', scope='')\n"
        "form = {'grant_type': 'authorization_code', 'code': code, 'redirect_uri': redirect,\n"
        "        'client_id': gpt, 'client_secret': config.gpt_client_secret}\n"
        "body = base64.b64encode(urlencode(form).encode()).decode()\n"
        "token = {'rawPath': '/', 'requestContext': {'http': {'method': 'POST'}}, 'isBase64Encoded': True,\n"
        "         'headers': {'content-type': 'application/x-www-form-urlencoded'}, 'body': body}\n"
        "assert token_app.router.resolve(token)['statusCode'] == 200"
    )
    # WHEN it runs; THEN the consent page, the client registry and the resource checks stayed unloaded
    assert loaded_after(script, MCP_SIGN_IN_MODULES, app_settings) == []


def test_the_token_endpoint_imports_nothing_of_the_google_layer():
    # GIVEN the GoogleLayer's modules, and a fresh interpreter that redeems a code, refreshes
    # the tokens, and answers a bad request, as the token endpoint
    google_modules = top_level_modules(LAYERS / "google-requirements.txt")
    assert {"google", "requests", "jwt", "cryptography"} <= google_modules
    code = """
import base64, json, sys
from urllib.parse import urlencode
from functions.google_authentication import app
from gpt_auth.oauth import codes
from localdev.lambda_env import FakeLambdaContext
context = FakeLambdaContext()
redirect = "https://chatgpt.com/aip/g-x/oauth/callback"
auth = {"client_id": "gpt-client", "client_secret": "gpt-secret-value-0123456789"}
def token(form):
    body = base64.b64encode(urlencode({**form, **auth}).encode()).decode()
    event = {"rawPath": "/", "requestContext": {"http": {"method": "POST"}}, "isBase64Encoded": True,
             "headers": {"content-type": "application/x-www-form-urlencoded"}, "body": body}
    answer = app.lambda_handler(event, context)
    return answer["statusCode"], json.loads(answer["body"])
issued = codes.issue_code(client_id="gpt-client", redirect_uri=redirect, user_id="u", scope="")
status, pair = token({"grant_type": "authorization_code", "code": issued, "redirect_uri": redirect})
assert status == 200, pair
status, _ = token({"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]})
assert status == 200
assert token({"grant_type": "password"})[0] == 400
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""
    env = {
        "PATH": "/usr/bin:/bin",
        "GOOGLE_CLIENT_ID": "g",
        "GOOGLE_CLIENT_SECRET": "g",
        "GPT_CLIENT_ID": "gpt-client",
        "GPT_CLIENT_SECRET": "gpt-secret-value-0123456789",
        "TOKEN_HASH_KEYS": SAMPLE_SETTINGS["TOKEN_HASH_KEYS"],
    }
    # WHEN it runs
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    imported = set(json.loads(out.stdout.strip().splitlines()[-1]))
    # THEN it imported none of them (and so runs without the GoogleLayer)
    assert "pymongo" in imported
    assert not imported & google_modules, sorted(imported & google_modules)


# What the cold path must not import: the AWS SDK, Powertools Parameters, and http.client (it
# pulls in the email package; the extension is asked over a socket). mongomock, the embedded
# store these runs use, loads email itself, so email is not checked here.
HEAVY_MODULES = (
    "sorted(m for m in sys.modules if m.split('.')[0] == 'boto3' or m.startswith('botocore.')"
    " or m == 'http.client' or m.startswith('aws_lambda_powertools.utilities.parameters'))"
)


def cold_start_modules(env: dict[str, str]) -> list[str]:
    """A fresh interpreter answers one request: the heavy modules it imported."""
    code = (
        "import json, sys; from functions.test_endpoint import app;"
        "from localdev.lambda_env import FakeLambdaContext; context = FakeLambdaContext();"
        "answer = app.lambda_handler({'rawPath': '/', 'requestContext': {'http': {'method': 'POST'}},"
        " 'headers': {'authorization': 'Bearer gat_' + 'A' * 43}}, context);"
        f"print(json.dumps([answer['statusCode'], {HEAVY_MODULES}]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    status, modules = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == 401, out.stdout  # the request reached the token check: the settings were read
    return modules


def test_neither_path_imports_an_aws_sdk_or_http_client(serve_secret):
    # GIVEN settings in the environment only, and settings from the secret through the extension
    env = {k: v for k, v in SECRET.items() if k != "MONGODB_URI"}
    served = serve_secret(SECRET)
    secret_env = {"APP_SECRET_ARN": served.arn, **served.extension.environment()}
    # WHEN a fresh interpreter answers a request each way
    # THEN neither imported an AWS SDK module (Powertools itself imports the bare botocore package
    # to read its version, which costs well under a millisecond) nor http.client
    assert cold_start_modules(env) == []
    assert cold_start_modules(secret_env) == []
    assert served.extension.reads == 1
