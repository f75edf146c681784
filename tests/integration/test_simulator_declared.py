"""The simulator's forms come from the declarations: a test-only action, declared here and served by
testEndpoint's real route code, gets its form, its request and its refusals with nothing written
for it in the simulator."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
import pytest
import requests

from gpt_auth.actions import serve, upcoming_events
from gpt_auth.actions.catalog import ACTIONS
from gpt_auth.actions.declaration import NOT_BLANK, Action, Call, Reply
from gpt_auth.runtime.routing import Router
from gpt_auth.runtime.settings import get_settings
from localdev.emulator import FunctionUrlEmulator, serve_in_thread
from localdev.lambda_env import ACTION
from localdev.manifest import ActionUrls
from localdev.samples import SAMPLE_USER
from localdev.seed import seed_session_for
from localdev.simulator import LocalSite, Simulator, SimulatorConfig

TIMEOUT = 10
TOKEN = "gat_" + "n" * 43
RECEIVED: list[Call] = []


class NoteQuery(msgspec.Struct, forbid_unknown_fields=True):
    lang: (
        Annotated[str, msgspec.Meta(max_length=8, description="Language of the note.")] | msgspec.UnsetType
    ) = msgspec.UNSET


class NoteBody(msgspec.Struct, forbid_unknown_fields=True):
    count: Annotated[int, msgspec.Meta(ge=1, le=5)]
    mood: Literal["calm", "busy"] | msgspec.UnsetType = msgspec.UNSET
    tags: (
        Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=10)]], msgspec.Meta(max_length=3)]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    urgent: bool | msgspec.UnsetType = msgspec.UNSET
    text: Annotated[str, msgspec.Meta(pattern=NOT_BLANK)] | msgspec.UnsetType | None = msgspec.UNSET


class Stored(msgspec.Struct):
    stored: dict[str, Any]
    lang: str | None


def store_note(call: Call) -> Reply:
    RECEIVED.append(call)
    lang = call.query.lang if call.query.lang is not msgspec.UNSET else None
    return Reply.of(Stored(msgspec.to_builtins(call.body), lang))


NOTE = Action(
    operation_id="saveTestNote",
    method="PUT",
    path="/test-notes",
    summary="Store a test note",
    description="Test only.",
    instruction="Test only.",
    run=store_note,
    returns=Stored,
    query=NoteQuery,
    body=NoteBody,
)


@dataclass
class Local:
    base: str
    simulator: Simulator
    browser: requests.Session

    def page(self) -> str:
        return self.browser.get(f"{self.base}/", timeout=TIMEOUT).text

    def press(self, action: Action = NOTE, **fields: str | list[str]) -> str:
        """Send ``action``'s form with ``fields`` and the page's CSRF token; the page after it."""
        token = re.search(r'name="csrf" value="([^"]+)"', self.page())
        assert token
        return self.browser.post(
            f"{self.base}/simulator/actions/{action.operation_id}",
            data={"csrf": token.group(1), **fields},
            timeout=TIMEOUT,
        ).text


@pytest.fixture
def local(store: str) -> Iterator[Local]:
    """testEndpoint serving the declared actions and NOTE, the simulator offering the same, and a
    browser whose simulator session holds a live access token."""
    RECEIVED.clear()
    router = Router()
    serve.register(router, (*ACTIONS, NOTE))
    site = LocalSite(FunctionUrlEmulator({ACTION: lambda event, context: router.resolve(event, context)}))
    with serve_in_thread(site) as server:
        base = f"http://127.0.0.1:{server.server_port}"
        settings = get_settings()
        config = SimulatorConfig(
            ActionUrls.local(base),
            settings.gpt_client_id,
            settings.gpt_client_secret,
            f"{base}/simulator/callback",
        )
        site.simulator = Simulator(config, actions=(*ACTIONS, NOTE))
        browser = requests.Session()
        browser.get(f"{base}/", timeout=TIMEOUT)
        seed_session_for(TOKEN)
        site.simulator._sessions[browser.cookies["gpt_simulator"]].access_token = TOKEN
        yield Local(base, site.simulator, browser)


def form_of(page: str, action: Action = NOTE) -> str:
    """``action``'s part of the page: its form and what it answered."""
    start = page.index(f'<article class="action" id="action-{action.operation_id}"')
    return page[start : page.index("</article>", start)]


def test_the_form_is_written_from_the_declared_schema(local):
    form = form_of(local.page())
    assert f'action="/simulator/actions/{NOTE.operation_id}"' in form and "PUT /test-notes" in form
    # a number input with the declared bounds, a select per enum and boolean, a list, a text input
    assert re.search(r'<input id="[^"]+" name="count" type="number" min="1" max="5" step="1"', form)
    mood = re.search(r'<select id="[^"]+" name="mood"[^>]*>(.*?)</select>', form, re.S)
    assert mood and re.findall(r'<option value="([^"]*)"', mood.group(1)) == [
        "",
        "busy",
        "calm",
    ]  # the schema's order
    urgent = re.search(r'<select id="[^"]+" name="urgent"[^>]*>(.*?)</select>', form, re.S)
    assert urgent and re.findall(r'<option value="([^"]*)"', urgent.group(1)) == ["", "true", "false"]
    assert re.search(r'<textarea id="[^"]+" name="tags"', form)
    assert re.search(r'<input id="[^"]+" name="lang" autocomplete="off"', form)
    # each with its rule, as the 400 would state it
    assert "must be a whole number from 1 to 5" in form
    assert (
        "must be a list of at most 3 items; each item must be a string of 1 to 10 characters"
        in html.unescape(form)
    )
    assert "count*" in form and "mood*" not in form  # the required field is marked


def test_a_press_sends_the_declared_method_path_query_and_typed_body_with_the_token(local):
    page = local.press(count="3", mood="busy", tags="red\n\n  blue \n", urgent="true", text="", lang="fr")
    # THEN the action got exactly the typed values, for the token's user; empty optional fields left out
    (call,) = RECEIVED
    assert msgspec.to_builtins(call.body) == {
        "count": 3,
        "mood": "busy",
        "tags": ["red", "blue"],
        "urgent": True,
    }
    assert call.query.lang == "fr"
    # AND the answer shows under the form, and the request in the timeline with the Bearer token masked
    form = form_of(page)
    assert f"{NOTE.operation_id} answered in " in form and "lang: fr" in form
    assert "PUT http://127.0.0.1:" in page and "/testEndpoint/test-notes?lang=fr" in page
    assert "Authorization: Bearer gat_nnnn… (47 chars)" in page and TOKEN not in page
    # AND the form shows what was sent again
    assert 'value="fr"' in form and ">red\n\n  blue \n</textarea>" in form


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"count": "9"}, "'count' must be a whole number from 1 to 5."),
        ({"count": ""}, "'count' must be a whole number from 1 to 5."),
        ({"count": "2", "tags": "a\nb\nc\nd"}, "'tags' must be a list of at most 3 items"),
        ({"count": "2", "text": "   "}, "'text' must be a string; it must not be empty or blank."),
    ],
)
def test_a_refusal_shows_its_reason_under_the_form_that_caused_it(local, fields, reason):
    page = local.press(**fields)
    form = html.unescape(form_of(page))
    assert f"{NOTE.operation_id} answered 400: invalid_request: {reason}" in form
    assert RECEIVED == []


def test_an_unknown_action_is_404_and_a_get_is_405(local):
    assert local.browser.get(f"{local.base}/simulator/actions/nope", timeout=TIMEOUT).status_code == 404
    response = local.browser.get(f"{local.base}/simulator/actions/{NOTE.operation_id}", timeout=TIMEOUT)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_the_page_names_the_token_s_user_after_each_call_and_no_one_once_it_is_refused(local):
    page = local.press(count="2")
    assert f"User: <strong>{SAMPLE_USER}</strong>" in page  # a seeded user: no e-mail, so their id
    # WHEN the token stops naming anyone (here another one; an erasure does the same)
    local.simulator._sessions[local.browser.cookies["gpt_simulator"]].access_token = "gat_" + "x" * 43
    page = local.press(count="2")
    # THEN the 401 shows under the form, and the page no longer names the previous user
    form = form_of(page)
    assert "The action refused the access token (401): refresh it or sign in again." in form
    assert "invalid_token" in form
    assert "User: <strong>unknown (no live session found for the access token)</strong>" in page
    assert SAMPLE_USER not in page


def test_a_nullable_field_ticked_null_is_sent_as_null(local):
    form = form_of(local.page())
    assert '<input type="checkbox" name="null" value="text">' in form  # only the nullable field has one
    assert form.count('type="checkbox"') == 1
    page = local.press(count="2", text="ignored", null="text")
    (call,) = RECEIVED
    assert call.body.text is None
    assert '<input type="checkbox" name="null" value="text" checked>' in form_of(page)


def test_a_session_without_the_action_s_google_scope_shows_the_403_under_that_action_s_form(local):
    # GIVEN a token granted the sign-in's scopes only
    token = "gat_" + "o" * 43
    seed_session_for(token, scope="openid email profile")
    local.simulator._sessions[local.browser.cookies["gpt_simulator"]].access_token = token
    events = upcoming_events.ACTION.operation_id
    # WHEN the Calendar action is called from its form
    page = local.press(upcoming_events.ACTION, days="7")
    # THEN the refusal, its reason and its meaning to the GPT show under that form
    form = html.unescape(form_of(page, upcoming_events.ACTION))
    assert f"{events} answered 403: insufficient_scope: This action needs access you did not allow" in form
    assert upcoming_events.SCOPE in form
    assert f"What 403 means to the GPT: {upcoming_events.ACTION.statuses[403]}" in form
