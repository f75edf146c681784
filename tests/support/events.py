"""The sample payload 2.0 events in ``events/`` and their index, as the tests load them."""

from __future__ import annotations

import json
from typing import Any

from localdev import invoke
from localdev.seed import seed_event

EVENTS = invoke.EVENTS


def load_event(name: str) -> dict[str, Any]:
    """A payload 2.0 event from ``events/<name>.json``."""
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


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
