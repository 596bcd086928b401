"""Bulk actions on a team's tasks: one change (status, assignee, priority, deadline, feature) or the trash
for up to MAX_IDS tasks at once. Each task is its own transaction, through the same update_task or
move_to_trash as a single edit (so the same checks, optimistic locking and events per task): one task's
refusal or conflict does not hold back the others, and each gets its own result."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from . import stored_forecast, tallies, tasks, undo
from .errors import Conflict, Invalid
from .extensions import db
from .models import Task, TeamMembership
from .vocabulary import is_id

MAX_IDS = 200
SETTABLE = ("status", "assignee_id", "priority", "due_at", "feature_id")
OUTCOMES = ("applied", "conflict", "refused")


@dataclass
class RowResult:
    """One task's result: `applied` (with the values it replaced, `before`, as undo keeps them),
    `conflict` (the task moved on since the version given; `current` is the task now) or `refused`
    (`reason`, and `errors` per field)."""

    task_id: int
    outcome: str
    reason: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    current: Task | None = None
    before: dict[str, Any] | None = None
    version: int | None = None


def check_request(ids: Any, changes: Mapping[str, Any] | None, trash: bool,
                  versions: Mapping[int, Any] | None) -> list[int]:
    """The ids, without repeats, if the request as a whole makes sense; Invalid naming what does not."""
    errors: dict[str, list[str]] = {}
    if not isinstance(ids, list) or not ids or not all(is_id(i) for i in ids):
        errors["ids"] = ["Choose at least one task (a list of task ids)."]
    elif len(set(ids)) > MAX_IDS:
        errors["ids"] = [f"Choose at most {MAX_IDS} tasks at once."]
    if bool(changes) == bool(trash):
        errors["set"] = ["Give either the fields to set or trash, not both and not neither."]
    elif changes and set(changes) - set(SETTABLE):
        errors["set"] = [f"Only these can be set in bulk: {', '.join(SETTABLE)}."]
    if versions and not all(is_id(k) and is_id(v) for k, v in versions.items()):
        errors["version"] = ["Map task ids to the version you read, e.g. {\"12\": 3}."]
    if errors:
        raise Invalid(errors)
    return list(dict.fromkeys(ids))


def apply(member: TeamMembership, ids: Any, *, changes: Mapping[str, Any] | None = None, trash: bool = False,
          versions: Mapping[int, Any] | None = None) -> list[RowResult]:
    """Set `changes` on, or move to the trash, each of the team's tasks in `ids`: a result per id, in
    order."""
    wanted = check_request(ids, changes, trash, versions)
    versions = versions or {}
    found = {t.id: t for t in db.session.scalars(
        select(Task).options(*tasks.LIST_LOAD)
        .where(Task.id.in_(wanted), Task.team_id == member.team_id, Task.deleted_at.is_(None))
    ).unique()}
    results = []
    # The queues are recomputed, and the tallies' days recounted, once, after the last task.
    with stored_forecast.deferred(), tallies.deferred():
        for task_id in wanted:
            task = found.get(task_id)
            if task is None:  # another team's task is refused like one that does not exist
                results.append(RowResult(task_id, "refused", f"No live task #{task_id} in this team."))
            else:
                results.append(_apply_one(member, task, changes, trash, versions.get(task_id)))
    return results


def _apply_one(member: TeamMembership, task: Task, changes: Mapping[str, Any] | None, trash: bool,
               version: int | None) -> RowResult:
    if version is not None and version != task.version:
        return RowResult(task.id, "conflict", "Changed by someone else since you read it.", current=task)
    before = undo.replaced(task, changes or ())
    try:
        if trash:
            tasks.move_to_trash(member, task)
        else:
            done = tasks.update_task(member, task, changes or {}, expected_version=version)
            before = {name: before[name] for name in done if name in before}
    except Conflict as exc:
        return RowResult(task.id, "conflict", "Changed by someone else meanwhile.", current=exc.current)
    except Invalid as exc:
        reason = " ".join(exc.messages)
        return RowResult(task.id, "refused", reason, errors=exc.errors)
    return RowResult(task.id, "applied", before=before, version=task.version)


def applied_tasks(member: TeamMembership, results: list[RowResult]) -> list[Task]:
    """The tasks a change was applied to, as they are now (one query)."""
    ids = [r.task_id for r in results if r.outcome == "applied"]
    return list(db.session.scalars(
        select(Task).options(*tasks.LIST_LOAD).where(Task.id.in_(ids), Task.team_id == member.team_id)
    ).unique())


def counts(results: list[RowResult]) -> dict[str, int]:
    return {name: sum(r.outcome == name for r in results) for name in OUTCOMES}


def undo_changes(results: list[RowResult], trash: bool) -> list[dict]:
    """What undo needs to take the applied rows back."""
    return [
        {"task_id": r.task_id, "version": r.version, **({"trashed": True} if trash else {"before": r.before})}
        for r in results if r.outcome == "applied" and (trash or r.before)
    ]
