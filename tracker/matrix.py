"""Acting in the Eisenhower matrix: moving a task to another quadrant changes what put it there.

The important axis is the priority (moved up to high, or down to medium); the urgent axis is the
deadline, which only the person moving can choose, so a move across it needs a date on the right side
of the team's urgency window. Delegating names a person; scheduling may set the day work starts.
Everything goes through tasks.update_task: the same checks, locking, history and events as any edit.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from .deadlines import QUADRANTS, end_of_day, is_important, is_urgent
from .errors import Invalid
from .extensions import db
from .models import Task, TeamMembership, User, utcnow
from .tasks import update_task
from .vocabulary import is_id

# What a move across the important axis sets: the nearest priority on the other side.
MADE_IMPORTANT, MADE_UNIMPORTANT = "high", "medium"
# What each quadrant asks the person looking at it to do.
ADVICE = {
    "do": "Do now: start these yourself.",
    "schedule": "Schedule: pick a date to work on each.",
    "delegate": "Delegate: pick a person for each.",
    "later": "Later: leave them, or drop what no longer matters.",
}


def parse_day(raw: Any, field: str) -> date | None:
    """A date from a form's date field (YYYY-MM-DD, years 2000-2100); None when empty."""
    if raw is None or raw == "" or isinstance(raw, date):
        return raw or None
    try:
        day = date.fromisoformat(str(raw)) if len(str(raw)) == 10 else None
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2100:
        raise Invalid({field: ["A date like 2026-12-01 (years 2000 to 2100)."]})
    return day


def _assignee_zone(member: TeamMembership, task: Task, assignee_id: Any) -> str:
    """The zone a date-only deadline is the end of a day in: the (new) assignee's, else the mover's."""
    if is_id(assignee_id):
        found = db.session.scalar(
            select(User).join(TeamMembership, TeamMembership.user_id == User.id)
            .where(User.id == int(assignee_id), TeamMembership.team_id == task.team_id)
        )
        if found is not None:
            return found.timezone
    return task.assignee.timezone if task.assignee else member.user.timezone


def quadrant_changes(member: TeamMembership, task: Task, target: str, *, due: Any = None, start: Any = None,
                     assignee_id: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """The task fields a move to `target` changes (see the module's docstring); Invalid when a needed
    date is missing or on the wrong side of the urgency window."""
    if target not in QUADRANTS:
        raise Invalid({"quadrant": [f"One of: {', '.join(QUADRANTS)}."]})
    now, window = now or utcnow(), member.team.urgency_window_hours
    want_important, want_urgent = target in ("do", "schedule"), target in ("do", "delegate")
    changes: dict[str, Any] = {}
    if is_important(task.priority) != want_important:
        changes["priority"] = MADE_IMPORTANT if want_important else MADE_UNIMPORTANT
    if assignee_id not in (None, ""):
        text = str(assignee_id)
        # Not a number: passed on as it is, for update_task to refuse like any unknown person.
        assignee_id = int(text) if text.isdecimal() and len(text) <= 10 else text
        changes["assignee_id"] = assignee_id
    day = parse_day(due, "due")
    if day is None and is_urgent(task.due_at, now, window) != want_urgent:
        side = f"within the next {window} hours" if want_urgent else f"more than {window} hours ahead"
        raise Invalid({"due": [f"Pick a deadline {side} (the team's urgency window) to move it there."]})
    if day is not None:
        if is_urgent(end_of_day(day, _assignee_zone(member, task, assignee_id)), now, window) != want_urgent:
            side = f"within {window} hours from now" if want_urgent else f"more than {window} hours from now"
            raise Invalid({"due": [f"That deadline does not put it there: pick one {side}."]})
        changes["due_at"] = day
    started = parse_day(start, "start")
    if started is not None:
        changes["start_at"] = started
    return changes


def move_to_quadrant(member: TeamMembership, task: Task, target: str, *, expected_version: int | None = None,
                     **given: Any) -> dict[str, tuple[Any, Any]]:
    """Move `task` to quadrant `target` (with `due`, `start`, `assignee_id` as quadrant_changes takes
    them); returns what changed, {} when it already was there as asked."""
    changes = quadrant_changes(member, task, target, **given)
    if not changes:
        return {}
    return update_task(member, task, changes, expected_version=expected_version)
