"""The whole local system in a real browser: `make dev`'s simulator page, clicked through.

Starts ``python -m localdev.dev`` (what ``make dev`` runs) on a free port, then drives headless
Chromium (Debian's ``chromium``, through playwright) through sign-in, consent at the Google
stand-in, the action calls, a refresh and the events; then the 1,000-event user, whose page must
stay a few screens long; then the MCP section, as an MCP client: discover, register, sign in
through the consent page and the stand-in, list the tools, call getHello. Screenshots go to
``test-output/e2e/``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpt_auth.actions import hello, upcoming_events
from localdev.nx_server import free_port, wait_for_port
from tests.support.paths import ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = ROOT / "test-output" / "e2e"
GPT_CLIENT_ID = "e2e-gpt-client"
GPT_CLIENT_SECRET = "e2e-gpt-secret-0123456789"
# A token in clear: our prefixes followed by a long random part.
CLEAR_TOKEN = re.compile(r"g(at|rt|ac)_[A-Za-z0-9_-]{20,}")
HELLO = hello.ACTION.operation_id
EVENTS = upcoming_events.ACTION.operation_id
# The page with a full answer of the 1,000-event user listed (the issue saw 14,000 px).
MAX_PAGE_HEIGHT = 3_000


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not CHROMIUM:
        reason = "Chromium is not installed: run `make install-browser` (or set CHROMIUM=/path/to/chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser test (.ci/run calls make install-browser)")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def local_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`make dev` on a free port, with the GPT credentials above; yields its base URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("dev") / "dev.log"
    # A newcomer's shell: none of our settings, no .env (a developer's store must not be used).
    ours = (
        "GPT_",
        "GOOGLE_",
        "MONGODB_",
        "OIDC_",
        "ALLOWED_REDIRECT",
        "APP_SECRET",
        "ACCESS_TOKEN",
        "REFRESH_TOKEN",
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env = {
        **keep,
        "ENV_FILE": "/dev/null",
        "PORT": str(port),
        "GPT_CLIENT_ID": GPT_CLIENT_ID,
        "GPT_CLIENT_SECRET": GPT_CLIENT_SECRET,
    }
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "localdev.dev"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            try:
                wait_for_port(port, timeout=30)
            except TimeoutError:
                proc.kill()
                pytest.fail(f"make dev did not start; its output:\n{log_path.read_text()[-3000:]}")
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    output = log_path.read_text()
    for secret in (GPT_CLIENT_SECRET,):
        assert secret not in output, "make dev printed the client secret"


@pytest.fixture
def page(chromium_path: str, request: pytest.FixtureRequest, javascript: bool):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        try:
            context = browser.new_context(
                java_script_enabled=javascript, viewport={"width": 1280, "height": 800}
            )
            # Hermetic: only the local system; the stand-in's page links a CDN stylesheet.
            context.route(
                re.compile(r"^https?://(?!127\.0\.0\.1[:/])"),
                lambda route: route.abort("internetdisconnected"),
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def shot(page, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def token_row(page, key: str) -> str:
    return page.locator(f"#token-{key} td").inner_text()


def call_get_hello(page, base: str, name: str) -> str:
    """Type ``name``, press "Call getHello" and wait for the page again, at that action's form;
    the greeting it shows."""
    page.fill(f"#{HELLO}-body-name", name)
    page.get_by_role("button", name=f"Call {HELLO}").click()
    page.wait_for_url(f"{base}/#action-{HELLO}")
    return page.locator(f"#answer-{HELLO}").inner_text()


def list_events(page, base: str) -> None:
    page.get_by_role("button", name=f"Call {EVENTS}").click()
    page.wait_for_url(f"{base}/#action-{EVENTS}")


def sign_in_as(page, base: str, user: str) -> None:
    """Press the sign-in button (either label) and consent at the Google stand-in as ``user``."""
    page.get_by_role("button", name=re.compile(r"^Sign in (with Google|again)$")).click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/oauth2/authorize"))
    page.fill("#subject-input", user)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(base + "/")


def page_height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


@pytest.mark.parametrize(
    ("javascript", "token_auth", "user"),
    [
        pytest.param(True, "client_secret_post", "ada@example.com", id="js-post-sample-user"),
        pytest.param(False, "client_secret_basic", "grace@example.com", id="nojs-basic-typed-user"),
    ],
)
def test_sign_in_call_and_refresh_in_a_browser(local_system, page, javascript, token_auth, user):
    prefix = f"{'js' if javascript else 'nojs'}-{token_auth}"
    # GIVEN the simulator page of a freshly started local system
    page.goto(local_system + "/")
    assert page.locator("#sign-in-state").inner_text() == "Not signed in."
    assert page.locator("#settings").get_by_text(f"{local_system}/googleAuthorization/").count() == 1
    shot(page, f"{prefix}-1-start")

    # WHEN the user signs in, with the chosen token exchange method
    page.select_option("#token_auth", token_auth)
    page.get_by_role("button", name="Sign in with Google").click()
    # THEN the Google stand-in asks for consent, for our client and callback
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/oauth2/authorize"))
    assert f"{local_system}/googleAuthorization/callback" in page.content()
    shot(page, f"{prefix}-2-consent")
    if user == "ada@example.com":
        page.get_by_role("button", name=f"Authorize as {user}").click()
    else:
        page.fill("#subject-input", user)
        page.get_by_role("button", name="Authorize", exact=True).click()

    # THEN the browser is back on the simulator, signed in, with the exchange in the timeline
    page.wait_for_url(local_system + "/")
    assert page.locator("#sign-in-state").inner_text() == "Signed in."
    # a sample user by the e-mail the stand-in verified; a typed one (no e-mail) by their user id
    who = page.locator("#signed-in-user").inner_text()
    assert who == f"User: {user}" if user == "ada@example.com" else who.endswith(f"#{user}"), who
    first_token = token_row(page, "access")
    assert first_token.startswith("gat_") and "chars" in first_token
    timeline = page.locator("#timeline").inner_text()
    assert "Token exchange: the authorization code for tokens" in timeline
    assert "→ 200 OK" in timeline
    shot(page, f"{prefix}-3-signed-in")

    # WHEN the user calls the action with a name
    greeting = call_get_hello(page, local_system, "Ada")
    # THEN the page shows the action's answer
    assert greeting == "Hello Ada"
    shot(page, f"{prefix}-4-hello")

    # WHEN the user refreshes the access token
    page.get_by_role("button", name="Refresh the access token").click()
    page.wait_for_url(local_system + "/")
    # THEN a new access token replaced the old one, and it works
    second_token = token_row(page, "access")
    assert second_token.split(",")[0] != first_token.split(",")[0]
    assert token_row(page, "previous") == first_token.split(",")[0]
    assert "Refresh: the refresh token for a new access token" in page.locator("#timeline").inner_text()
    assert call_get_hello(page, local_system, "Grace") == "Hello Grace"
    shot(page, f"{prefix}-5-refreshed")

    # WHEN the user lists their events (the Calendar stand-in: ada has five this week, others none)
    list_events(page, local_system)
    # THEN the page shows the answer and its size in characters
    expected = 5 if user == "ada@example.com" else 0
    summary = page.locator(f"#{EVENTS}-summary").inner_text()
    assert summary.startswith(f"Page 1: {expected} events"), summary
    assert 0 < int(page.locator(f"#{EVENTS}-size").inner_text().replace(",", "")) <= 20_000
    if expected:
        assert "Notes on the Analytical Engine" in page.locator(f"#{EVENTS}-events").inner_text()
    shot(page, f"{prefix}-6-events")

    # AND no token, code or secret ever appears in clear on the page
    html = page.content()
    assert not CLEAR_TOKEN.search(html), CLEAR_TOKEN.search(html)
    assert GPT_CLIENT_SECRET not in html


@pytest.mark.parametrize("javascript", [True])
def test_denied_consent_is_shown_and_leaves_the_user_signed_out(local_system, page, javascript):
    # GIVEN a sign-in started from the simulator
    page.goto(local_system + "/")
    page.get_by_role("button", name="Sign in with Google").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/oauth2/authorize"))
    # WHEN the user denies access at the Google stand-in
    page.get_by_role("button", name="Deny access").click()
    # THEN the simulator says so, holds no token, and exchanged nothing
    page.wait_for_url(local_system + "/")
    assert page.get_by_role("alert").inner_text().startswith("Sign-in failed: access_denied")
    assert page.locator("#sign-in-state").inner_text() == "Not signed in."
    assert "Token exchange" not in page.locator("#timeline").inner_text()
    shot(page, "js-denied")


@pytest.mark.parametrize("javascript", [True])
def test_the_busy_user_s_page_stays_short_and_a_new_user_starts_clean(local_system, page, javascript):
    # GIVEN busy@example.com (1,000 events with long descriptions) signed in
    page.goto(local_system + "/")
    sign_in_as(page, local_system, "busy@example.com")
    # WHEN they list their events, then the next page
    list_events(page, local_system)
    assert page.locator(f"#{EVENTS}-summary").inner_text().startswith("Page 1: 50 events")
    page.locator(f"#{EVENTS}-more").click()
    page.wait_for_url(f"{local_system}/#action-{EVENTS}")
    # THEN the events are listed, and the page stays a few screens long
    assert page.locator(f"#{EVENTS}-summary").inner_text().startswith("Page 2: 50 events")
    table = page.locator(f"#{EVENTS}-events")
    assert table.is_visible() and "Meeting 51 of 1000" in table.inner_text()
    height = page_height(page)
    shot(page, "busy-events")
    assert height < MAX_PAGE_HEIGHT, f"the page is {height} px high"

    # WHEN getHello is refused (an empty name)
    call_get_hello_refused = page.locator(f"#{HELLO}-result")
    page.fill(f"#{HELLO}-body-name", "")
    page.get_by_role("button", name=f"Call {HELLO}").click()
    page.wait_for_url(f"{local_system}/#action-{HELLO}")
    # THEN the reason is under its form, in view, not below the events
    reason = call_get_hello_refused.get_by_role("alert")
    assert "must be a string of 1 to 200 characters" in reason.inner_text()
    button = page.get_by_role("button", name=f"Call {HELLO}").bounding_box()
    box = reason.bounding_box()
    assert button and box and 0 < box["y"] - button["y"] < 200, (button, box)
    assert reason.is_visible() and box["y"] < 800  # the browser scrolled to the form
    shot(page, "busy-refusal")
    height = page_height(page)
    assert height < MAX_PAGE_HEIGHT, f"the page is {height} px high"

    # WHEN someone else signs in from this browser
    sign_in_as(page, local_system, "ada@example.com")
    # THEN the page names them and keeps nothing of the previous user's answers
    assert page.locator("#signed-in-user").inner_text() == "User: ada@example.com"
    html = page.content()
    assert "of 1000" not in html and "busy@example.com" not in html
    assert page.locator(f"#{EVENTS}-result").count() == 0
    shot(page, "new-user")


def press_mcp(page, base: str, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_url(base + "/#mcp")


@pytest.mark.parametrize("javascript", [False])
def test_the_mcp_client_discovers_registers_signs_in_and_calls_a_tool(local_system, page, javascript):
    # GIVEN the simulator page, its MCP section collapsed until opened
    page.goto(local_system + "/")
    assert not page.get_by_role("button", name="Discover", exact=True).is_visible()
    page.locator("#mcp > details > summary").click()
    # WHEN the MCP client discovers /mcp's authorization server and registers there
    press_mcp(page, local_system, "Discover")
    assert page.locator("#mcp-issuer td").inner_text() == f"{local_system}/googleAuthorization"
    press_mcp(page, local_system, "Register")
    client_id = page.locator("#mcp-client td").inner_text()
    assert client_id != "not registered yet", page.locator("#mcp-notice").inner_text()
    # AND signs in: our consent page names the client first, then the Google stand-in
    page.get_by_role("button", name="Sign in as an MCP client").click()
    page.wait_for_url(re.compile(rf"^{re.escape(local_system)}/googleAuthorization"))
    assert "gpt-google-auth simulator (plays an MCP client)" in page.content()
    shot(page, "mcp-1-consent")
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/oauth2/authorize"))
    page.get_by_role("button", name="Authorize as ada@example.com").click()
    # THEN the browser is back at the MCP section, signed in as that user
    page.wait_for_url(local_system + "/#mcp")
    assert page.locator("#mcp-user").inner_text() == "MCP client signed in as ada@example.com."
    assert page.locator("#mcp-access td").inner_text().startswith("gat_")
    # WHEN the tools are listed and getHello is called from its form
    press_mcp(page, local_system, "List tools")
    page.locator(f"#tool-{HELLO} > summary").click()
    page.fill(f"#tool-{HELLO}-argument-name", "Ada")
    page.get_by_role("button", name=f"Call tool {HELLO}").click()
    page.wait_for_url(f"{local_system}/#tool-{HELLO}")
    # THEN its answer shows under the form, and each step is in the timeline
    assert page.locator(f"#tool-answer-{HELLO}").inner_text() == "Hello Ada"
    timeline = page.locator("#timeline").text_content() or ""  # older entries wait collapsed
    for title in ("MCP discover: POST /mcp without a token", "MCP register", "MCP token exchange"):
        assert title in timeline, title
    assert f"MCP tools/call {HELLO}" in timeline
    shot(page, "mcp-2-hello")
    # AND no token, code or verifier is in clear on the page
    html = page.content()
    assert not CLEAR_TOKEN.search(html), CLEAR_TOKEN.search(html)
