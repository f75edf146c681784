"""The simulator's action forms and answers, written from the action declarations only.

Each declared action (``gpt_auth.actions.catalog.ACTIONS``) gets a form whose fields come from
the JSON Schema of its query and body types (``gpt_auth.actions.inputs.json_schema``): a text
input per string, a number input with the declared bounds, a select per enum or boolean, a list
(one item per line) per array, JSON text for anything else. No operationId, path or field name is
written here: a new declaration shows up on the page as it is.

The browser does not enforce the rules (the forms are ``novalidate``): the simulator sends what
was typed, as a GPT may, so the action's own 400 can be seen. A field left empty is left out
unless the schema requires it; a body field the schema lets be null has a "null" box that sends
``null``.

An answer is shown as the GPT reads it: its size, each list's length, a table per list of
objects (long values shortened), the whole JSON collapsed when long. A continuation is read from
the declarations the way the GPT reads them: a query parameter whose description names a string
field of the answer (``page`` says "The next_page of the previous answer") is sent again with
that field's value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gpt_auth.actions.declaration import PATTERN_RULES, Action, statuses_of
from gpt_auth.actions.inputs import json_schema, rule_of

QUERY, BODY = "query", "body"
ARGUMENT = "argument"  # an MCP tool's: one object, sent as the body is
# Form fields the simulator itself sends beside the declared ones (NULLS: the fields sent as null).
NULLS = "null"
CONTROL_FIELDS = frozenset({"csrf", "more", NULLS})
# Beyond these, a value is shortened in tables and a JSON answer starts collapsed.
CELL_CHARS = 60
OPEN_ANSWER_CHARS = 400
SHOWN_REASON_CHARS = 500
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _variant(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The non-null variant of ``X | None`` (msgspec writes it as ``anyOf``), else ``schema``."""
    variants = [s for s in schema.get("anyOf", ()) if s.get("type") != "null"]
    return variants[0] if len(variants) == 1 else schema


def _kind(schema: Mapping[str, Any]) -> str:
    kind = _variant(schema).get("type")
    return kind if isinstance(kind, str) else "json"


@dataclass(frozen=True)
class FormField:
    """One declared query parameter or body field, as the form shows and sends it."""

    name: str
    part: str
    input: str
    kind: str
    widget: str
    required: bool
    rule: str
    description: str = ""
    options: tuple[str, ...] = ()
    item_kind: str = ""
    minimum: float | None = None
    maximum: float | None = None
    default: str = ""
    nullable: bool = False

    @property
    def dom_id(self) -> str:
        return f"{self.part}-{self.input}"


def _form_field(
    name: str, schema: Mapping[str, Any], part: str, input_name: str, required: bool
) -> FormField:
    shown = _variant(schema)
    kind = _kind(schema)
    items = _variant(shown.get("items", {}))
    options: tuple[str, ...] = ()
    if "enum" in shown:
        widget, options = "select", tuple(str(value) for value in shown["enum"])
    elif kind == "boolean":
        widget, options = "select", ("true", "false")
    elif kind in ("integer", "number"):
        widget = "number"
    elif kind == "array":
        widget, options = "list", tuple(str(value) for value in items.get("enum", ()))
    elif kind == "string":
        widget = "text"
    else:
        widget = "json"
    default = schema.get("default", shown.get("default"))
    return FormField(
        name=name,
        part=part,
        input=input_name,
        kind=kind,
        widget=widget,
        required=required,
        rule=rule_of(schema),
        description=str(schema.get("description", shown.get("description", ""))),
        options=options,
        item_kind=_kind(items) if kind == "array" else "",
        minimum=shown.get("minimum"),
        maximum=shown.get("maximum"),
        default="" if default is None else json.dumps(default) if kind in ("array", "json") else str(default),
        nullable=part != QUERY and any(s.get("type") == "null" for s in schema.get("anyOf", ())),
    )


@dataclass(frozen=True)
class Continuation:
    """Call again with ``parameter`` (a query parameter) set to the answer's ``answer_field``."""

    parameter: str
    answer_field: str


@dataclass(frozen=True)
class ActionForm:
    """An action as the page offers it: its declaration, its fields, and how to ask for more."""

    action: Action
    fields: tuple[FormField, ...]
    continuation: Continuation | None
    answer_schema: Mapping[str, Any] | None

    @property
    def operation_id(self) -> str:
        return self.action.operation_id

    @property
    def statuses(self) -> dict[int, str]:
        return statuses_of(self.action)


def _properties(kind: type | None) -> tuple[dict[str, Any], frozenset[str]]:
    if kind is None:
        return {}, frozenset()
    schema = json_schema(kind)
    return dict(schema.get("properties", {})), frozenset(schema.get("required", ()))


def _continuation(query: Mapping[str, Any], answer: Mapping[str, Any] | None) -> Continuation | None:
    if not answer:
        return None
    candidates = [name for name, schema in answer.get("properties", {}).items() if _kind(schema) == "string"]
    for parameter, schema in query.items():
        if _kind(schema) != "string":
            continue
        said = f"{schema.get('description', '')} {PATTERN_RULES.get(schema.get('pattern', ''), '')}"
        for name in candidates:
            if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", said):
                return Continuation(parameter, name)
    return None


def fields_of(
    parts: Sequence[tuple[str, Mapping[str, Any], frozenset[str]]],
) -> tuple[FormField, ...]:
    """The fields of ``parts``: each (part, its schema's properties, the required names)."""
    names = [set(properties) for _, properties, _ in parts]
    clashes = set.intersection(*names) if len(names) > 1 else set()
    fields = []
    for part, properties, required in parts:
        for name, schema in properties.items():
            clash = name in clashes or name in CONTROL_FIELDS
            input_name = f"{part}.{name}" if clash else name
            fields.append(_form_field(name, schema, part, input_name, name in required))
    return tuple(fields)


def form_of(action: Action) -> ActionForm:
    """The form for ``action``, from its declared query and body types."""
    query, query_required = _properties(action.query)
    body, body_required = _properties(action.body)
    fields = fields_of(((QUERY, query, query_required), (BODY, body, body_required)))
    answer = json_schema(action.returns) if action.returns is not str else None
    return ActionForm(action, fields, _continuation(query, answer), answer)


def forms_of(actions: Sequence[Action]) -> dict[str, ActionForm]:
    """Each action's form by operationId, in the declared order."""
    return {action.operation_id: form_of(action) for action in actions}


def _typed(text: str, kind: str) -> Any:
    """A typed value for the JSON body; text that is not of ``kind`` is sent as typed, so the
    action's own 400 names it."""
    if kind == "string":
        return text
    text = text.strip()
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        return float(text) if any(c in text for c in ".eE") else int(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    if kind not in ("integer", "number", "boolean"):  # objects and the rest: typed as JSON
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


@dataclass
class Submission:
    """What one press of an action's form sends, and what the form shows again afterwards."""

    query: list[tuple[str, str]] = field(default_factory=list)
    body: dict[str, Any] | None = None
    values: dict[str, list[str]] = field(default_factory=dict)


def submission_of(form: ActionForm, posted: Mapping[str, list[str]]) -> Submission:
    """The query and JSON body from the posted form (``posted``: each input's values)."""
    return fields_submission(form.fields, posted, has_body=form.action.body is not None)


def fields_submission(
    fields: Sequence[FormField], posted: Mapping[str, list[str]], *, has_body: bool = True
) -> Submission:
    """The query and JSON body ``fields`` make of the posted form (``posted``: each input's values)."""
    sent = Submission(body={} if has_body else None)
    nulls = sent.values[NULLS] = list(posted.get(NULLS, []))
    for spec in fields:
        values = posted.get(spec.input, [])
        sent.values[spec.input] = values
        if spec.nullable and spec.input in nulls and sent.body is not None:
            sent.body[spec.name] = None
            continue
        if spec.widget == "list" and not spec.options:
            items = [line.strip() for text in values for line in text.splitlines() if line.strip()]
        else:
            items = [value for value in values if value != ""]
        if not items and not spec.required:
            continue
        if spec.part == QUERY:
            sent.query.extend((spec.name, item) for item in (items or [""]))
        elif sent.body is not None:
            if spec.kind == "array":
                sent.body[spec.name] = [_typed(item, spec.item_kind) for item in items]
            else:
                sent.body[spec.name] = _typed(items[0] if items else "", spec.kind)
    return sent


# -- answers -------------------------------------------------------------------------------------


@dataclass
class Table:
    """A list of objects in an answer, one row per item, long values shortened."""

    name: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Answer:
    """The last answer of one action, as the page shows it beside the action's form."""

    status: int
    chars: int
    headline: str = ""
    text: str = ""
    is_json: bool = False
    counts: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    continuation: str | None = None
    page_number: int = 1
    reason: str = ""
    meaning: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def collapsed(self) -> bool:
        return self.chars > OPEN_ANSWER_CHARS


def shortened(value: Any, limit: int = CELL_CHARS) -> str:
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else f"{text[:limit].rstrip()}… ({len(text):,} chars)"


def _columns(schema: Mapping[str, Any], rows: list[Any]) -> list[str]:
    declared = list(_variant(_variant(schema).get("items", {})).get("properties", {}))
    seen = [key for row in rows if isinstance(row, dict) for key in row if key not in declared]
    return declared + list(dict.fromkeys(seen))


def answer_of(form: ActionForm, text: str, media_type: str, page_number: int = 1) -> Answer:
    """The 200 answer ``text`` as the page shows it: plain text, or JSON summarized."""
    answer = Answer(200, len(text), text=text, page_number=page_number)
    _summarize(form, answer, media_type)
    said = f" {', '.join(answer.counts)}" if answer.counts else ""
    answer.headline = f"{form.operation_id} answered{said} in {len(text):,} characters."
    return answer


def _summarize(form: ActionForm, answer: Answer, media_type: str) -> None:
    if not media_type.startswith("application/json"):
        return
    try:
        data = json.loads(answer.text)
    except ValueError:
        answer.flags.append("not the JSON the declaration promises")
        return
    answer.is_json, answer.text = True, json.dumps(data, indent=2, ensure_ascii=False)
    if not isinstance(data, dict):
        return
    properties = (form.answer_schema or {}).get("properties", {})
    counts, flags = answer.counts, answer.flags
    for name in [*properties, *(key for key in data if key not in properties)]:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, list) and value and not all(isinstance(row, dict) for row in value):
            flags.append(f"{name}: {shortened(', '.join(map(str, value)))}")  # e.g. untrusted_text
        elif isinstance(value, list):
            counts.append(f"{len(value):,} {name}")
            if value:
                columns = _columns(properties.get(name, {}), value)
                rows = [[shortened(row.get(column)) for column in columns] for row in value]
                answer.tables.append(Table(name, columns, rows))
        elif form.continuation and name == form.continuation.answer_field:
            answer.continuation = value if isinstance(value, str) and value else None
            flags.append(f"{name}: {'yes' if answer.continuation else 'none (the end)'}")
        elif isinstance(value, bool):
            flags.append(f"{name}: {'yes' if value else 'no'}")
        elif value is None:
            flags.append(f"{name}: none")
        else:
            flags.append(f"{name}: {shortened(value)}")


def refusal_of(form: ActionForm, status: int, text: str, headers: Mapping[str, str]) -> Answer:
    """A refusal as the page shows it beside the form: the reason the action gave, and what the
    declaration says that status means to the GPT."""
    reason = ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        described = data.get("error_description") or data.get("message") or ""
        code = data.get("error") or ""
        reason = f"{code}: {described}" if code and described else str(described or code)
    challenge = headers.get("WWW-Authenticate", "")
    if not reason and challenge:
        reason = challenge
    reason = (reason or text).strip()
    if len(reason) > SHOWN_REASON_CHARS:
        reason = reason[:SHOWN_REASON_CHARS] + "…"
    if headers.get("Retry-After"):
        reason += f" (Retry-After: {headers['Retry-After'][:20]} s)"
    headline = (
        "The action refused the access token (401): refresh it or sign in again."
        if status == 401
        else f"{form.operation_id} answered {status}: {reason}"
    )
    return Answer(
        status, len(text), headline, text=text, reason=reason, meaning=form.statuses.get(status, "")
    )
