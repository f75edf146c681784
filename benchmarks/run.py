"""``make bench``: our built functions measured side by side with the Node.js references.

For each function (as ``sam build`` leaves it: the code in ``task/``, both layers merged in
``opt/python`` as Lambda extracts them) and each Node reference, in one run and interleaved:

- the cold path: a fresh process imports the handler, answers one real request of its main
  route against a local nx-27017 server, and exits at once; wall time and peak RSS;
- the Python floor the same way: only pymongo and one ``find_one``, in the same layout;
- warm in-process latency of the handler, on the embedded store and on nx-27017;
- the deployment size: each function's and each layer's zip.

Prints the tables, writes ``benchmarks/results/latest.json`` (and ``latest.md``) and
``benchmarks/summary.json``, and puts the tables into ``docs/performance.md`` between its bench
markers. ``--render-only SUMMARY`` only renders a saved report into that file.
"""

from __future__ import annotations

import argparse
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.provider_stub import ProviderStub
from benchmarks.scenarios import CONTEXT, SCENARIOS, SETTINGS, Scenario
from localdev.doc_block import markers, write_block
from localdev.nx_server import NxServer

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
NODE_DIR = BENCH / "node"
BUILD = ROOT / ".aws-sam" / "build"
LAYERS = ("SharedLayer", "DependenciesLayer")
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
result = {"status": response["statusCode"], "peak_rss_kb": PEAK_RSS}
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


@dataclass
class Measured:
    """The samples of one cold-path subject (ours or a reference)."""

    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        q = statistics.quantiles(self.seconds, n=4) if len(self.seconds) > 1 else self.seconds * 3
        return {
            "runs": len(self.seconds),
            "median_s": statistics.median(self.seconds),
            "p25_s": q[0],
            "p75_s": q[2],
            "min_s": min(self.seconds),
            "max_s": max(self.seconds),
            "peak_rss_mb": statistics.median(self.rss_mb),
        }


def run_measured(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Run a process to its end: (wall seconds, ru_maxrss in MB, stdout); the child exits at once.

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
    return elapsed, usage.ru_maxrss / 1024, stdout


def bench_result(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith("BENCH_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            return result
    raise RuntimeError(f"no BENCH_RESULT line in: {stdout[-1000:]}")


def lambda_root(function_dir: str, base: Path, extra_layers: list[Path]) -> Path:
    """``task/`` and ``opt/python`` as Lambda lays out the function and its layers."""
    root = base / function_dir
    if not root.exists():
        shutil.copytree(BUILD / function_dir, root / "task")
        for layer in [*(BUILD / name for name in LAYERS), *extra_layers]:
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

    def run_once(self, record: bool = True) -> int:
        """One cold run; returns the status the request got."""
        event = self.scenario.events(1)[0]
        env = {**self.env, "BENCH_EVENT": json.dumps(event)}
        elapsed, _, stdout = run_measured(self.argv, env, self.cwd)
        result = bench_result(stdout)
        status: int = result["status"]
        if status != self.scenario.expected_status and status != NOT_BUILT:
            raise RuntimeError(f"{self.key}: status {status}, expected {self.scenario.expected_status}")
        if record:
            self.measured.seconds.append(elapsed)
            self.measured.rss_mb.append(result["peak_rss_kb"] / 1024)
        return status


def cold_subjects(
    python: str, node: str, base: Path, store_uri: str, stub_env: dict[str, str], extra_layers: list[Path]
) -> list[Subject]:
    subjects = []
    for scenario in SCENARIOS:
        root = lambda_root(scenario.build_dir, base, extra_layers)
        env = python_env(root, store_uri, stub_env)
        subjects.append(Subject(scenario.function, scenario, [python, "-c", COLD_PYTHON], env, root))
        if scenario is SCENARIOS[0]:  # the floor needs only the layers, which every function has
            subjects.append(Subject(FLOOR, scenario, [python, "-c", FLOOR_PYTHON], env, root))
        for ref in scenario.references:
            ref_env = base_env(store_uri, {**stub_env, "NODE_ENV": "production"})
            subjects.append(Subject(f"node:{ref}", scenario, [node, f"{ref}.js"], ref_env, NODE_DIR))
    return subjects


def warm_python(
    python: str, scenario: Scenario, root: Path, store_uri: str, stub_env: dict[str, str], count: int
) -> list[float]:
    env = python_env(root, store_uri, stub_env)
    env.pop("AWS_LAMBDA_FUNCTION_NAME")  # the embedded store is refused inside Lambda
    # `python` is the harness's own: the embedded store (mongomock) comes from its site-packages,
    # which stand after the function and its layers on the path.
    _, _, stdout = run_measured([python, str(BENCH / "warm.py"), scenario.function, str(count)], env, root)
    samples: list[float] = bench_result(stdout)["samples_ms"]
    return samples


def warm_node(node: str, ref: str, scenario: Scenario, store_uri: str, count: int) -> list[float]:
    event = scenario.events(1)[0]
    env = base_env(store_uri, {"BENCH_EVENT": json.dumps(event), "NODE_ENV": "production"})
    _, _, stdout = run_measured([node, "warm.js", ref, str(count)], env, NODE_DIR)
    samples: list[float] = bench_result(stdout)["samples_ms"]
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


def deployment_sizes() -> dict[str, int]:
    names = [s.build_dir for s in SCENARIOS] + ["GoogleAuthorizationFunction", *LAYERS]
    return {name: zip_size(BUILD / name) for name in dict.fromkeys(names) if (BUILD / name).exists()}


@contextmanager
def store_settings(uri: str, extra: dict[str, str] | None = None) -> Iterator[None]:
    """Point the harness's own gpt_auth (used to seed) at a store."""
    from gpt_auth import db, settings

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
    lines += ["", "Warm in-process latency of one invocation", ""]
    lines += ["| handler | store | median | p99 |", "|---|---|---|---|"]
    for key, stats in report["warm"].items():
        who, store = key.rsplit("@", 1)
        lines.append(f"| {who} | {store} | {stats['median_ms']:.3f} ms | {stats['p99_ms']:.3f} ms |")
    lines += ["", "Deployment size (zipped)", "", "| artifact | zip |", "|---|---|"]
    sizes = report["sizes"]
    for name, size in sizes.items():
        lines.append(f"| {name} | {size / 1e6:.2f} MB |")
    lines.append(f"| **total** | **{sum(sizes.values()) / 1e6:.2f} MB** |")
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
    with (
        tempfile.TemporaryDirectory(prefix="gpt-auth-bench-") as tmp,
        NxServer() as nx,
        ProviderStub() as stub,
    ):
        base = Path(tmp)
        stub_env = stub.environment()
        python = lambda_python(args.python, base)
        with store_settings(nx.uri, stub_env):
            subjects = cold_subjects(python, args.node, base, nx.uri, stub_env, args.extra_layer)
            # One uncounted round fills the page cache and finds routes not built yet.
            missing = {s.scenario.function for s in subjects if s.run_once(record=False) == NOT_BUILT}
            for function in sorted(missing):
                print(f"{function}: its main route is not built yet; left out", file=sys.stderr)
            subjects = [s for s in subjects if s.scenario.function not in missing]
            scenarios = [s for s in SCENARIOS if s.function not in missing]
            for i in range(args.runs):
                for subject in subjects:  # A B A B ...: drift hits every subject alike
                    subject.run_once()
                print(f"cold run {i + 1}/{args.runs}", file=sys.stderr)
            report["cold"] = {s.key: s.measured.summary() for s in subjects}
            report["cold_samples_s"] = {s.key: s.measured.seconds for s in subjects}

        warm: dict[str, Any] = {}
        for scenario in scenarios:
            if not scenario.warm:
                continue
            root = lambda_root(scenario.build_dir, base, args.extra_layer)
            for store, uri in (("embedded", "mongomock://localhost"), ("nx-27017", nx.uri)):
                samples = warm_python(sys.executable, scenario, root, uri, stub_env, args.calls)
                warm[f"{scenario.function}@{store}"] = latency_summary(samples)
            with store_settings(nx.uri, stub_env):
                for ref in scenario.references[:1]:
                    samples = warm_node(args.node, ref, scenario, nx.uri, args.calls)
                    warm[f"node:{ref}@nx-27017"] = latency_summary(samples)
        report["warm"] = warm
        report["scenarios"] = [r for r in report["scenarios"] if r["function"] not in missing]
    report["sizes"] = deployment_sizes()
    report["sizes_total"] = sum(report["sizes"].values())
    report["ratios"] = ratios(report)

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
