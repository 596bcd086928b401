"""Recurring tasks: a task's rule is an RFC 5545 RRULE read by python-dateutil's `rrule` (every N days,
weeks or months, on given weekdays, on the Nth weekday of a month, until a date or N times), and completing
an occurrence creates the next one, once, with its deadline on the assignee's wall clock.

A task's rule describes the rest of its series from that task on: its deadline is the rule's DTSTART, and
COUNT counts that task too, so the next occurrence carries COUNT one lower (and the last one no rule).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from dateutil.rrule import rrule, rrulestr

from . import events, zones
from .deadlines import END_OF_DAY, local_to_utc
from .extensions import db
from .models import ChecklistItem, Task, TaskLabel, TaskOccurrence, User, utcnow
from .vocabulary import LATEST_DATE

RULE_MAX = 300
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# The parts of RFC 5545's RRULE that a task's rule may use (no hourly repeats, no BYWEEKNO/BYYEARDAY).
PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")
# Filters by day of the month, month or position pick days out of a month or a year; on a daily or weekly
# rule they could also leave no day at all, which costs dateutil a long search (see _SHIFT).
MONTHLY_PARTS = ("BYMONTHDAY", "BYMONTH", "BYSETPOS")
INTERVAL_MAX = 999
COUNT_MAX = 1000
_NUMBER = re.compile(r"[0-9]{1,4}")
_SIGNED = re.compile(r"[+-]?[0-9]{1,3}")
_WEEKDAY = re.compile(r"([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
# The lists of numbers a rule may give: the largest value, and whether -1 (the last) and on are allowed.
_LISTS = (("BYMONTHDAY", 31, True), ("BYMONTH", 12, False), ("BYSETPOS", 366, True))
_UNTIL = re.compile(r"([0-9]{8})(?:T([0-9]{6})(Z?))?")
# No occurrence after the last date a deadline may have.
_LAST = datetime.combine((LATEST_DATE - timedelta(days=2)).date(), END_OF_DAY)
# dateutil looks for a rule's next date up to the year 9999, and stops at UNTIL only once it finds one: a
# rule with no date left (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) takes seconds. The calendar repeats every
# 400 years, weekdays included, so the search runs 7600 years later, where 9999 is at most 300 years on.
_SHIFT = 19 * 400


# Rules offered by name on the task form (and named so on the task page); any other is written as an RRULE.
PRESETS = {
    "FREQ=DAILY": "Every day",
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR": "Every working day (Monday to Friday)",
    "FREQ=WEEKLY": "Every week, on the deadline's weekday",
    "FREQ=WEEKLY;INTERVAL=2": "Every two weeks",
    "FREQ=MONTHLY": "Every month, on the deadline's day (skipping months without it)",
    "FREQ=MONTHLY;BYMONTHDAY=-1": "Every month, on its last day",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1": "Every month, on its last working day",
    "FREQ=YEARLY": "Every year",
}


def describe(rule: str | None) -> str:
    """The rule in words where it is a preset, else as written."""
    return PRESETS.get(rule, rule) if rule else "Does not repeat"


class RuleError(ValueError):
    """A rule that is not one a task can repeat by; the message says what to change."""


# Reading a rule ----------------------------------------------------------------------------------


def _parts(text: str) -> dict[str, str]:
    """The rule's NAME=VALUE parts, upper-cased, each name once and known."""
    body = text.strip().upper().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for item in filter(None, body.split(";")):
        name, equals, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not value:
            raise RuleError(f"“{item[:40]}” is not NAME=VALUE; write e.g. FREQ=WEEKLY;BYDAY=MO.")
        if name not in PARTS:
            raise RuleError(f"{name[:20]} is not supported; use {', '.join(PARTS)}.")
        if name in parts:
            raise RuleError(f"{name} is given twice.")
        parts[name] = value
    return parts


def _check_parts(parts: dict[str, str]) -> None:
    if parts.get("FREQ") not in FREQUENCIES:
        raise RuleError(f"Start with FREQ= one of {', '.join(FREQUENCIES)} (a task repeats at most daily).")
    for name, low, high in (("INTERVAL", 1, INTERVAL_MAX), ("COUNT", 2, COUNT_MAX)):
        value = parts.get(name)
        if value is not None and not (_NUMBER.fullmatch(value) and low <= int(value) <= high):
            raise RuleError(f"{name} must be a whole number from {low} to {high}.")
    if parts["FREQ"] in ("DAILY", "WEEKLY") and (extra := [p for p in MONTHLY_PARTS if p in parts]):
        raise RuleError(f"{', '.join(extra)}: only with FREQ=MONTHLY or FREQ=YEARLY.")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("Give COUNT or UNTIL, not both.")
    if "UNTIL" in parts and not _UNTIL.fullmatch(parts["UNTIL"]):
        raise RuleError("Write UNTIL as a date (20261231) or a date and time (20261231T170000Z).")


def _check_lists(parts: dict[str, str]) -> None:
    """Day, month and position numbers within their range (dateutil would take BYMONTHDAY=0 or 40), and
    a weekday's position (2TU, -1FR) only where a month or a year has positions."""
    for name, top, from_end in _LISTS:
        for item in parts[name].split(",") if name in parts else ():
            if not (_SIGNED.fullmatch(item) and 1 <= abs(int(item)) <= top and (from_end or int(item) > 0)):
                ending = f", or -1 to -{top} counting from the end" if from_end else ""
                raise RuleError(f"{name} takes numbers from 1 to {top}{ending}.")
    monthly = parts["FREQ"] == "MONTHLY" or "BYMONTH" in parts
    top = 0 if parts["FREQ"] in ("DAILY", "WEEKLY") else 5 if monthly else 53
    for item in parts["BYDAY"].split(",") if "BYDAY" in parts else ():
        found = _WEEKDAY.fullmatch(item)
        if not found or (found.group(1) and not 1 <= abs(int(found.group(1))) <= top):
            where = f", each with a position from 1 to {top} or -1 to -{top} (2TU, -1FR)" if top else ""
            raise RuleError(f"BYDAY takes weekdays MO, TU, WE, TH, FR, SA, SU{where}.")


def normalise_rule(text: str | None) -> str | None:
    """A rule as stored (upper case, FREQ first), or None for no rule; RuleError when it is not one."""
    if text is None or not text.strip():
        return None
    if len(text) > RULE_MAX or "\n" in text or "\r" in text:
        raise RuleError(f"Write one RRULE of at most {RULE_MAX} characters.")
    parts = _parts(text)
    _check_parts(parts)
    _check_lists(parts)
    rule = ";".join(f"{name}={parts[name]}" for name in sorted(parts, key=PARTS.index))
    try:
        next(iter(_rule(rule, datetime(2026, 1, 1), "UTC")), None)
    except (ValueError, TypeError, OverflowError, IndexError) as exc:  # what dateutil cannot read
        raise RuleError(f"Not a rule dateutil can read: {exc}.") from None
    return rule


def _until(value: str, tz: str) -> datetime:
    """UNTIL as a wall-clock time in `tz`: a date alone is the end of that day, a Z time is UTC."""
    day, clock, utc = _UNTIL.fullmatch(value).groups()
    if clock is None:
        return datetime.combine(datetime.strptime(day, "%Y%m%d").date(), END_OF_DAY)
    moment = datetime.strptime(day + clock, "%Y%m%d%H%M%S")
    if utc:
        return moment.replace(tzinfo=zones.named("UTC")).astimezone(zones.named(tz)).replace(tzinfo=None)
    return moment


def _shifted(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)


def _rule(rule: str, start: datetime, tz: str) -> rrule:
    """The dateutil rule from wall-clock `start` in zone `tz`, without COUNT (see following_rule) and
    ending at UNTIL or at the last date a deadline may have, whichever comes first; all of it _SHIFT
    years later."""
    parts = _parts(rule)
    until = min(_until(parts.pop("UNTIL"), tz), _LAST) if "UNTIL" in parts else _LAST
    parts.pop("COUNT", None)
    body = ";".join(f"{name}={value}" for name, value in parts.items())
    return rrulestr("RRULE:" + body, dtstart=_shifted(start, _SHIFT)).replace(until=_shifted(until, _SHIFT))


# The next occurrence -----------------------------------------------------------------------------


def following_rule(rule: str) -> str | None:
    """The rule of the next occurrence: COUNT one lower; None when that occurrence is the last."""
    parts = _parts(rule)
    if "COUNT" not in parts:
        return rule
    if int(parts["COUNT"]) <= 2:
        return None
    parts["COUNT"] = str(int(parts["COUNT"]) - 1)
    return ";".join(f"{name}={value}" for name, value in parts.items())


def next_deadline(
    rule: str, previous: datetime, tz: str, not_before: datetime | None = None
) -> datetime | None:
    """The deadline (UTC) of the occurrence after the one due at `previous`: the rule's first date, on the
    wall clock of `tz`, after `previous` and after `not_before` (an occurrence completed late does not
    bring forth one that is already overdue). None when the series has ended."""
    zone = zones.named(tz)
    start = previous.astimezone(zone).replace(tzinfo=None)
    after = max(previous, not_before or previous).astimezone(zone).replace(tzinfo=None)
    following = _rule(rule, start, tz).after(_shifted(after, _SHIFT))
    return local_to_utc(_shifted(following, -_SHIFT), tz) if following else None


def _next_task(task: Task, due: datetime, now: datetime) -> Task:
    """A copy of `task` as its next, open occurrence due at `due` (blockers and feature not carried)."""
    start = task.start_at + (due - task.due_at) if task.start_at else None
    return Task(
        team_id=task.team_id, category_id=task.category_id, title=task.title,
        description=task.description, description_html=task.description_html,
        status="todo", priority=task.priority, due_at=due, start_at=start,
        estimate_hours=task.estimate_hours, assignee_id=task.assignee_id, reporter_id=task.reporter_id,
        recurrence=following_rule(task.recurrence), created_at=now, updated_at=now,
        labels=[TaskLabel(name=label.name) for label in task.labels],
        checklist=[ChecklistItem(text=item.text, position=item.position, done=False, created_at=now)
                   for item in task.checklist],
    )


# Receiver of the domain events (connected in tracker/subscribers.py) ------------------------------


def on_task_changed(task: Task, *, actor: User, changes: dict, **_) -> None:
    """A recurring task that became done brings forth its next occurrence, unless one exists already (it
    was completed before, reopened and completed again)."""
    if "status" not in changes or task.status != "done" or not task.recurrence or task.due_at is None:
        return
    if task.deleted_at is not None or db.session.get(TaskOccurrence, task.id) is not None:
        return
    # Our own UPDATE first: a completion racing ours fails here on the task's version (a Conflict),
    # before either writes a next occurrence.
    db.session.flush()
    now = task.completed_at or utcnow()
    due = next_deadline(task.recurrence, task.due_at, (task.assignee or actor).timezone, now)
    if due is None:
        return
    following = _next_task(task, due, now)
    db.session.add(following)
    db.session.flush()
    db.session.add(TaskOccurrence(previous_task_id=task.id, next_task_id=following.id, created_at=now))
    events.task_created.send(following, actor=actor)
