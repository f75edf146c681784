"""``make dev`` (``python -m localdev.dev``): the whole system on this machine, no AWS or Google.

It starts the Google stand-in (OIDC) and the Google Calendar API stand-in
(``localdev.calendar_stand_in``) on free ports, points the handlers' settings at them
(``GOOGLE_API_BASE`` at the Calendar one), serves the three functions through the Function URL
emulator on ``127.0.0.1:${PORT:-3000}`` with the GPT simulator page at ``/``
(``localdev.simulator``), and prints every local URL, the values to type into a GPT's OAuth
settings and where the local manifest is served, in under 30 lines with the simulator's URL last.
Ctrl-C (or SIGTERM) stops everything.

Settings it sets: ``OIDC_ISSUER`` (the stand-in), ``GOOGLE_CLIENT_ID``/``GOOGLE_CLIENT_SECRET`` (a
client registered at the stand-in for ``GOOGLE_SCOPES``), ``GOOGLE_REDIRECT_URI`` (the local
callback), ``ACTION_URL``, ``AUTHORIZATION_SERVER_URL`` and ``TOKEN_URL`` (the local mounts of
testEndpoint, googleAuthorization and googleAuthentication, for ``/mcp`` and the metadata), and
``ALLOWED_REDIRECT_URIS`` (``$ALLOWED_REDIRECT_URIS`` or the two ChatGPT patterns, plus the
simulator's local callback).
Settings it honours from the environment: ``GPT_CLIENT_ID`` and ``GPT_CLIENT_SECRET`` (local
defaults otherwise), ``GOOGLE_SCOPES`` (default: sign-in plus read-only Calendar),
``TOKEN_ENCRYPTION_KEYS`` (a fixed local key otherwise), ``MONGODB_URI`` (the embedded in-memory
store otherwise; a store on another machine only with ``DEV_ALLOW_REMOTE_MONGODB=1``),
``MONGODB_DATABASE``, the token lifetimes and log settings, each also from ``.env`` where the
environment leaves it unset. ``APP_SECRET_ARN`` is ignored: local runs read no AWS secret.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import re
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

from gpt_auth.actions.catalog import gpt_scope
from localdev.calendar_stand_in import calendar_stand_in
from localdev.emulator import DEFAULT_FUNCTIONS, FunctionUrlEmulator, make_emulator_server
from localdev.env_file import load_env_file
from localdev.lambda_env import ACTION, AUTHORIZATION, TOKEN
from localdev.manifest import ActionUrls, build_manifest, scopes
from localdev.simulator import LocalSite, Simulator, SimulatorConfig
from localdev.stand_in import SAMPLE_USERS, StandIn, google_stand_in

DEFAULT_PORT = 3000
LOCAL_GPT_CLIENT_ID = "local-gpt-client"
LOCAL_GPT_CLIENT_SECRET = "local-gpt-secret-for-make-dev"
LOCAL_GOOGLE_CLIENT_ID = "local-google-client"
LOCAL_GOOGLE_CLIENT_SECRET = "local-google-secret"
LOCAL_GOOGLE_SCOPES = " ".join(gpt_scope())  # the sign-in and every declared action
# Seals the stand-in's tokens in a local store; fixed, so a MONGODB_URI store keeps working across
# runs. Published here, so never use it outside make dev.
LOCAL_TOKEN_ENCRYPTION_KEYS = "local:bG9jYWwtbWFrZS1kZXYta2V5LW5vdC1mb3ItYXdzLTA="
# Keys the stored hashes of our tokens in a local store, likewise fixed and never for AWS.
LOCAL_TOKEN_HASH_KEYS = "local:bG9jYWwtbWFrZS1kZXYtaGFzaC1rZXktbm90LWF3czA="
SAMPLE_GPT_CALLBACK = "https://chatgpt.com/aip/g-local0000/oauth/callback"
# The banner's last line: what to open first stays in view (the schema is served, not printed).
SIMULATOR_LINE = "GPT simulator (plays ChatGPT, and an MCP client, in your browser): "


REMOTE_STORE_OPT_IN = "DEV_ALLOW_REMOTE_MONGODB"


class DevError(Exception):
    """A problem the user can fix; the message says how."""


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.startswith("/") or host.endswith(".sock"):  # a Unix socket
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def store_hosts(uri: str) -> list[str]:
    """The hosts a ``mongodb://`` or ``mongodb+srv://`` URI names, without any DNS lookup.

    Raises
    ------
    DevError
        When the URI cannot be parsed (its text, which may hold a password, is not repeated).
    """
    if uri.startswith("mongodb+srv://"):
        netloc = uri[len("mongodb+srv://") :].split("/", 1)[0].split("?", 1)[0]
        return [netloc.rpartition("@")[2].lower()]  # SRV names a DNS record: never loopback here
    from pymongo.errors import ConfigurationError
    from pymongo.uri_parser import parse_uri

    try:
        nodes = parse_uri(uri)["nodelist"]
    except (ConfigurationError, ValueError) as exc:  # InvalidURI is a ConfigurationError
        raise DevError(
            f"MONGODB_URI is not a valid MongoDB URI (pymongo: {type(exc).__name__}); "
            "check its hosts and ports."
        ) from None
    return [str(host).lower() for host, _ in nodes]


def check_store_is_local(env: Mapping[str, str]) -> None:
    """Refuse a ``MONGODB_URI`` on another machine unless ``DEV_ALLOW_REMOTE_MONGODB`` says yes.

    make dev's Google stand-in signs in any user id typed on its consent page, so sessions it
    mints in a shared or deployed store would look like real users' sessions there.

    Raises
    ------
    DevError
        Naming the remote host and the opt-in setting.
    """
    uri = env.get("MONGODB_URI", "").strip()
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        return  # unset or mongomock: the embedded store; anything else is refused by the settings
    remote = [host for host in store_hosts(uri) if not _is_loopback(host)]
    if not remote or env.get(REMOTE_STORE_OPT_IN, "").strip().lower() in ("1", "true", "yes"):
        return
    raise DevError(
        f"MONGODB_URI points at {', '.join(remote)}, not this machine. make dev's Google stand-in "
        "signs in any user id typed on its consent page, so the sessions it mints would sit in that "
        "store beside real users' sessions. Use a local store (leave MONGODB_URI unset for the "
        "embedded one, or a mongodb://127.0.0.1 URI), or set "
        f"{REMOTE_STORE_OPT_IN}=1 to use that store anyway."
    )


@dataclass(frozen=True)
class LocalUrls:
    """The local URLs of one ``make dev`` run, from the emulator's base URL."""

    base: str

    def function(self, name: str) -> str:
        return f"{self.base}/{name}/"

    @property
    def authorization(self) -> str:
        return self.function(AUTHORIZATION)

    @property
    def token(self) -> str:
        return self.function(TOKEN)

    @property
    def test_endpoint(self) -> str:
        return self.function(ACTION)

    @property
    def mcp(self) -> str:
        return f"{self.test_endpoint}mcp"

    @property
    def google_redirect(self) -> str:
        return f"{self.authorization}callback"

    @property
    def simulator_callback(self) -> str:
        return f"{self.base}/simulator/callback"


def read_port(env: Mapping[str, str]) -> int:
    """``PORT`` from the environment (default 3000; 0 picks a free port)."""
    raw = env.get("PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    from gpt_auth.runtime.setting_values import ascii_int

    port = ascii_int(raw)
    if port is None or port > 65535:
        raise DevError(f"PORT must be a port number from 0 to 65535, got {raw[:40]!r}.")
    return port


def local_settings(
    env: Mapping[str, str],
    urls: LocalUrls,
    issuer: str,
    google_client: tuple[str, str] | None = None,
    api_base: str | None = None,
) -> dict[str, str]:
    """The settings for the handlers in a local run (see the module docstring).

    ``api_base`` is the Calendar stand-in's URL (``GOOGLE_API_BASE``); without it, Google's.

    ``google_client`` is the (id, secret) registered at the stand-in; without it, placeholders
    (the stand-in accepts any client, granting it only the sign-in scopes).
    """
    from gpt_auth.runtime.errors import ConfigError
    from gpt_auth.runtime.settings import DEFAULT_REDIRECT_PATTERNS, redirect_pattern_sources

    try:
        patterns = redirect_pattern_sources(env.get("ALLOWED_REDIRECT_URIS", ""))
    except ConfigError as exc:
        raise DevError(f"Settings error: {exc}") from None
    patterns = (patterns or list(DEFAULT_REDIRECT_PATTERNS)) + [re.escape(urls.simulator_callback)]
    return {
        "OIDC_ISSUER": issuer,
        "GOOGLE_CLIENT_ID": google_client[0] if google_client else LOCAL_GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": google_client[1] if google_client else LOCAL_GOOGLE_CLIENT_SECRET,
        "GOOGLE_REDIRECT_URI": urls.google_redirect,
        # /mcp's resource URL, the issuer and the token URL in its metadata: the emulator's mounts,
        # which the handlers cannot see
        "ACTION_URL": urls.test_endpoint.rstrip("/"),
        "AUTHORIZATION_SERVER_URL": urls.authorization.rstrip("/"),
        "TOKEN_URL": urls.token,
        **({"GOOGLE_API_BASE": api_base} if api_base else {}),
        "GOOGLE_SCOPES": env.get("GOOGLE_SCOPES", "").strip() or LOCAL_GOOGLE_SCOPES,
        "TOKEN_ENCRYPTION_KEYS": env.get("TOKEN_ENCRYPTION_KEYS", "").strip() or LOCAL_TOKEN_ENCRYPTION_KEYS,
        "TOKEN_HASH_KEYS": env.get("TOKEN_HASH_KEYS", "").strip() or LOCAL_TOKEN_HASH_KEYS,
        "ALLOWED_REDIRECT_URIS": " ".join(patterns),
        "GPT_CLIENT_ID": env.get("GPT_CLIENT_ID", "").strip() or LOCAL_GPT_CLIENT_ID,
        "GPT_CLIENT_SECRET": env.get("GPT_CLIENT_SECRET", "").strip() or LOCAL_GPT_CLIENT_SECRET,
    }


def local_manifest(urls: LocalUrls) -> dict[str, Any]:
    """The action schema (``manifest.json``'s shape) for the local URLs: valid in local mode."""
    return build_manifest(ActionUrls.local(urls.base))


def banner(urls: LocalUrls, stand_in: StandIn, env: Mapping[str, str], settings: Mapping[str, str]) -> str:
    """What ``make dev`` prints at start: every local URL and the values to paste into a GPT."""
    secret_note = (
        "(from GPT_CLIENT_SECRET)"
        if env.get("GPT_CLIENT_SECRET", "").strip()
        else f"{LOCAL_GPT_CLIENT_SECRET}  (local default; set GPT_CLIENT_SECRET to choose)"
    )
    id_note = "" if env.get("GPT_CLIENT_ID", "").strip() else "  (local default; set GPT_CLIENT_ID to choose)"
    uri = env.get("MONGODB_URI", "").strip()
    store = (
        f"MongoDB at {urlsplit(uri).hostname or uri.split('://', 1)[0]} (MONGODB_URI)"
        if uri and not uri.startswith("mongomock://")
        else "embedded in-memory store (emptied when make dev stops)"
    )
    sign_in = (
        urls.authorization
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": settings["GPT_CLIENT_ID"],
                "redirect_uri": SAMPLE_GPT_CALLBACK,
                "state": "try-me",
                "scope": " ".join(scopes()),
            }
        )
    )
    width = max(len(name) for name in DEFAULT_FUNCTIONS)
    lines = [
        "gpt-google-auth runs locally. Ctrl-C stops it.",
        "",
        "Functions (Lambda Function URL emulator, payload 2.0, one request at a time per function):",
        *(f"  {name:<{width}}  {urls.function(name)}" for name in DEFAULT_FUNCTIONS),
        f"Google stand-in (oidc-provider-mock): {stand_in.issuer}",
        f"  sample users: {', '.join(u.sub for u in SAMPLE_USERS)} (or type any id on its consent page)",
        f"  remove a user's access as at Google: curl -X POST {stand_in.issuer}/users/<user>/revoke-tokens",
        f"Google Calendar API stand-in (GOOGLE_API_BASE): {settings.get('GOOGLE_API_BASE', '(none)')}",
        f"Google redirect URI: {urls.google_redirect}",
        f"Google scopes asked: {settings['GOOGLE_SCOPES']}",
        f"Session store: {store}",
        "",
        "GPT action > Authentication > OAuth:",
        f"  Client ID:             {settings['GPT_CLIENT_ID']}{id_note}",
        f"  Client Secret:         {secret_note}",
        f"  Authorization URL:     {urls.authorization}",
        f"  Token URL:             {urls.token}",
        f"  Scope:                 {' '.join(scopes())}",
        "  Token Exchange Method: Default (POST request) or Basic authorization header, both work",
        f"  Schema:                {urls.base}/simulator/manifest.json (the local manifest)",
        f"MCP endpoint (the actions as tools; docs/mcp.md): {urls.mcp}",
        "",
        "Sign in with curl as ChatGPT would (-i, follow each Location; docs/local-development.md):",
        f"  {sign_in}",
        "",
        f"{SIMULATOR_LINE}{urls.base}/",
    ]
    return "\n".join(lines)


def _stop(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def serve(port: int) -> None:
    """Run everything until Ctrl-C or SIGTERM.

    Raises
    ------
    DevError
        When the port is taken or a setting from the environment is malformed.
    """
    check_store_is_local(os.environ)
    emulator = FunctionUrlEmulator()
    site = LocalSite(emulator)  # the simulator joins once the port, hence its callback, is known
    try:
        server = make_emulator_server(site, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DevError(
                f"Port {port} on 127.0.0.1 is already in use (another make dev?). "
                f"Stop what listens there, or choose another port: PORT={port + 1} make dev"
            ) from None
        raise DevError(f"Cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}.") from None
    try:
        with google_stand_in() as stand_in, calendar_stand_in(stand_in.issuer) as calendar:
            urls = LocalUrls(f"http://127.0.0.1:{server.server_port}")
            scopes = (os.environ.get("GOOGLE_SCOPES", "").strip() or LOCAL_GOOGLE_SCOPES).split()
            client = stand_in.register_client(
                [urls.google_redirect], " ".join(scopes), auth_method="client_secret_basic"
            )
            settings = local_settings(os.environ, urls, stand_in.issuer, client, calendar.api_base)
            env_before = dict(os.environ)
            os.environ.update(settings)
            os.environ.pop("APP_SECRET_ARN", None)
            _check_settings()
            site.simulator = Simulator(
                SimulatorConfig(
                    ActionUrls.local(urls.base),
                    settings["GPT_CLIENT_ID"],
                    settings["GPT_CLIENT_SECRET"],
                    urls.simulator_callback,
                )
            )
            emulator.preload()
            print(banner(urls, stand_in, env_before, settings), flush=True)
            server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


def _check_settings() -> None:
    from gpt_auth.runtime import settings
    from gpt_auth.runtime.errors import ConfigError

    settings.reset()
    try:
        settings.get_settings()
    except ConfigError as exc:
        raise DevError(f"Settings error: {exc}") from None


def main() -> int:
    """Entry point of ``make dev``; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    # Their request logs print query strings (state, codes): ours prints paths only.
    for name in ("werkzeug", "oidc_provider_mock"):
        logging.getLogger(name).setLevel(logging.WARNING)
    load_env_file()  # .env fills what the environment leaves unset (docs/reference.md, "Settings")
    # Ctrl-C stops it even when started where SIGINT is ignored (e.g. a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)
    try:
        serve(read_port(os.environ))  # werkzeug's serve_forever returns on KeyboardInterrupt
    except DevError as exc:
        print(f"make dev: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print("\nStopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
