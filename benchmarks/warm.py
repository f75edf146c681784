"""Warm in-process latency of one handler: ``python warm.py <function> <count>``.

Run by the harness with the built function and layers first on ``PYTHONPATH``. The store is
seeded before timing; each call handles one real event of the main route. Prints one
``BENCH_RESULT`` line with every call's latency in milliseconds.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time

from scenarios import CONTEXT, SCENARIOS


def main(function: str, count: int) -> None:
    scenario = next(s for s in SCENARIOS if s.function == function)
    app = importlib.import_module("app")
    warmup = min(50, count)
    context = CONTEXT
    samples = []
    reusable = None if scenario.one_use else scenario.events(1)[0]
    for i in range(warmup + count):
        event = reusable or scenario.events(1)[0]  # seeding stays outside the timed call
        started = time.perf_counter()
        response = app.lambda_handler(event, context)
        elapsed = time.perf_counter() - started
        if response["statusCode"] != scenario.expected_status:
            raise SystemExit(f"{function}: status {response['statusCode']}: {response['body'][:300]}")
        if i >= warmup:
            samples.append(elapsed * 1000)
    sys.stdout.flush()
    os.write(1, f"BENCH_RESULT {json.dumps({'samples_ms': samples})}\n".encode())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
