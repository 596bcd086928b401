"""Reminders, for cron: a deadline of yours at each lead time you chose (3 days and 2 hours before, in
calendar or working time; 24 hours before until you choose), an overdue task of yours once each working
day, and a task of yours that the forecast puts at risk. Each goes out once, by the channels you chose for
its kind, however many hosts run `flask scan-deadlines` at the same time: the ReminderSent row claiming it
commits with the notification, and a second claim of the same key fails on the primary key."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from . import zones
from .errors import Invalid
from .extensions import db
from .forecast import WorkSchedule, working_hours_between
from .formatting import local_time, one_line
from .models import ReminderLeadTime, ReminderSent, Task, User, utcnow
from .notifications import notify
from .stored_forecast import load, schedule_of
from .tasks import assigned_with_deadline

UNITS = ("hours", "days")
WORKING_HOURS_PER_DAY = 8  # a working day of a lead time, whatever the person's own hours
LEAD_TIMES_MAX = 5
LEAD_DAYS_MAX = 30
# How far ahead the scan looks: 30 working days of someone who works one day a week.
SCAN_AHEAD = timedelta(weeks=LEAD_DAYS_MAX + 1)
KEYS_PER_STATEMENT = 500  # reminder keys looked up per statement


@dataclass(frozen=True, order=True)
class LeadTime:
    """How long before a deadline to remind: `amount` hours or days, of calendar or of working time."""

    amount: int
    unit: str = "hours"
    working: bool = False

    @property
    def hours(self) -> int:
        """Length in hours (a working day counts as WORKING_HOURS_PER_DAY working hours)."""
        if self.unit == "hours":
            return self.amount
        return self.amount * (WORKING_HOURS_PER_DAY if self.working else 24)

    @property
    def key(self) -> str:
        return f"{self.amount}{self.unit[0]}{'w' if self.working else 'c'}"

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        working = " working" if self.working else ""
        return f"{self.amount}{working} {unit} before"

    def reached(self, due: datetime, now: datetime, schedule: WorkSchedule) -> bool:
        """Whether, at `now`, the deadline is this close (in the person's working time, if working)."""
        if due <= now:
            return False
        if not self.working:
            return due - now <= timedelta(hours=self.hours)
        # No more than a week's working hours fit in any seven days: skip the walk while surely further.
        if (due - now).days // 7 * (schedule.hours_per_week - 1) > self.hours:
            return False
        return working_hours_between(schedule, now, due) <= self.hours


DEFAULT_LEAD_TIMES = (LeadTime(24, "hours", False),)


# Each person's lead times ----------------------------------------------------------------------------


def lead_times_by_user(user_ids: Iterable[int]) -> dict[int, list[LeadTime]]:
    """Each user's lead times, shortest first, in one query (the default for who chose none)."""
    user_ids = list(user_ids)
    chosen: dict[int, list[LeadTime]] = {user_id: [] for user_id in user_ids}
    if user_ids:
        rows = db.session.scalars(select(ReminderLeadTime).where(ReminderLeadTime.user_id.in_(user_ids)))
        for row in rows:
            chosen[row.user_id].append(LeadTime(row.amount, row.unit, row.working))
    return {user_id: sorted(found, key=lambda lead: (lead.hours, lead.working)) or list(DEFAULT_LEAD_TIMES)
            for user_id, found in chosen.items()}


def lead_times(user: User) -> list[LeadTime]:
    return lead_times_by_user([user.id])[user.id]


def _lead_time(item: Mapping, errors: list[str]) -> LeadTime | None:
    amount, unit, working = item.get("amount"), item.get("unit", "hours"), item.get("working", False)
    if unit not in UNITS:
        errors.append(f"Choose hours or days, not “{str(unit)[:20]}”.")
    elif isinstance(amount, bool) or not isinstance(amount, int) or not isinstance(working, bool):
        errors.append("Give a whole number of hours or days.")
    elif not 1 <= amount <= (LEAD_DAYS_MAX if unit == "days" else LEAD_DAYS_MAX * 24):
        errors.append(f"Choose from 1 hour to {LEAD_DAYS_MAX} days ({LEAD_DAYS_MAX * 24} hours).")
    else:
        return LeadTime(amount, unit, working)
    return None


def set_lead_times(user: User, items: Iterable[Mapping]) -> list[LeadTime]:
    """Replace the user's lead times: each {amount, unit ("hours" or "days"), working (bool)}; 1 to 5."""
    errors: list[str] = []
    chosen = sorted({lead for item in items if (lead := _lead_time(item, errors)) is not None})
    if not errors and not 1 <= len(chosen) <= LEAD_TIMES_MAX:
        errors.append(f"Choose from 1 to {LEAD_TIMES_MAX} lead times; to get no reminders, set “due soon” "
                      "to None in your notification settings.")
    if errors:
        raise Invalid({"lead_times": errors})
    db.session.execute(delete(ReminderLeadTime).where(ReminderLeadTime.user_id == user.id))
    db.session.add_all(
        ReminderLeadTime(user_id=user.id, amount=lead.amount, unit=lead.unit, working=lead.working)
        for lead in chosen
    )
    db.session.commit()
    return lead_times(user)


# Sending, once --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    kind: str  # due_soon, overdue or at_risk
    task: Task
    keys: tuple[str, ...]  # every key it answers for (one reminder covers lead times reached together)
    summary: str


def _label(task: Task) -> str:
    return f"#{task.id} {one_line(task.title, 120)}"


def _send_once(reminder: Reminder, now: datetime) -> bool:
    """Claim the reminder's keys and notify, in one transaction; False when another run claimed it first."""
    user_id = reminder.task.assignee_id
    db.session.add_all(ReminderSent(user_id=user_id, key=key, created_at=now) for key in reminder.keys)
    try:
        db.session.flush()
        notified = notify([user_id], reminder.kind, task=reminder.task, actor=None, summary=reminder.summary,
                          now=now)
        db.session.commit()
    except IntegrityError:  # a run on another host sent it meanwhile
        db.session.rollback()
        return False
    return bool(notified)


def _due_soon(task: Task, leads: list[LeadTime], schedule: WorkSchedule, now: datetime) -> Reminder | None:
    deadline = task.due_at.isoformat()
    keys = tuple(f"due:{task.id}:{deadline}:{lead.key}"
                 for lead in leads if lead.reached(task.due_at, now, schedule))
    if not keys:
        return None
    when = local_time(task.due_at, task.assignee.timezone, label=True)
    return Reminder("due_soon", task, keys, f"{_label(task)} is due {when}")


def _overdue(task: Task, schedule: WorkSchedule, now: datetime) -> Reminder | None:
    """Once each working day of the assignee's, from the start of their day."""
    local = now.astimezone(zones.named(schedule.timezone))
    working_now = local.isoweekday() in schedule.work_days and local.time() >= schedule.work_start
    if task.due_at >= now or not working_now:
        return None
    when = local_time(task.due_at, schedule.timezone, label=True)
    return Reminder("overdue", task, (f"overdue:{task.id}:{local.date().isoformat()}",),
                    f"{_label(task)} is overdue: it was due {when}")


def _at_risk(task: Task) -> Reminder:
    """Once per assignee and deadline."""
    key = f"at_risk:{task.id}:{task.assignee_id}:{task.due_at.isoformat()}"
    return Reminder("at_risk", task, (key,), f"{_label(task)} is at risk of missing its deadline")


def _reminders(now: datetime) -> list[Reminder]:
    """What is due to be sent now, before looking at what was sent already."""
    open_tasks = db.session.scalars(
        assigned_with_deadline().options(joinedload(Task.assignee))
        .where(Task.due_at <= now + SCAN_AHEAD).order_by(Task.id)
    ).all()
    predicted = load(assigned_with_deadline().with_only_columns(Task.id))
    leads = lead_times_by_user({t.assignee_id for t in open_tasks})
    schedules = {t.assignee_id: schedule_of(t.assignee) for t in open_tasks}
    found: list[Reminder | None] = []
    for task in open_tasks:
        schedule = schedules[task.assignee_id]
        found += [_due_soon(task, leads[task.assignee_id], schedule, now), _overdue(task, schedule, now),
                  _at_risk(task) if predicted.at_risk(task.id) else None]
    return [reminder for reminder in found if reminder is not None]


def _already_sent(keys: list[str]) -> set[tuple[int, str]]:
    """The (user, key) claims among `keys`, looked up KEYS_PER_STATEMENT at a time: a scan may have tens of
    thousands of candidates, more than a statement's bound parameters may number (65,535 on PostgreSQL)."""
    sent: set[tuple[int, str]] = set()
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        chunk = keys[start:start + KEYS_PER_STATEMENT]
        sent.update(db.session.execute(
            select(ReminderSent.user_id, ReminderSent.key).where(ReminderSent.key.in_(chunk))
        ).tuples())
    return sent


def scan_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Send what is due: deadline reminders at each person's lead times, overdue tasks once a working day,
    tasks at risk once per deadline (a moved deadline reminds again). For cron, on one host or several;
    returns how many reminders of each kind went out."""
    now = now or utcnow()
    candidates = _reminders(now)
    sent = _already_sent(sorted({key for r in candidates for key in r.keys}))
    counts = {"due_soon": 0, "overdue": 0, "at_risk": 0}
    for reminder in candidates:
        keys = tuple(k for k in reminder.keys if (reminder.task.assignee_id, k) not in sent)
        if keys and _send_once(Reminder(reminder.kind, reminder.task, keys, reminder.summary), now):
            counts[reminder.kind] += 1
    return counts
