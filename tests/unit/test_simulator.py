"""The GPT simulator page on its own: masking, the authorization request, state checks, the page.

The whole flow against the running functions is in tests/integration/test_simulator_flow.py.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import Client

from gpt_auth.actions import hello
from gpt_auth.actions.catalog import ACTIONS
from gpt_auth.actions.inputs import json_schema
from localdev.manifest import manifest_problems
from localdev.simulator import COOKIE, SHOWN_STEPS, mask, mask_body, mask_header, mask_url
from tests.support.paths import ROOT
from tests.support.simulator import BASE, SECRET, csrf_token, make_client

TOKEN = "gat_" + "A" * 43


@pytest.fixture
def client() -> Client:
    return make_client()


def get(client: Client, path: str, **kw):
    return client.get(path, base_url=BASE, **kw)


def post(client: Client, path: str, data: dict[str, str] | None = None, **kw):
    """A form the page sends: its CSRF token included."""
    return client.post(path, base_url=BASE, data={"csrf": csrf_token(client), **(data or {})}, **kw)


def test_mask_shows_a_prefix_and_the_length_only():
    assert mask(TOKEN) == "gat_AAAA… (47 chars)"
    assert mask("short-secret") == "… (12 chars)"  # too short to show any of it


def test_mask_url_hides_the_code_but_keeps_state():
    masked = mask_url(f"{BASE}/simulator/callback?code=gac_{'c' * 43}&state=abc")
    assert "c" * 20 not in masked
    assert "code=gac_cccc… (47 chars)" in masked and "state=abc" in masked


def test_mask_header_keeps_the_scheme_of_authorization():
    assert mask_header("Authorization", f"Bearer {TOKEN}") == "Bearer gat_AAAA… (47 chars)"
    assert mask_header("Content-Type", "application/json") == "application/json"
    assert "c" * 20 not in mask_header("Location", f"https://x/cb?code={'c' * 40}")


def test_mask_body_masks_form_and_json_secrets():
    form = mask_body(
        f"grant_type=authorization_code&code={'c' * 40}&client_secret={SECRET}",
        "application/x-www-form-urlencoded",
    )
    assert form.splitlines()[0] == "grant_type=authorization_code"
    assert SECRET not in form and "c" * 20 not in form
    token_json = mask_body(
        json.dumps({"access_token": TOKEN, "expires_in": 3600}), "application/json; charset=utf-8"
    )
    assert TOKEN not in token_json and '"expires_in": 3600' in token_json
    assert mask_body("Hello Ada", "text/plain") == "Hello Ada"


def test_first_page_is_signed_out_and_shows_settings_and_manifest(client):
    page = get(client, "/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "no-store" in page.headers["Cache-Control"]
    text = page.get_data(as_text=True)
    assert 'id="sign-in-state">Not signed in.' in text
    assert f"{BASE}/googleAuthorization/" in text and f"{BASE}/googleAuthentication/" in text
    assert "&#34;operationId&#34;: &#34;getHello&#34;" in text
    assert SECRET not in text and mask(SECRET) in text
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_opens_the_authorization_url_as_chatgpt_does(client):
    # WHEN the user presses "Sign in with Google"
    response = post(client, "/simulator/start", data={"token_auth": "client_secret_basic"})
    # THEN the browser is sent to the authorization URL with ChatGPT's parameters
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{BASE}/googleAuthorization/"
    query = parse_qs(location.query, keep_blank_values=True)
    assert {k: v[0] for k, v in query.items() if k != "state"} == {
        "response_type": "code",
        "client_id": "gpt-client",
        "redirect_uri": f"{BASE}/simulator/callback",
        # the sign-in's scopes and every action's: Calendar's for listUpcomingEvents
        "scope": "openid email profile https://www.googleapis.com/auth/calendar.readonly",
    }
    assert len(query["state"][0]) >= 16
    # AND the page shows that step and keeps the chosen method
    text = get(client, "/").get_data(as_text=True)
    assert "Sign in: the browser opens the authorization URL" in text
    assert '<option value="client_secret_basic" selected>' in text


def test_callback_with_another_state_uses_no_code(client):
    # GIVEN a sign-in started in this browser
    post(client, "/simulator/start")
    # WHEN a callback arrives with a state this browser never sent
    response = get(client, "/simulator/callback?code=gac_stolen0000000000000000&state=forged")
    # THEN nothing is exchanged and the page says why
    assert response.status_code == 303 and response.headers["Location"] == "/"
    text = get(client, "/").get_data(as_text=True)
    assert "state does not match a sign-in started in this browser" in text
    assert "Token exchange: the authorization code" not in text
    assert "gac_stolen0000000000000000" not in text


def test_callback_without_a_sign_in_in_progress_is_refused():
    fresh = make_client()
    get(fresh, "/simulator/callback?code=x&state=y")
    assert "state does not match" in get(fresh, "/").get_data(as_text=True)


def test_callback_error_is_shown(client):
    start = post(client, "/simulator/start")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    get(client, f"/simulator/callback?error=access_denied&state={state}")
    text = get(client, "/").get_data(as_text=True)
    assert 'role="alert"' in text and "Sign-in failed: access_denied." in text


def test_state_works_once(client):
    start = post(client, "/simulator/start")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    get(client, f"/simulator/callback?error=access_denied&state={state}")
    get(client, f"/simulator/callback?error=access_denied&state={state}")
    assert "state does not match" in get(client, "/").get_data(as_text=True)


def test_action_and_refresh_need_a_sign_in_first(client):
    post(client, f"/simulator/actions/{hello.ACTION.operation_id}", data={"name": "Ada"})
    assert "Sign in first" in get(client, "/").get_data(as_text=True)
    post(client, "/simulator/refresh")
    assert "There is no refresh token yet" in get(client, "/").get_data(as_text=True)


def test_page_on_another_host_name_redirects_to_the_configured_origin(client):
    response = client.get("/", base_url="http://localhost:3999")
    assert response.status_code == 303 and response.headers["Location"] == f"{BASE}/"


def test_unknown_path_and_wrong_method(client):
    assert get(client, "/simulator/nope").status_code == 404
    response = get(client, f"/simulator/actions/{hello.ACTION.operation_id}")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_unknown_token_method_is_refused(client):
    response = post(client, "/simulator/start", data={"token_auth": "private_key_jwt"})
    assert response.headers["Location"] == "/"
    assert "Unknown token exchange method" in get(client, "/").get_data(as_text=True)


def test_local_manifest_is_served_and_valid_in_local_mode(client):
    response = get(client, "/simulator/manifest.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert manifest_problems(response.get_data(as_text=True), local=True) == []


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="token_auth must be one of"):
        make_client(token_auth="none")


def test_local_site_sends_the_page_and_simulator_routes_to_the_simulator_and_the_rest_to_the_functions():
    # GIVEN make dev's site: the functions (here a WSGI app that names itself) and the simulator
    from werkzeug.wrappers import Response

    from localdev.simulator import LocalSite

    functions = Response("functions")
    site = LocalSite(functions, make_client().application)
    client = Client(site)
    # THEN the page, the simulator's routes and nothing else reach the simulator
    assert "GPT simulator" in client.get("/", base_url=BASE).get_data(as_text=True)
    assert client.get("/simulator/manifest.json", base_url=BASE).mimetype == "application/json"
    for path in ("/testEndpoint/", "/googleAuthorization/callback", "/simulatorish"):
        assert client.get(path, base_url=BASE).get_data(as_text=True) == "functions"
    # AND before the simulator is attached, everything goes to the functions
    assert Client(LocalSite(functions)).get("/").get_data(as_text=True) == "functions"


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.operation_id)
def test_every_declared_action_has_a_form_with_each_declared_field(client, action):
    text = get(client, "/").get_data(as_text=True)
    start = text.index(f'<article class="action" id="action-{action.operation_id}"')
    form = text[start : text.index("</article>", start)]
    assert f'method="post" action="/simulator/actions/{action.operation_id}"' in form
    assert f"{action.method} {action.path}" in form
    for kind in (action.query, action.body):
        schema = json_schema(kind) if kind is not None else {}
        for name, field in schema.get("properties", {}).items():
            assert re.search(rf'<(input|select|textarea) id="[^"]+" name="{re.escape(name)}"', form), name
            if "maximum" in field:
                assert f'max="{field["maximum"]}"' in form


def test_no_operation_id_or_path_is_written_in_the_simulator():
    sources = [ROOT / "localdev" / name for name in ("simulator.py", "simulator_mcp.py", "action_forms.py")]
    sources.append(ROOT / "localdev" / "templates" / "simulator.html")
    for source in sources:
        text = source.read_text()
        for action in ACTIONS:
            assert action.operation_id not in text, (source.name, action.operation_id)
            if len(action.path) > 1:
                assert f'"{action.path}' not in text, (source.name, action.path)


def test_older_timeline_entries_wait_in_one_collapsed_entry(client):
    # GIVEN more requests than the timeline lists (each sign-in started is one)
    for _ in range(SHOWN_STEPS + 3):
        post(client, "/simulator/start")
    text = get(client, "/").get_data(as_text=True)
    # THEN the newest are listed, the last one open, and the rest wait collapsed in one entry
    timeline = text[text.index('id="timeline-title"') : text.index('id="settings-title"')]
    assert '<li class="earlier"><details><summary>3 earlier requests</summary>' in timeline
    assert timeline.count("<details open>") == 1
    assert timeline.count("Sign in: the browser opens the authorization URL") == SHOWN_STEPS + 3
