"""Undo: for a few seconds after marking a task done, moving tasks to the trash or a bulk change, the
person who did it can take it back. What the action replaced is kept in an UndoRecord (one use, theirs
only); undoing goes through the same optimistic locking as any edit, so a task someone changed meanwhile
is reported and left as it is, never overwritten."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update

from . import tasks
from .errors import Conflict, Invalid, NotFound
from .extensions import db
from .models import Task, TaskOccurrence, TeamMembership, UndoRecord, User, utcnow

UNDO_SECONDS = 30
INSTANT_FIELDS = ("due_at", "start_at")
_CHANGED_SINCE = "#{} was changed by someone since, so it was left as it is."


@dataclass(frozen=True)
class Outcome:
    """What undoing did to one task: `restored`, `conflict` (changed since; left as it is) or `refused`."""

    task_id: int
    outcome: str
    detail: str


FIRST_VERSION = 1  # a task's version as created (the mapper's version counter)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def replaced(task: Task, fields: Iterable[str]) -> dict[str, Any]:
    """The task's current values of `fields` as JSON values, read before a change. A deadline given as a
    date alone is kept as that date, so that undoing puts back "the end of that day where the assignee
    works", not a fixed instant."""
    before = {name: _plain(getattr(task, name)) for name in fields}
    due_date = getattr(task, "due_date", None)
    if "due_at" in before and due_date is not None:
        before["due_at"] = due_date.isoformat()
    return before


def change(task: Task, before: dict[str, Any]) -> dict[str, Any]:
    """One task's entry in a record: its version after the action and what the action replaced."""
    return {"task_id": task.id, "version": task.version, "before": before}


def trashed(task: Task) -> dict[str, Any]:
    return {"task_id": task.id, "version": task.version, "trashed": True}


def record(user: User, team_id: int, kind: str, label: str, changes: list[dict],
           results: list[dict] | None = None) -> UndoRecord | None:
    """Keep what an action replaced for UNDO_SECONDS; None when there is nothing to undo or report.
    The user's spent records go at the same time, so the table holds only the last minute's."""
    if not changes and not results:
        return None
    now = utcnow()
    db.session.execute(delete(UndoRecord).where(
        UndoRecord.user_id == user.id, UndoRecord.expires_at < now - timedelta(minutes=5)))
    undo = UndoRecord(user_id=user.id, team_id=team_id, kind=kind, label=label[:300], changes=changes,
                      results=results or [], created_at=now, expires_at=now + timedelta(seconds=UNDO_SECONDS))
    db.session.add(undo)
    db.session.commit()
    return undo


def purge() -> int:
    """Delete every expired record (each user's go as they act again; this sweeps the rest: cron, with
    `flask purge-sessions`). Returns how many went."""
    gone = db.session.execute(delete(UndoRecord).where(UndoRecord.expires_at < utcnow())).rowcount
    db.session.commit()
    return gone


def get_record(user: User, record_id: int) -> UndoRecord:
    """The user's own record; anyone else's, or one that does not exist, is NotFound."""
    undo = db.session.get(UndoRecord, record_id)
    if undo is None or undo.user_id != user.id:
        raise NotFound("No such action to undo.")
    return undo


def offered(user: User, record_id: Any) -> UndoRecord | None:
    """The record to offer an Undo button for: the user's, unused, not expired, with something to undo."""
    if not isinstance(record_id, int):
        return None
    try:
        undo = get_record(user, record_id)
    except NotFound:
        return None
    live = undo.used_at is None and undo.expires_at > utcnow() and undo.changes
    return undo if live else None


def undo(user: User, record_id: int) -> list[Outcome]:
    """Take an action back, task by task (each its own transaction, as the action was). One use: the
    record is claimed atomically first, so two clicks cannot both undo; an expired one is Invalid."""
    undo_record = get_record(user, record_id)
    if not undo_record.changes:
        raise Invalid({"undo": ["There is nothing to undo."]})
    now = utcnow()
    claimed = db.session.execute(
        update(UndoRecord)
        .where(UndoRecord.id == record_id, UndoRecord.used_at.is_(None), UndoRecord.expires_at > now)
        .values(used_at=now)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise Invalid({"undo": ["Too late to undo: it was already undone, or its "
                                f"{UNDO_SECONDS} seconds are over."]})
    changes = list(undo_record.changes)
    db.session.commit()
    return [_undo_one(user, entry) for entry in changes]


def _undo_one(user: User, entry: dict) -> Outcome:
    task_id = entry["task_id"]
    try:
        task, member = tasks.get_task(user, task_id, include_trashed=True)
    except NotFound:
        return Outcome(task_id, "refused", f"#{task_id} no longer exists.")
    if task.version != entry["version"]:
        return Outcome(task_id, "conflict", _CHANGED_SINCE.format(task_id))
    try:
        if entry.get("trashed"):
            tasks.take_out_of_trash(member, task)
            return Outcome(task_id, "restored", f"#{task_id} is back from the trash.")
        if task.deleted_at is not None:
            return Outcome(task_id, "conflict", f"#{task_id} is in the trash now, so it was left there.")
        completed = task.status == "done" and entry["before"].get("status", "done") != "done"
        tasks.update_task(member, task, _values(entry["before"]), expected_version=entry["version"])
    except Conflict:
        return Outcome(task_id, "conflict", _CHANGED_SINCE.format(task_id))
    except Invalid as exc:
        reasons = " ".join(exc.messages)
        return Outcome(task_id, "refused", f"#{task_id} could not be put back: {reasons}")
    note = _withdraw_next_occurrence(member, task) if completed else ""
    return Outcome(task_id, "restored", f"#{task_id} is back as it was.{note}")


def _withdraw_next_occurrence(member: TeamMembership, task: Task) -> str:
    """Undoing the completion of a recurring task takes back the occurrence it brought forth: the link
    goes (completing it again brings forth a new one), and the next task goes to the trash while nobody
    has changed it since it was made; a changed one stays, and the outcome says so."""
    link = db.session.get(TaskOccurrence, task.id)
    if link is None:
        return ""
    following = db.session.get(Task, link.next_task_id)
    db.session.delete(link)
    if following is None or following.deleted_at is not None:
        db.session.commit()
        return ""
    if following.version != FIRST_VERSION:
        db.session.commit()
        return f" Its next occurrence #{following.id} was changed since, so it stays."
    tasks.move_to_trash(member, following)  # commits the link's removal with it
    return f" Its next occurrence #{following.id} went to the trash."


def _values(before: dict[str, Any]) -> dict[str, Any]:
    """A record's JSON values as update_task takes them: instants and dates parsed back."""
    values = dict(before)
    for name in INSTANT_FIELDS:
        if isinstance(values.get(name), str):
            text = values[name]
            values[name] = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    return values


def summary(outcomes: list[Outcome]) -> str:
    """One sentence for a flash message."""
    restored = sum(o.outcome == "restored" for o in outcomes)
    others = " ".join(o.detail for o in outcomes if o.outcome != "restored")
    head = "Nothing was undone."
    if restored:
        head = f"Undone: {restored} task{'' if restored == 1 else 's'} put back."
    return f"{head} {others}".strip()
