"""A stand-in for Google at the HTTP edge, on a free loopback port, for the cold-path benchmark.

It answers the calls a sign-in callback makes: OIDC discovery, the token endpoint (an RS256
id_token for the code), and the signing keys, both as JWKS (``/jwks``, what our side reads) and
as Google's v1 PEM map (``/google/certs``, what googleapis reads). ``/google/token`` issues
id_tokens with Google's issuer, so the Node reference's checks pass unchanged. For the
Google-backed action it also answers a refresh grant at ``/token`` and Calendar's
``events.list`` (``GOOGLE_API_BASE`` is the stub), which wants an access token it issued.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from benchmarks.scenarios import GPT_CALLBACK, PROVIDER_NONCE, SETTINGS

KEY_ID = "bench-key-1"
GOOGLE_ISSUER = "https://accounts.google.com"
ACCESS_TOKEN_PREFIX = "ya29.bench-"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
EVENTS_PATH = "/calendar/v3/calendars/primary/events"
# What events.list answers: a few upcoming events of the shape Google sends (fields mask applied).
EVENTS = {
    "items": [
        {
            "summary": f"Bench meeting {i}",
            "location": "Room 4",
            "htmlLink": f"https://www.google.com/calendar/event?eid=bench{i}",
            "start": {"dateTime": f"2030-01-0{i}T09:00:00Z"},
            "end": {"dateTime": f"2030-01-0{i}T10:00:00Z"},
        }
        for i in range(1, 6)
    ]
}


class ProviderStub:
    """``with ProviderStub() as stub: stub.issuer``; ``stub.nonces[code] = nonce`` before a callback."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = self._key.public_key()
        jwk = json.loads(RSAAlgorithm.to_jwk(public))
        self.jwks = {"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.pem_certs = {KEY_ID: pem.decode()}
        self.nonces: dict[str, str] = {}
        self.refreshes = 0  # refresh grants answered
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def environment(self) -> dict[str, str]:
        """Settings that point our functions and the references at this stub."""
        return {
            "OIDC_ISSUER": self.issuer,
            "PROVIDER_URL": self.issuer,
            "GOOGLE_REDIRECT_URI": "https://bench.lambda-url.eu-west-1.on.aws/callback",
            "GPT_CALLBACK": GPT_CALLBACK,
            "GOOGLE_API_BASE": self.issuer,
        }

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def id_token(self, issuer: str, code: str) -> str:
        import jwt

        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": SETTINGS["GOOGLE_CLIENT_ID"],
            "azp": SETTINGS["GOOGLE_CLIENT_ID"],
            "sub": "bench-user-1",
            "email": "bench@example.com",
            "email_verified": True,
            "name": "Bench User",
            "iat": now,
            "exp": now + 3600,
        }
        claims["nonce"] = self.nonces.get(code, PROVIDER_NONCE)
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": KEY_ID})

    def __enter__(self) -> ProviderStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(stub: ProviderStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _json(self, payload: Any, status: int = 200) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            routes = {
                "/.well-known/openid-configuration": stub.discovery,
                "/jwks": lambda: stub.jwks,
                "/google/certs": lambda: stub.pem_certs,
            }
            path = self.path.split("?", 1)[0]
            if path == EVENTS_PATH:
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if token.startswith(ACCESS_TOKEN_PREFIX):
                    self._json(EVENTS)
                else:
                    self._json({"error": {"code": 401, "status": "UNAUTHENTICATED"}}, 401)
                return
            route = routes.get(path)
            if route is None:
                self._json({"error": "not_found"}, 404)
            else:
                self._json(route())

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            path = self.path.split("?", 1)[0]
            if path == "/token" and form.get("grant_type") == "refresh_token":
                stub.refreshes += 1
                self._json(
                    {
                        "access_token": f"{ACCESS_TOKEN_PREFIX}refreshed-{stub.refreshes}",
                        "expires_in": 3599,
                        "token_type": "Bearer",
                        "scope": f"openid email profile {CALENDAR_SCOPE}",
                    }
                )
                return
            if path not in ("/token", "/google/token") or form.get("grant_type") != "authorization_code":
                self._json({"error": "invalid_request"}, 400)
                return
            issuer = GOOGLE_ISSUER if path.startswith("/google") else stub.issuer
            self._json(
                {
                    "access_token": f"{ACCESS_TOKEN_PREFIX}access-token",
                    "expires_in": 3599,
                    "token_type": "Bearer",
                    "scope": "openid email profile",
                    "id_token": stub.id_token(issuer, form.get("code", "")),
                }
            )

    return Handler
