"""The simulator's "List my events" step against the real functions and both Google stand-ins."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
import requests

from gpt_auth.actions import upcoming_events
from localdev.calendar_stand_in import calendar_stand_in
from localdev.dev import LocalUrls
from localdev.emulator import FunctionUrlEmulator, serve_in_thread
from localdev.simulator import LocalSite
from localdev.stand_in import StandIn
from tests.support.make_dev import calendar_settings, local_simulator

TIMEOUT = 10
EVENTS = upcoming_events.ACTION.operation_id
LIST = f"/simulator/actions/{EVENTS}"


@pytest.fixture
def base(stand_in: StandIn, configure: Callable[..., None]) -> Iterator[str]:
    """The functions and the simulator on one free port, with make dev's settings; its base URL."""
    site = LocalSite(FunctionUrlEmulator())
    with serve_in_thread(site) as server, calendar_stand_in(stand_in.issuer) as calendar:
        urls = LocalUrls(f"http://127.0.0.1:{server.server_port}")
        configure(**calendar_settings(stand_in, urls, calendar.api_base))
        site.simulator = local_simulator(urls)
        yield urls.base


def press(base: str, browser: requests.Session, path: str, **fields: str) -> requests.Response:
    """Submit one of the page's forms as a browser does: load the page, send the form and its CSRF token."""
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get(f"{base}/", timeout=TIMEOUT).text)
    assert token
    return browser.post(f"{base}{path}", data={"csrf": token.group(1), **fields}, timeout=TIMEOUT)


def sign_in(base: str, browser: requests.Session, user: str) -> None:
    consent = press(base, browser, "/simulator/start", token_auth="client_secret_post")
    assert consent.status_code == 200, consent.text[:300]
    assert browser.post(consent.url, data={"sub": user}, timeout=TIMEOUT).url == f"{base}/"


def size_shown(page: str) -> int:
    found = re.search(rf'<output id="{EVENTS}-size">([\d,]+)</output>', page)
    assert found, page[-3000:]
    return int(found.group(1).replace(",", ""))


def test_list_my_events_shows_the_answer_and_its_size_then_pages_on(base):
    browser = requests.Session()
    sign_in(base, browser, "busy@example.com")
    page = press(base, browser, LIST, days="7").text
    assert "listUpcomingEvents answered 50 events" in page
    assert "Page 1: 50 events" in page and "truncated: yes" in page
    assert 10_000 < size_shown(page) <= 20_000
    assert "Meeting 1 of 1000" in page and f'id="{EVENTS}-more"' in page
    assert "GET http://127.0.0.1" in page and "/testEndpoint/events?days=7" in page  # in the timeline
    page = press(base, browser, LIST, more="1").text
    assert "Page 2: 50 events" in page and "Meeting 51 of 1000" in page
    assert "(GET /events, the next page)" in page


def test_a_small_calendar_has_no_next_page(base):
    browser = requests.Session()
    sign_in(base, browser, "ada@example.com")
    page = press(base, browser, LIST, days="7").text
    assert "Page 1: 5 events" in page and "truncated: no" in page and "none (the end)" in page
    assert f'id="{EVENTS}-more"' not in page
    assert size_shown(page) < 5000


def test_events_need_a_sign_in_and_bad_days_show_the_400(base):
    browser = requests.Session()
    page = press(base, browser, LIST, days="7").text
    assert "Sign in first" in page
    sign_in(base, browser, "ada@example.com")
    page = press(base, browser, LIST, days="99").text
    assert (
        f"{EVENTS} answered 400: invalid_request: &#39;days&#39; must be a whole number from 1 to 31." in page
    )


def test_signing_in_as_someone_else_says_who_and_drops_the_previous_user_s_answers(base):
    # GIVEN busy@example.com signed in, with their events on the page and in the timeline
    browser = requests.Session()
    sign_in(base, browser, "busy@example.com")
    page = press(base, browser, LIST, days="7").text
    assert "User: <strong>busy@example.com</strong>" in page and "Meeting 1 of 1000" in page
    # WHEN someone else signs in from the same browser ("Sign in again")
    sign_in(base, browser, "ada@example.com")
    page = browser.get(f"{base}/", timeout=TIMEOUT).text
    # THEN the page names the new user, and nothing of the previous user's answers is left
    assert "User: <strong>ada@example.com</strong>" in page and "busy@example.com" not in page
    assert "of 1000" not in page and f'id="{EVENTS}-result"' not in page
    assert "/testEndpoint/events" not in page  # the timeline starts at the new sign-in
    assert "Sign in: the browser opens the authorization URL" in page
    # AND the new user's own answer is theirs
    page = press(base, browser, LIST, days="7").text
    assert "Page 1: 5 events" in page and "of 1000" not in page
