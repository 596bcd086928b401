"""The deadline-risk forecast as stored data: one row per open task (tracker.models.StoredForecast),
and each member's workload per team (StoredPersonLoad, tracker.workload's rules over the same queues),
recomputed after every change that moves them and read by pages and the API like any column.

What moves a task's forecast is its assignee's queue, and through "blocked by" links the queues of the
people it waits for or who wait for it. The domain events name what changed; the receivers below note
the people and tasks concerned inside the change's transaction, and once it commits the queues it moved
are recomputed in a transaction of its own, so the next read shows it: theirs first, with the stored
finishes of the tasks they wait for, then those of the people waiting for a task whose finish moved,
until nothing more moves (`_propagate`), for the "now" the stored forecast was computed for; only rows
whose values changed are written. Time moving on (slack shrinking, a deadline passing) is caught by
`refresh_all`, the periodic pass that `flask refresh-forecast` runs from cron; it is idempotent, so
several hosts may run it.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from . import events
from .after_commit import AfterCommit
from .extensions import db
from .forecast import (
    ForecastTask,
    TaskForecast,
    WorkSchedule,
    explain,
    forecast,
    links_closing_cycles,
    schedule_of,
)
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

# Fields whose change moves a forecast: the queue's order and length, and the links between queues.
MOVING_FIELDS = frozenset(
    {"status", "due_at", "queue_at", "priority", "estimate_hours", "assignee_id", "blocked_by"}
)
_BATCH = 2000
_LOAD_KEYS = ("team_id", "user_id")
_FEW = 6  # a change reaching this many people, and a quarter of its teams', recomputes their whole group


# `flask refresh-forecast` runs every 10 minutes (README); a stored "now" older than this means it does not.
PASS_LATE = timedelta(minutes=30)


def clock() -> datetime:
    """"Now" for the forecast (tests freeze it to compare stored and recomputed values)."""
    return utcnow()


# Receivers of the domain events (connected in tracker/subscribers.py) ----------------------------------


def _note(people: Iterable[int | None] = (), tasks: Iterable[int] = ()) -> None:
    pending = _AFTER.pending()
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


def deferred():
    """Within the block the queues the commits moved are recomputed once, at the end (a bulk change of 200
    tasks recomputes them once, not 200 times): tracker/after_commit.py."""
    return _AFTER.deferred()


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


def _recompute(session: Session, scope, members, now: datetime, outside: dict | None = None
               ) -> tuple[dict[int, dict], list[dict]]:
    """The forecast of the open tasks in `scope` (rows for task_forecasts), and the load of each
    membership that `members` (a condition on TeamMembership; None: none) selects, over the person's
    open tasks of that team, which `scope` must hold all of (rows for person_loads). `outside`: the
    projected finishes of open tasks out of `scope` that tasks in it wait for (see forecast())."""
    teamed, schedules = _inputs(session, scope)
    results = forecast([t for _team, t in teamed], schedules, now, outside)
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


def _changed(session: Session, rows: list[dict], where, model=StoredForecast, keys=("task_id",)
             ) -> list[dict]:
    """Those of `rows` that differ from what is stored (or are not stored yet) among the stored rows that
    `where` selects: only those are written, so a change that moves a few forecasts writes a few rows."""
    if not rows:
        return []
    table = model.__table__
    found = session.execute(select(table).where(where)).mappings()
    stored = {tuple(old[k] for k in keys): old for old in found}
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
    found = _propagate(session, people, task_ids, now) or _whole(session, people, task_ids, now)
    group, scope, rows, loads = found
    teams = _drop_closed(session, group, task_ids, rows)
    written = _changed(session, list(rows.values()), StoredForecast.task_id.in_(select(Task.id).where(scope)))
    _store(session, written)
    kept = StoredPersonLoad.user_id.in_(group)
    _store_loads(session, _changed(session, loads, kept, StoredPersonLoad, _LOAD_KEYS), kept)
    events.forecast_refreshed.send(session, team_ids=teams | {row["team_id"] for row in written})
    session.commit()
    return len(written)


def _whole(session: Session, people: set[int], task_ids: set[int], now: datetime):
    """The people's whole connected group of queues recomputed together (where blocker links close a
    cycle, which only a computation over all of them breaks as the periodic pass does)."""
    group = _group(session, people, task_ids)
    # The scope holds every open task of the group's people, so their loads are whole.
    scope = _scope(group, task_ids)
    return (group, scope, *_recompute(session, scope, TeamMembership.user_id.in_(group), now))


def _propagate(session: Session, people: set[int], task_ids: set[int], now: datetime):
    """The queues a change moved, recomputed with the stored finishes of the tasks they wait for outside
    them: first the people noted and the given tasks' assignees; then, until nothing more moves, also
    those waiting for a task whose projected finish (or being open at all) changed, or whose queue meets
    theirs at the very instant a blocker with no work left finishes (where the order in which the
    simulation visits people at one instant decides). Equal to a recomputation of the whole group.
    Returns (people, scope, forecast rows, loads); None where blocker links close a cycle or the change
    reaches a good part of the people of its teams (their whole group is then computed at once)."""
    if _cyclic(session):
        return None
    assignees = session.scalars(select(Task.assignee_id).where(_OPEN, Task.id.in_(task_ids)))
    group = (set(people) | set(assignees)) - {None}
    extra = set(task_ids)  # the given tasks, and unassigned tasks waiting for a moved one
    while True:
        scope = or_(Task.assignee_id.in_(group), Task.id.in_(extra))
        outside, stale = _outside(session, scope, now)
        if stale - group:  # stored for another "now", or not at all: recomputed too
            group |= stale
            continue
        rows, loads = _recompute(session, scope, TeamMembership.user_id.in_(group), now, outside)
        stored = _stored_finishes(session, scope)
        moved = {i for i, r in rows.items() if i not in stored or stored[i][0] != r["projected_finish_at"]}
        reached, waiting = _waiting(session, moved | (set(task_ids) - set(rows)))
        reached |= _tied(session, rows, stored, now)
        if reached <= group and waiting <= extra:
            return group, scope, rows, loads
        group, extra = group | reached, extra | waiting
        if len(group) >= _FEW and 4 * len(group) > _people_linked(session, group):
            return None  # a good part of them: at once, rather than in rounds that each recompute all so far


def _people_linked(session: Session, people: set[int]) -> int:
    """How many people have open tasks in the teams of `people` (at most, those the change can reach)."""
    teams = select(TeamMembership.team_id).where(TeamMembership.user_id.in_(people))
    return session.scalar(
        select(func.count(StoredForecast.assignee_id.distinct())).where(StoredForecast.team_id.in_(teams))
    ) or 0


def _cyclic(session: Session) -> bool:
    """Whether blocker links between open tasks close a cycle anywhere (the forms refuse them, but a
    direct write or an old import may have made one)."""
    blocker = aliased(Task)
    links: dict[int, list[int]] = defaultdict(list)
    for task_id, blocker_id in session.execute(
        select(task_blockers.c.task_id, task_blockers.c.blocker_id)
        .join(Task, Task.id == task_blockers.c.task_id)
        .join(blocker, blocker.id == task_blockers.c.blocker_id)
        .where(_OPEN, blocker.status != "done", blocker.deleted_at.is_(None))
    ):
        links[task_id].append(blocker_id)
    every = {**{b: () for bs in links.values() for b in bs}, **links}
    return bool(links_closing_cycles(every))


def _outside(session: Session, scope, now: datetime) -> tuple[dict[int, datetime | None], set[int]]:
    """The open tasks out of `scope` that tasks in it wait for, with their stored projected finish, and
    the people whose stored rows among these are missing or of another "now"."""
    in_scope = select(Task.id).where(_OPEN, scope)
    waited = select(task_blockers.c.blocker_id).where(task_blockers.c.task_id.in_(in_scope))
    found = session.execute(
        select(Task.id, Task.assignee_id, StoredForecast.assignee_id.label("stored_assignee"),
               StoredForecast.projected_finish_at, StoredForecast.computed_at)
        .outerjoin(StoredForecast, StoredForecast.task_id == Task.id)
        .where(_OPEN, Task.id.in_(waited), Task.id.not_in(in_scope))
    ).all()
    outside, stale = {}, set()
    for row in found:
        if row.assignee_id is None:
            outside[row.id] = None
        elif row.computed_at != now or row.stored_assignee != row.assignee_id:
            stale.add(row.assignee_id)
        else:
            outside[row.id] = row.projected_finish_at
    return outside, stale


def _stored_finishes(session: Session, scope) -> dict[int, tuple]:
    """The stored (projected finish, remaining hours, assignee, earlier tasks) of the tasks in `scope`, as
    they were before the change."""
    found = session.execute(
        select(StoredForecast.task_id, StoredForecast.projected_finish_at, StoredForecast.remaining_hours,
               StoredForecast.assignee_id, StoredForecast.earlier_tasks)
        .where(StoredForecast.task_id.in_(select(Task.id).where(scope)))
    )
    return {task_id: tuple(rest) for task_id, *rest in found}


def _diverges(rows: dict[int, dict], stored: dict[int, tuple], now: datetime
              ) -> tuple[datetime | None, set[int]]:
    """The earliest instant from which the queues of `rows` may be worked differently than before (None:
    never): the end of the task each person worked just before the first one that changed; and the
    people whose tasks changed."""
    old = {(person, place): at for at, _, person, place in stored.values() if at is not None}
    new = {(r["assignee_id"], r["earlier_tasks"]): r["projected_finish_at"] for r in rows.values()
           if r["projected_finish_at"] is not None}
    since, people = None, set()
    for task_id in rows.keys() | stored.keys():
        row, before = rows.get(task_id), stored.get(task_id)
        then = (row["projected_finish_at"], row["remaining_hours"], row["assignee_id"], row["earlier_tasks"]
                ) if row else None
        if then == before:
            continue
        for finished, state in ((new, then), (old, before)):
            if state is not None and state[0] is not None:  # worked in the simulation: picked at `start`
                person, place = state[2], state[3]
                people.add(person)
                start = finished.get((person, place - 1), now) if place else now
                since = start if since is None else min(since, start)
    return since, people


def _waiting(session: Session, moved: set[int]) -> tuple[set[int], set[int]]:
    """The assignees of open tasks waiting for one of `moved`, and those of them that nobody is assigned.
    (The links are read whole and filtered here: keyed by blocker, SQLite would walk every task.)"""
    link = task_blockers.c
    waiting = {task_id for task_id, blocker_id in session.execute(select(link.task_id, link.blocker_id))
               if blocker_id in moved}
    people, unassigned = set(), set()
    for part in _chunks(sorted(waiting), _BATCH):
        found = session.execute(select(Task.id, Task.assignee_id).where(_OPEN, Task.id.in_(part)))
        for task_id, assignee_id in found:
            (unassigned.add(task_id) if assignee_id is None else people.add(assignee_id))
    return people, unassigned


def _tied(session: Session, rows: dict[int, dict], stored: dict[int, tuple], now: datetime) -> set[int]:
    """People whose queues must be computed with those of `rows` because the simulation's order of visiting
    people at one instant decides between them. That happens where a blocker with no work left finishes
    at the very instant its dependent (another person's) is released, and that person looks for work
    at that instant anyway (at "now", at the end of another task, or for another task released then).
    Everyone tied to such a person at that instant through links of that kind (before or after the
    change) is computed with them as soon as one of them works differently than before (whose queue
    then moves); elsewhere the order cannot change anything, nor before the instant from which any
    queue is worked differently."""
    since, changed = _diverges(rows, stored, now)
    if since is None:
        return set()
    links, waits, before = _cross_links(session)
    after = {k: v for k, v in before.items() if k not in stored}  # (projected finish, remaining hours)
    after.update((k, (r["projected_finish_at"], r["remaining_hours"])) for k, r in rows.items())
    tied: set[int] = set()
    for state, new in ((before, {}), (after, rows)):
        released = {d: max((state[b][0] for b in bs if state.get(b, (None,))[0] is not None), default=None)
                    for d, bs in waits.items()}
        # A blocker with no work left (remaining hours rounded to 0: at most 18 s) finishing as it releases.
        meets = [(at, x, y) for d, x, b, y in links if state.get(b, (None, None))[1] == 0
                 and (at := state[b][0]) is not None and at == released[d] and at >= since]
        if meets:
            looking = _looking(session, {at for at, _, _ in meets}, new, stored if new else {})
            twice = Counter((x, released[d]) for d, x in {(d, x) for d, x, _, _ in links})
            looking |= {key for key, count in twice.items() if count > 1}  # two tasks released at once
            tied |= _ties(meets, looking, changed, now)
    return tied


def _cross_links(session: Session) -> tuple[list, dict[int, set[int]], dict[int, tuple]]:
    """Every link between open tasks of two different people as (task, assignee, blocker, assignee); the
    blockers of each such task; and the stored (projected finish, remaining hours) of those blockers."""
    dependent, blocker = aliased(Task), aliased(Task)
    link = task_blockers.c
    links = session.execute(
        select(link.task_id, dependent.assignee_id, link.blocker_id, blocker.assignee_id)
        .join(dependent, dependent.id == task_blockers.c.task_id)
        .join(blocker, blocker.id == task_blockers.c.blocker_id)
        .where(dependent.assignee_id != blocker.assignee_id, dependent.status != "done",
               dependent.deleted_at.is_(None), blocker.status != "done", blocker.deleted_at.is_(None))
    ).all()
    waits: dict[int, set[int]] = {d: set() for d, _, _, _ in links}
    before: dict[int, tuple] = {}
    for task_id, blocker_id, at, hours in session.execute(
        select(task_blockers.c.task_id, task_blockers.c.blocker_id, StoredForecast.projected_finish_at,
               StoredForecast.remaining_hours)
        .join(StoredForecast, StoredForecast.task_id == task_blockers.c.blocker_id)
    ):
        if task_id in waits:
            waits[task_id].add(blocker_id)
            before[blocker_id] = (at, hours)
    return links, waits, before


def _looking(session: Session, instants: set[datetime], rows: dict[int, dict], stored: dict[int, tuple]
             ) -> set[tuple[int, datetime]]:
    """(person, instant) where one of the person's tasks is projected to finish at one of `instants`:
    the stored rows, those of `stored` replaced by `rows` (after the change)."""
    found = set()
    for part in _chunks(sorted(instants), _BATCH):
        for task_id, person, at in session.execute(
            select(StoredForecast.task_id, StoredForecast.assignee_id, StoredForecast.projected_finish_at)
            .where(StoredForecast.projected_finish_at.in_(part))
        ):
            if task_id not in stored:
                found.add((person, at))
    found |= {(row["assignee_id"], row["projected_finish_at"]) for row in rows.values()
              if row["projected_finish_at"] in instants}
    return found


def _ties(meets: list[tuple], looking: set[tuple], changed: set[int], now: datetime) -> set[int]:
    """The people of each instant's links (from `meets`: instant, dependent's and blocker's assignee)
    that are joined, at that instant, to a person looking for work then and to one of `changed`."""
    tied: set[int] = set()
    by_instant: dict[datetime, list[tuple[int, int]]] = defaultdict(list)
    for at, person, other in meets:
        by_instant[at].append((person, other))
    for at, pairs in by_instant.items():
        joined: dict[int, set[int]] = {}
        for person, other in pairs:  # merge the two people's sets of people joined at this instant
            merged = joined.get(person, {person}) | joined.get(other, {other})
            for member in merged:
                joined[member] = merged
        hazard = {person for person, _ in pairs if at == now or (person, at) in looking}
        for members in {id(m): m for m in joined.values()}.values():
            if members & hazard and members & changed:
                tied |= members
    return tied


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def as_of(session: Session, people: set[int], task_ids: set[int]) -> datetime:
    """The "now" a change's refresh computes for: that of the stored forecast of the people's queues and
    the tasks (the last periodic pass), so that what the change did not move stays as it is; the clock
    where none is stored yet, or where the last pass is older than PASS_LATE (no cron running it: the
    change's queues are then computed afresh for now, and what they reach with them). The periodic pass
    moves it forward."""
    stored = session.scalar(
        select(func.max(StoredForecast.computed_at)).where(
            or_(StoredForecast.assignee_id.in_(people), StoredForecast.task_id.in_(task_ids))
        )
    )
    now = clock()
    return stored if stored is not None and now - stored <= PASS_LATE else now


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


# The people and tasks noted in a transaction, refreshed once it commits (tracker/after_commit.py).
_AFTER = AfterCommit("forecast", 2, lambda session, *keys: refresh(session, *keys))
