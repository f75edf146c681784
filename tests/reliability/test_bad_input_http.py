"""The bad-input table (tests/reliability/cases.py) over real HTTP, against the local Function URL emulator.

The emulator (``make dev``'s server) turns each request into the payload 2.0 event AWS would
build, so this runs every case through the HTTP edge as well: header folding, the base64
encoding of form bodies, percent-encoded paths. Requests go out with ``http.client`` so the
request line and body are exactly the case's bytes.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from tests.reliability.answers import TRACEBACK, Answer, check_answer
from tests.reliability.cases import CASES, Case, Live

# A payload 2.0 event cannot be malformed over HTTP; those cases run in-process only.
HTTP_CASES = [case for case in CASES if case.event_changes is None]
# A request line longer than the server accepts is refused before any function sees it.
MAX_REQUEST_LINE = 65_536  # http.server's limit, as werkzeug's server has it


def send(base: str, case: Case, live: Live) -> Answer:
    """The case's request, byte for byte, to its function's mount on the emulator."""
    parts = urlsplit(base)
    target = f"/{case.function}{case.path}"
    if case.query:
        target += "?" + live.fill(case.query)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(case.method, target, skip_accept_encoding=True)
        body = live.fill_bytes(case.body)
        for name, value in case.request_headers().items():
            connection.putheader(name, live.fill(value).encode("latin-1", "replace"))
        if body or case.method in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    finally:
        connection.close()


@pytest.mark.parametrize("case", HTTP_CASES, ids=lambda case: case.id)
def test_bad_input_over_http_gets_a_clear_4xx(case: Case, emulator: str):
    # GIVEN a live session, code and pending sign-in for the placeholders of the request
    live = Live.make()
    # WHEN the request reaches the function through the emulator's HTTP edge
    answer = send(emulator, case, live)
    # THEN the answer is the one the handler gives in-process, with the same guarantees,
    # unless the request line is longer than any server accepts
    if len(f"/{case.function}{case.path}?{live.fill(case.query)}") > MAX_REQUEST_LINE:
        assert answer.status == 414, answer.body[:200]
        assert not TRACEBACK.search(answer.body)
        return
    check_answer(case, answer)
