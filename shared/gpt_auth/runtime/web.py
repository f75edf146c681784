"""Lambda Function URL (payload 2.0) requests and responses."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from gpt_auth.runtime.errors import (
    BadRequest,
    HttpError,
    PayloadTooLarge,
    UnsupportedMediaType,
    description_text,
    shown,
)

MAX_BODY_CHARS = 100_000

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# A public document any web page may read: browser-based MCP clients (the MCP Inspector) fetch
# metadata from theirs, with an MCP-Protocol-Version header, so after a CORS preflight.
PUBLIC_READ = {"Access-Control-Allow-Origin": "*"}
HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}


@dataclass
class Request:
    """The parts of a Function URL event the handlers use. Header names are lower case."""

    method: str
    path: str
    headers: dict[str, str]
    raw_query: str = ""
    raw_body: bytes = b""
    event: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Request:
        http = (event.get("requestContext") or {}).get("http") or {}
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        body = event.get("body") or ""
        if not isinstance(body, str):
            raise BadRequest("The request body is not text.")
        if len(body) > MAX_BODY_CHARS * 4 // 3 + 4:
            raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_CHARS} characters.")
        if event.get("isBase64Encoded"):
            try:
                raw = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise BadRequest("The request body is not valid base64.") from None
        else:
            raw = body.encode("utf-8", "surrogatepass")
        if len(raw) > MAX_BODY_CHARS:
            raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_CHARS} characters.")
        return cls(
            method=str(http.get("method") or "GET").upper(),
            path=event.get("rawPath") or http.get("path") or "/",
            headers=headers,
            raw_query=event.get("rawQueryString") or "",
            raw_body=raw,
            event=event,
        )

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def cookie(self, name: str) -> str | None:
        """The first value of cookie ``name`` in the event's ``cookies`` (payload 2.0), or None."""
        for item in self.event.get("cookies") or []:
            key, sep, value = str(item).partition("=")
            if sep and key.strip() == name:
                return value.strip()
        return None

    def query(self) -> dict[str, str]:
        """Query parameters; a repeated parameter is an error (RFC 6749 3.1)."""
        return _single_values(self.raw_query, "query")

    def text(self) -> str:
        try:
            return self.raw_body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("The request body is not valid UTF-8.") from None

    def json(self) -> Any:
        """The JSON body; a key repeated in an object is an error, as a repeated parameter is."""
        if self.media_type not in ("application/json", "") and not self.media_type.endswith("+json"):
            raise UnsupportedMediaType(f"Send the body as application/json, not {shown(self.media_type)}.")
        text = self.text()
        try:
            return json.loads(text, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            reason = exc.msg.replace("\\", "backslash ")  # "Invalid \\escape"
            raise BadRequest(
                f"The request body is not valid JSON: {reason} at character {exc.pos}."
            ) from None
        except RecursionError:
            raise BadRequest("The request body's JSON is nested too deeply.") from None
        except ValueError:  # e.g. an integer beyond Python's 4300-digit conversion limit
            raise BadRequest("The request body's JSON holds a number too long to read.") from None

    def form(self) -> dict[str, str]:
        """A form body (or JSON object of strings) as single-valued parameters."""
        if self.media_type == "application/json":
            data = self.json()
            if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()
            ):
                raise BadRequest("A JSON body must be an object whose values are strings.")
            return data
        if self.media_type not in ("application/x-www-form-urlencoded", ""):
            raise UnsupportedMediaType(
                f"Send the body as application/x-www-form-urlencoded, not {shown(self.media_type)}."
            )
        return _single_values(self.text(), "body")


def _single_values(encoded: str, where: str) -> dict[str, str]:
    try:
        pairs = parse_qs(encoded, keep_blank_values=True, strict_parsing=False, errors="strict")
    except UnicodeDecodeError:
        raise BadRequest(f"The {where} has percent-encoded bytes that are not UTF-8.") from None
    for name, values in pairs.items():
        if len(values) > 1:
            raise BadRequest(f"The parameter {shown(name)} appears more than once in the {where}.")
    return {name: values[0] for name, values in pairs.items()}


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BadRequest(f"The key {shown(key)} appears more than once in a JSON object.")
        result[key] = value
    return result


def response(
    status: int, body: str, content_type: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    merged = {**SECURITY_HEADERS, "Content-Type": content_type, **(headers or {})}
    return {"statusCode": status, "headers": merged, "body": body, "isBase64Encoded": False}


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return response(status, json.dumps(payload, separators=(",", ":")), "application/json", headers)


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return response(status, text, "text/plain; charset=utf-8", headers)


def html_response(status: int, title: str, body_html: str) -> dict[str, Any]:
    """A small self-contained page; ``body_html`` must already be escaped."""
    import html  # pages are for browsers only: the JSON routes skip importing html.entities

    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
        "code{background:#f3f3f3;padding:0 .2rem;word-break:break-all}</style></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body_html}</main></body></html>"
    )
    return response(status, page, HTML_HEADERS["Content-Type"], HTML_HEADERS)


def cors_preflight(methods: str = "GET") -> dict[str, Any]:
    """204 to a browser's CORS preflight (``OPTIONS``) before a ``methods`` request of a
    ``PUBLIC_READ`` route: any origin, any request header (none carries a credential there), kept a day."""
    allow = {
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": "*",
        "Access-Control-Max-Age": "86400",
    }
    return response(204, "", "text/plain; charset=utf-8", {**PUBLIC_READ, **allow})


def redirect(location: str, status: int = 302) -> dict[str, Any]:
    """302 for a GET; 303 answers a form's POST (the browser then GETs ``location``)."""
    return response(status, "", "text/plain; charset=utf-8", {"Location": location})


def error_response(error: HttpError) -> dict[str, Any]:
    """The RFC 6749 5.2 JSON error; its description kept to the characters 5.2 allows."""
    return json_response(
        error.status,
        {"error": error.code, "error_description": description_text(error.description)},
        error.headers,
    )


def error_page(error: HttpError, title: str) -> dict[str, Any]:
    """The error as an HTML page for a person in a browser; every value shown is escaped."""
    import html

    details = getattr(error, "details", None) or {}
    rows = "".join(
        f"<dt>{html.escape(name)}</dt><dd><code>{html.escape(value)}</code></dd>"
        for name, value in details.items()
    )
    body = (
        f"<p>{html.escape(error.description)}</p>"
        + (f"<dl>{rows}</dl>" if rows else "")
        + f"<p><small>HTTP {error.status} ({html.escape(error.code)})</small></p>"
    )
    page = html_response(error.status, title, body)
    page["headers"].update(error.headers)
    return page
