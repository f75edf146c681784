"""make dev's banner names the Calendar stand-in, both sample users and the scopes asked of Google."""

from __future__ import annotations

from localdev.dev import SIMULATOR_LINE, LocalUrls, banner, local_settings
from localdev.stand_in import StandIn


def test_banner_names_the_calendar_stand_in_the_sample_users_and_calendar_s_scope():
    urls = LocalUrls("http://127.0.0.1:3000")
    stand_in = StandIn(port=4000)
    settings = local_settings({}, urls, stand_in.issuer, ("id", "secret"), "http://127.0.0.1:5000")
    assert settings["GOOGLE_API_BASE"] == "http://127.0.0.1:5000"
    printed = banner(urls, stand_in, {}, settings)
    assert "Google Calendar API stand-in (GOOGLE_API_BASE): http://127.0.0.1:5000" in printed
    assert "sample users: ada@example.com, busy@example.com" in printed
    assert "https://www.googleapis.com/auth/calendar.readonly" in printed
    assert "http://127.0.0.1:4000/users/<user>/revoke-tokens" in printed
    assert "http://127.0.0.1:3000/simulator/manifest.json" in printed  # served, not printed
    assert '"operationId"' not in printed
    # AND it stays within a screen, the simulator's URL last, where it stays in view
    lines = printed.rstrip("\n").splitlines()
    assert len(lines) < 30
    assert lines[-1] == f"{SIMULATOR_LINE}http://127.0.0.1:3000/"


def test_without_a_calendar_stand_in_google_s_api_is_used():
    urls = LocalUrls("http://127.0.0.1:3000")
    assert "GOOGLE_API_BASE" not in local_settings({}, urls, "http://127.0.0.1:4000")
