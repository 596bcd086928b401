"""The SQL twins of the deadline rules (deadlines.eisenhower_sql, eisenhower_conditions, work_bucket_sql)
put every task where the pure functions put it: one table of cases each, boundaries included, run through the
database (SQLite, or PostgreSQL when DATABASE_URL names one)."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from tests.factories import make_team, make_user
from tracker.deadlines import (
    BUCKETS,
    eisenhower_conditions,
    eisenhower_quadrant,
    eisenhower_sql,
    work_bucket,
    work_bucket_conditions,
    work_bucket_sql,
)
from tracker.extensions import db
from tracker.models import Category, Task
from tracker.prioritisation import quadrant_counts

NOW = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)  # Wed; Thu 23:30 in Auckland, Wed 00:30 in Honolulu
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


def stored(cases: list[tuple[str, datetime | None]]) -> list[int]:
    """Tasks with these (priority, due_at), written straight to the table; their ids in order."""
    team = make_team(make_user("Ana"))
    category = db.session.scalar(select(Category.id).where(Category.team_id == team.team_id).limit(1))
    rows = [
        {"team_id": team.team_id, "category_id": category, "title": f"Case {i}", "priority": priority,
         "due_at": due_at, "status": "todo", "created_at": NOW, "updated_at": NOW}
        for i, (priority, due_at) in enumerate(cases)
    ]
    ids = list(db.session.scalars(insert(Task).returning(Task.id, sort_by_parameter_order=True), rows))
    db.session.commit()
    return ids


def computed(ids: list[int], expression) -> list[str]:
    found = dict(db.session.execute(select(Task.id, expression).where(Task.id.in_(ids))).all())
    return [found[i] for i in ids]


# Deadlines around the edges of a 72-hour and a 90-minute window: before now, at now, at the window's end
# (urgent: the boundary is included) and one second past it.
DUES = [None, NOW - timedelta(days=3), NOW - SECOND, NOW, NOW + SECOND, NOW + 71 * HOUR,
        NOW + 72 * HOUR - SECOND, NOW + 72 * HOUR, NOW + 72 * HOUR + SECOND, NOW + 90 * timedelta(minutes=1),
        NOW + 90 * timedelta(minutes=1) + SECOND, NOW + timedelta(days=400)]


@pytest.mark.parametrize("window", [72, 1.5, 0])
def test_the_sql_quadrant_is_the_pure_quadrant(app, window):
    cases = [(priority, due) for priority in ("critical", "high", "medium", "low") for due in DUES]
    ids = stored(cases)
    expected = [eisenhower_quadrant(priority, due, NOW, window) for priority, due in cases]
    assert computed(ids, eisenhower_sql(Task.priority, Task.due_at, NOW, window)) == expected
    assert set(expected) == {"do", "schedule", "delegate", "later"}


@pytest.mark.parametrize("window", [72, 1.5, 0])
def test_each_quadrant_condition_holds_for_exactly_the_pure_quadrants_tasks(app, window):
    cases = [(priority, due) for priority in ("critical", "high", "medium", "low") for due in DUES]
    ids = stored(cases)
    expected = [eisenhower_quadrant(priority, due, NOW, window) for priority, due in cases]
    for name, condition in eisenhower_conditions(Task.priority, Task.due_at, NOW, window).items():
        found = set(db.session.scalars(select(Task.id).where(Task.id.in_(ids), condition)))
        assert found == {i for i, quadrant in zip(ids, expected, strict=True) if quadrant == name}, name


@pytest.mark.parametrize("window", [72, 1.5, 0])
def test_the_matrix_counts_each_quadrant_as_the_pure_quadrant_does(app, window):
    cases = [(priority, due) for priority in ("critical", "high", "medium", "low") for due in DUES]
    ids = stored(cases)
    expected = Counter(eisenhower_quadrant(priority, due, NOW, window) for priority, due in cases)
    assert quadrant_counts(select(Task).where(Task.id.in_(ids)), NOW, window) == dict(expected)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# (the viewer's zone, now): a mid-week day on both sides of the date line; a Sunday night; the night
# before Chile moves its clocks from midnight to 01:00 (Sun 8 Sep 2024 starts at 01:00); New York's spring
# switch; a zone 45 minutes off the hour.
VIEWS = [
    ("Pacific/Auckland", NOW),
    ("Pacific/Honolulu", NOW),
    ("UTC", utc(2025, 1, 19, 22, 0)),
    ("America/Santiago", utc(2024, 9, 7, 12, 0)),
    ("America/New_York", utc(2025, 3, 8, 20, 0)),
    ("Asia/Kathmandu", NOW),
]
# Offsets from now that cross every boundary of every view above: the next local midnights and the next
# Monday, give or take a second.
OFFSETS = [None, -timedelta(days=2), -SECOND, timedelta(0), SECOND, *(
    timedelta(hours=h) + s for h in range(1, 24 * 9, 1) for s in (-SECOND, timedelta(0))
)]


@pytest.mark.parametrize(("zone", "now"), VIEWS)
def test_the_sql_bucket_is_the_pure_bucket(app, zone, now):
    dues = [None if offset is None else now + offset for offset in OFFSETS]
    ids = stored([("medium", due) for due in dues])
    expected = [work_bucket(due, now, zone) for due in dues]
    assert computed(ids, work_bucket_sql(Task.due_at, now, zone)) == expected
    assert set(expected) >= {"no_due", "overdue", "today", "later"}


@pytest.mark.parametrize(("zone", "now"), VIEWS)
def test_each_bucket_condition_holds_for_exactly_the_pure_buckets_tasks(app, zone, now):
    dues = [None if offset is None else now + offset for offset in OFFSETS]
    ids = stored([("medium", due) for due in dues])
    expected = [work_bucket(due, now, zone) for due in dues]
    conditions = work_bucket_conditions(Task.due_at, now, zone)
    assert list(conditions) == list(BUCKETS)
    for name, condition in conditions.items():
        found = set(db.session.scalars(select(Task.id).where(Task.id.in_(ids), condition)))
        assert found == {i for i, bucket in zip(ids, expected, strict=True) if bucket == name}, name
