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
    probe = f"import json, sys\n{script}\n{report}\n"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))
