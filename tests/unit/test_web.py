from __future__ import annotations

import base64

import pytest

from gpt_auth.runtime.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from gpt_auth.runtime.web import MAX_BODY_CHARS, Request


def event(body="", b64=False, headers=None, query="", method="POST"):
    return {
        "rawPath": "/",
        "rawQueryString": query,
        "headers": headers or {},
        "requestContext": {"http": {"method": method}},
        "body": body,
        "isBase64Encoded": b64,
    }


def test_headers_are_lower_cased():
    request = Request.from_event(event(headers={"Content-Type": "application/json", "X-Thing": "1"}))
    assert request.headers == {"content-type": "application/json", "x-thing": "1"}
    assert request.media_type == "application/json"


def test_base64_form_body_is_decoded():
    body = base64.b64encode(b"grant_type=authorization_code&code=abc%2Bdef").decode()
    request = Request.from_event(
        event(body, b64=True, headers={"content-type": "application/x-www-form-urlencoded"})
    )
    assert request.form() == {"grant_type": "authorization_code", "code": "abc+def"}


def test_invalid_base64_is_a_bad_request():
    with pytest.raises(BadRequest, match="base64"):
        Request.from_event(event("!!!not base64", b64=True))


def test_json_form_body_is_accepted():
    request = Request.from_event(
        event('{"grant_type": "refresh_token"}', headers={"content-type": "application/json"})
    )
    assert request.form() == {"grant_type": "refresh_token"}


@pytest.mark.parametrize("body", ['["a"]', '{"a": 1}', "{bad"])
def test_json_form_body_must_be_an_object_of_strings(body):
    request = Request.from_event(event(body, headers={"content-type": "application/json"}))
    with pytest.raises(BadRequest):
        request.form()


def test_repeated_parameter_is_refused():
    request = Request.from_event(event(query="state=a&state=b"))
    with pytest.raises(BadRequest, match="'state' appears more than once"):
        request.query()


def test_non_utf8_percent_encoding_is_refused():
    with pytest.raises(BadRequest, match="UTF-8"):
        Request.from_event(event(query="state=%ff%fe")).query()


def test_non_utf8_body_is_refused():
    body = base64.b64encode(b"\xff\xfe").decode()
    with pytest.raises(BadRequest, match="UTF-8"):
        Request.from_event(event(body, b64=True)).text()


def test_oversized_body_is_refused():
    with pytest.raises(PayloadTooLarge):
        Request.from_event(event("a" * (MAX_BODY_CHARS + 1)))
    assert Request.from_event(event("a" * MAX_BODY_CHARS)).raw_body == b"a" * MAX_BODY_CHARS


def test_json_with_another_media_type_is_refused():
    with pytest.raises(UnsupportedMediaType, match="text/plain"):
        Request.from_event(event("{}", headers={"content-type": "text/plain"})).json()


def test_bad_json_error_says_where():
    with pytest.raises(BadRequest, match="not valid JSON"):
        Request.from_event(event('{"name": "Ada"', headers={"content-type": "application/json"})).json()
