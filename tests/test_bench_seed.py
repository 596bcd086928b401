"""The benchmark generator (bench/seed.py): a realistic team in the promised proportions, the same rows
for the same seed, no "blocked by" cycle, and the team's id printed last."""
from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.factories import make_user
from tests.support import fresh_database, running_app
from tracker.extensions import db
from tracker.models import (
    Activity,
    Comment,
    Task,
    TaskLabel,
    Team,
    TeamMembership,
    TimeEntry,
    User,
    task_blockers,
)
from tracker.text import render_markdown

_spec = importlib.util.spec_from_file_location("bench_seed", Path(__file__).parents[1] / "bench" / "seed.py")
seed = sys.modules["bench_seed"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seed)


def seeded(capsys, owner: User, *args: str) -> int:
    """Run the generator like its command line; returns the team id it printed last."""
    assert seed.run(["--tasks", "200", "--owner", owner.email, *args]) == 0
    lines = capsys.readouterr().out.split()
    return int(lines[-1])


def team_tasks(team_id: int) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.team_id == team_id).order_by(Task.id)))


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_team_of_200_tasks_in_the_promised_proportions(app, capsys):
    owner = make_user("Olga")
    team_id = seeded(capsys, owner, "--seed", "3")

    assert db.session.get(Team, team_id) is not None
    people = list(db.session.scalars(
        sa.select(User).join(TeamMembership).where(TeamMembership.team_id == team_id)))
    assert len(people) == 20 and owner in people
    assert len({p.timezone for p in people}) >= 5
    assert all(ZoneInfo(p.timezone) and p.work_start < p.work_end and p.work_days for p in people)

    tasks = team_tasks(team_id)
    assert len(tasks) == 200
    statuses = Counter(t.status for t in tasks)
    assert set(statuses) == {"todo", "in_progress", "in_review", "blocked", "done"}
    assert 0.3 <= statuses["done"] / 200 <= 0.5
    assert {t.priority for t in tasks} == {"critical", "high", "medium", "low"}
    now = datetime.now(UTC)
    open_tasks = [t for t in tasks if t.is_open]
    assert any(t.due_at and t.due_at < now for t in open_tasks)
    assert any(t.due_at and t.due_at > now for t in open_tasks)
    assert 0.1 <= sum(t.due_at is None for t in tasks) / 200 <= 0.3
    assert any(t.estimate_hours is None for t in tasks) and any(t.estimate_hours for t in tasks)
    assert 0.8 <= sum(t.assignee_id is not None for t in tasks) / 200 < 1
    assert all(t.description_html == str(render_markdown(t.description)) for t in tasks)

    task_ids = [t.id for t in tasks]
    comments = list(db.session.scalars(sa.select(Comment).where(Comment.task_id.in_(task_ids))))
    assert 0.8 <= len(comments) / 200 <= 1.6
    assert all(c.body_html == str(render_markdown(c.body)) for c in comments)
    assert 0.4 <= count(TimeEntry, TimeEntry.task_id.in_(task_ids)) / 200 <= 1.6
    assert count(TaskLabel, TaskLabel.task_id.in_(task_ids)) > 0
    assert count(Activity, Activity.team_id == team_id, Activity.kind == "created") == 200
    assert count(Activity, Activity.team_id == team_id, Activity.kind == "commented") == len(comments)
    assert count(task_blockers, task_blockers.c.task_id.in_(task_ids)) > 0


def test_no_blocked_by_cycle(app, capsys):
    team_id = seeded(capsys, make_user("Olga"), "--tasks", "600")
    ids = [t.id for t in team_tasks(team_id)]
    links = db.session.execute(
        sa.select(task_blockers.c.task_id, task_blockers.c.blocker_id).where(task_blockers.c.task_id.in_(ids))
    ).all()
    assert len(links) > 10
    # Kahn's algorithm: every task can be ordered after its blockers only if the links have no cycle.
    waiting = Counter(task for task, _ in links)
    unblocks: dict[int, list[int]] = {}
    for task, blocker in links:
        unblocks.setdefault(blocker, []).append(task)
    ready = [i for i in ids if not waiting[i]]
    ordered = 0
    while ready:
        ordered += 1
        for task in unblocks.get(ready.pop(), []):
            waiting[task] -= 1
            if not waiting[task]:
                ready.append(task)
    assert ordered == len(ids)


def snapshot(capsys, seed_value: str) -> list[tuple]:
    team_id = seeded(capsys, make_user("Olga", email="olga@example.com"), "--seed", seed_value)
    people = {u.id: u.email for u in db.session.scalars(sa.select(User))}
    return [(t.id, t.title, t.status, t.priority, t.due_at, people.get(t.assignee_id))
            for t in team_tasks(team_id)]


def test_the_same_seed_gives_the_same_rows(tmp_path, capsys):
    runs = []
    for name, seed_value in (("one", "5"), ("two", "5"), ("three", "6")):
        (tmp_path / name).mkdir()
        with fresh_database(tmp_path / name) as database, running_app(database):
            runs.append(snapshot(capsys, seed_value))
    assert runs[0] == runs[1]
    assert [row[1] for row in runs[0]] != [row[1] for row in runs[2]]


def test_an_unknown_owner_writes_nothing(app, capsys):
    assert seed.run(["--tasks", "10", "--owner", "nobody@example.com"]) == 2
    assert "no user with email nobody@example.com" in capsys.readouterr().err
    assert count(Team) == 0 and count(Task) == 0
