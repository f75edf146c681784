"""The sample payload 2.0 events in ``events/`` and their index, as the tests load them."""

from __future__ import annotations

from typing import Any

from localdev import invoke
from localdev.invoke import EVENTS, load_event
from localdev.seed import seed_event

__all__ = ["EVENTS", "EVENT_NAMES", "event_index", "load_event", "seeded_event"]

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
