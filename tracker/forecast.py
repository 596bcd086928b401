"""Deadline-risk forecast: when each open task will be finished, given who works on it, their
working hours and what blocks it, and which tasks are projected to miss their deadline.

The model is a small list-scheduling simulation. Every assignee works one task at a time through
their own queue (earliest deadline first, then priority, then task id; undated tasks last),
spending each task's remaining estimate in their working hours (their days, hours and time zone).
A task cannot start before its open blockers are projected to finish; meanwhile the assignee works
the next task in their queue that is ready. Pure functions over plain values, deterministic.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.deadlines import local_to_utc, require_aware
from tracker.formatting import city
from tracker.vocabulary import PRIORITIES, PRIORITY_RANK

REASONS = ("ok", "late", "overdue", "no_estimate", "unassigned")

_ZERO = timedelta(0)
_HOUR = timedelta(hours=1)
_ONE_DAY = timedelta(days=1)
NEVER = datetime.max.replace(tzinfo=UTC)  # sorts undated tasks after every deadline


@dataclass(frozen=True)
class WorkSchedule:
    """When one person works: ISO weekdays (1 = Monday … 7 = Sunday) and daily hours, on the wall
    clock of their time zone (so 09:00 stays 09:00 across a DST change)."""

    timezone: str = "UTC"
    work_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        # Accept any iterable of weekdays but store a frozenset, so schedules stay hashable.
        days = frozenset(self.work_days)
        object.__setattr__(self, "work_days", days)
        # Without a single working day no estimate could ever be spent: reject it up front.
        if not days or not days <= frozenset(range(1, 8)):
            raise ValueError(f"work_days must be ISO weekdays 1-7, at least one: {sorted(days)}")
        if self.work_start.tzinfo is not None or self.work_end.tzinfo is not None:
            raise ValueError("work_start and work_end are wall-clock times without tzinfo")
        if not self.work_start < self.work_end:
            raise ValueError("work_end must be after work_start (shifts past midnight are not supported)")

    @property
    def hours_per_day(self) -> float:
        """Length of one working day on the wall clock."""
        day = date(2000, 1, 1)  # any date: only the difference of the two times matters
        return (datetime.combine(day, self.work_end) - datetime.combine(day, self.work_start)) / _HOUR

    @property
    def hours_per_week(self) -> float:
        """Nominal working hours per week (a DST switch inside working hours shifts one week by an hour)."""
        return len(self.work_days) * self.hours_per_day


def schedule_of(user) -> WorkSchedule:
    """A person's schedule from their stored working hours (a tracker.models.User, or anything with its
    timezone, work_day_numbers, work_start and work_end)."""
    return WorkSchedule(
        timezone=user.timezone,
        work_days=frozenset(user.work_day_numbers),
        work_start=user.work_start,
        work_end=user.work_end,
    )


class _WorkingTime:
    """One schedule's working intervals as UTC instants, generated day by day on demand.

    Each interval stores the working time accumulated by its end, so the working time before an
    instant (its "position") and the instant at which a position is reached are one bisect away.
    That is what keeps 2,000 tasks cheap: no minute-by-minute walking, and each day is computed once.
    Positions are relative to the first generated day; they are only compared within one call.
    """

    def __init__(self, schedule: WorkSchedule, since: datetime) -> None:
        self.schedule = schedule
        self._zone = ZoneInfo(schedule.timezone)
        self._restart(since)

    def _restart(self, since: datetime) -> None:
        self._first_day = since.astimezone(self._zone).date()
        self._next_day = self._first_day
        self._starts: list[datetime] = []
        self._ends: list[datetime] = []
        self._worked_by_end: list[timedelta] = []
        self._worked = _ZERO

    def _add_next_day(self) -> None:
        day = self._next_day
        self._next_day += _ONE_DAY
        if day.isoweekday() not in self.schedule.work_days:
            return
        start = local_to_utc(datetime.combine(day, self.schedule.work_start), self._zone)
        end = local_to_utc(datetime.combine(day, self.schedule.work_end), self._zone)
        # Keep intervals disjoint even where a zone skipped a calendar day (Samoa, 2011), and drop
        # a window swallowed whole by a DST gap.
        if self._ends:
            start = max(start, self._ends[-1])
        if end <= start:
            return
        self._worked += end - start
        self._starts.append(start)
        self._ends.append(end)
        self._worked_by_end.append(self._worked)

    def position(self, at: datetime) -> timedelta:
        """Working time between the first generated day and ``at``."""
        day = at.astimezone(self._zone).date()
        if day < self._first_day:
            self._restart(at)
        # Intervals of later local days start after `at`, so generating up to its day suffices.
        while self._next_day <= day:
            self._add_next_day()
        i = bisect_right(self._starts, at) - 1
        if i < 0:
            return _ZERO
        return self._worked_by_end[i] - max(_ZERO, self._ends[i] - at)

    def instant(self, position: timedelta) -> datetime:
        """The earliest instant at which ``position`` of working time is reached (position > 0).

        Finishing exactly at the end of a working day gives that end (Friday 17:00), not the start
        of the next working day.
        """
        while self._worked < position:
            self._add_next_day()
        i = bisect_left(self._worked_by_end, position)
        return self._ends[i] - (self._worked_by_end[i] - position)

    def add(self, start: datetime, work: timedelta) -> datetime:
        """The instant ``work`` of working time after ``start`` is spent (``start`` itself for none)."""
        if work <= _ZERO:
            return start.astimezone(UTC)
        return self.instant(self.position(start) + work)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); negative if ``end`` is before ``start``."""
        if end < start:
            return -self.between(end, start)
        # The earlier position first: it may restart the cache, the later one then reuses it.
        before = self.position(start)
        return self.position(end) - before


def _work(hours: float, name: str = "hours") -> timedelta:
    """Hours as a duration counted to the second, so sums of estimates don't drift."""
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {hours!r}")
    return timedelta(seconds=round(hours * 3600))


def add_working_hours(schedule: WorkSchedule, start: datetime, hours: float) -> datetime:
    """The UTC instant at which ``hours`` of working time, starting at ``start``, are spent.

    Time outside the schedule (evenings, days off) is skipped; work ending exactly at the end of a
    working day finishes then, not the next morning. 0 hours returns ``start`` unchanged (in UTC),
    even outside working hours. Hours are counted to the second.
    """
    require_aware(start, "start")
    return _WorkingTime(schedule, start).add(start, _work(hours))


def working_hours_between(schedule: WorkSchedule, start: datetime, end: datetime) -> float:
    """Working hours of ``schedule`` in [start, end); negative if ``end`` is before ``start``.

    Inverse of add_working_hours: ``working_hours_between(s, t, add_working_hours(s, t, h)) == h``.
    """
    require_aware(start, "start")
    require_aware(end, "end")
    return _WorkingTime(schedule, min(start, end)).between(start, end) / _HOUR


def subtract_working_hours(schedule: WorkSchedule, end: datetime, hours: float) -> datetime:
    """The UTC instant ``hours`` of working time before ``end``: when work of that length must start to
    be finished by ``end``. Falling between two working days it gives the end of the earlier one (Friday
    17:00, not Monday 09:00); 0 hours gives the last working instant at or before ``end``.

    Inverse of add_working_hours: ``working_hours_between(s, subtract_working_hours(s, t, h), t) == h``.
    """
    require_aware(end, "end")
    work = _work(hours)
    # Look back far enough for `work` plus a week; twice as far while that held too little working time
    # (a zone's DST gap can swallow windows).
    span = timedelta(weeks=math.ceil(_hours(work) / schedule.hours_per_week) + 1)
    while True:
        clock = _WorkingTime(schedule, end - span)
        position = clock.position(end) - work
        if position > _ZERO:
            return clock.instant(position)
        span *= 2


@dataclass(frozen=True)
class ForecastTask:
    """An open (not done) task as the forecast sees it."""

    id: int
    assignee_id: int | None
    due_at: datetime | None
    priority: str  # one of PRIORITIES
    estimate_hours: float | None
    spent_hours: float = 0.0
    blocked_by: tuple[int, ...] = ()  # ids of tasks that must be finished first
    queue_at: datetime | None = None  # a manager's place in the queue, in place of the deadline

    def __post_init__(self) -> None:
        if self.priority not in PRIORITY_RANK:
            raise ValueError(f"task {self.id}: priority must be one of {PRIORITIES}, got {self.priority!r}")
        if self.due_at is not None:
            require_aware(self.due_at, f"task {self.id} due_at")
        if self.estimate_hours is not None:
            _work(self.estimate_hours, f"task {self.id} estimate_hours")
        _work(self.spent_hours, f"task {self.id} spent_hours")
        object.__setattr__(self, "blocked_by", tuple(self.blocked_by))

    @property
    def remaining(self) -> timedelta | None:
        """Estimate minus time logged, never below zero; None without an estimate."""
        if self.estimate_hours is None:
            return None
        return max(_ZERO, _work(self.estimate_hours) - _work(self.spent_hours))


@dataclass(frozen=True)
class TaskForecast:
    """The forecast for one task. Hours are working hours of the assignee, rounded to 2 decimals.

    ``reason`` is one of REASONS. ``at_risk`` is True when the projected finish is after the
    deadline, and for every overdue task, even one without a projection (no estimate, unassigned).
    """

    task_id: int
    projected_finish_at: datetime | None  # UTC; None when unassigned or unestimated
    at_risk: bool
    slack_hours: float | None  # deadline minus projected finish; negative when late
    remaining_hours: float | None
    reason: str
    earlier_tasks: int  # how many of the assignee's tasks are worked before it
    available_hours: float | None  # assignee's working hours from now to the deadline (0 if past)
    waits_for: tuple[int, ...]  # open, projected blockers it cannot start before
    unscheduled_blockers: tuple[int, ...] = ()  # open blockers without projection: assumed no delay
    cycle_blockers: tuple[int, ...] = ()  # blocker links ignored because they close a cycle


def forecast(
    tasks: Iterable[ForecastTask],
    schedules: Mapping[int, WorkSchedule],
    now: datetime,
    outside: Mapping[int, datetime | None] | None = None,
) -> dict[int, TaskForecast]:
    """Project every open task's finish and deadline risk, keyed (and ordered) by task id.

    ``tasks`` are the open tasks; a blocker id not among them counts as finished. ``schedules`` is
    keyed by user id; a user without one works the WorkSchedule() defaults.

    Decisions worth knowing:
    - Unestimated tasks are not guessed: no projection, and they take no time in the queue.
    - A blocker without a projection (unassigned, unestimated) is assumed not to delay; it is listed
      in ``unscheduled_blockers``.
    - Blocker cycles are broken deterministically: walking tasks depth-first in id order, a link
      back to a task already on the walk is ignored and listed in ``cycle_blockers``.

    ``outside`` (a forecast of some queues only): open tasks not in ``tasks`` that some of them wait for,
    with their projected finish (None: none), taken as they are; no cycle runs through them.
    """
    require_aware(now, "now")
    outside = outside or {}
    fixed = {b: at for b, at in outside.items() if at is not None}
    now = now.astimezone(UTC)
    by_id = _by_id(tasks)
    ids = sorted(by_id)

    projected = [i for i in ids if by_id[i].assignee_id is not None and by_id[i].remaining is not None]
    projected_set = set(projected)
    scheduled = projected_set.union(fixed)
    open_blockers = {i: sorted({b for b in by_id[i].blocked_by if b in by_id or b in outside}) for i in ids}
    links = {i: [b for b in open_blockers[i] if b in scheduled] for i in projected}
    cycle_links = links_closing_cycles({**dict.fromkeys(fixed, ()), **links})
    blockers = {i: [b for b in links[i] if (i, b) not in cycle_links] for i in projected}

    queues: dict[int, list[int]] = {}
    for i in sorted(projected, key=lambda i: queue_key(by_id[i])):
        queues.setdefault(by_id[i].assignee_id, []).append(i)
    timelines = _timelines(by_id.values(), schedules, now)

    remaining = {i: by_id[i].remaining for i in projected}
    finish, order = _simulate(queues, remaining, blockers, timelines, now, fixed)
    queue_keys = {person: [queue_key(by_id[i]) for i in queue] for person, queue in queues.items()}

    results: dict[int, TaskForecast] = {}
    for i in ids:
        task = by_id[i]
        results[i] = _task_forecast(
            task,
            now,
            timelines.get(task.assignee_id),
            finish.get(i),
            order.get(i),
            queue_keys.get(task.assignee_id, []),
            waits_for=tuple(blockers.get(i, ())),
            unscheduled=tuple(b for b in open_blockers[i] if b not in scheduled and b != i),
            cycle=tuple(b for b in open_blockers[i] if (i, b) in cycle_links),
        )
    return results


def _by_id(tasks: Iterable[ForecastTask]) -> dict[int, ForecastTask]:
    by_id: dict[int, ForecastTask] = {}
    for task in tasks:
        if task.id in by_id:
            raise ValueError(f"task {task.id} is listed twice")
        by_id[task.id] = task
    return by_id


def _timelines(
    tasks: Iterable[ForecastTask], schedules: Mapping[int, WorkSchedule], now: datetime
) -> dict[int, _WorkingTime]:
    """One cached timeline per assignee, reaching back to their earliest deadline so that the slack
    of overdue tasks is computed without rebuilding it."""
    since: dict[int, datetime] = {}
    for task in tasks:
        if task.assignee_id is not None:
            earliest = min(now, task.due_at) if task.due_at is not None else now
            since[task.assignee_id] = min(since.get(task.assignee_id, earliest), earliest)
    return {
        person: _WorkingTime(schedules.get(person) or WorkSchedule(), start)
        for person, start in since.items()
    }


def queue_key(task: ForecastTask) -> tuple:
    """The order an assignee works their tasks: earliest deadline (or the place a manager gave it in the
    queue), priority, id; undated last."""
    at = task.queue_at or task.due_at
    return (at is None, at or NEVER, PRIORITY_RANK[task.priority], task.id)


def links_closing_cycles(links: Mapping[int, list[int]]) -> set[tuple[int, int]]:
    """The (task, blocker) links to ignore so the rest is acyclic.

    A depth-first walk in id order (iterative: a chain of thousands must not hit the recursion
    limit) drops each link that points back to a task still on the walk, including self-links.
    """
    on_walk, done = set(), set()
    closing: set[tuple[int, int]] = set()
    for root in sorted(links):
        if root in done:
            continue
        on_walk.add(root)
        stack = [(root, iter(links[root]))]
        while stack:
            task, pending = stack[-1]
            for blocker in pending:
                if blocker in on_walk:
                    closing.add((task, blocker))
                elif blocker not in done:
                    on_walk.add(blocker)
                    stack.append((blocker, iter(links[blocker])))
                    break
            else:
                stack.pop()
                on_walk.discard(task)
                done.add(task)
    return closing


def _simulate(
    queues: Mapping[int, list[int]],
    remaining: Mapping[int, timedelta],
    blockers: Mapping[int, list[int]],
    timelines: Mapping[int, _WorkingTime],
    now: datetime,
    fixed: Mapping[int, datetime] | None = None,
) -> tuple[dict[int, datetime], dict[int, int]]:
    """List scheduling across assignees: projected finish per task, and its place in its queue.

    Events are processed in time order (ties by assignee id). When free, an assignee takes the
    first task in their queue whose blockers are all projected finished by then; if none is ready
    they idle until one is. A task is "released" once all its blockers are scheduled, at the latest
    of their finishes; per-assignee heaps of released tasks keep each step O(log n). Blockers form
    a DAG here (cycles were broken), so every task gets scheduled. Blockers in ``fixed`` are not
    simulated: they finish when it says.
    """
    run = _ListScheduling(queues, remaining, blockers, timelines, now, fixed or {})
    while run.events:
        at, person = heapq.heappop(run.events)
        if run.wake_at[person] == at:  # else superseded by an earlier wake-up
            run.step(person, at)
    stuck = sorted(set(run.owner) - set(run.finish))
    if stuck:  # cannot happen once cycles are broken; fail loudly rather than report nonsense
        raise RuntimeError(f"forecast could not schedule tasks {stuck}")
    return run.finish, run.order


class _ListScheduling:
    """The state of one _simulate run. Per assignee: released tasks whose blockers finish later
    (``upcoming``, by release time), tasks that can start now (``ready``, by queue rank), when their
    current task ends (``free_at``) and when they next look for work (``wake_at``, None while idle)."""

    def __init__(
        self,
        queues: Mapping[int, list[int]],
        remaining: Mapping[int, timedelta],
        blockers: Mapping[int, list[int]],
        timelines: Mapping[int, _WorkingTime],
        now: datetime,
        fixed: Mapping[int, datetime],
    ) -> None:
        self.remaining, self.timelines = remaining, timelines
        self.owner = {task: person for person, queue in queues.items() for task in queue}
        self.rank = {task: place for queue in queues.values() for place, task in enumerate(queue)}
        self.unscheduled_blockers = {task: sum(b not in fixed for b in blockers[task]) for task in self.owner}
        self.dependents: dict[int, list[int]] = {}
        for task in sorted(self.owner):
            for blocker in blockers[task]:
                self.dependents.setdefault(blocker, []).append(task)
        self.released_at = {
            task: max([now, *(fixed[b] for b in blockers[task] if b in fixed)]) for task in self.owner
        }
        self.upcoming: dict[int, list[tuple[datetime, int, int]]] = {person: [] for person in queues}
        self.ready: dict[int, list[tuple[int, int]]] = {person: [] for person in queues}
        for task, person in self.owner.items():
            if not self.unscheduled_blockers[task]:
                heapq.heappush(self.upcoming[person], (self.released_at[task], self.rank[task], task))
        self.free_at = dict.fromkeys(queues, now)
        self.wake_at: dict[int, datetime | None] = dict.fromkeys(queues, now)
        self.events = [(now, person) for person in sorted(queues)]
        self.finish: dict[int, datetime] = {}
        self.order: dict[int, int] = {}
        self.worked = dict.fromkeys(queues, 0)

    def step(self, person: int, at: datetime) -> None:
        """The assignee is free at ``at``: start their first ready task, or idle until one is."""
        upcoming, ready = self.upcoming[person], self.ready[person]
        while upcoming and upcoming[0][0] <= at:
            _, place, task = heapq.heappop(upcoming)
            heapq.heappush(ready, (place, task))
        if not ready:
            # Idle until the next released task, or until a blocker gets scheduled (release).
            self.wake_at[person] = upcoming[0][0] if upcoming else None
            if upcoming:
                heapq.heappush(self.events, (upcoming[0][0], person))
            return
        _, task = heapq.heappop(ready)
        end = self.timelines[person].add(at, self.remaining[task])
        self.finish[task] = end
        self.order[task] = self.worked[person]
        self.worked[person] += 1
        self.free_at[person] = self.wake_at[person] = end
        heapq.heappush(self.events, (end, person))
        self.release(task, end)

    def release(self, task: int, end: datetime) -> None:
        """``task`` is scheduled to finish at ``end``: queue the dependents it was the last blocker of."""
        for dependent in self.dependents.get(task, ()):
            self.unscheduled_blockers[dependent] -= 1
            self.released_at[dependent] = max(self.released_at[dependent], end)
            if self.unscheduled_blockers[dependent]:
                continue
            other, released = self.owner[dependent], self.released_at[dependent]
            heapq.heappush(self.upcoming[other], (released, self.rank[dependent], dependent))
            # Wake an idle assignee when it is released; a busy one picks it up when free.
            start = max(released, self.free_at[other])
            if self.wake_at[other] is None or start < self.wake_at[other]:
                self.wake_at[other] = start
                heapq.heappush(self.events, (start, other))


def _hours(work: timedelta) -> float:
    return round(work / _HOUR, 2)


def _task_forecast(
    task: ForecastTask,
    now: datetime,
    timeline: _WorkingTime | None,
    finished_at: datetime | None,
    place: int | None,
    queue_keys: list[tuple],
    *,
    waits_for: tuple[int, ...],
    unscheduled: tuple[int, ...],
    cycle: tuple[int, ...],
) -> TaskForecast:
    overdue = task.due_at is not None and task.due_at < now
    remaining = task.remaining
    available = None
    if timeline is not None and task.due_at is not None:
        available = _hours(max(_ZERO, timeline.between(now, task.due_at)))

    if task.assignee_id is None or remaining is None:
        # No projection. An unestimated task still has a place in its assignee's (sorted) queue.
        earlier = bisect_left(queue_keys, queue_key(task))
        return TaskForecast(
            task_id=task.id,
            projected_finish_at=None,
            at_risk=overdue,
            slack_hours=None,
            remaining_hours=None,
            reason="unassigned" if task.assignee_id is None else "no_estimate",
            earlier_tasks=earlier if task.assignee_id is not None else 0,
            available_hours=available,
            waits_for=(),
            unscheduled_blockers=unscheduled,
            cycle_blockers=cycle,
        )

    slack = None
    if task.due_at is not None:
        slack = _hours(timeline.between(finished_at, task.due_at))
    late = task.due_at is not None and finished_at > task.due_at
    return TaskForecast(
        task_id=task.id,
        projected_finish_at=finished_at,
        at_risk=overdue or late,
        slack_hours=slack,
        remaining_hours=_hours(remaining),
        reason="overdue" if overdue else "late" if late else "ok",
        earlier_tasks=place,
        available_hours=available,
        waits_for=waits_for,
        unscheduled_blockers=unscheduled,
        cycle_blockers=cycle,
    )


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _when(at: datetime, schedule: WorkSchedule) -> str:
    """'Fri 17 Jan 17:00' on the assignee's wall clock; locale-independent on purpose."""
    local = at.astimezone(ZoneInfo(schedule.timezone))
    return f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local:%H:%M}"


def _amount(hours: float, unit: str = "h") -> str:
    number = f"{hours:.2f}".rstrip("0").rstrip(".")
    if unit == "h":
        return f"{number} h"
    return f"{number} {unit}" + ("" if number == "1" else "s")


def _stamp(at: datetime, schedule: WorkSchedule, name: str, viewer: str | None) -> str:
    """`at` on the viewer's clock, labelled with their zone, and the assignee's own time as a note where
    it differs: "Mon 7 Dec 06:30 (Europe/Lisbon; 22:30 Sun for Fran, Los Angeles)". Without a viewer: on
    the assignee's clock, labelled with their zone."""
    if viewer is None or viewer == schedule.timezone:
        return f"{_when(at, schedule)} ({schedule.timezone})"
    mine, theirs = at.astimezone(ZoneInfo(viewer)), at.astimezone(ZoneInfo(schedule.timezone))
    shown = f"{_WEEKDAYS[mine.weekday()]} {mine.day} {_MONTHS[mine.month - 1]} {mine:%H:%M}"
    if mine.utcoffset() == theirs.utcoffset():
        return f"{shown} ({viewer})"
    day = "" if mine.date() == theirs.date() else f" {_WEEKDAYS[theirs.weekday()]}"
    return f"{shown} ({viewer}; {theirs:%H:%M}{day} for {name}, {city(schedule.timezone)})"


def explain(f: TaskForecast, assignee_name: str, schedule: WorkSchedule, due_at: datetime | None,
            viewer: str | None = None) -> str:
    """A sentence for the risk tooltip, e.g. "needs 14 h, Ana has 9 working hours before
    Fri 17 Jan 17:00 (Europe/Lisbon), after 3 earlier tasks; projected finish Mon 20 Jan 14:00,
    5 working hours late". Times are on the assignee's wall clock, or with `viewer` (a zone) on the
    viewer's, every one labelled, with the assignee's time as a note where it differs."""
    zone = schedule.timezone
    due = _stamp(due_at, schedule, assignee_name, viewer) if due_at is not None else None

    if f.reason == "unassigned":
        sentence = "nobody is assigned, so there is no forecast"
        return sentence + (f"; it was due {due}" if f.at_risk else "")
    if f.reason == "no_estimate":
        sentence = f"no estimate, so it is left out of {assignee_name}'s forecast"
        if f.at_risk:
            return sentence + f"; it was due {due}"
        if due is not None:
            sentence += f"; {assignee_name} has {_amount(f.available_hours, 'working hour')} before {due}"
        return sentence

    parts = [f"needs {_amount(f.remaining_hours)}"]
    if f.reason == "overdue":
        parts = [f"was due {due} and still needs {_amount(f.remaining_hours)}"]
    elif due is not None:
        parts.append(f"{assignee_name} has {_amount(f.available_hours, 'working hour')} before {due}")
    if f.earlier_tasks:
        parts.append(f"after {f.earlier_tasks} earlier task" + ("" if f.earlier_tasks == 1 else "s"))
    if f.waits_for:
        parts.append("waiting for " + ", ".join(f"#{b}" for b in f.waits_for))
    sentence = ", ".join(parts)

    finish = f"projected finish {_when(f.projected_finish_at, schedule)}"
    if viewer is not None:
        finish = f"projected finish {_stamp(f.projected_finish_at, schedule, assignee_name, viewer)}"
    elif due is None:
        finish += f" ({zone})"
    if f.slack_hours is not None and f.slack_hours < 0:
        finish += f", {_amount(-f.slack_hours, 'working hour')} late"
    elif f.slack_hours is not None:
        finish += f", {_amount(f.slack_hours, 'working hour')} to spare"
    return f"{sentence}; {finish}"
