"""An action, declared once: everything the GPT, the route and the docs need to know about it.

An :class:`Action` is plain data: its method and path, its operationId, the text the GPT reads, its
query and body as ``msgspec.Struct`` types (their fields carry the limits), the answer's shape, the
statuses it can answer and what each means to the GPT, the Google scopes it needs, and its line
of the GPT's instructions. Request validation (:mod:`gpt_auth.actions.serve`), the manifest
(``localdev.manifest``), the simulator's forms, the docs' route table and ``gpt-instructions.md``
all read these declarations; none of them restates a rule. msgspec validates and writes the JSON
Schema from the same type, so the rule a 400 names is the rule the schema states.

The three types are frozen ``msgspec.Struct`` classes rather than dataclasses: a frozen
dataclass's methods are compiled from source when the class is made, about 1 ms of every
testEndpoint cold start for these three, a Struct's take microseconds.

Patterns: JSON Schema patterns match anywhere in the string (as ``re.search`` does); to hold a
whole string use :func:`whole`, since a bare ``$`` would let Python accept a trailing newline that
JSON Schema (ECMA-262) refuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

# What each declared pattern means, in words, for the 400 that names it.
PATTERN_RULES: dict[str, str] = {}


def pattern(regex: str, rule: str) -> str:
    """Declare a JSON Schema pattern with its rule in words (e.g. "it must not be blank")."""
    PATTERN_RULES[regex] = rule
    return regex


def whole(regex: str) -> str:
    """A pattern that must match the whole string, the same way in Python and in JSON Schema."""
    return f"^(?:{regex})$(?!\\n)"


# Characters that count as blank: the same in Python and ECMA-262 regexes (\s is not).
BLANK = " \t\n\r"
NOT_BLANK = pattern("[^ \\t\\n\\r]", "it must not be empty or blank")


class Reply(msgspec.Struct, frozen=True):
    """What an action answers with 200: a JSON document or plain text, as the text of the body."""

    text: str
    is_json: bool = True

    @classmethod
    def of(cls, value: Any) -> Reply:
        """``value`` (JSON-able, or a ``msgspec.Struct``) as a compact JSON answer."""
        return cls(msgspec.json.encode(value).decode())

    @classmethod
    def plain(cls, text: str) -> Reply:
        return cls(text, is_json=False)

    @property
    def media_type(self) -> str:
        return "application/json; charset=utf-8" if self.is_json else "text/plain; charset=utf-8"

    def data(self) -> Any:
        """The answer as JSON data (plain text as a string)."""
        return json.loads(self.text) if self.is_json else self.text


class Call(msgspec.Struct, frozen=True):
    """One call of an action, whatever front it came through: who asks, and the validated input."""

    user_id: str
    scope: frozenset[str]
    query: Any = None
    body: Any = None


class Action(msgspec.Struct, frozen=True):
    """One GPT action. Everything below is stated here only.

    Attributes
    ----------
    operation_id
        The name the GPT calls it by (1-64 letters, digits, ``_`` or ``-``).
    method, path
        The route on testEndpoint.
    summary, description
        What the GPT reads in the manifest (each at most 300 characters).
    instruction
        This action's line in ``gpt-instructions.md``: when to call it and what to do with it.
    run
        The code: takes a :class:`Call`, returns a :class:`Reply`; raises ``HttpError`` to refuse.
    returns
        The 200 answer's type: ``str`` for plain text, else a ``msgspec.Struct`` (its JSON Schema).
    statuses
        Every other status it can answer and what it means to the GPT. 401, and 403 when
        ``google_scopes`` is not empty, are added for every action (:func:`statuses_of`).
    query, body
        ``msgspec.Struct`` types of the query parameters and the JSON body, or None.
    max_body_bytes
        The largest body accepted (413 beyond it); None leaves the Function URL's own bound.
    google_scopes
        The Google scopes the action uses: the session's scope must hold each (403 otherwise).
    """

    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    instruction: str
    run: Callable[[Call], Reply]
    returns: type
    statuses: Mapping[int, str] = msgspec.field(default_factory=dict)
    query: type[msgspec.Struct] | None = None
    body: type[msgspec.Struct] | None = None
    max_body_bytes: int | None = None
    google_scopes: tuple[str, ...] = ()


SIGN_IN_AGAIN = "Not signed in, or the sign-in has expired or was erased: the user signs in again."
SCOPE_MISSING = "The user did not allow the Google access this action needs: sign in again and allow it."


def statuses_of(action: Action) -> dict[int, str]:
    """Every status ``action`` can answer besides 200, in order, with its meaning to the GPT."""
    found = {401: SIGN_IN_AGAIN, **dict(action.statuses)}
    if action.google_scopes:
        found.setdefault(403, SCOPE_MISSING)
    if action.query is not None or action.body is not None:
        found.setdefault(400, "The input breaks a rule the schema states; the answer names the field.")
    if action.max_body_bytes is not None:
        found.setdefault(413, f"The body is larger than {action.max_body_bytes:,} bytes.")
    return dict(sorted(found.items()))
