"""The prioritisation views: my work, board, Eisenhower matrix, deadline calendar, manager dashboard
and the deadline-risk forecast, each as plain data that the HTML pages and the API both render."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Integer, and_, case, func, literal, literal_column, or_, select, true, union_all
from sqlalchemy.orm import joinedload

from .deadlines import (
    BUCKETS,
    IMPORTANT_PRIORITIES,
    eisenhower_conditions,
    local_to_utc,
    month_grid,
    work_bucket_conditions,
)
from .extensions import db
from .models import (
    BurnupDay,
    Category,
    CategoryDay,
    StoredForecast,
    StoredPersonLoad,
    Task,
    TeamMembership,
    User,
    utcnow,
)
from .paging import bounds
from .stored_forecast import StoredTeamForecast, load
from .tallies import day_of, start_of
from .tasks import LIST_LOAD, OPEN_TASK, TaskFilter, filtered_tasks, task_ordering
from .teams import members_of
from .two_factor import visible_team_ids
from .vocabulary import OPEN_STATUSES, PRIORITIES
from .workload import PersonLoad, stored_load, workload  # noqa: F401  (workload: its old home)

DONE_COLUMN_DAYS = 14
BURNUP_WEEKS = 8
# Pages show the first few tasks of each board column, matrix quadrant and my-work bucket (the pages'
# BOARD_CARDS setting, this by default), with a count of all and a link to show more; never all of them.
BOARD_CARDS = 50
# My work shows fewer per bucket: its five buckets stack on one page, and a person with thousands of open
# tasks would otherwise get 250 cards (a few dozen at most is what a person reads before acting).
MY_WORK_CARDS = 10
MOST_CARDS = 200  # the most a group shows when asked for more (as many as one page of a list)
CALENDAR_PER_DAY = 5
DASHBOARD_LIST = 10
# How many tasks groups show: one number for every group, or one per group name.
Limit = int | Mapping[str, int]


# Bounded groups of tasks ------------------------------------------------------------------------


class Groups(dict):
    """Named lists of tasks (board columns, matrix quadrants, my-work buckets, the dashboard's lists),
    each the first `limits[name]` in its order; `totals[name]` counts all that belong there."""

    def __init__(self, items: dict[str, list[Task]], totals: Mapping[str, int], limits: Mapping[str, int]):
        super().__init__(items)
        self.totals = {name: int(totals.get(name) or 0) for name in items}
        self.limits = dict(limits)
        self.step: int | None = None  # how many more a "show more" link adds (None: the pages' BOARD_CARDS)

    def hidden(self, name: str) -> int:
        """How many tasks of group `name` are not shown."""
        return self.totals[name] - len(self[name])

    @property
    def task_ids(self) -> list[int]:
        return [task.id for items in self.values() for task in items]


def group_limits(names, limit: Limit) -> dict[str, int]:
    """How many tasks each group shows: one number for all, or one per name (BOARD_CARDS for the names
    it lacks); each between 1 and MOST_CARDS."""
    asked = {name: limit if isinstance(limit, int) else limit.get(name, BOARD_CARDS) for name in names}
    return {name: bounds(1, n, MOST_CARDS)[1] for name, n in asked.items()}


def first_of_groups(base, groups: dict, limits: Mapping[str, int], *load) -> dict[str, list[Task]]:
    """The first `limits[name]` tasks of each group in one statement (and the eager loads): `groups` maps
    a name to (its condition on the tasks of `base`, its order). Each group is read in its order with a
    LIMIT, so an index on that order serves it without reading the rest of the team. A group given a list
    of conditions is those parts one after the other (each in the order), so that an order led by a few
    known values (my work's priorities) is an index range per value rather than a sort."""
    parts = []
    for index, (name, (condition, order)) in enumerate(groups.items()):
        if isinstance(condition, list):
            ranked = _first_of_parts(base, index, condition, order, limits[name])
        else:
            ranked = _first_ids(base, index, condition, order, limits[name])
        parts.append(select(ranked.c.id, ranked.c.grp, ranked.c.pos))
    chosen = union_all(*parts).subquery()
    rows = db.session.execute(
        select(Task, chosen.c.grp)
        .join(chosen, chosen.c.id == Task.id)
        .options(*LIST_LOAD, *load)
        .order_by(chosen.c.grp, chosen.c.pos)
    )
    names = list(groups)
    found: dict[str, list[Task]] = {name: [] for name in names}
    for task, index in rows:
        found[names[index]].append(task)
    return found


# One type instance for the group numbers: given the class, SQLAlchemy makes an instance per use and works
# out its cache key again each time (about 0.3 ms a group, most of my work's statement building).
_NUMBER = Integer()


def _first_ids(base, index: int, condition, order, limit: int):
    """The ids of the first `limit` tasks of `base` meeting `condition` in `order`, numbered (grp: `index`,
    pos: 1, 2, …)."""
    return (
        base.with_only_columns(
            Task.id.label("id"),
            literal_column(str(index), _NUMBER).label("grp"),
            func.row_number().over(order_by=order).label("pos"),
        )
        .where(condition)
        .order_by(*order)
        .limit(limit)
        .subquery()
    )


def _first_of_parts(base, index: int, conditions: list, order, limit: int):
    """The first `limit` of the parts one after the other: at most `limit` of each read in `order`, then
    only those few put in place (part, position)."""
    parts = union_all(*(
        select(part.c.id, part.c.grp, part.c.pos)
        for number, condition in enumerate(conditions)
        for part in [_first_ids(base, number, condition, order, limit)]
    )).subquery()
    merged = (parts.c.grp, parts.c.pos)
    return (
        select(parts.c.id, literal_column(str(index), _NUMBER).label("grp"),
               func.row_number().over(order_by=merged).label("pos"))
        .order_by(*merged)
        .limit(limit)
        .subquery()
    )


def counts_by(base, key) -> dict:
    """How many tasks of `base` there are for each value of `key` (a column or a SQL expression)."""
    keyed = base.with_only_columns(key.label("key")).subquery()
    return dict(db.session.execute(select(keyed.c.key, func.count()).group_by(keyed.c.key)).all())


def counts_of(base, groups: Mapping[str, object]) -> dict[str, int]:
    """How many tasks of `base` meet each named condition, in one pass and without a GROUP BY (a sort of
    every row counted on SQLite)."""
    sums = [func.coalesce(func.sum(case((condition, 1), else_=0)), 0) for condition in groups.values()]
    return dict(zip(groups, db.session.execute(base.with_only_columns(*sums)).one(), strict=True))


# My work ----------------------------------------------------------------------------------------


@dataclass
class MyWork:
    buckets: Groups
    forecast: StoredTeamForecast

    @property
    def total(self) -> int:
        return sum(self.buckets.totals.values())


def my_work(user: User, now: datetime | None = None, limit: Limit = BOARD_CARDS) -> MyWork:
    """The user's open tasks across all their teams, in deadline buckets of their own time zone, most
    important first: the first `limit` of each bucket, and how many each holds."""
    now = now or utcnow()
    # Not done, worded as the open-task indexes' condition; without OPEN_TASK's "(due_at IS NULL) >= false",
    # which SQLite would take as the range on that column instead of the bucket's own "IS false / true".
    base = select(Task).where(
        Task.team_id.in_(visible_team_ids(user)), Task.assignee_id == user.id,
        Task.status != literal_column("'done'"), Task.deleted_at.is_(None),
    )
    # Deadline ranges, not one CASE: each bucket reads only its part of the person's open tasks.
    conditions = work_bucket_conditions(Task.due_at, now, user.timezone)
    limits = group_limits(BUCKETS, limit)
    # Most important first, then by deadline: one range of ix_tasks_open_by_assignee_priority per priority,
    # the same order as (tasks.PRIORITY_ORDER, due_at IS NULL, due_at, id) since within a bucket the
    # deadline is always set or never; so no bucket sorts all the person's open tasks of its range.
    groups = {name: ([and_(conditions[name], Task.due_at.is_(None).is_(name == "no_due"),
                           Task.priority == priority) for priority in PRIORITIES], (Task.due_at, Task.id))
              for name in BUCKETS}
    first = first_of_groups(base, groups, limits, joinedload(Task.team))
    buckets = Groups(first, counts_of(base, conditions), limits)
    return MyWork(buckets, load(buckets.task_ids))


# Board and Eisenhower ------------------------------------------------------------------------


def board(
    member: TeamMembership, f: TaskFilter, now: datetime | None = None, limit: Limit = BOARD_CARDS
) -> Groups:
    """Columns by status: the open tasks matching the filter by deadline, and those done in the last two
    weeks, latest first; the first `limit` of each column, and how many each holds."""
    now = now or utcnow()
    recent = Task.completed_at >= now - timedelta(days=DONE_COLUMN_DAYS)
    base = filtered_tasks(member.team_id, replace(f, status=None), member.user, now).where(
        or_(Task.status != "done", recent)
    )
    # Open columns read the open tasks' deadline index (OPEN_TASK); the done column the (status,
    # completed_at) one. Both counted per status from the index alone.
    groups = {name: (and_(OPEN_TASK, Task.status == name), tuple(task_ordering("due_at")))
              for name in OPEN_STATUSES}
    # `recent` again, outside the base's OR, so PostgreSQL too reads the done column as a range of the index.
    groups["done"] = (and_(Task.status == "done", recent), (Task.completed_at.desc(), Task.id))
    limits = group_limits(groups, limit)
    return Groups(first_of_groups(base, groups, limits), counts_by(base, Task.status), limits)


def eisenhower(
    member: TeamMembership, f: TaskFilter, now: datetime | None = None, limit: Limit = BOARD_CARDS
) -> Groups:
    """Open tasks in quadrants: important = critical/high; urgent = overdue or due within the team's
    window; by deadline, the first `limit` of each quadrant, and how many each holds."""
    now = now or utcnow()
    base = filtered_tasks(member.team_id, replace(f, status="open"), member.user, now)
    window = member.team.urgency_window_hours
    order = tuple(task_ordering("due_at"))
    # Each quadrant as plain comparisons, so its first cards are a seek in the open tasks' deadline index.
    groups = {name: (condition, order)
              for name, condition in eisenhower_conditions(Task.priority, Task.due_at, now, window).items()}
    limits = group_limits(groups, limit)
    return Groups(first_of_groups(base, groups, limits), quadrant_counts(base, now, window), limits)


def forecast_by_person(member: TeamMembership, limit: Limit = BOARD_CARDS) -> tuple[list[User], Groups]:
    """The forecast grouped by person: each member's open tasks in the order their queue is worked (the
    stored projected finish, unprojected last), the first `limit` of each and how many each holds; the
    members in name order. Unassigned tasks are in nobody's queue (the list filters them)."""
    people = [m.user for m in members_of(member.team)]
    base = (
        select(Task)
        .outerjoin(StoredForecast, StoredForecast.task_id == Task.id)
        .where(Task.team_id == member.team_id, Task.deleted_at.is_(None), OPEN_TASK,
               Task.assignee_id.is_not(None))
    )
    order = (StoredForecast.projected_finish_at.is_(None), StoredForecast.projected_finish_at, Task.id)
    groups = {person.id: (Task.assignee_id == person.id, order) for person in people}
    limits = group_limits(groups, limit)
    found = first_of_groups(base, groups, limits) if groups else {}
    return people, Groups(found, counts_by(base, Task.assignee_id), limits)


def quadrant_counts(base, now: datetime, urgency_window_hours: float) -> dict[str, int]:
    """How many tasks of `base` each quadrant holds, from three plain sums in one pass (cheaper per row
    than one condition per quadrant): important, urgent, both."""
    important = Task.priority.in_(sorted(IMPORTANT_PRIORITIES))
    urgent = Task.due_at <= now + timedelta(hours=urgency_window_hours)  # NULL, no deadline: not urgent
    sums = {"all": true(), "important": important, "urgent": urgent, "do": and_(important, urgent)}
    n = counts_of(base, sums)
    return {"do": n["do"], "schedule": n["important"] - n["do"], "delegate": n["urgent"] - n["do"],
            "later": n["all"] - n["important"] - n["urgent"] + n["do"]}


# Calendar ---------------------------------------------------------------------------------------


@dataclass
class Month:
    year: int
    month: int
    weeks: list[list[date]]
    by_day: dict[date, list[Task]]
    # How many deadlines each day holds (by_day shows the first few), and where each day starts and ends.
    totals: dict[date, int] = field(default_factory=dict)
    bounds: dict[date, tuple[datetime, datetime]] = field(default_factory=dict)

    @property
    def previous(self) -> tuple[int, int]:
        return (self.year - 1, 12) if self.month == 1 else (self.year, self.month - 1)

    @property
    def next(self) -> tuple[int, int]:
        return (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    def hidden(self, day: date) -> int:
        """How many of the day's deadlines are not shown."""
        return self.totals.get(day, 0) - len(self.by_day.get(day, ()))

    @property
    def task_ids(self) -> list[int]:
        return [task.id for tasks in self.by_day.values() for task in tasks]


# A deadline range said so that the live-tasks deadline index serves it as one range: SQLite reads the
# (due_at IS NULL) column of that index only when the query names it, and PostgreSQL only when it is
# not rewritten: "= false" becomes "due_at IS NOT NULL" (no longer the index's column), "IS false" stays.
_DATED = Task.due_at.is_(None).is_(False)


def _deadline_within(start: datetime, end: datetime):
    """Deadlines from `start` up to `end` (a day of the calendar), as one range of the deadline index."""
    return and_(_DATED, Task.due_at >= start, Task.due_at < end)


def _first_by_day(base, within: dict, bounds: dict[date, tuple[datetime, datetime]], per_day: int) -> dict:
    """The first `per_day` deadlines of each day (by deadline, then number; `within`: each day's condition,
    days in order), in one statement: one index range with a LIMIT per day. The parts are plain (no
    window function as in first_of_groups): for 42 days, building those took longer than running them."""
    first = base.with_only_columns(Task.id).order_by(Task.due_at, Task.id).limit(per_day)
    parts = [first.where(on_day).subquery().select() for on_day in within.values()]
    found: dict[date, list[Task]] = {}
    days, index = list(within), 0
    # In deadline order, the days come in order too.
    for task in db.session.scalars(select(Task).where(Task.id.in_(union_all(*parts))).options(*LIST_LOAD)
                                   .order_by(Task.due_at, Task.id)):
        while task.due_at >= bounds[days[index]][1]:
            index += 1
        found.setdefault(days[index], []).append(task)
    return found


def deadline_calendar(
    member: TeamMembership, year: int, month: int, f: TaskFilter, tz: str, per_day: int = CALENDAR_PER_DAY,
    only: list[date] | None = None,
) -> Month:
    """The month grid (whole weeks) with each day's first `per_day` deadlines and how many it holds,
    days taken in the viewer's zone; only the days shown are read (`only`: just these, the week view).
    Each day is its own index range, its first cards read with a LIMIT and its count taken in the
    database, so the cost follows the cards shown, not how many deadlines the weeks hold."""
    weeks = month_grid(year, month)
    days = only or [day for week in weeks for day in week]
    bounds = {day: (local_to_utc(datetime.combine(day, time()), tz),
                    local_to_utc(datetime.combine(day + timedelta(days=1), time()), tz)) for day in days}
    now, unbounded = utcnow(), replace(f, due_after=None, due_before=None, overdue=False)
    # "Overdue" (still open, due before now, as filtered_tasks has it) as each day's range ending at now:
    # of two upper bounds on due_at, SQLite's index range takes one, not always the tighter.
    base = filtered_tasks(member.team_id, unbounded, member.user).where(*[OPEN_TASK] if f.overdue else [])
    within = {day: _deadline_within(start, min(end, now) if f.overdue else end)
              for day, (start, end) in bounds.items()}
    counting = base.with_only_columns(func.count(), maintain_column_froms=True)
    counts = select(*(counting.where(on_day).scalar_subquery() for on_day in within.values()))
    totals = {day: n for day, n in zip(days, db.session.execute(counts).one(), strict=True) if n}
    return Month(year, month, weeks, _first_by_day(base, within, bounds, per_day), totals, bounds)


# Manager dashboard ------------------------------------------------------------------------------


@dataclass
class Dashboard:
    lists: Groups  # overdue, due_soon and at_risk: the first few of each, and how many each holds
    by_category: list[dict]
    by_assignee: list[PersonLoad]
    burnup: list[dict]
    forecast: StoredTeamForecast  # of the tasks in `lists`
    forecast_as_of: datetime | None  # when the oldest of the team's stored forecasts was computed

    @property
    def overdue(self) -> list[Task]:
        return self.lists["overdue"]

    @property
    def due_soon(self) -> list[Task]:
        return self.lists["due_soon"]

    @property
    def at_risk(self) -> list[Task]:
        return self.lists["at_risk"]


def workloads(member: TeamMembership, now: datetime) -> list[PersonLoad]:
    """Each member's load over the team's open tasks, as the stored forecast keeps it (computed with
    tracker.workload's rules after every change that moves it, and by the periodic pass); a member
    without a stored load has no open task there."""
    stored = db.session.scalars(select(StoredPersonLoad).where(StoredPersonLoad.team_id == member.team_id))
    rows = {row.user_id: row for row in stored}
    return [stored_load(m.user, rows.get(m.user_id), now) for m in members_of(member.team)]


def by_category(member: TeamMembership, base, now: datetime) -> list[dict]:
    """Open, overdue, due-soon and at-risk counts per category of the team: the whole days of deadlines
    added up from the daily tallies (tracker/tallies.py), and the two days that now and now + 7 days cut
    in two counted from the open tasks due on them (from an index), so the cost does not grow with the
    team."""
    week_end = now + timedelta(days=7)
    today, last = day_of(now), day_of(week_end)
    open_on = CategoryDay.open_tasks
    tallied = db.session.execute(
        select(
            CategoryDay.category_id, func.sum(open_on),
            func.sum(case((CategoryDay.day < today, open_on), else_=0)),
            func.sum(case((and_(CategoryDay.day > today, CategoryDay.day < last), open_on), else_=0)),
            func.sum(CategoryDay.at_risk_tasks),
        ).where(CategoryDay.team_id == member.team_id).group_by(CategoryDay.category_id)
    )
    counted = {row[0]: [int(n or 0) for n in row[1:]] for row in tallied}
    # One range of ix_tasks_open_by_category_due per cut day (its condition repeated literally).
    cut = union_all(*(
        select(Task.category_id, Task.due_at).where(
            Task.team_id == member.team_id, Task.deleted_at.is_(None),
            Task.status != literal_column("'done'"),
            Task.due_at >= start_of(day), Task.due_at < start_of(day) + timedelta(days=1),
        )
        for day in (today, last)
    )).subquery()
    for category, overdue, due_soon in db.session.execute(
        select(
            cut.c.category_id, func.sum(case((cut.c.due_at < now, 1), else_=0)),
            func.sum(case((and_(cut.c.due_at >= now, cut.c.due_at < week_end), 1), else_=0)),
        ).group_by(cut.c.category_id)
    ):
        row = counted.setdefault(category, [0, 0, 0, 0])
        row[1] += overdue or 0
        row[2] += due_soon or 0
    categories = db.session.scalars(
        select(Category).where(Category.team_id == member.team_id).order_by(Category.position, Category.id)
    )
    return [
        {"slug": c.slug, "name": c.name, "archived": c.archived, "open": n, "overdue": overdue,
         "due_soon": soon, "at_risk": risky}
        for c in categories
        for n, overdue, soon, risky in [counted.get(c.id, (0, 0, 0, 0))]
        # Archived categories only matter while they still hold open work.
        if n or not c.archived
    ]


def dashboard(member: TeamMembership, now: datetime | None = None, limit: int = DASHBOARD_LIST) -> Dashboard:
    """What a manager watches: overdue, due in 7 days and at risk (the first `limit` of each, and how many),
    load per category and per person, and the burn-up; all counted and summed in the database."""
    now = now or utcnow()
    base = filtered_tasks(member.team_id, TaskFilter(status="open"), member.user, now)
    # Checked per task in deadline order until the first few are found (the IN list of every at-risk id
    # was 42,000 ids read at 100k tasks).
    at_risk = select(StoredForecast.task_id).where(StoredForecast.task_id == Task.id, StoredForecast.at_risk)
    # Dated lists by (deadline, id), which the open tasks' deadline index gives in order without a sort
    # and without reading done tasks: "due_at IS NULL = false" is the equality it ranges on.
    dated, has_deadline = (Task.due_at, Task.id), Task.due_at.is_(None) == literal(False)
    groups = {
        "overdue": (and_(has_deadline, Task.due_at < now), dated),
        "due_soon": (and_(has_deadline, Task.due_at >= now, Task.due_at < now + timedelta(days=7)), dated),
        "at_risk": (at_risk.exists(), tuple(task_ordering("due_at"))),
    }
    limits = group_limits(groups, limit)
    categories = by_category(member, base, now)
    totals = {name: sum(row[name] for row in categories) for name in groups}
    lists = Groups(first_of_groups(base, groups, limits), totals, limits)
    return Dashboard(
        lists=lists,
        by_category=categories,
        by_assignee=(loads := workloads(member, now)),
        burnup=burnup(member.team_id, now),
        forecast=load(lists.task_ids),
        # The page's freshness is that of the oldest figure it shows: forecasts and loads alike.
        forecast_as_of=min((at for at in (forecast_as_of(member.team_id), *(p.computed_at for p in loads))
                            if at is not None), default=None),
    )


def forecast_as_of(team_id: int) -> datetime | None:
    """When the oldest of the team's stored forecasts was computed (what pages say about freshness)."""
    oldest = select(func.min(StoredForecast.computed_at)).where(StoredForecast.team_id == team_id)
    return db.session.scalar(oldest)


def burnup(team_id: int, now: datetime, weeks: int = BURNUP_WEEKS) -> list[dict]:
    """Weekly points of total estimate in scope and estimate done over the last `weeks` weeks, added up in
    one query from the daily tallies (tracker/tallies.py), so the cost does not grow with the team. The
    points fall on UTC day boundaries: the start of the day `back` weeks ago, exact for that instant,
    and now for the last point (which counts the whole of today: at a `now` in the past, a task created
    later that day counts too)."""
    today = day_of(now)
    points = [start_of(today - timedelta(weeks=back)) for back in range(weeks, 0, -1)] + [now]
    ends = [day_of(at) for at in points[:-1]] + [today + timedelta(days=1)]  # each adds the days before
    sums = [
        func.coalesce(func.sum(case((BurnupDay.day < end, column), else_=0.0)), 0.0)
        for end in ends
        for column in (BurnupDay.scope_hours, BurnupDay.done_hours)
    ]
    totals = db.session.execute(select(*sums).where(BurnupDay.team_id == team_id)).one()
    return [
        {"at": at, "scope_hours": round(totals[2 * i], 2), "done_hours": round(totals[2 * i + 1], 2)}
        for i, at in enumerate(points)
    ]
