"""Who follows a task: its reporter, its assignee, whoever comments on it and whoever clicks "watch".
Watchers hear about status and deadline changes and about comments."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from .extensions import db
from .models import Task, TaskWatcher, TeamMembership, User


def add_watchers(task: Task, user_ids: Iterable[int | None]) -> None:
    """Make these users watch the task (part of the caller's transaction; already watching is fine)."""
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return
    pending = {w.user_id for w in db.session.new if isinstance(w, TaskWatcher) and w.task_id == task.id}
    existing = set(
        db.session.scalars(
            select(TaskWatcher.user_id).where(TaskWatcher.task_id == task.id, TaskWatcher.user_id.in_(wanted))
        )
    )
    for user_id in sorted(wanted - existing - pending):
        db.session.add(TaskWatcher(task_id=task.id, user_id=user_id))


# Receivers of the domain events (connected in tracker/subscribers.py) ----------------------------------


def on_task_created(task: Task, **_) -> None:
    # A task just created has no watchers yet, so none to look up or to find among the session's new
    # objects (which an import of 2,000 rows would scan once per row).
    for user_id in sorted({task.reporter_id, task.assignee_id} - {None}):
        db.session.add(TaskWatcher(task_id=task.id, user_id=user_id))


def on_task_changed(task: Task, *, changes: dict, **_) -> None:
    if "assignee_id" in changes and task.assignee_id:
        add_watchers(task, [task.assignee_id])


def on_comment_added(task: Task, *, actor: User, **_) -> None:
    add_watchers(task, [actor.id])


def watcher_ids(task: Task) -> set[int]:
    """Watchers who are still members of the task's team."""
    return set(
        db.session.scalars(
            select(TaskWatcher.user_id)
            .join(TeamMembership, TeamMembership.user_id == TaskWatcher.user_id)
            .where(TaskWatcher.task_id == task.id, TeamMembership.team_id == task.team_id)
        )
    )


def watchers_of(task: Task) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(TaskWatcher, TaskWatcher.user_id == User.id)
            .join(
                TeamMembership, (TeamMembership.user_id == User.id) & (TeamMembership.team_id == task.team_id)
            )
            .where(TaskWatcher.task_id == task.id)
            .order_by(User.name)
        )
    )


def is_watching(user: User, task: Task) -> bool:
    return db.session.get(TaskWatcher, (task.id, user.id)) is not None


def watch(member: TeamMembership, task: Task) -> None:
    """Follow a task of the member's team."""
    add_watchers(task, [member.user_id])
    db.session.commit()


def unwatch(member: TeamMembership, task: Task) -> None:
    """Stop following; commenting again or being assigned makes one a watcher again."""
    watcher = db.session.get(TaskWatcher, (task.id, member.user_id))
    if watcher is not None:
        db.session.delete(watcher)
    db.session.commit()
