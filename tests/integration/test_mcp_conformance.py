"""The official MCP conformance suite (``@modelcontextprotocol/conformance``, pinned in tests/node,
run with its Node 22) on the Function URL emulator. Against testEndpoint's /mcp: the server
scenarios that apply to a tools-only, stateless server (0.1.16), and 0.2.0-alpha's tools-list,
which also checks every message /mcp sent against the spec's JSON schema. The suite's client
cannot send a token, so a loopback proxy puts a seeded /mcp token in front of it
(``tests.support.mcp_clients``). Against our authorization server: 0.2.0-alpha's two scenarios,
the metadata and a public client's authorization code grant, the person's browser played by the
test."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gpt_auth.oauth import server_metadata
from localdev.emulator import serve_in_thread
from tests.integration.person import Person
from tests.support.mcp_clients import (
    CONFORMANCE,
    CONFORMANCE_NEXT,
    bearer_proxy,
    bound_token,
    node22,
)

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
    url: str, scenario: str, output: Path, suite: Path = CONFORMANCE
) -> tuple[subprocess.CompletedProcess[str], Any]:
    """The suite's exit, output and checks (its checks.json) for one scenario against ``url``."""
    ran = subprocess.run(
        [str(node22()), str(suite), "server", "--url", url, "--scenario", scenario, "-o", str(output)],
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


def run_authorization_suite(issuer: str, mcp_url: str, output: Path) -> tuple[int, str, Any]:
    """The authorization suite's two scenarios, in its order, against ``issuer``, for a client
    registered here first, the person's browser played by ``Person``: its exit status, its output
    and its checks by id."""
    metadata = requests.get(
        server_metadata.well_known_url(issuer, server_metadata.OAUTH_WELL_KNOWN), timeout=10
    )
    with socket.socket() as probe:  # a free port for the suite's callback server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    callback = f"http://127.0.0.1:{port}/callback"
    registered = requests.post(
        metadata.json()["registration_endpoint"],
        json={"client_name": "MCP conformance suite", "redirect_uris": [callback]},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    command = [str(node22()), str(CONFORMANCE_NEXT), "authorization", "--url", issuer, "-o", str(output)]
    command += ["--client-id", registered.json()["client_id"], "--resource", mcp_url, "--port", str(port)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=output
    ) as suite:
        watchdog = threading.Timer(60, suite.kill)
        watchdog.start()
        try:
            shown: list[str] = []  # what it printed, line by line

            def read_until(prefix: str) -> str:
                while not (line := suite.stdout.readline() if suite.stdout else "").startswith(prefix):
                    assert line, "".join(shown) + suite.communicate()[1]
                    shown.append(line)
                shown.append(line)
                return line.strip()

            # the person's browser opens the URL it prints, allows, signs in at the stand-in
            back = Person(callback).sign_in(read_until(metadata.json()["authorization_endpoint"] + "?"))
            # and, once the suite listens, reaches its callback
            read_until("Callback server started")
            assert requests.get(back, timeout=10).status_code == 200
            out, err = suite.communicate()
        finally:
            watchdog.cancel()
    checks = {
        check["id"]: check for found in output.rglob("checks.json") for check in json.loads(found.read_text())
    }
    return suite.returncode, "".join(shown) + out + err, checks


def test_the_authorization_server_scenarios_pass(mcp_url, tmp_path):
    # GIVEN the issuer as an MCP client learns it: /mcp's resource metadata names it
    challenge = requests.post(mcp_url, json={}, timeout=10).headers["WWW-Authenticate"]
    metadata_url = re.search(r'resource_metadata="([^"]+)"', challenge)
    assert metadata_url, challenge
    issuer = requests.get(metadata_url[1], timeout=10).json()["authorization_servers"][0]
    # WHEN the suite checks the issuer's metadata, then signs in with PKCE and the resource and
    # redeems the code as a public client
    status, output, checks = run_authorization_suite(issuer, mcp_url, tmp_path)
    statuses = {name: check["status"] for name, check in checks.items()}
    # THEN the metadata passed (issuer equal to the URL, endpoints, code, S256), and the grant did
    # (state, code and iss on the redirect back; 200, JSON, no-store and a bearer token)
    assert statuses.pop("authorization-server-metadata") == "SUCCESS", output
    assert statuses.pop("authorization-code-grant") == "SUCCESS", output
    # AND Client ID Metadata Documents only warn, as long as the document does not advertise them
    served = checks["authorization-server-metadata"]["details"]["body"]
    advertised = served.get("client_id_metadata_document_supported") is True
    assert statuses == {"authorization-server-metadata-cimd": "SUCCESS" if advertised else "WARNING"}
    assert status == 0, output
