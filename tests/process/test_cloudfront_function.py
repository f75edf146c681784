"""The one-host CloudFront function's JavaScript, run by node on the paths it routes."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the CloudFront function's JavaScript")
def test_the_path_function_strips_the_prefix_the_handlers_do_not_know(template):
    # GIVEN the CloudFront function's code as deployed
    code = template["Resources"]["PathRouter"]["Properties"]["FunctionCode"]
    uris = [
        "/authorize",
        "/authorize/",
        "/authorize/callback",
        "/token",
        "/hello",
        "/hello/",
        "/.well-known/oauth-protected-resource/hello/mcp",
        "/.well-known/oauth-protected-resource/mcp",
        "/",
        "/authorizex",
        "/x",
    ]
    runner = (
        code
        + "\nconst uris = JSON.parse(process.argv[1]);"
        + "\nconst context = {distributionDomainName: 'd111111abcdef8.cloudfront.net'};"
        + "\nconst spoofed = () => ({'x-public-url': {value: 'https://evil.example'}});"
        + "\nconst viewer = u => ({request: {uri: u, querystring: {}, headers: spoofed()}, context});"
        + "\nconsole.log(JSON.stringify(uris.map(u => handler(viewer(u)))));"
    )
    # WHEN it handles viewer requests
    out = subprocess.run(["node", "-e", runner, json.dumps(uris)], capture_output=True, text=True, check=True)
    results = dict(zip(uris, json.loads(out.stdout), strict=True))
    # THEN known prefixes are stripped to the paths the handlers route, the rest answer 404
    assert {u: r["uri"] for u, r in results.items() if "uri" in r} == {
        "/authorize": "/",
        "/authorize/": "/",
        "/authorize/callback": "/callback",
        "/token": "/",
        "/hello": "/",
        "/hello/": "/",
        "/.well-known/oauth-protected-resource/hello/mcp": "/.well-known/oauth-protected-resource/mcp",
    }
    # AND each routed request tells its function where its / is publicly, whatever the viewer sent
    assert {u: r["headers"]["x-public-url"]["value"] for u, r in results.items() if "uri" in r} == {
        "/authorize": "https://d111111abcdef8.cloudfront.net/authorize",
        "/authorize/": "https://d111111abcdef8.cloudfront.net/authorize",
        "/authorize/callback": "https://d111111abcdef8.cloudfront.net/authorize",
        "/token": "https://d111111abcdef8.cloudfront.net/token",
        "/hello": "https://d111111abcdef8.cloudfront.net/hello",
        "/hello/": "https://d111111abcdef8.cloudfront.net/hello",
        "/.well-known/oauth-protected-resource/hello/mcp": "https://d111111abcdef8.cloudfront.net/hello",
    }
    for uri in ("/", "/authorizex", "/x", "/.well-known/oauth-protected-resource/mcp"):
        assert results[uri]["statusCode"] == 404
        assert json.loads(results[uri]["body"]["data"])["error"] == "not_found"
