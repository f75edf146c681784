"""``listUpcomingEvents``: the signed-in user's upcoming events, from a Google access token to the answer.

The window and Google's page come from the ``page`` cursor, else from ``days`` and now. A Google
401 for a token we believed valid forces one refresh (the user may have removed access, so the
refresh answers ``invalid_grant`` at once and the sessions end) and one retry; a second 401 is
our 401. A missing Calendar scope is 403 ``insufficient_scope``. ``requests`` and the Google grant
store (with ``cryptography``) are imported only here, on this route's path.
"""

from __future__ import annotations

from dataclasses import replace

from gpt_auth.actions import event_answers
from gpt_auth.actions.event_answers import PageCursor
from gpt_auth.actions.upcoming_events import SCOPE
from gpt_auth.google import calendar
from gpt_auth.google.calendar import CalendarPage, CalendarScopeMissing, CalendarTokenRejected
from gpt_auth.runtime.errors import InsufficientScope, InvalidToken
from gpt_auth.runtime.settings import get_settings

GOOGLE_REFUSED = "Google refused access to your calendar; sign in again from ChatGPT."


def answer_for(page: CalendarPage, cursor: PageCursor, max_chars: int) -> str:
    """The bounded answer for ``page``, the Google page ``cursor`` named, from ``cursor.skip`` on."""
    items = page.items[cursor.skip :]
    events = [event_answers.compact_event(item) for item in items]

    def next_page_after(count: int) -> str | None:
        if cursor.skip + count < len(page.items):
            return replace(cursor, skip=cursor.skip + count).encode()
        if page.next_page_token is not None:
            return PageCursor(cursor.time_min, cursor.time_max, page.next_page_token).encode()
        return None

    return event_answers.bounded_answer(events, max_chars=max_chars, next_page_after=next_page_after)


def upcoming_events(user_id: str, cursor: PageCursor) -> str:
    """The JSON answer for ``user_id`` at ``cursor``.

    Raises
    ------
    InvalidToken
        Google refused the user's grant (their sessions are revoked) or the token twice.
    InsufficientScope
        The user did not grant Calendar access.
    BadRequest, ServiceUnavailable, UpstreamError
        As ``calendar.list_events`` and the grant store raise them.
    """
    from gpt_auth.google import google_tokens

    config = get_settings()
    token = google_tokens.access_token_for(user_id, scope=SCOPE)
    try:
        try:
            page = calendar.list_events(config.google_api_base, token, cursor)
        except CalendarTokenRejected:
            token = google_tokens.after_unauthorized(user_id, token, scope=SCOPE)
            try:
                page = calendar.list_events(config.google_api_base, token, cursor)
            except CalendarTokenRejected:
                raise InvalidToken(GOOGLE_REFUSED) from None
    except CalendarScopeMissing:
        raise InsufficientScope((SCOPE,)) from None
    return answer_for(page, cursor, config.action_response_max_chars)
