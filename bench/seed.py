"""Benchmark data: a deterministic generator that bulk-inserts one large team into the database that
DATABASE_URL names (default: the app's SQLite file) and prints the new team's id last on stdout.

    .venv/bin/python bench/seed.py --tasks 100000 --owner you@example.com [--users 20] [--seed 7]

The owner must exist. The team gets U people in several time zones with their working hours, the default
categories, and tasks in a realistic mix (about 40 % done, a few in the trash, deadlines past, future or
none, estimates, labels), with comments, time entries, watchers, "blocked by" links (always on an earlier
task, so never a cycle) and history in proportion. Rows go in with SQLAlchemy Core, in batches, so
100,000 tasks take about a minute on SQLite; the same seed on the same database gives the same rows.
Columns the models do not have are left out, so the generator also fills older versions of the schema
(TRACKER_ROOT names the checkout to import the app from; default: this one).
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import random
import sys
import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, os.environ.get("TRACKER_ROOT") or str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.demo import COMMENTS, LABELS, THINGS, WORK  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import (  # noqa: E402
    PRIORITIES,
    Activity,
    Category,
    Comment,
    Task,
    TaskLabel,
    TaskWatcher,
    TeamMembership,
    TimeEntry,
    User,
    task_blockers,
)
from tracker.teams import create_team  # noqa: E402
from tracker.text import render_markdown  # noqa: E402

BATCH = 5000
PASSWORD = "bench-password"  # every generated person's password (they are fake and local)
ZONES = (  # time zone, working days, working hours
    ("Europe/Lisbon", "1,2,3,4,5", (9, 17)),
    ("America/New_York", "1,2,3,4,5", (9, 17)),
    ("Asia/Tokyo", "1,2,3,4,5", (10, 18)),
    ("Asia/Kolkata", "1,2,3,4,5", (9, 17)),
    ("Pacific/Auckland", "1,2,3,4", (8, 16)),
    ("America/Los_Angeles", "1,2,3,4,5", (8, 16)),
    ("Europe/Berlin", "1,2,3,4,5", (8, 16)),
    ("America/Sao_Paulo", "2,3,4,5,6", (9, 18)),
)
FIRST = ("Ana", "Ben", "Chiara", "Dev", "Eli", "Fran", "Goran", "Hana", "Ines", "Jun", "Kofi", "Lena",
         "Mateo", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tess")
LAST = ("Costa", "Okafor", "Sato", "Patel", "Ngata", "Müller", "Novak", "Kim", "Silva", "Chen")
STATUS_MIX = (("todo", 30), ("in_progress", 18), ("in_review", 8), ("blocked", 4), ("done", 40))
PRIORITY_MIX = (6, 22, 50, 22)  # in the order of PRIORITIES
ESTIMATES = (None, 1, 2, 3, 4, 6, 8, 12, 16)
COMMENTS_PER_TASK = (0, 0, 1, 1, 2, 3)  # about 1.2 a task
TRASHED_SHARE = 0.01
BLOCKED_SHARE = 0.08  # open tasks waiting for one or two earlier open tasks


@dataclass
class Plan:
    """What every generated row draws on: the team, its categories and people, "now" and the one rng."""

    team_id: int
    categories: dict[str, int]
    people: list[int]
    names: dict[int, str]
    now: datetime
    rng: random.Random
    open_ids: list[int] = field(default_factory=list)  # live open tasks so far: the possible blockers


class Rows(dict):
    """Rows collected per table, to be inserted in batches."""

    def add(self, table, **values) -> None:
        self.setdefault(table, []).append(values)


def insert_batches(connection, table, rows: list[dict], returning=None) -> list[int]:
    """Insert `rows` BATCH at a time, without the keys the table has no column for (older schemas);
    with `returning` (a column), returns its values in the rows' order."""
    ids: list[int] = []
    names = [key for key in (rows[0] if rows else {}) if key in table.c]
    for start in range(0, len(rows), BATCH):
        chunk = [{key: row[key] for key in names} for row in rows[start:start + BATCH]]
        if returning is None:
            connection.execute(insert(table), chunk)
        else:
            statement = insert(table).returning(returning, sort_by_parameter_order=True)
            ids.extend(connection.execute(statement, chunk).scalars())
    return ids


class Rendered(dict):
    """Markdown rendered once per distinct text (a few hundred templates for 100,000 tasks)."""

    def __missing__(self, source: str) -> str:
        self[source] = str(render_markdown(source))
        return self[source]


RENDERED = Rendered()


def seed_team(owner_email: str, tasks: int, users: int = 20, seed: int = 7,
              now: datetime | None = None) -> int:
    """Create the benchmark team (`users` people, the owner included) in the current app context and
    commit it; returns its id. Raises LookupError, having written nothing, when the owner is unknown."""
    owner = db.session.scalar(select(User).where(User.email == owner_email))
    if owner is None:
        raise LookupError(f"no user with email {owner_email}")
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    people = [owner] + bench_people(users - 1, seed, now)
    team_id = create_team(owner, f"Bench {tasks} tasks (seed {seed})", slug=f"bench-{tasks}-s{seed}").id
    db.session.execute(insert(TeamMembership.__table__), [
        {"team_id": team_id, "user_id": p.id, "role": "manager" if i <= 2 else "member", "created_at": now}
        for i, p in enumerate(people) if i > 0
    ])
    categories = dict(db.session.execute(
        select(Category.slug, Category.id).where(Category.team_id == team_id)).all())
    plan = Plan(team_id, categories, [p.id for p in people], {p.id: p.name.split()[0] for p in people},
                now, random.Random(seed))
    counts: Counter[str] = Counter()
    connection = db.session.connection()
    for start in range(0, tasks, BATCH):
        counts.update(seed_batch(connection, plan, min(BATCH, tasks - start)))
    db.session.commit()
    print("seeded " + ", ".join(f"{n} {name}" for name, n in sorted(counts.items())), file=sys.stderr)
    if db.engine.dialect.name == "postgresql":
        # After a bulk load the planner has no statistics until autovacuum comes by (and never on a copy
        # made from this database as a template); without them it nests loops over 60,000 open tasks.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    refresh_stored_forecast()
    return team_id


def seed_batch(connection, plan: Plan, size: int) -> Counter[str]:
    """`size` tasks and everything that hangs off them; returns the rows written per table."""
    tasks = [task_row(plan) for _ in range(size)]
    ids = insert_batches(connection, Task.__table__, tasks, returning=Task.__table__.c.id)
    rows = Rows()
    comments: list[dict] = []
    for task_id, task in zip(ids, tasks, strict=True):
        follow_ups(rows, plan, task_id, task)
        comments += [comment_row(plan, task_id, task) for _ in range(plan.rng.choice(COMMENTS_PER_TASK))]
    comment_ids = insert_batches(connection, Comment.__table__, comments, returning=Comment.__table__.c.id)
    for comment, comment_id in zip(comments, comment_ids, strict=True):
        rows.add(Activity.__table__, team_id=plan.team_id, task_id=comment["task_id"],
                 actor_id=comment["author_id"], kind="commented", field=None, old_value=None,
                 new_value=" ".join(comment["body"].split())[:200], comment_id=comment_id,
                 created_at=comment["created_at"])
    counts = Counter({"tasks": len(ids), "comments": len(comment_ids)})
    for table, table_rows in rows.items():
        insert_batches(connection, table, table_rows)
        counts[table.name] += len(table_rows)
    return counts


def bench_people(count: int, seed: int, now: datetime) -> list[User]:
    """`count` people, created once per seed (existing ones, found by email, are reused)."""
    wanted = [f"bench.person{i:03d}.s{seed}@example.com" for i in range(count)]
    existing = {u.email for u in db.session.scalars(select(User).where(User.email.in_(wanted)))}
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    rows = []
    for i, email in enumerate(wanted):
        zone, days, (start, end) = ZONES[i % len(ZONES)]
        if email not in existing:
            rows.append({"email": email, "name": f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}",
                         "password_hash": password_hash, "timezone": zone, "work_days": days,
                         "work_start": time(start), "work_end": time(end), "created_at": now})
    if rows:
        db.session.execute(insert(User.__table__), rows)
    found = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(wanted)))}
    return [found[email] for email in wanted]


def task_row(plan: Plan) -> dict:
    """One task of the last half year: about 40 % done, 80 % with a deadline, 5 % unassigned, 1 % in
    the trash."""
    rng, now = plan.rng, plan.now
    slug = rng.choice(list(WORK))
    title = rng.choice(WORK[slug]).format(thing=rng.choice(THINGS))
    created = now - timedelta(days=rng.uniform(0, 180), hours=rng.randrange(24))
    status = rng.choices([s for s, _ in STATUS_MIX], [w for _, w in STATUS_MIX])[0]
    due = start = completed = deleted = None
    if rng.random() < 0.8:
        if status == "done":
            due = created + timedelta(days=rng.uniform(1, 30))
        else:
            due = now + timedelta(days=rng.uniform(-20, 60))
        due = due.replace(hour=rng.choice([12, 16, 17, 21]), minute=0, second=0, microsecond=0)
        if rng.random() < 0.15:
            start = due - timedelta(days=rng.randrange(1, 10))
    updated = created + timedelta(days=rng.uniform(0, 3))
    if status == "done":
        completed = updated = min(now, created + timedelta(days=rng.uniform(0.5, 14)))
    reporter = rng.choice(plan.people)
    if rng.random() < TRASHED_SHARE:
        deleted = min(now, updated + timedelta(days=1))
    description = f"Part of the **{slug}** work on {title.lower()}.\n\n- check the runbook\n- update the docs"
    return {
        "team_id": plan.team_id, "category_id": plan.categories[slug], "title": title,
        "description": description,
        "description_html": RENDERED[description], "status": status,
        "priority": rng.choices(PRIORITIES, PRIORITY_MIX)[0], "due_at": due, "start_at": start,
        "estimate_hours": rng.choice(ESTIMATES),
        "assignee_id": None if rng.random() < 0.05 else rng.choice(plan.people),
        "reporter_id": reporter, "version": 1, "created_at": created, "updated_at": updated,
        "completed_at": completed, "deleted_at": deleted, "deleted_by_id": reporter if deleted else None,
    }


def follow_ups(rows: Rows, plan: Plan, task_id: int, task: dict) -> None:
    """Labels, watchers, blockers, time entries and history of one task."""
    rng = plan.rng
    for name in rng.sample(LABELS, rng.choice([0, 0, 1, 1, 2])):
        rows.add(TaskLabel.__table__, task_id=task_id, name=name)
    for user_id in sorted({task["reporter_id"], task["assignee_id"]} - {None}):
        rows.add(TaskWatcher.__table__, task_id=task_id, user_id=user_id, created_at=task["created_at"])
    if task["status"] != "done" and task["deleted_at"] is None:
        if plan.open_ids and rng.random() < BLOCKED_SHARE:
            picked = rng.sample(plan.open_ids, min(len(plan.open_ids), rng.choice([1, 1, 2])))
            for blocker in sorted(set(picked)):
                rows.add(task_blockers, task_id=task_id, blocker_id=blocker)  # an earlier task: never a cycle
        plan.open_ids.append(task_id)
    history(rows, task_id, task)
    log_time(rows, plan, task_id, task)


def history(rows: Rows, task_id: int, task: dict) -> None:
    """What the activity module records: the creation, the status move, the trashing."""
    common = {"team_id": task["team_id"], "task_id": task_id, "field": None, "old_value": None,
              "comment_id": None}
    rows.add(Activity.__table__, **common, actor_id=task["reporter_id"], kind="created",
             new_value=task["title"], created_at=task["created_at"])
    if task["status"] != "todo":
        rows.add(Activity.__table__, **{**common, "field": "status", "old_value": "todo"}, kind="changed",
                 actor_id=task["assignee_id"] or task["reporter_id"], new_value=task["status"],
                 created_at=task["updated_at"])
    if task["deleted_at"]:
        rows.add(Activity.__table__, **common, actor_id=task["deleted_by_id"], kind="deleted", new_value=None,
                 created_at=task["deleted_at"])


def log_time(rows: Rows, plan: Plan, task_id: int, task: dict) -> None:
    """One to three time entries on started, estimated, assigned work, each with its history entry."""
    if not (task["assignee_id"] and task["estimate_hours"] and task["status"] != "todo"):
        return
    for _ in range(plan.rng.randint(1, 3)):
        spent_on = min((task["created_at"] + timedelta(days=plan.rng.uniform(0, 7))).date(), plan.now.date())
        hours = plan.rng.choice([0.5, 1, 1.5, 2, 3])
        at = datetime.combine(spent_on, time(18), UTC)
        rows.add(TimeEntry.__table__, task_id=task_id, user_id=task["assignee_id"], hours=hours, note="",
                 spent_on=spent_on, created_at=at)
        rows.add(Activity.__table__, team_id=task["team_id"], task_id=task_id, actor_id=task["assignee_id"],
                 kind="time_logged", field=None, old_value=None, comment_id=None, created_at=at,
                 new_value={"hours": hours, "spent_on": spent_on.isoformat(), "note": "",
                            "user_id": task["assignee_id"]})


def comment_row(plan: Plan, task_id: int, task: dict) -> dict:
    """A comment mentioning someone else, within three weeks of the task's creation."""
    author = plan.rng.choice(plan.people)
    other = plan.rng.choice([p for p in plan.people if p != author] or [author])
    body = plan.rng.choice(COMMENTS).format(name=plan.names[other])
    at = min(plan.now, task["created_at"] + timedelta(hours=plan.rng.uniform(1, 24 * 20)))
    return {"task_id": task_id, "author_id": author, "body": body, "body_html": RENDERED[body],
            "created_at": at, "edited_at": None}


def refresh_stored_forecast() -> None:
    """Fill the stored forecast (tracker.stored_forecast.refresh_all) when this version of the app has one."""
    if importlib.util.find_spec("tracker.stored_forecast") is None:
        return
    module = importlib.import_module("tracker.stored_forecast")
    if hasattr(module, "refresh_all"):
        started = clock.perf_counter()
        module.refresh_all()
        db.session.commit()
        print(f"stored forecast refreshed in {clock.perf_counter() - started:.1f} s", file=sys.stderr)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, required=True, help="how many tasks")
    parser.add_argument("--owner", required=True, help="email of the existing user who owns the team")
    parser.add_argument("--users", type=int, default=20, help="people in the team, the owner included")
    parser.add_argument("--seed", type=int, default=7, help="random seed: the same seed gives the same rows")
    args = parser.parse_args(argv)
    if args.tasks < 0 or args.users < 1:
        parser.error("--tasks must be 0 or more and --users at least 1")
    return args


def run(argv: list[str] | None = None) -> int:
    """Seed in the current app context; prints the team id last on stdout. Returns the exit status."""
    args = parse(argv)
    started = clock.perf_counter()
    try:
        team_id = seed_team(args.owner, args.tasks, args.users, args.seed)
    except LookupError as exc:
        print(f"seed.py: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"seeded in {clock.perf_counter() - started:.1f} s", file=sys.stderr)
    print(team_id, flush=True)
    return 0


def main() -> int:
    app: Flask = create_app()
    with app.app_context():
        return run()


if __name__ == "__main__":
    sys.exit(main())
