"""googleAuthorization's requests built from the sample events, and what its answers must look like."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from functions.google_authorization import app
from tests.support.events import load_event
from tests.support.fake_idp import ISSUER


def authorize_event(**changes):
    """The valid authorization event with query parameters changed (None removes one), from the
    browser of the sample callback events (it presents their sign-in cookie)."""
    event = load_event("google_authorization_authorize")
    query = dict(parse_qsl(event["rawQueryString"], keep_blank_values=True)) | changes
    event["rawQueryString"] = urlencode({k: v for k, v in query.items() if v is not None})
    event["cookies"] = load_event("google_authorization_callback_unknown_state")["cookies"]
    return event


def callback_event(**query):
    event = load_event("google_authorization_callback_unknown_state")
    event["rawQueryString"] = urlencode(query)
    return event


def location(response):
    """The Location split into (URL without query, single-valued query)."""
    parts = urlsplit(response["headers"]["Location"])
    query = {name: values[0] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", query


def assert_page(response, status, *texts):
    assert response["statusCode"] == status, response["body"]
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert "Location" not in response["headers"]
    for text in texts:
        assert html.escape(text) in response["body"], f"{text!r} not on the page"


def start(lambda_context, issuer=ISSUER, **changes):
    """Run the authorization request; returns the query of the provider URL it redirects to."""
    url, query = location(app.lambda_handler(authorize_event(**changes), lambda_context))
    assert url == f"{issuer}/authorize"
    return query
