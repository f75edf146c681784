"""An answer that fits the size the GPT reads: trim, then page. Pure functions, no I/O.

An action that lists things answers ``{"<list_key>": [...], "truncated": bool, "next_page": str|null}``
in at most ``ACTION_RESPONSE_MAX_CHARS`` characters (``config.action_response_max_chars``):
:func:`bounded_answer` first shortens one long text field of every item to a common length (down to
leaving it out), then leaves items for the next page, and says so in ``truncated``. The action
writes ``next_page`` (its own cursor); :func:`clean_text` caps each text field of an item first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

ELLIPSIS = "…"
# Control characters other than tab and newline: JSON would spell each as six characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, an ellipsis ending a cut one."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def clean_text(value: object, limit: int) -> str | None:
    """A text field without control characters, cut to ``limit``; None when absent or blank."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub(" ", value).strip()
    return cut(text, limit) if text else None


def _trimmed(items: Sequence[dict[str, Any]], field: str | None, limit: int) -> list[dict[str, Any]]:
    shown = []
    for item in items:
        if field is not None and field in item and len(item[field]) > limit:
            item = dict(item)
            if limit > 0:
                item[field] = cut(item[field], limit)
            else:
                del item[field]
        shown.append(item)
    return shown


def _largest(low: int, high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n in [low, high] with ``fits(n)`` (monotone: true up to some n), or None."""
    if not fits(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def bounded_answer(
    items: Sequence[dict[str, Any]],
    *,
    list_key: str,
    trim: str | None,
    max_chars: int,
    next_page_after: Callable[[int], str | None],
    untrusted: Sequence[str] = (),
) -> str:
    """The answer's JSON body for ``items``, at most ``max_chars`` characters.

    Parameters
    ----------
    items
        The items of this answer, in order, each a JSON object whose fields are already capped.
    list_key
        The answer's name for the list (``"events"``, ``"tasks"``).
    trim
        The text field shortened before any item is left out (``"description"``), or None.
    max_chars
        The bound: ``ACTION_RESPONSE_MAX_CHARS``.
    next_page_after
        ``next_page_after(n)`` is the cursor of the answer that follows the first ``n`` items
        (None when nothing follows ``n == len(items)``).
    untrusted
        The item fields whose text someone else wrote (an invitation's sender): the answer names
        them first, as ``untrusted_text``, so the model reads them as data, never as instructions.

    Returns
    -------
    str
        All items with the longest ``trim`` fields that fit; if none fit even without them, the
        most items that fit without them, ``truncated`` and a cursor to the rest.

    Raises
    ------
    ValueError
        ``max_chars`` cannot hold one item: the action's smallest bound is too small for its items.
    """
    everything = len(items)
    full_length = max((len(item.get(trim, "")) for item in items), default=0) if trim else 0

    def body(shown: Sequence[dict[str, Any]], truncated: bool, next_page: str | None) -> str:
        marked = {"untrusted_text": list(untrusted)} if untrusted else {}
        payload = {**marked, list_key: shown, "truncated": truncated, "next_page": next_page}
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))

    def all_with(limit: int) -> str:
        return body(_trimmed(items, trim, limit), limit < full_length, next_page_after(everything))

    limit = _largest(0, full_length, lambda n: len(all_with(n)) <= max_chars)
    if limit is not None:
        return all_with(limit)
    bare = _trimmed(items, trim, 0)

    def first(count: int) -> str:
        return body(bare[:count], True, next_page_after(count))

    count = _largest(0, everything, lambda n: len(first(n)) <= max_chars)
    if count is None or (count == 0 and everything):
        raise ValueError(f"max_chars={max_chars} cannot hold one item of {list_key!r}")
    return first(count)
