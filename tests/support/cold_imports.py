"""A fresh interpreter, as a cold Lambda container: which heavy modules a script leaves loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from tests.support.paths import ROOT


def loaded_after(script: str, heavy: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """The modules of ``heavy`` a fresh interpreter holds after running ``script`` at the repo root.

    ``script`` may use ``json`` and ``sys`` (imported first); ``env`` is added to this process's
    environment. A script that fails fails the test with its stderr.
    """
    report = f"print(json.dumps(sorted(m for m in {tuple(heavy)!r} if m in sys.modules)))"
    return list(json.loads(last_line(f"{script}\n{report}\n", env)))


def every_module_after(script: str, env: Mapping[str, str]) -> set[str]:
    """Every module a fresh interpreter holds after running ``script`` (as in :func:`loaded_after`)."""
    return set(json.loads(last_line(f"{script}\nprint(json.dumps(sorted(sys.modules)))\n", env)))


def last_line(script: str, env: Mapping[str, str]) -> str:
    """The last line ``script`` prints in a fresh interpreter at the repo root (``json``, ``sys`` loaded)."""
    done = subprocess.run(
        [sys.executable, "-c", f"import json, sys\n{script}"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]
