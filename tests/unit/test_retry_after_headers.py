"""A Retry-After from Google that is not plain delta-seconds gets our default, never a 500.

``str.isdigit`` is true for digits such as "²" that ``int`` refuses, and ``int`` refuses a run of
more than 4,300 digits: both used to escape as a ValueError. Google is stubbed with ``responses``.
"""

from __future__ import annotations

import pytest
import responses

from gpt_auth.actions.event_cursor import PageCursor
from gpt_auth.google import api, calendar, provider
from gpt_auth.runtime.errors import ServiceUnavailable

API = "https://www.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"
ODD = ["\u00b2", "9" * 5000, "-5", "1e3", "Wed, 21 Oct 2015 07:28:00 GMT"]


@pytest.mark.parametrize("header", ODD, ids=["superscript", "5000-digits", "negative", "float", "http-date"])
def test_calendar_outage_with_an_odd_retry_after_is_503_with_the_default(http_mock, header):
    http_mock.get(API + calendar.EVENTS_PATH, status=503, body="busy", headers={"Retry-After": header})
    cursor = PageCursor("2026-01-01T00:00:00Z", "2026-01-08T00:00:00Z")
    with pytest.raises(ServiceUnavailable) as caught:
        calendar.list_events(API, "ya29.t", cursor)
    assert caught.value.headers["Retry-After"] == str(api.RETRY_AFTER_SECONDS)


@pytest.mark.parametrize("header", ODD, ids=["superscript", "5000-digits", "negative", "float", "http-date"])
def test_token_endpoint_outage_with_an_odd_retry_after_is_503_with_the_default(http_mock, header):
    http_mock.add(responses.POST, TOKEN_URL, status=503, body="busy", headers={"Retry-After": header})
    with pytest.raises(ServiceUnavailable) as caught:
        provider.current().refresh(refresh_token="1//r", client_id="cid", client_secret="cs")
    assert caught.value.headers["Retry-After"] == str(provider.RETRY_AFTER_SECONDS)


@pytest.mark.parametrize(("header", "seconds"), [("0", "1"), ("42", "42"), ("99999", "300")])
def test_plain_delta_seconds_are_kept_within_1_to_300(http_mock, header, seconds):
    http_mock.get(API + calendar.EVENTS_PATH, status=503, body="busy", headers={"Retry-After": header})
    http_mock.add(responses.POST, TOKEN_URL, status=503, body="busy", headers={"Retry-After": header})
    cursor = PageCursor("2026-01-01T00:00:00Z", "2026-01-08T00:00:00Z")
    with pytest.raises(ServiceUnavailable) as refused:
        calendar.list_events(API, "ya29.t", cursor)
    with pytest.raises(ServiceUnavailable) as token_endpoint:
        provider.current().refresh(refresh_token="1//r", client_id="cid", client_secret="cs")
    assert refused.value.headers["Retry-After"] == token_endpoint.value.headers["Retry-After"] == seconds
