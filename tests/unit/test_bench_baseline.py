"""make bench --baseline REF: its subjects, ratios and tables, on hand-made builds and reports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.scenarios import SCENARIOS

STATS = {"p25_s": 0.0, "p75_s": 0.0}


def cold(median: float, rss: float, cpu: float | None = None) -> dict[str, float]:
    return {**STATS, "median_s": median, "peak_rss_mb": rss, **({"cpu_median_s": cpu} if cpu else {})}


def baseline_report() -> dict:
    return {
        "runs": 3,
        "cold": {
            "testEndpoint": cold(0.130, 34, cpu=0.102),
            "testEndpoint@baseline": cold(0.125, 33, cpu=0.100),
            "googleAuthentication": cold(0.140, 33),
            "googleAuthentication@baseline": cold(0.140, 33),
            "listUpcomingEvents": cold(0.180, 47),
        },
        # Rounds ran back to back: round 2 was slow for both builds alike.
        "cold_samples_s": {
            "testEndpoint": [0.130, 0.260, 0.128],
            "testEndpoint@baseline": [0.125, 0.250, 0.128],
            "googleAuthentication": [0.140, 0.300, 0.139],
            "googleAuthentication@baseline": [0.140, 0.250, 0.140],
        },
        # CPU time: a round's wait for a core is not in it
        "cold_cpu_samples_s": {
            "testEndpoint": [0.102, 0.104, 0.100],
            "testEndpoint@baseline": [0.100, 0.100, 0.100],
        },
        "scenarios": [
            {"function": "testEndpoint", "route": "POST /", "references": []},
            {"function": "googleAuthentication", "route": "POST /", "references": []},
            {"function": "listUpcomingEvents", "route": "GET /events", "references": []},
        ],
        "warm": {},
        "sizes": {},
        "deployed_sizes": {"TestEndpointFunction": 8_950_000, "GoogleAuthenticationFunction": 2_700_000},
        "baseline": {
            "ref": "c80ca6f",
            "commit": "c80ca6f0123456789abcdef0123456789abcdef0",
            "deployed_sizes": {"TestEndpointFunction": 8_940_000, "GoogleAuthenticationFunction": 2_680_000},
        },
    }


def test_each_route_measured_from_both_builds_gets_its_after_over_before():
    # WHEN the ratios of a run with a baseline are computed
    rows = run.baseline_ratios(baseline_report())
    # THEN each function measured from both builds has the ratio of its medians and the median of
    # its rounds' own ratios; a route the baseline lacks (listUpcomingEvents here) has no row
    assert rows == [
        {
            "function": "testEndpoint",
            "route": "POST /",
            "after_over_before": 1.04,
            "paired_after_over_before": 1.04,
            "cpu_after_over_before": 1.02,
            "paired_cpu_after_over_before": 1.02,
        },
        {
            "function": "googleAuthentication",
            "route": "POST /",
            "after_over_before": 1.0,
            "paired_after_over_before": 1.0,
        },
    ]


def test_the_baseline_table_names_the_ref_and_shows_before_and_after():
    table = run.render(baseline_report())
    assert "Against the baseline `c80ca6f` (c80ca6f01234)" in table
    assert (
        "| testEndpoint `POST /` | 0.125 s (0.000-0.000) | 0.130 s (0.000-0.000) | **1.040 x** | 1.040 x "
        "| 0.100 / 0.102 s | **1.020 x** (1.020 x) | 33.0 / 34.0 MB |"
    ) in table
    # AND a function measured without CPU times (an older report) has none shown
    assert "| **1.000 x** | 1.000 x | - | - | 33.0 / 33.0 MB |" in table
    # AND what each function deploys has the baseline's figure beside today's
    assert "| function | layers | zipped | `c80ca6f` | target |" in table
    assert "| TestEndpointFunction |  | **8.95 MB** | 8.94 MB | 9 MB (met) |" in table


def test_a_run_without_a_baseline_renders_as_before():
    report = baseline_report()
    del report["baseline"]
    report["cold"] = {k: v for k, v in report["cold"].items() if not k.endswith(run.BASELINE)}
    table = run.render(report)
    assert run.baseline_ratios(report) == []
    assert "Against the baseline" not in table
    assert "| function | layers | zipped | target |" in table


def fake_build(root: Path, label: str) -> Path:
    """A stand-in for a sam build output: a template, each function and layer marked with ``label``
    (labels of one length: the two builds' zips differ only where a test adds a file)."""
    build = root / label
    functions = {s.build_dir for s in SCENARIOS}
    resources = [
        f"  {name}: {{Type: AWS::Serverless::Function, Properties: {{CodeUri: {name}}}}}"
        for name in functions
    ]
    build.mkdir(parents=True)
    (build / "template.yaml").write_text(
        "Globals:\n  Function:\n    Layers: [!Ref BaseLayer]\nResources:\n"
        "  BaseLayer: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: BaseLayer}}\n"
        + "\n".join(resources)
        + "\n"
    )
    for name in functions:
        (build / name).mkdir()
        (build / name / "app.py").write_text(f"BUILD = {label!r}\n")
    (build / "BaseLayer" / "python").mkdir(parents=True)
    (build / "BaseLayer" / "python" / "layer.py").write_text(f"BUILD = {label!r}\n")
    return build


@pytest.fixture
def two_builds(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "BUILD", fake_build(tmp_path, "after"))
    run.function_layers.cache_clear()
    yield tmp_path, fake_build(tmp_path, "prior")
    run.function_layers.cache_clear()


def test_each_route_from_the_baseline_runs_right_after_the_same_route_from_this_build(two_builds):
    tmp_path, before = two_builds
    secret = run.ServedSecret("arn:secret", "http://127.0.0.1:1", {"AWS_SESSION_TOKEN": "t"})
    # WHEN the cold subjects are laid out with a baseline build
    subjects = run.cold_subjects("python3", "node", tmp_path / "roots", "mongodb://x", {}, [], secret, before)
    keys = [s.key for s in subjects]
    # THEN every function's baseline subject comes right after its own, in every round
    for scenario in SCENARIOS:
        assert keys[keys.index(scenario.function) + 1] == f"{scenario.function}{run.BASELINE}"
    # AND it runs the baseline's function and layers as Lambda lays them out, this build's its own
    by_key = {s.key: s for s in subjects}
    for key, label in (("testEndpoint", "after"), (f"testEndpoint{run.BASELINE}", "prior")):
        root = by_key[key].cwd
        assert (root / "task" / "app.py").read_text() == f"BUILD = {label!r}\n"
        assert (root / "opt" / "python" / "layer.py").read_text() == f"BUILD = {label!r}\n"
        assert by_key[key].env["PYTHONPATH"] == f"{root / 'task'}:{root / 'opt' / 'python'}"


def test_without_a_baseline_no_subject_is_added(two_builds):
    tmp_path, _ = two_builds
    secret = run.ServedSecret("arn:secret", "http://127.0.0.1:1", {"AWS_SESSION_TOKEN": "t"})
    subjects = run.cold_subjects("python3", "node", tmp_path / "roots", "mongodb://x", {}, [], secret)
    assert not [s for s in subjects if s.key.endswith(run.BASELINE)]
    assert len(subjects) == len({s.key for s in subjects})


def test_the_sizes_of_a_baseline_build_are_read_from_that_build(two_builds):
    _, before = two_builds
    (before / "TestEndpointFunction" / "big.bin").write_bytes(os.urandom(100_000))  # does not compress
    _, after_deployed = run.deployment_sizes()
    _, before_deployed = run.deployment_sizes(before)
    assert before_deployed["TestEndpointFunction"] > after_deployed["TestEndpointFunction"] + 50_000
    assert before_deployed["GoogleAuthenticationFunction"] == after_deployed["GoogleAuthenticationFunction"]


def test_only_keeps_the_named_function_with_its_baseline_floor_and_references(two_builds):
    # GIVEN every cold subject of a run with a baseline
    tmp_path, before = two_builds
    secret = run.ServedSecret("arn:secret", "http://127.0.0.1:1", {"AWS_SESSION_TOKEN": "t"})
    subjects = run.cold_subjects("python3", "node", tmp_path / "roots", "mongodb://x", {}, [], secret, before)
    # WHEN --only names testEndpoint
    kept, left_out = run.chosen(subjects, ["testEndpoint"])
    # THEN its route from both builds, from the secret, the floor and its Node references stay
    assert [s.key for s in kept] == [
        "testEndpoint",
        f"testEndpoint{run.BASELINE}",
        f"testEndpoint{run.SECRET}",
        run.FLOOR,
        "node:data",
        f"node:data{run.SECRET}",
    ]
    assert left_out == {s.function for s in SCENARIOS} - {"testEndpoint"}
    # AND without --only every subject stays
    assert run.chosen(subjects, None) == (subjects, set())


def test_a_baseline_from_before_keyed_hashes_is_seeded_with_plain_sha256(tmp_path, store):
    import hashlib

    from gpt_auth.oauth import tokens

    # GIVEN a build whose tokens module predates TOKEN_HASH_KEYS, and one that has it
    old, new = tmp_path / "old" / "gpt_auth", tmp_path / "new" / "gpt_auth" / "oauth"
    old.mkdir(parents=True)
    new.mkdir(parents=True)
    (old / "tokens.py").write_text("hashlib.sha256(token.encode()).hexdigest()\n")
    (new / "tokens.py").write_text("TOKEN_HASH_KEYS\n")
    # THEN only the first is seeded with plain hashes, and those are what it looks tokens up by
    assert run.hashes_tokens_plainly(tmp_path / "old") and not run.hashes_tokens_plainly(tmp_path / "new")
    with run.plain_token_hashes():
        assert tokens.hash_token("gat_x") == hashlib.sha256(b"gat_x").hexdigest()
    assert tokens.hash_token("gat_x") != hashlib.sha256(b"gat_x").hexdigest()
