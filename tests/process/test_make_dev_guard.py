"""``make dev`` itself, as a subprocess: a remote store without the opt-in stops it before it serves."""

from __future__ import annotations

import subprocess
import sys

from localdev.dev import REMOTE_STORE_OPT_IN
from tests.support.paths import ROOT


def test_make_dev_refuses_a_remote_store_before_serving():
    # GIVEN make dev started with a remote MONGODB_URI and no opt-in
    env = {"PATH": "/usr/bin:/bin", "ENV_FILE": "/dev/null", "PORT": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "localdev.dev"],
        cwd=ROOT,
        env={**env, "MONGODB_URI": "mongodb+srv://user:pw@cluster0.abcde.mongodb.net/"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # THEN it exits 1 with the message, having served nothing
    assert result.returncode == 1
    assert "make dev: MONGODB_URI points at cluster0.abcde.mongodb.net" in result.stderr
    assert f"set {REMOTE_STORE_OPT_IN}=1" in result.stderr
    assert "Traceback" not in result.stderr and "GPT simulator" not in result.stdout
