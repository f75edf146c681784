"""The Google Calendar API stand-in: ``GET /calendar/v3/calendars/primary/events`` on a local port.

``make dev`` points ``GOOGLE_API_BASE`` at it, as ``OIDC_ISSUER`` points at the OIDC stand-in. It
accepts only access tokens the OIDC stand-in issued: each request's Bearer token is checked at
that stand-in's ``/userinfo``, so ``POST /users/<sub>/revoke-tokens`` there acts at once, like a
user removing access at Google. The userinfo ``email`` (else ``sub``) picks the sample calendar:

- ``ada@example.com``: a handful of events in the next week;
- ``busy@example.com``: 1,000 events in the next week, each with a 2,000-character description;
- anyone else: an empty calendar.

Events are made once, from the next full hour after the stand-in's start through the next six
days (so a week's window opened in its first hours holds them all; later they slip into the
past). Google's query parameters are honoured:
``timeMin`` (bound on an event's end), ``timeMax`` (bound on its start), ``singleEvents`` and
``orderBy=startTime`` (which needs it), ``maxResults`` (1-2500, default 250), ``pageToken`` (from
its previous answer with the same query) and ``fields`` (``items(...)`` and top-level names, applied
roughly). Answers and errors have Google's shapes. It does not check scopes: the OIDC stand-in's
userinfo does not say which a token holds. Another Google API is stood in for by adding its path
to ``CalendarStandIn.routes`` (docs/actions.md shows one).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from localdev.emulator import serve_in_thread

EVENTS_PATH = "/calendar/v3/calendars/primary/events"
USERINFO_TIMEOUT = 5.0
BUSY_EVENTS = 1000
BUSY_DESCRIPTION_CHARS = 2000
DEFAULT_MAX_RESULTS = 250
MAX_MAX_RESULTS = 2500
SPREAD = timedelta(days=6)


@dataclass(frozen=True)
class SampleEvent:
    """One event of a sample calendar; ``all_day`` events use dates, the others times in UTC."""

    id: str
    summary: str
    start: datetime
    end: datetime
    description: str = ""
    location: str = ""
    all_day: bool = False

    def item(self, base_url: str) -> dict[str, Any]:
        """The event as Google's ``events`` resource shows it."""
        if self.all_day:
            start, end = {"date": self.start.date().isoformat()}, {"date": self.end.date().isoformat()}
        else:
            start = {"dateTime": _rfc3339(self.start), "timeZone": "UTC"}
            end = {"dateTime": _rfc3339(self.end), "timeZone": "UTC"}
        item: dict[str, Any] = {
            "kind": "calendar#event",
            "id": self.id,
            "status": "confirmed",
            "htmlLink": f"{base_url}/calendar/event?eid={self.id}",
            "summary": self.summary,
            "start": start,
            "end": end,
        }
        if self.description:
            item["description"] = self.description
        if self.location:
            item["location"] = self.location
        return item


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sample_calendars(now: datetime) -> dict[str, list[SampleEvent]]:
    """The sample users' calendars, the week after ``now``."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    day = hour.replace(hour=0)
    ada = [
        SampleEvent(
            "ada1",
            "Notes on the Analytical Engine",
            hour + timedelta(hours=2),
            hour + timedelta(hours=3),
            "Go through Note G with Charles: the Bernoulli numbers table.",
            "Dorset Street, London",
        ),
        SampleEvent(
            "ada2",
            "Tea with Mary Somerville",
            hour + timedelta(days=1, hours=1),
            hour + timedelta(days=1, hours=2),
            location="Chelsea",
        ),
        SampleEvent(
            "ada3",
            "Royal Society lecture",
            hour + timedelta(days=2, hours=4),
            hour + timedelta(days=2, hours=6),
            "Faraday on electromagnetic induction.",
        ),
        SampleEvent("ada4", "Harp practice", hour + timedelta(days=4), hour + timedelta(days=4, minutes=45)),
        SampleEvent(
            "ada5", "Visit to Ockham Park", day + timedelta(days=5), day + timedelta(days=6), all_day=True
        ),
    ]
    # Six days from the next full hour: a week's window opened in the first hours holds them all.
    step = SPREAD / BUSY_EVENTS
    filler = ("Agenda: review the open items, agree the next steps, assign owners. " * 40)[
        :BUSY_DESCRIPTION_CHARS
    ]
    busy = [
        SampleEvent(
            f"busy{n:04d}",
            f"Meeting {n + 1} of {BUSY_EVENTS}",
            hour + n * step,
            hour + n * step + timedelta(minutes=8),
            filler,
            f"Room {n % 12 + 1}",
        )
        for n in range(BUSY_EVENTS)
    ]
    return {"ada@example.com": ada, "busy@example.com": busy}


def google_error(status: int, reason: str, message: str, *, location: str | None = None) -> Response:
    """An error in Google's JSON shape (``error.code``, ``message``, ``errors[].reason``, ``status``)."""
    names = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        502: "UNAVAILABLE",
    }
    detail: dict[str, str] = {"message": message, "domain": "global", "reason": reason}
    if location:
        detail |= {"location": location, "locationType": "parameter"}
    body = {
        "error": {"code": status, "message": message, "errors": [detail], "status": names.get(status, "")}
    }
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
    return Response(json.dumps(body), status, headers)


class BadQuery(Exception):
    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def _time(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadQuery(f"Bad Request: {name} is not an RFC 3339 timestamp", name) from None
    if when.tzinfo is None:
        raise BadQuery(f"Bad Request: {name} needs a time zone offset", name)
    return when


def _fields(mask: str | None) -> tuple[set[str] | None, set[str] | None]:
    """Google's ``fields`` mask, roughly: (top-level names, item names); None keeps everything."""
    if not mask:
        return None, None
    top: set[str] = set()
    item: set[str] | None = None
    for match in re.finditer(r"([A-Za-z]+)(?:\(([^)]*)\))?", mask):
        top.add(match.group(1))
        if match.group(1) == "items" and match.group(2) is not None:
            item = {name.strip().split("/")[0] for name in match.group(2).split(",") if name.strip()}
    return top, item


class CalendarStandIn:
    """The WSGI app. ``userinfo_url`` is the OIDC stand-in's; ``calendars`` maps an email to its events."""

    def __init__(
        self, userinfo_url: str, calendars: Mapping[str, list[SampleEvent]], base_url: str = ""
    ) -> None:
        self.userinfo_url = userinfo_url
        self.calendars = calendars
        self.base_url = base_url
        self.calls = 0
        # Path -> the answer to a GET for the user the token belongs to; another Google API's
        # stand-in adds its path here (docs/actions.md).
        self.routes: dict[str, Callable[[str, Mapping[str, str]], Response]] = {EVENTS_PATH: self._list}
        self._http = requests.Session()
        self._http.trust_env = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        self.calls += 1
        route = self.routes.get(request.path)
        if route is None:
            return google_error(404, "notFound", "Not Found")
        if request.method != "GET":
            return google_error(405, "httpMethodNotAllowed", "Method Not Allowed")
        who = self._user(request.headers.get("Authorization", ""))
        if who is None:
            return google_error(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                "or other valid authentication credential.",
            )
        try:
            return route(who, {k: v for k, v in request.args.items()})
        except BadQuery as exc:
            return google_error(
                400,
                "invalid" if exc.parameter != "pageToken" else "invalidParameter",
                str(exc),
                location=exc.parameter,
            )

    def _user(self, authorization: str) -> str | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            answer = self._http.get(
                self.userinfo_url,
                headers={"Authorization": f"Bearer {token.strip()}"},
                timeout=USERINFO_TIMEOUT,
            )
        except requests.RequestException:
            return None
        if answer.status_code != 200:
            return None
        claims = answer.json()
        return str(claims.get("email") or claims.get("sub") or "") or None

    def _list(self, who: str, query: Mapping[str, str]) -> Response:
        order = query.get("orderBy")
        single = query.get("singleEvents", "false").lower() == "true"
        if order not in (None, "startTime", "updated"):
            raise BadQuery("Bad Request: orderBy must be startTime or updated", "orderBy")
        if order == "startTime" and not single:
            raise BadQuery("The requested ordering is not available for the particular query.", "orderBy")
        raw_max = query.get("maxResults", str(DEFAULT_MAX_RESULTS))
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= MAX_MAX_RESULTS:
            raise BadQuery(f"Bad Request: maxResults must be from 1 to {MAX_MAX_RESULTS}", "maxResults")
        time_min, time_max = _time(query, "timeMin"), _time(query, "timeMax")
        events = sorted(self.calendars.get(who, []), key=lambda e: (e.start, e.id))
        events = [
            e
            for e in events
            if (time_min is None or e.end > time_min) and (time_max is None or e.start < time_max)
        ]
        signature = f"{query.get('timeMin')}|{query.get('timeMax')}|{order}|{single}"
        offset = self._offset(query.get("pageToken"), signature)
        limit = int(raw_max)
        page = events[offset : offset + limit]
        top, item_fields = _fields(query.get("fields"))
        items = [e.item(self.base_url) for e in page]
        if item_fields is not None:
            items = [{k: v for k, v in item.items() if k in item_fields} for item in items]
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "summary": who,
            "timeZone": "UTC",
            "items": items,
        }
        if offset + limit < len(events):
            body["nextPageToken"] = _page_token(offset + limit, signature)
        if top is not None:
            body = {k: v for k, v in body.items() if k in top}
        return Response(json.dumps(body), 200, {"Content-Type": "application/json; charset=UTF-8"})

    @staticmethod
    def _offset(token: str | None, signature: str) -> int:
        if token is None:
            return 0
        try:
            offset, _, signed = base64.urlsafe_b64decode(token.encode() + b"==").decode().partition(":")
            if signed != signature or not offset.isdigit():
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise BadQuery("Invalid pageToken", "pageToken") from None
        return int(offset)


def _page_token(offset: int, signature: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{signature}".encode()).decode().rstrip("=")


@dataclass(frozen=True)
class RunningCalendar:
    """A running Calendar stand-in: ``api_base`` is the value for ``GOOGLE_API_BASE``."""

    port: int
    app: CalendarStandIn

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def calendar_stand_in(issuer: str, now: datetime | None = None) -> Iterator[RunningCalendar]:
    """Serve the Calendar stand-in for the ``with`` block on a free port, checking tokens at ``issuer``."""
    app = CalendarStandIn(f"{issuer.rstrip('/')}/userinfo", sample_calendars(now or datetime.now(UTC)))
    with serve_in_thread(app) as server:
        app.base_url = f"http://127.0.0.1:{server.server_port}"
        yield RunningCalendar(server.server_port, app)
