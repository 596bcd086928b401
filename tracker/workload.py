"""A person's workload: the hours due by each of their deadlines against their working hours until then,
overdue work apart, and the coming week and four weeks. The pure rules (`workload`), which the stored
forecast applies to each member's open tasks of a team and the dashboard reads back (`stored_load`)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from .forecast import WorkSchedule, schedule_of, working_hours_between
from .models import User

WORKLOAD_HORIZON = timedelta(days=366)
# The dashboard's load against capacity over the coming week and the coming four weeks.
LOAD_WINDOWS = {"week": timedelta(days=7), "four_weeks": timedelta(days=28)}


@dataclass
class PersonLoad:
    user: User
    open_tasks: int
    remaining_hours: float
    unestimated: int
    capacity_hours_per_week: float
    # The tightest deadline still ahead: hours due by then against working hours until then.
    tight_due_at: datetime | None
    needed_hours: float
    available_hours: float
    # Work whose deadline has passed, on its own: it has no working hours left before its deadline, so it
    # would make anyone look over capacity at any deadline.
    overdue_tasks: int = 0
    overdue_hours: float = 0.0
    # Hours due in the coming week and four weeks (LOAD_WINDOWS) against working hours in them.
    week_hours: float = 0.0
    week_capacity_hours: float = 0.0
    four_weeks_hours: float = 0.0
    four_weeks_capacity_hours: float = 0.0
    # When a stored load was computed ("now" of its figures); None when computed on the spot.
    computed_at: datetime | None = field(default=None, compare=False)

    @property
    def overloaded(self) -> bool:
        return self.needed_hours > self.available_hours + 1e-9


# What the person_loads table keeps of a PersonLoad: all but the person (and their weekly capacity, which
# their working hours give) and when it was computed.
STORED_FIELDS = tuple(
    f.name for f in fields(PersonLoad) if f.name not in {"user", "capacity_hours_per_week", "computed_at"}
)


def _tightest(schedule: WorkSchedule, dated, now: datetime) -> tuple[datetime | None, float, float]:
    """The deadline with the most hours due by then beyond the working hours until then: (that deadline,
    hours due by it, working hours until it), from (deadline, hours) pairs."""
    needed = available = 0.0
    reached = now  # working hours are summed from now up to here, one stretch per deadline
    tight = (None, 0.0, 0.0, -1.0)
    for due, hours in sorted(dated):
        if due <= now:  # overdue work is shown on its own (PersonLoad.overdue_hours)
            continue
        needed += hours
        # Capacity is counted at most a year ahead: that is planning horizon enough, and walking the
        # working days up to a deadline in 2100 would cost seconds per page.
        horizon = min(due, now + WORKLOAD_HORIZON)
        if horizon > reached:
            available += working_hours_between(schedule, reached, horizon)
            reached = horizon
        pressure = needed - (available if due > now else 0.0)
        if pressure > tight[3]:
            tight = (due, needed, available if due > now else 0.0, pressure)
    return tight[0], tight[1], tight[2]


def _windows(schedule: WorkSchedule, dated, now: datetime) -> dict[str, float]:
    """Hours overdue, and hours due in each of LOAD_WINDOWS with the working hours in it."""
    figures = {"overdue_hours": round(sum(h for due, h in dated if due <= now), 2)}
    for name, length in LOAD_WINDOWS.items():
        figures[f"{name}_hours"] = round(sum(h for due, h in dated if now < due < now + length), 2)
        figures[f"{name}_capacity_hours"] = round(working_hours_between(schedule, now, now + length), 2)
    return figures


def person_load(user: User, counts: tuple[int, float, int], dated, now: datetime, overdue_tasks: int = 0
                ) -> PersonLoad:
    """A person's load from (open tasks, remaining hours, tasks without estimate), the (deadline,
    remaining hours) pairs of their estimated tasks with a deadline, and how many tasks are overdue."""
    due, needed, available = _tightest(schedule_of(user), dated, now)
    return PersonLoad(
        overdue_tasks=overdue_tasks,
        **_windows(schedule_of(user), dated, now),
        user=user,
        open_tasks=counts[0],
        remaining_hours=round(counts[1], 2),
        unestimated=counts[2],
        capacity_hours_per_week=user.capacity_hours_per_week,
        tight_due_at=due,
        needed_hours=round(needed, 2),
        available_hours=round(available, 2),
    )


def workload(user: User, tasks: list[tuple[datetime | None, float | None]], now: datetime) -> PersonLoad:
    """Open estimated hours against the person's capacity up to each of their deadlines, from the
    (deadline, remaining hours) of each open task: the reference that the stored loads are computed with."""
    hours = [h for _, h in tasks if h is not None]
    dated = [(due, h) for due, h in tasks if due is not None and h is not None]
    overdue = sum(1 for due, _ in tasks if due is not None and due <= now)
    return person_load(user, (len(tasks), sum(hours), len(tasks) - len(hours)), dated, now, overdue)


def stored_load(user: User, row, now: datetime) -> PersonLoad:
    """The load kept in a person_loads row (tracker.models.StoredPersonLoad) of `user`; without a row,
    the load of someone with no open task, as of `now`."""
    if row is None:
        return workload(user, [], now)
    kept = {name: getattr(row, name) for name in STORED_FIELDS}
    return PersonLoad(user=user, capacity_hours_per_week=user.capacity_hours_per_week,
                      computed_at=row.computed_at, **kept)


def load_row(team_id: int, load: PersonLoad, now: datetime) -> dict:
    """A person's load as a row of the person_loads table."""
    kept = {name: getattr(load, name) for name in STORED_FIELDS}
    return {"team_id": team_id, "user_id": load.user.id, **kept, "computed_at": now}
