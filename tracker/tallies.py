"""The dashboard's daily tallies, so that its burn-up and per-category counts add up a few hundred rows
whatever the number of tasks: BurnupDay (estimate created and estimate done per team and UTC day) and
CategoryDay (open and at-risk tasks per team, category and UTC day of deadline); and so that the task
list's total need not count the team: StatusTotal (live tasks per team and status).

As for the stored forecast, the receivers of the task events note the (team, day) keys a change touches
inside its transaction, and once it commits those days are recounted from the tasks in a transaction of
their own. Recounting from the source (never adding deltas) makes a recount idempotent: running it twice,
or on several hosts, writes the same rows. At-risk flags move when the stored forecast is recomputed, so
its refresh announces that (events.forecast_refreshed) and the team's category tallies are recounted in
the same transaction. `rebuild` recounts everything: the periodic pass, an imported team. A status total
is written only under a lock on its team's totals (see recount_statuses), so that of two recounts at once
the last to write has counted after both changes.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, delete, false, func, literal, or_, select, true, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .after_commit import AfterCommit
from .extensions import db
from .models import BurnupDay, CategoryDay, StatusTotal, StoredForecast, Task, Team
from .tasks import OPEN_TASK

UNDATED = date(9999, 12, 31)  # the "day" of open tasks without a deadline in CategoryDay
EVERY_DAY = None  # a key's day meaning all the team's days (a reopened task's completion day is gone)
EVERY_STATUS = None  # recount_statuses' statuses meaning all of them
_STATUS_LOCK = 0x5747  # PostgreSQL advisory locks (this, team id): a team's status totals being recounted
DAY = timedelta(days=1)
_BATCH = 1000


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def day_of(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(UTC).date()


# Receivers of the domain events (connected in tracker/subscribers.py) ----------------------------------


def _pending() -> tuple[set, set, set]:
    """The keys noted in this transaction: (team, day) of the burn-up and of the category counts, and
    (team, status) of the status totals."""
    return _AFTER.pending()


def _note_task(task: Task, burnup: bool = True, due: Iterable[datetime | None] = ()) -> None:
    burnup_keys, category_keys, _ = _pending()
    if burnup:
        burnup_keys.update((task.team_id, day_of(m)) for m in (task.created_at, task.completed_at) if m)
    category_keys.update((task.team_id, day_of(m) or UNDATED) for m in (task.due_at, *due))


def on_task_event(task: Task, **_) -> None:
    """Created, trashed or restored: its creation and completion days, its deadline's day, its status."""
    _note_task(task)
    _pending()[2].add((task.team_id, task.status))


def on_task_changed(task: Task, *, changes: dict, **_) -> None:
    moved = changes.keys() & {"estimate_hours", "status"}
    if moved and changes.get("status", ("",))[0] == "done":  # reopened: which day it was done is gone
        _pending()[0].add((task.team_id, EVERY_DAY))
    if "status" in changes:
        _pending()[2].update((task.team_id, status) for status in changes["status"])
    if moved or changes.keys() & {"due_at", "category"}:
        _note_task(task, bool(moved), [changes["due_at"][0]] if "due_at" in changes else [])


def on_forecast_refreshed(session: Session, *, team_ids: set[int] | None, **_) -> None:
    """The stored forecast was recomputed in `session` (not yet committed) for `team_ids`: their at-risk
    counts are recounted with it. None is the periodic pass over all: every tally is rebuilt with it."""
    if team_ids is None:
        rebuild(session)
    for team_id in _teams(session, team_ids or set()):
        recount_categories(session, team_id, EVERY_DAY)


def deferred():
    """Within the block the keys the commits noted are recounted once, at the end: tracker/after_commit.py."""
    return _AFTER.deferred()


# Counting -------------------------------------------------------------------------------------------


def _by_team(keys: Iterable[tuple[int, Any]]) -> dict[int, set | None]:
    """Days (or statuses) per team; None (EVERY_DAY) when any key says every day."""
    days: dict[int, set | None] = defaultdict(set)
    for team_id, day in keys:
        if day is EVERY_DAY or days[team_id] is EVERY_DAY:
            days[team_id] = EVERY_DAY
        else:
            days[team_id].add(day)
    return days


def recount(session: Session, burnup_keys: set, category_keys: set, status_keys: set) -> None:
    """Recount the noted keys of the tallies from the tasks, and commit."""
    for team_id, days in sorted(_by_team(burnup_keys).items()):
        recount_burnup(session, team_id, days)
    for team_id, days in sorted(_by_team(category_keys).items()):
        recount_categories(session, team_id, days)
    for team_id, statuses in sorted(_by_team(status_keys).items()):
        recount_statuses(session, team_id, statuses)
    session.commit()


def rebuild(session: Session | None = None, team_ids: set[int] | None = None) -> None:
    """Recount every day of `team_ids` (None: every team); the caller commits."""
    session = session or db.session
    for team_id in _teams(session, team_ids):
        recount_burnup(session, team_id, EVERY_DAY)
        recount_categories(session, team_id, EVERY_DAY)
        recount_statuses(session, team_id, EVERY_STATUS)


def _teams(session: Session, team_ids: set[int] | None) -> list[int]:
    return sorted(team_ids if team_ids is not None else session.scalars(select(Team.id)))


def _day_expression(session: Session, column):
    """The UTC day of a time column, as a date, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column), type_=Date)
    return func.date(column, type_=Date)


def _within(column, days: set[date] | None):
    """`column` falls on one of `days` (every day when None)."""
    if days is EVERY_DAY:
        return true()
    dated = [and_(column >= start_of(d), column < start_of(d) + DAY) for d in sorted(days) if d != UNDATED]
    return or_(false(), *dated, *([column.is_(None)] if UNDATED in days else []))


def recount_burnup(session: Session, team_id: int, days: set[date] | None) -> None:
    """The estimate of the team's live tasks created on each of `days`, and of those done on each."""
    created = _day_expression(session, Task.created_at)
    completed = _day_expression(session, Task.completed_at)
    live = and_(Task.team_id == team_id, Task.deleted_at.is_(None))
    hours = func.coalesce(Task.estimate_hours, 0.0)
    scope = select(created.label("day"), hours.label("scope"), literal(0.0).label("done")).where(
        live, _within(Task.created_at, days)
    )
    done = select(completed, literal(0.0), hours).where(
        live, Task.status == "done", Task.completed_at.is_not(None), _within(Task.completed_at, days)
    )
    both = union_all(scope, done).subquery()
    found = session.execute(
        select(both.c.day, func.sum(both.c.scope), func.sum(both.c.done)).group_by(both.c.day)
    ).all()
    rows = [{"team_id": team_id, "day": day, "scope_hours": s, "done_hours": d} for day, s, d in found]
    _replace(session, BurnupDay, and_(BurnupDay.team_id == team_id, _among(BurnupDay.day, days)), rows)


def recount_categories(session: Session, team_id: int, days: set[date] | None) -> None:
    """Open live tasks and those at risk per category, for the deadlines on each of `days`."""
    due = _day_expression(session, Task.due_at)
    at_risk = func.sum(case((StoredForecast.at_risk, 1), else_=0))
    found = session.execute(
        select(Task.category_id, due, func.count(), at_risk)
        .outerjoin(StoredForecast, StoredForecast.task_id == Task.id)
        .where(Task.team_id == team_id, Task.deleted_at.is_(None), OPEN_TASK, _within(Task.due_at, days))
        .group_by(Task.category_id, due)
    ).all()
    rows = [
        {"team_id": team_id, "category_id": category, "day": day or UNDATED, "open_tasks": n,
         "at_risk_tasks": risky or 0}
        for category, day, n, risky in found
    ]
    scope = and_(CategoryDay.team_id == team_id, _among(CategoryDay.day, days))
    _replace(session, CategoryDay, scope, rows)


def recount_statuses(session: Session, team_id: int, statuses: set[str] | None) -> None:
    """The team's live tasks with each of `statuses` (every status when None). The team's totals are
    locked before counting (PostgreSQL: an advisory lock; SQLite: the write lock its DELETE takes) and
    stay so until the commit: a concurrent recount waits and then counts what this one could not see."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_STATUS_LOCK, team_id)))
    scope = and_(StatusTotal.team_id == team_id, _among(StatusTotal.status, statuses))
    session.execute(delete(StatusTotal).where(scope))
    found = session.execute(
        select(Task.status, func.count())
        .where(Task.team_id == team_id, Task.deleted_at.is_(None), _among(Task.status, statuses))
        .group_by(Task.status)
    ).all()
    _replace(session, StatusTotal, scope, [{"team_id": team_id, "status": s, "tasks": n} for s, n in found])


def _among(column, values: set | None):
    """`column` is one of `values` (any value when None: EVERY_DAY, EVERY_STATUS)."""
    return true() if values is None else column.in_(sorted(values))


def _replace(session: Session, model, scope, rows: list[dict]) -> None:
    """Rows of `model` in `scope` become `rows`: the others go, these are inserted or updated (a
    concurrent recount of the same day then updates rather than fails)."""
    session.execute(delete(model).where(scope))
    if not rows:
        return
    keys = [c.name for c in model.__table__.primary_key.columns]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = sorted(rows, key=lambda r: tuple(r[k] for k in keys))  # rows locked in one order by all
    for start in range(0, len(rows), _BATCH):
        stmt = insert(model).values(rows[start : start + _BATCH])
        values = {name: stmt.excluded[name] for name in rows[0] if name not in keys}
        session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=values))


# The keys noted in a transaction, recounted once it commits (tracker/after_commit.py).
_AFTER = AfterCommit("tallies", 3, lambda session, *keys: recount(session, *keys))
