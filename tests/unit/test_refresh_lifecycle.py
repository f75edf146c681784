"""Refresh-token lifecycle in time: the retry grace window, retry successors, absolute session age.

Time travels through the ``now=`` parameters of the store functions; the token endpoint tests in
test_refresh_grant.py cover the same rules at request speed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gpt_auth.oauth import sessions, tokens
from gpt_auth.runtime import db, metrics
from gpt_auth.runtime.errors import TooManyRequests
from gpt_auth.runtime.settings import get_settings

GRACE = 120
LIFETIMES = sessions.Lifetimes(access=3600, refresh=30 * 86400, grace=GRACE, max_age=90 * 86400)
# After the real clock: mongomock's TTL index drops documents whose expires_at has passed in real time.
T0 = db.now().replace(microsecond=0) + timedelta(days=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def sign_in(lifetimes: sessions.Lifetimes = LIFETIMES) -> sessions.IssuedTokens:
    return sessions.create_session(
        user_id="user-1", client_id="gpt-client", scope="openid", lifetimes=lifetimes, now=T0
    )


def rotate(
    token: str, seconds: float, lifetimes: sessions.Lifetimes = LIFETIMES
) -> sessions.IssuedTokens | None:
    return sessions.rotate_refresh_token(token, client_id="gpt-client", lifetimes=lifetimes, now=at(seconds))


def live(access_token: str, seconds: float) -> bool:
    return sessions.session_for_access_token(access_token, now=at(seconds)) is not None


def revoked(family_id: str) -> bool:
    return db.collection(sessions.COLLECTION).find_one({"_id": family_id})["revoked_at"] is not None


def test_lifetimes_come_from_the_settings():
    config = get_settings()
    lifetimes = sessions.Lifetimes.from_settings(config)
    assert lifetimes == sessions.Lifetimes(
        config.access_token_ttl, config.refresh_token_ttl, config.refresh_token_grace, config.session_max_age
    )
    assert (config.refresh_token_grace, config.session_max_age) == (120, 7776000)


# 1. The grace is a window after rotation.


def test_previous_token_works_inside_the_window_and_revokes_the_family_after_it(store):
    # GIVEN a family rotated once at t=0
    first = sign_in()
    second = rotate(first.refresh_token, 0)
    assert second is not None
    # WHEN the rotated token is presented inside the window THEN it is a retry and gets a pair
    retry = rotate(first.refresh_token, GRACE - 1)
    assert retry is not None and live(retry.access_token, GRACE - 1)
    # WHEN it is presented after the window THEN it is retired: refused, and the family is revoked
    assert rotate(first.refresh_token, GRACE + 1) is None
    assert revoked(first.family_id)
    assert rotate(second.refresh_token, GRACE + 2) is None
    assert not live(second.access_token, GRACE + 2) and not live(retry.access_token, GRACE + 2)


def test_a_stolen_previous_token_is_not_usable_for_a_year(store):
    # GIVEN a family rotated once; the victim's client keeps the new token and goes quiet
    first = sign_in()
    assert rotate(first.refresh_token, 0) is not None
    # WHEN a thief presents the rotated token once a day THEN it never works after the window
    answers = [rotate(first.refresh_token, day * 86400) for day in range(1, 366)]
    assert answers == [None] * 365
    assert revoked(first.family_id)


def test_two_parties_alternating_the_previous_token_stop_at_the_window(store):
    # GIVEN a rotated token that two parties present alternately, every 30 seconds
    first = sign_in()
    assert rotate(first.refresh_token, 0) is not None
    answers = [rotate(first.refresh_token, 30 * (n + 1)) for n in range(20)]
    # THEN only the presentations inside the window get a pair, and the first after it revokes
    assert [a is not None for a in answers] == [30 * (n + 1) < GRACE for n in range(20)]
    assert revoked(first.family_id)


def test_retired_token_revocation_is_logged_and_counted(store, read_logs):
    metrics.metrics.clear_metrics()
    first = sign_in()
    assert rotate(first.refresh_token, 0) is not None
    assert rotate(first.refresh_token, GRACE + 1) is None
    warnings = [r for r in read_logs() if r["level"] == "WARNING"]
    assert [r["message"] for r in warnings] == ["retired refresh token presented; its family is revoked"]
    assert warnings[0]["family_id"] == first.family_id
    assert metrics.metrics.metric_set[metrics.REFRESH_TOKEN_REUSE]["Value"] == [1.0]
    metrics.metrics.clear_metrics()


def test_a_wider_window_is_a_setting():
    lifetimes = sessions.Lifetimes(access=3600, refresh=86400, grace=3600, max_age=86400 * 90)
    first = sign_in(lifetimes)
    assert rotate(first.refresh_token, 0, lifetimes) is not None
    assert rotate(first.refresh_token, 3000, lifetimes) is not None
    assert rotate(first.refresh_token, 3601, lifetimes) is None


# 2. A retry does not orphan the slow answer.


@pytest.mark.parametrize("kept", ["first successor", "retry successor"])
def test_both_successors_work_until_one_is_presented(store, kept):
    # GIVEN a refresh whose answer was slow, and a retry inside the window that got another pair
    first = sign_in()
    slow = rotate(first.refresh_token, 0)
    retry = rotate(first.refresh_token, 5)
    assert slow is not None and retry is not None
    # THEN both pairs are live
    assert live(slow.access_token, 6) and live(retry.access_token, 6)
    # WHEN the client presents the one it kept (a while later: the window has closed meanwhile)
    mine, other = (slow, retry) if kept == "first successor" else (retry, slow)
    onward = rotate(mine.refresh_token, 600)
    # THEN it gets a pair, the other one retires, and presenting that one later revokes the family
    assert onward is not None and live(onward.access_token, 601)
    assert not live(other.access_token, 601)
    assert rotate(other.refresh_token, 900) is None
    assert revoked(first.family_id)


def test_repeated_retries_keep_the_first_successor_and_the_latest(store):
    first = sign_in()
    slow = rotate(first.refresh_token, 0)
    retries = [rotate(first.refresh_token, n) for n in (10, 20, 30)]
    assert slow is not None and all(retries)
    assert live(slow.access_token, 31) and live(retries[-1].access_token, 31)
    assert not any(live(r.access_token, 31) for r in retries[:-1])
    assert rotate(slow.refresh_token, 40) is not None


def test_a_retry_successor_presented_within_the_window_goes_on_rotating(store):
    first = sign_in()
    assert rotate(first.refresh_token, 0) is not None
    retry = rotate(first.refresh_token, 1)
    onward = rotate(retry.refresh_token, 2)
    further = rotate(onward.refresh_token, 3)
    assert further is not None and live(further.access_token, 3)
    assert not revoked(first.family_id)


# 3. Absolute lifetime and the bounded list of retired hashes.


def test_a_sign_in_ends_at_session_max_age_whatever_the_refreshes(store):
    # GIVEN a client that refreshes every day, well inside REFRESH_TOKEN_TTL
    pair = sign_in()
    day = 86400
    for n in range(1, 90):
        nxt = rotate(pair.refresh_token, n * day)
        assert nxt is not None, f"refused on day {n}"
        pair = nxt
    # THEN at SESSION_MAX_AGE after the sign-in the refresh is refused, and the access token
    # issued last works no later than that either
    assert rotate(pair.refresh_token, 90 * day + 1) is None
    assert not live(pair.access_token, 90 * day + 1)
    assert not revoked(pair.family_id)  # expired, not stolen


def test_the_last_access_token_stops_at_session_max_age(store):
    pair = sign_in()
    for day in (29, 58, 87):
        pair = rotate(pair.refresh_token, day * 86400)
        assert pair is not None
    last = rotate(pair.refresh_token, LIFETIMES.max_age - 60)
    assert last is not None and live(last.access_token, LIFETIMES.max_age - 1)
    assert not live(last.access_token, LIFETIMES.max_age + 1)


def test_refresh_token_ttl_stays_the_inactivity_limit(store):
    pair = sign_in()
    assert rotate(pair.refresh_token, LIFETIMES.refresh + 1) is None
    fresh = sign_in()
    assert rotate(fresh.refresh_token, LIFETIMES.refresh - 1) is not None


def test_a_token_retired_101_rotations_ago_still_revokes_the_family(store):
    # GIVEN a thief who holds the victim's refresh token and rotates it 101 times (a minute apart,
    # within the rotation bound)
    metrics.metrics.clear_metrics()
    victim = sign_in()
    thief = victim
    for n in range(101):
        nxt = rotate(thief.refresh_token, 60 * (n + 1))
        assert nxt is not None, n
        thief = nxt
    # WHEN the victim presents the token it holds, 101 rotations old
    later = 60 * 102
    assert rotate(victim.refresh_token, later) is None
    # THEN the family is revoked, the thief's tokens with it, and the reuse counted
    assert revoked(victim.family_id)
    assert not live(thief.access_token, later) and rotate(thief.refresh_token, later + 1) is None
    assert metrics.metrics.metric_set[metrics.REFRESH_TOKEN_REUSE]["Value"] == [1.0]
    metrics.metrics.clear_metrics()


def test_the_family_document_stays_the_same_size_however_often_it_rotates(store):
    pair = sign_in()
    sizes = set()
    for n in range(150):
        nxt = rotate(pair.refresh_token, 60 * (n + 1))
        assert nxt is not None
        pair = nxt
        if n >= 1:
            sizes.add(len(repr(sorted(db.collection(sessions.COLLECTION).find_one({"_id": pair.family_id})))))
    assert len(sizes) == 1


def test_a_refresh_token_names_its_family_by_a_tag_that_is_not_its_id(store):
    pair = sign_in()
    tag = tokens.family_tag(pair.refresh_token)
    record = db.collection(sessions.COLLECTION).find_one({"_id": pair.family_id})
    assert tag is not None and record["family_tag_hash"] == tokens.hash_token(tag)
    assert pair.family_id not in pair.refresh_token  # the id the logs show is no piece of a token


def test_a_token_naming_a_live_family_but_never_issued_is_refused(store):
    # A token forged with a family's id (which the theft warning logs) is no key to the family;
    # presenting one ends it, as a retired token does.
    pair = sign_in()
    forged = tokens.mint_refresh_token(tokens.family_tag(pair.refresh_token) or "")
    assert rotate(forged, 10) is None
    assert revoked(pair.family_id)


# The rotation bound: REFRESH_ROTATIONS_PER_HOUR.

BOUND = sessions.Lifetimes(
    access=3600, refresh=30 * 86400, grace=GRACE, max_age=90 * 86400, rotations_per_hour=5
)


def test_rotations_past_the_bound_within_the_hour_are_429_and_keep_the_family(store):
    # GIVEN a family that rotated 5 times (its bound) within a minute
    pair = sign_in(BOUND)
    for n in range(5):
        nxt = rotate(pair.refresh_token, n + 1, BOUND)
        assert nxt is not None
        pair = nxt
    # WHEN it rotates once more THEN 429 with the wait until the hour since its count began is over
    with pytest.raises(TooManyRequests) as refused:
        rotate(pair.refresh_token, 10, BOUND)
    assert refused.value.status == 429 and int(refused.value.headers["Retry-After"]) == 3600 - 10 + 1
    # AND the family is untouched: its tokens still work
    assert not revoked(pair.family_id) and live(pair.access_token, 10)
    # AND an hour after its count began, the count starts again
    assert rotate(pair.refresh_token, 3600, BOUND) is not None


def test_a_retired_token_still_revokes_a_family_over_its_bound(store):
    first = sign_in(BOUND)
    pair = first
    for n in range(5):
        nxt = rotate(pair.refresh_token, n + 1, BOUND)
        assert nxt is not None
        pair = nxt
    assert rotate(first.refresh_token, 600, BOUND) is None
    assert revoked(first.family_id)


def test_the_bound_is_a_setting(configure):
    configure(REFRESH_ROTATIONS_PER_HOUR="500")
    assert sessions.Lifetimes.from_settings(get_settings()).rotations_per_hour == 500
    configure(REFRESH_ROTATIONS_PER_HOUR=None)
    assert sessions.Lifetimes.from_settings(get_settings()).rotations_per_hour == 60


# The security bound the docs state: what a stolen token allows, and for how long.


def test_a_stolen_refresh_token_ends_at_the_victims_next_refresh(store):
    # GIVEN a thief who copied the victim's current refresh token and uses it first
    victim = sign_in()
    thief = rotate(victim.refresh_token, 10)
    assert thief is not None
    # WHEN the victim refreshes an hour later (outside the window) with the token it holds
    assert rotate(victim.refresh_token, 3600) is None
    # THEN the family is revoked: the thief's refresh and access tokens die with it
    assert not live(thief.access_token, 3601)
    assert rotate(thief.refresh_token, 3602) is None


def test_a_stolen_refresh_token_used_inside_the_window_still_ends_at_the_next_refresh(store):
    # GIVEN the thief refreshes and the victim refreshes seconds later, inside the window
    victim = sign_in()
    thief = rotate(victim.refresh_token, 10)
    victims_retry = rotate(victim.refresh_token, 20)
    assert thief is not None and victims_retry is not None
    # WHEN either party refreshes next, the other one's token is retired
    assert rotate(victims_retry.refresh_token, 3600) is not None
    # THEN the thief's next refresh revokes the family
    assert rotate(thief.refresh_token, 3700) is None
    assert revoked(victim.family_id)


def test_a_stolen_refresh_token_never_outlives_session_max_age(store):
    # GIVEN a thief who refreshes every hour while the victim has stopped using the GPT
    pair = rotate(sign_in().refresh_token, 0)
    step = 20 * 3600
    last_ok = 0
    for n in range(1, 200):
        pair = rotate(pair.refresh_token, n * step)
        if pair is None:
            break
        last_ok = n * step
    # THEN the family dies at SESSION_MAX_AGE, not later
    assert last_ok < LIFETIMES.max_age <= last_ok + step


def test_a_stolen_access_token_works_for_access_token_ttl_at_most(store):
    pair = sign_in()
    assert live(pair.access_token, LIFETIMES.access - 1)
    assert not live(pair.access_token, LIFETIMES.access + 1)
    # and less when the family refreshes: the rotation replaces it
    nxt = rotate(pair.refresh_token, 60)
    assert nxt is not None and not live(pair.access_token, 61)


@pytest.mark.parametrize("name", ["REFRESH_TOKEN_GRACE", "SESSION_MAX_AGE"])
@pytest.mark.parametrize("value", ["0", "-5", "two minutes"])
def test_a_malformed_lifetime_setting_is_a_config_error_naming_it(configure, name, value):
    from gpt_auth.runtime.errors import ConfigError

    configure(**{name: value})
    with pytest.raises(ConfigError, match=name):
        get_settings()
