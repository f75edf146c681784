"""What the product logged and counted, as the tests read it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def captured_logs() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Within the block, a function returning every structured line the product logged, parsed."""
    from gpt_auth.runtime.log import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    target = logging.getLogger(logger.service)
    target.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        target.removeHandler(handler)


def emf_counts(stdout: str) -> list[dict[str, list[float]]]:
    """The metrics of each CloudWatch EMF line printed to ``stdout``, as ``{name: values}``."""
    counts = []
    for line in stdout.splitlines():
        record = json.loads(line) if line.startswith("{") else {}
        if "_aws" in record:
            names = [m["Name"] for d in record["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
            counts.append({name: record[name] for name in names})
    return counts
