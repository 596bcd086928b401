"""In-app and email notifications, by the channel each person chose for the kind. The scheduled ones
(reminders of deadlines, overdue and at-risk tasks) are sent through `notify` by tracker/reminders.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from .extensions import db
from .formatting import local_time, one_line
from .mail import absolute_url, queue_email
from .models import Comment, Notification, Task, TeamMembership, User, utcnow
from .paging import Page, bounds
from .preferences import (  # noqa: F401  (re-exported: the settings page and the API read them here)
    DIGEST_CHANNELS,
    KIND_LABELS,
    PREFERENCE_KINDS,
    channels,
    preferences,
    set_preferences,
)
from .two_factor import visible_team_ids
from .watchers import watcher_ids

# Sending --------------------------------------------------------------------------------------------


def notify(
    user_ids: Iterable[int],
    kind: str,
    *,
    task: Task,
    actor: User | None,
    summary: str,
    comment: Comment | None = None,
    excerpt: str = "",
    now: datetime | None = None,
) -> list[int]:
    """Notify the given users (only current members of the task's team, never the actor) by the
    channels they chose for `kind`. Part of the caller's transaction. Returns who was notified."""
    ids = {i for i in user_ids if i is not None and (actor is None or i != actor.id)}
    if not ids:
        return []
    rows = db.session.execute(
        select(User, TeamMembership.team_id.in_(visible_team_ids(User.id)))
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .where(User.id.in_(ids), TeamMembership.team_id == task.team_id)
        .order_by(User.id)
    ).all()
    chosen = channels([user.id for user, _visible in rows], kind)
    now = now or utcnow()
    notified = []
    for user, visible in rows:
        # Someone the team's two-factor requirement shuts out gets no email about its work; the in-app
        # notification waits, hidden, until they turn two factors on.
        channel = chosen[user.id] if visible else {"both": "in_app", "email": "none"}.get(chosen[user.id],
                                                                                       chosen[user.id])
        if channel in ("in_app", "both"):
            db.session.add(
                Notification(
                    user_id=user.id,
                    kind=kind,
                    task_id=task.id,
                    actor_id=actor.id if actor else None,
                    comment_id=comment.id if comment else None,
                    summary=one_line(summary, 300),
                    created_at=now,
                )
            )
        if channel in ("email", "both"):
            queue_email(
                user,
                summary,
                "notification",
                summary=summary,
                excerpt=excerpt,
                task_title=f"#{task.id} {one_line(task.title)}",
                due=local_time(task.due_at, user.timezone, label=True),
                status=task.status.replace("_", " "),
                task_url=absolute_url(f"/tasks/{task.id}"),
                settings_url=absolute_url("/settings/notifications"),
            )
        if channel != "none":
            notified.append(user.id)
    return notified


# Receivers of the domain events (connected in tracker/subscribers.py, after the watchers') -------------


def _label(task: Task) -> str:
    return f"#{task.id} {one_line(task.title, 120)}"


def on_task_created(task: Task, *, actor: User, imported: bool = False, **_) -> None:
    if task.assignee_id and not imported:  # an import of many rows is not news to each assignee
        summary = f"{actor.name} assigned you {_label(task)}"
        notify([task.assignee_id], "assigned", task=task, actor=actor, summary=summary)


def on_task_changed(task: Task, *, actor: User, changes: dict, **_) -> None:
    if "assignee_id" in changes:
        on_task_created(task, actor=actor)
    if not changes.keys() & {"status", "due_at"}:
        return
    watchers = watcher_ids(task)
    if "status" in changes:
        old, new = (s.replace("_", " ") for s in changes["status"])
        summary = f"{actor.name} moved {_label(task)} from {old} to {new}"
        notify(watchers, "status_changed", task=task, actor=actor, summary=summary)
    if "due_at" in changes:
        what = "changed the deadline of" if task.due_at else "removed the deadline of"
        summary = f"{actor.name} {what} {_label(task)}"
        notify(watchers, "deadline_changed", task=task, actor=actor, summary=summary)


def on_comment_added(task: Task, *, actor: User, comment: Comment, mentioned: set[int], **_) -> None:
    """Who is mentioned hears of it as a mention; the other watchers as a comment."""
    _about_comment(mentioned, "mentioned", f"{actor.name} mentioned you on", task, actor, comment)
    others = watcher_ids(task) - mentioned
    _about_comment(others, "commented", f"{actor.name} commented on", task, actor, comment)


def on_comment_edited(task: Task, *, actor: User, comment: Comment, mentioned: set[int], **_) -> None:
    """Who is newly mentioned by an edit hears of it."""
    _about_comment(mentioned, "mentioned", f"{actor.name} mentioned you on", task, actor, comment)


def _about_comment(user_ids, kind: str, what: str, task: Task, actor: User, comment: Comment) -> None:
    summary = f"{what} {_label(task)}"
    excerpt = comment.body[:2000]
    notify(user_ids, kind, task=task, actor=actor, comment=comment, excerpt=excerpt, summary=summary)


# Reading --------------------------------------------------------------------------------------------


def _yours(user: User) -> tuple:
    """The user's notifications, less those about tasks of teams they may not see now (a team that
    requires two factors of them while they have none: two_factor.visible_team_ids)."""
    visible_tasks = select(Task.id).where(Task.team_id.in_(visible_team_ids(user)))
    return (Notification.user_id == user.id,
            or_(Notification.task_id.is_(None), Notification.task_id.in_(visible_tasks)))


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(*_yours(user), Notification.read_at.is_(None))
    )


def list_notifications(user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 50):
    """One page of the user's notifications, newest first, with actor and task loaded."""
    page, per_page = bounds(page, per_page)
    where = [*_yours(user)]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(Notification).where(*where))
    items = db.session.scalars(
        select(Notification)
        .options(joinedload(Notification.actor), joinedload(Notification.task))
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(items), total, page, per_page)


def mark_read(user: User, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark some of the user's notifications read (all when `ids` is None); others' ids are ignored."""
    stmt = update(Notification).where(*_yours(user), Notification.read_at.is_(None))
    if ids is not None:
        ids = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
        stmt = stmt.where(Notification.id.in_(ids))
    result = db.session.execute(
        stmt.values(read_at=now or utcnow()).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount
