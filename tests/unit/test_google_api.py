"""google.api beyond a GET: any method with a JSON body, a status the action maps, an empty 2xx.

Google is stubbed at its HTTP edge with ``responses``; the GET paths are tested through
listUpcomingEvents (test_google_calendar.py, test_events_route.py) and the guide's Tasks action.
"""

from __future__ import annotations

import json

import pytest

from gpt_auth.google import api, google_tokens
from gpt_auth.google.provider import TokenResponse
from gpt_auth.runtime.errors import BadRequest, UpstreamError

API = "https://www.googleapis.com"
PATH = "/tasks/v1/lists/@default/tasks"
SCOPE = "https://www.googleapis.com/auth/tasks"
USER = "google-user-api"


@pytest.fixture
def granted() -> None:
    google_tokens.save_from_callback(
        USER,
        TokenResponse(
            id_token=None, access_token="ya29.a", refresh_token="1//r", expires_in=3599, scope=SCOPE
        ),
        requested_scopes=(),
    )


def test_a_post_sends_its_json_body_with_the_user_s_token(granted, http_mock):
    http_mock.post(API + PATH, json={"id": "t9", "title": "Buy milk"})
    answer = api.request(USER, SCOPE, "POST", PATH, json={"title": "Buy milk"}, service="Google Tasks")
    assert answer == {"id": "t9", "title": "Buy milk"}
    sent = http_mock.calls[0].request
    assert json.loads(sent.body) == {"title": "Buy milk"}
    assert sent.headers["Authorization"] == "Bearer ya29.a"


def test_an_empty_2xx_is_an_empty_object(granted, http_mock):
    http_mock.delete(API + PATH + "/t9", status=204)
    assert api.request(USER, SCOPE, "DELETE", PATH + "/t9") == {}


def test_a_status_the_action_maps_is_its_error_and_others_are_502(granted, http_mock):
    http_mock.get(API + PATH, status=404, json={"error": {"code": 404, "errors": [{"reason": "notFound"}]}})
    with pytest.raises(BadRequest, match="no such list"):
        api.get(USER, SCOPE, PATH, refusals={404: BadRequest("There is no such list.")})
    with pytest.raises(UpstreamError, match="Google Tasks answered 404"):
        api.get(USER, SCOPE, PATH, service="Google Tasks")


@pytest.mark.parametrize(
    ("data", "token"),
    [({}, None), ({"nextPageToken": "CgwI"}, "CgwI")],
)
def test_next_page_token_is_google_s_or_none(data, token):
    assert api.next_page_token(data, max_chars=10) == token


@pytest.mark.parametrize("bad", ["", "x" * 11, "has space", 5])
def test_a_page_token_the_cursor_cannot_carry_is_502(bad):
    with pytest.raises(UpstreamError, match="page token"):
        api.next_page_token({"nextPageToken": bad}, max_chars=10)
