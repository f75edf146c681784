"""The benchmark harness's own parts, cheaply: `make bench` itself runs outside `make test`."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import pytest

from benchmarks import run
from benchmarks.scenarios import SETTINGS, token_check_events, token_endpoint_events
from functions.test_endpoint import app as test_endpoint
from gpt_auth.oauth.codes import redeem_code
from localdev.doc_block import write_block


@pytest.fixture
def bench_settings(configure):
    configure(**SETTINGS)


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
