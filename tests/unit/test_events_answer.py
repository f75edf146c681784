"""listUpcomingEvents' answer as pure functions: compact events within the size bound."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from gpt_auth.actions import bounded, event_cursor
from gpt_auth.actions import upcoming_events as ea


def google_item(n: int, description_chars: int = 2000) -> dict:
    return {
        "summary": f"Meeting {n}",
        "start": {"dateTime": "2026-12-01T10:00:00Z"},
        "end": {"dateTime": "2026-12-01T10:30:00Z"},
        "location": "Room 4",
        "htmlLink": f"https://www.google.com/calendar/event?eid=ev{n}",
        "description": ("Agenda " * 400)[:description_chars],
    }


def no_more(count: int) -> str | None:
    return None


def test_compact_event_keeps_the_five_fields_and_trims_the_description():
    event = ea.compact_event(google_item(1))
    assert event["summary"] == "Meeting 1"
    assert (event["start"], event["end"]) == ("2026-12-01T10:00:00Z", "2026-12-01T10:30:00Z")
    assert event["location"] == "Room 4"
    assert event["link"] == "https://www.google.com/calendar/event?eid=ev1"
    assert len(event["description"]) == ea.DESCRIPTION_MAX_CHARS
    assert event["description"].endswith(bounded.ELLIPSIS)


def test_all_day_event_and_missing_fields():
    event = ea.compact_event({"start": {"date": "2026-12-02"}, "end": {"date": "2026-12-03"}})
    assert event == {"summary": None, "start": "2026-12-02", "end": "2026-12-03", "link": None}


def test_control_characters_and_odd_links_are_not_passed_on():
    event = ea.compact_event(
        {"summary": "a\x00b\x1bc", "htmlLink": "javascript:alert(1)", "description": "  \n "}
    )
    assert event["summary"] == "a b c"
    assert event["link"] is None
    assert "description" not in event


def test_small_answer_is_whole_and_not_truncated():
    events = [ea.compact_event(google_item(n, 100)) for n in range(3)]
    body = json.loads(ea.bounded_answer(events, max_chars=20_000, next_page_after=no_more))
    # the fields the invitation's sender wrote are named first: data, never instructions
    assert body == {
        "untrusted_text": list(ea.UNTRUSTED_FIELDS),
        "events": events,
        "truncated": False,
        "next_page": None,
    }


def test_descriptions_are_trimmed_before_any_event_is_left_out():
    # GIVEN 50 events whose trimmed descriptions would not all fit in 20,000 characters
    events = [ea.compact_event(google_item(n)) for n in range(event_cursor.PAGE_SIZE)]
    assert len(ea.bounded_answer(events, max_chars=10**6, next_page_after=no_more)) > 20_000
    # WHEN bounded
    text = ea.bounded_answer(events, max_chars=20_000, next_page_after=no_more)
    body = json.loads(text)
    # THEN every event is there, descriptions shorter than the usual cap, and it says so
    assert len(text) <= 20_000
    assert len(body["events"]) == event_cursor.PAGE_SIZE
    assert body["truncated"] is True and body["next_page"] is None
    lengths = {len(e["description"]) for e in body["events"]}
    assert 50 < max(lengths) < ea.DESCRIPTION_MAX_CHARS


def test_events_are_left_for_the_next_page_once_descriptions_are_gone():
    events = [ea.compact_event(google_item(n)) for n in range(event_cursor.PAGE_SIZE)]
    text = ea.bounded_answer(events, max_chars=ea.MIN_ANSWER_CHARS, next_page_after=lambda n: f"after-{n}")
    body = json.loads(text)
    shown = len(body["events"])
    assert len(text) <= ea.MIN_ANSWER_CHARS
    assert 0 < shown < event_cursor.PAGE_SIZE
    assert body == {
        "untrusted_text": list(ea.UNTRUSTED_FIELDS),
        "events": [{k: v for k, v in e.items() if k != "description"} for e in events[:shown]],
        "truncated": True,
        "next_page": f"after-{shown}",
    }


def test_no_events():
    assert json.loads(ea.bounded_answer([], max_chars=ea.MIN_ANSWER_CHARS, next_page_after=no_more)) == {
        "untrusted_text": ["summary", "location", "description"],
        "events": [],
        "truncated": False,
        "next_page": None,
    }


nasty_text = st.text(st.characters(codec="utf-8"), max_size=3000)
nasty_item = st.fixed_dictionaries(
    {},
    optional={
        "summary": nasty_text,
        "location": nasty_text,
        "description": nasty_text,
        "htmlLink": st.just("https://x.test/")
        | st.text(st.sampled_from('"\\a'), max_size=600).map(lambda s: "https://x.test/" + s),
        "start": st.fixed_dictionaries({"dateTime": nasty_text}),
        "end": st.fixed_dictionaries({"date": nasty_text}),
    },
)


@given(
    items=st.lists(nasty_item, max_size=event_cursor.PAGE_SIZE),
    max_chars=st.integers(ea.MIN_ANSWER_CHARS, 30_000),
)
def test_any_events_fit_any_allowed_bound_and_every_event_is_answered_once(items, max_chars):
    # GIVEN one Google page of events with arbitrary text, and the cursor a real answer carries
    events = [ea.compact_event(item) for item in items]
    longest_cursor = "c" * event_cursor.MAX_CURSOR_CHARS
    given_so_far = 0
    # WHEN answers are read page after page (each answer resumes where the last stopped)
    while True:
        rest = events[given_so_far:]

        def next_page_after(n: int, left: int = len(rest)) -> str | None:
            return longest_cursor if n < left else None

        text = ea.bounded_answer(rest, max_chars=max_chars, next_page_after=next_page_after)
        body = json.loads(text)
        # THEN each is within the bound and shows at least one event while any is left
        assert len(text) <= max_chars
        assert [e["summary"] for e in body["events"]] == [e["summary"] for e in rest[: len(body["events"])]]
        given_so_far += len(body["events"])
        if body["next_page"] is None:
            break
        assert body["events"] and body["truncated"]
    assert given_so_far == len(events)


def test_the_largest_event_fits_the_smallest_allowed_bound_beside_the_longest_cursor():
    # GIVEN an event whose every field is at its cap and spelled with characters JSON escapes
    worst = ea.compact_event(
        {
            "summary": '"' * 5000,
            "location": "\\" * 5000,
            "htmlLink": "https://" + '"' * (ea.LINK_MAX_CHARS - 8),
            "description": "\n" * 5000,
            "start": {"dateTime": '"' * 100},
            "end": {"date": '"' * 100},
        }
    )
    assert worst["link"] is not None
    # WHEN it is answered within MIN_ANSWER_CHARS with the longest cursor
    text = ea.bounded_answer(
        [worst, worst],
        max_chars=ea.MIN_ANSWER_CHARS,
        next_page_after=lambda n: "c" * event_cursor.MAX_CURSOR_CHARS,
    )
    # THEN it is there (its description dropped) and the body is within the bound
    body = json.loads(text)
    assert len(text) <= ea.MIN_ANSWER_CHARS
    assert len(body["events"]) == 1 and body["truncated"]
