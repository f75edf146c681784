"""googleAuthorization's GET /privacy: the privacy policy page, built from settings."""

from __future__ import annotations

import pytest

from functions.google_authorization import app
from tests.support.events import load_event


def privacy(lambda_context, method: str = "GET") -> dict:
    event = load_event("google_authorization_privacy")
    event["requestContext"]["http"]["method"] = method
    return app.lambda_handler(event, lambda_context)


def test_page_names_the_operator_the_contact_and_the_configured_lifetimes(lambda_context, configure):
    configure(
        OPERATOR_NAME="Ada's <Tools> Ltd",
        OPERATOR_CONTACT="privacy@example.com",
        ACCESS_TOKEN_TTL="1800",
        REFRESH_TOKEN_TTL="1209600",
        SESSION_MAX_AGE="2592000",
    )
    response = privacy(lambda_context)
    page = response["body"]
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert "Ada&#x27;s &lt;Tools&gt; Ltd" in page and "<Tools>" not in page
    assert 'href="mailto:privacy@example.com"' in page
    assert "works for 30 minutes" in page
    assert "after 14 days without use, 30 days after you signed in at the latest" in page
    assert "https://myaccount.google.com/permissions" in page
    assert "Limited Use" in page
    assert "calendar events are not stored" in page


def test_defaults_still_make_a_complete_page(lambda_context):
    page = privacy(lambda_context)["body"]
    assert "The operator of this GPT runs this service" in page
    assert "contact the GPT's builder through ChatGPT" in page
    assert "works for 1 hour" in page and "30 days without use" in page


def test_page_lists_what_each_declared_collection_keeps_and_how_to_erase_it(lambda_context):
    import html

    from gpt_auth.actions import my_data
    from gpt_auth.user_data import COLLECTIONS

    page = privacy(lambda_context)["body"]
    # every collection, each with what it keeps (its lifetimes filled in), from its declaration
    for stored in COLLECTIONS:
        assert f"<strong>{html.escape(stored.about)}</strong>: " in page, stored.name
        assert "{" not in stored.holds.format(access="a", refresh="r", longest="l")
    assert "Your Google account</strong>: its id, your email address and your name" in page
    assert "notes you asked it to keep" in page
    # and how to erase it: the action, by its declared name, and the operator's make revoke
    assert f"<code>{my_data.ACTION.operation_id}</code> action" in page
    assert "It cannot be\nundone" in page and "<code>make revoke</code>" in page


def test_contact_url_is_a_link(lambda_context, configure):
    configure(OPERATOR_CONTACT="https://example.com/contact?x=1&y=2")
    assert 'href="https://example.com/contact?x=1&amp;y=2"' in privacy(lambda_context)["body"]


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_other_methods_are_405(lambda_context, method):
    response = privacy(lambda_context, method)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET"


def test_bad_operator_setting_is_a_500_naming_it(lambda_context, configure):
    configure(OPERATOR_CONTACT="nobody")
    response = privacy(lambda_context)
    assert response["statusCode"] == 500
    assert "OPERATOR_CONTACT" in response["body"]
