"""Property-test profiles: modest and reproducible by default ("ci"); "thorough" digs deeper."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SLOW_FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def load() -> None:
    """Register both profiles and load the one ``HYPOTHESIS_PROFILE`` names (default ``ci``)."""
    settings.register_profile(
        "ci",
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=SLOW_FIXTURES,
    )
    settings.register_profile(
        "thorough", max_examples=2000, deadline=None, suppress_health_check=SLOW_FIXTURES
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
