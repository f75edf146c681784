"""The GPT simulator: a local page that plays ChatGPT's side of the OAuth flow and the action call.

It sends the requests ChatGPT sends. The browser opens the authorization URL with ChatGPT's
parameters and a local callback (``/simulator/callback``, which ``make dev`` allows), and keeps
the sign-in cookie that URL sets until Google's redirect brings it back to our callback, as
with ChatGPT, which opens the sign-in in the person's browser; the
simulator's server side then exchanges the code at the token URL with the configured client
authentication, calls each declared action on ``testEndpoint`` with its method, path, query and
JSON body and the access token as a Bearer token (the forms come from the declarations,
``localdev.action_forms``), and refreshes the token, as ChatGPT's servers do, over real HTTP, so
the timeline on the page shows real requests and responses.

The page says who is signed in (the e-mail, else the user id, of the session the access token
belongs to: make dev's store is the simulator's), and a new sign-in starts a new timeline with no
answer of the previous user. An action's answer, or its refusal with the reason the action gave,
is shown under that action's form; long answers, tables and timeline entries start collapsed so
the page stays a few screens long whatever the answer's size.

Tokens stay on the server, per browser session (a random cookie id); the page shows them only
masked (a prefix and the length), as it does codes, secrets and authorization headers in the
timeline. The page is plain HTML forms and works without JavaScript. Each form carries the browser
session's CSRF token, and a POST without it is refused (403); a request whose ``Host`` is not
the server's loopback address is refused too (``localdev.loopback``, DNS rebinding).

The page's MCP section plays an MCP client against testEndpoint's ``/mcp`` in the same timeline
(``localdev.simulator_mcp``): discover, register, sign in, list and call the tools, refresh.

Routes: ``GET /`` the page; ``POST /simulator/start``, ``GET /simulator/callback``,
``POST /simulator/actions/<operationId>``, ``POST /simulator/refresh``, ``POST /simulator/reset``;
``GET /simulator/manifest.json`` the local action schema; the MCP client's ``POST
/simulator/mcp/discover``, ``register``, ``sign-in``, ``tools``, ``refresh``, ``tools/<name>`` and
``GET /simulator/mcp/callback``.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote_plus, urlencode, urlsplit, urlunsplit

import jinja2
import requests
from werkzeug.wrappers import Request, Response

from gpt_auth.actions.declaration import Action
from gpt_auth.mcp.mount import MCP_PATH
from localdev.action_forms import (
    NULLS,
    ActionForm,
    Answer,
    Submission,
    answer_of,
    forms_of,
    refusal_of,
    submission_of,
)
from localdev.loopback import host_refusal
from localdev.manifest import ActionUrls, build_manifest, render, scopes
from localdev.simulator_mcp import CALLBACK_PATH, MCP_ROUTES, TOOLS_PATH, McpClient, McpState

COOKIE = "gpt_simulator"
MAX_SESSIONS = 200
MAX_STEPS = 40
# The timeline shows the newest steps; older ones wait in one collapsed entry.
SHOWN_STEPS = 5
# A request or response body longer than this starts collapsed in the timeline.
OPEN_BODY_CHARS = 1200
ACTIONS_PATH = "/simulator/actions/"
HTTP_TIMEOUT = 10.0
SHOWN_PREFIX = 8
# Field and header values that are never shown in clear.
SECRET_FIELDS = frozenset(
    {"code", "code_verifier", "client_secret", "access_token", "refresh_token", "id_token"}
)
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie"})
TOKEN_AUTH_METHODS = {
    "client_secret_post": "Default (POST request): client id and secret in the form body",
    "client_secret_basic": "Basic authorization header",
}
USER_AGENT = "gpt-google-auth-simulator (plays ChatGPT)"
# A page or form target: the request and the browser's session in, the answer out.
Route = Callable[[Request, "BrowserSession"], Response]
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}


def mask(value: str) -> str:
    """A secret as the page shows it: its first characters and its length, never the rest."""
    shown = value[:SHOWN_PREFIX] if len(value) > 2 * SHOWN_PREFIX else ""
    return f"{shown}… ({len(value)} chars)"


def mask_url(url: str) -> str:
    """``url`` with the values of secret query parameters (``code``, tokens) masked, for reading."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = []
    for pair in parts.query.split("&"):
        key, sep, value = pair.partition("=")
        if unquote_plus(key) in SECRET_FIELDS:
            value = mask(unquote_plus(value))
        pairs.append(f"{key}{sep}{value}")
    return urlunsplit(parts._replace(query="&".join(pairs)))


def mask_header(name: str, value: str) -> str:
    lower = name.lower()
    if lower == "location":
        return mask_url(value)
    if lower not in SECRET_HEADERS:
        return value
    scheme, sep, credentials = value.partition(" ")
    if lower == "authorization" and sep:
        return f"{scheme} {mask(credentials)}"
    return mask(value)


def mask_body(body: str, content_type: str) -> str:
    """A request or response body for the timeline: secrets masked, JSON and forms made readable."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body, keep_blank_values=True)
        return "\n".join(f"{k}={mask(v) if k in SECRET_FIELDS else v}" for k, v in pairs)
    if media_type == "application/json":
        try:
            parsed = json.loads(body)
        except ValueError:
            return body
        if isinstance(parsed, dict):
            parsed = {
                k: mask(v) if k in SECRET_FIELDS and isinstance(v, str) else v for k, v in parsed.items()
            }
        return json.dumps(parsed, indent=2, ensure_ascii=False)
    return body


@dataclass(frozen=True)
class SimulatorConfig:
    """What the simulator plays ChatGPT with: the GPT's OAuth settings and its callback.

    Parameters
    ----------
    urls
        The three function URLs (authorization, token, action).
    client_id, client_secret
        The GPT's credentials (``GPT_CLIENT_ID``, ``GPT_CLIENT_SECRET``).
    callback_url
        The simulator's own callback, e.g. ``http://127.0.0.1:3000/simulator/callback``; it must be
        in the backend's redirect allowlist.
    token_auth
        ``client_secret_post`` (the GPT editor's default) or ``client_secret_basic``; the page
        lets the user pick the other one for a sign-in.
    scope
        The GPT editor's Scope field, sent as ``scope``: the sign-in's and every action's scopes.
    """

    urls: ActionUrls
    client_id: str
    client_secret: str
    callback_url: str
    token_auth: str = "client_secret_post"
    scope: str = field(default_factory=lambda: " ".join(scopes()))

    def __post_init__(self) -> None:
        if self.token_auth not in TOKEN_AUTH_METHODS:
            raise ValueError(
                f"token_auth must be one of {', '.join(TOKEN_AUTH_METHODS)}, got {self.token_auth!r}"
            )

    @property
    def origin(self) -> str:
        parts = urlsplit(self.callback_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def mcp_url(self) -> str:
        return self.urls.action.rstrip("/") + MCP_PATH

    @property
    def mcp_callback_url(self) -> str:
        """The MCP client's redirect URI: loopback http, which MCP clients may register on any port."""
        return self.origin + CALLBACK_PATH


@dataclass
class Step:
    """One HTTP exchange in the timeline, already masked."""

    title: str
    method: str
    url: str
    note: str = ""
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: str = ""
    status: int | None = None
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: str = ""
    elapsed_ms: float | None = None


@dataclass
class BrowserSession:
    """What the simulator keeps for one browser: like ChatGPT's per-user token store."""

    id: str
    conversation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    lock: threading.Lock = field(default_factory=threading.Lock)
    steps: list[Step] = field(default_factory=list)
    pending_state: str | None = None
    token_auth: str = "client_secret_post"
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: float | None = None
    previous_access_token: str | None = None
    # Who the access token signs in: shown on the page, looked up after each token response.
    user: str | None = None
    # The step that opened the sign-in in progress: the timeline restarts there when it succeeds.
    sign_in_step: Step | None = None
    # Every form of the page carries it; a POST without it came from elsewhere (CSRF).
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Per operationId: the last answer, what the form sent and what it shows again.
    answers: dict[str, Answer] = field(default_factory=dict)
    sent: dict[str, Submission] = field(default_factory=dict)
    notice: str | None = None
    notice_is_error: bool = False
    # The page's MCP client: its own registration, sign-in, tokens and tools.
    mcp: McpState = field(default_factory=McpState)

    def add(self, step: Step) -> None:
        self.steps.append(step)
        del self.steps[:-MAX_STEPS]

    def say(self, message: str, *, error: bool = False) -> None:
        self.notice, self.notice_is_error = message, error


class Simulator:
    """The simulator as a WSGI application (mounted at ``/`` and ``/simulator/...``)."""

    def __init__(self, config: SimulatorConfig, actions: Sequence[Action] | None = None) -> None:
        """``actions``: what the page offers; every declared action by default."""
        if actions is None:
            from gpt_auth.actions.catalog import ACTIONS

            actions = ACTIONS
        self.config = config
        self.forms = forms_of(actions)
        self._sessions: OrderedDict[str, BrowserSession] = OrderedDict()
        self._sessions_lock = threading.Lock()
        self._http: requests.Session | None = None

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = host_refusal(environ)
        if response is None:
            response = self.handle(Request(environ))
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Answer one request to the simulator's routes."""
        routes: dict[tuple[str, str], Route] = {
            ("GET", "/"): self.page,
            ("POST", "/simulator/start"): self.start,
            ("GET", "/simulator/callback"): self.callback,
            ("POST", "/simulator/refresh"): self.refresh,
            ("POST", "/simulator/reset"): self.reset,
            ("GET", "/simulator/manifest.json"): self.manifest,
            ("POST", MCP_ROUTES + "discover"): functools.partial(self.mcp_step, step="discover"),
            ("POST", MCP_ROUTES + "register"): functools.partial(self.mcp_step, step="register"),
            ("POST", MCP_ROUTES + "sign-in"): self.mcp_sign_in,
            ("GET", CALLBACK_PATH): self.mcp_callback,
            ("POST", MCP_ROUTES + "tools"): functools.partial(self.mcp_step, step="list_tools"),
            ("POST", MCP_ROUTES + "refresh"): functools.partial(self.mcp_step, step="refresh"),
        }
        path = request.path.rstrip("/") or "/"
        if path.startswith(ACTIONS_PATH):
            name = path[len(ACTIONS_PATH) :]
            if name not in self.forms:
                return _plain(404, f"No declared action is named {name[:100]!r}; the page lists them at /.")
            routes[("POST", path)] = functools.partial(self.call_action, form=self.forms[name])
        if path.startswith(TOOLS_PATH):
            routes[("POST", path)] = functools.partial(self.mcp_call_tool, name=path[len(TOOLS_PATH) :])
        route = routes.get((request.method, path))
        if route is None:
            allowed = sorted(method for method, p in routes if p == path)
            if allowed:
                return _plain(405, f"Use {' or '.join(allowed)} here.", {"Allow": ", ".join(allowed)})
            return _plain(404, f"The simulator has no page at {path[:200]}; its page is at /.")
        if path == "/" and request.host_url.rstrip("/") != self.config.origin:
            # The cookie and the allowed callback belong to one origin: send the browser there.
            return _redirect(self.config.origin + "/")
        session, is_new = self._session_for(request)
        with session.lock:
            if request.method == "POST" and not _same_token(request.form.get("csrf", ""), session.csrf):
                response = _plain(
                    403,
                    "Refused: this form was not sent by the simulator page open in this browser (its "
                    f"CSRF token is missing or stale). Reload {self.config.origin}/ and try again.",
                )
            else:
                response = route(request, session)
        if is_new:
            response.set_cookie(COOKIE, session.id, httponly=True, samesite="Lax", path="/")
        return response

    def _session_for(self, request: Request) -> tuple[BrowserSession, bool]:
        sid = request.cookies.get(COOKIE, "")
        with self._sessions_lock:
            session = self._sessions.get(sid)
            if session is not None:
                self._sessions.move_to_end(sid)
                return session, False
            session = BrowserSession(secrets.token_urlsafe(24), token_auth=self.config.token_auth)
            self._sessions[session.id] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
            return session, True

    # -- the flow ---------------------------------------------------------------------------

    def start(self, request: Request, session: BrowserSession) -> Response:
        """Send the browser to the authorization URL, as ChatGPT does when the user signs in."""
        token_auth = request.form.get("token_auth", session.token_auth)
        if token_auth not in TOKEN_AUTH_METHODS:
            session.say(f"Unknown token exchange method {token_auth[:40]!r}.", error=True)
            return _redirect("/")
        session.token_auth = token_auth
        session.pending_state = secrets.token_urlsafe(16)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": self.config.callback_url,
                "state": session.pending_state,
                "scope": self.config.scope,
            }
        )
        location = f"{self.config.urls.authorization}?{query}"
        session.sign_in_step = Step(
            "Sign in: the browser opens the authorization URL",
            "GET",
            mask_url(location),
            note="The browser follows it, then the redirects to the Google stand-in's consent page and "
            "back to the simulator's callback; the simulator does not see those responses.",
        )
        session.add(session.sign_in_step)
        session.say("Signing in: choose a user on the Google stand-in's consent page.")
        return _redirect(location)

    def callback(self, request: Request, session: BrowserSession) -> Response:
        """The GPT callback: check ``state``, then exchange the code at the token URL."""
        state, code, error = (request.args.get(k) for k in ("state", "code", "error"))
        session.add(
            Step(
                "Callback: the authorization server redirects the browser back",
                "GET",
                mask_url(request.url),
                status=303,
                reason="See Other",
                note="ChatGPT checks state against the sign-in it started, then exchanges the code.",
            )
        )
        expected, session.pending_state = session.pending_state, None
        if not expected or not state or not secrets.compare_digest(state.encode(), expected.encode()):
            session.say(
                "The callback's state does not match a sign-in started in this browser, so the code was "
                "not used (ChatGPT refuses it too). Sign in again from this page.",
                error=True,
            )
        elif error:
            description = request.args.get("error_description", "")
            detail = f" ({description.strip().rstrip('.')[:300]})" if description.strip() else ""
            session.say(f"Sign-in failed: {error[:100]}{detail}.", error=True)
        elif not code:
            session.say("The callback carried neither a code nor an error.", error=True)
        else:
            fields = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.config.callback_url,
            }
            if self._token_request(session, fields, "Token exchange: the authorization code for tokens"):
                self._new_sign_in(session)
                session.say("Signed in: the simulator holds an access token and a refresh token.")
        return _redirect("/")

    @staticmethod
    def _new_sign_in(session: BrowserSession) -> None:
        """Forget what the previous sign-in saw: its answers, and the timeline before this sign-in."""
        session.previous_access_token = None
        session.answers.clear()
        session.sent.clear()
        if session.sign_in_step in session.steps:
            del session.steps[: session.steps.index(session.sign_in_step)]
        session.sign_in_step = None

    def refresh(self, request: Request, session: BrowserSession) -> Response:
        """Use the refresh token, as ChatGPT does when the access token has expired."""
        if not session.refresh_token:
            session.say("There is no refresh token yet: sign in first.", error=True)
            return _redirect("/")
        before = session.access_token
        fields = {"grant_type": "refresh_token", "refresh_token": session.refresh_token}
        if self._token_request(session, fields, "Refresh: the refresh token for a new access token"):
            session.previous_access_token = before
            session.say("Refreshed: a new access token replaced the old one.")
        return _redirect("/")

    def call_action(self, request: Request, session: BrowserSession, *, form: ActionForm) -> Response:
        """Call one declared action with what its form holds (or the answer's continuation), as the
        GPT does: its method and path on testEndpoint, the query, the JSON body, the access token."""
        action, name = form.action, form.operation_id
        back = _redirect(f"/#action-{name}")  # the browser lands at the answer
        session.notice = None
        if not session.access_token:
            session.answers[name] = Answer(0, 0, headline="Sign in first: the action needs an access token.")
            return back
        previous, last = session.answers.get(name), session.sent.get(name)
        more = request.form.get("more") == "1" and previous is not None and previous.continuation
        if more and form.continuation and previous and last:
            sent = Submission(
                [(form.continuation.parameter, previous.continuation or "")], last.body, last.values
            )
        else:
            more, sent = False, submission_of(form, request.form.to_dict(flat=False))
        session.sent[name] = sent
        headers = {
            "Authorization": f"Bearer {session.access_token}",
            "openai-conversation-id": session.conversation_id,
            "openai-gpt-id": "g-local-simulator",
        }
        body = ""
        if sent.body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(sent.body, ensure_ascii=False)
        url = self.config.urls.action.rstrip("/") + action.path
        if sent.query:
            url += "?" + urlencode(sent.query)
        title = f"Action: {name} ({action.method} {action.path}{', the next page' if more else ''})"
        response = self._send(session, title, action.method, url, headers, body)
        if response is None:
            session.answers[name] = Answer(0, 0, headline=f"{name}: no response, see the timeline.")
        elif response.status_code == 200:
            page = previous.page_number + 1 if more and previous else 1
            media_type = response.headers.get("Content-Type", "")
            session.answers[name] = answer_of(form, response.text, media_type, page)
        else:
            session.answers[name] = refusal_of(form, response.status_code, response.text, response.headers)
        # An action may end the sign-in (an erasure): the page then says the token names no one.
        session.user = signed_in_user(session.access_token, client_id=self.config.client_id)
        return back

    # -- the MCP client ------------------------------------------------------------------------

    def _mcp(self, session: BrowserSession) -> McpClient:
        send = functools.partial(self._send, session)
        return McpClient(session, send, self.config.mcp_url, self.config.mcp_callback_url)

    def mcp_step(self, request: Request, session: BrowserSession, *, step: str) -> Response:
        """One of the MCP client's steps: discover, register, list the tools, refresh."""
        getattr(self._mcp(session), step)()
        self._mcp_user(session)
        return _redirect("/#mcp")

    def mcp_sign_in(self, request: Request, session: BrowserSession) -> Response:
        """Send the browser to the authorization URL as an MCP client (PKCE S256, ``resource``)."""
        location = self._mcp(session).sign_in_location()
        if location is None:
            return _redirect("/#mcp")
        session.add(
            Step(
                "MCP sign in: the browser opens the authorization URL",
                "GET",
                mask_url(location),
                note="The browser follows it to the consent page, then the Google stand-in, then back to "
                "the simulator's MCP callback; the simulator does not see those responses.",
            )
        )
        session.mcp.say("Signing in as an MCP client: allow the client, then choose a user at the stand-in.")
        return _redirect(location)

    def mcp_callback(self, request: Request, session: BrowserSession) -> Response:
        """The MCP client's redirect URI: ``state`` and ``iss`` checked, then the token exchange."""
        session.add(
            Step(
                "MCP callback: the authorization server redirects the browser back",
                "GET",
                mask_url(request.url),
                status=303,
                reason="See Other",
                note="The MCP client checks state and iss (RFC 9207), then exchanges the code.",
            )
        )
        self._mcp(session).callback(request.args)
        self._mcp_user(session)
        return _redirect("/#mcp")

    def mcp_call_tool(self, request: Request, session: BrowserSession, *, name: str) -> Response:
        tool = session.mcp.tools.get(name)
        if tool is None:
            return _plain(404, f"No listed tool is named {name[:100]!r}; list the tools on the page at /.")
        self._mcp(session).call_tool(tool, request.form.to_dict(flat=False))
        return _redirect(f"/#tool-{name}")

    @staticmethod
    def _mcp_user(session: BrowserSession) -> None:
        state = session.mcp
        token = state.access_token
        state.user = None
        if token:
            state.user = signed_in_user(token, client_id=state.client_id, resource=state.resource)

    def reset(self, request: Request, session: BrowserSession) -> Response:
        """Forget this browser's tokens and timeline (as disconnecting the GPT would)."""
        fresh = BrowserSession(session.id, token_auth=self.config.token_auth)
        with self._sessions_lock:
            self._sessions[session.id] = fresh
        fresh.say("Started over: no tokens are held for this browser.")
        return _redirect("/")

    def manifest(self, request: Request, session: BrowserSession) -> Response:
        """The local action schema (``make dev``'s variant of ``manifest.json``)."""
        return Response(render(build_manifest(self.config.urls)), 200, {"Content-Type": "application/json"})

    # -- HTTP as ChatGPT's servers --------------------------------------------------------------

    def _token_request(self, session: BrowserSession, fields: dict[str, str], title: str) -> bool:
        """POST to the token URL with the session's client authentication; keep the tokens on success."""
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        if session.token_auth == "client_secret_basic":
            # RFC 6749 2.3.1: each part form-encoded before base64.
            pair = f"{quote_plus(self.config.client_id)}:{quote_plus(self.config.client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            fields = {
                **fields,
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret,
            }
        response = self._send(session, title, "POST", self.config.urls.token, headers, urlencode(fields))
        if response is None:
            return False
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code != 200 or not isinstance(payload, dict) or not payload.get("access_token"):
            error = payload.get("error", "") if isinstance(payload, dict) else ""
            answer = f"{response.status_code} {error}".strip()
            session.say(f"The token endpoint answered {answer}: see the timeline.", error=True)
            return False
        session.access_token = str(payload["access_token"])
        if payload.get("refresh_token"):  # a response without one keeps the old (RFC 6749 6)
            session.refresh_token = str(payload["refresh_token"])
        expires_in = payload.get("expires_in")
        session.expires_at = time.time() + expires_in if isinstance(expires_in, int | float) else None
        session.user = signed_in_user(session.access_token, client_id=self.config.client_id)
        return True

    def _send(
        self, session: BrowserSession, title: str, method: str, url: str, headers: dict[str, str], body: str
    ) -> requests.Response | None:
        if self._http is None:
            self._http = requests.Session()
            self._http.trust_env = False  # never send local calls through a proxy
        prepared = self._http.prepare_request(
            requests.Request(
                method, url, headers={"User-Agent": USER_AGENT, **headers}, data=body.encode() or None
            )
        )
        content_type = headers.get("Content-Type", "")
        step = Step(
            title,
            method,
            mask_url(url),
            request_headers=[(k, mask_header(k, v)) for k, v in prepared.headers.items()],
            request_body=mask_body(body, content_type),
        )
        session.add(step)
        started = time.perf_counter()
        try:
            response = self._http.send(prepared, timeout=HTTP_TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            step.note = (
                f"No response: {type(exc).__name__}. Is the local system running at {urlsplit(url).netloc}?"
            )
            session.say(f"{title}: no response ({type(exc).__name__}).", error=True)
            return None
        step.elapsed_ms = (time.perf_counter() - started) * 1000
        step.status, step.reason = response.status_code, response.reason or ""
        step.response_headers = [(k, mask_header(k, v)) for k, v in response.headers.items()]
        step.response_body = mask_body(response.text, response.headers.get("Content-Type", ""))
        return response

    # -- the page -------------------------------------------------------------------------------

    def page(self, request: Request, session: BrowserSession) -> Response:
        """The simulator page: sign-in state, the action forms, refresh, timeline, settings, manifest."""
        config = self.config
        tokens = []
        if session.access_token:
            expires = (
                f", expires in {max(0, round(session.expires_at - time.time()))} s"
                if session.expires_at
                else ""
            )
            tokens.append(("access", "Access token", mask(session.access_token) + expires))
            if session.refresh_token:
                tokens.append(("refresh", "Refresh token", mask(session.refresh_token)))
            if session.previous_access_token:
                tokens.append(("previous", "Previous access token", mask(session.previous_access_token)))
        settings = [
            ("Client ID", config.client_id),
            ("Client Secret", f"{mask(config.client_secret)}, the value of GPT_CLIENT_SECRET"),
            ("Authorization URL", config.urls.authorization),
            ("Token URL", config.urls.token),
            ("Scope", config.scope or "(leave empty)"),
            ("Token Exchange Method", TOKEN_AUTH_METHODS[config.token_auth].split(":")[0]),
            ("Callback (allowed locally)", config.callback_url),
        ]
        html = _template().render(
            session=session,
            tokens=tokens,
            token_auth_methods=TOKEN_AUTH_METHODS,
            forms=self.forms.values(),
            actions_path=ACTIONS_PATH,
            nulls_field=NULLS,
            earlier_steps=session.steps[:-SHOWN_STEPS],
            shown_steps=session.steps[-SHOWN_STEPS:],
            open_body_chars=OPEN_BODY_CHARS,
            settings=settings,
            manifest=render(build_manifest(config.urls)),
            mcp=session.mcp,
            mcp_tokens=_mcp_tokens(session.mcp),
            mcp_routes=MCP_ROUTES,
            tools_path=TOOLS_PATH,
            mcp_url=config.mcp_url,
            mcp_callback=config.mcp_callback_url,
        )
        return Response(html, 200, {"Content-Type": "text/html; charset=utf-8", **PAGE_HEADERS})


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template("simulator.html")


def signed_in_user(
    access_token: str, *, client_id: str | None = None, resource: str | None = None
) -> str | None:
    """Who ``access_token`` signs in, as the page names them: their e-mail, else their user id.

    ``client_id`` and ``resource`` as ``sessions.session_for_access_token`` takes them: the GPT's
    token has no resource, the MCP client's is bound to ``/mcp``.

    make dev's functions run in this process, on this store. None when the token has no live
    session, or the store does not answer (the page then says it does not know).
    """
    from pymongo.errors import PyMongoError

    from gpt_auth.oauth import sessions, users
    from gpt_auth.runtime import db
    from gpt_auth.runtime.errors import ConfigError, HttpError

    try:
        session = sessions.session_for_access_token(access_token, client_id=client_id, resource=resource)
        if session is None:
            return None
        user = db.collection(users.COLLECTION, read_only=True).find_one(
            {"_id": session["user_id"]}, {"email": 1}
        )
    except (PyMongoError, HttpError, ConfigError):
        return None
    return str((user or {}).get("email") or session["user_id"])


def _mcp_tokens(state: McpState) -> list[tuple[str, str, str]]:
    """What the MCP client holds, as the page shows it (tokens masked)."""
    server = state.server or {}
    rows = [
        ("mcp-resource", "Resource (/mcp)", state.resource or "not discovered yet"),
        ("mcp-issuer", "Authorization server", state.issuer or "not discovered yet"),
        ("mcp-registration", "Registration endpoint", server.get("registration_endpoint") or "none known"),
        ("mcp-client", "Client ID", state.client_id or "not registered yet"),
    ]
    if state.access_token:
        left = f", expires in {max(0, round(state.expires_at - time.time()))} s" if state.expires_at else ""
        rows.append(("mcp-access", "Access token", mask(state.access_token) + left))
    if state.refresh_token:
        rows.append(("mcp-refresh", "Refresh token", mask(state.refresh_token)))
    return rows


def _same_token(sent: str, expected: str) -> bool:
    return secrets.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode())


def _redirect(location: str) -> Response:
    return Response("", 303, {"Location": location, "Cache-Control": "no-store"})


def _plain(status: int, text: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(text + "\n", status, {"Content-Type": "text/plain; charset=utf-8", **(headers or {})})


class LocalSite:
    """``make dev``'s one origin: the simulator at ``/`` and ``/simulator/...``, the functions elsewhere.

    The simulator is attached once the port is known (its callback URL names the port).
    """

    def __init__(self, functions: Any, simulator: Simulator | None = None) -> None:
        self.functions = functions
        self.simulator = simulator

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if self.simulator is not None and (path == "/" or path.split("/")[1] == "simulator"):
            return self.simulator(environ, start_response)
        return self.functions(environ, start_response)
