"""Client ID Metadata Documents: a client_id that is the https URL of the client's metadata.

The document's handling runs on a stubbed fetch; the fetch itself (the address guard, TLS to the
checked address, no redirects, the size and time caps) runs against servers on loopback, with the
guard told to allow loopback in those tests only.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from datetime import timedelta

import pytest

from gpt_auth.oauth import clients, metadata_documents
from gpt_auth.oauth.metadata_documents import DocumentRefused, Fetched
from gpt_auth.runtime import db
from gpt_auth.runtime.settings import get_settings
from tests.support.tls import local_https

URL = "https://mcp.example.com/oauth/client.json"
CLAUDE = "https://claude.ai/api/mcp/auth_callback"
JSON = {"content-type": "application/json; charset=utf-8"}


def document(**changes):
    return {
        "client_id": URL,
        "client_name": "Example MCP client",
        "redirect_uris": [CLAUDE, "http://127.0.0.1:33418/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    } | changes


class StubFetch:
    """Stands in for metadata_documents.fetch: answers ``answer``, counts the fetches."""

    def __init__(self, answer: Fetched):
        self.answer, self.urls = answer, []

    def __call__(self, url: str) -> Fetched:
        self.urls.append(url)
        return self.answer


def served(monkeypatch, body=None, status=200, headers=JSON):
    """The document (or ``body``) as metadata_documents.fetch answers it for this test."""
    payload = json.dumps(document() if body is None else body).encode()
    stub = StubFetch(Fetched(status, dict(headers), payload))
    monkeypatch.setattr(metadata_documents, "fetch", stub)
    return stub


def test_an_https_client_id_is_its_documents_client(monkeypatch, store):
    stub = served(monkeypatch)
    client = clients.find(URL, get_settings())
    assert client == clients.Client(
        URL, "Example MCP client", (CLAUDE, "http://127.0.0.1:33418/callback"), clients.METADATA_DOCUMENT
    )
    assert client.is_mcp and stub.urls == [URL]
    assert clients.CLIENT_ID_METADATA_DOCUMENTS


def test_the_document_is_kept_for_its_cache_lifetime_then_fetched_again(monkeypatch, store):
    stub = served(monkeypatch, headers={**JSON, "cache-control": "public, max-age=7200"})
    now = db.now()
    clients.find(URL, get_settings(), now=now)
    stored = db.collection(clients.COLLECTION).find_one({"_id": URL})
    assert stored is not None and stored["kind"] == clients.METADATA_DOCUMENT
    assert abs(stored["expires_at"] - (now + timedelta(seconds=7200))) < timedelta(seconds=1)
    clients.find(URL, get_settings(), now=now + timedelta(seconds=7100))
    assert len(stub.urls) == 1
    clients.find(URL, get_settings(), now=now + timedelta(seconds=7300))
    assert len(stub.urls) == 2


@pytest.mark.parametrize(
    ("cache_control", "seconds"),
    [
        ("", 3600),
        ("max-age=60", 300),
        ("max-age=600", 600),
        ('public, max-age="900"', 900),
        ("max-age=99999999", 86400),
        ("no-store", 300),
        ("no-cache, max-age=9000", 300),
        ("max-age=abc", 3600),
    ],
)
def test_the_cache_lifetime_is_bounded(cache_control, seconds):
    assert metadata_documents.cache_seconds(cache_control) == seconds


def test_a_gpt_or_registered_client_id_is_never_fetched(monkeypatch):
    stub = served(monkeypatch)
    assert clients.find("https-not-a-url", get_settings()) is None
    assert clients.find(get_settings().gpt_client_id, get_settings()) is not None
    assert stub.urls == []


DOCUMENT_REFUSALS = [
    # (body, status, headers, the reason's words)
    (None, 302, {**JSON, "location": "https://evil.example/"}, "redirect"),
    (None, 404, JSON, "HTTP 404"),
    (None, 200, {"content-type": "text/html"}, "application/json"),
    ("not json", 200, JSON, "not a JSON object"),
    ([document()], 200, JSON, "not a JSON object"),
    (document(client_id=URL + "/"), 200, JSON, "client_id is not exactly"),
    (document(client_id=None), 200, JSON, "client_id is not exactly"),
    (document(client_secret="s"), 200, JSON, "client secret"),
    (document(token_endpoint_auth_method="client_secret_basic"), 200, JSON, "client secret"),
    (document(redirect_uris=None), 200, JSON, "redirect_uris is required"),
    (document(redirect_uris=[CLAUDE, "https://evil.example/cb"]), 200, JSON, "redirect_uris[1]"),
    (document(client_name="Example\u202e"), 200, JSON, "client_name holds control"),
    (document(grant_types=["client_credentials"]), 200, JSON, "grant_types holds"),
]


@pytest.mark.parametrize(("body", "status", "headers", "reason"), DOCUMENT_REFUSALS)
def test_a_document_that_cannot_be_used_is_a_clear_refusal(body, status, headers, reason, monkeypatch, store):
    served(monkeypatch, body, status, headers)
    with pytest.raises(clients.MetadataDocumentRefused) as refused:
        clients.find(URL, get_settings())
    assert refused.value.status == 400 and refused.value.code == "invalid_client"
    assert "metadata document could not be used" in refused.value.description
    assert reason in refused.value.description
    assert refused.value.details["client_id"] == URL
    # AND nothing is kept: the next sign-in fetches again
    assert db.collection(clients.COLLECTION).count_documents({}) == 0


def test_a_refusal_is_logged_with_its_reason(monkeypatch, read_logs):
    served(monkeypatch, status=404)
    with pytest.raises(clients.MetadataDocumentRefused):
        clients.find(URL, get_settings())
    logged = [line for line in read_logs() if line.get("message") == "client metadata document refused"]
    assert [(line["client_id"], line["reason"]) for line in logged] == [
        (URL, "Its URL answered HTTP 404, not 200.")
    ]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://mcp.example.com:8443/client.json", "port"),
        ("https://user@mcp.example.com/client.json", "user information"),
        ("https://mcp.example.com/client.json#x", "fragment"),
        ("https://mcp.example.com", "no path"),
        ("https://mcp.example.com/", "no path"),
        ("https://mcp.example.com/a/../client.json", "'..'"),
        ("https://mcp.example.com/./client.json", "'..'"),
        ("https://mcp.exämple.com/client.json", "printable ASCII"),
        ("https://mcp.example.com/a b", "printable ASCII"),
        ("https://[::1/x", "not a valid URL"),
    ],
)
def test_a_url_of_the_wrong_shape_is_refused_before_any_fetch(url, reason, monkeypatch):
    stub = served(monkeypatch)
    with pytest.raises(clients.MetadataDocumentRefused) as refused:
        clients.find(url, get_settings())
    assert reason in refused.value.description
    assert stub.urls == []


# The address guard

FORBIDDEN = [
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "127.0.0.1",  # loopback
    "169.254.169.254",  # link-local: the instance metadata service
    "100.64.0.1",  # shared address space (carrier NAT)
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "0.0.0.0",  # unspecified
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "::1",
    "::",
    "fe80::1",
    "fc00::1",  # unique local
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:102:304::80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:db8::1",  # documentation
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_every_non_public_address_is_refused(address):
    assert not metadata_documents.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert metadata_documents.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["169.254.169.254", "::ffff:10.0.0.1"])
def test_a_host_resolving_to_any_forbidden_address_is_not_connected_to(address, monkeypatch):
    # GIVEN a host with a public address and a forbidden one; connections would be seen
    connected = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    resolver = lambda host, seconds: [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address(address)]  # noqa: E731
    with pytest.raises(DocumentRefused, match="not public") as refused:
        metadata_documents.fetch(URL, resolver=resolver)
    assert address in str(refused.value)
    assert connected == []


def test_an_ip_literal_is_judged_as_it_stands():
    with pytest.raises(DocumentRefused, match="not public"):
        metadata_documents.fetch("https://169.254.169.254/latest/meta-data")
    with pytest.raises(DocumentRefused, match="not public"):
        metadata_documents.fetch("https://[::ffff:127.0.0.1]/x")


# The fetch, against servers on loopback (the guard told to allow loopback only here)


def loopback(address):
    return address.is_loopback


def answer(status=200, body=b"", headers=(("Content-Type", "application/json"),), length=True):
    def handle(request):
        request.send_response(status)
        for name, value in headers:
            request.send_header(name, value)
        if length:
            request.send_header("Content-Length", str(len(body)))
        else:
            request.send_header("Connection", "close")
        request.end_headers()
        request.wfile.write(body)

    return handle


def fetch_from(server, url="https://localhost/oauth/client.json", **options):
    resolved = []

    def resolver(host, seconds):
        resolved.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    fetched = metadata_documents.fetch(
        url, port=server.port, allowed=loopback, resolver=resolver, tls=server.client_context, **options
    )
    return fetched, resolved


def test_a_document_is_fetched_over_tls_from_the_checked_address_with_one_lookup(monkeypatch):
    body = json.dumps(document()).encode()
    with local_https(answer(body=body)) as server:
        # WHEN it is fetched, with any further name lookup failing loudly
        real_getaddrinfo = socket.getaddrinfo

        def numeric_only(host, *args, **kwargs):
            assert host == "127.0.0.1", f"a second lookup of {host}"
            return real_getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", numeric_only)
        fetched, resolved = fetch_from(server)
    # THEN one resolution, one request, the body whole
    assert resolved == ["localhost"] and server.requests == ["/oauth/client.json"]
    assert (fetched.status, fetched.body) == (200, body)


def test_a_certificate_for_another_name_is_refused():
    with (
        local_https(answer(body=b"{}")) as server,
        pytest.raises(DocumentRefused, match="could not be fetched"),
    ):
        fetch_from(server, url="https://mcp.example.com/oauth/client.json")


def test_a_redirect_is_not_followed():
    with local_https(answer(302, headers=(("Location", "https://localhost/elsewhere"),))) as server:
        fetched, _ = fetch_from(server)
    assert fetched.status == 302 and server.requests == ["/oauth/client.json"]
    with pytest.raises(DocumentRefused, match="not followed"):
        metadata_documents.client_from(URL, fetched, get_settings())


@pytest.mark.parametrize("length", [True, False], ids=["declared", "undeclared"])
def test_no_more_than_the_size_cap_is_read(length):
    big = b'{"client_name": "' + b"x" * metadata_documents.MAX_DOCUMENT_BYTES + b'"}'
    with (
        local_https(answer(body=big, length=length)) as server,
        pytest.raises(DocumentRefused, match="5,120 bytes"),
    ):
        fetch_from(server)


def test_exactly_the_size_cap_is_read():
    body = b" " * (metadata_documents.MAX_DOCUMENT_BYTES - 2) + b"{}"
    with local_https(answer(body=body, length=False)) as server:
        fetched, _ = fetch_from(server)
    assert fetched.body == body


def test_a_server_that_never_answers_is_given_up_at_the_time_cap(black_hole):
    # a TCP peer that accepts and sends nothing: the TLS handshake waits until the deadline
    with pytest.raises(DocumentRefused, match=r"did not answer within 0\.5 s"):
        metadata_documents.fetch(
            URL,
            seconds=0.5,
            port=black_hole,
            allowed=loopback,
            resolver=lambda host, seconds: [ipaddress.ip_address("127.0.0.1")],
        )


def test_a_body_that_stalls_is_given_up_at_the_time_cap():
    release = threading.Event()

    def stall(request):
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", "100")
        request.end_headers()
        request.wfile.write(b'{"client_id"')
        request.wfile.flush()
        release.wait(10)

    with local_https(stall) as server:
        try:
            with pytest.raises(DocumentRefused, match=r"did not answer within 0\.5 s"):
                fetch_from(server, seconds=0.5)
        finally:
            release.set()


def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(DocumentRefused, match="does not resolve"):
        metadata_documents.resolve("no-such-host.invalid", 2.0)
