"""Deadline arithmetic for the prioritisation views: work buckets, Eisenhower quadrants,
conversions between a user's wall clock and UTC, and month grids for the calendar page.

Pure functions over plain values. Instants are timezone-aware datetimes (UTC in the database);
a time zone is an IANA name such as "Europe/Lisbon" (a ``tzinfo`` is accepted too). The bucket and
quadrant rules also have SQL twins (``work_bucket_sql``, ``eisenhower_sql``), so that pages can count
and bound them in the database; the pure functions stay the reference, and a test holds them equal.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import and_, case, literal, tuple_

from . import zones

BUCKETS = ("overdue", "today", "this_week", "later", "no_due")
QUADRANTS = ("do", "schedule", "delegate", "later")
IMPORTANT_PRIORITIES = frozenset({"critical", "high"})

# A date-only deadline means "by the end of that day" for the assignee. 23:59:59 rather than
# midnight of the next day, so the deadline still shows on the day the user picked.
END_OF_DAY = time(23, 59, 59)


def zone(tz: str | tzinfo) -> tzinfo:
    """The tzinfo for an IANA zone name (a tzinfo passes through unchanged)."""
    return zones.named(tz) if isinstance(tz, str) else tz


def require_aware(dt: datetime, name: str = "datetime") -> None:
    """Raise ValueError unless ``dt`` is timezone-aware; naive instants are ambiguous."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt!r}")


def local_to_utc(naive: datetime, tz: str | tzinfo) -> datetime:
    """The UTC instant of a wall-clock time in zone ``tz``.

    DST edges are resolved with ``fold=0``: a time skipped by a spring-forward gap (02:30 in New York
    on the switch day) is read with the offset from before the gap, so it lands just after the gap
    (03:30 local); a time repeated by a fall-back fold (01:30) is the first occurrence. Both keep
    the result monotonic in the wall-clock time, which the schedule arithmetic relies on.
    """
    if naive.tzinfo is not None:
        raise ValueError(f"expected a naive wall-clock time, got {naive!r}")
    return naive.replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


def utc_to_local(dt: datetime, tz: str | tzinfo) -> datetime:
    """``dt`` (aware) as an aware datetime on the wall clock of zone ``tz``, for display."""
    require_aware(dt)
    return dt.astimezone(zone(tz))


def end_of_day(d: date, tz: str | tzinfo) -> datetime:
    """The UTC instant of 23:59:59 local time on day ``d`` in zone ``tz``.

    The API rule: a date-only deadline means the end of that day in the assignee's zone.
    """
    return local_to_utc(datetime.combine(d, END_OF_DAY), tz)


def work_bucket(due_at: datetime | None, now: datetime, tz: str | tzinfo) -> str:
    """Which of ``BUCKETS`` a deadline falls in, seen from zone ``tz`` at ``now``.

    "today" and "this_week" are calendar notions, so they depend on the viewer's zone: the same
    instant can be "today" in Honolulu and "this_week" in Auckland. The week is the ISO week
    (Monday to Sunday 23:59:59.999 local).
    """
    require_aware(now, "now")
    if due_at is None:
        return "no_due"
    require_aware(due_at, "due_at")
    if due_at < now:
        return "overdue"
    today = utc_to_local(now, tz).date()
    due_day = utc_to_local(due_at, tz).date()
    if due_day == today:
        return "today"
    last_day_of_week = today + timedelta(days=7 - today.isoweekday())
    if due_day <= last_day_of_week:
        return "this_week"
    return "later"


def is_important(priority: str) -> bool:
    """Critical and high priority tasks are important."""
    return priority in IMPORTANT_PRIORITIES


def is_urgent(due_at: datetime | None, now: datetime, urgency_window_hours: float) -> bool:
    """Overdue, or due within ``urgency_window_hours`` of ``now`` (boundary included).

    A task without a deadline is never urgent.
    """
    if due_at is None:
        return False
    require_aware(due_at, "due_at")
    require_aware(now, "now")
    return due_at <= now + timedelta(hours=urgency_window_hours)


def eisenhower_quadrant(
    priority: str, due_at: datetime | None, now: datetime, urgency_window_hours: float
) -> str:
    """Which of ``QUADRANTS`` a task belongs to.

    do = important and urgent, schedule = important only, delegate = urgent only, later = neither.
    """
    important = is_important(priority)
    urgent = is_urgent(due_at, now, urgency_window_hours)
    if important:
        return "do" if urgent else "schedule"
    return "delegate" if urgent else "later"


def eisenhower_sql(priority, due_at, now: datetime, urgency_window_hours: float):
    """``eisenhower_quadrant`` as a SQL expression over the columns ``priority`` and ``due_at``."""
    require_aware(now, "now")
    important = priority.in_(sorted(IMPORTANT_PRIORITIES))
    # A NULL deadline makes the comparison NULL, which CASE takes as false: never urgent.
    urgent = due_at <= now + timedelta(hours=urgency_window_hours)
    return case(
        (and_(important, urgent), "do"), (important, "schedule"), (urgent, "delegate"), else_="later"
    )


def eisenhower_conditions(priority, due_at, now: datetime, urgency_window_hours: float) -> dict:
    """``eisenhower_quadrant`` as one SQL condition per quadrant (a dict in ``QUADRANTS`` order): plain
    comparisons on ``priority`` and ``due_at`` rather than one CASE, so that an index in deadline order
    can seek each quadrant's first tasks and count them."""
    require_aware(now, "now")
    important = priority.in_(sorted(IMPORTANT_PRIORITIES))
    unimportant = priority.not_in(sorted(IMPORTANT_PRIORITIES))
    # (undated, deadline) against (False, the end of the window): the order of the deadline indexes
    # (undated last), so urgent is a range from their start and not urgent the rest, undated included.
    position = tuple_(due_at.is_(None), due_at)
    edge = tuple_(literal(False), literal(now + timedelta(hours=urgency_window_hours), due_at.type))
    urgent, not_urgent = position <= edge, position > edge
    return {"do": and_(important, urgent), "schedule": and_(important, not_urgent),
            "delegate": and_(unimportant, urgent), "later": and_(unimportant, not_urgent)}


def _work_bucket_edges(now: datetime, tz: str | tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants where tomorrow and next week start in zone ``tz``."""
    require_aware(now, "now")
    today = utc_to_local(now, tz).date()
    tomorrow = local_to_utc(datetime.combine(today + timedelta(days=1), time()), tz)
    next_week = local_to_utc(datetime.combine(today + timedelta(days=8 - today.isoweekday()), time()), tz)
    return tomorrow, next_week


def work_bucket_sql(due_at, now: datetime, tz: str | tzinfo):
    """``work_bucket`` as a SQL expression over the column ``due_at``: the same calendar days of zone
    ``tz``, turned into the UTC instants where they start."""
    tomorrow, next_week = _work_bucket_edges(now, tz)
    return case(
        (due_at.is_(None), "no_due"),
        (due_at < now, "overdue"),
        (due_at < tomorrow, "today"),
        (due_at < next_week, "this_week"),
        else_="later",
    )


def work_bucket_conditions(due_at, now: datetime, tz: str | tzinfo) -> dict:
    """``work_bucket`` as one SQL condition per bucket (a dict in ``BUCKETS`` order): ranges of the
    deadline rather than one CASE, so that each bucket reads only its own part of an index in deadline
    order."""
    tomorrow, next_week = _work_bucket_edges(now, tz)
    return {"overdue": due_at < now, "today": and_(due_at >= now, due_at < tomorrow),
            "this_week": and_(due_at >= tomorrow, due_at < next_week), "later": due_at >= next_week,
            "no_due": due_at.is_(None)}


def month_grid(year: int, month: int, first_weekday: int = 0) -> list[list[date]]:
    """The weeks covering a month, each a list of 7 dates, for a calendar page.

    ``first_weekday`` follows the ``calendar`` module: 0 = Monday (the default), 6 = Sunday. Days of
    the neighbouring months fill the first and last week.
    """
    return calendar.Calendar(first_weekday).monthdatescalendar(year, month)
