"""Objects as plain data for everything that leaves the process as JSON: the API's responses and the
webhooks' payloads are both built from these, so a task reads the same wherever it is sent."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .models import ChecklistItem, Comment, Feature, Task


def plain(value: Any) -> Any:
    """A value as stored in the history and sent as JSON: instants as RFC 3339 UTC strings."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def task_fields(task: Task, spent_hours: float = 0.0) -> dict[str, Any]:
    """The task's fields as the API shows them (instants still as datetimes)."""
    return task_values(
        task,
        category=task.category.slug,
        labels=task.label_names,
        blocked_by=[b.id for b in task.blocked_by],
        checklist=[checklist_item_fields(item) for item in task.checklist],
        spent_hours=spent_hours,
    )


def task_values(
    task: Any, *, category: str, labels: list[str], blocked_by: list[int], checklist: list[dict],
    spent_hours: float,
) -> dict[str, Any]:
    """The same from a task's own columns — of a Task, or of a plain row of them (the API's list reads
    rows: building ORM objects was half its time) — and what hangs off it, read apart."""
    return {
        "id": task.id,
        "team_id": task.team_id,
        "title": task.title,
        "description": task.description,
        "description_html": task.description_html,  # rendered when the description was written
        "category": category,
        "status": task.status,
        "priority": task.priority,
        "due_at": task.due_at,
        "start_at": task.start_at,
        "queue_at": task.queue_at,
        "estimate_hours": task.estimate_hours,
        "spent_hours": spent_hours,
        "assignee_id": task.assignee_id,
        "reporter_id": task.reporter_id,
        "labels": labels,
        "blocked_by": blocked_by,
        "feature_id": task.feature_id,
        "checklist": checklist,
        "recurrence": task.recurrence,
        "version": task.version,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def task_json(task: Task, spent_hours: float = 0.0) -> dict[str, Any]:
    """The task as JSON-ready data (what the API returns for it)."""
    return plain(task_fields(task, spent_hours))


def comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "task_id": comment.task_id,
        "author_id": comment.author_id,
        "body": comment.body,
        "body_html": comment.body_html,
        "created_at": plain(comment.created_at),
    }


def checklist_item_fields(item: ChecklistItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in ("id", "task_id", "text", "done", "position")}


# A feature's own columns as the API and webhooks show them (tracker.features adds coverage and forecast).
FEATURE_COLUMNS = (
    "id", "team_id", "title", "description", "description_html", "owner_id", "target_date", "state",
    "ship_reason", "shipped_at", "version", "created_at", "updated_at",
)


def feature_fields(feature: Feature) -> dict[str, Any]:
    fields = {name: getattr(feature, name) for name in FEATURE_COLUMNS}
    fields["required_categories"] = [c.slug for c in feature.required_categories]
    return fields


def feature_json(feature: Feature) -> dict[str, Any]:
    """The feature as JSON-ready data (what webhooks send)."""
    fields = feature_fields(feature)
    fields["target_date"] = feature.target_date.isoformat() if feature.target_date else None
    return plain(fields)
