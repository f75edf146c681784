"""make bench's deployed-path rows and per-function sizes, on hand-made reports (no measuring)."""

from __future__ import annotations

import pytest

from benchmarks import run

STATS = {"p25_s": 0.0, "p75_s": 0.0}


def cold(median: float, rss: float) -> dict[str, float]:
    return {**STATS, "median_s": median, "peak_rss_mb": rss}


def test_deployed_path_rows_compare_the_secret_with_the_environment_and_node():
    # GIVEN a run with testEndpoint on both settings paths and its Node reference reading the secret
    report = {
        "runs": 3,
        "cold": {
            "testEndpoint": cold(0.150, 33),
            "testEndpoint@secret": cold(0.165, 34),
            "node:data": cold(0.140, 61),
            "node:data@secret": cold(0.300, 70),
            "googleAuthentication": cold(0.150, 33),
            "googleAuthentication@secret": cold(0.180, 33),
            "node:token-lean": cold(0.160, 63),
            "node:token-lean@secret": cold(0.190, 71),
        },
        "scenarios": [
            {"function": "testEndpoint", "route": "POST /", "references": ["data"]},
            {
                "function": "googleAuthentication",
                "route": "POST /",
                "references": ["token-lean", "token-seed"],
            },
        ],
        "warm": {},
        "sizes": {},
        "secret_read_ms": {"calls": 50, "median_ms": 4.62, "p99_ms": 9.1},
    }
    report["cold"]["node:token-seed"] = cold(0.7, 150)
    # WHEN the ratios are computed and the tables rendered
    rows = run.secret_ratios(report)
    table = run.render(report)
    # THEN each function has both ratios, judged against the targets
    assert rows == [
        {
            "function": "testEndpoint",
            "reference": "data",
            "secret_over_environment": 1.1,
            "secret_over_node_secret": 0.55,
        },
        {
            "function": "googleAuthentication",
            "reference": "token-lean",
            "secret_over_environment": 1.2,
            "secret_over_node_secret": 0.947,
        },
    ]
    assert "| **1.10 x** (met) | `data` 0.300 s (0.000-0.000) | **0.55 x** (met) | 33 / 34 / 70 MB |" in table
    assert "| **1.20 x** (not met) |" in table and "| **0.95 x** (not met) |" in table
    # AND the warm read through the stand-in is given beside them
    assert "from the harness: 4.6 ms median (9.1 ms p99)" in table


def test_a_report_without_the_deployed_path_renders_as_before():
    report = {
        "runs": 3,
        "cold": {"testEndpoint": cold(0.15, 33), "node:data": cold(0.14, 61)},
        "scenarios": [{"function": "testEndpoint", "route": "POST /", "references": ["data"]}],
        "warm": {},
        "sizes": {"SharedLayer": 100_000},
    }
    assert run.secret_ratios(report) == []
    assert "Deployed path" not in run.render(report)


def test_sizes_show_what_each_function_deploys_against_its_target():
    report = {
        "runs": 1,
        "cold": {},
        "scenarios": [],
        "warm": {},
        "sizes": {"GoogleAuthenticationFunction": 1_000, "SharedLayer": 100_000, "BaseLayer": 2_500_000},
        "deployed_sizes": {
            "GoogleAuthenticationFunction": 2_601_000,
            "GoogleAuthorizationFunction": 9_200_000,
            "TestEndpointFunction": 8_900_000,
        },
        "function_layers": {"GoogleAuthenticationFunction": ["SharedLayer", "BaseLayer"]},
    }
    table = run.render(report)
    assert "| GoogleAuthenticationFunction | SharedLayer, BaseLayer | **2.60 MB** | 5 MB (met) |" in table
    assert "| GoogleAuthorizationFunction |  | **9.20 MB** | 9 MB (not met) |" in table
    assert "| TestEndpointFunction |  | **8.90 MB** | 9 MB (met) |" in table


@pytest.fixture
def built(tmp_path, monkeypatch):
    """A stand-in for .aws-sam/build holding only a template."""
    monkeypatch.setattr(run, "BUILD", tmp_path)
    run.function_layers.cache_clear()
    yield tmp_path
    run.function_layers.cache_clear()


def test_each_function_runs_with_the_layers_its_built_template_lists(built):
    # GIVEN a built template with layers in Globals (ours and AWS's extension) and per function
    (built / "template.yaml").write_text(
        """
Parameters:
  ExtensionArn: {Type: String, Default: ""}
Conditions:
  HasExtensionArn: !Not [!Equals [!Ref ExtensionArn, ""]]
Globals:
  Function:
    Layers:
      - !Ref SharedLayer
      - !Ref BaseLayer
      - !If [HasExtensionArn, !Ref ExtensionArn, "arn:aws:lambda:eu-west-1:1:layer:x:1"]
Resources:
  SharedLayer: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: SharedLayer}}
  BaseLayer: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: BaseLayer}}
  GoogleLayer: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: GoogleLayer}}
  TokenFunction: {Type: AWS::Serverless::Function, Properties: {CodeUri: TokenFunction}}
  ActionFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ActionFunction, Layers: [!Ref GoogleLayer]}
"""
    )
    # THEN each gets ours in Lambda's order, and the extension (AWS's) is left to the stand-in
    assert run.function_layers("TokenFunction") == ("SharedLayer", "BaseLayer")
    assert run.function_layers("ActionFunction") == ("SharedLayer", "BaseLayer", "GoogleLayer")


def test_a_route_without_a_reference_gets_its_cold_and_warm_row():
    # GIVEN the Google-backed action measured cold on both settings paths and warm, with no reference
    report = {
        "runs": 3,
        "cold": {"listUpcomingEvents": cold(0.31, 52), "listUpcomingEvents@secret": cold(0.33, 53)},
        "scenarios": [{"function": "listUpcomingEvents", "route": "GET /events", "references": []}],
        "warm": {
            "listUpcomingEvents@embedded": {"median_ms": 2.5, "p99_ms": 4.0},
            "listUpcomingEvents@nx-27017": {"median_ms": 3.25, "p99_ms": 6.5},
        },
        "sizes": {},
    }
    # WHEN rendered
    table = run.render(report)
    # THEN it has its own row with both cold figures and both warm ones, and no ratio rows
    assert (
        "| listUpcomingEvents `GET /events` | 0.310 s (0.000-0.000) | 0.330 s (0.000-0.000) | 52 MB "
        "| 2.50 ms (4.00) / 3.25 ms (6.50) |"
    ) in table
    assert run.secret_ratios(report) == [] and run.ratios(report) == []
