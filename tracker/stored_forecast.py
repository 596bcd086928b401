"""The deadline-risk forecast as stored data: one row per open task (tracker.models.StoredForecast),
and each member's workload per team (StoredPersonLoad, tracker.workload's rules over the same queues),
recomputed after every change that moves them and read by pages and the API like any column.

What moves a task's forecast is its assignee's queue, and through "blocked by" links the queues of the
people it waits for or who wait for it. The domain events name what changed; the receivers below note
the people and tasks concerned inside the change's transaction, and once it commits their whole
connected group of queues is recomputed in a transaction of its own, so the next read shows it. Time
moving on (slack shrinking, a deadline passing) is caught by `refresh_all`, the periodic pass that
`flask refresh-forecast` runs from cron; it is idempotent, so several hosts may run it.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import has_app_context
from sqlalchemy import and_, delete, event, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from . import events
from .extensions import db
from .forecast import ForecastTask, TaskForecast, WorkSchedule, explain, forecast, schedule_of
from .models import (
    StoredForecast,
    StoredPersonLoad,
    Task,
    TeamMembership,
    TimeEntry,
    User,
    task_blockers,
    utcnow,
)
from .workload import load_row, workload

log = logging.getLogger(__name__)

_PENDING = "tracker.forecast_pending"
_DEFERRED = "tracker.forecast_deferred"
# Fields whose change moves a forecast: the queue's order and length, and the links between queues.
MOVING_FIELDS = frozenset(
    {"status", "due_at", "queue_at", "priority", "estimate_hours", "assignee_id", "blocked_by"}
)
_BATCH = 2000
_LOAD_KEYS = ("team_id", "user_id")


def clock() -> datetime:
    """"Now" for the forecast (tests freeze it to compare stored and recomputed values)."""
    return utcnow()


# Receivers of the domain events (connected in tracker/subscribers.py) ----------------------------------


def _note(people: Iterable[int | None] = (), tasks: Iterable[int] = ()) -> None:
    pending = db.session.info.setdefault(_PENDING, (set(), set()))
    pending[0].update(p for p in people if p is not None)
    pending[1].update(tasks)


def on_task_event(task: Task, **_) -> None:
    """Created, trashed or restored: the task and its assignee's queue."""
    _note([task.assignee_id], [task.id])


def on_task_changed(task: Task, *, changes: dict, **_) -> None:
    if changes.keys() & MOVING_FIELDS:
        before = changes.get("assignee_id", (None, None))[0]
        _note([task.assignee_id, before], [task.id])


def on_time_logged(task: Task, **_) -> None:
    """Logged time shortens what remains of the task."""
    _note([task.assignee_id], [task.id])


def on_person_changed(_sender, *, user_id: int | None = None, **_) -> None:
    """Membership or working hours: that person's queue (the sender is a team or the user)."""
    _note([user_id if user_id is not None else getattr(_sender, "id", None)])


@contextmanager
def deferred() -> Iterator[None]:
    """Within the block, each commit keeps the forecast work it noted; it is done once, at the end, over
    all of it (a bulk change of 200 tasks recomputes the queues once, not 200 times). A rollback inside
    keeps what earlier commits noted: recomputing a queue that did not move is only wasted work."""
    db.session.info[_DEFERRED] = True
    try:
        yield
    finally:
        db.session.info.pop(_DEFERRED, None)
        _refresh_pending(db.session.info.pop(_PENDING, None))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if not session.info.get(_DEFERRED):
        _refresh_pending(session.info.pop(_PENDING, None))


def _refresh_pending(pending: tuple[set[int], set[int]] | None) -> None:
    if pending and has_app_context():
        try:
            with Session(db.engine) as own:
                refresh(own, *pending)
        except Exception:  # the change is committed; the periodic pass repairs what this missed
            log.exception("refreshing the stored forecast failed")


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.info.get(_DEFERRED):
        session.info.pop(_PENDING, None)


# Computing ------------------------------------------------------------------------------------------


_OPEN = and_(Task.status != "done", Task.deleted_at.is_(None))


def _group(session: Session, people: set[int], task_ids: set[int]) -> set[int]:
    """`people`, the assignees of `task_ids`' neighbours, and everyone linked to them through "blocked
    by" links between open tasks, both ways."""
    people, given = set(people), Task.id.in_(task_ids)  # given tasks even when done or trashed now
    while True:
        theirs = select(Task.id).where(or_(and_(_OPEN, Task.assignee_id.in_(people)), given))
        blockers = select(task_blockers.c.blocker_id).where(task_blockers.c.task_id.in_(theirs))
        waiting = select(task_blockers.c.task_id).where(task_blockers.c.blocker_id.in_(theirs))
        linked = set(
            session.scalars(
                select(Task.assignee_id).distinct().where(
                    _OPEN, Task.assignee_id.is_not(None), or_(Task.id.in_(blockers), Task.id.in_(waiting))
                )
            )
        )
        if linked <= people:
            return people
        people |= linked


def _scope(group: set[int], task_ids: set[int]):
    """The tasks to compute: the group's queues, the given tasks, and every open task they wait for
    (an unassigned blocker must be seen as open, or the forecast would take it for finished)."""
    mine = or_(Task.assignee_id.in_(group), Task.id.in_(task_ids))
    waiting = select(Task.id).where(mine)
    waited_for = select(task_blockers.c.blocker_id).where(task_blockers.c.task_id.in_(waiting))
    return or_(mine, Task.id.in_(waited_for))


def _inputs(session: Session, scope) -> tuple[list, dict[int, WorkSchedule]]:
    """The open tasks in `scope` (a condition on Task) as the forecast sees them, and their assignees'
    working schedules, in four queries whatever their number."""
    columns = (Task.id, Task.team_id, Task.assignee_id, Task.due_at, Task.priority, Task.estimate_hours,
               Task.queue_at)
    rows = session.execute(select(*columns).where(_OPEN, scope)).all()
    in_scope = select(Task.id).where(_OPEN, scope)
    spent = dict(
        session.execute(
            select(TimeEntry.task_id, func.sum(TimeEntry.hours))
            .where(TimeEntry.task_id.in_(in_scope))
            .group_by(TimeEntry.task_id)
        ).all()
    )
    blockers: dict[int, list[int]] = defaultdict(list)
    for task_id, blocker_id in session.execute(
        select(task_blockers.c.task_id, task_blockers.c.blocker_id).where(
            task_blockers.c.task_id.in_(in_scope)
        )
    ):
        blockers[task_id].append(blocker_id)
    people = select(Task.assignee_id).where(_OPEN, scope)
    schedules = {u.id: schedule_of(u) for u in session.scalars(select(User).where(User.id.in_(people)))}
    tasks = [
        ForecastTask(
            id=r.id, assignee_id=r.assignee_id, due_at=r.due_at, priority=r.priority,
            estimate_hours=r.estimate_hours, spent_hours=round(float(spent.get(r.id) or 0), 2),
            blocked_by=tuple(blockers.get(r.id, ())), queue_at=r.queue_at,
        )
        for r in rows
    ]
    return [(r.team_id, t) for r, t in zip(rows, tasks, strict=True)], schedules


def compute(session: Session, scope, now: datetime) -> dict[int, dict]:
    """The forecast of the open tasks in `scope`, as rows for the task_forecasts table."""
    return _recompute(session, scope, None, now)[0]


def _recompute(session: Session, scope, members, now: datetime) -> tuple[dict[int, dict], list[dict]]:
    """The forecast of the open tasks in `scope` (rows for task_forecasts), and the load of each
    membership that `members` (a condition on TeamMembership; None: none) selects, over the person's
    open tasks of that team, which `scope` must hold all of (rows for person_loads)."""
    teamed, schedules = _inputs(session, scope)
    results = forecast([t for _team, t in teamed], schedules, now)
    rows = {t.id: _row(results[t.id], team_id, t.assignee_id, now) for team_id, t in teamed}
    if members is None:
        return rows, []
    queues: dict[tuple[int, int], list] = defaultdict(list)
    for team_id, t in teamed:
        if t.assignee_id is not None:  # (deadline, remaining hours), as workload() takes them
            queues[team_id, t.assignee_id].append((t.due_at, rows[t.id]["remaining_hours"]))
    memberships = session.execute(
        select(TeamMembership.team_id, User).join(User, User.id == TeamMembership.user_id).where(members)
    )
    loads = [load_row(team, workload(user, queues[team, user.id], now), now) for team, user in memberships]
    return rows, loads


def _row(f: TaskForecast, team_id: int, assignee_id: int | None, now: datetime) -> dict:
    return {
        "task_id": f.task_id, "team_id": team_id, "assignee_id": assignee_id,
        "projected_finish_at": f.projected_finish_at, "at_risk": f.at_risk, "slack_hours": f.slack_hours,
        "remaining_hours": f.remaining_hours, "reason": f.reason, "earlier_tasks": f.earlier_tasks,
        "available_hours": f.available_hours, "waits_for": list(f.waits_for),
        "unscheduled_blockers": list(f.unscheduled_blockers), "cycle_blockers": list(f.cycle_blockers),
        "computed_at": now,
    }


def _store(session: Session, rows: list[dict], model=StoredForecast, keys=("task_id",)) -> None:
    """Insert or replace rows, in key order (two writers then lock rows in the same order), as one
    executemany of a cached statement per batch (a multi-row VALUES of 2,000 rows took longer to compile
    than to run)."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = sorted(rows, key=lambda r: tuple(r[k] for k in keys))
    stmt = insert(model.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in rows[0] if c not in keys}
    )
    for start in range(0, len(rows), _BATCH):
        session.execute(stmt, rows[start : start + _BATCH])


def _changed(session: Session, rows: list[dict], where, model=StoredForecast, keys=("task_id",)) -> list[dict]:
    """Those of `rows` that differ from what is stored (or are not stored yet) among the stored rows that
    `where` selects: only those are written, so a change that moves a few forecasts writes a few rows."""
    if not rows:
        return []
    table = model.__table__
    stored = {tuple(old[k] for k in keys): old for old in session.execute(select(table).where(where)).mappings()}
    return [row for row in rows if _differs(row, stored.get(tuple(row[k] for k in keys)))]


def _differs(row: dict, old) -> bool:
    return old is None or any(old[name] != value for name, value in row.items())


def _store_loads(session: Session, loads: list[dict], people) -> None:
    """Insert or replace the loads, and drop those of `people` (a condition on StoredPersonLoad) whose
    membership has ended."""
    member = select(TeamMembership.user_id).where(
        TeamMembership.team_id == StoredPersonLoad.team_id, TeamMembership.user_id == StoredPersonLoad.user_id
    )
    session.execute(delete(StoredPersonLoad).where(people, ~member.exists()))
    _store(session, loads, StoredPersonLoad, _LOAD_KEYS)


def refresh(session: Session, people: set[int], task_ids: set[int], now: datetime | None = None) -> int:
    """Recompute the queues of `people` and everyone linked to them, and the tasks `task_ids`, for the
    "now" of the forecast they are part of (`as_of`); tasks among these that are no longer open lose
    their row. The loads of these people in each of their teams are recomputed, and dropped where they
    are no longer members. Only rows whose values changed are written. Commits; returns how many
    forecast rows were written."""
    now = now or as_of(session, people, task_ids)
    group = _group(session, people, task_ids)
    # The scope holds every open task of the group's people, so their loads are whole.
    scope = _scope(group, task_ids)
    rows, loads = _recompute(session, scope, TeamMembership.user_id.in_(group), now)
    teams = _drop_closed(session, group, task_ids, rows)
    written = _changed(session, list(rows.values()), StoredForecast.task_id.in_(select(Task.id).where(scope)))
    _store(session, written)
    kept = StoredPersonLoad.user_id.in_(group)
    _store_loads(session, _changed(session, loads, kept, StoredPersonLoad, _LOAD_KEYS), kept)
    events.forecast_refreshed.send(session, team_ids=teams | {row["team_id"] for row in written})
    session.commit()
    return len(written)


def as_of(session: Session, people: set[int], task_ids: set[int]) -> datetime:
    """The "now" a change's refresh computes for: that of the stored forecast of the people's queues and
    the tasks (the last periodic pass), so that what the change did not move stays as it is; the clock
    where none is stored yet. The periodic pass moves it forward."""
    stored = session.scalar(
        select(func.max(StoredForecast.computed_at)).where(
            or_(StoredForecast.assignee_id.in_(people), StoredForecast.task_id.in_(task_ids))
        )
    )
    return stored or clock()


def _drop_closed(session: Session, group: set[int], task_ids: set[int], rows: dict) -> set[int]:
    """Delete the rows of the given tasks that are no longer open, and the rows of the group's people
    whose tasks closed (a reassigned task is in task_ids); returns the teams those rows were in."""
    gone = StoredForecast.task_id.in_(set(task_ids) - set(rows))
    if group:
        closed = StoredForecast.task_id.not_in(select(Task.id).where(_OPEN))
        gone = or_(gone, and_(StoredForecast.assignee_id.in_(group), closed))
    teams = set(session.scalars(select(StoredForecast.team_id).distinct().where(gone)))
    if teams:
        session.execute(delete(StoredForecast).where(gone))
    return teams


def refresh_all(session: Session | None = None, now: datetime | None = None) -> int:
    """Recompute every open task's forecast and every member's load, and drop the rows of tasks no longer
    open and of memberships that ended (the periodic pass; safe to run on several hosts at once, since each
    run inserts or replaces the same values for its `now`)."""
    session = session or db.session
    now = now or clock()
    rows, loads = _recompute(session, true(), true(), now)
    session.execute(delete(StoredForecast).where(StoredForecast.task_id.not_in(select(Task.id).where(_OPEN))))
    _store(session, list(rows.values()))
    _store_loads(session, loads, true())
    events.forecast_refreshed.send(session, team_ids=None)
    session.commit()
    return len(rows)


# Reading --------------------------------------------------------------------------------------------


@dataclass
class StoredTeamForecast:
    """The stored forecasts of some tasks, with what is needed to explain each one."""

    rows: dict[int, StoredForecast]
    schedules: dict[int, WorkSchedule]
    names: dict[int, str]
    due: dict[int, datetime | None]

    def result(self, task_id: int) -> TaskForecast | None:
        row = self.rows.get(task_id)
        if row is None:
            return None
        return TaskForecast(
            task_id=row.task_id, projected_finish_at=row.projected_finish_at, at_risk=row.at_risk,
            slack_hours=row.slack_hours, remaining_hours=row.remaining_hours, reason=row.reason,
            earlier_tasks=row.earlier_tasks, available_hours=row.available_hours,
            waits_for=tuple(row.waits_for or ()), unscheduled_blockers=tuple(row.unscheduled_blockers or ()),
            cycle_blockers=tuple(row.cycle_blockers or ()),
        )

    @property
    def results(self) -> dict[int, TaskForecast]:
        return {task_id: self.result(task_id) for task_id in self.rows}

    def at_risk(self, task_id: int) -> bool:
        row = self.rows.get(task_id)
        return bool(row and row.at_risk)

    def explain(self, task_id: int, viewer: str | None = None) -> str | None:
        """Why the task is (not) at risk; times in the `viewer`'s zone when given (pages), each labelled."""
        result = self.result(task_id)
        if result is None:
            return None
        person = self.rows[task_id].assignee_id
        schedule = self.schedules.get(person) or WorkSchedule()
        name = self.names.get(person, "the assignee")
        return explain(result, name, schedule, self.due.get(task_id), viewer)

    @property
    def as_of(self) -> datetime | None:
        """When the oldest of these forecasts was computed (what a page says about freshness)."""
        return min((row.computed_at for row in self.rows.values()), default=None)


def open_in_team(team_id: int):
    """The SELECT of a team's open task ids (to load a whole team's forecasts without listing ids)."""
    return select(Task.id).where(Task.team_id == team_id, _OPEN)


def load(task_scope) -> StoredTeamForecast:
    """The stored forecasts of the tasks that `task_scope` selects (a SELECT of task ids, or a list of
    ids of one page), in two queries whatever their number."""
    found = db.session.execute(
        select(StoredForecast, Task.due_at)
        .join(Task, Task.id == StoredForecast.task_id)
        .where(StoredForecast.task_id.in_(task_scope))
    ).all()
    rows = {row.task_id: row for row, _due in found}
    people = {row.assignee_id for row in rows.values() if row.assignee_id is not None}
    users = list(db.session.scalars(select(User).where(User.id.in_(people))))
    return StoredTeamForecast(
        rows=rows,
        schedules={u.id: schedule_of(u) for u in users},
        names={u.id: u.name for u in users},
        due={row.task_id: due for row, due in found},
    )
