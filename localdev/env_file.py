"""Local settings from a ``.env`` file, for the tools run from the Makefile (dev, invoke, revoke).

The same names as in AWS (README, "Settings"); ``.env.example`` lists them. Values already in the
environment win over the file, so ``GPT_CLIENT_ID=x make dev`` does what it says.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / ".env"


def load_env_file(path: Path = DEFAULT_PATH) -> Path | None:
    """Put the file's settings into ``os.environ`` where not already set; returns the path read.

    A missing file is not an error (every setting may come from the environment instead).
    """
    if not path.is_file():
        return None
    from dotenv import load_dotenv

    load_dotenv(path, override=False)
    return path
