"""``make dev`` (``python -m localdev.dev``): starts, prints what a newcomer needs, answers, stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from gpt_auth.runtime.settings import DEFAULT_REDIRECT_PATTERNS, load_settings
from localdev.dev import (
    LOCAL_GPT_CLIENT_SECRET,
    SIMULATOR_LINE,
    LocalUrls,
    local_manifest,
    local_settings,
    read_port,
)
from localdev.manifest import SCHEME_NAME, manifest_problems
from localdev.nx_server import free_port
from tests.support.config import TEST_SETTINGS
from tests.support.paths import ROOT

SETTING_NAMES = (
    *TEST_SETTINGS,
    "APP_SECRET_ARN",
    "OIDC_ISSUER",
    "GOOGLE_REDIRECT_URI",
    "ALLOWED_REDIRECT_URIS",
    "PORT",
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a newcomer's shell: none of our settings, no .env, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    return {**env, "ENV_FILE": "/dev/null", **extra}


@contextmanager
def make_dev(**env: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m localdev.dev`` on a free port until its banner is out: (process, banner)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "localdev.dev"],
        cwd=ROOT,
        env=clean_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith(SIMULATOR_LINE):
                break
        banner = "".join(lines)
        assert SIMULATOR_LINE in banner, f"no banner; stderr: {proc.stderr.read() if proc.poll() else ''}"
        yield proc, banner
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=15)
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_make_dev_serves_the_functions_and_stops_cleanly(sig):
    port = free_port()
    # GIVEN make dev started on a free port
    with make_dev(PORT=str(port)) as (proc, banner):
        base = f"http://127.0.0.1:{port}"
        # THEN the banner lists every local URL and the GPT's OAuth values
        for url in (
            f"{base}/googleAuthorization/",
            f"{base}/googleAuthentication/",
            f"{base}/testEndpoint/",
            f"{base}/googleAuthorization/callback",
        ):
            assert url in banner
        issuer = re.search(r"Google stand-in \(oidc-provider-mock\): (http://127\.0\.0\.1:\d+)", banner)
        assert issuer, banner
        assert "local-gpt-client" in banner
        assert LOCAL_GPT_CLIENT_SECRET in banner
        # AND the functions and the stand-in answer
        refused = requests.post(f"{base}/testEndpoint/", json={"name": "Ada"}, timeout=10)
        assert refused.status_code == 401
        assert f"{SIMULATOR_LINE}{base}/" in banner
        simulator = requests.get(f"{base}/", timeout=10)
        assert simulator.status_code == 200 and "<h1>GPT simulator</h1>" in simulator.text
        assert requests.get(f"{base}/nothing-here", timeout=10).status_code == 404
        discovery = requests.get(f"{issuer.group(1)}/.well-known/openid-configuration", timeout=10)
        assert discovery.json()["issuer"] == issuer.group(1)
        # AND the MCP endpoint is printed on one line, answers 401 naming its metadata, which is
        # served at the root as RFC 9728 places it; the banner still fits a screen
        mcp = f"{base}/testEndpoint/mcp"
        assert [line for line in banner.splitlines() if mcp in line] == [
            f"MCP endpoint (the actions as tools; docs/mcp.md): {mcp}"
        ]
        assert len(banner.strip().splitlines()) < 30
        challenge = requests.post(mcp, json={}, timeout=10).headers["WWW-Authenticate"]
        metadata_url = f"{base}/.well-known/oauth-protected-resource/testEndpoint/mcp"
        assert f'resource_metadata="{metadata_url}"' in challenge
        metadata = requests.get(metadata_url, timeout=10).json()
        assert metadata["resource"] == mcp
        assert metadata["authorization_servers"] == [f"{base}/googleAuthorization"]
        # WHEN it is stopped
        code, out, err = stop(proc, sig)
    # THEN it exits 0, without a traceback, and the port is free again
    assert code == 0, err
    assert "Traceback" not in err
    assert "Stopped." in out
    with socket.socket() as probe:
        # SO_REUSEADDR: connections of the test itself may linger in TIME_WAIT; a listener would not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def test_make_dev_honours_gpt_credentials_and_never_prints_the_secret():
    secret = "my-own-gpt-secret-0123456789"
    with make_dev(PORT="0", GPT_CLIENT_ID="my-gpt", GPT_CLIENT_SECRET=secret) as (proc, banner):
        code, out, err = stop(proc, signal.SIGINT)
    assert "Client ID:             my-gpt\n" in banner
    assert "(from GPT_CLIENT_SECRET)" in banner
    assert secret not in banner + out + err
    assert code == 0


def test_make_dev_reads_a_dotenv_file_under_the_environment(tmp_path):
    # GIVEN a .env with a GPT client, and the environment setting another client secret
    dotenv = tmp_path / ".env"
    dotenv.write_text("GPT_CLIENT_ID=from-dotenv\nGPT_CLIENT_SECRET=dotenv-secret-0123456789\n")
    env = {"PORT": "0", "ENV_FILE": str(dotenv), "GPT_CLIENT_SECRET": "environment-secret-0123456789"}
    # WHEN make dev starts
    with make_dev(**env) as (proc, banner):
        stop(proc, signal.SIGINT)
    # THEN the file's client id is used, and the environment's secret won (never printed)
    assert "Client ID:             from-dotenv\n" in banner
    assert "dotenv-secret" not in banner and "environment-secret" not in banner


def test_make_dev_on_a_busy_port_says_so_and_exits_1():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "localdev.dev"],
            cwd=ROOT,
            env=clean_env(PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "PORT=" in result.stderr
    assert "Traceback" not in result.stderr


def test_make_dev_refuses_a_malformed_setting_by_name():
    result = subprocess.run(
        [sys.executable, "-m", "localdev.dev"],
        cwd=ROOT,
        env=clean_env(PORT="0", MONGODB_URI="postgres://nope"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "MONGODB_URI" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("raw", "port"), [("", 3000), ("8080", 8080), ("0", 0)])
def test_port_comes_from_the_environment(raw, port):
    assert read_port({"PORT": raw}) == port


@pytest.mark.parametrize("raw", ["abc", "-1", "70000"])
def test_malformed_port_is_refused(raw):
    with pytest.raises(Exception, match="PORT must be a port number"):
        read_port({"PORT": raw})


def test_local_settings_allow_chatgpt_and_the_simulator_callback_only():
    # GIVEN make dev's settings for port 3000
    urls = LocalUrls("http://127.0.0.1:3000")
    settings = load_settings(local_settings({}, urls, "http://127.0.0.1:9999"))
    allowed = settings.allowed_redirect_uris

    def accepted(uri: str) -> bool:
        return any(p.fullmatch(uri) for p in allowed)

    # THEN ChatGPT's two callback shapes and the simulator's local callback are allowed
    assert [p.pattern for p in allowed[:2]] == list(DEFAULT_REDIRECT_PATTERNS)
    assert accepted("https://chatgpt.com/aip/g-abc123/oauth/callback")
    assert accepted("https://chat.openai.com/aip/g-abc123/oauth/callback")
    assert accepted("http://127.0.0.1:3000/simulator/callback")
    # AND the simulator pattern is literal: no regex wildcard sneaks in through the dots
    assert not accepted("http://127x0.0.1:3000/simulator/callback")
    assert not accepted("http://127.0.0.1:3001/simulator/callback")
    assert settings.oidc_issuer == "http://127.0.0.1:9999"
    assert settings.google_redirect_uri == "http://127.0.0.1:3000/googleAuthorization/callback"
    assert settings.gpt_client_id == "local-gpt-client"
    assert settings.embedded_store


def test_local_settings_keep_an_own_allowlist_and_credentials():
    urls = LocalUrls("http://127.0.0.1:3000")
    env = {
        "ALLOWED_REDIRECT_URIS": r"https://example\.com/cb",
        "GPT_CLIENT_ID": "mine",
        "GPT_CLIENT_SECRET": "mine-secret-0123456789",
    }
    values = local_settings(env, urls, "http://127.0.0.1:9999")
    assert (
        values["ALLOWED_REDIRECT_URIS"]
        == r"https://example\.com/cb http://127\.0\.0\.1:3000/simulator/callback"
    )
    assert values["GPT_CLIENT_ID"] == "mine"
    assert values["GPT_CLIENT_SECRET"] == "mine-secret-0123456789"


def test_local_manifest_points_the_oauth_flow_at_the_local_urls():
    urls = LocalUrls("http://127.0.0.1:3000")
    manifest = local_manifest(urls)
    assert manifest_problems(manifest, local=True) == []
    assert manifest["servers"] == [{"url": "http://127.0.0.1:3000/testEndpoint"}]
    flow = manifest["components"]["securitySchemes"][SCHEME_NAME]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "http://127.0.0.1:3000/googleAuthorization/"
    assert flow["tokenUrl"] == "http://127.0.0.1:3000/googleAuthentication/"
    operation = manifest["paths"]["/"]["post"]
    assert operation["operationId"] == "getHello"
