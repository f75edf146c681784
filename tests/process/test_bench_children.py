"""The benchmark harness's child processes and provider stub (`make bench` runs outside `make test`)."""

from __future__ import annotations

import json
import statistics
import sys
import urllib.request
from dataclasses import replace
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
    seconds, rss_mb, stdout, cpu_seconds = run.run_measured([sys.executable, "-c", code], {}, tmp_path)
    # THEN it has the wall time, a peak RSS that includes the allocation, and the result
    assert 0 < seconds < 30 and cpu_seconds > 0
    assert rss_mb > 30
    assert run.bench_result(stdout) == {"status": 200}


def test_cpu_time_leaves_out_the_time_a_child_waits(tmp_path):
    # GIVEN a child that waits a second without using the CPU (as one waiting for a core would)
    code = "import time; time.sleep(1); print('BENCH_RESULT {}')"
    # WHEN the harness runs it
    done = run.run_measured([sys.executable, "-c", code], {}, tmp_path)
    # THEN its wall time holds the wait and its CPU time does not
    assert done.seconds >= 1
    assert done.cpu_seconds < done.seconds - 0.5


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
        _, rss_mb, stdout, _ = run.run_measured([sys.executable, "-c", run.FLOOR_PYTHON], env, tmp_path)
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
    _, ru_maxrss_mb, stdout, _ = run.run_measured([sys.executable, "-c", code], {}, tmp_path)
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


def git(repo, *args):
    import subprocess

    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A repository with two commits of one file, the second checked out."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "--quiet")
    for version in ("first", "second"):
        (path / "version.txt").write_text(version)
        git(path, "add", "version.txt")
        git(
            path,
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
            "commit",
            "--quiet",
            "-m",
            version,
        )
    return path


# Builds as sam build would, into .aws-sam/build of the directory it runs in, from that tree's file.
BUILDER = [
    sys.executable,
    "-c",
    "import pathlib; b = pathlib.Path('.aws-sam/build'); b.mkdir(parents=True); "
    "(b / 'built.txt').write_text(pathlib.Path('version.txt').read_text())",
]


def test_baseline_is_built_from_its_commit_in_a_worktree_removed_afterwards(repo, tmp_path):
    # GIVEN a repository whose checked-out tree is its second commit
    first = git(repo, "rev-parse", "HEAD~1")
    # WHEN the harness builds HEAD~1 as the baseline
    with run.baseline_build("HEAD~1", sys.executable, tmp_path / "bench", BUILDER, repo) as (commit, build):
        # THEN the build ran on that commit's tree, apart from the checked-out one
        assert commit == first
        assert (build / "built.txt").read_text() == "first"
        assert str(tmp_path / "bench" / "baseline") in git(repo, "worktree", "list")
    # AND the worktree is gone once the run ends, and the checked-out tree is untouched
    assert str(tmp_path / "bench") not in git(repo, "worktree", "list")
    assert (repo / "version.txt").read_text() == "second" and not (repo / ".aws-sam").exists()


def test_a_baseline_that_is_no_commit_is_refused_before_anything_is_built(repo, tmp_path):
    with (
        pytest.raises(SystemExit, match="--baseline nope: not a commit"),
        run.baseline_build("nope", sys.executable, tmp_path / "bench", BUILDER, repo),
    ):
        pass
    assert git(repo, "worktree", "list").count("\n") == 0


def test_a_failing_baseline_build_stops_the_run_with_its_output(repo, tmp_path):
    failing = [sys.executable, "-c", "raise SystemExit('Build Failed: no python3.13')"]
    with (
        pytest.raises(SystemExit, match=r"the build failed:\n.*no python3\.13"),
        run.baseline_build("HEAD", sys.executable, tmp_path / "bench", failing, repo),
    ):
        pass
    assert str(tmp_path / "bench") not in git(repo, "worktree", "list")


def answering(status):
    """A cold child that answers ``status`` as the real one reports it."""
    code = f"print('BENCH_RESULT ' + '{{\"status\": {status}, \"peak_rss_kb\": 1024}}')"
    return [sys.executable, "-c", code]


def test_first_round_leaves_out_only_the_baseline_subjects_that_cannot_be_measured(tmp_path):
    from benchmarks.scenarios import SCENARIOS

    # GIVEN two functions measured from both builds: the baseline lacks the first one's route
    # (501) and fails on the second's (a crash); a third function is not built yet here
    first, second, third = (replace(SCENARIOS[i], events=lambda count: [{}] * count) for i in (0, 1, 3))
    crash = [sys.executable, "-c", "raise SystemExit(3)"]
    cases = [
        (first.function, first, answering(first.expected_status)),
        (f"{first.function}{run.BASELINE}", first, answering(run.NOT_BUILT)),
        (second.function, second, answering(second.expected_status)),
        (f"{second.function}{run.BASELINE}", second, crash),
        (third.function, third, answering(run.NOT_BUILT)),
        (f"{third.function}{run.BASELINE}", third, answering(third.expected_status)),
    ]
    subjects = [run.Subject(key, scenario, argv, {}, tmp_path) for key, scenario, argv in cases]
    # WHEN the uncounted round runs
    kept, missing = run.first_round(subjects)
    # THEN this build's routes stay, the failing baseline subjects go, and a route not built here
    # leaves its function out with its baseline
    assert [s.key for s in kept] == [first.function, second.function]
    assert missing == {third.function}
    assert all(not s.measured.seconds for s in subjects)


def test_first_round_keeps_a_baseline_that_answers_like_this_build(tmp_path):
    from benchmarks.scenarios import SCENARIOS

    scenario = replace(SCENARIOS[0], events=lambda count: [{}] * count)
    subjects = [
        run.Subject(key, scenario, answering(scenario.expected_status), {}, tmp_path)
        for key in (scenario.function, f"{scenario.function}{run.BASELINE}")
    ]
    kept, missing = run.first_round(subjects)
    assert kept == subjects and missing == set()


def test_events_scenario_passes_the_real_handler_through_the_provider_stub(configure, lambda_context):
    # GIVEN the bench's settings pointed at the provider stub, and the Google-backed route's event
    from benchmarks.scenarios import upcoming_events_events
    from functions.test_endpoint import app as test_endpoint

    with ProviderStub() as stub:
        configure(**SETTINGS, **stub.environment())
        event = upcoming_events_events(1)[0]
        # WHEN testEndpoint answers it, as each cold run of that route does
        answer = test_endpoint.lambda_handler(event, lambda_context)
    # THEN the session's scope let it through: the grant was refreshed and Calendar answered
    assert answer["statusCode"] == 200, answer["body"][:300]
    assert stub.refreshes == 1


@pytest.fixture
def mcp_event(configure):
    """The bench's ``tools/call getHello`` event, its session seeded on a running nx-27017 server."""
    from benchmarks.scenarios import mcp_tools_call_events
    from localdev.nx_server import NxServer

    with NxServer() as nx:
        configure(**SETTINGS, MONGODB_URI=nx.uri)
        yield nx.uri, mcp_tools_call_events(1)[0]


def tool_text(result):
    """The text content of the JSON-RPC result a child reported, which must not be a tool error."""
    answer = json.loads(result["body"])
    assert answer["jsonrpc"] == "2.0" and answer["result"]["isError"] is False, answer
    return answer["result"]["content"][0]["text"]


def greeting_asked(event):
    return f"Hello {json.loads(event['body'])['params']['arguments']['name']}"


def test_mcp_cold_child_answers_the_tool_with_the_seeded_session(mcp_event, tmp_path):
    # GIVEN the bench's MCP event and the cold child's program, with testEndpoint from this tree
    uri, event = mcp_event
    env = run.base_env(
        uri,
        {
            "PYTHONPATH": f"{run.ROOT / 'functions' / 'test_endpoint'}:{run.ROOT / 'shared'}",
            "BENCH_CONTEXT": json.dumps(run.CONTEXT.attributes()),
            "BENCH_EVENT": json.dumps(event),
        },
    )
    # WHEN it runs as its own process
    done = run.run_measured([sys.executable, "-c", run.COLD_PYTHON], env, tmp_path)
    # THEN the token check let it through and getHello answered the name the event asked for
    result = run.bench_result(done.stdout)
    assert result["status"] == 200, result
    assert tool_text(result) == greeting_asked(event)


def test_fastmcp_child_answers_the_same_tool_call(mcp_event, tmp_path):
    # GIVEN the same event and the FastMCP subject the harness measures beside our /mcp
    from benchmarks.scenarios import SCENARIOS

    uri, event = mcp_event
    scenario = next(s for s in SCENARIOS if s.function == run.MCP_ACTION)
    subject = run.fastmcp_subject(scenario, uri, tmp_path)
    # WHEN it runs once as the harness runs it
    done = run.run_measured(subject.argv, {**subject.env, "BENCH_EVENT": json.dumps(event)}, subject.cwd)
    # THEN FastMCP, stateless, answered the tools/call with the same greeting
    result = run.bench_result(done.stdout)
    assert result["status"] == 200, result
    assert tool_text(result) == greeting_asked(event)
    # AND the harness's own check of a cold answer passes on it
    assert subject.run_once(record=True) == 200 and len(subject.measured.seconds) == 1


def test_a_cold_answer_without_what_the_scenario_expects_stops_the_bench(tmp_path):
    from benchmarks.scenarios import SCENARIOS

    # GIVEN the MCP scenario and a child that answers 200 with a tool error (JSON-RPC keeps 200)
    scenario = replace(
        next(s for s in SCENARIOS if s.function == run.MCP_ACTION), events=lambda count: [{}] * count
    )
    failed = json.dumps({"status": 200, "body": '{"result": {"isError": true}}', "peak_rss_kb": 1024})
    child = [sys.executable, "-c", f"print('BENCH_RESULT ' + {failed!r})"]
    # WHEN the harness runs it, THEN it stops with what the answer said
    with pytest.raises(RuntimeError, match="the answer lacks"):
        run.Subject(run.MCP_ACTION, scenario, child, {}, tmp_path).run_once()


def cold_stats(seconds, cpu):
    return {"median_s": seconds, "cpu_median_s": cpu, "p25_s": seconds, "p75_s": seconds, "peak_rss_mb": 30}


def test_mcp_ratios_are_read_against_post_root_and_fastmcp_in_the_same_rounds():
    # GIVEN three rounds of POST /, /mcp and FastMCP (CPU time half of each wall time)
    samples = {run.ACTION: [0.2, 0.25, 0.4], run.MCP_ACTION: [0.22, 0.2, 0.44], run.FASTMCP: [2.2, 2.0, 4.4]}
    medians = {key: statistics.median(v) for key, v in samples.items()}
    report = {
        "fastmcp_version": "4.1.6",
        "cold": {key: cold_stats(median, median / 2) for key, median in medians.items()},
        "cold_samples_s": samples,
        "cold_cpu_samples_s": {key: [s / 2 for s in v] for key, v in samples.items()},
    }
    # WHEN the harness reads them
    ratios = run.mcp_ratios(report)
    # THEN each ratio is /mcp over the other, of the medians (0.22 / 0.25) and of each round's own
    # pair (1.1, 0.8, 1.1)
    assert ratios["mcp_over_post_root"] == 0.88 and ratios["paired_mcp_over_post_root"] == 1.1
    assert ratios["mcp_over_fastmcp"] == 0.1 and ratios["paired_mcp_over_fastmcp"] == 0.1
    assert ratios["cpu_mcp_over_post_root"] == 0.88 and ratios["paired_cpu_mcp_over_fastmcp"] == 0.1
    # AND the table names each target and whether it is met
    table = "\n".join(run.render_mcp(report))
    assert "1.10 x (met)" in table and "0.30 x (met)" in table and "FastMCP 4.1.6" in table
    fastmcp_row = next(line for line in table.splitlines() if line.startswith("| FastMCP"))
    assert "| 1.100 s | 30 MB | **0.10 x** (0.10 x) | 0.10 x (0.10 x) |" in fastmcp_row
    report["cold"][run.MCP_ACTION] = cold_stats(0.3, 0.15)  # 1.2 x POST /
    assert "1.10 x (not met)" in "\n".join(run.render_mcp(report))


def test_no_mcp_table_when_the_run_left_mcp_out():
    report = {"cold": {run.ACTION: cold_stats(0.2, 0.1)}}
    assert run.mcp_ratios(report) == {} and run.render_mcp(report) == []
