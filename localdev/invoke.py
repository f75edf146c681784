"""``make invoke EVENT=events/<file>.json [FN=<function>]``: a real handler, in-process, on a sample event.

It seeds what the event's entry in ``events/index.json`` asks for (a live token or code) on the
embedded store, calls the function's ``lambda_handler`` with the event and a Lambda context, and
prints the response. Without ``EVENT`` it runs every file in ``events/``, each on a fresh store,
and checks each answer against the status ``index.json`` documents.

Settings: the environment, then ``.env``, then the sample values the events are written for
(``localdev.samples.SAMPLE_SETTINGS``). The store is always the embedded one, so seeding never touches yours.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localdev.env_file import load_env_file
from localdev.lambda_env import FUNCTION_MOUNTS, FakeLambdaContext, handler_module
from localdev.samples import SAMPLE_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
INDEX = EVENTS / "index.json"

INVOKE_REQUEST_ID = "00000000-0000-4000-8000-00000000face"
FUNCTIONS = tuple(FUNCTION_MOUNTS.values())


def function_name(name: str) -> str:
    """``test_endpoint`` from itself, ``testEndpoint`` or ``TestEndpointFunction``."""
    wanted = name.strip().removesuffix("Function").replace("_", "").lower()
    for folder in FUNCTIONS:
        if folder.replace("_", "") == wanted:
            return folder
    raise ValueError(f"No function {name!r}; use one of {', '.join(FUNCTIONS)} (or testEndpoint, …).")


def event_path(name: str) -> Path:
    """``events/x.json`` from itself, ``x.json`` or ``x``."""
    path = Path(name)
    for candidate in (path, EVENTS / path.name, EVENTS / f"{path.name}.json"):
        if candidate.is_file():
            return candidate
    raise ValueError(f"No event file {name!r}; the samples are in events/ (make invoke lists them).")


def load_event(name: str) -> dict[str, Any]:
    """A payload 2.0 event from ``events/<name>.json``."""
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


def index() -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = json.loads(INDEX.read_text())
    return entries


def prepare_environment(env_file: Path | None) -> None:
    """Settings for invoking: environment, then ``env_file``, then samples; the embedded store."""
    load_env_file(env_file)
    for name, value in SAMPLE_SETTINGS.items():
        os.environ.setdefault(name, value)
    os.environ["MONGODB_URI"] = "mongomock://localhost"
    os.environ.pop("APP_SECRET_ARN", None)
    os.environ.pop("AWS_LAMBDA_FUNCTION_NAME", None)  # the embedded store is refused inside Lambda


def handler_of(function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    module = importlib.import_module(handler_module(function))
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = module.lambda_handler
    return handler


def fresh_store() -> None:
    from gpt_auth.runtime import db, settings

    settings.reset()
    db.reset()  # a new embedded client is a new, empty store


def invoke(
    path: Path, function: str | None = None
) -> tuple[dict[str, Any], dict[str, Any] | None, str | None]:
    """Seed, then answer one event; returns (response, its index entry or None, what was seeded).

    Raises
    ------
    ValueError
        When the function cannot be told (no index entry and no ``function``) or contradicts the index.
    """
    from localdev.seed import seed_event

    entry = index().get(path.stem)
    if function is None:
        if entry is None:
            raise ValueError(f"{path.name} has no entry in events/index.json: name its function with FN=.")
        function = str(entry["function"])
    elif entry is not None and entry["function"] != function:
        raise ValueError(
            f"{path.name} is a {entry['function']} event (events/index.json), not a {function} one."
        )
    try:
        event: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name} is not JSON: {exc}") from None
    seeded = str(entry["seed"]) if entry and entry.get("seed") else None
    if seeded:
        seed_event(event, seeded)
    context = FakeLambdaContext(function_name=f"local-{function}", aws_request_id=INVOKE_REQUEST_ID)
    response = handler_of(function)(event, context)
    return response, entry, seeded


def run_one(name: str, function: str | None) -> int:
    path = event_path(name)
    response, entry, seeded = invoke(path, function_name(function) if function else None)
    print(json.dumps(response, indent=2))
    documented = entry and entry.get("status")
    note = f" (seeded: {seeded})" if seeded else ""
    if documented is None:
        print(
            f"{path.name}: {response['statusCode']}{note}; events/index.json has no entry for it",
            file=sys.stderr,
        )
        return 0
    if response["statusCode"] != documented:
        print(
            f"{path.name}: {response['statusCode']}, but events/index.json documents {documented}",
            file=sys.stderr,
        )
        return 1
    print(f"{path.name}: {response['statusCode']} as documented{note}", file=sys.stderr)
    return 0


def run_all() -> int:
    entries = index()
    failures = 0
    for path in sorted(EVENTS.glob("*.json")):
        if path == INDEX:
            continue
        fresh_store()
        if path.stem not in entries:
            print(f"FAIL      {path.name}: no entry in events/index.json")
            failures += 1
            continue
        response, entry, _ = invoke(path)
        assert entry is not None
        status, documented = response["statusCode"], entry["status"]
        ok = status == documented
        failures += not ok
        label = "ok  " if ok else "FAIL"
        print(f"{label} {status:>4} {path.name}" + ("" if ok else f" (documented {documented})"))
    for stem in sorted(set(entries) - {p.stem for p in EVENTS.glob("*.json")}):
        print(f"FAIL      {stem}: in events/index.json, but events/{stem}.json does not exist")
        failures += 1
    print("every event answered as documented" if not failures else f"{failures} event(s) did not")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make invoke", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--event", help="events/<file>.json (default: every event, checked against index.json)"
    )
    parser.add_argument("--function", help="google_authorization, google_authentication or test_endpoint")
    parser.add_argument("--env-file", type=Path, help="settings file (default: $ENV_FILE, else .env)")
    args = parser.parse_args(argv)
    # Quiet logs when checking every event; one event shows its log lines as Lambda would.
    if not args.event:
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    prepare_environment(args.env_file)
    try:
        return run_one(args.event, args.function) if args.event else run_all()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
