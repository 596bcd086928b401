"""My work reads each bucket's first cards one priority at a time (an index range each, most important
first): the cards and their order are those of sorting all the person's open tasks of the bucket by
priority, then deadline (undated last), then number; the counts are every open task of the bucket."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import add_to_team, make_task, make_team, make_user
from tracker import prioritisation
from tracker.deadlines import BUCKETS, work_bucket
from tracker.extensions import db
from tracker.models import Task
from tracker.vocabulary import PRIORITIES, PRIORITY_RANK

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
# Few distinct deadlines, so that many tasks tie on priority and deadline (then the number decides),
# in every bucket: overdue, today, this week, later and none.
DEADLINES = [NOW - timedelta(days=2), NOW - timedelta(hours=1), NOW + timedelta(hours=3),
             NOW + timedelta(days=2), NOW + timedelta(days=12), None]


@pytest.fixture
def busy_person(app):
    person = make_user("Ana", timezone="Europe/Lisbon")
    other = make_user("Ben")
    teams = [make_team(person, "Payments"), make_team(person, "Search")]
    add_to_team(teams[0], other)
    rng = random.Random(21)
    for i in range(70):
        make_task(rng.choice(teams), f"Task {i}", priority=rng.choice(PRIORITIES),
                  due_at=rng.choice(DEADLINES), assignee_id=person.id,
                  status=rng.choice(("todo", "in_progress", "blocked", "done")))
    for i in range(5):  # someone else's: in nobody's bucket here
        make_task(teams[0], f"Ben's {i}", priority="critical", due_at=DEADLINES[0], assignee_id=other.id)
    return person


def sorted_buckets(person) -> dict[str, list[int]]:
    """Every open task of the person in its bucket, read without the views' queries and sorted directly:
    priority, deadline (undated last), id."""
    found: dict[str, list] = {name: [] for name in BUCKETS}
    for task in db.session.scalars(select(Task)):
        if task.assignee_id == person.id and task.status != "done" and task.deleted_at is None:
            found[work_bucket(task.due_at, NOW, person.timezone)].append(task)
    key = lambda t: (PRIORITY_RANK[t.priority], t.due_at is None, t.due_at or NOW, t.id)  # noqa: E731
    return {name: [t.id for t in sorted(items, key=key)] for name, items in found.items()}


@pytest.mark.parametrize("limit", [1, 4, 50])
def test_my_work_cards_are_those_of_a_direct_sort(busy_person, limit):
    person = busy_person
    work = prioritisation.my_work(person, NOW, limit=limit)
    expected = sorted_buckets(person)
    assert {name: [t.id for t in tasks] for name, tasks in work.buckets.items()} == {
        name: ids[:limit] for name, ids in expected.items()
    }
    assert work.buckets.totals == {name: len(ids) for name, ids in expected.items()}
    # Ties on priority and deadline within a bucket, and every bucket filled: the data tests the order.
    assert all(len(ids) > 4 for ids in expected.values()), expected

