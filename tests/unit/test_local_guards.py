"""make dev's guards: a remote store needs an opt-in, simulator forms carry a CSRF token, and
every local route answers only to its own loopback Host (DNS rebinding)."""

from __future__ import annotations

import re

import pytest
from werkzeug.test import Client

from gpt_auth.actions.catalog import ACTIONS
from localdev.dev import REMOTE_STORE_OPT_IN, DevError, check_store_is_local
from localdev.emulator import FunctionUrlEmulator
from localdev.manifest import ActionUrls
from localdev.simulator import LocalSite, Simulator, SimulatorConfig

BASE = "http://127.0.0.1:3999"


def simulator() -> Simulator:
    return Simulator(
        SimulatorConfig(
            ActionUrls.local(BASE), "gpt-client", "gpt-secret-value-0123456789", f"{BASE}/simulator/callback"
        )
    )


def page_token(client: Client) -> str:
    page = client.get("/", base_url=BASE).get_data(as_text=True)
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page[:300]
    return match.group(1)


# --- make dev and the store ------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "mongodb://user:pw@cluster0.example.mongodb.net:27017/gpt",
        "mongodb+srv://user:pw@cluster0.abcde.mongodb.net/",
        "mongodb://127.0.0.1:27017,10.0.0.5:27017/?replicaSet=rs0",
        "mongodb://192.168.1.20/",
    ],
    ids=["remote host", "srv", "one remote member", "LAN address"],
)
def test_a_remote_store_is_refused_naming_the_opt_in(uri):
    with pytest.raises(DevError) as caught:
        check_store_is_local({"MONGODB_URI": uri})
    message = str(caught.value)
    assert REMOTE_STORE_OPT_IN in message and "not this machine" in message
    assert "pw" not in message  # the password is never repeated
    # AND with the opt-in it is accepted
    check_store_is_local({"MONGODB_URI": uri, REMOTE_STORE_OPT_IN: "1"})


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "mongomock://localhost",
        "mongodb://127.0.0.1:27017/?directConnection=true",
        "mongodb://localhost:27017",
        "mongodb://[::1]:27017",
        "mongodb://127.0.0.2",
        "mongodb://%2Ftmp%2Fmongodb-27017.sock",
    ],
)
def test_a_store_on_this_machine_needs_no_opt_in(uri):
    check_store_is_local({"MONGODB_URI": uri})


def test_an_opt_in_other_than_yes_is_no(monkeypatch):
    with pytest.raises(DevError):
        check_store_is_local({"MONGODB_URI": "mongodb://db.example.net", REMOTE_STORE_OPT_IN: "0"})


# --- the simulator's CSRF token ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/simulator/start",
        f"/simulator/actions/{ACTIONS[0].operation_id}",
        "/simulator/refresh",
        "/simulator/reset",
    ],
)
def test_a_form_without_the_page_s_token_is_refused(path):
    # GIVEN a browser that has the page open (a session and its token)
    client = Client(simulator())
    token = page_token(client)
    # WHEN a form arrives without the token, with a wrong one, or with another browser's
    other = page_token(Client(simulator()))
    for data in ({}, {"csrf": ""}, {"csrf": token[:-1]}, {"csrf": other}):
        response = client.post(path, base_url=BASE, data={**data, "name": "Ada"})
        # THEN it is refused with a message saying to reload, and nothing happened
        assert response.status_code == 403, data
        assert "CSRF token is missing or stale" in response.get_data(as_text=True)
    assert "Sign in: the browser opens" not in client.get("/", base_url=BASE).get_data(as_text=True)
    # AND with the page's token the same form works
    assert client.post(path, base_url=BASE, data={"csrf": token, "name": "Ada"}).status_code == 303


def test_a_cross_site_post_without_the_cookie_is_refused():
    # A new browser session (no cookie, as a cross-site POST under SameSite=Lax) knows no token
    response = Client(simulator()).post("/simulator/start", base_url=BASE, data={"csrf": "guess"})
    assert response.status_code == 403


def test_every_form_of_the_page_carries_the_token():
    client = Client(simulator())
    page = client.get("/", base_url=BASE).get_data(as_text=True)
    forms = re.findall(r'<form method="post"[^>]*>(.*?)</form>', page, re.S)
    assert forms and all(f'name="csrf" value="{page_token(client)}"' in form for form in forms)


# --- the Host header -----------------------------------------------------------------------------


APPS = {
    "simulator": lambda: simulator(),
    "emulator": lambda: FunctionUrlEmulator({"testEndpoint": lambda event, context: {"statusCode": 200}}),
    "make dev's site": lambda: LocalSite(
        FunctionUrlEmulator({"testEndpoint": lambda e, c: {"statusCode": 200}})
    ),
}


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize(
    "host",
    [
        "rebind.example.com:3999",
        "rebind.example.com",
        "127.0.0.1:4000",
        "localhost",
        "",
        "127.0.0.1.nip.io:3999",
    ],
)
def test_a_foreign_host_is_refused_on_every_local_route(app, host):
    client = Client(APPS[app]())
    for path in ("/", "/simulator/manifest.json", "/testEndpoint/"):
        # WHEN a request names a Host other than the server's own loopback address and port
        response = client.get(path, base_url=BASE, headers={"Host": host})
        # THEN it is refused before any route runs, and says which Host to use
        assert response.status_code == 403, (path, host)
        text = response.get_data(as_text=True)
        assert "answers only to Host 127.0.0.1:3999 or localhost:3999" in text and "DNS rebinding" in text


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("host", ["127.0.0.1:3999", "localhost:3999", "LOCALHOST:3999"])
def test_the_loopback_host_and_port_pass(app, host):
    response = Client(APPS[app]()).get("/testEndpoint/", base_url=BASE, headers={"Host": host})
    assert response.status_code != 403
