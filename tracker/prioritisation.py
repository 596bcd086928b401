"""The prioritisation views: my work, board, Eisenhower matrix, deadline calendar, manager dashboard
and the deadline-risk forecast, each as plain data that the HTML pages and the API both render."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .deadlines import BUCKETS, QUADRANTS, eisenhower_quadrant, local_to_utc, month_grid, work_bucket
from .extensions import db
from .forecast import working_hours_between
from .models import Category, Task, TeamMembership, User, utcnow
from .stored_forecast import StoredTeamForecast, load, open_in_team, schedule_of
from .tasks import LIST_LOAD, TaskFilter, filtered_tasks, spent_hours, task_ordering
from .teams import members_of
from .vocabulary import OPEN_STATUSES, PRIORITY_RANK

DONE_COLUMN_DAYS = 14
BURNUP_WEEKS = 8
WORKLOAD_HORIZON = timedelta(days=366)


# My work ----------------------------------------------------------------------------------------


@dataclass
class MyWork:
    buckets: dict[str, list[Task]]
    forecast: StoredTeamForecast

    @property
    def total(self) -> int:
        return sum(len(tasks) for tasks in self.buckets.values())


def my_work(user: User, now: datetime | None = None) -> MyWork:
    """The user's open tasks across all their teams, in deadline buckets of their own time zone."""
    now = now or utcnow()
    memberships = select(TeamMembership.team_id).where(TeamMembership.user_id == user.id)
    team_ids = list(db.session.scalars(memberships))
    tasks = list(
        db.session.scalars(
            select(Task)
            .options(*LIST_LOAD, joinedload(Task.team))
            .where(
                Task.team_id.in_(team_ids), Task.assignee_id == user.id,
                Task.status != "done", Task.deleted_at.is_(None),
            )
        ).unique()
    ) if team_ids else []
    buckets: dict[str, list[Task]] = {name: [] for name in BUCKETS}
    for task in tasks:
        buckets[work_bucket(task.due_at, now, user.timezone)].append(task)
    for items in buckets.values():
        items.sort(key=lambda t: (PRIORITY_RANK[t.priority], t.due_at is None, t.due_at or now, t.id))
    return MyWork(buckets, load([t.id for t in tasks]))


# Board and Eisenhower ------------------------------------------------------------------------


def open_tasks(
    member: TeamMembership, f: TaskFilter | None = None, now: datetime | None = None
) -> list[Task]:
    """The team's open tasks matching the filter (its status ignored), by deadline."""
    stmt = filtered_tasks(member.team_id, replace(f or TaskFilter(), status="open"), member.user, now)
    return list(db.session.scalars(stmt.options(*LIST_LOAD).order_by(*task_ordering("due_at"))).unique())


def board(member: TeamMembership, f: TaskFilter, now: datetime | None = None) -> dict[str, list[Task]]:
    """Columns by status: the open tasks matching the filter, and those done in the last two weeks."""
    now = now or utcnow()
    columns: dict[str, list[Task]] = {status: [] for status in (*OPEN_STATUSES, "done")}
    for task in open_tasks(member, f, now):
        columns[task.status].append(task)
    done = filtered_tasks(member.team_id, replace(f, status="done"), member.user, now).where(
        Task.completed_at >= now - timedelta(days=DONE_COLUMN_DAYS)
    )
    columns["done"] = list(
        db.session.scalars(done.options(*LIST_LOAD).order_by(Task.completed_at.desc(), Task.id)).unique()
    )
    return columns


def eisenhower(member: TeamMembership, f: TaskFilter, now: datetime | None = None) -> dict[str, list[Task]]:
    """Open tasks in quadrants: important = critical/high; urgent = overdue or due within the team's
    window."""
    now = now or utcnow()
    quadrants: dict[str, list[Task]] = {name: [] for name in QUADRANTS}
    window = member.team.urgency_window_hours
    for task in open_tasks(member, f, now):
        quadrants[eisenhower_quadrant(task.priority, task.due_at, now, window)].append(task)
    return quadrants


# Calendar ---------------------------------------------------------------------------------------


@dataclass
class Month:
    year: int
    month: int
    weeks: list[list[date]]
    by_day: dict[date, list[Task]]

    @property
    def previous(self) -> tuple[int, int]:
        return (self.year - 1, 12) if self.month == 1 else (self.year, self.month - 1)

    @property
    def next(self) -> tuple[int, int]:
        return (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)


def deadline_calendar(member: TeamMembership, year: int, month: int, f: TaskFilter, tz: str) -> Month:
    """The month grid (whole weeks) with each day's deadlines, days taken in the viewer's zone."""
    weeks = month_grid(year, month)
    start = local_to_utc(datetime.combine(weeks[0][0], time()), tz)
    end = local_to_utc(datetime.combine(weeks[-1][-1] + timedelta(days=1), time()), tz)
    stmt = filtered_tasks(member.team_id, replace(f, due_after=start, due_before=end), member.user)
    by_day: dict[date, list[Task]] = defaultdict(list)
    zone = ZoneInfo(tz)
    for task in db.session.scalars(stmt.options(*LIST_LOAD).order_by(*task_ordering("due_at"))).unique():
        by_day[task.due_at.astimezone(zone).date()].append(task)
    return Month(year, month, weeks, dict(by_day))


# Manager dashboard ------------------------------------------------------------------------------


@dataclass
class PersonLoad:
    user: User
    open_tasks: int
    remaining_hours: float
    unestimated: int
    capacity_hours_per_week: float
    # The tightest deadline: hours due by then against working hours until then.
    tight_due_at: datetime | None
    needed_hours: float
    available_hours: float

    @property
    def overloaded(self) -> bool:
        return self.needed_hours > self.available_hours + 1e-9


@dataclass
class Dashboard:
    overdue: list[Task]
    due_soon: list[Task]
    at_risk: list[Task]
    by_category: list[dict]
    by_assignee: list[PersonLoad]
    burnup: list[dict]
    forecast: StoredTeamForecast


def workload(user: User, tasks: list[tuple[datetime | None, float | None]], now: datetime) -> PersonLoad:
    """Open estimated hours against the person's capacity up to each of their deadlines."""
    schedule = schedule_of(user)
    dated = sorted((due, hours) for due, hours in tasks if due is not None and hours is not None)
    needed = 0.0
    tight = (None, 0.0, 0.0, -1.0)
    for due, hours in dated:
        needed += hours
        # Capacity is counted at most a year ahead: that is planning horizon enough, and walking the
        # working days up to a deadline in 2100 would cost seconds per page.
        horizon = min(due, now + WORKLOAD_HORIZON)
        available = working_hours_between(schedule, now, horizon) if due > now else 0.0
        pressure = needed - available
        if pressure > tight[3]:
            tight = (due, needed, available, pressure)
    return PersonLoad(
        user=user,
        open_tasks=len(tasks),
        remaining_hours=round(sum(h for _, h in tasks if h is not None), 2),
        unestimated=sum(1 for _, h in tasks if h is None),
        capacity_hours_per_week=user.capacity_hours_per_week,
        tight_due_at=tight[0],
        needed_hours=round(tight[1], 2),
        available_hours=round(tight[2], 2),
    )


def dashboard(member: TeamMembership, now: datetime | None = None) -> Dashboard:
    """What a manager watches: overdue, due in 7 days, at risk, load per category and per person."""
    now = now or utcnow()
    team_id = member.team_id
    live = open_tasks(member, TaskFilter(), now)
    team_forecast = load(open_in_team(team_id))
    spent = spent_hours([t.id for t in live])

    overdue = [t for t in live if t.due_at is not None and t.due_at < now]
    due_soon = [t for t in live if t.due_at is not None and now <= t.due_at < now + timedelta(days=7)]
    at_risk = [t for t in live if team_forecast.at_risk(t.id)]

    categories = db.session.scalars(
        select(Category).where(Category.team_id == team_id).order_by(Category.position, Category.id)
    )
    counts = {c.id: {"slug": c.slug, "name": c.name, "archived": c.archived, "open": 0, "overdue": 0}
              for c in categories}
    overdue_ids = {t.id for t in overdue}
    for t in live:
        counts[t.category_id]["open"] += 1
        counts[t.category_id]["overdue"] += t.id in overdue_ids
    # Archived categories only matter while they still hold open work.
    by_category = [row for row in counts.values() if row["open"] or not row["archived"]]

    per_person: dict[int, list] = defaultdict(list)
    for t in live:
        if t.assignee_id is not None:
            spent_on_it = spent.get(t.id, 0.0)
            remaining = None if t.estimate_hours is None else max(t.estimate_hours - spent_on_it, 0.0)
            per_person[t.assignee_id].append((t.due_at, remaining))
    by_assignee = [workload(m.user, per_person.get(m.user_id, []), now) for m in members_of(member.team)]

    burnup_weeks = burnup(team_id, now)
    return Dashboard(overdue, due_soon, at_risk, by_category, by_assignee, burnup_weeks, team_forecast)


def burnup(team_id: int, now: datetime, weeks: int = BURNUP_WEEKS) -> list[dict]:
    """Weekly points of total estimate in scope and estimate done, over the last `weeks` weeks."""
    rows = db.session.execute(
        select(Task.created_at, Task.completed_at, Task.status, Task.estimate_hours).where(
            Task.team_id == team_id, Task.deleted_at.is_(None)
        )
    ).all()
    points = []
    for back in range(weeks, -1, -1):
        at = now - timedelta(weeks=back)
        scope = sum(r.estimate_hours or 0 for r in rows if r.created_at <= at)
        done = sum(
            r.estimate_hours or 0
            for r in rows
            if r.status == "done" and r.completed_at is not None and r.completed_at <= at
        )
        points.append({"at": at, "scope_hours": round(scope, 2), "done_hours": round(done, 2)})
    return points
