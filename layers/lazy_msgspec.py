"""BaseLayer build step: msgspec's package imports its submodules on their first use.

msgspec's ``__init__`` imports ``inspect``, ``json``, ``msgpack``, ``structs``, ``toml`` and
``yaml`` whatever is used: about 9 million instructions, 1.5 % of testEndpoint's ``POST /`` cold
start, which uses only its core (``Struct``, ``Meta``, ``convert``). This rewrites that one line
into a module ``__getattr__`` (PEP 562) that imports each on its first use, so ``msgspec.json``
and ``from msgspec import json`` work as before. Another msgspec whose ``__init__`` lacks the line
fails the build. ``tests/process/test_lazy_msgspec.py`` runs the rewritten package.

Usage: python lazy_msgspec.py PATH/TO/msgspec/__init__.py
"""

from __future__ import annotations

import sys
from pathlib import Path

EAGER = "from . import inspect, json, msgpack, structs, toml, yaml\n"
LAZY = """_LAZY = ("inspect", "json", "msgpack", "structs", "toml", "yaml")


def __getattr__(name):  # imported on first use (the layer's build, layers/lazy_msgspec.py)
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
"""


def make_lazy(source: str) -> str:
    """``source`` (msgspec's ``__init__``) with its submodules imported on first use."""
    if source.count(EAGER) != 1:
        raise ValueError(f"msgspec's __init__ does not import its submodules as expected ({EAGER.strip()!r})")
    return source.replace(EAGER, LAZY)


def main(argv: list[str]) -> int:
    (path,) = (Path(arg) for arg in argv)
    try:
        path.write_text(make_lazy(path.read_text()))
    except ValueError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
