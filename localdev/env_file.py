"""Local settings from a ``.env`` file, for the tools run from the Makefile (dev, invoke, revoke).

The same names as in AWS (docs/reference.md, "Settings"); ``.env.example`` lists them. Values
already in the environment win over the file, so ``GPT_CLIENT_ID=x make dev`` does what it says. ``ENV_FILE``
names another file (e.g. ``ENV_FILE=prod.env make revoke USER=…``; ``/dev/null`` reads none).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / ".env"


def load_env_file(path: Path | None = None) -> Path | None:
    """Put the file's settings into ``os.environ`` where not already set; returns the path read.

    ``path`` defaults to ``$ENV_FILE``, else ``.env`` at the project root. A missing ``.env`` is
    not an error (every setting may come from the environment instead); a file named explicitly
    that does not exist is, since its settings were wanted.

    Raises
    ------
    SystemExit
        When ``path`` or ``ENV_FILE`` names a file that does not exist.
    """
    named = path or (Path(os.environ["ENV_FILE"]) if os.environ.get("ENV_FILE", "").strip() else None)
    if named is not None and not named.exists():
        raise SystemExit(f"error: {named} does not exist (named by ENV_FILE or --env-file).")
    path = named or DEFAULT_PATH
    if not path.exists():
        return None
    from dotenv import load_dotenv

    load_dotenv(path, override=False)
    return path
