"""Google Tasks' ``tasks.list`` on the default list, stood in for under ``make dev``."""

from __future__ import annotations

import json
from collections.abc import Mapping

from werkzeug.wrappers import Response

TASKS_PATH = "/tasks/v1/lists/@default/tasks"
SAMPLE_TASKS = {
    "ada@example.com": [
        {
            "id": "t1",
            "title": "Send Note G to Charles",
            "notes": "With the Bernoulli table.",
            "due": "2026-12-05T00:00:00.000Z",
        },
        {"id": "t2", "title": "Tune the harp"},
    ],
}


def list_tasks(who: str, query: Mapping[str, str]) -> Response:
    """Google's answer for ``who`` (the signed-in user's e-mail): their tasks, in Google's JSON shape."""
    body = {"kind": "tasks#tasks", "items": SAMPLE_TASKS.get(who, [])}
    return Response(json.dumps(body), 200, {"Content-Type": "application/json; charset=UTF-8"})
