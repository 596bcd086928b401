"""Plan my day / my week: the stored forecast's order for one person, as blocks of their working hours.

The forecast works each assignee's queue one task at a time, without interruption, so a task with a
projected finish F and R remaining hours is worked in the last R working hours before F. Those hours,
cut at the ends of working days and clipped to the planning window, are the person's agenda. What the
window cannot hold, and every task projected to finish after its deadline, is what would slip.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from . import stored_forecast, zones
from .deadlines import local_to_utc, require_aware
from .errors import Invalid
from .extensions import db
from .forecast import WorkSchedule
from .models import StoredForecast, Task, User
from .two_factor import visible_team_ids

DEFAULT_DAYS = 5
MAX_DAYS = 14
# The most tasks one plan reads: far more than fit in MAX_DAYS of working hours at any sane estimate.
MAX_PLANNED_TASKS = 200
SLIPPING_SHOWN = 20

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Block:
    """Working time planned for one task: [start_at, end_at) in UTC, inside one working day."""

    task_id: int
    start_at: datetime
    end_at: datetime

    @property
    def hours(self) -> float:
        return round((self.end_at - self.start_at) / timedelta(hours=1), 2)


def by_local_day(blocks: list[Block], zone: ZoneInfo) -> dict[date, list[Block]]:
    """The blocks grouped by their day in `zone`, in the order they come."""
    grouped: dict[date, list[Block]] = {}
    for block in blocks:
        grouped.setdefault(block.start_at.astimezone(zone).date(), []).append(block)
    return grouped


def day_hours(schedule: WorkSchedule, day: date) -> tuple[datetime, datetime] | None:
    """The working hours of one local day as UTC instants; None on a day off (or one whose window a
    DST gap swallowed)."""
    if day.isoweekday() not in schedule.work_days:
        return None
    start, end = (local_to_utc(datetime.combine(day, t), schedule.timezone)
                  for t in (schedule.work_start, schedule.work_end))
    return (start, end) if start < end else None


def _working_days(
    schedule: WorkSchedule, first: date, step: timedelta
) -> Iterator[tuple[datetime, datetime]]:
    """The working hours of `first` and of each working day after it (step +1 day) or before it (-1 day)."""
    day = first
    while True:
        hours = day_hours(schedule, day)
        if hours is not None:
            yield hours
        day += step


def work_blocks(
    task_id: int, schedule: WorkSchedule, finish: datetime, remaining_hours: float
) -> list[Block]:
    """The blocks in which the last `remaining_hours` working hours before `finish` fall, in time order."""
    require_aware(finish, "finish")
    left = timedelta(seconds=round(max(remaining_hours, 0) * 3600))
    blocks: list[Block] = []
    if not left:
        return blocks
    last = finish.astimezone(zones.named(schedule.timezone)).date()
    for start, end in _working_days(schedule, last, -_ONE_DAY):
        end = min(end, finish)
        if end <= start:
            continue
        begin = max(start, end - left)
        blocks.append(Block(task_id, begin, end))
        left -= end - begin
        if not left:
            return blocks[::-1]
    raise AssertionError("unreachable: working days never run out")


def window(schedule: WorkSchedule, now: datetime, days: int) -> tuple[datetime, datetime]:
    """From now to the end of the `days`-th working day whose hours have not ended yet (so "today"
    after work, or on a day off, is the next working day)."""
    require_aware(now, "now")
    local_today = now.astimezone(zones.named(schedule.timezone)).date()
    counted = 0
    for _start, end in _working_days(schedule, local_today, _ONE_DAY):
        if end > now:
            counted += 1
            if counted == days:
                return now, end
    raise AssertionError("unreachable: working days never run out")


def clip(blocks: list[Block], start: datetime, end: datetime) -> list[Block]:
    """The parts of `blocks` inside [start, end)."""
    clipped = (Block(b.task_id, max(b.start_at, start), min(b.end_at, end)) for b in blocks)
    return [b for b in clipped if b.start_at < b.end_at]


@dataclass
class Plan:
    """One person's agenda: the blocks in the window, the tasks they belong to, and what would slip."""

    timezone: str
    start: datetime
    end: datetime
    days: int
    blocks: list[Block]
    tasks: dict[int, Task]
    slipping: list[tuple[Task, StoredForecast]]
    slipping_total: int
    unestimated: int
    later: int = 0  # planned tasks that start after the window
    forecast: dict[int, StoredForecast] = field(default_factory=dict)

    @property
    def by_day(self) -> list[tuple[date, list[Block]]]:
        """The blocks grouped by the person's local day, in order."""
        return list(by_local_day(self.blocks, zones.named(self.timezone)).items())

    @property
    def now_block(self) -> Block | None:
        """The block to work on now (or the next one, outside working hours)."""
        return self.blocks[0] if self.blocks else None

    def hours(self, task_id: int) -> float:
        return round(sum(b.hours for b in self.blocks if b.task_id == task_id), 2)


def parse_days(raw: str | int | None) -> int:
    """The `days` argument: 1 to MAX_DAYS working days, DEFAULT_DAYS when absent."""
    if raw is None or raw == "":
        return DEFAULT_DAYS
    text = str(raw)
    if not (text.isdecimal() and len(text) <= 2 and 1 <= int(text) <= MAX_DAYS):
        raise Invalid({"days": [f"A whole number of working days from 1 to {MAX_DAYS}."]})
    return int(text)


def _mine(user: User):
    """The stored forecasts of the user's open tasks in the teams they are in now."""
    return (StoredForecast.assignee_id == user.id) & StoredForecast.team_id.in_(visible_team_ids(user))


def load_tasks(ids) -> dict[int, Task]:
    found = db.session.scalars(
        select(Task).where(Task.id.in_(ids))
        .options(joinedload(Task.team), joinedload(Task.category), joinedload(Task.assignee))
    ).unique()
    return {task.id: task for task in found}


def planned(
    user: User, start: datetime, end: datetime, team_id: int | None = None
) -> tuple[list[Block], list[StoredForecast], int]:
    """The user's planned blocks inside [start, end) (of one team, if given), the forecast rows they come
    from, and how many planned tasks start after `end`; two queries at most."""
    if end <= start:
        return [], [], 0
    scope = _mine(user) if team_id is None else _mine(user) & (StoredForecast.team_id == team_id)
    rows = db.session.scalars(
        select(StoredForecast)
        .where(scope, StoredForecast.projected_finish_at > start)
        .order_by(StoredForecast.projected_finish_at, StoredForecast.task_id)
        .limit(MAX_PLANNED_TASKS)
    ).all()
    schedule = stored_forecast.schedule_of(user)
    blocks, later = [], 0
    for row in rows:
        inside = clip(work_blocks(row.task_id, schedule, row.projected_finish_at, row.remaining_hours or 0),
                      start, end)
        blocks += inside
        later += not inside
    return blocks, list(rows), later


def plan_for(user: User, days: int = DEFAULT_DAYS, now: datetime | None = None) -> Plan:
    """The user's planned work blocks over the next `days` working days, in the forecast's order, and
    their tasks projected to miss the deadline; a fixed number of queries whatever the queue's length."""
    now = now or stored_forecast.clock()
    start, end = window(stored_forecast.schedule_of(user), now, days)
    blocks, rows, later = planned(user, start, end)
    slipping_rows = db.session.scalars(
        select(StoredForecast).where(_mine(user), StoredForecast.at_risk)
        .order_by(StoredForecast.slack_hours.is_(None), StoredForecast.slack_hours, StoredForecast.task_id)
        .limit(SLIPPING_SHOWN)
    ).all()
    counts = db.session.execute(
        select(func.count().filter(StoredForecast.at_risk),
               func.count().filter(StoredForecast.reason == "no_estimate")).where(_mine(user))
    ).one()
    tasks = load_tasks({b.task_id for b in blocks} | {r.task_id for r in slipping_rows})
    return Plan(
        timezone=user.timezone, start=start, end=end, days=days, blocks=blocks, tasks=tasks,
        slipping=[(tasks[r.task_id], r) for r in slipping_rows if r.task_id in tasks],
        slipping_total=counts[0], unestimated=counts[1], later=later,
        forecast={r.task_id: r for r in (*rows, *slipping_rows)},
    )


# The calendar's week ------------------------------------------------------------------------------------


def week_start(raw: str | None, today: date) -> date:
    """The Monday of the week that `raw` (an ISO date, any day of it) names; this week's when `raw` is
    missing or not a date of years 1901-2999 (as the month view treats a bad month)."""
    try:
        day = date.fromisoformat(raw or "")
    except ValueError:
        day = today
    if not 1900 < day.year < 3000:
        day = today
    return day - timedelta(days=day.weekday())


def blocks_by_day(user: User, days: list[date], team_id: int | None = None,
                  now: datetime | None = None) -> tuple[dict[date, list[Block]], dict[int, Task]]:
    """The user's planned blocks on these local days (from now on: the past holds no plan), by day,
    and their tasks."""
    zone = zones.named(user.timezone)
    start = local_to_utc(datetime.combine(days[0], time()), zone)
    end = local_to_utc(datetime.combine(days[-1] + _ONE_DAY, time()), zone)
    blocks, _rows, _later = planned(user, max(start, now or stored_forecast.clock()), end, team_id)
    return by_local_day(blocks, zone), load_tasks({b.task_id for b in blocks})
