"""Time tracking: logging the hours people spend on a task, and reading them back."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from . import events, zones
from .errors import Forbidden, Invalid, NotFound
from .extensions import db
from .models import Task, TeamMembership, TimeEntry, User, utcnow
from .tasks import get_on_task, list_on_task
from .teams import has_role
from .two_factor import visible_team_ids
from .vocabulary import EARLIEST_DATE, LATEST_DATE

MAX_HOURS_PER_ENTRY = 24
NOTE_MAX = 500
# Days in this century, as deadlines. EARLIEST_DATE and LATEST_DATE are instants with slack for every
# time zone (1999-12-31 and 2101-01-02 UTC); a calendar day needs none.
FIRST_DAY = EARLIEST_DATE.date() + timedelta(days=1)  # 2000-01-01
LAST_DAY = LATEST_DATE.date() - timedelta(days=2)  # 2100-12-31


def _local_today(member: TeamMembership) -> date:
    return utcnow().astimezone(zones.named(member.user.timezone)).date()


def log_time(
    member: TeamMembership, task: Task, hours: float, spent_on: date | None = None, note: str = ""
) -> TimeEntry:
    """Record `hours` (more than 0, at most 24) spent by the member on a task of their team.

    `spent_on` is a day on the member's calendar (None: today there, as in Redmine and Jira); tomorrow is
    accepted (someone working past midnight in another zone), later days are not.
    """
    if task.team_id != member.team_id or task.deleted_at is not None:
        raise NotFound("No such task.")
    if spent_on is None:
        spent_on = _local_today(member)
    errors: dict[str, list[str]] = {}
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours):
        errors["hours"] = ["Enter a number of hours."]
    elif round(hours, 2) <= 0:  # hours are kept to the hundredth: 0.001 would become an empty entry
        errors["hours"] = ["Log at least 0.01 hours."]
    elif hours > MAX_HOURS_PER_ENTRY:
        errors["hours"] = [f"Log at most {MAX_HOURS_PER_ENTRY} hours per entry."]
    if isinstance(spent_on, datetime) or not isinstance(spent_on, date):
        errors["spent_on"] = ["Enter the day, e.g. 2026-11-25."]
    elif not FIRST_DAY <= spent_on <= LAST_DAY:
        errors["spent_on"] = [f"Enter a day between {FIRST_DAY} and {LAST_DAY}."]
    elif spent_on > _local_today(member) + timedelta(days=1):
        errors["spent_on"] = ["You cannot log time on a day that has not come yet."]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [f"Use at most {NOTE_MAX} characters."]
    if errors:
        raise Invalid(errors)
    entry = TimeEntry(
        task_id=task.id, user_id=member.user_id, hours=round(float(hours), 2), spent_on=spent_on, note=note
    )
    db.session.add(entry)
    events.time_logged.send(task, actor=member.user, entry=entry)
    db.session.commit()
    return entry


def list_time_entries(task: Task) -> list[TimeEntry]:
    """The task's time entries, oldest day first, with who logged them loaded."""
    return list_on_task(task, TimeEntry, TimeEntry.spent_on, load=joinedload(TimeEntry.user))


def get_time_entry(user: User, entry_id: int) -> tuple[TimeEntry, TeamMembership]:
    """One entry on a live task of one of the user's teams, and that membership; NotFound otherwise."""
    return get_on_task(
        user, TimeEntry, entry_id, joinedload(TimeEntry.user), joinedload(TeamMembership.team), noun="time entry"
    )


def delete_time_entry(member: TeamMembership, entry: TimeEntry) -> None:
    """People delete their own entries; managers can delete anyone's (to correct the team's log)."""
    if entry.user_id != member.user_id and not has_role(member, "manager"):
        raise Forbidden("Only the person who logged the time, or a manager, can delete it.")
    events.time_deleted.send(entry.task, actor=member.user, entry=entry)
    db.session.delete(entry)
    db.session.commit()


def week_of(day: date) -> date:
    """The Monday of the ISO week that contains `day`."""
    return day - timedelta(days=day.weekday())


def week_entries(user: User, monday: date) -> list[TimeEntry]:
    """The user's entries from Monday to Sunday of one week, on live tasks of the teams they are still
    in (someone who left a team no longer sees its tasks), with task and team loaded."""
    return list(
        db.session.scalars(
            select(TimeEntry)
            .join(Task, Task.id == TimeEntry.task_id)
            .options(joinedload(TimeEntry.task).joinedload(Task.team))
            .where(
                TimeEntry.user_id == user.id,
                Task.team_id.in_(visible_team_ids(user)),
                TimeEntry.spent_on >= monday,
                TimeEntry.spent_on < monday + timedelta(days=7),
                Task.deleted_at.is_(None),
            )
            .order_by(TimeEntry.spent_on, TimeEntry.id)
        )
    )


def week_summary(entries: list[TimeEntry], monday: date) -> dict:
    """Hours per day, per task and in total for one week's entries."""
    days = [monday + timedelta(days=i) for i in range(7)]
    per_day = {d: 0.0 for d in days}
    per_task: dict[int, dict] = {}
    for entry in entries:
        per_day[entry.spent_on] += entry.hours
        row = per_task.setdefault(entry.task_id, {"task": entry.task, "hours": {d: 0.0 for d in days}, "total": 0.0})
        row["hours"][entry.spent_on] += entry.hours
        row["total"] += entry.hours
    return {
        "days": days,
        "per_day": {d: round(h, 2) for d, h in per_day.items()},
        "per_task": list(per_task.values()),
        "total": round(sum(per_day.values()), 2),
    }
