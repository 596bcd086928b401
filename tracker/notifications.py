"""In-app notifications and the per-kind choice of channel (in-app, email, both, none); the scheduled
ones too: a deadline of yours within 24 hours, and a task of yours the forecast puts at risk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from .errors import Invalid
from .extensions import db
from .paging import Page, bounds
from .mail import absolute_url, local_time, one_line, queue_email
from .models import (
    NOTIFICATION_CHANNELS,
    NOTIFICATION_KINDS,
    Comment,
    Notification,
    NotificationPreference,
    ReminderSent,
    Task,
    TeamMembership,
    User,
    utcnow,
)

KIND_LABELS = {
    "assigned": "A task is assigned to me",
    "mentioned": "Someone mentions me",
    "status_changed": "A task I watch changes status",
    "deadline_changed": "A task I watch gets a new deadline",
    "commented": "Someone comments on a task I watch",
    "due_soon": "A deadline of mine is less than 24 hours away",
    "at_risk": "A task of mine is forecast to miss its deadline",
    "digest": "Daily digest at 08:00 of what is overdue and due today (email)",
}
DEFAULT_CHANNELS = {
    "assigned": "both",
    "mentioned": "both",
    "status_changed": "in_app",
    "deadline_changed": "in_app",
    "commented": "in_app",
    "due_soon": "both",
    "at_risk": "both",
    "digest": "email",
}
PREFERENCE_KINDS = (*NOTIFICATION_KINDS, "digest")
DIGEST_CHANNELS = ("email", "none")
DUE_SOON = timedelta(hours=24)


# Preferences ---------------------------------------------------------------------------------------


def preferences(user: User) -> dict[str, str]:
    """The user's channel for every kind (defaults filled in)."""
    stored = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.channel).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {kind: stored.get(kind, DEFAULT_CHANNELS[kind]) for kind in PREFERENCE_KINDS}


def channels(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each user's channel for one kind, in one query."""
    user_ids = list(user_ids)
    stored = (
        dict(
            db.session.execute(
                select(NotificationPreference.user_id, NotificationPreference.channel).where(
                    NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind
                )
            ).all()
        )
        if user_ids
        else {}
    )
    return {user_id: stored.get(user_id, DEFAULT_CHANNELS[kind]) for user_id in user_ids}


def set_preferences(user: User, choices: Mapping[str, str]) -> dict[str, str]:
    """Set some kinds' channels: in_app, email, both or none (the digest: email or none)."""
    errors: dict[str, list[str]] = {}
    for kind, channel in choices.items():
        allowed = DIGEST_CHANNELS if kind == "digest" else NOTIFICATION_CHANNELS
        if kind not in PREFERENCE_KINDS:
            errors[kind] = [f"Unknown kind; use one of: {', '.join(PREFERENCE_KINDS)}."]
        elif channel not in allowed:
            errors[kind] = [f"Choose one of: {', '.join(allowed)}."]
    if errors:
        raise Invalid(errors)
    stored = {
        p.kind: p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind, channel in choices.items():
        if kind in stored:
            stored[kind].channel = channel
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, channel=channel))
    db.session.commit()
    return preferences(user)


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
    users = db.session.scalars(
        select(User)
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .where(User.id.in_(ids), TeamMembership.team_id == task.team_id)
        .order_by(User.id)
    ).all()
    chosen = channels([u.id for u in users], kind)
    now = now or utcnow()
    notified = []
    for user in users:
        channel = chosen[user.id]
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
                due=local_time(task.due_at, user.timezone),
                status=task.status.replace("_", " "),
                task_url=absolute_url(f"/tasks/{task.id}"),
                settings_url=absolute_url("/settings/notifications"),
            )
        if channel != "none":
            notified.append(user.id)
    return notified


# Reading --------------------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def list_notifications(user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 50):
    """One page of the user's notifications, newest first, with actor and task loaded."""
    page, per_page = bounds(page, per_page)
    where = [Notification.user_id == user.id]
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
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        ids = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
        stmt = stmt.where(Notification.id.in_(ids))
    result = db.session.execute(
        stmt.values(read_at=now or utcnow()).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


# Scheduled: deadlines within 24 hours and tasks at risk ---------------------------------------------


def scan_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Notify assignees of deadlines within 24 h and of tasks the forecast puts at risk, once per task
    and deadline (a moved deadline notifies again). Suitable for cron; returns counts per kind."""
    from .prioritisation import forecast_teams

    now = now or utcnow()
    open_tasks = db.session.scalars(
        select(Task)
        .join(
            TeamMembership,
            (TeamMembership.team_id == Task.team_id) & (TeamMembership.user_id == Task.assignee_id),
        )
        .options(joinedload(Task.assignee))
        .where(Task.status != "done", Task.deleted_at.is_(None), Task.due_at.is_not(None))
        .order_by(Task.id)
    ).all()
    predicted = forecast_teams(sorted({t.team_id for t in open_tasks}), now) if open_tasks else None
    candidates: list[tuple[str, Task, str]] = []
    for task in open_tasks:
        deadline = task.due_at.isoformat()
        if now <= task.due_at <= now + DUE_SOON:
            candidates.append(("due_soon", task, f"due_soon:{task.id}:{task.assignee_id}:{deadline}"))
        if predicted.at_risk(task.id):
            candidates.append(("at_risk", task, f"at_risk:{task.id}:{task.assignee_id}:{deadline}"))
    sent = (
        set(
            db.session.execute(
                select(ReminderSent.user_id, ReminderSent.key).where(
                    ReminderSent.key.in_([key for _, _, key in candidates])
                )
            ).all()
        )
        if candidates
        else set()
    )
    counts = {"due_soon": 0, "at_risk": 0}
    for kind, task, key in candidates:
        user = task.assignee
        if (user.id, key) in sent:
            continue
        if kind == "due_soon":
            summary = (
                f"#{task.id} {one_line(task.title, 120)} is due {local_time(task.due_at, user.timezone)}"
            )
        else:
            summary = f"#{task.id} {one_line(task.title, 120)} is at risk of missing its deadline"
        if notify([user.id], kind, task=task, actor=None, summary=summary, now=now):
            counts[kind] += 1
        db.session.add(ReminderSent(user_id=user.id, key=key, created_at=now))
    db.session.commit()
    return counts
