"""The one-host CloudFront function's JavaScript, run by node on the paths it routes, and MCP's
discovery through it and the cache behaviours to the real handlers."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

import pytest

from functions.google_authorization import app as authorization_app
from functions.test_endpoint import app as action_app
from tests.support.events import load_event
from tests.support.stack import DISTRIBUTION, ORIGIN_SECRET, STACKS

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="node runs the CloudFront function's JavaScript"
)
HOST = f"https://{DISTRIBUTION}"


def path_function(template: dict[str, Any], uris: list[str]) -> dict[str, dict[str, Any]]:
    """What the deployed path function makes of a viewer request to each URI, whose headers
    try to spoof ``X-Public-Url``."""
    code = template["Resources"]["PathRouter"]["Properties"]["FunctionCode"]
    runner = (
        code
        + "\nconst uris = JSON.parse(process.argv[1]);"
        + f"\nconst context = {{distributionDomainName: '{DISTRIBUTION}'}};"
        + "\nconst spoofed = () => ({'x-public-url': {value: 'https://evil.example'}});"
        + "\nconst viewer = u => ({request: {uri: u, querystring: {}, headers: spoofed()}, context});"
        + "\nconsole.log(JSON.stringify(uris.map(u => handler(viewer(u)))));"
    )
    out = subprocess.run(["node", "-e", runner, json.dumps(uris)], capture_output=True, text=True, check=True)
    return dict(zip(uris, json.loads(out.stdout), strict=True))


def test_the_path_function_strips_the_prefix_the_handlers_do_not_know(template):
    uris = [
        "/authorize",
        "/authorize/",
        "/authorize/callback",
        "/authorize/.well-known/openid-configuration",
        "/token",
        "/hello",
        "/hello/",
        "/.well-known/oauth-protected-resource/hello/mcp",
        "/.well-known/oauth-authorization-server/authorize",
        "/.well-known/openid-configuration/authorize",
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource/authorize/mcp",
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/hello",
        "/.well-known/openid-configuration/token",
        "/.well-known/oauth-authorization-server/authorizex",
        "/.well-known/unknown/authorize",
        "/",
        "/authorizex",
        "/x",
    ]
    # WHEN it handles viewer requests
    results = path_function(template, uris)
    # THEN known prefixes are stripped to the paths the handlers route, the rest answer 404
    assert {u: r["uri"] for u, r in results.items() if "uri" in r} == {
        "/authorize": "/",
        "/authorize/": "/",
        "/authorize/callback": "/callback",
        "/authorize/.well-known/openid-configuration": "/.well-known/openid-configuration",
        "/token": "/",
        "/hello": "/",
        "/hello/": "/",
        "/.well-known/oauth-protected-resource/hello/mcp": "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server/authorize": "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration/authorize": "/.well-known/openid-configuration",
    }
    # AND each routed request tells its function where its / is publicly, whatever the viewer sent
    assert {u: r["headers"]["x-public-url"]["value"] for u, r in results.items() if "uri" in r} == {
        "/authorize": f"{HOST}/authorize",
        "/authorize/": f"{HOST}/authorize",
        "/authorize/callback": f"{HOST}/authorize",
        "/authorize/.well-known/openid-configuration": f"{HOST}/authorize",
        "/token": f"{HOST}/token",
        "/hello": f"{HOST}/hello",
        "/hello/": f"{HOST}/hello",
        "/.well-known/oauth-protected-resource/hello/mcp": f"{HOST}/hello",
        "/.well-known/oauth-authorization-server/authorize": f"{HOST}/authorize",
        "/.well-known/openid-configuration/authorize": f"{HOST}/authorize",
    }
    # AND a well-known name with another function's prefix, or none, is not found
    for uri, result in results.items():
        if "uri" not in result:
            assert result["statusCode"] == 404, uri
            assert json.loads(result["body"]["data"])["error"] == "not_found"


def origin_handler(template: dict[str, Any], path: str) -> Any:
    """The handler of the origin CloudFront picks for ``path``: the first matching behaviour's."""
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    origin = next(
        (b["TargetOriginId"] for b in config["CacheBehaviors"] if fnmatchcase(path, b["PathPattern"])),
        config["DefaultCacheBehavior"]["TargetOriginId"],
    )
    return {"authorization": authorization_app.lambda_handler, "action": action_app.lambda_handler}[origin]


def through_cloudfront(template: dict[str, Any], url: str, lambda_context: Any, method: str = "GET") -> dict:
    """A viewer request to ``url`` on the one host, as the distribution hands it to a function."""
    path = urlsplit(url).path
    routed = path_function(template, [path])[path]
    if "uri" not in routed:
        return {"statusCode": routed["statusCode"], "headers": {}, "body": routed["body"]["data"]}
    event = load_event("test_endpoint_no_token")
    event["rawPath"] = event["requestContext"]["http"]["path"] = routed["uri"]
    event["requestContext"]["http"]["method"] = method
    event["headers"].update({name: header["value"] for name, header in routed["headers"].items()})
    event["headers"]["x-origin-verify"] = ORIGIN_SECRET
    return origin_handler(template, path)(event, lambda_context)


def test_an_mcp_client_discovers_the_issuer_through_the_one_host(template, configure, lambda_context):
    import httpx2
    from mcp.client.auth import utils

    # GIVEN the one host, each function with the template's settings (one process: both at once)
    stack = STACKS[1]
    configure(**stack.environment(template, "TestEndpointFunction"))
    configure(TOKEN_URL=stack.environment(template, "GoogleAuthorizationFunction")["TOKEN_URL"])
    mcp_url = stack.value(template["Outputs"]["McpUrl"]["Value"])
    # WHEN an MCP client posts to /mcp without a token
    challenge = through_cloudfront(template, mcp_url, lambda_context, "POST")
    assert challenge["statusCode"] == 401
    metadata_url = challenge["headers"]["WWW-Authenticate"].split('resource_metadata="')[1].split('"')[0]
    # AND follows the challenge to /mcp's metadata (RFC 9728), at the host's root
    resource = json.loads(through_cloudfront(template, metadata_url, lambda_context)["body"])
    (issuer,) = resource["authorization_servers"]
    # THEN every URL the SDK tries for that issuer, in its order, answers the metadata of that issuer
    urls = utils.build_oauth_authorization_server_metadata_discovery_urls(issuer, mcp_url)
    assert urls == [
        f"{HOST}/.well-known/oauth-authorization-server/authorize",
        f"{HOST}/.well-known/openid-configuration/authorize",
        f"{HOST}/authorize/.well-known/openid-configuration",
    ]
    for url in urls:
        answer = through_cloudfront(template, url, lambda_context)
        assert answer["statusCode"] == 200, (url, answer["body"])
        document = json.loads(answer["body"])
        assert document["issuer"] == issuer == f"{HOST}/authorize"
        assert document["token_endpoint"] == stack.value(template["Outputs"]["TokenUrl"]["Value"])
        # AND the SDK accepts it as the metadata of the issuer it expected
        response = httpx2.Response(answer["statusCode"], content=answer["body"].encode())
        ok, parsed = asyncio.run(utils.handle_auth_metadata_response(response))
        assert ok and parsed is not None
        utils.validate_metadata_issuer(parsed, issuer)
