"""Activity history: every change to a task (field, old and new value, who, when), every comment and
time entry, written in the same transaction as the change. Recording an event also does what follows
from it: watchers, notifications and webhook calls, all in that transaction too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from . import notifications, webhooks
from .errors import Invalid
from .extensions import db
from .paging import Page, bounds
from .mail import one_line
from .models import Activity, Category, Comment, Task, TeamMembership, TimeEntry, User, utcnow
from .watchers import add_watchers, watcher_ids

# The feed's categories of activity, and the kinds each covers.
CATEGORIES = {
    "changes": ("created", "changed", "deleted", "restored"),
    "comments": ("commented", "comment_edited", "comment_deleted"),
    "time": ("time_logged", "time_deleted"),
}


def plain(value: Any) -> Any:
    """A value as stored in the history and shown by the API: instants as RFC 3339 UTC strings."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _record(
    task: Task,
    actor_id: int | None,
    kind: str,
    *,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    comment_id: int | None = None,
    at: datetime | None = None,
) -> Activity:
    entry = Activity(
        team_id=task.team_id,
        task_id=task.id,
        actor_id=actor_id,
        kind=kind,
        field=field,
        old_value=plain(old),
        new_value=plain(new),
        comment_id=comment_id,
        created_at=at or utcnow(),
    )
    db.session.add(entry)
    return entry


def _label(task: Task) -> str:
    return f"#{task.id} {one_line(task.title, 120)}"


# Recording (called by tasks, comments and timelog before they commit) ---------------------------------


def task_created(member: TeamMembership, task: Task) -> None:
    db.session.flush()  # the task's id
    actor = member.user
    _record(task, actor.id, "created", new=task.title, at=task.created_at)
    add_watchers(task, [task.reporter_id, task.assignee_id])
    if task.assignee_id:
        notifications.notify(
            [task.assignee_id],
            "assigned",
            task=task,
            actor=actor,
            summary=f"{actor.name} assigned you {_label(task)}",
        )
    webhooks.queue_event(task, "task.created", actor)


def task_changed(member: TeamMembership, task: Task, changes: dict[str, tuple[Any, Any]]) -> None:
    actor = member.user
    for name, (old, new) in changes.items():
        _record(task, actor.id, "changed", field=name, old=old, new=new, at=task.updated_at)
    if "assignee_id" in changes and task.assignee_id:
        add_watchers(task, [task.assignee_id])
        notifications.notify(
            [task.assignee_id],
            "assigned",
            task=task,
            actor=actor,
            summary=f"{actor.name} assigned you {_label(task)}",
        )
    if changes.keys() & {"status", "due_at"}:
        watchers = watcher_ids(task)
        if "status" in changes:
            old, new = (s.replace("_", " ") for s in changes["status"])
            notifications.notify(
                watchers,
                "status_changed",
                task=task,
                actor=actor,
                summary=f"{actor.name} moved {_label(task)} from {old} to {new}",
            )
        if "due_at" in changes:
            what = "changed the deadline of" if task.due_at else "removed the deadline of"
            notifications.notify(
                watchers,
                "deadline_changed",
                task=task,
                actor=actor,
                summary=f"{actor.name} {what} {_label(task)}",
            )
    webhooks.queue_event(
        task,
        "task.updated",
        actor,
        changes={name: {"old": plain(old), "new": plain(new)} for name, (old, new) in changes.items()},
    )


def task_deleted(member: TeamMembership, task: Task) -> None:
    _record(task, member.user_id, "deleted", at=task.deleted_at)
    webhooks.queue_event(task, "task.deleted", member.user)


def task_restored(member: TeamMembership, task: Task) -> None:
    _record(task, member.user_id, "restored", at=task.updated_at)


def comment_added(member: TeamMembership, task: Task, comment: Comment, mentioned: set[int]) -> None:
    actor = member.user
    _record(
        task,
        actor.id,
        "commented",
        new=one_line(comment.body, 200),
        comment_id=comment.id,
        at=comment.created_at,
    )
    add_watchers(task, [actor.id])
    excerpt = comment.body[:2000]
    notifications.notify(
        mentioned,
        "mentioned",
        task=task,
        actor=actor,
        comment=comment,
        excerpt=excerpt,
        summary=f"{actor.name} mentioned you on {_label(task)}",
    )
    notifications.notify(
        watcher_ids(task) - mentioned,
        "commented",
        task=task,
        actor=actor,
        comment=comment,
        excerpt=excerpt,
        summary=f"{actor.name} commented on {_label(task)}",
    )
    webhooks.queue_event(task, "comment.created", actor, comment=comment)


def comment_edited(member: TeamMembership, task: Task, comment: Comment, newly_mentioned: set[int]) -> None:
    actor = member.user
    _record(
        task,
        actor.id,
        "comment_edited",
        new=one_line(comment.body, 200),
        comment_id=comment.id,
        at=comment.edited_at,
    )
    notifications.notify(
        newly_mentioned,
        "mentioned",
        task=task,
        actor=actor,
        comment=comment,
        excerpt=comment.body[:2000],
        summary=f"{actor.name} mentioned you on {_label(task)}",
    )


def comment_deleted(member: TeamMembership, task: Task, comment: Comment) -> None:
    # The text goes with the comment (also the excerpts in its history); the history keeps only that
    # it was there and whose it was.
    db.session.execute(
        update(Activity)
        .where(Activity.comment_id == comment.id)
        .values(new_value=None)
        .execution_options(synchronize_session=False)
    )
    _record(task, member.user_id, "comment_deleted", field="author_id", old=comment.author_id)


def time_logged(member: TeamMembership, task: Task, entry: TimeEntry) -> None:
    _record(
        task,
        member.user_id,
        "time_logged",
        new={
            "hours": entry.hours,
            "spent_on": entry.spent_on.isoformat(),
            "note": entry.note,
            "user_id": entry.user_id,
        },
    )


def time_deleted(member: TeamMembership, task: Task, entry: TimeEntry) -> None:
    _record(
        task,
        member.user_id,
        "time_deleted",
        old={
            "hours": entry.hours,
            "spent_on": entry.spent_on.isoformat(),
            "note": entry.note,
            "user_id": entry.user_id,
        },
    )


# Reading ---------------------------------------------------------------------------------------------


def task_activity(task: Task) -> list[Activity]:
    """The task's whole history, oldest first, with actors loaded."""
    return list(
        db.session.scalars(
            select(Activity)
            .options(joinedload(Activity.actor))
            .where(Activity.task_id == task.id)
            .order_by(Activity.created_at, Activity.id)
        )
    )


@dataclass(frozen=True)
class FeedFilter:
    person: int | None = None
    category: str | None = None  # a task category slug
    kind: str | None = None  # one of CATEGORIES

    def to_args(self) -> dict[str, str]:
        return {
            k: str(v)
            for k, v in (("person", self.person), ("category", self.category), ("kind", self.kind))
            if v
        }


def parse_feed_filter(args) -> FeedFilter:
    errors: dict[str, list[str]] = {}
    person = (args.get("person") or "").strip()
    if person and not person.isdigit():
        errors["person"] = ["Use a user id."]
    kind = (args.get("kind") or "").strip() or None
    if kind and kind not in CATEGORIES:
        errors["kind"] = [f"Choose one of: {', '.join(CATEGORIES)}."]
    if errors:
        raise Invalid(errors)
    return FeedFilter(int(person) if person else None, (args.get("category") or "").strip() or None, kind)


def team_feed(member: TeamMembership, f: FeedFilter, page: int = 1, per_page: int = 50):
    """One page of the team's activity, newest first: tasks, actors and task categories loaded."""
    page, per_page = bounds(page, per_page)
    stmt = select(Activity).join(Task, Task.id == Activity.task_id).where(Activity.team_id == member.team_id)
    if f.person:
        stmt = stmt.where(Activity.actor_id == f.person)
    if f.category:
        stmt = stmt.where(Task.category.has(Category.slug == f.category))
    if f.kind:
        stmt = stmt.where(Activity.kind.in_(CATEGORIES[f.kind]))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(
        stmt.options(joinedload(Activity.actor), joinedload(Activity.task).joinedload(Task.category))
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(items), total, page, per_page)


# Describing ------------------------------------------------------------------------------------------


FIELD_LABELS = {
    "title": "title",
    "description": "description",
    "category": "category",
    "status": "status",
    "priority": "priority",
    "due_at": "deadline",
    "start_at": "start",
    "estimate_hours": "estimate",
    "assignee_id": "assignee",
    "labels": "labels",
    "blocked_by": "blocked by",
}


@dataclass
class Describer:
    """Turns stored values into words for one page, with the users and categories it needs loaded once."""

    users: dict[int, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_entries(cls, entries: list[Activity], team_id: int) -> Describer:
        ids = set()
        for e in entries:
            if e.field in ("assignee_id", "author_id"):
                ids |= {v for v in (e.old_value, e.new_value) if isinstance(v, int)}
            for value in (e.old_value, e.new_value):
                if isinstance(value, dict) and isinstance(value.get("user_id"), int):
                    ids.add(value["user_id"])
        users = (
            dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
        )
        categories = dict(
            db.session.execute(select(Category.slug, Category.name).where(Category.team_id == team_id)).all()
        )
        return cls(users, categories)

    def value(self, name: str | None, value: Any, fmt_instant) -> str:
        if value is None or value == [] or value == "":
            return "none"
        if name in ("due_at", "start_at") and isinstance(value, str):
            return fmt_instant(datetime.fromisoformat(value.replace("Z", "+00:00")))
        if name == "assignee_id":
            return self.users.get(value, f"user {value}")
        if name == "category":
            return self.categories.get(value, value)
        if name == "status":
            return value.replace("_", " ")
        if name == "estimate_hours":
            return f"{value:g} h"
        if name == "blocked_by":
            return ", ".join(f"#{v}" for v in value)
        if name == "labels":
            return ", ".join(value)
        return str(value)

    def sentence(self, entry: Activity, fmt_instant) -> str:
        """What happened, in words (the actor and task are shown beside it)."""
        kind = entry.kind
        if kind == "created":
            return "created the task"
        if kind == "changed":
            label = FIELD_LABELS.get(entry.field, entry.field)
            if entry.field == "description":
                return "edited the description"
            old, new = (
                self.value(entry.field, entry.old_value, fmt_instant),
                self.value(entry.field, entry.new_value, fmt_instant),
            )
            return f"changed the {label} from {old} to {new}"
        if kind == "deleted":
            return "moved the task to the trash"
        if kind == "restored":
            return "restored the task from the trash"
        if kind == "commented":
            return "commented"
        if kind == "comment_edited":
            return "edited a comment"
        if kind == "comment_deleted":
            return "deleted a comment"
        if kind in ("time_logged", "time_deleted"):
            data = entry.new_value if kind == "time_logged" else entry.old_value
            verb = "logged" if kind == "time_logged" else "deleted an entry of"
            return f"{verb} {data['hours']:g} h on {data['spent_on']}"
        return kind
