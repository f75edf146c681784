"""Over real HTTP: the emulator refuses a request whose Host is another name for 127.0.0.1."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests


def test_a_rebound_host_name_is_refused_and_the_own_address_served(emulator):
    port = urlsplit(emulator).port
    # WHEN a page of another site, its name now resolving to 127.0.0.1, calls the action
    rebound = requests.post(
        f"{emulator}/testEndpoint/",
        json={"name": "Ada"},
        headers={"Host": f"rebind.example:{port}"},
        timeout=10,
    )
    # THEN the emulator refuses it before any function runs (no request id: no invocation)
    assert rebound.status_code == 403
    assert "DNS rebinding" in rebound.text
    assert "x-amzn-RequestId" not in rebound.headers
    # AND the same request to the loopback address reaches the function (401: no token)
    direct = requests.post(f"{emulator}/testEndpoint/", json={"name": "Ada"}, timeout=10)
    assert direct.status_code == 401
