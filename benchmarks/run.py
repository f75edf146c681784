"""``make bench``: our built functions measured side by side with the Node.js references.

For each function (as ``sam build`` leaves it: the code in ``task/``, its layers merged in
``opt/python`` as Lambda extracts them) and each Node reference, in one run and interleaved:

- the cold path: a fresh process imports the handler, answers one real request of its main
  route against a local nx-27017 server, and exits at once; wall time and peak RSS;
- the deployed path the same way: settings from the secret (``APP_SECRET_ARN``), served by
  moto's Secrets Manager behind the Parameters and Secrets extension stand-in, beside a Node
  reference that reads the same secret through the AWS SDK v3 before its query;
- the Python floor the same way: only pymongo and one ``find_one``, in the same layout;
- FastMCP the same way (``fastmcp_server.py``): a stateless server with our ``getHello`` tool
  answering the ``tools/call`` our ``/mcp`` answers, beside it and ``POST /``;
- warm in-process latency of the handler, on the embedded store and on nx-27017;
- the deployment size: each function's and each layer's zip, and each function with its layers;
- with ``--baseline REF``: REF built by ``sam build`` in a temporary git worktree, each
  function's main route cold from that build interleaved with this one's (after / before), and
  what each of its functions deploys.

Prints the tables, writes ``benchmarks/results/latest.json`` (and ``latest.md``) and
``benchmarks/summary.json``, and puts the tables into ``docs/performance.md`` between its bench
markers. ``--render-only SUMMARY`` only renders a saved report into that file.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks.provider_stub import ProviderStub
from benchmarks.scenarios import CONTEXT, MCP_ACTION, SCENARIOS, SETTINGS, Scenario
from gpt_auth.runtime.app_secret import OPTIONAL_SECRET_KEYS, SECRET_KEYS
from localdev.doc_block import markers, write_block
from localdev.lambda_env import ACTION
from localdev.nx_server import NxServer
from localdev.secrets_extension import (
    FAKE_CREDENTIALS,
    REGION,
    SecretsExtension,
    moto_secrets_manager,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
NODE_DIR = BENCH / "node"
BUILD = ROOT / ".aws-sam" / "build"
SECRET = "@secret"  # the key suffix of a subject whose settings come from the secret
BASELINE = "@baseline"  # the key suffix of a subject built from --baseline REF
SAM = ROOT / ".venv-sam" / "bin" / "sam"
# Deployed size (function plus its layers, zipped) each function is to stay within, in MB.
SIZE_TARGETS_MB = {
    "GoogleAuthenticationFunction": 5,
    "GoogleAuthorizationFunction": 9,
    "TestEndpointFunction": 9,
}
# The deployed path's targets: ours from the secret over ours from the environment, and over the
# Node reference that reads the same secret.
SECRET_OVER_ENV_TARGET, SECRET_OVER_NODE_TARGET = 1.15, 0.9
RESULTS = BENCH / "results"
SUMMARY = BENCH / "summary.json"
DOC = ROOT / "docs" / "performance.md"
DOC_BLOCK = "bench"  # its tables go between <!-- bench:begin --> and <!-- bench:end -->
DOC_BEGIN, DOC_END = markers(DOC_BLOCK)
NOT_BUILT = 501  # a route that answers "not implemented" yet is left out of the run

# Each child reports its own peak RSS (VmHWM, since its exec): the ru_maxrss that wait4 gives
# also counts the harness's memory, which a forked child inherits until it execs.
PEAK_RSS_PYTHON = "int(next(x for x in open('/proc/self/status') if x.startswith('VmHWM')).split()[1])"

# The cold child: what Lambda's runtime does for one cold invocation, minus its own bootstrap.
COLD_PYTHON = """
import json, os, sys
event = json.loads(os.environ["BENCH_EVENT"])
context = type("Context", (), json.loads(os.environ["BENCH_CONTEXT"]))()
import app
response = app.lambda_handler(event, context)
sys.stdout.flush()
body = str(response.get("body", ""))[:2000]  # for the harness's check of what it says
result = {"status": response["statusCode"], "body": body, "peak_rss_kb": PEAK_RSS}
os.write(1, ("BENCH_RESULT " + json.dumps(result) + "\\n").encode())
os._exit(0)
""".replace("PEAK_RSS", PEAK_RSS_PYTHON)

# The floor on our side: the same interpreter and layout, only pymongo and one find_one on the
# same server. What a function spends above it is ours to cut; the floor itself is not.
FLOOR = "python:floor"
FLOOR_PYTHON = """
import os
import pymongo
client = pymongo.MongoClient(os.environ["MONGODB_URI"], serverSelectionTimeoutMS=5000)
client[os.environ["MONGODB_DATABASE"]].sessions.find_one({"access_token_hash": "floor"})
os.write(1, ('BENCH_RESULT {"status": 200, "peak_rss_kb": %d}\\n' % PEAK_RSS).encode())
os._exit(0)
""".replace("PEAK_RSS", PEAK_RSS_PYTHON)


# The MCP endpoint's cold tools/call (scenarios.MCP_ACTION), read against testEndpoint's POST / (the
# same greeting as an action) and against FastMCP answering the same tool: its targets.
MCP_OVER_POST_TARGET, MCP_OVER_FASTMCP_TARGET = 1.1, 0.3
FASTMCP = "fastmcp"  # the FastMCP subject's key; benchmarks/fastmcp_server.py, in the harness's venv
FASTMCP_SERVER = BENCH / "fastmcp_server.py"


@dataclass
class Measured:
    """The samples of one cold-path subject (ours or a reference): wall time, the CPU time the
    child used (user and system; on a loaded machine it leaves out the time spent waiting for a
    core), and peak RSS."""

    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        q = statistics.quantiles(self.seconds, n=4) if len(self.seconds) > 1 else self.seconds * 3
        cpu = {"cpu_median_s": statistics.median(self.cpu_seconds)} if self.cpu_seconds else {}
        return {
            **cpu,
            "runs": len(self.seconds),
            "median_s": statistics.median(self.seconds),
            "p25_s": q[0],
            "p75_s": q[2],
            "min_s": min(self.seconds),
            "max_s": max(self.seconds),
            "peak_rss_mb": statistics.median(self.rss_mb),
        }


class Finished(NamedTuple):
    seconds: float  # wall time
    rss_mb: float  # wait4's ru_maxrss
    stdout: str
    cpu_seconds: float  # user and system time of the child


def run_measured(argv: list[str], env: dict[str, str], cwd: Path) -> Finished:
    """Run a process to its end: wall seconds, ru_maxrss in MB, stdout and CPU seconds; the child
    exits at once.

    ru_maxrss includes the RSS this process had when it forked the child; the cold children
    report their own peak (``peak_rss_kb``) instead.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return Finished(elapsed, usage.ru_maxrss / 1024, stdout, usage.ru_utime + usage.ru_stime)


def bench_result(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith("BENCH_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            return result
    raise RuntimeError(f"no BENCH_RESULT line in: {stdout[-1000:]}")


@functools.cache
def function_layers(function_dir: str, build: Path | None = None) -> tuple[str, ...]:
    """Our layers of one built function, in the order Lambda merges them (Globals' first), in
    ``build`` (this tree's ``sam build`` output by default).

    The Parameters and Secrets extension's layer is AWS's: the stand-in plays it here.
    """
    from cfnlint.decode import decode

    template = (build or BUILD) / "template.yaml"
    parsed, problems = decode(str(template))
    if problems or parsed is None:
        raise SystemExit(f"{template}: {problems}")
    listed = [
        *parsed["Globals"]["Function"].get("Layers", []),
        *parsed["Resources"][function_dir]["Properties"].get("Layers", []),
    ]
    return tuple(
        layer["Ref"]
        for layer in listed
        if isinstance(layer, dict) and layer.get("Ref") in parsed["Resources"]
    )


def lambda_root(function_dir: str, base: Path, extra_layers: list[Path], build: Path | None = None) -> Path:
    """``task/`` and ``opt/python`` as Lambda lays out the function and its layers from ``build``."""
    build = build or BUILD
    root = base / function_dir
    if not root.exists():
        shutil.copytree(build / function_dir, root / "task")
        for layer in [*(build / name for name in function_layers(function_dir, build)), *extra_layers]:
            shutil.copytree(layer / "python", root / "opt" / "python", dirs_exist_ok=True)
    return root


# What Lambda's python3.13 runtime has in its own site-packages, after /opt/python on the path.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def lambda_python(python: str, base: Path) -> str:
    """An interpreter whose site-packages hold only what Lambda's runtime ships (boto3 and its
    dependencies, linked from this environment), and none of this machine's other packages."""
    runtime = base / "runtime"
    if not runtime.exists():
        subprocess.run([python, "-m", "venv", "--without-pip", str(runtime)], check=True)
        packages = base / "runtime-packages"
        packages.mkdir()
        site = Path(next(p for p in sys.path if p.endswith("site-packages")))
        for name in RUNTIME_PACKAGES:
            if (site / name).exists():
                (packages / name).symlink_to(site / name)
        (next(runtime.glob("lib/python3*/site-packages")) / "lambda-runtime.pth").write_text(f"{packages}\n")
    return str(runtime / "bin" / "python")


def base_env(store_uri: str, extra: dict[str, str]) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        **SETTINGS,
        "MONGODB_URI": store_uri,
        **extra,
    }
    return env


def python_env(root: Path, store_uri: str, extra: dict[str, str]) -> dict[str, str]:
    """Lambda's view: the task and /opt/python on PYTHONPATH, as Lambda sets it; no bytecode written."""
    return base_env(
        store_uri,
        {
            "PYTHONPATH": f"{root / 'task'}:{root / 'opt' / 'python'}",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_REGION": "eu-west-1",
            "LAMBDA_TASK_ROOT": str(root / "task"),
            "BENCH_CONTEXT": json.dumps(CONTEXT.attributes()),  # the cold child's Lambda context
            **extra,
        },
    )


@dataclass
class Subject:
    """One thing timed on the cold path: our function or a Node reference."""

    key: str
    scenario: Scenario
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    measured: Measured = field(default_factory=Measured)
    # A baseline from before keyed token hashes looks its tokens up by plain SHA-256.
    plain_token_hashes: bool = False

    def run_once(self, record: bool = True) -> int:
        """One cold run; returns the status the request got."""
        with plain_token_hashes() if self.plain_token_hashes else nullcontext():
            event = self.scenario.events(1)[0]
        env = {**self.env, "BENCH_EVENT": json.dumps(event)}
        done = run_measured(self.argv, env, self.cwd)
        result = bench_result(done.stdout)
        status: int = result["status"]
        if status != self.scenario.expected_status and status != NOT_BUILT:
            raise RuntimeError(f"{self.key}: status {status}, expected {self.scenario.expected_status}")
        says = self.scenario.answer_says
        if status != NOT_BUILT and says and says not in result.get("body", ""):
            raise RuntimeError(f"{self.key}: the answer lacks {says!r}: {result.get('body', '')[:500]}")
        if record:
            self.measured.seconds.append(done.seconds)
            self.measured.cpu_seconds.append(done.cpu_seconds)
            self.measured.rss_mb.append(result["peak_rss_kb"] / 1024)
        return status


@dataclass(frozen=True)
class ServedSecret:
    """The settings secret as the deployed functions read it: its ARN, the moto endpoint the Node
    SDK calls, and what a function with the extension has in its environment."""

    arn: str
    endpoint_url: str
    extension_env: dict[str, str]


def secret_read_ms(secret: ServedSecret, count: int = 50) -> dict[str, float]:
    """One read of the secret as the functions do it (``app_secret.read_secret_string``), warm,
    from this process: the part of the deployed path that stands for the extension's own
    GetSecretValue call in AWS (the stand-in asks moto with boto3)."""
    from gpt_auth.runtime.app_secret import read_secret_string

    samples = []
    for _ in range(count):
        started = time.perf_counter()
        read_secret_string(secret.arn, secret.extension_env)
        samples.append((time.perf_counter() - started) * 1000)
    return latency_summary(samples)


def without_secret_keys(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if name not in (*SECRET_KEYS, *OPTIONAL_SECRET_KEYS)}


def cold_subjects(
    python: str,
    node: str,
    base: Path,
    store_uri: str,
    stub_env: dict[str, str],
    extra_layers: list[Path],
    secret: ServedSecret,
    baseline: Path | None = None,
) -> list[Subject]:
    """Every cold subject in the order of one interleaved round; with ``baseline`` (a build
    directory), each function's main route from that build right after the same from this one."""
    subjects = []
    for scenario in SCENARIOS:
        root = lambda_root(scenario.build_dir, base, extra_layers)
        env = python_env(root, store_uri, stub_env)
        subjects.append(Subject(scenario.function, scenario, [python, "-c", COLD_PYTHON], env, root))
        if baseline:
            before = lambda_root(scenario.build_dir, base / "baseline-roots", extra_layers, baseline)
            before_env = python_env(before, store_uri, stub_env)
            key = f"{scenario.function}{BASELINE}"
            argv = [python, "-c", COLD_PYTHON]
            plain = hashes_tokens_plainly(baseline)
            subjects.append(Subject(key, scenario, argv, before_env, before, plain_token_hashes=plain))
        # The deployed path: no credential in the environment, the secret through the extension.
        secret_env = without_secret_keys({**env, "APP_SECRET_ARN": secret.arn, **secret.extension_env})
        subjects.append(
            Subject(f"{scenario.function}{SECRET}", scenario, [python, "-c", COLD_PYTHON], secret_env, root)
        )
        if scenario is SCENARIOS[0]:  # the floor needs only the base layer, which every function has
            subjects.append(Subject(FLOOR, scenario, [python, "-c", FLOOR_PYTHON], env, root))
        if scenario.function == MCP_ACTION:
            subjects.append(fastmcp_subject(scenario, store_uri, base))
        for ref in scenario.references:
            ref_env = base_env(store_uri, {**stub_env, "NODE_ENV": "production"})
            subjects.append(Subject(f"node:{ref}", scenario, [node, f"{ref}.js"], ref_env, NODE_DIR))
        if not scenario.references:
            continue
        ref = scenario.references[0]
        node_secret_env = without_secret_keys(
            {
                **base_env(store_uri, {**stub_env, "NODE_ENV": "production"}),
                "APP_SECRET_ARN": secret.arn,
                "AWS_ENDPOINT_URL_SECRETS_MANAGER": secret.endpoint_url,
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["aws_secret_access_key"],
                "AWS_SESSION_TOKEN": secret.extension_env["AWS_SESSION_TOKEN"],
            }
        )
        argv = [node, "with-secret.js", ref]
        subjects.append(Subject(f"node:{ref}{SECRET}", scenario, argv, node_secret_env, NODE_DIR))
    return subjects


def fastmcp_subject(scenario: Scenario, store_uri: str, cwd: Path) -> Subject:
    """FastMCP answering ``scenario``'s event cold: the harness's interpreter and venv (FastMCP is
    in no layer), no bytecode written, ``-P`` so no folder of ours is on its path."""
    env = base_env(store_uri, {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"})
    return Subject(FASTMCP, scenario, [sys.executable, "-P", str(FASTMCP_SERVER)], env, cwd)


def chosen(subjects: list[Subject], only: list[str] | None) -> tuple[list[Subject], set[str]]:
    """The subjects of the functions ``--only`` names (all without it), and the functions left out."""
    if not only:
        return subjects, set()
    return [s for s in subjects if s.scenario.function in only], {s.function for s in SCENARIOS} - set(only)


def first_round(subjects: list[Subject]) -> tuple[list[Subject], set[str]]:
    """One uncounted round: it fills the page cache and finds what cannot be measured. A route
    this build still answers 501 leaves its function out (``missing``); a baseline subject that
    answers 501 or fails (a route REF lacks, a store document it reads otherwise) leaves only
    itself out. Returns the subjects to measure and the functions left out."""
    missing, failed = set(), set()
    for subject in subjects:
        if not subject.key.endswith(BASELINE):
            if subject.run_once(record=False) == NOT_BUILT:
                missing.add(subject.scenario.function)
            continue
        try:
            status = subject.run_once(record=False)
        except RuntimeError as error:
            print(f"{subject.key}: left out: {str(error)[-500:]}", file=sys.stderr)
            failed.add(subject.key)
            continue
        if status == NOT_BUILT:
            print(f"{subject.key}: the baseline does not build this route; left out", file=sys.stderr)
            failed.add(subject.key)
    for function in sorted(missing):
        print(f"{function}: its main route is not built yet; left out", file=sys.stderr)
    kept = [s for s in subjects if s.scenario.function not in missing and s.key not in failed]
    return kept, missing


def warm_python(
    python: str, scenario: Scenario, root: Path, store_uri: str, stub_env: dict[str, str], count: int
) -> list[float]:
    env = python_env(root, store_uri, stub_env)
    env.pop("AWS_LAMBDA_FUNCTION_NAME")  # the embedded store is refused inside Lambda
    # `python` is the harness's own: the embedded store (mongomock) comes from its site-packages,
    # which stand after the function and its layers on the path.
    done = run_measured([python, str(BENCH / "warm.py"), scenario.function, str(count)], env, root)
    samples: list[float] = bench_result(done.stdout)["samples_ms"]
    return samples


def warm_node(node: str, ref: str, scenario: Scenario, store_uri: str, count: int) -> list[float]:
    event = scenario.events(1)[0]
    env = base_env(store_uri, {"BENCH_EVENT": json.dumps(event), "NODE_ENV": "production"})
    done = run_measured([node, "warm.js", ref, str(count)], env, NODE_DIR)
    samples: list[float] = bench_result(done.stdout)["samples_ms"]
    return samples


def latency_summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "calls": len(ordered),
        "median_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


def zip_size(directory: Path) -> int:
    """Bytes of the directory zipped as ``sam deploy`` zips it (deflate)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "artifact.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(directory))
        return target.stat().st_size


def deployment_sizes(build: Path | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Each built function's and layer's zip; and each function with its layers (what it deploys)."""
    build = build or BUILD
    functions = list(SIZE_TARGETS_MB)
    layers = {f: function_layers(f, build) for f in functions}
    names = [*functions, *(layer for f in functions for layer in layers[f])]
    sizes = {name: zip_size(build / name) for name in dict.fromkeys(names)}
    deployed = {f: sizes[f] + sum(sizes[layer] for layer in layers[f]) for f in functions}
    return sizes, deployed


@contextmanager
def plain_token_hashes() -> Iterator[None]:
    """Seed as a build from before TOKEN_HASH_KEYS stored tokens: their plain hex SHA-256."""
    import hashlib

    from gpt_auth.oauth import tokens

    keyed = tokens._keyed
    tokens._keyed = lambda key, token: hashlib.sha256(token.encode("ascii")).hexdigest()
    try:
        yield
    finally:
        tokens._keyed = keyed


def hashes_tokens_plainly(build: Path) -> bool:
    """Whether a build stores our tokens as plain SHA-256 (before TOKEN_HASH_KEYS)."""
    return not any("TOKEN_HASH_KEYS" in path.read_text() for path in build.rglob("gpt_auth/**/tokens.py"))


@contextmanager
def baseline_build(
    ref: str, python: str, base: Path, builder: list[str] | None = None, repo: Path = ROOT
) -> Iterator[tuple[str, Path]]:
    """REF's code built in a temporary git worktree of ``repo`` (detached, removed afterwards):
    its commit and its build directory. ``builder`` runs in the worktree (``sam build`` with
    ``python``'s directory first on PATH, as ``make build`` runs it)."""
    found = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        raise SystemExit(f"--baseline {ref}: not a commit of this repository")
    commit = found.stdout.strip()
    tree = base / "baseline"
    git_worktree = ["git", "-C", str(repo), "worktree"]
    subprocess.run([*git_worktree, "add", "--quiet", "--detach", str(tree), commit], check=True)
    try:
        interpreter = Path(shutil.which(python) or python).parent
        env = {**os.environ, "PATH": f"{interpreter}:{os.environ.get('PATH', '')}", "SAM_CLI_TELEMETRY": "0"}
        print(f"baseline: building {ref} ({commit[:12]}) in a temporary worktree", file=sys.stderr)
        built = subprocess.run(
            builder or [str(SAM), "build"], cwd=tree, env=env, capture_output=True, text=True
        )
        if built.returncode != 0:
            output = (built.stdout + built.stderr)[-3000:]
            raise SystemExit(f"--baseline {ref}: the build failed:\n{output}")
        yield commit, tree / ".aws-sam" / "build"
    finally:
        subprocess.run([*git_worktree, "remove", "--force", str(tree)], check=False)


@contextmanager
def store_settings(uri: str, extra: dict[str, str] | None = None) -> Iterator[None]:
    """Point the harness's own gpt_auth (used to seed) at a store."""
    from gpt_auth.runtime import db, settings

    saved = dict(os.environ)
    os.environ.update({**SETTINGS, "MONGODB_URI": uri, **(extra or {})})
    os.environ.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    settings.reset()
    db.reset()
    try:
        yield
    finally:
        db.reset()
        settings.reset()
        os.environ.clear()
        os.environ.update(saved)


def ratio(ours: float, reference: float) -> float:
    return round(ours / reference, 3) if reference else float("nan")


def ratios(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per function and reference: ours / reference, and where the floor bounds it, ours / floor
    and floor / reference (the best ours / reference could be without dropping pymongo)."""
    cold = report["cold"]
    floor = cold.get(FLOOR)
    rows = []
    for scenario in report["scenarios"]:
        ours = cold[scenario["function"]]["median_s"]
        for ref in scenario["references"]:
            theirs = cold[f"node:{ref}"]["median_s"]
            row: dict[str, Any] = {
                "function": scenario["function"],
                "reference": ref,
                "ours_over_reference": ratio(ours, theirs),
            }
            if floor and scenario.get("floor", True):
                row["ours_over_floor"] = ratio(ours, floor["median_s"])
                row["floor_over_reference"] = ratio(floor["median_s"], theirs)
            rows.append(row)
    return rows


def met(value: float, target: float) -> str:
    return "met" if value <= target else "not met"


def secret_ratios(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per function measured on the deployed path: ours from the secret over ours from the
    environment, and over the Node reference reading the same secret through the AWS SDK v3."""
    cold = report["cold"]
    rows = []
    for scenario in report["scenarios"]:
        function = scenario["function"]
        if not scenario["references"] or f"{function}{SECRET}" not in cold:
            continue
        ref = scenario["references"][0]
        ours = cold[f"{function}{SECRET}"]["median_s"]
        rows.append(
            {
                "function": function,
                "reference": ref,
                "secret_over_environment": ratio(ours, cold[function]["median_s"]),
                "secret_over_node_secret": ratio(ours, cold[f"node:{ref}{SECRET}"]["median_s"]),
            }
        )
    return rows


def paired(after: list[float], before: list[float]) -> float | None:
    """The median of each round's own after / before (the two runs of a round ran back to back)."""
    pairs = list(zip(after, before, strict=False))
    return round(statistics.median(a / b for a, b in pairs), 3) if pairs else None


def baseline_ratios(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per function measured from both builds: after / before of the cold medians and per round,
    in wall time and in CPU time (which a loaded machine's waits for a core leave out)."""
    cold, samples = report["cold"], report.get("cold_samples_s", {})
    cpu_samples = report.get("cold_cpu_samples_s", {})
    rows = []
    for scenario in report["scenarios"]:
        function = scenario["function"]
        before = cold.get(f"{function}{BASELINE}")
        if before is None or function not in cold:
            continue
        row: dict[str, Any] = {
            "function": function,
            "route": scenario["route"],
            "after_over_before": ratio(cold[function]["median_s"], before["median_s"]),
        }
        key = f"{function}{BASELINE}"
        by_round = paired(samples.get(function, []), samples.get(key, []))
        if by_round is not None:
            row["paired_after_over_before"] = by_round
        if "cpu_median_s" in cold[function] and "cpu_median_s" in before:
            row["cpu_after_over_before"] = ratio(cold[function]["cpu_median_s"], before["cpu_median_s"])
            cpu_by_round = paired(cpu_samples.get(function, []), cpu_samples.get(key, []))
            if cpu_by_round is not None:
                row["paired_cpu_after_over_before"] = cpu_by_round
        rows.append(row)
    return rows


def render_baseline(report: dict[str, Any]) -> list[str]:
    """The baseline's table: each function's main route cold from REF's build and from this one."""
    rows = baseline_ratios(report)
    if not rows:
        return []
    baseline, cold = report["baseline"], report["cold"]
    lines = [
        "",
        f"Against the baseline `{baseline['ref']}` ({baseline['commit'][:12]}): the same cold path "
        "built from that commit, interleaved with this build's in every round; wall time, and the CPU "
        "time each child used (a loaded machine's waits for a core are not in it)",
        "",
        "| function | before | after | after / before | per round (median) | CPU before / after "
        "| CPU after / before (per round) | peak RSS before / after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        function = row["function"]
        before, after = cold[f"{function}{BASELINE}"], cold[function]
        by_round = row.get("paired_after_over_before")
        cpu = "-"
        if "cpu_after_over_before" in row:
            cpu_by_round = row.get("paired_cpu_after_over_before")
            cpu = f"**{row['cpu_after_over_before']:.3f} x**" + (
                f" ({cpu_by_round:.3f} x)" if cpu_by_round is not None else ""
            )
        cpu_times = (
            f"{before['cpu_median_s']:.3f} / {after['cpu_median_s']:.3f} s"
            if "cpu_median_s" in before and "cpu_median_s" in after
            else "-"
        )
        lines.append(
            f"| {function} `{row['route']}` | {timing(before)} | {timing(after)} "
            f"| **{row['after_over_before']:.3f} x** | {f'{by_round:.3f} x' if by_round else '-'} "
            f"| {cpu_times} | {cpu} | {before['peak_rss_mb']:.1f} / {after['peak_rss_mb']:.1f} MB |"
        )
    return lines


def timing(stats: dict[str, float]) -> str:
    return f"{stats['median_s']:.3f} s ({stats['p25_s']:.3f}-{stats['p75_s']:.3f})"


def render_secret_path(report: dict[str, Any]) -> list[str]:
    """The deployed path's table: each function cold with its settings from the secret."""
    rows = secret_ratios(report)
    if not rows:
        return []
    cold = report["cold"]
    lines = [
        "",
        "Deployed path: settings from the secret (APP_SECRET_ARN; moto's Secrets Manager behind the "
        "Parameters and Secrets extension stand-in), interleaved with the same function on "
        "environment settings and a Node reference reading the same secret through the AWS SDK v3",
        "",
        "| function | environment settings | from the secret | secret / environment "
        f"(target {SECRET_OVER_ENV_TARGET:.2f} x) | Node + SDK v3 secret | ours / Node "
        f"(target {SECRET_OVER_NODE_TARGET:.2f} x) | peak RSS env / secret / Node |",
        "|---|---|---|---|---|---|---|",
    ]
    routes = {s["function"]: s["route"] for s in report["scenarios"]}
    for row in rows:
        function, ref = row["function"], row["reference"]
        env, ours, node = cold[function], cold[f"{function}{SECRET}"], cold[f"node:{ref}{SECRET}"]
        over_env, over_node = row["secret_over_environment"], row["secret_over_node_secret"]
        lines.append(
            f"| {function} `{routes[function]}` | {timing(env)} | {timing(ours)} "
            f"| **{over_env:.2f} x** ({met(over_env, SECRET_OVER_ENV_TARGET)}) "
            f"| `{ref}` {timing(node)} | **{over_node:.2f} x** ({met(over_node, SECRET_OVER_NODE_TARGET)}) "
            f"| {env['peak_rss_mb']:.0f} / {ours['peak_rss_mb']:.0f} / {node['peak_rss_mb']:.0f} MB |"
        )
    read = report.get("secret_read_ms")
    if read:
        lines += [
            "",
            f"One read through the extension stand-in and moto, warm, from the harness: "
            f"{read['median_ms']:.1f} ms median ({read['p99_ms']:.1f} ms p99); in AWS the extension's "
            "GetSecretValue call takes its place.",
        ]
    return lines


def mcp_ratios(report: dict[str, Any]) -> dict[str, Any]:
    """The MCP endpoint's cold ``tools/call`` over testEndpoint's ``POST /`` and over FastMCP's cold
    call, each of the medians and per round, in wall and CPU time; {} unless it was measured."""
    cold, samples = report["cold"], report.get("cold_samples_s", {})
    cpu_samples = report.get("cold_cpu_samples_s", {})
    if MCP_ACTION not in cold:
        return {}
    ours = cold[MCP_ACTION]
    ratios: dict[str, Any] = {}
    for name, other in (("post_root", ACTION), ("fastmcp", FASTMCP)):
        if other not in cold:  # --only left it out
            continue
        ratios[f"mcp_over_{name}"] = ratio(ours["median_s"], cold[other]["median_s"])
        ratios[f"paired_mcp_over_{name}"] = paired(samples.get(MCP_ACTION, []), samples.get(other, []))
        if "cpu_median_s" in ours and "cpu_median_s" in cold[other]:
            ratios[f"cpu_mcp_over_{name}"] = ratio(ours["cpu_median_s"], cold[other]["cpu_median_s"])
            cpu_by_round = paired(cpu_samples.get(MCP_ACTION, []), cpu_samples.get(other, []))
            ratios[f"paired_cpu_mcp_over_{name}"] = cpu_by_round
    return ratios


def per_round(value: float | None) -> str:
    return f" ({value:.2f} x)" if value is not None else ""


def render_mcp(report: dict[str, Any]) -> list[str]:
    """The MCP table: ``tools/call getHello`` cold beside ``POST /`` and FastMCP, with their ratios."""
    ratios = mcp_ratios(report)
    if not ratios:
        return []
    cold = report["cold"]
    version = report.get("fastmcp_version", "")
    lines = [
        "",
        f"MCP: `tools/call getHello` at `/mcp` cold (no `initialize` before it: stateless), in the same "
        f"rounds as testEndpoint's `POST /` (the same greeting as a GPT action) and FastMCP {version} "
        "(a stateless server with JSON answers and the same tool, driven in process through its ASGI "
        "app; it checks no token and reads no store, which ours does); wall time, and CPU time",
        "",
        "| subject | cold | CPU | peak RSS | `/mcp` over it (per round) | CPU, `/mcp` over it (per round) "
        "| target |",
        "|---|---|---|---|---|---|---|",
    ]
    subjects = (
        (ACTION, "testEndpoint `POST /`", "post_root", MCP_OVER_POST_TARGET),
        (MCP_ACTION, "testEndpoint `POST /mcp` `tools/call getHello`", None, None),
        (FASTMCP, f"FastMCP {version} `POST /mcp` `tools/call getHello`", "fastmcp", MCP_OVER_FASTMCP_TARGET),
    )
    for key, label, name, target in subjects:
        if key not in cold:
            continue
        stats = cold[key]
        cpu = f"{stats['cpu_median_s']:.3f} s" if "cpu_median_s" in stats else "-"
        over = cpu_over = goal = "-"
        if name is not None and target is not None:
            value = ratios[f"mcp_over_{name}"]
            over = f"**{value:.2f} x**{per_round(ratios.get(f'paired_mcp_over_{name}'))}"
            goal = f"{target:.2f} x ({met(value, target)})"
            if f"cpu_mcp_over_{name}" in ratios:
                cpu_ratio = ratios[f"cpu_mcp_over_{name}"]
                cpu_over = f"{cpu_ratio:.2f} x{per_round(ratios.get(f'paired_cpu_mcp_over_{name}'))}"
        lines.append(
            f"| {label} | {timing(stats)} | {cpu} | {stats['peak_rss_mb']:.0f} MB | {over} | {cpu_over} "
            f"| {goal} |"
        )
    return lines


def render_alone(report: dict[str, Any]) -> list[str]:
    """Routes measured without a Node reference (the Google-backed action): cold and warm rows."""
    alone = [s for s in report["scenarios"] if not s["references"] and s["function"] in report["cold"]]
    if not alone:
        return []
    cold, warm = report["cold"], report.get("warm", {})
    lines = [
        "",
        "Routes without a reference: the first call in a fresh container (cold, Google's token refresh "
        "and API call against the local stand-in included"
        + (
            f"; the stand-in answered {report['cold_google_refreshes']} refresh grants in the cold runs"
            if "cold_google_refreshes" in report
            else ""
        )
        + "), and warm calls in one container",
        "",
        "| function | cold, environment settings | cold, from the secret | peak RSS | warm median (p99), "
        "embedded / nx-27017 |",
        "|---|---|---|---|---|",
    ]
    for scenario in alone:
        function = scenario["function"]
        from_secret = cold.get(f"{function}{SECRET}")
        warm_cells = [warm.get(f"{function}@{store}") for store in ("embedded", "nx-27017")]
        warm_text = " / ".join(
            f"{w['median_ms']:.2f} ms ({w['p99_ms']:.2f})" if w else "-" for w in warm_cells
        )
        lines.append(
            f"| {function} `{scenario['route']}` | {timing(cold[function])} "
            f"| {timing(from_secret) if from_secret else '-'} | {cold[function]['peak_rss_mb']:.0f} MB "
            f"| {warm_text} |"
        )
    return lines


def render_sizes(report: dict[str, Any]) -> list[str]:
    sizes = report["sizes"]
    lines = ["", "Deployment size (zipped)", "", "| artifact | zip |", "|---|---|"]
    lines += [f"| {name} | {size / 1e6:.2f} MB |" for name, size in sizes.items()]
    lines.append(f"| **all artifacts, each once** | **{sum(sizes.values()) / 1e6:.2f} MB** |")
    deployed = report.get("deployed_sizes")
    if deployed:
        lines += [
            "",
            "What each function deploys: its zip and its layers' (not the extension's, which is AWS's)",
            "",
            "| function | layers | zipped | target |",
            "|---|---|---|---|",
        ]
        before = report.get("baseline", {}).get("deployed_sizes")
        if before:  # what the baseline's build deploys, in a column before the target
            ref = report["baseline"]["ref"]
            lines[-2:] = [f"| function | layers | zipped | `{ref}` | target |", "|---|---|---|---|---|"]
        for function, size in deployed.items():
            target = SIZE_TARGETS_MB[function]
            layers = ", ".join(report.get("function_layers", {}).get(function, []))
            was = ""
            if before:
                was = f" {before[function] / 1e6:.2f} MB |" if function in before else " - |"
            lines.append(
                f"| {function} | {layers} | **{size / 1e6:.2f} MB** |{was} "
                f"{target} MB ({met(size / 1e6, target)}) |"
            )
    return lines


def render(report: dict[str, Any]) -> str:
    cold = report["cold"]
    lines = [
        f"Cold path: fresh process, one request of the main route on nx-27017 "
        f"({report['runs']} interleaved runs; median, IQR; peak RSS median)",
        "",
    ]
    if FLOOR in cold:
        floor = cold[FLOOR]
        lines += [
            f"Python floor (pymongo + one find_one, same layout): {floor['median_s']:.3f} s "
            f"({floor['p25_s']:.3f}-{floor['p75_s']:.3f}), {floor['peak_rss_mb']:.0f} MB",
            "",
        ]
    lines += [
        "| function | ours | reference | theirs | ours / reference | ours / floor | floor / reference "
        "| peak RSS ours / ref |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_key = {(r["function"], r["reference"]): r for r in ratios(report)}
    for scenario in report["scenarios"]:
        ours = cold[scenario["function"]]
        for ref in scenario["references"]:
            theirs = cold[f"node:{ref}"]
            row = by_key[(scenario["function"], ref)]
            above = f"{row['ours_over_floor']:.2f} x" if "ours_over_floor" in row else "-"
            bound = f"{row['floor_over_reference']:.2f} x" if "floor_over_reference" in row else "-"
            lines.append(
                f"| {scenario['function']} `{scenario['route']}` "
                f"| {ours['median_s']:.3f} s ({ours['p25_s']:.3f}-{ours['p75_s']:.3f}) "
                f"| `{ref}` | {theirs['median_s']:.3f} s ({theirs['p25_s']:.3f}-{theirs['p75_s']:.3f}) "
                f"| **{row['ours_over_reference']:.2f} x** | {above} | {bound} "
                f"| {ours['peak_rss_mb']:.0f} MB / {theirs['peak_rss_mb']:.0f} MB |"
            )
    lines += render_baseline(report)
    lines += render_secret_path(report)
    lines += render_mcp(report)
    lines += render_alone(report)
    lines += ["", "Warm in-process latency of one invocation", ""]
    lines += ["| handler | store | median | p99 |", "|---|---|---|---|"]
    for key, stats in report["warm"].items():
        who, store = key.rsplit("@", 1)
        lines.append(f"| {who} | {store} | {stats['median_ms']:.3f} ms | {stats['p99_ms']:.3f} ms |")
    lines += render_sizes(report)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="cold runs per subject (default 15)")
    parser.add_argument("--calls", type=int, default=2000, help="warm calls per handler (default 2000)")
    parser.add_argument("--python", default=os.environ.get("PYTHON313", "python3.13"))
    parser.add_argument("--node", default="node")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--extra-layer",
        type=Path,
        action="append",
        default=[],
        help="another layer directory (with python/) put on /opt/python, e.g. Powertools",
    )
    parser.add_argument("--doc", type=Path, default=DOC, help="the document holding the bench markers")
    parser.add_argument(
        "--render-only",
        type=Path,
        metavar="SUMMARY",
        help="render a saved report (e.g. benchmarks/summary.json) into --doc; measure nothing",
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also build REF (a commit) in a temporary worktree and measure each main route's cold "
        "path from it, interleaved with this build's (after / before)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="FUNCTION",
        choices=[s.function for s in SCENARIOS],
        help="measure only this function's main route (repeatable), e.g. testEndpoint with more runs",
    )
    args = parser.parse_args(argv)
    if args.render_only:
        saved: dict[str, Any] = json.loads(args.render_only.read_text())
        write_block(args.doc, DOC_BLOCK, render(saved))
        return saved
    if not BUILD.exists():
        raise SystemExit("No sam build output: run `make build` first (make bench does).")
    if not (NODE_DIR / "node_modules").exists():
        raise SystemExit("The Node references are not installed: run `npm ci` in benchmarks/node.")

    report: dict[str, Any] = {
        "runs": args.runs,
        "fastmcp_version": importlib.metadata.version("fastmcp"),
        "calls": args.calls,
        "python": subprocess.run(
            [args.python, "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip(),
        "node": subprocess.run(
            [args.node, "--version"], capture_output=True, text=True, check=True
        ).stdout.strip(),
        "scenarios": [
            {"function": s.function, "route": s.route, "references": list(s.references), "floor": s.floor}
            for s in SCENARIOS
        ],
    }
    with ExitStack() as stack:
        base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gpt-auth-bench-")))
        baseline = None
        if args.baseline:  # built before the servers start; its worktree goes when the run ends
            commit, baseline = stack.enter_context(baseline_build(args.baseline, args.python, base))
            _, before_sizes = deployment_sizes(baseline)
            report["baseline"] = {"ref": args.baseline, "commit": commit, "deployed_sizes": before_sizes}
        nx = stack.enter_context(NxServer())
        stub = stack.enter_context(ProviderStub())
        secrets_endpoint = stack.enter_context(moto_secrets_manager())
        extension = stack.enter_context(SecretsExtension(secrets_endpoint))
        stub_env = stub.environment()
        python = lambda_python(args.python, base)
        in_secret = (*SECRET_KEYS, *OPTIONAL_SECRET_KEYS)
        secret_value = {**{k: v for k, v in SETTINGS.items() if k in in_secret}, "MONGODB_URI": nx.uri}
        arn = extension.client.create_secret(
            Name="gpt-google-auth/bench", SecretString=json.dumps(secret_value)
        )
        secret = ServedSecret(arn["ARN"], secrets_endpoint, extension.environment())
        with store_settings(nx.uri, stub_env):
            subjects = cold_subjects(
                python, args.node, base, nx.uri, stub_env, args.extra_layer, secret, baseline
            )
            subjects, unchosen = chosen(subjects, args.only)
            subjects, missing = first_round(subjects)
            missing |= unchosen
            scenarios = [s for s in SCENARIOS if s.function not in missing]
            for i in range(args.runs):
                for subject in subjects:  # A B A B ...: drift hits every subject alike
                    subject.run_once()
                print(f"cold run {i + 1}/{args.runs}", file=sys.stderr)
            report["cold"] = {s.key: s.measured.summary() for s in subjects}
            report["cold_samples_s"] = {s.key: s.measured.seconds for s in subjects}
            report["cold_cpu_samples_s"] = {s.key: s.measured.cpu_seconds for s in subjects}
            report["secret_read_ms"] = secret_read_ms(secret)
            report["cold_google_refreshes"] = stub.refreshes  # one per cold run of the Google-backed route

        warm: dict[str, Any] = {}
        for scenario in scenarios:
            if not scenario.warm:
                continue
            root = lambda_root(scenario.build_dir, base, args.extra_layer)
            stores = {"embedded": "mongomock://localhost", "nx-27017": nx.uri}
            for store in scenario.warm_stores:
                uri = stores[store]
                samples = warm_python(sys.executable, scenario, root, uri, stub_env, args.calls)
                warm[f"{scenario.function}@{store}"] = latency_summary(samples)
            with store_settings(nx.uri, stub_env):
                for ref in scenario.references[:1]:
                    samples = warm_node(args.node, ref, scenario, nx.uri, args.calls)
                    warm[f"node:{ref}@nx-27017"] = latency_summary(samples)
        report["warm"] = warm
        report["scenarios"] = [r for r in report["scenarios"] if r["function"] not in missing]
    report["sizes"], report["deployed_sizes"] = deployment_sizes()
    report["function_layers"] = {f: list(function_layers(f)) for f in report["deployed_sizes"]}
    report["ratios"] = ratios(report)
    report["secret_ratios"] = secret_ratios(report)
    report["mcp_ratios"] = mcp_ratios(report)
    if baseline:
        report["baseline_ratios"] = baseline_ratios(report)

    table = render(report)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "latest.md").write_text(table + "\n")
    SUMMARY.write_text(json.dumps(report, indent=2) + "\n")
    write_block(args.doc, DOC_BLOCK, table)
    print(f"\nwritten: {args.out / 'latest.json'}", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
