"""The two dependency layers' pinned requirements, and the modules their packages install."""

from __future__ import annotations

import re
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.support.paths import ROOT

LAYERS = ROOT / "layers"


def pinned(requirements: Path) -> dict[str, str]:
    """Package name (normalised) to pinned version, from one requirements file."""
    pins = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{requirements.name}: {line} is not pinned"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def top_level_modules(requirements: Path) -> set[str]:
    """The importable top-level names the packages of one requirements file install."""
    wanted = set(pinned(requirements))
    return {
        module
        for module, dists in packages_distributions().items()
        if any(re.sub(r"[-_.]+", "-", d).lower() in wanted for d in dists)
    }
