"""The official MCP conformance suite (``@modelcontextprotocol/conformance``, pinned in tests/node,
run with its Node 22) on the Function URL emulator. Against testEndpoint's /mcp: the server
scenarios that apply to a tools-only, stateless server (0.1.16), and 0.2.0-alpha's tools-list,
which also checks every message /mcp sent against the spec's JSON schema. The suite's client
cannot send a token, so a loopback proxy puts a seeded /mcp token in front of it
(``tests.support.mcp_clients``). Against our authorization server: 0.2.0-alpha's metadata
scenario."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localdev.emulator import serve_in_thread
from tests.support.mcp_clients import CONFORMANCE, CONFORMANCE_NEXT, bearer_proxy, bound_token, node22

# Each scenario with the checks it makes. The rest need what /mcp does not offer (prompts,
# resources, logging, streams, sampling, tools named by the suite).
SCENARIOS = [
    pytest.param(CONFORMANCE, "server-initialize", {"server-initialize"}, id="server-initialize"),
    pytest.param(CONFORMANCE, "ping", {"ping"}, id="ping"),
    pytest.param(CONFORMANCE, "tools-list", {"tools-list"}, id="tools-list"),
    pytest.param(
        CONFORMANCE,
        "dns-rebinding-protection",
        {"localhost-host-rebinding-rejected", "localhost-host-valid-accepted"},
        id="dns-rebinding-protection",
    ),
    # 0.2.0-alpha adds wire-schema-valid (initialize's and tools/list's answers, every tool's
    # schemas included, against the spec's JSON schema) and tools-name-format
    pytest.param(
        CONFORMANCE_NEXT,
        "tools-list",
        {"tools-list", "tools-name-format", "wire-schema-valid"},
        id="0.2.0-alpha-tools-list",
    ),
]


@pytest.fixture
def proxied_mcp(mcp_url: str, emulator: str) -> Iterator[str]:
    """/mcp behind a proxy on another loopback port that adds a bearer token bound to /mcp."""
    with serve_in_thread(bearer_proxy(emulator, bound_token(mcp_url))) as proxy:
        yield f"http://127.0.0.1:{proxy.server_port}/testEndpoint/mcp"


def run_scenario(
    url: str, scenario: str, output: Path, suite: Path = CONFORMANCE, role: str = "server"
) -> tuple[subprocess.CompletedProcess[str], Any]:
    """The suite's exit, output and checks (its checks.json) for one scenario against ``url``."""
    ran = subprocess.run(
        [str(node22()), str(suite), role, "--url", url, "--scenario", scenario, "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=output,
    )
    found = list(output.rglob("checks.json"))
    assert len(found) == 1, f"the suite saved no results:\n{ran.stdout}\n{ran.stderr}"
    return ran, json.loads(found[0].read_text())


@pytest.mark.parametrize(("suite", "scenario", "made"), SCENARIOS)
def test_the_conformance_suite_scenario_passes(proxied_mcp, tmp_path, suite, scenario, made):
    ran, checks = run_scenario(proxied_mcp, scenario, tmp_path, suite)
    # THEN each of the scenario's checks passed, none only warned, and the suite says so
    statuses = {check["id"]: check["status"] for check in checks}
    assert statuses == dict.fromkeys(made, "SUCCESS"), f"{statuses}\n{ran.stdout}\n{ran.stderr}"
    assert ran.returncode == 0, f"{ran.stdout}\n{ran.stderr}"


def test_without_the_token_the_suite_fails_to_initialize(mcp_url, tmp_path):
    # The suite's client straight at /mcp, no proxy: the 401 stops the handshake, and the suite
    # reports the failure (so the passing runs above went through the token)
    ran, checks = run_scenario(mcp_url, "server-initialize", tmp_path)
    assert [check["status"] for check in checks] == ["FAILURE"]
    assert "invalid_token" in checks[0]["errorMessage"]
    assert ran.returncode == 1


def test_the_authorization_server_metadata_scenario_passes(mcp_url, tmp_path):
    # GIVEN the issuer as an MCP client learns it: /mcp's resource metadata names it
    challenge = requests.post(mcp_url, json={}, timeout=10).headers["WWW-Authenticate"]
    metadata_url = re.search(r'resource_metadata="([^"]+)"', challenge)
    assert metadata_url, challenge
    issuer = requests.get(metadata_url[1], timeout=10).json()["authorization_servers"][0]
    # WHEN the suite looks up the issuer's metadata (RFC 8414, path-inserted URL first)
    ran, checks = run_scenario(
        issuer, "authorization-server-metadata-endpoint", tmp_path, CONFORMANCE_NEXT, "authorization"
    )
    statuses = {check["id"]: check["status"] for check in checks}
    # THEN the document passed: issuer equal to the URL, endpoints, code, S256
    assert statuses.pop("authorization-server-metadata") == "SUCCESS", f"{ran.stdout}\n{ran.stderr}"
    # AND Client ID Metadata Documents only warn, as long as the document does not advertise them
    served = checks[0]["details"]["body"]
    advertised = served.get("client_id_metadata_document_supported") is True
    assert statuses == {"authorization-server-metadata-cimd": "SUCCESS" if advertised else "WARNING"}
    assert ran.returncode == 0, f"{ran.stdout}\n{ran.stderr}"
