"""template.yaml: secrets stay out of the environment, least privilege, one host routes right.

`sam validate --lint` and cfn-lint check the template's shape; these check what they cannot.
"""

from __future__ import annotations

import json
import re

import pytest

from gpt_auth.actions.catalog import gpt_scope
from gpt_auth.google.token_cipher import new_key_entry, parse_key_ring
from gpt_auth.oauth import server_metadata
from gpt_auth.runtime.app_secret import OPTIONAL_SECRET_KEYS, SECRET_KEYS

FUNCTIONS = ("GoogleAuthorizationFunction", "GoogleAuthenticationFunction", "TestEndpointFunction")


def secret_arn(template):
    return template["Globals"]["Function"]["Environment"]["Variables"]["APP_SECRET_ARN"]


def test_functions_get_the_secret_arn_and_no_credential(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert secret_arn(template) == {
        "Fn::If": ["CreateSecret", {"Ref": "AppSecret"}, {"Ref": "ExistingSecretArn"}]
    }
    assert not set(SECRET_KEYS) & set(variables)
    # A function's own settings are only the public URLs of /mcp and the metadata, none a credential
    own = {
        name: set(template["Resources"][name]["Properties"].get("Environment", {}).get("Variables", {}))
        for name in FUNCTIONS
    }
    assert own == {
        "GoogleAuthorizationFunction": {"ACTION_URL", "AUTHORIZATION_SERVER_URL", "TOKEN_URL"},
        "GoogleAuthenticationFunction": set(),
        "TestEndpointFunction": {"ACTION_URL", "AUTHORIZATION_SERVER_URL"},
    }


def test_each_function_may_read_that_one_secret_and_nothing_else(template):
    for name in FUNCTIONS:
        policies = template["Resources"][name]["Properties"]["Policies"]
        assert policies == [{"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": secret_arn(template)}}], (
            name
        )


def test_the_created_secret_is_json_with_exactly_the_secret_keys(template):
    # GIVEN the SecretString the template substitutes its NoEcho parameters into
    body, variables = template["Resources"]["AppSecret"]["Properties"]["SecretString"]["Fn::Sub"]
    names = [name for name in re.findall(r"\$\{(\w+)\}", body) if name not in variables]
    # WHEN parameter values are substituted (any value the parameters' patterns allow)
    sample = "x:/?&=%+@-._~"
    parsed = json.loads(re.sub(r"\$\{\w+\}", sample, body))
    # THEN it is one JSON object of the secret's keys, each from a NoEcho or plain parameter
    assert sorted(parsed) == sorted((*SECRET_KEYS, *OPTIONAL_SECRET_KEYS))
    assert set(names) == {
        "GoogleClientId",
        "GoogleClientSecret",
        "GptClientId",
        "GptClientSecret",
        "MongoDbUri",
    }
    assert variables["Keys"]["Fn::If"][2] == {"Ref": "TokenEncryptionKeys"}
    assert variables["HashKeys"]["Fn::If"][2] == {"Ref": "TokenHashKeys"}
    for name in [*names, "TokenEncryptionKeys", "TokenHashKeys"]:
        assert re.fullmatch(template["Parameters"][name]["AllowedPattern"], 'bad"quote') is None, name


ONE_HOST_NAME = {
    "Fn::If": ["CustomDomain", {"Ref": "DomainName"}, {"Fn::GetAtt": ["Distribution", "DomainName"]}]
}


def test_google_s_callback_is_the_same_in_the_functions_and_the_output(template):
    env = template["Globals"]["Function"]["Environment"]["Variables"]["GOOGLE_REDIRECT_URI"]["Fn::If"]
    output = template["Outputs"]["GoogleRedirectUri"]["Value"]["Fn::If"]
    assert env[1] == output[1] == {"Ref": "GoogleRedirectUri"}
    # GIVEN one host: the output is /authorize/callback on DomainName, else on the distribution's name
    assert output[2]["Fn::If"][0] == "OneHost"
    assert output[2]["Fn::If"][1]["Fn::Sub"] == [
        "https://${Host}/authorize/callback",
        {"Host": ONE_HOST_NAME},
    ]
    # THEN the functions are told the same on DomainName, and on the distribution's own name (which
    # the template cannot give them without a cycle) build it from the path function's header:
    # https://<distributionDomainName>/authorize, plus /callback (test_origin_header)
    assert env[2]["Fn::If"] == [
        "CustomDomain",
        {"Fn::Sub": "https://${DomainName}/authorize/callback"},
        "",
    ]
    path_function = template["Resources"]["PathRouter"]["Properties"]["FunctionCode"]
    assert "'https://' + event.context.distributionDomainName + '/' + match[1]" in path_function


def test_every_one_host_url_output_is_on_the_same_host(template):
    expected = {
        "AuthorizationUrl": "https://${Host}/authorize",
        "TokenUrl": "https://${Host}/token",
        "ActionUrl": "https://${Host}/hello",
        "McpUrl": "https://${Host}/hello/mcp",
        "PrivacyPolicyUrl": "https://${Host}/authorize/privacy",
    }
    for name, url in expected.items():
        condition_name, one_host, three_hosts = template["Outputs"][name]["Value"]["Fn::If"]
        assert condition_name == "OneHost", name
        assert one_host["Fn::Sub"] == [url, {"Host": ONE_HOST_NAME}], name
        assert "FunctionUrl" in json.dumps(three_hosts), name


def test_mcp_s_urls_in_testendpoint_are_the_outputs(template):
    # GIVEN testEndpoint's settings for /mcp and the outputs the builder reads
    env = template["Resources"]["TestEndpointFunction"]["Properties"]["Environment"]["Variables"]
    # THEN the issuer is googleAuthorization's base: /authorize on the one host (the output's path,
    # resolved against testEndpoint's host), its Function URL with three
    one_host, three = env["AUTHORIZATION_SERVER_URL"]["Fn::If"][1:]
    assert env["AUTHORIZATION_SERVER_URL"]["Fn::If"][0] == "OneHost"
    assert (
        "https://${Host}" + one_host
        == template["Outputs"]["AuthorizationUrl"]["Value"]["Fn::If"][1]["Fn::Sub"][0]
    )
    assert three == template["Outputs"]["AuthorizationUrl"]["Value"]["Fn::If"][2]
    # AND on DomainName, testEndpoint is told its public URL (the path function names the
    # distribution's own), the ActionUrl output, whose /mcp is the McpUrl output
    assert env["ACTION_URL"]["Fn::If"] == ["CustomDomain", {"Fn::Sub": "https://${DomainName}/hello"}, ""]
    assert template["Outputs"]["McpUrl"]["Value"]["Fn::If"][2] == {
        "Fn::Sub": "${TestEndpointFunctionUrl.FunctionUrl}mcp"
    }


def test_outputs_give_everything_the_gpt_editor_and_google_need(template):
    assert {
        "AuthorizationUrl",
        "TokenUrl",
        "ActionUrl",
        "GoogleRedirectUri",
        "GptClientId",
        "GptScope",
        "GptTokenExchangeMethod",
        "AppSecretArn",
        "GoogleAuthorizationFunctionUrl",
        "GoogleAuthenticationFunctionUrl",
        "TestEndpointFunctionUrl",
    } <= set(template["Outputs"])
    hidden = {name for name, spec in template["Parameters"].items() if spec.get("NoEcho")}
    for name, output in template["Outputs"].items():
        text = json.dumps(output["Value"])
        assert not any(f'"Ref": "{p}"' in text or "${" + p + "}" in text for p in hidden), name


def test_each_path_pattern_reaches_its_function(template):
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    origin_of = {
        origin["Id"]: origin["DomainName"]["Fn::Select"][1]["Fn::Split"][1]["Fn::GetAtt"][0]
        for origin in config["Origins"]
    }
    routes = {b["PathPattern"]: origin_of[b["TargetOriginId"]] for b in config["CacheBehaviors"]}
    routes["*"] = origin_of[config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert routes == {
        "/authorize*": "GoogleAuthorizationFunctionUrl",
        "/token*": "GoogleAuthenticationFunctionUrl",
        # the issuer's metadata at the host's root, under both names (test_cloudfront_function)
        server_metadata.OAUTH_WELL_KNOWN + "*": "GoogleAuthorizationFunctionUrl",
        server_metadata.OPENID_WELL_KNOWN + "*": "GoogleAuthorizationFunctionUrl",
        "*": "TestEndpointFunctionUrl",  # /hello, /mcp's metadata; the path function 404s the rest
    }
    for behavior in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert (
            behavior["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
        )  # AllViewerExceptHost
        assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
        assert behavior["FunctionAssociations"][0]["EventType"] == "viewer-request"


def _references(value, names):
    text = json.dumps(value)
    # a Ref or GetAtt names it as a JSON string; a Sub as ${name...}
    return {name for name in names if f'"{name}"' in text or "${" + name in text}


def test_the_one_host_part_exists_only_with_hosts_one(template):
    # GIVEN the resources of the template and the one-host inputs
    resources = template["Resources"]
    one_host = {name for name, spec in resources.items() if spec.get("Condition") == "OneHost"}
    inputs = {"Hosts", "DomainName", "CertificateArn", *one_host}
    # THEN every resource that reads DomainName, CertificateArn or a one-host resource is itself
    # one-host (outputs and the functions' settings choose with !If instead)
    for name, spec in resources.items():
        if name not in one_host:
            properties = {k: v for k, v in spec.get("Properties", {}).items() if k != "Environment"}
            assert not _references(properties, inputs), name
    assert {"PathRouter", "Distribution"} <= one_host
    assert template["Outputs"]["CloudFrontDomainName"]["Condition"] == "OneHost"


@pytest.mark.parametrize(
    ("variable", "condition", "resource", "parameter"),
    [
        ("Keys", "GenerateTokenKey", "TokenEncryptionKey", "TokenEncryptionKeys"),
        ("HashKeys", "GenerateHashKey", "TokenHashKey", "TokenHashKeys"),
    ],
)
def test_each_generated_key_is_a_256_bit_key_the_settings_accept(
    template, variable, condition, resource, parameter
):
    # GIVEN the key the stack generates when its parameter is empty
    keys = template["Resources"]["AppSecret"]["Properties"]["SecretString"]["Fn::Sub"][1][variable]["Fn::If"]
    assert keys[0] == condition
    entry = keys[1]["Fn::Sub"]
    assert entry == f"generated:{{{{resolve:secretsmanager:${{{resource}}}}}}}"
    generated = template["Resources"][resource]
    assert generated["Condition"] == condition
    spec = generated["Properties"]["GenerateSecretString"]
    assert spec == {"PasswordLength": 43, "ExcludePunctuation": True, "IncludeSpace": False}
    # WHEN Secrets Manager fills it (43 letters and digits)
    import secrets
    import string

    value = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(43))
    # THEN the settings read it as one 32-byte key with the id "generated"
    ring = parse_key_ring(entry.replace(f"{{{{resolve:secretsmanager:${{{resource}}}}}}}", value))
    assert ring.current_id == "generated" and len(ring.keys[0][1]) == 32
    # AND a key given as a parameter passes the parameter's pattern
    pattern = template["Parameters"][parameter]["AllowedPattern"]
    assert re.fullmatch(pattern, f"{new_key_entry('k2')},{new_key_entry('k1')}")


def test_the_functions_ask_google_for_the_scopes_parameter(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["GOOGLE_SCOPES"] == {"Ref": "GoogleScopes"}
    spec = template["Parameters"]["GoogleScopes"]
    # the default covers every declared action, so the GptScope output the builder pastes does
    assert spec["Default"].split() == list(gpt_scope()), "add the declared actions' scopes to its Default"
    for good in (spec["Default"], "openid email https://www.googleapis.com/auth/calendar.readonly"):
        assert re.fullmatch(spec["AllowedPattern"], good), good
    for bad in ('openid "x"', "openid  email", ""):
        assert not re.fullmatch(spec["AllowedPattern"], bad), bad


def _dependencies(template):
    """Each resource's dependencies as CloudFormation will see them after SAM's transform.

    SAM merges Globals.Function into every function and makes ``<Function>Url`` (the Function URL),
    which depends on its function; every reference counts, in either branch of an ``!If``.
    """
    resources = template["Resources"]
    names = set(resources) | {
        f"{name}Url" for name, spec in resources.items() if "FunctionUrlConfig" in spec.get("Properties", {})
    }
    found: dict[str, set[str]] = {}
    for name, spec in resources.items():
        body = [spec.get("Properties", {}), spec.get("DependsOn", [])]
        if spec["Type"] == "AWS::Serverless::Function":
            body.append(template["Globals"]["Function"])
        text = json.dumps(body)
        found[name] = {
            other
            for other in names
            if f'"Ref": "{other}"' in text
            or f'"Fn::GetAtt": ["{other}"' in text
            or re.search(r"\$\{" + other + r"[.}]", text)
        } - {name}
        if f"{name}Url" in names:
            found[f"{name}Url"] = {name}
    return found


def _cycle(graph):
    """A dependency cycle as a list of names, or None."""
    state: dict[str, str] = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path, node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, node])):
                return found
        state[node] = "done"
        return None

    return next((c for node in sorted(graph) if node not in state and (c := visit(node, []))), None)


def test_the_functions_learn_the_one_host_without_a_dependency_cycle(template):
    # GIVEN the template's resources and SAM's Function URLs
    graph = _dependencies(template)
    assert {
        f"{name}FunctionUrl" for name in ("GoogleAuthorization", "GoogleAuthentication", "TestEndpoint")
    } <= graph["Distribution"]
    # THEN CloudFormation can order them (the distribution after the functions' URLs)
    assert _cycle(graph) is None
    # AND naming the distribution's host in the functions' settings, the obvious way, would be a cycle
    cyclic = json.loads(json.dumps(template))
    cyclic["Globals"]["Function"]["Environment"]["Variables"]["GOOGLE_REDIRECT_URI"] = {
        "Fn::Sub": "https://${Distribution.DomainName}/authorize/callback"
    }
    cycle = _cycle(_dependencies(cyclic)) or []
    assert "Distribution" in cycle and any(name.endswith("Function") for name in cycle), cycle
