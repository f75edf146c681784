"""Many containers at once: threads released together, as Lambda containers answering one moment."""

from __future__ import annotations

import threading
from collections.abc import Callable

CONTAINERS = 8


def at_once[T](call: Callable[[], T], containers: int = CONTAINERS) -> list[T]:
    """Run ``call`` in ``containers`` threads released together; every answer, in no set order."""
    barrier = threading.Barrier(containers)
    answers: list[T] = []
    failures: list[BaseException] = []

    def container() -> None:
        barrier.wait()
        try:
            answers.append(call())
        except BaseException as exc:  # surfaced below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=container) for _ in range(containers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert len(answers) == containers
    return answers
