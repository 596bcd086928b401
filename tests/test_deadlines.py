"""Deadline arithmetic: buckets seen from different zones, Eisenhower quadrants, end of day,
wall clock <-> UTC across DST, and month grids. Expectations are worked out by hand in comments."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tracker.deadlines import (
    BUCKETS,
    QUADRANTS,
    eisenhower_quadrant,
    end_of_day,
    is_important,
    is_urgent,
    local_to_utc,
    month_grid,
    utc_to_local,
    work_bucket,
)

AUCKLAND = "Pacific/Auckland"  # UTC+13 in January (NZDT)
HONOLULU = "Pacific/Honolulu"  # UTC-10, no DST


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# now = Wed 15 Jan 2025 10:30 UTC
#     = Wed 15 Jan 23:30 in Auckland (week Mon 13 – Sun 19)
#     = Wed 15 Jan 00:30 in Honolulu (same week)
NOW = utc(2025, 1, 15, 10, 30)


@pytest.mark.parametrize(
    ("due_at", "auckland", "honolulu"),
    [
        (None, "no_due", "no_due"),
        # One minute ago is overdue wherever you are.
        (utc(2025, 1, 15, 10, 29), "overdue", "overdue"),
        # Due exactly now is not overdue yet.
        (NOW, "today", "today"),
        # 11:30Z = Thu 00:30 in Auckland (just past midnight), Wed 01:30 in Honolulu.
        (utc(2025, 1, 15, 11, 30), "this_week", "today"),
        # Thu 16 Jan 09:00Z = Thu 22:00 Auckland, Wed 23:00 Honolulu: still today there.
        (utc(2025, 1, 16, 9, 0), "this_week", "today"),
        # Thu 16 Jan 10:00Z = Thu 23:00 Auckland, Thu 00:00 Honolulu.
        (utc(2025, 1, 16, 10, 0), "this_week", "this_week"),
        # Sun 19 Jan 10:59Z = Sun 23:59 Auckland: the last minute of the ISO week.
        (utc(2025, 1, 19, 10, 59), "this_week", "this_week"),
        # Sun 19 Jan 11:00Z = Mon 20 Jan 00:00 Auckland (next week), Sun 01:00 Honolulu.
        (utc(2025, 1, 19, 11, 0), "later", "this_week"),
        # Mon 20 Jan 10:00Z = Mon 00:00 Honolulu: next week there too.
        (utc(2025, 1, 20, 10, 0), "later", "later"),
    ],
)
def test_work_bucket_depends_on_the_viewers_zone(due_at, auckland, honolulu):
    assert work_bucket(due_at, NOW, AUCKLAND) == auckland
    assert work_bucket(due_at, NOW, HONOLULU) == honolulu


def test_work_bucket_on_a_sunday_night():
    # now = Mon 20 Jan 09:00Z = Sun 19 Jan 23:00 Honolulu (last hour of the week),
    #                          = Mon 20 Jan 22:00 Auckland (first day of the week).
    now = utc(2025, 1, 20, 9, 0)
    due = utc(2025, 1, 20, 10, 30)  # Mon 00:30 Honolulu, Mon 23:30 Auckland
    assert work_bucket(due, now, HONOLULU) == "later"
    assert work_bucket(due, now, AUCKLAND) == "today"


def test_work_bucket_returns_one_of_buckets_and_needs_aware_times():
    assert work_bucket(utc(2025, 2, 1), NOW, "UTC") in BUCKETS
    with pytest.raises(ValueError):
        work_bucket(datetime(2025, 1, 16), NOW, "UTC")
    with pytest.raises(ValueError):
        work_bucket(None, datetime(2025, 1, 16), "UTC")


@pytest.mark.parametrize(
    ("priority", "important"),
    [("critical", True), ("high", True), ("medium", False), ("low", False)],
)
def test_is_important(priority, important):
    assert is_important(priority) is important


WINDOW = 48  # hours


@pytest.mark.parametrize(
    ("due_at", "urgent"),
    [
        (None, False),  # no deadline is never urgent
        (NOW - timedelta(days=3), True),  # overdue
        (NOW + timedelta(hours=47), True),
        (NOW + timedelta(hours=48), True),  # the window's edge counts as inside
        (NOW + timedelta(hours=48, seconds=1), False),
        (NOW + timedelta(days=30), False),
    ],
)
def test_is_urgent(due_at, urgent):
    assert is_urgent(due_at, NOW, WINDOW) is urgent


@pytest.mark.parametrize(
    ("priority", "due_at", "quadrant"),
    [
        ("critical", NOW + timedelta(hours=5), "do"),
        ("high", NOW - timedelta(hours=5), "do"),  # overdue is urgent
        ("critical", NOW + timedelta(days=10), "schedule"),
        ("high", None, "schedule"),  # important, no deadline
        ("medium", NOW + timedelta(hours=5), "delegate"),
        ("low", NOW - timedelta(days=1), "delegate"),
        ("medium", NOW + timedelta(days=10), "later"),
        ("low", None, "later"),
    ],
)
def test_eisenhower_quadrant(priority, due_at, quadrant):
    assert eisenhower_quadrant(priority, due_at, NOW, WINDOW) == quadrant
    assert quadrant in QUADRANTS


@pytest.mark.parametrize(
    ("day", "tz", "expected"),
    [
        (date(2025, 1, 15), "UTC", utc(2025, 1, 15, 23, 59, 59)),
        # Auckland is UTC+13 in summer: 23:59:59 local is 10:59:59 UTC the same day.
        (date(2025, 1, 15), AUCKLAND, utc(2025, 1, 15, 10, 59, 59)),
        # Honolulu is UTC-10: 23:59:59 local is 09:59:59 UTC the next day.
        (date(2025, 1, 15), HONOLULU, utc(2025, 1, 16, 9, 59, 59)),
        # Lisbon in summer is UTC+1.
        (date(2025, 7, 1), "Europe/Lisbon", utc(2025, 7, 1, 22, 59, 59)),
        # The day New York springs forward ends on EDT (UTC-4): 03:59:59Z next day.
        (date(2025, 3, 9), "America/New_York", utc(2025, 3, 10, 3, 59, 59)),
    ],
)
def test_end_of_day_is_the_last_second_in_the_assignees_zone(day, tz, expected):
    assert end_of_day(day, tz) == expected


@pytest.mark.parametrize(
    ("wall_clock", "tz", "expected"),
    [
        (datetime(2025, 1, 15, 9, 0), "Asia/Tokyo", utc(2025, 1, 15, 0, 0)),  # UTC+9
        (datetime(2025, 1, 15, 9, 0), "America/New_York", utc(2025, 1, 15, 14, 0)),  # EST, UTC-5
        (datetime(2025, 7, 15, 9, 0), "America/New_York", utc(2025, 7, 15, 13, 0)),  # EDT, UTC-4
        # Gap: 02:30 on 9 Mar 2025 does not exist in New York. fold=0 reads it with the offset
        # from before the gap (EST, -5), i.e. 07:30Z, which is 03:30 EDT on the wall clock.
        (datetime(2025, 3, 9, 2, 30), "America/New_York", utc(2025, 3, 9, 7, 30)),
        # Fold: 01:30 on 2 Nov 2025 happens twice; fold=0 picks the first (EDT, -4) = 05:30Z.
        (datetime(2025, 11, 2, 1, 30), "America/New_York", utc(2025, 11, 2, 5, 30)),
    ],
)
def test_local_to_utc(wall_clock, tz, expected):
    assert local_to_utc(wall_clock, tz) == expected


def test_local_to_utc_rejects_aware_and_utc_to_local_rejects_naive():
    with pytest.raises(ValueError):
        local_to_utc(utc(2025, 1, 15), "UTC")
    with pytest.raises(ValueError):
        utc_to_local(datetime(2025, 1, 15), "UTC")


def test_utc_to_local_round_trips():
    instant = utc(2025, 3, 30, 12, 0)  # Lisbon switched to summer time (UTC+1) that morning
    local = utc_to_local(instant, "Europe/Lisbon")
    assert (local.hour, local.utcoffset()) == (13, timedelta(hours=1))
    assert local_to_utc(local.replace(tzinfo=None), "Europe/Lisbon") == instant


def test_month_grid_january_2025():
    # 1 Jan 2025 is a Wednesday: the first week starts Mon 30 Dec 2024; 31 Jan is a Friday,
    # so the last week ends Sun 2 Feb. 5 weeks.
    weeks = month_grid(2025, 1)
    assert len(weeks) == 5
    assert all(len(week) == 7 for week in weeks)
    assert weeks[0][0] == date(2024, 12, 30)
    assert weeks[0][2] == date(2025, 1, 1)
    assert weeks[-1][-1] == date(2025, 2, 2)
    assert all(day.weekday() == 0 for day in (week[0] for week in weeks))


def test_month_grid_exact_four_weeks_and_sunday_first():
    # February 2021 starts on a Monday and has 28 days: exactly four weeks.
    assert month_grid(2021, 2) == [
        [date(2021, 2, 1) + timedelta(days=7 * w + d) for d in range(7)] for w in range(4)
    ]
    # February 2026 starts on a Sunday: Monday first it needs 5 weeks, Sunday first only 4.
    assert len(month_grid(2026, 2)) == 5
    sunday_first = month_grid(2026, 2, first_weekday=6)
    assert len(sunday_first) == 4
    assert sunday_first[0][0] == date(2026, 2, 1)
