"""How many RFC 7591 registrations were made this hour, from each address and from everyone.

Fixed hourly windows: a counter per window, deleted an hour after its window ends. An address is
counted as its IPv6 /64 (what one subscriber gets) or its IPv4 address, and stored only as a keyed
hash (``tokens.hash_token``), so the store keeps no address.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gpt_auth.oauth import tokens
from gpt_auth.runtime import db
from gpt_auth.runtime.errors import TooManyRequests
from gpt_auth.runtime.settings import Settings

WINDOW = timedelta(hours=1)

COLLECTION = db.Stored(
    "registration_counts",
    about="How often apps registered",
    holds=(
        "how many apps registered this hour from each network address, the address kept only as "
        "a keyed hash, for two hours at most: nothing that names you."
    ),
    indexes=(db.expiring(),),
)


def spend(address: str | None, settings: Settings, *, now: datetime | None = None) -> None:
    """Count one registration from ``address`` (None: unknown, all such share one count).

    Raises
    ------
    TooManyRequests
        ``address`` made ``REGISTRATIONS_PER_IP_PER_HOUR`` registrations this hour, or everyone
        together ``REGISTRATIONS_PER_HOUR``: 429 with ``Retry-After``, the seconds to the hour's end.
        An address over its bound is refused before it counts against everyone's.
    """
    when = now or db.now()
    window = when.replace(minute=0, second=0, microsecond=0)
    retry_after = int((window + WINDOW - when).total_seconds()) + 1
    stamp = f"{window:%Y%m%d%H}"
    coll = db.collection(COLLECTION)
    if _count(coll, f"ip:{tokens.hash_token(network(address))}:{stamp}", window) > (
        settings.registrations_per_ip_per_hour
    ):
        raise TooManyRequests(
            f"This address made {settings.registrations_per_ip_per_hour} client registrations this "
            "hour (REGISTRATIONS_PER_IP_PER_HOUR); try again after Retry-After seconds.",
            retry_after=retry_after,
        )
    if _count(coll, f"all:{stamp}", window) > settings.registrations_per_hour:
        raise TooManyRequests(
            f"This server took {settings.registrations_per_hour} client registrations this hour "
            "(REGISTRATIONS_PER_HOUR); try again after Retry-After seconds.",
            retry_after=retry_after,
        )


def network(address: str | None) -> str:
    """What one caller is counted as: an IPv4 address, an IPv6 /64, or ``unknown``."""
    import ipaddress

    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


def _count(coll: Any, key: str, window: datetime) -> int:
    from pymongo.errors import DuplicateKeyError

    try:
        return _increment(coll, key, window)
    except DuplicateKeyError:  # two first registrations of a window raced; the other inserted it
        return _increment(coll, key, window)


def _increment(coll: Any, key: str, window: datetime) -> int:
    from pymongo import ReturnDocument

    counted = coll.find_one_and_update(
        {"_id": key},
        {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": window + 2 * WINDOW}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    return int(counted["count"])
