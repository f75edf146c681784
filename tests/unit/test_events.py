"""Every sample event in events/: indexed, shaped as AWS sends it, answered as documented.

`make invoke` itself, as a subprocess, is in tests/process/test_make_invoke.py.
"""

from __future__ import annotations

import base64

import pytest

from localdev import invoke
from tests.support.events import EVENT_NAMES, answered, event_index, load_event


def test_every_event_file_has_an_index_entry_and_every_entry_a_file():
    assert EVENT_NAMES
    assert set(EVENT_NAMES) == set(event_index())
    for name, entry in event_index().items():
        assert entry["function"] in invoke.FUNCTIONS, name
        assert isinstance(entry["status"], int) and 200 <= entry["status"] < 600, name
        assert entry.get("description"), name


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_each_event_has_the_shape_aws_sends(name):
    event = load_event(name)
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    http = event["requestContext"]["http"]
    assert {"method", "path", "protocol", "sourceIp", "userAgent"} <= set(http)
    assert event["rawPath"] == http["path"]
    assert isinstance(event["rawQueryString"], str)
    assert all(header == header.lower() for header in event["headers"]), "header names are lower case"
    assert event["headers"]["host"] == event["requestContext"]["domainName"]
    assert isinstance(event["isBase64Encoded"], bool)
    if event["headers"].get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # Function URLs base64-encode form bodies
        assert event["isBase64Encoded"] and base64.b64decode(event["body"], validate=True)


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_every_event_gets_its_documented_status(name, store, lambda_context):
    # GIVEN the event and what its index entry asks to seed; WHEN its function's real handler answers it
    entry, response = answered(name, lambda_context)
    # THEN the status is the documented one, with a content type
    assert response["statusCode"] == entry["status"], response.get("body", "")[:500]
    assert response["headers"].get("Content-Type") or response["statusCode"] in (301, 302, 303, 307)


@pytest.mark.parametrize("name", ["test_endpoint", "testEndpoint", "TestEndpointFunction", "test-endpoint"])
def test_function_names_in_every_spelling(name):
    if name == "test-endpoint":
        with pytest.raises(ValueError, match="No function"):
            invoke.function_name(name)
    else:
        assert invoke.function_name(name) == "test_endpoint"
