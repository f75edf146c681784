"""An action's input checked against its declared types: a 400 names the field and states its rule.

msgspec checks the input; the sentence of a refusal is written from the same field's JSON Schema
(type, length, range, items, pattern and its declared meaning), so what the GPT is told is what
the manifest says. Query parameters arrive as text: a whole number is ASCII digits only (``07``
is 7; ``7.0``, ``+7`` and ``٣`` are not), then the same check runs on the typed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import msgspec

from gpt_auth.actions.declaration import PATTERN_RULES
from gpt_auth.runtime.errors import BadRequest, shown
from gpt_auth.runtime.setting_values import ascii_int

# msgspec's messages, read only to word a refusal: ``re`` compiles each on a refusal's first use
# (its cache keeps it), not at every cold start of an accepted call.
_AT = r" - at `\$(?P<path>[^`]*)`$"
_UNKNOWN = r"^Object contains unknown field `(?P<name>[^`]*)`"
_MISSING = r"^Object missing required field `(?P<name>[^`]*)`"
_STEP = r"\.(?P<key>[^.\[]+)|\[(?P<index>[0-9]+)\]"


@cache
def json_schema(kind: type) -> dict[str, Any]:
    """The JSON Schema of a declared type, its nested types inlined (no ``$ref``)."""
    (ref,), components = msgspec.json.schema_components([kind], ref_template="{name}")
    return _inline(ref, components)


def _inline(schema: Any, components: Mapping[str, Any]) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(components[schema["$ref"]], components)
        return {key: _inline(value, components) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, components) for item in schema]
    return schema


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _between(low: int | None, high: int | None, unit: str, units: str) -> str:
    if low is not None and high is not None:
        return f"{low:,} to {_count(high, unit, units)}"
    if high is not None:
        return f"at most {_count(high, unit, units)}"
    return f"at least {_count(low or 0, unit, units)}"


def rule_of(schema: Mapping[str, Any]) -> str:
    """The rule a value must follow, in words, from its JSON Schema (e.g. "must be a whole number
    from 1 to 31")."""
    if "anyOf" in schema:
        return rule_of(_not_null(schema))
    if "enum" in schema:
        return "must be one of " + ", ".join(f"'{value}'" for value in schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        return "must be a whole number " + (
            f"from {schema['minimum']} to {schema['maximum']}"
            if "minimum" in schema and "maximum" in schema
            else _between(schema.get("minimum"), schema.get("maximum"), "", "").strip()
        )
    if kind == "string":
        text = "must be a string"
        if "minLength" in schema or "maxLength" in schema:
            text += " of " + _between(
                schema.get("minLength"), schema.get("maxLength"), "character", "characters"
            )
        if "pattern" in schema:
            rule = PATTERN_RULES.get(schema["pattern"], f"it must match the pattern {schema['pattern']}")
            text += f"; {rule}"
        return text
    if kind == "array":
        text = "must be a list"
        if "minItems" in schema or "maxItems" in schema:
            text += " of " + _between(schema.get("minItems"), schema.get("maxItems"), "item", "items")
        items = schema.get("items")
        return text + (f"; each item {rule_of(items)}" if items else "")
    if kind == "object":
        return "must be a JSON object"
    if kind == "boolean":
        return "must be true or false"
    return "must follow the schema"


def _not_null(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema a value that is not null follows (a field that may be null is ``anyOf``)."""
    variants = [s for s in schema.get("anyOf", ()) if s.get("type") != "null"]
    return variants[0] if variants else schema


def _field(schema: Mapping[str, Any], path: str) -> tuple[str, Mapping[str, Any]]:
    """The field at msgspec's ``path`` (``.topics[2]``) as we name it, and its schema."""
    name, here = "", schema
    for step in re.finditer(_STEP, path):
        if step["key"] is not None:
            name = f"{name}.{step['key']}" if name else step["key"]
            here = _not_null(here.get("properties", {}).get(step["key"], {}))
        else:
            name += f"[{step['index']}]"
            here = _not_null(here.get("items", {}))
    return name, here


def _fields(schema: Mapping[str, Any]) -> str:
    required = set(schema.get("required", ()))
    names = [f"{name} (required)" if name in required else name for name in schema.get("properties", {})]
    return ", ".join(names) or "none"


def refusal(error: msgspec.ValidationError, kind: type, where: str) -> BadRequest:
    """The 400 for ``error`` from checking ``where`` (``"body"`` or ``"query"``) against ``kind``."""
    schema = json_schema(kind)
    message = str(error)
    at = re.search(_AT, message)
    path = at["path"] if at else ""
    message = message[: at.start()] if at else message
    unknown, missing = re.match(_UNKNOWN, message), re.match(_MISSING, message)
    parent_name, parent = _field(schema, path)
    owner = f"'{parent_name}'" if parent_name else f"the {where}"
    if unknown:
        return BadRequest(
            f"{shown(unknown['name'])} is not a field of {owner}; the fields are: {_fields(parent)}."
        )
    if missing:
        name, field_schema = _field(parent, "." + missing["name"])
        full = f"{parent_name}.{name}" if parent_name else name
        return BadRequest(f"'{full}' is required: it {rule_of(field_schema)}.")
    if not path:
        return BadRequest(f"The {where} must be a JSON object with the fields: {_fields(schema)}.")
    return BadRequest(f"'{parent_name}' {rule_of(parent)}.")


def query_of(kind: type[msgspec.Struct], raw: Mapping[str, str]) -> Any:
    """The query parameters as ``kind``; ``BadRequest`` naming the first field at fault."""
    properties = json_schema(kind).get("properties", {})
    values: dict[str, Any] = {name: raw[name] for name in properties if name in raw}
    values.update((name, value) for name, value in raw.items() if name not in properties)
    for name, value in values.items():
        number = ascii_int(value) if properties.get(name, {}).get("type") == "integer" else None
        if number is not None:
            values[name] = number
    try:
        return msgspec.convert(values, kind)
    except msgspec.ValidationError as error:
        raise refusal(error, kind, "query") from None


def body_of(kind: type[msgspec.Struct], data: Any, where: str = "body") -> Any:
    """The parsed JSON ``data`` as ``kind``; ``BadRequest`` naming the first field at fault (and
    ``where`` it was sent: the body, or an MCP tool's arguments)."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as error:
        raise refusal(error, kind, where) from None
