"""What every call from us to Google shares: its timeouts and how we read a ``Retry-After``.

Used by the sign-in calls (``provider``) and the calls made for a user (``api``). Nothing here
imports ``requests``.
"""

from __future__ import annotations

from gpt_auth.runtime.setting_values import ascii_int

TIMEOUT = (3.05, 5.0)  # connect, read (seconds); the function's own timeout is 15 s
MAX_RETRY_AFTER_SECONDS = 300  # Google asking for longer: our caller still retries within five minutes


def retry_after_seconds(header: str, default: int) -> int:
    """Google's ``Retry-After`` in delta-seconds, kept within 1 to ``MAX_RETRY_AFTER_SECONDS``.

    ``default`` when the header is absent or anything else (an HTTP date included).
    """
    seconds = ascii_int(header.strip())
    if seconds is None:
        return default
    return min(max(seconds, 1), MAX_RETRY_AFTER_SECONDS)
