"""The sample payload 2.0 events in ``events/`` and their index, as the tests load them."""

from __future__ import annotations

from typing import Any

from localdev import invoke
from localdev.invoke import EVENTS, load_event
from localdev.seed import seed_event

__all__ = ["EVENTS", "EVENT_NAMES", "answered", "event_index", "events_of", "load_event", "seeded_event"]

# Every sample event file's name, without .json.
EVENT_NAMES = sorted(path.stem for path in EVENTS.glob("*.json") if path.name != "index.json")


def event_index() -> dict[str, dict[str, Any]]:
    """``events/index.json``: for each event file, its function, expected status and purpose."""
    return invoke.index()


def seeded_event(name: str) -> dict[str, Any]:
    """``events/<name>.json``, with what its index entry's ``seed`` asks made live in the store."""
    event = load_event(name)
    seed = event_index()[name].get("seed")
    if seed:
        seed_event(event, seed)
    return event


def events_of(function: str) -> list[str]:
    """The sample events of one function (its folder name, as ``events/index.json`` gives it)."""
    return sorted(name for name, entry in event_index().items() if entry["function"] == function)


def answered(name: str, context: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The event's index entry, and its function's real handler's answer to it, seeded as the entry asks."""
    entry = event_index()[name]
    event = seeded_event(name)
    return entry, invoke.handler_of(entry["function"])(event, context)
