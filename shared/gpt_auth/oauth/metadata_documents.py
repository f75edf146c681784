"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): an MCP client whose
``client_id`` is the https URL of a JSON document describing it.

``load`` fetches that document, checks it and keeps it in ``oauth_clients`` (kind
``METADATA_DOCUMENT``) for its HTTP cache lifetime, bounded to ``MIN_CACHE_SECONDS`` ..
``MAX_CACHE_SECONDS`` (``DEFAULT_CACHE_SECONDS`` without ``max-age``); ``clients.find`` calls it
when no live copy is kept. The client is public (``none``) and goes back only to the document's
``redirect_uris``, each on the MCP allowlist, as a registered one does.

Fetching a URL that a stranger names is a server-side request forgery risk, so ``fetch``:

- takes only ``https://host/path`` URLs: no port, userinfo, fragment or dot segments;
- resolves the host once, refuses it when any address is not public (private, loopback,
  link-local such as 169.254.169.254, multicast, reserved, unspecified, shared, documentation;
  an IPv4 address inside IPv6, mapped, NAT64, 6to4 or Teredo, is judged as that IPv4 address),
  then connects to the address it checked: no second lookup a rebinding DNS could answer
  differently. TLS still verifies the certificate for the host name;
- follows no redirect, reads at most ``MAX_DOCUMENT_BYTES`` and takes at most ``FETCH_SECONDS``
  in all (resolution, connection, TLS, the answer), after which the socket is shut;
- takes only a 200 ``application/json`` answer.

It cannot stop a public host from being fetched: anyone can make this server fetch up to 5 kB
from a public https URL of their choosing, once per authorization request (the WAF rule bounds
how often) and at most once per ``MIN_CACHE_SECONDS`` for a document that worked.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from gpt_auth.oauth import clients, registration
from gpt_auth.runtime.errors import HttpError
from gpt_auth.runtime.setting_values import ascii_int
from gpt_auth.runtime.settings import Settings

MAX_DOCUMENT_BYTES = 5_120
FETCH_SECONDS = 5.0
MIN_CACHE_SECONDS = 300
MAX_CACHE_SECONDS = 86_400
DEFAULT_CACHE_SECONDS = 3_600
HTTPS_PORT = 443

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?([0-9]+)\"?\s*(?:,|$)", re.IGNORECASE)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: a NAT64 gateway reaches the IPv4 inside


class DocumentRefused(Exception):
    """The document could not be fetched or used; the message says why, for the sign-in page."""


class Fetched(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


Fetcher = Callable[[str], Fetched]


def load(url: str, settings: Settings, *, now: datetime, fetcher: Fetcher | None = None) -> clients.Client:
    """The client the document at ``url`` describes, fetched now and kept for its cache lifetime.

    Raises
    ------
    DocumentRefused
        The URL, the fetch or the document is refused; the message says which and why.
    """
    refusal = url_refusal(url)
    if refusal is not None:
        raise DocumentRefused(refusal)
    fetched = (fetcher or fetch)(url)
    client = client_from(url, fetched, settings)
    seconds = cache_seconds(fetched.headers.get("cache-control", ""))
    clients.save(client, expires_at=now + timedelta(seconds=seconds), now=now)
    return client


def url_refusal(url: str) -> str | None:
    """Why ``url`` cannot be a client_id metadata URL, or None when it can."""
    if not _PRINTABLE_ASCII.fullmatch(url) or "\\" in url:
        return "Its URL holds spaces, backslashes or characters outside printable ASCII."
    if "#" in url:
        return "Its URL has a fragment ('#')."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Its URL is not a valid URL."
    if parts.scheme != "https" or not parts.hostname:
        return "Its URL is not an https:// URL with a host."
    if "@" in parts.netloc:
        return "Its URL holds user information ('...@host')."
    if port is not None or parts.netloc.endswith(":"):
        return "Its URL names a port; only https's default port is fetched."
    if len(parts.path) < 2:
        return "Its URL has no path after the host."
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return "Its URL has '.' or '..' path segments."
    return None


def client_from(url: str, fetched: Fetched, settings: Settings) -> clients.Client:
    """The client a fetched answer describes.

    Raises
    ------
    DocumentRefused
        Not a 200 JSON object whose ``client_id`` is ``url``, or metadata a public MCP client
        may not have.
    """
    if 300 <= fetched.status < 400:
        raise DocumentRefused(f"Its URL answered HTTP {fetched.status} (a redirect), which is not followed.")
    if fetched.status != 200:
        raise DocumentRefused(f"Its URL answered HTTP {fetched.status}, not 200.")
    media_type = fetched.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise DocumentRefused("Its URL answered something other than application/json.")
    try:
        document = json.loads(fetched.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DocumentRefused("The document is not valid JSON.") from None
    if not isinstance(document, dict):
        raise DocumentRefused("The document is not a JSON object.")
    if document.get("client_id") != url:
        raise DocumentRefused("The document's client_id is not exactly the URL it was fetched from.")
    if "client_secret" in document or document.get("token_endpoint_auth_method", "none") != "none":
        raise DocumentRefused(
            "The document asks for a client secret; a client with a metadata document is public "
            "(token_endpoint_auth_method 'none')."
        )
    try:
        uris = registration.redirect_uris(document.get("redirect_uris"), settings)
        name = registration.client_name(document.get("client_name"))
        for field, allowed in (
            ("grant_types", registration.GRANT_TYPES),
            ("response_types", registration.RESPONSE_TYPES),
        ):
            registration.subset(document, field, allowed, default=allowed)
    except HttpError as exc:
        raise DocumentRefused(f"The document is refused: {exc.description}") from None
    return clients.Client(url, name, uris, clients.METADATA_DOCUMENT)


def cache_seconds(cache_control: str) -> int:
    """How long to keep a document: its ``max-age``, within the bounds; ``no-store`` or
    ``no-cache`` is the least; none given, ``DEFAULT_CACHE_SECONDS``."""
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return MIN_CACHE_SECONDS
    match = _MAX_AGE.search(cache_control)
    seconds = ascii_int(match.group(1)) if match else None
    if seconds is None:
        return DEFAULT_CACHE_SECONDS
    return min(max(seconds, MIN_CACHE_SECONDS), MAX_CACHE_SECONDS)


def is_public(address: Address) -> bool:
    """True when ``address`` may be fetched: globally routable, and none of the ranges above."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if address.teredo is not None:
            inner = address.teredo[1]
        elif address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None and not is_public(inner):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


def resolve(host: str, timeout: float) -> list[Address]:
    """Every address ``host`` resolves to (an IP literal is itself), within ``timeout`` seconds.

    Raises
    ------
    DocumentRefused
        It does not resolve, or not in time.
    """
    import socket
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import TimeoutError as Late

    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    pool = ThreadPoolExecutor(max_workers=1)  # getaddrinfo has no timeout of its own
    try:
        infos = pool.submit(socket.getaddrinfo, host, HTTPS_PORT, proto=socket.IPPROTO_TCP).result(timeout)
    except Late:
        raise DocumentRefused(f"Its host name did not resolve within {timeout:g} s.") from None
    except OSError:
        raise DocumentRefused("Its host name does not resolve.") from None
    finally:
        pool.shutdown(wait=False)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos))


def fetch(
    url: str,
    *,
    seconds: float = FETCH_SECONDS,
    port: int = HTTPS_PORT,
    allowed: Callable[[Address], bool] = is_public,
    resolver: Callable[[str, float], Iterable[Address]] = resolve,
    tls: Any = None,
) -> Fetched:
    """GET ``url`` under the guard above. ``port``, ``allowed``, ``resolver`` and ``tls`` (an
    ``ssl.SSLContext``) are for tests, which serve documents on loopback; nothing else sets them.

    Raises
    ------
    DocumentRefused
        An address is not allowed, or the fetch failed, took too long or answered too much.
    """
    import time

    deadline = time.monotonic() + seconds
    parts = urlsplit(url)
    host = parts.hostname or ""
    addresses = list(resolver(host, seconds))
    refused = [str(address) for address in addresses if not allowed(address)]
    if refused or not addresses:
        raise DocumentRefused(
            f"Its host resolves to an address that is not public ({', '.join(refused[:3]) or 'none'}); "
            "only public addresses are fetched."
        )
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        return _get(addresses[0], port, host, parts.netloc, target, deadline, tls)
    except DocumentRefused:
        raise
    except Exception as exc:  # the socket, TLS or HTTP failed, or the deadline shut the socket
        if isinstance(exc, TimeoutError) or time.monotonic() >= deadline - 0.05:
            raise DocumentRefused(f"Its URL did not answer within {seconds:g} s.") from None
        raise DocumentRefused(f"Its URL could not be fetched ({type(exc).__name__}).") from None


def _get(
    address: Address, port: int, host: str, netloc: str, target: str, deadline: float, tls: Any
) -> Fetched:
    """One GET to ``address`` (TLS for ``host``), shut at ``deadline`` whatever it is doing."""
    import contextlib
    import http.client
    import socket
    import ssl
    import threading
    import time

    if tls is None:
        import certifi

        tls = ssl.create_default_context(cafile=certifi.where())
    raw = socket.create_connection((str(address), port), timeout=max(0.01, deadline - time.monotonic()))
    # A duplicate of the socket outlives wrap_socket (which detaches raw): shutting it down ends
    # the connection under TLS too.
    watched = raw.dup()
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _shut, (watched,))
    watchdog.daemon = True
    watchdog.start()
    sock = raw
    try:
        sock = tls.wrap_socket(raw, server_hostname=host)
        connection = http.client.HTTPSConnection(host, port, timeout=max(0.01, deadline - time.monotonic()))
        connection.sock = sock  # already connected to the address checked: no second lookup
        connection.request(
            "GET",
            target,
            headers={"Host": netloc, "Accept": "application/json", "Accept-Encoding": "identity"},
        )
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        length = ascii_int(headers.get("content-length", "").strip())
        if length is not None and length > MAX_DOCUMENT_BYTES:
            raise DocumentRefused(f"The document is larger than {MAX_DOCUMENT_BYTES:,} bytes.")
        body = b""
        while response.status == 200 and len(body) <= MAX_DOCUMENT_BYTES and not response.isclosed():
            # a "Connection: close" answer has closed it already: the watchdog bounds that read
            with contextlib.suppress(OSError):
                sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = response.read1(MAX_DOCUMENT_BYTES + 1 - len(body))
            if not chunk:
                break
            body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise DocumentRefused(f"The document is larger than {MAX_DOCUMENT_BYTES:,} bytes.")
        if time.monotonic() >= deadline:  # the watchdog shut the socket: what came is cut short
            raise TimeoutError
        if response.status == 200 and length is not None and len(body) < length:
            raise DocumentRefused("Its answer ended before the length it declared.")
        return Fetched(response.status, headers, body)
    finally:
        watchdog.cancel()
        watched.close()
        sock.close()


def _shut(sock: Any) -> None:
    """Wake whatever waits on ``sock``: shutdown ends a blocked recv, where close does not."""
    import contextlib
    import socket

    with contextlib.suppress(OSError):  # already closed: nothing waits on it
        sock.shutdown(socket.SHUT_RDWR)
