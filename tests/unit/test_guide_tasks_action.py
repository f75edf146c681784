"""docs/actions.md's Google-backed example, ``listMyTasks``, works as the guide says.

The module is the guide's text (a test checks they are the same), registered here on a test router
only: it is not in the catalog. Google's token and Tasks endpoints are stubbed with ``responses``.
"""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import parse_qsl, urlsplit

import msgspec
import pytest
import requests
import responses

from gpt_auth.actions import catalog, serve
from gpt_auth.google import google_tokens
from gpt_auth.google.provider import TokenResponse
from gpt_auth.oauth import sessions
from gpt_auth.runtime.routing import Router
from gpt_auth.runtime.settings import MIN_ACTION_RESPONSE_CHARS
from localdev import action_forms, gpt_instructions
from localdev import manifest as m
from localdev.calendar_stand_in import CalendarStandIn
from localdev.emulator import serve_in_thread
from localdev.seed import seed_session_for
from tests.support import guide_tasks, guide_tasks_stand_in
from tests.support.events import load_event
from tests.support.paths import ROOT

TOKEN_URL = "https://oauth2.googleapis.com/token"
TASKS_URL = "https://www.googleapis.com" + guide_tasks.TASKS_PATH
USER = "google-user-tasks"
SCOPE = f"openid email {guide_tasks.SCOPE}"

router = Router()
serve.register(router, (guide_tasks.ACTION,))


def guide_examples() -> dict[str, str]:
    """docs/actions.md's Python blocks that follow a ``<!-- example: <path> -->`` marker, by path."""
    guide = (ROOT / "docs" / "actions.md").read_text()
    return dict(re.findall(r"<!-- example: (\S+) -->\s*```python\n(.*?)```", guide, re.S))


def signed_in(granted: str = SCOPE, session_scope: str = SCOPE) -> str:
    """A user whose Google grant holds ``granted``; our access token for a session of ``session_scope``."""
    google_tokens.save_from_callback(
        USER,
        TokenResponse(
            id_token="x.y.z", access_token="ya29.stored", refresh_token="1//r", expires_in=3599, scope=granted
        ),
        requested_scopes=(),
    )
    token = "gat_" + secrets.token_urlsafe(32)
    seed_session_for(token, user_id=USER, scope=session_scope)
    return token


def respond(lambda_context, token: str, query: str = "") -> dict:
    event = load_event("test_endpoint_events_bad_days")
    event["rawPath"] = event["requestContext"]["http"]["path"] = guide_tasks.ACTION.path
    event["rawQueryString"] = query
    event["headers"]["authorization"] = f"Bearer {token}"
    return router.resolve(event, lambda_context)


def call(lambda_context, token: str, query: str = "") -> tuple[int, dict, dict]:
    answer = respond(lambda_context, token, query)
    return answer["statusCode"], json.loads(answer["body"]), answer["headers"]


def tasks_calls(http_mock: responses.RequestsMock) -> list[responses.Call]:
    return [c for c in http_mock.calls if c.request.url.startswith(TASKS_URL)]


def test_the_guide_shows_these_modules_unchanged():
    shown = guide_examples()
    assert set(shown) == {"tests/support/guide_tasks.py", "tests/support/guide_tasks_stand_in.py"}
    for path, text in shown.items():
        assert text == (ROOT / path).read_text(), f"docs/actions.md and {path} differ"


def test_the_guide_s_excerpts_of_shipped_code_are_its_text():
    guide = (ROOT / "docs" / "actions.md").read_text()
    excerpts = re.findall(r"<!-- excerpt: (\S+) -->\s*```python\n(.*?)```", guide, re.S)
    assert len(excerpts) >= 3
    for path, text in excerpts:
        source = (ROOT / path).read_text()
        for part in re.split(r"\n\n+", text.strip()):
            assert part in source, f"docs/actions.md quotes {path} as it no longer reads:\n{part}"


def test_open_tasks_in_the_declared_shape(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(
        TASKS_URL,
        json={
            "kind": "tasks#tasks",
            "items": [
                {"title": "Buy milk", "due": "2026-12-04T00:00:00.000Z", "notes": "2 litres", "status": "x"},
                {"title": "Call Ada"},
            ],
            "nextPageToken": "CgwIARCz",
        },
    )
    status, body, _ = call(lambda_context, token)
    assert status == 200
    assert msgspec.convert(body, guide_tasks.Tasks)  # the declared answer type holds it
    assert body == {
        "tasks": [
            {"title": "Buy milk", "due": "2026-12-04T00:00:00.000Z", "notes": "2 litres"},
            {"title": "Call Ada", "due": None},
        ],
        "truncated": False,
        "next_page": "CgwIARCz",
    }
    (sent,) = tasks_calls(http_mock)
    assert sent.request.headers["Authorization"] == "Bearer ya29.stored"
    assert dict(parse_qsl(urlsplit(sent.request.url).query)) == {"maxResults": "8", "showCompleted": "false"}


def test_next_page_is_google_s_page_token_sent_back(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(TASKS_URL, json={"items": []})
    status, body, _ = call(lambda_context, token, "page=CgwIARCz")
    assert status == 200 and body == {"tasks": [], "truncated": False, "next_page": None}
    assert dict(parse_qsl(urlsplit(tasks_calls(http_mock)[0].request.url).query))["pageToken"] == "CgwIARCz"


@pytest.mark.parametrize("query", ["page=", "page=has%20space", "page=" + "a" * 501, "other=1"])
def test_a_bad_query_is_400_naming_it_before_google_is_asked(lambda_context, http_mock, query):
    status, body, _ = call(lambda_context, signed_in(), query)
    assert status == 400 and body["error"] == "invalid_request"
    assert query.split("=")[0] in body["error_description"]
    assert tasks_calls(http_mock) == []


def test_a_full_page_at_every_cap_fits_the_smallest_size_limit(lambda_context, http_mock, configure):
    # GIVEN the smallest ACTION_RESPONSE_MAX_CHARS and a page of tasks whose every field JSON doubles
    configure(ACTION_RESPONSE_MAX_CHARS=str(MIN_ACTION_RESPONSE_CHARS))
    worst = {"title": '"' * 5000, "due": "\\" * 5000, "notes": '"' * 5000}
    token = signed_in()
    http_mock.get(
        TASKS_URL,
        json={"items": [worst] * guide_tasks.PAGE_SIZE, "nextPageToken": '"' * guide_tasks.TOKEN_CHARS},
    )
    # WHEN it is answered
    answer = respond(lambda_context, token)
    # THEN every task is there within the limit, only the notes shortened (down to none)
    assert answer["statusCode"] == 200, answer["body"]
    assert len(answer["body"]) <= MIN_ACTION_RESPONSE_CHARS
    body = json.loads(answer["body"])
    assert len(body["tasks"]) == guide_tasks.PAGE_SIZE and body["truncated"] is True
    assert body["next_page"] == '"' * guide_tasks.TOKEN_CHARS


def test_a_session_without_the_tasks_scope_is_403_without_calling_google(lambda_context, http_mock):
    token = signed_in(session_scope="openid email")
    status, body, headers = call(lambda_context, token)
    assert status == 403 and body["error"] == "insufficient_scope"
    assert headers["WWW-Authenticate"] == f'Bearer error="insufficient_scope", scope="{guide_tasks.SCOPE}"'
    assert tasks_calls(http_mock) == []


def test_google_401_refreshes_once_and_retries(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(TASKS_URL, status=401, json={"error": {"code": 401, "errors": [{"reason": "authError"}]}})
    http_mock.get(TASKS_URL, json={"items": [{"title": "Call Ada"}]})
    http_mock.post(TOKEN_URL, json={"access_token": "ya29.fresh", "expires_in": 3599, "scope": SCOPE})
    status, body, _ = call(lambda_context, token)
    assert status == 200 and body["tasks"] == [{"title": "Call Ada", "due": None}]
    assert [c.request.headers["Authorization"] for c in tasks_calls(http_mock)] == [
        "Bearer ya29.stored",
        "Bearer ya29.fresh",
    ]


def test_access_removed_at_google_is_401_and_ends_the_sessions(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(TASKS_URL, status=401, json={"error": {"code": 401}})
    http_mock.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    status, body, _ = call(lambda_context, token)
    assert status == 401 and body["error"] == "invalid_token"
    assert sessions.session_for_access_token(token) is None


def test_google_403_for_the_scope_is_403_insufficient_scope(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(
        TASKS_URL,
        status=403,
        json={"error": {"code": 403, "details": [{"reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]}},
    )
    status, body, headers = call(lambda_context, token)
    assert status == 403 and body["error"] == "insufficient_scope"
    assert f'scope="{guide_tasks.SCOPE}"' in headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "failure",
    [
        dict(status=503, body="busy", headers={"Retry-After": "42"}),
        dict(status=429, json={"error": {"code": 429, "errors": [{"reason": "rateLimitExceeded"}]}}),
        dict(body=requests.ReadTimeout()),
    ],
    ids=["503", "429", "timeout"],
)
def test_google_down_slow_or_rate_limiting_is_503_with_retry_after(lambda_context, http_mock, failure):
    token = signed_in()
    http_mock.get(TASKS_URL, **failure)
    status, body, headers = call(lambda_context, token)
    assert status == 503 and body["error"] == "temporarily_unavailable"
    assert headers["Retry-After"] == failure.get("headers", {}).get("Retry-After", "5")
    assert sessions.session_for_access_token(token) is not None


@pytest.mark.parametrize(
    "answer",
    [{"items": {"title": "x"}}, {"items": ["x"]}, {"items": [], "nextPageToken": "has space"}, [1]],
)
def test_google_answering_another_shape_is_502(lambda_context, http_mock, answer):
    http_mock.get(TASKS_URL, json=answer)
    status, body, _ = call(lambda_context, signed_in())
    assert status == 502 and "Google Tasks" in body["error_description"]


def test_make_manifest_writes_it_valid_and_within_budget(monkeypatch):
    # make manifest reads the catalog; with this action named there:
    monkeypatch.setattr(m, "ACTIONS", (guide_tasks.ACTION,))
    monkeypatch.setattr(gpt_instructions, "ACTIONS", (guide_tasks.ACTION,))
    manifest = m.build_manifest(m.ActionUrls.local("http://127.0.0.1:3000"))
    assert m.manifest_problems(manifest, local=True) == []
    operation = manifest["paths"]["/tasks"]["get"]
    assert operation["operationId"] == "listMyTasks"
    assert [p["name"] for p in operation["parameters"]] == ["page"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "503"}
    instructions = gpt_instructions.render_instructions()
    assert gpt_instructions.instructions_problems(instructions) == []
    assert "`listMyTasks`" in instructions and len(guide_tasks.ACTION.instruction) <= 150
    assert "`GET /tasks` | `listMyTasks` | query `page`" in m.route_table()


def test_the_simulator_offers_it_with_a_next_page_button():
    form = action_forms.form_of(guide_tasks.ACTION)
    assert [(f.name, f.part, f.widget) for f in form.fields] == [("page", "query", "text")]
    assert (form.continuation.parameter, form.continuation.answer_field) == ("page", "next_page")


def test_the_template_default_scopes_must_name_it_once_it_is_in_the_catalog(template, monkeypatch):
    # the guide's step "add the scope to GoogleScopes' Default": test_template checks it for the catalog
    monkeypatch.setattr(catalog, "ACTIONS", (*catalog.ACTIONS, guide_tasks.ACTION))
    default = template["Parameters"]["GoogleScopes"]["Default"].split()
    assert guide_tasks.SCOPE in catalog.gpt_scope() and guide_tasks.SCOPE not in default


def test_under_make_dev_the_stand_in_answers_it(lambda_context, http_mock, configure):
    # GIVEN make dev's Google API stand-in with the guide's Tasks route, ada's token known to userinfo
    app = CalendarStandIn("https://idp.test/userinfo", {})
    app.routes[guide_tasks_stand_in.TASKS_PATH] = guide_tasks_stand_in.list_tasks
    http_mock.get("https://idp.test/userinfo", json={"email": "ada@example.com"})
    with serve_in_thread(app) as server:
        base = f"http://127.0.0.1:{server.server_port}"
        http_mock.add_passthru(base)
        configure(GOOGLE_API_BASE=base)
        # WHEN the action is called
        status, body, _ = call(lambda_context, signed_in())
    # THEN ada's sample tasks come back, shaped
    assert status == 200
    assert body["tasks"] == [
        {
            "title": "Send Note G to Charles",
            "due": "2026-12-05T00:00:00.000Z",
            "notes": "With the Bernoulli table.",
        },
        {"title": "Tune the harp", "due": None},
    ]
