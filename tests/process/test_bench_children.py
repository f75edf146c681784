"""The benchmark harness's child processes and provider stub (`make bench` runs outside `make test`)."""

from __future__ import annotations

import json
import sys
import urllib.request
from urllib.parse import urlencode

import jwt
import pytest

from benchmarks import run
from benchmarks.provider_stub import GOOGLE_ISSUER, ProviderStub
from benchmarks.scenarios import SETTINGS


def test_measured_child_reports_time_rss_and_result(tmp_path):
    # GIVEN a child that allocates about 30 MB and prints a result line
    code = "x = bytearray(30 * 2**20); print('BENCH_RESULT ' + '{\"status\": 200}')"
    # WHEN the harness runs it
    seconds, rss_mb, stdout = run.run_measured([sys.executable, "-c", code], {}, tmp_path)
    # THEN it has the wall time, a peak RSS that includes the allocation, and the result
    assert 0 < seconds < 30
    assert rss_mb > 30
    assert run.bench_result(stdout) == {"status": 200}


def test_failing_child_is_an_error_with_its_stderr(tmp_path):
    with pytest.raises(RuntimeError, match="boom"):
        run.run_measured([sys.executable, "-c", "raise SystemExit('boom')"], {}, tmp_path)


def test_provider_stub_signs_id_tokens_its_keys_verify():
    with ProviderStub() as stub:
        stub.nonces["code-1"] = "nonce-1"
        with urllib.request.urlopen(f"{stub.issuer}/.well-known/openid-configuration") as answer:
            discovery = json.load(answer)
        body = urlencode({"grant_type": "authorization_code", "code": "code-1"}).encode()
        with urllib.request.urlopen(discovery["token_endpoint"], data=body) as answer:
            id_token = json.load(answer)["id_token"]
        keys = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(id_token)
        claims = jwt.decode(id_token, keys.key, algorithms=["RS256"], audience=SETTINGS["GOOGLE_CLIENT_ID"])
        assert claims["iss"] == stub.issuer and claims["nonce"] == "nonce-1"
        with urllib.request.urlopen(f"{stub.issuer}/google/token", data=body) as answer:
            google_token = json.load(answer)["id_token"]
        assert jwt.decode(google_token, options={"verify_signature": False})["iss"] == GOOGLE_ISSUER


def test_floor_child_runs_one_find_one_against_a_real_server(tmp_path):
    # GIVEN the nx-27017 server and the harness's floor program
    from localdev.nx_server import NxServer

    with NxServer() as nx:
        env = run.base_env(nx.uri, {})
        # WHEN it runs as its own process
        _, rss_mb, stdout = run.run_measured([sys.executable, "-c", run.FLOOR_PYTHON], env, tmp_path)
    # THEN it reached the server and reported like the other subjects, with its own peak RSS
    result = run.bench_result(stdout)
    assert result["status"] == 200
    assert 0 < result["peak_rss_kb"] / 1024 <= rss_mb


def test_child_reports_its_own_peak_rss_not_the_harness_memory(tmp_path):
    # GIVEN a harness holding about 100 MB when it starts a small child
    held = bytearray(100 * 2**20)
    held[:: 2**12] = b"x" * len(held[:: 2**12])
    code = f"import json; print('BENCH_RESULT ' + json.dumps({{'peak_rss_kb': {run.PEAK_RSS_PYTHON}}}))"
    # WHEN the child runs
    _, ru_maxrss_mb, stdout = run.run_measured([sys.executable, "-c", code], {}, tmp_path)
    # THEN wait4's figure carries the harness's 100 MB, the child's own peak does not
    assert ru_maxrss_mb > 100
    assert run.bench_result(stdout)["peak_rss_kb"] / 1024 < 60
    del held


def test_provider_stub_refreshes_and_lists_events_only_for_its_own_tokens():
    from urllib.error import HTTPError

    from benchmarks.provider_stub import EVENTS_PATH

    with ProviderStub() as stub:
        # GIVEN a refresh grant answered by the stub
        body = urlencode({"grant_type": "refresh_token", "refresh_token": "r"}).encode()
        with urllib.request.urlopen(f"{stub.issuer}/token", data=body) as answer:
            refreshed = json.load(answer)
        assert stub.refreshes == 1 and "calendar.readonly" in refreshed["scope"]
        # THEN events.list answers that token's caller, and refuses any other token with a 401
        events = urllib.request.Request(
            f"{stub.environment()['GOOGLE_API_BASE']}{EVENTS_PATH}?maxResults=5",
            headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        )
        with urllib.request.urlopen(events) as answer:
            assert len(json.load(answer)["items"]) == 5
        events.headers["Authorization"] = "Bearer someone-else"
        with pytest.raises(HTTPError) as refused:
            urllib.request.urlopen(events)
        assert refused.value.code == 401
