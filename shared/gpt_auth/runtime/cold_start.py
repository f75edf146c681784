"""A function's cold start without the cyclic garbage collector: its imports make no garbage to find.

Importing a handler (pymongo, Powertools, our modules) creates some 56,000 tracked objects and
almost no cyclic garbage (a few hundred objects), yet the collector ran over the growing heap
again and again while they were made: about 4 % of testEndpoint's cold start
(docs/performance.md). :func:`loading` keeps it off while the handler module loads, then freezes
what exists (``gc.freeze``: later collections skip it, as they would have kept it anyway) and
turns it back on, so every request's garbage is collected as before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loading() -> Iterator[None]:
    """Load a handler module's imports and globals with the collector off; freeze them after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
