"""Fixtures only (helpers live in tests/support/): settings, the two stores, servers, stubs, logs."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import responses
from cfnlint.decode import decode

from localdev.lambda_env import FakeLambdaContext
from localdev.nx_server import NxServer
from tests.support import config, hypothesis_profiles, stores
from tests.support.fake_idp import ISSUER, FakeIdp
from tests.support.logs import captured_logs
from tests.support.paths import ROOT

if TYPE_CHECKING:
    from localdev.calendar_stand_in import RunningCalendar
    from localdev.stand_in import StandIn
    from tests.integration.chatgpt import ChatGpt
    from tests.support.secrets import ServedSecret

hypothesis_profiles.load()


@pytest.fixture(autouse=True)
def app_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Every test starts from known settings, an empty embedded store and no cached provider data.

    It is the one place that resets the product's caches around a test; a test that changes a
    setting uses ``configure``.
    """
    for name in config.CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in config.TEST_SETTINGS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ENV_FILE", "/dev/null")  # a developer's .env never reaches a test
    config.reset_caches()
    yield config.TEST_SETTINGS
    config.reset_caches()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Change settings within a test: ``configure(NAME="value", OTHER=None)``; None removes one.

    The product reads the settings again; a new store URI or database also gets a new client
    (``tests.support.config.apply``). The test's end undoes it all.
    """

    def change(**values: str | None) -> None:
        config.apply(monkeypatch, values)

    return change


@pytest.fixture(scope="session")
def nx_server() -> Iterator[NxServer]:
    with NxServer() as server:
        yield server


@pytest.fixture
def nx_store(nx_server: NxServer, configure: Callable[..., None], request: pytest.FixtureRequest) -> NxServer:
    """The store on the shared nx-27017 server (a real server over TCP), in a database of its own.

    Without it (or ``store``) a test runs on the embedded store ``app_settings`` sets up.
    """
    configure(MONGODB_URI=nx_server.uri, MONGODB_DATABASE=stores.database_for(request.node.nodeid))
    return nx_server


@pytest.fixture(params=[stores.EMBEDDED, pytest.param(stores.NX, marks=pytest.mark.nx)])
def store(request: pytest.FixtureRequest) -> str:
    """Run the test on the embedded store and on the nx-27017 wire-protocol server."""
    if request.param == stores.NX:
        request.getfixturevalue("nx_store")
    return str(request.param)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """template.yaml as cfn-lint reads it (its tags resolved), as plain dicts and lists."""
    parsed, problems = decode(str(ROOT / "template.yaml"))
    assert not problems, problems
    loaded: dict[str, Any] = json.loads(json.dumps(parsed))
    return loaded


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def read_logs() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Call it to get every structured line the product logged so far in the test, parsed."""
    with captured_logs() as read:
        yield read


@pytest.fixture
def http_mock() -> Iterator[responses.RequestsMock]:
    """Every ``requests`` call in the test goes to stubs; an unstubbed URL fails the call."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake_idp(http_mock: responses.RequestsMock, configure: Callable[..., None]) -> FakeIdp:
    """The provider stubbed at its HTTP edge, configured through ``OIDC_ISSUER``."""
    configure(OIDC_ISSUER=ISSUER)
    return FakeIdp(http_mock)


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS for the test, reached with fake credentials (no profile read)."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never answers a byte (a hung server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield listener.getsockname()[1]


@pytest.fixture(scope="session")
def stand_in() -> Iterator[StandIn]:
    """The Google stand-in (oidc-provider-mock) on a free port; ``.issuer`` is its OIDC_ISSUER."""
    from localdev.stand_in import google_stand_in

    with google_stand_in() as running:
        yield running


@pytest.fixture(scope="session")
def oidc_issuer(stand_in: StandIn) -> str:
    """A real OpenID Connect provider on a free local port (the local Google stand-in); its issuer URL.

    Use it through ``OIDC_ISSUER``. Consent is a POST to the authorization URL (query kept) with
    form ``sub=<user id>``; ``action=deny`` answers ``error=access_denied``.
    """
    return stand_in.issuer


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """The Function URL emulator with the three real functions, on a free port: its base URL.

    Each function answers under ``<base>/<name>/`` (e.g. ``<base>/testEndpoint/``). It runs in
    this process, so the handlers read the test's settings and share its embedded store.
    """
    from localdev.emulator import FunctionUrlEmulator, serve_in_thread

    with serve_in_thread(FunctionUrlEmulator()) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def calendar(stand_in: StandIn) -> Iterator[RunningCalendar]:
    """The Calendar API stand-in (``localdev/calendar_stand_in.py``) for the stand-in's users."""
    from localdev.calendar_stand_in import calendar_stand_in

    with calendar_stand_in(stand_in.issuer) as running:
        yield running


@pytest.fixture
def calendar_gpt(
    emulator: str, stand_in: StandIn, calendar: RunningCalendar, configure: Callable[..., None]
) -> ChatGpt:
    """ChatGPT on the emulator's URLs, the handlers set up as ``make dev`` sets them with Calendar."""
    from gpt_auth.runtime import settings
    from localdev.dev import LocalUrls
    from tests.integration.chatgpt import ChatGpt
    from tests.support.make_dev import calendar_settings

    configure(**calendar_settings(stand_in, LocalUrls(emulator), calendar.api_base))
    config = settings.get_settings()
    return ChatGpt(emulator, config.gpt_client_id, config.gpt_client_secret)


@pytest.fixture(scope="session")
def secrets_manager() -> Iterator[str]:
    """moto's Secrets Manager as a server on a free loopback port: its endpoint URL."""
    from localdev.secrets_extension import moto_secrets_manager

    with moto_secrets_manager() as endpoint:
        yield endpoint


@pytest.fixture
def serve_secret(
    secrets_manager: str, configure: Callable[..., None]
) -> Iterator[Callable[[str | dict[str, Any]], ServedSecret]]:
    """Call it with a secret's value (JSON text, or a dict): the secret is created in moto, served by
    the Parameters and Secrets extension stand-in (no cache, as the template sets it), and named by
    ``APP_SECRET_ARN``, with the stand-in's port and session token in the environment."""
    from localdev.secrets_extension import SecretsExtension
    from tests.support.secrets import create_secret

    with SecretsExtension(secrets_manager) as extension:
        configure(**extension.environment())

        def serve(value: str | dict[str, Any]) -> ServedSecret:
            served = create_secret(extension, value)
            configure(APP_SECRET_ARN=served.arn)
            return served

        yield serve
