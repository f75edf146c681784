"""The simulator's MCP side: it plays an MCP client against testEndpoint's ``/mcp``.

It takes the steps the ``mcp`` SDK's OAuth client takes, each over real HTTP and each in the
page's timeline (masked as the GPT's side is):

1. **Discover**: ``POST /mcp`` without a token (an ``initialize``) for the 401 and its
   ``WWW-Authenticate`` challenge; the RFC 9728 resource metadata at the challenge's
   ``resource_metadata`` (else the path-inserted, then the root well-known URL), whose
   ``resource`` must be the ``/mcp`` URL; then the authorization server metadata of its issuer at
   the well-known URLs in the MCP specification's order (RFC 8414 path-inserted, OpenID Connect
   path-inserted, OpenID Connect path-appended), the first that answers 200, whose ``issuer``
   must be the one asked for.
2. **Register** (RFC 7591) at the metadata's ``registration_endpoint``: the simulator's loopback
   callback (``/simulator/mcp/callback``), ``token_endpoint_auth_method`` ``none``.
3. **Sign in**: PKCE S256 (the verifier stays on the server, per browser session; a server whose
   metadata does not list S256 is refused, as the MCP specification asks), ``resource`` the
   ``/mcp`` URL; the browser goes to the authorization URL, the consent page and the Google
   stand-in, and back to the MCP callback, where ``state`` and ``iss`` (RFC 9207) are checked
   before the code is exchanged with ``none`` authentication, the verifier and the resource.
4. **List tools** (``initialize``, ``notifications/initialized``, ``tools/list``), a form per
   tool written from its ``inputSchema`` by :mod:`localdev.action_forms`, ``tools/call``, and
   **refresh**.

A step whose server side is missing (no metadata, no ``registration_endpoint``) stops there and
the page says what is missing; nothing is made up.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import requests

from gpt_auth.mcp.endpoint import PROTOCOL_VERSIONS
from gpt_auth.mcp.mount import WELL_KNOWN as RESOURCE_WELL_KNOWN
from gpt_auth.oauth import pkce
from localdev.action_forms import ARGUMENT, FormField, Submission, fields_of, fields_submission, shortened

if TYPE_CHECKING:
    from localdev.simulator import BrowserSession

MCP_ROUTES = "/simulator/mcp/"
CALLBACK_PATH = MCP_ROUTES + "callback"
TOOLS_PATH = MCP_ROUTES + "tools/"
CLIENT_NAME = "gpt-google-auth simulator (plays an MCP client)"
PROTOCOL_VERSION = PROTOCOL_VERSIONS[0]
SERVER_WELL_KNOWN = "/.well-known/oauth-authorization-server"
OPENID_WELL_KNOWN = "/.well-known/openid-configuration"
JSON = "application/json"
ACCEPT_MCP = "application/json, text/event-stream"
SHOWN_ANSWER_CHARS = 4000
_PARAMETER = re.compile(r'([A-Za-z_]+)="([^"]*)"')

# send(title, method, url, headers, body): the simulator's HTTP, recorded in the timeline.
Send = Callable[[str, str, str, dict[str, str], str], "requests.Response | None"]


@dataclass(frozen=True)
class ToolForm:
    """A tool from ``tools/list`` as the page offers it: its name, title and argument fields."""

    name: str
    title: str
    description: str
    fields: tuple[FormField, ...]


@dataclass
class ToolAnswer:
    """The last answer of one tool: the text the model would read, or why there is none."""

    ok: bool
    headline: str
    text: str = ""


@dataclass
class McpState:
    """What the simulator's MCP client holds for one browser."""

    resource: str | None = None
    scope: str = ""
    issuer: str | None = None
    server: dict[str, Any] | None = None
    client_id: str | None = None
    pending_state: str | None = None
    verifier: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: float | None = None
    user: str | None = None
    protocol_version: str | None = None
    tools: dict[str, ToolForm] = field(default_factory=dict)
    answers: dict[str, ToolAnswer] = field(default_factory=dict)
    sent: dict[str, Submission] = field(default_factory=dict)
    # What the last step said: shown in the MCP section, where the browser lands.
    notice: str | None = None
    notice_is_error: bool = False

    def say(self, message: str, *, error: bool = False) -> None:
        self.notice, self.notice_is_error = message, error

    @property
    def started(self) -> bool:
        return self.resource is not None or self.server is not None


def tool_form(tool: Mapping[str, Any]) -> ToolForm:
    """The form for one ``tools/list`` entry, from its ``inputSchema``."""
    schema = tool.get("inputSchema") or {}
    properties = schema.get("properties") or {}
    required = frozenset(schema.get("required") or ())
    return ToolForm(
        name=str(tool.get("name", "")),
        title=str(tool.get("title") or ""),
        description=str(tool.get("description") or ""),
        fields=fields_of(((ARGUMENT, properties, required),)),
    )


def challenge_parameters(header: str) -> dict[str, str]:
    """The quoted parameters of a ``WWW-Authenticate: Bearer …`` challenge."""
    return dict(_PARAMETER.findall(header))


def resource_metadata_urls(challenge: Mapping[str, str], mcp_url: str) -> list[str]:
    """Where to read the resource metadata: the challenge's URL, else the well-known ones (RFC 9728)."""
    if challenge.get("resource_metadata"):
        return [challenge["resource_metadata"]]
    parts = urlsplit(mcp_url)
    root = f"{parts.scheme}://{parts.netloc}{RESOURCE_WELL_KNOWN}"
    return [root + parts.path.rstrip("/"), root] if parts.path.strip("/") else [root]


def server_metadata_urls(issuer: str) -> list[str]:
    """The issuer's metadata URLs in the MCP specification's order (authorization server discovery)."""
    parts = urlsplit(issuer)
    origin, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    if not path:
        return [origin + SERVER_WELL_KNOWN, origin + OPENID_WELL_KNOWN]
    return [
        origin + SERVER_WELL_KNOWN + path,
        origin + OPENID_WELL_KNOWN + path,
        origin + path + OPENID_WELL_KNOWN,
    ]


def json_of(response: requests.Response) -> Any:
    """The JSON of a response (or of the last ``data:`` line of an event stream); None otherwise."""
    text = response.text
    if response.headers.get("Content-Type", "").startswith("text/event-stream"):
        lines = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        text = lines[-1] if lines else ""
    try:
        return json.loads(text)
    except ValueError:
        return None


class McpClient:
    """The MCP client's steps for one browser session; ``send`` records each request."""

    def __init__(self, session: BrowserSession, send: Send, mcp_url: str, callback_url: str) -> None:
        self.session = session
        self.state = session.mcp
        self.send = send
        self.mcp_url = mcp_url
        self.callback_url = callback_url
        self.problem = ""  # why the last JSON-RPC request has no result

    def fail(self, message: str) -> None:
        self.state.say(message, error=True)

    # -- discovery -------------------------------------------------------------------------------

    def discover(self) -> None:
        """The 401's challenge, the resource metadata, then the authorization server metadata."""
        state = self.session.mcp = self.state = McpState()
        headers = {"Content-Type": JSON, "Accept": ACCEPT_MCP}
        response = self.send(
            "MCP discover: POST /mcp without a token", "POST", self.mcp_url, headers, _initialize(1)
        )
        if response is None:
            return
        challenge = challenge_parameters(response.headers.get("WWW-Authenticate", ""))
        if response.status_code != 401:
            self.fail(f"/mcp answered {response.status_code} without a token, not 401 with a challenge.")
            return
        state.scope = challenge.get("scope", "")
        resource = self._first_json(
            "MCP discover: the protected resource metadata (RFC 9728)",
            resource_metadata_urls(challenge, self.mcp_url),
        )
        if resource is None:
            self.fail("No protected resource metadata (RFC 9728) was found for /mcp: see the timeline.")
            return
        named = resource.get("resource")
        if named != self.mcp_url:
            self.fail(f"The resource metadata names {shortened(named)}, not {self.mcp_url} (RFC 9728 3.3).")
            return
        servers = resource.get("authorization_servers") or []
        if not servers or not isinstance(servers[0], str):
            self.fail("The resource metadata names no authorization server.")
            return
        state.resource, state.issuer = self.mcp_url, servers[0]
        state.scope = state.scope or " ".join(resource.get("scopes_supported") or ())
        urls = server_metadata_urls(state.issuer)
        server = self._first_json("MCP discover: the authorization server metadata", urls)
        if server is None:
            self.fail(
                f"The authorization server {state.issuer} publishes no metadata (RFC 8414) at its "
                f"well-known URLs ({', '.join(urls)}), so the client cannot find where to register "
                "or sign in. See the timeline."
            )
            return
        if server.get("issuer") != state.issuer:
            self.fail(f"The metadata's issuer {shortened(server.get('issuer'))} is not {state.issuer}.")
            return
        state.server = server
        self.state.say(f"Discovered /mcp's authorization server {state.issuer}; next: register.")

    def _first_json(self, title: str, urls: list[str]) -> dict[str, Any] | None:
        """The first of ``urls`` that answers 200 with a JSON object, each try in the timeline."""
        headers = {"Accept": JSON, "MCP-Protocol-Version": PROTOCOL_VERSION}
        for url in urls:
            response = self.send(title, "GET", url, headers, "")
            if response is None:
                return None
            document = json_of(response) if response.status_code == 200 else None
            if isinstance(document, dict):
                return document
        return None

    # -- registration and sign-in ---------------------------------------------------------------

    def register(self) -> None:
        """RFC 7591 registration of the simulator as a public client with its loopback callback."""
        server = self.state.server
        if server is None:
            self.fail("Discover first: registration needs the authorization server's metadata.")
            return
        endpoint = server.get("registration_endpoint")
        if not isinstance(endpoint, str):
            self.fail(
                "The authorization server's metadata has no registration_endpoint: it does not offer "
                "dynamic client registration (RFC 7591) yet."
            )
            return
        metadata = {
            "client_name": CLIENT_NAME,
            "redirect_uris": [self.callback_url],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            **({"scope": self.state.scope} if self.state.scope else {}),
        }
        response = self.send(
            "MCP register: the client's metadata (RFC 7591)",
            "POST",
            endpoint,
            {"Content-Type": JSON, "Accept": JSON},
            json.dumps(metadata),
        )
        if response is None:
            return
        answer = json_of(response)
        registered = response.status_code in (200, 201)
        if not registered or not isinstance(answer, dict) or not answer.get("client_id"):
            self.fail(f"Registration answered {response.status_code}: see the timeline.")
            return
        self.state.client_id = str(answer["client_id"])
        self.state.say(f"Registered as client {self.state.client_id}; next: sign in.")

    def sign_in_location(self) -> str | None:
        """The authorization URL the browser goes to (PKCE S256, ``resource``), or None and why not."""
        state, server = self.state, self.state.server or {}
        endpoint = server.get("authorization_endpoint")
        if state.client_id is None or not isinstance(endpoint, str):
            self.fail("Discover and register first: signing in needs a client id and the authorization URL.")
            return None
        if pkce.S256 not in (server.get("code_challenge_methods_supported") or ()):
            self.fail("The authorization server's metadata does not list PKCE S256: MCP clients refuse it.")
            return None
        state.verifier = pkce.new_verifier()
        challenge = pkce.s256_challenge(state.verifier)
        state.pending_state = secrets.token_urlsafe(16)
        query = {
            "response_type": "code",
            "client_id": state.client_id,
            "redirect_uri": self.callback_url,
            "state": state.pending_state,
            "code_challenge": challenge,
            "code_challenge_method": pkce.S256,
            "resource": state.resource or self.mcp_url,
            **({"scope": state.scope} if state.scope else {}),
        }
        return f"{endpoint}?{urlencode(query)}"

    def callback(self, args: Mapping[str, str]) -> None:
        """Check ``state`` and ``iss``, then exchange the code (``none`` auth, the verifier, the resource)."""
        state = self.state
        expected, state.pending_state = state.pending_state, None
        verifier, state.verifier = state.verifier, None
        sent_state, code, error, iss = (args.get(k) for k in ("state", "code", "error", "iss"))
        if not (expected and sent_state and secrets.compare_digest(sent_state.encode(), expected.encode())):
            self.fail("The MCP callback's state matches no sign-in started here, so its code was not used.")
            return
        server = state.server or {}
        if iss is None and server.get("authorization_response_iss_parameter_supported"):
            self.fail("The MCP callback has no iss, which the authorization server promised (RFC 9207).")
            return
        if iss is not None and iss != state.issuer:
            self.fail(f"The MCP callback's iss {shortened(iss)} is not the issuer {state.issuer} (RFC 9207).")
            return
        if error:
            description = (args.get("error_description") or "").strip().rstrip(".")[:300]
            self.fail(f"MCP sign-in failed: {error[:100]}{f' ({description})' if description else ''}.")
            return
        if not code or not verifier:
            self.fail("The MCP callback carried neither a code nor an error.")
            return
        fields = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.callback_url,
            "code_verifier": verifier,
        }
        if self._token_request(fields, "MCP token exchange: the code and the PKCE verifier for tokens"):
            state.tools.clear()
            state.answers.clear()
            state.sent.clear()
            self.state.say("Signed in as an MCP client: next, list the tools.")

    def refresh(self) -> None:
        if not self.state.refresh_token:
            self.fail("The MCP client holds no refresh token yet: sign in first.")
            return
        fields = {"grant_type": "refresh_token", "refresh_token": self.state.refresh_token}
        if self._token_request(fields, "MCP refresh: the refresh token for a new access token"):
            self.state.say("Refreshed the MCP client's access token.")

    def _token_request(self, fields: dict[str, str], title: str) -> bool:
        """POST to the token endpoint as a public client; keep the tokens on success."""
        state = self.state
        endpoint = (state.server or {}).get("token_endpoint")
        if not isinstance(endpoint, str) or state.client_id is None:
            self.fail("The authorization server's metadata names no token_endpoint.")
            return False
        body = {**fields, "client_id": state.client_id, "resource": state.resource or self.mcp_url}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON}
        response = self.send(title, "POST", endpoint, headers, urlencode(body))
        if response is None:
            return False
        payload = json_of(response)
        if response.status_code != 200 or not isinstance(payload, dict) or not payload.get("access_token"):
            error = payload.get("error", "") if isinstance(payload, dict) else ""
            self.fail(f"The token endpoint answered {response.status_code} {error}: see the timeline.")
            return False
        state.access_token = str(payload["access_token"])
        if payload.get("refresh_token"):
            state.refresh_token = str(payload["refresh_token"])
        expires_in = payload.get("expires_in")
        state.expires_at = time.time() + expires_in if isinstance(expires_in, int | float) else None
        return True

    # -- tools ----------------------------------------------------------------------------------

    def list_tools(self) -> None:
        """``initialize``, ``notifications/initialized``, ``tools/list``: a form per tool."""
        state = self.state
        if not state.access_token:
            self.fail("Sign in as an MCP client first: /mcp needs an access token.")
            return
        initialized = self._rpc("MCP initialize", _initialize(1), versioned=False)
        if initialized is None:
            self.fail(self.problem)
            return
        version = initialized.get("protocolVersion")
        state.protocol_version = version if version in PROTOCOL_VERSIONS else None
        if state.protocol_version is None:
            self.fail(f"/mcp chose protocol version {shortened(version)}, which this client does not speak.")
            return
        note = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
        if self._post("MCP notifications/initialized", note) is None:
            return
        listed = self._rpc("MCP tools/list", _request(2, "tools/list", {}))
        if listed is None:
            self.fail(self.problem)
            return
        tools = [tool_form(tool) for tool in listed.get("tools") or () if isinstance(tool, dict)]
        state.tools = {tool.name: tool for tool in tools}
        self.state.say(f"/mcp lists {len(tools)} tools: each has a form below.")

    def call_tool(self, tool: ToolForm, posted: Mapping[str, list[str]]) -> None:
        """``tools/call`` with the arguments the tool's form holds; the answer goes under the form."""
        state = self.state
        sent = fields_submission(tool.fields, posted)
        state.sent[tool.name] = sent
        state.notice = None
        if not state.access_token:
            state.answers[tool.name] = ToolAnswer(False, "Sign in as an MCP client first.")
            return
        params = {"name": tool.name, "arguments": sent.body or {}}
        result = self._rpc(f"MCP tools/call {tool.name}", _request(3, "tools/call", params))
        if result is None:
            state.answers[tool.name] = ToolAnswer(False, self.problem)
            return
        texts = [str(item.get("text", "")) for item in result.get("content") or () if isinstance(item, dict)]
        text = "\n".join(texts)
        if len(text) > SHOWN_ANSWER_CHARS:
            text = text[:SHOWN_ANSWER_CHARS] + f"… ({len(text):,} characters)"
        if result.get("isError"):
            state.answers[tool.name] = ToolAnswer(False, f"{tool.name} refused (isError): {text}")
        else:
            state.answers[tool.name] = ToolAnswer(True, f"{tool.name} answered:", text)

    def _post(self, title: str, body: str, *, versioned: bool = True) -> requests.Response | None:
        headers = {
            "Content-Type": JSON,
            "Accept": ACCEPT_MCP,
            "Authorization": f"Bearer {self.state.access_token}",
        }
        if versioned and self.state.protocol_version:
            headers["MCP-Protocol-Version"] = self.state.protocol_version
        return self.send(title, "POST", self.mcp_url, headers, body)

    def _rpc(self, title: str, body: str, *, versioned: bool = True) -> dict[str, Any] | None:
        """A JSON-RPC request's result; None, with ``self.problem`` saying why, otherwise."""
        response = self._post(title, body, versioned=versioned)
        if response is None:
            self.problem = f"{title}: no response, see the timeline."
            return None
        answer = json_of(response)
        if response.status_code != 200 or not isinstance(answer, dict):
            challenge = response.headers.get("WWW-Authenticate", "")
            why = f" ({shortened(challenge, 300)})" if challenge else ""
            self.problem = f"/mcp answered {response.status_code}{why}: see the timeline."
            if response.status_code == 401:
                self.problem = f"/mcp refused the access token (401){why}: refresh it or sign in again."
            return None
        result = answer.get("result")
        if "error" in answer or not isinstance(result, dict):
            error = answer.get("error")
            said = error.get("message") if isinstance(error, dict) else error
            self.problem = f"/mcp answered a JSON-RPC error: {shortened(said, 300)}"
            return None
        return result


def _request(request_id: int, method: str, params: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})


def _initialize(request_id: int) -> str:
    params = {
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "gpt-google-auth-simulator", "version": "1.0.0"},
    }
    return _request(request_id, "initialize", params)
