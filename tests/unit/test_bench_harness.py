"""The benchmark harness's own parts, cheaply: `make bench` itself runs outside `make test`."""

from __future__ import annotations

import base64
import json
import sys
import urllib.request
from urllib.parse import parse_qs, urlencode

import jwt
import pytest

from benchmarks import run
from benchmarks.provider_stub import GOOGLE_ISSUER, ProviderStub
from benchmarks.scenarios import SETTINGS, token_check_events, token_endpoint_events
from functions.test_endpoint import app as test_endpoint
from gpt_auth.codes import redeem_code
from localdev.doc_block import write_block


@pytest.fixture
def bench_settings(configure):
    configure(**SETTINGS)


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


def test_token_check_events_pass_the_real_handler(bench_settings, lambda_context):
    events = token_check_events(2)
    assert [test_endpoint.lambda_handler(e, lambda_context)["statusCode"] for e in events] == [200, 200]


def test_token_endpoint_events_carry_one_fresh_code_each(bench_settings):
    events = token_endpoint_events(2)
    forms = [parse_qs(base64.b64decode(e["body"]).decode()) for e in events]
    codes = [form["code"][0] for form in forms]
    assert codes[0] != codes[1]
    assert all(form["client_secret"] == [SETTINGS["GPT_CLIENT_SECRET"]] for form in forms)
    assert redeem_code(codes[0]) is not None


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


def test_table_shows_ratios_against_each_reference():
    cold = {
        "testEndpoint": {"median_s": 0.12, "p25_s": 0.11, "p75_s": 0.13, "peak_rss_mb": 40},
        "node:data": {"median_s": 0.15, "p25_s": 0.14, "p75_s": 0.16, "peak_rss_mb": 60},
    }
    report = {
        "runs": 3,
        "cold": cold,
        "scenarios": [{"function": "testEndpoint", "route": "POST /", "references": ["data"]}],
        "warm": {"testEndpoint@embedded": {"median_ms": 0.2, "p99_ms": 0.5}},
        "sizes": {"SharedLayer": 40_000, "DependenciesLayer": 7_000_000},
    }
    table = run.render(report)
    assert "**0.80 x**" in table
    assert "40 MB / 60 MB" in table
    assert "**7.04 MB**" in table


def test_table_bounds_each_ratio_by_the_python_floor():
    # GIVEN a run with the Python floor measured beside ours and the Node reference
    cold = {
        "testEndpoint": {"median_s": 0.15, "p25_s": 0.14, "p75_s": 0.16, "peak_rss_mb": 46},
        "googleAuthorization": {"median_s": 0.25, "p25_s": 0.24, "p75_s": 0.26, "peak_rss_mb": 49},
        "node:data": {"median_s": 0.125, "p25_s": 0.12, "p75_s": 0.13, "peak_rss_mb": 61},
        "node:authorize-seed": {"median_s": 0.75, "p25_s": 0.74, "p75_s": 0.76, "peak_rss_mb": 150},
        run.FLOOR: {"median_s": 0.12, "p25_s": 0.11, "p75_s": 0.13, "peak_rss_mb": 40},
    }
    report = {
        "runs": 3,
        "cold": cold,
        "scenarios": [
            {"function": "testEndpoint", "route": "POST /", "references": ["data"], "floor": True},
            {
                "function": "googleAuthorization",
                "route": "GET /callback",
                "references": ["authorize-seed"],
                "floor": False,
            },
        ],
        "warm": {},
        "sizes": {},
    }
    # WHEN the harness computes the ratios and renders the table
    rows = run.ratios(report)
    table = run.render(report)
    # THEN testEndpoint has all three ratios, the callback only its reference ratio
    assert rows[0] == {
        "function": "testEndpoint",
        "reference": "data",
        "ours_over_reference": 1.2,
        "ours_over_floor": 1.25,
        "floor_over_reference": 0.96,
    }
    assert rows[1] == {
        "function": "googleAuthorization",
        "reference": "authorize-seed",
        "ours_over_reference": 0.333,
    }
    assert "| **1.20 x** | 1.25 x | 0.96 x |" in table
    assert "| **0.33 x** | - | - |" in table
    assert "Python floor (pymongo + one find_one, same layout): 0.120 s" in table


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


def test_tables_replace_only_the_marked_block_of_the_document(tmp_path):
    # GIVEN a document whose bench block holds an old table, between text that is not the bench's
    doc = tmp_path / "performance.md"
    before = "# Performance\n\nHow it is measured.\n\n"
    after = "\n\nWhat bounds the targets.\n"
    doc.write_text(f"{before}{run.DOC_BEGIN}\n\n| old | table |\n\n{run.DOC_END}{after}")
    # WHEN the harness writes new tables into it
    write_block(doc, run.DOC_BLOCK, "| new | table |")
    # THEN the block holds exactly the new tables and the text around it is untouched
    assert doc.read_text() == f"{before}{run.DOC_BEGIN}\n\n| new | table |\n\n{run.DOC_END}{after}"


def test_a_document_without_the_markers_is_left_alone(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n")
    with pytest.raises(SystemExit, match="bench:begin"):
        write_block(doc, run.DOC_BLOCK, "| new | table |")
    assert doc.read_text() == "# Performance\n"


def test_render_only_writes_a_saved_report_as_a_run_would(tmp_path):
    # GIVEN a saved report and a document with the bench markers
    report = {
        "runs": 3,
        "cold": {
            "testEndpoint": {"median_s": 0.12, "p25_s": 0.11, "p75_s": 0.13, "peak_rss_mb": 40},
            "node:data": {"median_s": 0.15, "p25_s": 0.14, "p75_s": 0.16, "peak_rss_mb": 60},
        },
        "scenarios": [{"function": "testEndpoint", "route": "POST /", "references": ["data"]}],
        "warm": {},
        "sizes": {"SharedLayer": 40_000},
    }
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps(report))
    doc = tmp_path / "performance.md"
    doc.write_text(f"intro\n{run.DOC_BEGIN}{run.DOC_END}\n")
    # WHEN only rendering it
    run.main(["--render-only", str(summary), "--doc", str(doc)])
    # THEN the document holds render()'s tables for that report
    assert doc.read_text() == f"intro\n{run.DOC_BEGIN}\n\n{run.render(report)}\n\n{run.DOC_END}\n"
