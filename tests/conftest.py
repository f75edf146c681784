"""Shared fixtures: local settings, the store on mongomock or nx-27017, events, log capture."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from gpt_auth import app_secret, db, provider, settings
from localdev import invoke
from localdev.nx_server import NxServer
from localdev.seed import SAMPLE_SETTINGS, seed_event

if TYPE_CHECKING:
    from localdev.stand_in import StandIn

# Property tests: a modest, reproducible run by default ("ci"); HYPOTHESIS_PROFILE=thorough digs deeper.
hypothesis_settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

# The sample events carry the clients of SAMPLE_SETTINGS.
TEST_SETTINGS = {
    **SAMPLE_SETTINGS,
    "MONGODB_URI": "mongomock://localhost",
    "MONGODB_DATABASE": "gpt_auth_test",
}


@pytest.fixture(autouse=True)
def app_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Every test starts from known settings, an empty embedded store and no cached provider data."""
    for name in (
        *app_secret.SECRET_KEYS,
        "APP_SECRET_ARN",
        "GOOGLE_REDIRECT_URI",
        "ALLOWED_REDIRECT_URIS",
        "OIDC_ISSUER",
        "ACCESS_TOKEN_TTL",
        "REFRESH_TOKEN_TTL",
        "REFRESH_TOKEN_GRACE",
        "SESSION_MAX_AGE",
        "MONGODB_DATABASE",
        "AWS_LAMBDA_FUNCTION_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in TEST_SETTINGS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ENV_FILE", "/dev/null")  # a developer's .env never reaches a test
    settings.reset()
    db.reset()
    provider.reset()
    yield TEST_SETTINGS
    settings.reset()
    db.reset()
    provider.reset()


@pytest.fixture(scope="session")
def nx_server() -> Iterator[NxServer]:
    with NxServer() as server:
        yield server


@pytest.fixture(scope="session")
def oidc_issuer(stand_in: StandIn) -> str:
    """A real OpenID Connect provider on a free local port (the local Google stand-in); its issuer URL.

    Use it through ``OIDC_ISSUER``. Consent is a POST to the authorization URL (query kept) with
    form ``sub=<user id>``; ``action=deny`` answers ``error=access_denied``.
    """
    return stand_in.issuer


@pytest.fixture(params=["mongomock", pytest.param("nx", marks=pytest.mark.nx)])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on the embedded store and on the nx-27017 wire-protocol server."""
    if request.param == "nx":
        server: NxServer = request.getfixturevalue("nx_server")
        monkeypatch.setenv("MONGODB_URI", server.uri)
        monkeypatch.setenv("MONGODB_DATABASE", f"t{abs(hash(request.node.nodeid)) % 10**9}")
    settings.reset()
    db.reset()
    return str(request.param)


def skip_on_nx(store: str, reason: str) -> None:
    """Skip where nx-27017 diverges from MongoDB's documented semantics."""
    if store == "nx":
        pytest.skip(f"nx-27017 divergence: {reason}")


@dataclass(frozen=True)
class FakeLambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


def load_event(name: str) -> dict[str, Any]:
    """A payload 2.0 event from ``events/<name>.json``."""
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


def event_index() -> dict[str, dict[str, Any]]:
    """``events/index.json``: for each event file, its function, expected status and purpose."""
    return invoke.index()


def seeded_event(name: str) -> dict[str, Any]:
    """``events/<name>.json``, with what its index entry's ``seed`` asks made live in the store."""
    event = load_event(name)
    seed = event_index()[name].get("seed")
    if seed:
        seed_event(event, seed)
    return event


@pytest.fixture
def read_logs() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Call it to get every structured line the product logged so far in the test, parsed."""
    from gpt_auth.log import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    target = logging.getLogger(logger.service)
    target.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        target.removeHandler(handler)


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """The Function URL emulator with the three real functions, on a free port: its base URL.

    Each function answers under ``<base>/<name>/`` (e.g. ``<base>/testEndpoint/``). It runs in
    this process, so the handlers read the test's settings and share its embedded store.
    """
    from localdev.emulator import FunctionUrlEmulator, serve_in_thread

    with serve_in_thread(FunctionUrlEmulator()) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="session")
def stand_in() -> Iterator[StandIn]:
    """The Google stand-in (oidc-provider-mock) on a free port; ``.issuer`` is its OIDC_ISSUER."""
    from localdev.stand_in import google_stand_in

    with google_stand_in() as running:
        yield running


def emf_counts(stdout: str) -> list[dict[str, list[float]]]:
    """The metrics of each CloudWatch EMF line printed to ``stdout``, as ``{name: values}``."""
    counts = []
    for line in stdout.splitlines():
        record = json.loads(line) if line.startswith("{") else {}
        if "_aws" in record:
            names = [m["Name"] for d in record["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
            counts.append({name: record[name] for name in names})
    return counts
