"""Benchmark: the CPU time of one task edit, the stored forecast's refresh after commit included (prints
figures; asserts nothing). Run on a COPY of a bench database (it writes):

    .venv/bin/python bench/write_path.py sqlite:////work/dbs/<you>/s100k.db [edits] [--profile] [--full]

The first run on a copy creates newer tables and stores the forecast once (`flask refresh-forecast`).
Each edit changes one open, estimated task's estimate through tracker.tasks.update_task as its team's
owner (with its version) and reports CPU seconds of the update (commit and refresh), the people and tasks
whose queues were recomputed (summed over the refresh's rounds) and the rows written. --last edits the
task each of `edits` people works last instead; --full times the periodic pass too.
"""
from __future__ import annotations

import cProfile
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from tracker import create_app, stored_forecast, tasks  # noqa: E402
from tracker.config import Config  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import StoredForecast, Task, TeamMembership, User, task_blockers  # noqa: E402


class Counting:
    """Counts what one refresh does, by wrapping the functions it calls."""

    def __init__(self) -> None:
        self.people = self.tasks = self.rows = self.loads = 0
        wrapped_forecast, wrapped_store = stored_forecast.forecast, stored_forecast._store

        def forecast(items, schedules, now, *args, **kwargs):
            items = list(items)
            self.tasks += len(items)
            self.people += len({t.assignee_id for t in items if t.assignee_id is not None})
            return wrapped_forecast(items, schedules, now, *args, **kwargs)

        def store(session, rows, model=StoredForecast, keys=("task_id",)):
            if model is StoredForecast:
                self.rows += len(rows)
            else:
                self.loads += len(rows)
            return wrapped_store(session, rows, model, keys)

        stored_forecast.forecast, stored_forecast._store = forecast, store

    def reset(self) -> None:
        self.people = self.tasks = self.rows = self.loads = 0


def prepare() -> None:
    db.create_all()
    if db.session.scalar(select(func.count()).select_from(StoredForecast)) == 0:
        started = time.process_time()
        count = stored_forecast.refresh_all()
        print(f"refresh-forecast: {count} rows, {time.process_time() - started:.2f} s CPU")


def candidates(rng: random.Random, n: int) -> list[int]:
    """Open estimated tasks with an assignee, half of them linked by a blocker (those propagate)."""
    open_ = select(Task.id).where(Task.status != "done", Task.deleted_at.is_(None),
                                  Task.assignee_id.is_not(None), Task.estimate_hours.is_not(None))
    linked = set(db.session.scalars(select(task_blockers.c.blocker_id)))
    ids = list(db.session.scalars(open_.order_by(Task.id)))
    blockers = [i for i in ids if i in linked] or ids
    return [rng.choice(blockers if k % 2 == 0 else ids) for k in range(n)]


def last_in_queues(n: int) -> list[int]:
    """The task each of `n` people works last (a change to it moves no one else's queue)."""
    last = (select(StoredForecast.task_id).where(StoredForecast.projected_finish_at.is_not(None))
            .order_by(StoredForecast.projected_finish_at.desc()))
    people = db.session.scalars(select(StoredForecast.assignee_id).distinct()
                                .where(StoredForecast.assignee_id.is_not(None)).limit(n)).all()
    return [db.session.scalar(last.where(StoredForecast.assignee_id == p).limit(1)) for p in people]


def edit(task_id: int) -> None:
    task = db.session.get(Task, task_id)
    member = db.session.scalar(
        select(TeamMembership).join(User).where(TeamMembership.team_id == task.team_id,
                                                User.email == "bench-owner@example.com"))
    tasks.update_task(member, task, {"estimate_hours": (task.estimate_hours or 0) + 1}, task.version)


def main() -> None:
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 4
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)
    with app.app_context():
        prepare()
        counting = Counting()
        if "--full" in sys.argv:
            started = time.process_time()
            stored_forecast.refresh_all()
            print(f"periodic pass: {time.process_time() - started:.2f} s CPU")
        profile = cProfile.Profile() if "--profile" in sys.argv else None
        chosen = last_in_queues(n) if "--last" in sys.argv else candidates(random.Random(11), n)
        for task_id in chosen:
            counting.reset()
            db.session.expire_all()
            started = time.process_time()
            if profile:
                profile.enable()
            edit(task_id)
            if profile:
                profile.disable()
            cpu = time.process_time() - started
            print(f"edit task {task_id}: {cpu:.3f} s CPU; recomputed {counting.people} people's queues, "
                  f"{counting.tasks} tasks; wrote {counting.rows} forecast rows, {counting.loads} loads")
        if profile:
            pstats.Stats(profile).sort_stats("cumtime").print_stats(40)


if __name__ == "__main__":
    main()
