"""The layer split: each function gets only the layers it imports, and the secret's extension."""

from __future__ import annotations

import json
import re

import pytest
from cfnlint.decode import decode

from tests.support.layers import LAYERS, pinned
from tests.support.paths import ROOT

EXTENSION_ARN = re.compile(
    r"arn:aws:lambda:(?P<region>[a-z0-9-]+):[0-9]{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension:[0-9]+"
)


@pytest.fixture(scope="module")
def template():
    parsed, problems = decode(str(ROOT / "template.yaml"))
    assert not problems, problems
    return json.loads(json.dumps(parsed))


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
