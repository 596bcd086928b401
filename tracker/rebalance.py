"""Rebalancing an at-risk task, with the forecast as the judge: the moves that would make it on time (give it
to someone with spare hours, start it before another task of its queue, move its deadline), each simulated
in memory with tracker.forecast and shown with its effect on everyone else's tasks. Nothing is written here;
applying a move is the task update its `changes` describe.

Bounded so that it stays fast on a large team: only the few most suitable people are simulated (same-category
experience, then spare hours before the deadline, from two grouped queries), only the queues a move touches
are scheduled again (a task they wait for in another queue finishes when the stored forecast says), and a
move's list of moved tasks is cut at MOVED_SHOWN (with the count of all).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from .deadlines import end_of_day, utc_to_local
from .errors import Invalid
from .extensions import db
from .forecast import (
    NEVER,
    ForecastTask,
    TaskForecast,
    WorkSchedule,
    forecast,
    queue_key,
    working_hours_between,
)
from .models import StoredForecast, Task, TeamMembership, User
from .stored_forecast import _inputs, clock, schedule_of
from .tasks import update_task
from .teams import members_of

REASSIGN_CANDIDATES = 5  # people simulated for a reassignment
REORDER_CANDIDATES = 5  # places tried in the task's own queue, nearest first
MOVED_SHOWN = 50  # moved tasks listed per move
# Queues are simulated up to the tasks queued by four weeks after the task's deadline: what is queued later
# cannot change whether it is on time (short of a blocker link), and a long queue costs time.
HORIZON = timedelta(weeks=4)
KINDS = ("reassign", "reorder", "move_deadline")
# A blocker in a queue that is not simulated again finishes when the stored forecast says: it is modelled as
# work of that length on a clock that never stops.
_ALWAYS = WorkSchedule("UTC", frozenset(range(1, 8)), time(0, 0), time(23, 59, 59))
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class WindowLoad:
    """A person's load over a task's window: open hours queued before its deadline against their working
    hours until then; and how many tasks of its category they have done (experience)."""

    user: User
    queued_hours: float
    capacity_hours: float
    done_in_category: int

    @property
    def spare_hours(self) -> float:
        return round(self.capacity_hours - self.queued_hours, 2)


@dataclass(frozen=True)
class Moved:
    """Another task whose projected finish a move changes."""

    task_id: int
    assignee_id: int | None
    due_at: datetime | None
    before: datetime | None
    after: datetime | None
    on_time_before: bool
    on_time_after: bool


@dataclass
class Proposal:
    kind: str  # one of KINDS
    changes: dict  # what a task update (the API's PATCH) would send
    summary: str
    on_time: bool  # the task itself, after the move
    projected_finish_at: datetime | None  # the task's, after the move
    moved: list[Moved] = field(default_factory=list)  # the first MOVED_SHOWN, earliest first
    moved_total: int = 0
    queue_hours: dict[int, float] = field(default_factory=dict)  # change of each person's queued hours
    experience: int = 0  # for a reassignment: tasks of this category the new assignee has done

    @property
    def harmed(self) -> int:
        """Tasks on time before the move and late after it (among those listed)."""
        return sum(1 for m in self.moved if m.on_time_before and not m.on_time_after)


@dataclass
class Rebalance:
    task: Task
    current: TaskForecast | None  # the task's forecast now (simulated with the same "now")
    proposals: list[Proposal]
    names: dict[int, str]
    computed_at: datetime
    people: dict[int, User] = field(default_factory=dict)  # the team's members, by id

    @property
    def at_risk(self) -> bool:
        return bool(self.current and self.current.at_risk)


# The assignee picker's figures -----------------------------------------------------------------------------


def window_loads(member: TeamMembership, task: Task, now: datetime | None = None) -> list[WindowLoad]:
    """Every member's load over `task`'s window (now to its deadline, or the coming week without one), in two
    grouped queries: open remaining hours queued before the deadline, working hours until it."""
    now = now or clock()
    until = task.due_at if task.due_at and task.due_at > now else None
    end = until or now + timedelta(days=7)
    key = func.coalesce(Task.queue_at, Task.due_at)
    remaining = func.coalesce(StoredForecast.remaining_hours, Task.estimate_hours, 0.0)
    queued = dict(db.session.execute(
        select(Task.assignee_id, func.sum(remaining))
        .outerjoin(StoredForecast, StoredForecast.task_id == Task.id)
        .where(Task.team_id == member.team_id, Task.status != "done", Task.deleted_at.is_(None),
               Task.assignee_id.is_not(None), Task.id != task.id, key <= end)
        .group_by(Task.assignee_id)
    ).all())
    done = dict(db.session.execute(
        select(Task.assignee_id, func.count())
        .where(Task.team_id == member.team_id, Task.status == "done", Task.category_id == task.category_id,
               Task.assignee_id.is_not(None))
        .group_by(Task.assignee_id)
    ).all())
    loads = []
    for m in members_of(member.team):
        capacity = working_hours_between(schedule_of(m.user), now, end) if end > now else 0.0
        loads.append(WindowLoad(m.user, round(float(queued.get(m.user_id) or 0), 2), round(capacity, 2),
                                done.get(m.user_id, 0)))
    return loads


def load_label(load: WindowLoad, task: Task) -> str:
    """The assignee picker's words for a person: "Dev — 12 h queued of 30 working h before the deadline"."""
    window = "before the deadline" if task.due_at and task.due_at > clock() else "in the coming week"
    return f"{load.user.name} — {load.queued_hours:g} h queued of {load.capacity_hours:g} working h {window}"


def _candidates(loads: list[WindowLoad], task: Task, needed: float) -> list[WindowLoad]:
    """The people worth simulating: not the assignee, with room for the task's remaining hours before its
    deadline (worked earliest deadline first, it cannot be on time otherwise); by same-category experience,
    then by spare hours."""
    others = [load for load in loads
              if load.user.id != task.assignee_id and load.spare_hours >= needed - 1e-9]
    others.sort(key=lambda load: (-load.done_in_category, -load.spare_hours, load.user.id))
    return others[:REASSIGN_CANDIDATES]


# Simulating ------------------------------------------------------------------------------------------------


@dataclass
class _World:
    """The open tasks of the queues a rebalance may touch, as the forecast sees them, the stored finish of
    every task they wait for, and the horizon: a queue is simulated up to the tasks queued by then."""

    tasks: dict[int, ForecastTask]
    schedules: dict[int, WorkSchedule]
    stored: dict[int, datetime]  # blocker id → its stored projected finish
    now: datetime
    horizon: datetime

    def queue(self, person: int | None) -> list[ForecastTask]:
        return [t for t in self.tasks.values() if t.assignee_id == person]

    def _heads(self, people: set, task: ForecastTask) -> dict[int, ForecastTask]:
        """The queues of `people` up to the horizon, with `task` as given; a task that waits for one past
        the horizon (dropped, or finishing after it elsewhere) is past it too."""
        chosen = {t.id: t for t in self.tasks.values() if t.assignee_id in people and t.id != task.id
                  and queue_key(t)[:2] <= (False, self.horizon)}
        chosen[task.id] = task
        dropped = True
        while dropped:
            dropped = False
            for t in list(chosen.values()):
                if t.id != task.id and any(self._past_horizon(b, chosen, people) for b in t.blocked_by):
                    del chosen[t.id]
                    dropped = True
        return chosen

    def _past_horizon(self, blocker: int, chosen: dict, people: set) -> bool:
        if blocker in chosen:
            return False
        if blocker in self.tasks and self.tasks[blocker].assignee_id in people:
            return True  # queued past the horizon in a queue simulated here
        return self.stored.get(blocker, self.now) > self.horizon

    def run(self, people: Iterable[int | None], task: ForecastTask) -> dict[int, TaskForecast]:
        """The forecast of the queues of `people` (up to the horizon) with `task` as given (changed)."""
        chosen = self._heads(set(people), task)
        schedules = dict(self.schedules)
        for blocker in {b for t in chosen.values() for b in t.blocked_by} - set(chosen):
            finish = self.stored.get(blocker)
            if finish is not None and finish > self.now:
                hours = (finish - self.now) / timedelta(hours=1)
                chosen[blocker] = ForecastTask(blocker, -blocker, None, "medium", round(hours, 4))
                schedules[-blocker] = _ALWAYS
        return forecast(chosen.values(), schedules, self.now)


def _world(task: Task, people: set[int], now: datetime, users: Mapping[int, User]) -> _World:
    """Load the queues of `people` up to the horizon and `task` itself (four queries), the working hours of
    those with an empty queue (from `users`, loaded already) and the stored finishes of what they wait for
    (one more query)."""
    horizon = max(now, task.due_at or now) + HORIZON
    queued = and_(Task.assignee_id.in_(people), func.coalesce(Task.queue_at, Task.due_at) <= horizon)
    scope = and_(Task.team_id == task.team_id, or_(queued, Task.id == task.id))
    teamed, schedules = _inputs(db.session, scope)
    tasks = {t.id: t for _team, t in teamed}
    idle = people - set(schedules)  # candidates with nothing queued yet work their own hours too
    schedules.update({i: schedule_of(users[i]) for i in idle})
    wanted = {b for t in tasks.values() for b in t.blocked_by}
    stored = dict(db.session.execute(
        select(StoredForecast.task_id, StoredForecast.projected_finish_at).where(
            StoredForecast.task_id.in_(wanted), StoredForecast.projected_finish_at.is_not(None))
    ).all())
    return _World(tasks, schedules, stored, now, horizon)


def _on_time(f: TaskForecast | None) -> bool:
    return f is not None and not f.at_risk


def _effect(world: _World, before: dict, after: dict, task_id: int) -> tuple[list[Moved], int]:
    """The other tasks whose projected finish moves: those it makes late first, then by their finish before;
    the first MOVED_SHOWN of them, and how many there are."""
    moved = []
    for i, new in after.items():
        old = before.get(i)
        if i == task_id or i not in world.tasks or old is None:
            continue
        if old.projected_finish_at != new.projected_finish_at:
            t = world.tasks[i]
            moved.append(Moved(i, t.assignee_id, t.due_at, old.projected_finish_at, new.projected_finish_at,
                               _on_time(old), _on_time(new)))
    moved.sort(key=lambda m: (not (m.on_time_before and not m.on_time_after), m.before or NEVER, m.task_id))
    return moved[:MOVED_SHOWN], len(moved)


# Proposing -------------------------------------------------------------------------------------------------


def _hours(remaining: timedelta | None) -> float:
    return round(remaining / timedelta(hours=1), 2) if remaining is not None else 0.0


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _Proposing:
    """One rebalance: the world loaded once, the "before" forecast of each set of queues computed once."""

    def __init__(self, task: Task, world: _World, names: dict[int, str]) -> None:
        self.task, self.world, self.names = task, world, names
        self.me = world.tasks[task.id]
        self._before: dict[frozenset, dict[int, TaskForecast]] = {}

    def before(self, people: frozenset) -> dict[int, TaskForecast]:
        if people not in self._before:
            self._before[people] = self.world.run(people, self.me)
        return self._before[people]

    def judge(self, kind: str, changes: dict, changed: ForecastTask, people: set, head: str
              ) -> Proposal | None:
        """The move simulated: a Proposal when it makes the task on time, else None."""
        people = frozenset(people)
        before, after = self.before(people), self.world.run(people, changed)
        mine = after[self.task.id]
        if not _on_time(mine):
            return None
        moved, total = _effect(self.world, before, after, self.task.id)
        shift: dict[int, float] = {}
        if changed.assignee_id != self.me.assignee_id:
            hours = _hours(self.me.remaining)
            shift = {p: h for p, h in ((changed.assignee_id, hours), (self.me.assignee_id, -hours)) if p}
        proposal = Proposal(kind, changes, "", True, mine.projected_finish_at, moved, total, shift)
        proposal.summary = self.summary(proposal, head)
        return proposal

    def summary(self, p: Proposal, head: str) -> str:
        """ "#98 to Dev: on time; Dev's #120 stays on time; Dev's queue gains 6 h, Fran's loses 6 h" """
        parts = [f"#{self.task.id} {head}: on time"]
        for m in p.moved[:2]:
            verdict = {(True, True): "stays on time", (True, False): "becomes late",
                       (False, True): "becomes on time", (False, False): "stays late"}
            owner = f"{self.names.get(m.assignee_id, 'nobody')}'s " if m.assignee_id else ""
            parts.append(f"{owner}#{m.task_id} {verdict[(m.on_time_before, m.on_time_after)]}")
        if p.moved_total > 2:
            parts.append(f"{p.moved_total - 2} more task{'s' if p.moved_total > 3 else ''} move")
        elif not p.moved_total:
            parts.append("no other task moves")
        gains = [f"{self.names.get(who, 'someone')}'s queue {'gains' if h > 0 else 'loses'} {abs(h):g} h"
                 for who, h in p.queue_hours.items() if h]
        if gains:
            parts.append(", ".join(gains))
        return "; ".join(parts)

    def reassignments(self, candidates: list[WindowLoad]) -> list[Proposal]:
        """Give the task to each candidate in turn (a date-only deadline moves to their zone, as it will)."""
        found = []
        for load in candidates:
            person = load.user
            due = end_of_day(self.task.due_date, person.timezone) if self.task.due_date else self.me.due_at
            changed = replace(self.me, assignee_id=person.id, due_at=due, queue_at=None)
            changes = {"assignee_id": person.id, **({"queue_at": None} if self.me.queue_at else {})}
            people = {person.id} | ({self.me.assignee_id} if self.me.assignee_id else set())
            proposal = self.judge("reassign", changes, changed, people, f"to {person.name}")
            if proposal:
                proposal.experience = load.done_in_category
                found.append(proposal)
        return found

    def reorders(self) -> list[Proposal]:
        """Start the task just before one that its assignee works earlier: the nearest such place that makes
        it on time (further ones only push more of the queue back)."""
        me = self.me
        mine = queue_key(me)
        ahead = sorted((t for t in self.world.queue(me.assignee_id) if t.id != me.id and queue_key(t) < mine),
                       key=queue_key)
        # Before ahead[i], ahead[:i] is worked first: places with more work before it than there are working
        # hours until the deadline cannot make it on time, so the simulation starts at the nearest other one.
        room = working_hours_between(self.world.schedules[me.assignee_id], self.world.now, me.due_at)
        before, fits = timedelta(), 0
        for i, other in enumerate(ahead):
            if _hours(before + me.remaining) > room:
                break
            fits, before = i + 1, before + (other.remaining or timedelta())
        for other in reversed(ahead[max(0, fits - REORDER_CANDIDATES):fits]):
            place = (other.queue_at or other.due_at) - _SECOND
            proposal = self.judge("reorder", {"queue_at": _instant(place)}, replace(me, queue_at=place),
                                  {me.assignee_id}, f"started before #{other.id}")
            if proposal:
                return [proposal]
        return []

    def deadline_moves(self, finish: datetime | None) -> list[Proposal]:
        """Move the deadline to the projected finish (the end of that day for a date-only deadline). A later
        deadline can put the task later in its queue, so the finish is looked for again, a few times."""
        for _attempt in range(3):
            if finish is None:
                return []
            if self.task.due_date:
                zone = self.world.schedules[self.me.assignee_id].timezone
                day = utc_to_local(finish, zone).date()
                due, sent = end_of_day(day, zone), day.isoformat()
            else:
                due = _minute_after(finish)
                sent = _instant(due)
            changed = replace(self.me, due_at=due)
            proposal = self.judge("move_deadline", {"due_at": sent}, changed, {self.me.assignee_id},
                                  "due at its projected finish")
            if proposal:
                return [proposal]
            finish = self.world.run({self.me.assignee_id}, changed)[self.task.id].projected_finish_at
        return []


def _minute_after(at: datetime) -> datetime:
    """`at` rounded up to a whole minute (deadlines are set to the minute)."""
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)


def _rank(p: Proposal) -> tuple:
    """On time without making anyone late first; then reassigning (to the most experienced) and reordering
    before giving up time; then the move that disturbs fewest tasks."""
    return (p.harmed, KINDS.index(p.kind), -p.experience, p.moved_total)


def propose(member: TeamMembership, task: Task, now: datetime | None = None) -> Rebalance:
    """The moves that make the open task `task` on time, best first, each with its effect (nothing is
    written). A task that is not at risk gets none; neither does one without an estimate or assignee (the
    forecast cannot place it), and an overdue one can only get a later deadline."""
    if task.status == "done":
        raise Invalid({"task": ["This task is done: there is nothing to rebalance."]})
    now = now or clock()
    loads = window_loads(member, task, now)
    people = {load.user.id: load.user for load in loads}
    if task.assignee is not None:
        people.setdefault(task.assignee_id, task.assignee)
    names = {person.id: person.name for person in people.values()}
    row = db.session.get(StoredForecast, task.id)
    remaining = row.remaining_hours if row and row.remaining_hours is not None else task.estimate_hours or 0.0
    candidates = _candidates(loads, task, remaining)
    queues = {load.user.id for load in candidates} | ({task.assignee_id} if task.assignee_id else set())
    run = _Proposing(task, _world(task, queues, now, people), names)
    if run.me.assignee_id is None or run.me.remaining is None:
        return Rebalance(task, None, [], names, now, people)
    current = run.before(frozenset({run.me.assignee_id}))[task.id]
    proposals: list[Proposal] = []
    if current.at_risk:
        if task.due_at is not None and task.due_at > now:
            proposals += run.reassignments(candidates) + run.reorders()
        proposals += run.deadline_moves(current.projected_finish_at)
    return Rebalance(task, current, sorted(proposals, key=_rank), names, now, people)


# Applying --------------------------------------------------------------------------------------------------

# What each kind of move may change: its `changes`, sent back as they were proposed.
CHANGED_FIELDS = {
    "reassign": {"assignee_id", "queue_at"}, "reorder": {"queue_at"}, "move_deadline": {"due_at"},
}


def _parsed(name: str, value: Any) -> Any:
    """A proposed change as sent back (JSON or a form): an id, or an RFC 3339 date or date-time."""
    if value in (None, ""):
        return None
    if name == "assignee_id":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdecimal() and len(value) < 10:
            return int(value)
        raise ValueError(value)
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(value)
    if len(value) == 10:
        return date.fromisoformat(value)
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(value)
    return instant


def apply(member: TeamMembership, task: Task, kind: str, changes: Mapping[str, Any],
          version: int | None) -> dict:
    """Apply a proposed move: its changes go through the task update, with its checks and optimistic
    locking (a stale `version` raises Conflict). Returns the changed fields, as update_task does."""
    allowed = CHANGED_FIELDS.get(kind)
    if allowed is None or not changes or set(changes) - allowed:
        raise Invalid({"kind": ["Choose one of the proposed moves."]})
    data = {}
    for name, value in changes.items():
        try:
            data[name] = _parsed(name, value)
        except (TypeError, ValueError):
            raise Invalid({name: ["This is not a value a proposal gives."]}) from None
    return update_task(member, task, data, expected_version=version)
