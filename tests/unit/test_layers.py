"""The layer split: each function gets only the layers it imports, and the secret's extension."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from cfnlint.decode import decode

from tests.support.paths import ROOT

LAYERS = ROOT / "layers"
EXTENSION_ARN = re.compile(
    r"arn:aws:lambda:(?P<region>[a-z0-9-]+):[0-9]{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension:[0-9]+"
)


@pytest.fixture(scope="module")
def template():
    parsed, problems = decode(str(ROOT / "template.yaml"))
    assert not problems, problems
    return json.loads(json.dumps(parsed))


def pinned(requirements: Path) -> dict[str, str]:
    """Package name (normalised) to pinned version, from one requirements file."""
    pins = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{requirements.name}: {line} is not pinned"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def top_level_modules(requirements: Path) -> set[str]:
    """The importable top-level names the packages of one requirements file install."""
    wanted = set(pinned(requirements))
    return {
        module
        for module, dists in packages_distributions().items()
        if any(re.sub(r"[-_.]+", "-", d).lower() in wanted for d in dists)
    }


def test_each_function_gets_only_the_layers_it_imports(template):
    shared = template["Globals"]["Function"]["Layers"]
    assert shared[:2] == [{"Ref": "SharedLayer"}, {"Ref": "BaseLayer"}]
    functions = template["Resources"]
    assert "Layers" not in functions["GoogleAuthenticationFunction"]["Properties"]
    for name in ("GoogleAuthorizationFunction", "TestEndpointFunction"):
        assert functions[name]["Properties"]["Layers"] == [{"Ref": "GoogleLayer"}], name


def test_the_two_layers_pin_every_package_once():
    base, google = pinned(LAYERS / "base-requirements.txt"), pinned(LAYERS / "google-requirements.txt")
    assert not set(base) & set(google)
    assert {"pymongo", "aws-lambda-powertools"} <= set(base)
    assert {"google-auth", "requests", "pyjwt", "cryptography"} <= set(google)


def test_the_token_endpoint_imports_nothing_of_the_google_layer():
    # GIVEN the GoogleLayer's modules, and a fresh interpreter that redeems a code, refreshes
    # the tokens, and answers a bad request, as the token endpoint
    google_modules = top_level_modules(LAYERS / "google-requirements.txt")
    assert {"google", "requests", "jwt", "cryptography"} <= google_modules
    code = """
import base64, json, sys, types
from urllib.parse import urlencode
from functions.google_authentication import app
from gpt_auth import codes
context = types.SimpleNamespace(function_name="f", memory_limit_in_mb=128,
    invoked_function_arn="arn:aws:lambda:eu-west-1:1:function:f", aws_request_id="r")
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
    }
    # WHEN it runs
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    imported = set(json.loads(out.stdout.strip().splitlines()[-1]))
    # THEN it imported none of them (and so runs without the GoogleLayer)
    assert "pymongo" in imported
    assert not imported & google_modules, sorted(imported & google_modules)


def test_every_function_gets_the_secrets_extension_and_it_keeps_no_copy(template):
    # GIVEN the extension's layer: the parameter if given, else this region's ARN in the mapping
    chosen = template["Globals"]["Function"]["Layers"][2]["Fn::If"]
    assert chosen[0] == "HasSecretsExtensionLayerArn"
    assert chosen[1] == {"Ref": "SecretsExtensionLayerArn"}
    assert chosen[2] == {"Fn::FindInMap": ["SecretsExtension", {"Ref": "AWS::Region"}, "x86"]}
    # THEN each mapped ARN is the x86_64 extension of its own region, and passes the parameter's pattern
    pattern = template["Parameters"]["SecretsExtensionLayerArn"]["AllowedPattern"]
    mapping = template["Mappings"]["SecretsExtension"]
    assert {"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"} <= set(mapping)
    for region, entry in mapping.items():
        match = EXTENSION_ARN.fullmatch(entry["x86"])
        assert match and match["region"] == region, region
        assert re.fullmatch(pattern, entry["x86"]), region
    # AND the extension's own cache is off: a rotation is seen within the functions' max age alone
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["SECRETS_MANAGER_TTL"] == "0"
    assert variables["POWERTOOLS_PARAMETERS_MAX_AGE"] == {"Ref": "SecretMaxAge"}
