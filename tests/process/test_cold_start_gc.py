"""A fresh interpreter, as a cold Lambda container: each handler module loads without a garbage
collection, and leaves the collector on for the requests (gpt_auth.runtime.cold_start)."""

from __future__ import annotations

import json

import pytest

from tests.support.cold_imports import last_line

FUNCTIONS = ("test_endpoint", "google_authentication", "google_authorization")

# Python compiles app.py (the function's zip ships its source) before the module runs: a
# collection then is before any of its imports, so only those once cold_start is loaded count.
COLLECTED_WHILE_LOADING = (
    "gc.callbacks.append(lambda phase, info: phase == 'start'"
    " and collections.append('gpt_auth.runtime.cold_start' in sys.modules))"
)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_handler_module_loads_without_a_collection_and_leaves_the_collector_on(function, app_settings):
    # GIVEN a fresh interpreter that has collected as it started
    script = (
        "import gc\n"
        "collections = []\n"
        f"{COLLECTED_WHILE_LOADING}\n"
        # WHEN it imports the handler module, as Lambda's runtime does at a cold start
        f"from functions.{function} import app\n"
        "during = sum(collections)\n"
        "garbage = []; gc.callbacks.append(lambda phase, info: garbage.append(info['generation']))\n"
        "cycles = [[] for _ in range(3000)]\n"
        "for cycle in cycles: cycle.append(cycle)\n"
        "del cycles\n"
        "print(json.dumps([during, gc.isenabled(), gc.get_freeze_count(), len(garbage)]))"
    )
    during, enabled, frozen, collections_after = json.loads(last_line(script, app_settings))
    # THEN no collection ran while it loaded, what it loaded is frozen (later collections skip
    # it), and the collector is on: the garbage a request makes is still collected
    assert during == 0
    assert frozen > 10_000
    assert enabled is True
    assert collections_after > 0
