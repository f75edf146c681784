"""The Function URL emulator over real HTTP: the events it builds, the responses it maps, its failures."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from localdev.emulator import FunctionUrlEmulator, serve_in_thread
from localdev.samples import SAMPLE_ACCESS_TOKEN
from localdev.seed import seed_session_for


@contextmanager
def serving(functions: dict[str, Any], **options: Any) -> Iterator[str]:
    """An emulator with the given handlers on a free port: its base URL."""
    with serve_in_thread(FunctionUrlEmulator(functions, **options)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


class Recorder:
    """A handler that keeps each event and context it receives and answers 200."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls.append((event, context))
        return {"statusCode": 200, "body": "recorded"}

    @property
    def event(self) -> dict[str, Any]:
        return self.calls[-1][0]


@pytest.fixture
def recorder() -> Iterator[tuple[str, Recorder]]:
    handler = Recorder()
    with serving({"recorder": handler}) as base:
        yield base, handler


# --- the real testEndpoint through the shared fixture -------------------------------------------


def test_test_endpoint_says_hello_over_http(emulator):
    # GIVEN a session whose access token is known
    seed_session_for(SAMPLE_ACCESS_TOKEN)
    # WHEN a client calls the action through the emulator
    response = requests.post(
        f"{emulator}/testEndpoint/",
        json={"name": "Ada"},
        headers={"Authorization": f"Bearer {SAMPLE_ACCESS_TOKEN}"},
        timeout=10,
    )
    # THEN the real handler answers, mapped to HTTP
    assert response.status_code == 200
    assert response.text == "Hello Ada"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-amzn-RequestId"])


def test_test_endpoint_refusals_keep_their_status_and_headers(emulator):
    no_token = requests.post(f"{emulator}/testEndpoint", json={"name": "Ada"}, timeout=10)
    assert no_token.status_code == 401
    assert no_token.headers["WWW-Authenticate"] == 'Bearer realm="gpt-google-auth"'
    wrong_method = requests.get(f"{emulator}/testEndpoint/", timeout=10)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "POST"


# --- the events it builds -------------------------------------------------------------------------


def test_form_post_becomes_a_payload_2_event(recorder):
    base, handler = recorder
    # GIVEN a form POST with a query string, a repeated header and cookies (sent raw, byte for byte)
    host, port = base.removeprefix("http://").split(":")
    body = b"grant_type=authorization_code&code=gac_abc&redirect_uri=https%3A%2F%2Fchatgpt.com%2Fx"
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/recorder/some/path?b=2&a=1&a=x%20y&empty=", skip_accept_encoding=True)
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader("Content-Length", str(len(body)))
    conn.putheader("X-Custom-Header", "Value")
    conn.putheader("X-Multi", "one")
    conn.putheader("X-Multi", "two")
    conn.putheader("Cookie", "c1=v1; c2=v2")
    conn.putheader("User-Agent", "ChatGPT-like/1.0")
    conn.endheaders(body)
    response = conn.getresponse()
    response.read()
    conn.close()
    # WHEN the handler receives it
    assert response.status == 200
    event = handler.event
    context = handler.calls[-1][1]
    # THEN it is the event a Function URL builds
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path"
    assert event["rawQueryString"] == "b=2&a=1&a=x%20y&empty="
    assert event["queryStringParameters"] == {"b": "2", "a": "1,x y", "empty": ""}
    headers = event["headers"]
    assert all(name == name.lower() for name in headers)
    assert headers["x-custom-header"] == "Value"
    assert headers["x-multi"] == "one,two"
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-port"] == port
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert "cookie" not in headers
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body
    http_context = event["requestContext"]["http"]
    assert http_context == {
        "method": "POST",
        "path": "/some/path",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "ChatGPT-like/1.0",
    }
    request_context = event["requestContext"]
    assert request_context["domainName"] == f"127.0.0.1:{port}"
    assert request_context["routeKey"] == request_context["stage"] == "$default"
    assert request_context["requestId"] == response.getheader("x-amzn-RequestId") == context.aws_request_id
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", request_context["time"])
    assert abs(request_context["timeEpoch"] / 1000 - time.time()) < 60
    # AND the context is the one Python's Lambda runtime passes
    assert context.function_name == "recorder"
    assert context.invoked_function_arn.endswith(":function:recorder")
    assert 0 < context.get_remaining_time_in_millis() <= 15_000


@pytest.mark.parametrize(
    ("content_type", "as_text"),
    [
        ("application/json", True),
        ("text/plain; charset=utf-8", True),
        ("application/xml", True),
        ("application/octet-stream", False),
        ("application/x-www-form-urlencoded; charset=utf-8", False),
        (None, False),
    ],
)
def test_only_text_media_types_arrive_as_text(recorder, content_type, as_text):
    base, handler = recorder
    body = '{"name": "Ada Lovelace é"}'.encode()
    headers = {"Content-Type": content_type} if content_type else {}
    requests.post(f"{base}/recorder/", data=body, headers=headers, timeout=10)
    event = handler.event
    assert event["isBase64Encoded"] is (not as_text)
    received = event["body"].encode() if as_text else base64.b64decode(event["body"])
    assert received == body


def test_get_without_body_query_or_cookies_omits_those_keys(recorder):
    base, handler = recorder
    requests.get(f"{base}/recorder", timeout=10)
    event = handler.event
    assert event["rawPath"] == "/"
    assert event["rawQueryString"] == ""
    assert "body" not in event
    assert "queryStringParameters" not in event
    assert "cookies" not in event
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    ("path", "raw_path"), [("/recorder", "/"), ("/recorder/", "/"), ("/recorder/callback", "/callback")]
)
def test_mount_prefix_is_stripped(recorder, path, raw_path):
    base, handler = recorder
    requests.get(f"{base}{path}?code=x", timeout=10)
    assert handler.event["rawPath"] == raw_path
    assert handler.event["requestContext"]["http"]["path"] == raw_path
    assert handler.event["rawQueryString"] == "code=x"


# --- the responses it maps ------------------------------------------------------------------------


def test_shorthand_results_become_200_json():
    # GIVEN handlers that return Lambda's shorthand (no statusCode)
    functions = {
        "object": lambda event, context: {"message": "Hello, world!"},
        "string": lambda event, context: "Hello, world!",
    }
    with serving(functions) as base:
        as_object = requests.get(f"{base}/object/", timeout=10)
        as_string = requests.get(f"{base}/string/", timeout=10)
    # THEN Lambda's inference applies: 200, application/json, the result as JSON
    assert as_object.status_code == 200
    assert as_object.headers["Content-Type"] == "application/json"
    assert as_object.json() == {"message": "Hello, world!"}
    assert as_string.status_code == 200
    assert as_string.text == '"Hello, world!"'


def test_full_response_maps_status_headers_cookies_and_base64_body():
    png = b"\x89PNG\r\n\x1a\n\x00binary"

    def handler(event, context):
        return {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png", "X-Custom": "yes", "X-Count": 3},
            "cookies": ["a=1; Path=/; HttpOnly", "b=2; Max-Age=60"],
            "body": base64.b64encode(png).decode(),
            "isBase64Encoded": True,
        }

    with serving({"fn": handler}) as base:
        response = requests.get(f"{base}/fn/", timeout=10)
    assert response.status_code == 201
    assert response.content == png
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Custom"] == "yes"
    assert response.headers["X-Count"] == "3"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/; HttpOnly", "b=2; Max-Age=60"]


def test_redirect_is_passed_through_not_followed():
    def handler(event, context):
        return {
            "statusCode": 302,
            "headers": {"Location": "https://chatgpt.com/aip/g-x/oauth/callback?code=c"},
        }

    with serving({"fn": handler}) as base:
        response = requests.get(f"{base}/fn/", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"] == "https://chatgpt.com/aip/g-x/oauth/callback?code=c"
    assert response.content == b""


# --- failures: 502 like AWS, never a hang ---------------------------------------------------------


def crash(event, context):
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    "handler",
    [
        crash,
        lambda event, context: {"statusCode": "200", "body": "x"},
        lambda event, context: {"statusCode": 200, "body": {"not": "a string"}},
        lambda event, context: {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
        lambda event, context: object(),
    ],
    ids=["raises", "status-not-int", "body-not-string", "bad-base64", "not-json"],
)
def test_handler_failure_is_a_logged_502(handler, caplog):
    caplog.set_level(logging.INFO, logger="localdev.emulator")
    with serving({"fn": handler}) as base:
        response = requests.post(f"{base}/fn/", json={}, timeout=10)
        # AND the function still answers afterwards
        again = requests.post(f"{base}/fn/", json={}, timeout=10)
    assert response.status_code == 502
    assert response.text == "Internal Server Error"
    assert again.status_code == 502
    request_id = response.headers["x-amzn-RequestId"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(request_id in r.getMessage() for r in errors)


def test_handler_that_fails_to_import_is_a_logged_502(caplog):
    with serving({"broken": "localdev.no_such_module"}) as base:
        response = requests.get(f"{base}/broken/", timeout=10)
    assert response.status_code == 502
    assert any("ModuleNotFoundError" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def test_handler_past_its_timeout_is_a_502_and_a_queued_request_a_429(caplog):
    # GIVEN a function whose first call blocks beyond its 0.5 s timeout
    release = threading.Event()
    calls = []

    def slow(event, context):
        calls.append(event["rawPath"])
        release.wait(10)
        return {"statusCode": 200, "body": "late"}

    with serving({"slow": slow}, timeout=0.5) as base:
        results: dict[str, requests.Response] = {}
        first = threading.Thread(
            target=lambda: results.update(first=requests.get(f"{base}/slow/1", timeout=10))
        )
        first.start()
        while not calls:
            time.sleep(0.01)
        # WHEN a second request arrives while the first still holds the function
        second = requests.get(f"{base}/slow/2", timeout=10)
        first.join(10)
        release.set()
    # THEN the first timed out as Lambda does, and the second was throttled, not run
    assert results["first"].status_code == 502
    assert second.status_code == 429
    assert "one request at a time" in second.text
    assert calls == ["/1"]
    assert any("Task timed out after 0.50 seconds" in r.getMessage() for r in caplog.records)


def test_one_request_at_a_time_per_function():
    # GIVEN a function whose first call waits until told to finish
    release = threading.Event()
    started: list[str] = []

    def handler(event, context):
        started.append(event["rawPath"])
        if event["rawPath"] == "/first":
            release.wait(10)
        return {"statusCode": 200, "body": event["rawPath"]}

    with serving({"fn": handler, "other": lambda e, c: "free"}) as base:
        results: dict[str, str] = {}

        def call(name: str) -> None:
            results[name] = requests.get(f"{base}/fn/{name}", timeout=10).text

        first = threading.Thread(target=call, args=("first",))
        first.start()
        while not started:
            time.sleep(0.01)
        second = threading.Thread(target=call, args=("second",))
        second.start()
        # WHEN the first is still running: the second waits, another function answers
        other = requests.get(f"{base}/other/", timeout=10)
        second.join(0.3)
        waiting = list(started)
        release.set()
        first.join(10)
        second.join(10)
    # THEN the second ran only after the first finished
    assert other.status_code == 200
    assert waiting == ["/first"]
    assert started == ["/first", "/second"]
    assert results == {"first": "/first", "second": "/second"}


def test_concurrent_requests_overlap_when_serialization_is_off():
    # Proves the previous test can fail: without the lock, two calls run at the same time.
    barrier = threading.Barrier(2, timeout=5)

    def handler(event, context):
        barrier.wait()
        return "met"

    with serving({"fn": handler}, one_at_a_time=False) as base:
        results: list[int] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(requests.get(f"{base}/fn/", timeout=10).status_code)
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert results == [200, 200]


def test_oversized_body_is_413_before_the_handler_runs(recorder):
    base, handler = recorder
    response = requests.post(
        f"{base}/recorder/",
        data=b"x" * (6 * 1024 * 1024 + 1),
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )
    assert response.status_code == 413
    assert handler.calls == []


# --- unknown paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/nope", "/testEndpointX/", "/googleauthorization/"])
def test_unknown_path_is_a_404_listing_the_functions(emulator, path):
    response = requests.get(f"{emulator}{path}", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain")
    for name in ("googleAuthorization", "googleAuthentication", "testEndpoint"):
        assert f"{emulator}/{name}/" in response.text


def test_access_log_has_paths_but_never_query_strings(recorder, caplog):
    base, _ = recorder
    caplog.set_level(logging.INFO, logger="localdev.emulator")
    requests.get(f"{base}/recorder/callback?code=secret-code-value&state=s", timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "localdev.emulator"]
    assert any("GET /recorder/callback -> 200" in line for line in lines)
    assert not any("secret-code-value" in line for line in lines)


def test_json_body_reaches_the_handler_unchanged(recorder):
    base, handler = recorder
    requests.post(f"{base}/recorder/", json={"name": "Ada"}, timeout=10)
    assert json.loads(handler.event["body"]) == {"name": "Ada"}
