"""Checklists on tasks: ordered items, each done or not, that any member of the task's team adds, ticks,
edits, moves and deletes; an item that grows into real work is promoted to a task of its own.

A checklist is part of its task: every change is a change of the task (its version goes up, a stale
`expected_version` is a Conflict), announced as task_changed with the change under "checklist" as
(old, new): (None, [added items]), (item, item changed), (item, None) for a deletion, and
(item, {"promoted_to": task id}) for a promotion; history and webhooks follow from the event."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from . import events
from .errors import Conflict, Invalid, NotFound
from .extensions import db
from .models import ChecklistItem, Task, TeamMembership, User, utcnow
from .tasks import create_task, get_on_task
from .vocabulary import CHECKLIST_ITEM_MAX, CHECKLIST_ITEMS_PER_TASK, TITLE_MAX

# "- [ ] text" or "* [x] text": a line of a Markdown task list.
_ITEM_LINE = re.compile(r"^\s*[-*+] \[([ xX])\]\s+(.+?)\s*$")


def parse_checklist(markdown: str) -> tuple[str, list[tuple[str, bool]]]:
    """Split a template's description into its other text and its task-list lines as (text, done)."""
    rest, items = [], []
    for line in (markdown or "").splitlines():
        match = _ITEM_LINE.match(line)
        if match:
            items.append((match.group(2)[:CHECKLIST_ITEM_MAX], match.group(1) != " "))
        else:
            rest.append(line)
    return "\n".join(rest).strip(), items


def get_item(user: User, item_id: int) -> tuple[ChecklistItem, TeamMembership]:
    """A checklist item of a live task of one of the user's teams (else NotFound)."""
    return get_on_task(user, ChecklistItem, item_id, noun="checklist item")


def _check_text(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise Invalid({"text": ["Enter the item's text."]})
    if len(text) > CHECKLIST_ITEM_MAX:
        raise Invalid({"text": [f"Use at most {CHECKLIST_ITEM_MAX} characters (this has {len(text)})."]})
    return text


def _live(member: TeamMembership, task: Task, expected_version: int | None = None) -> None:
    if task.team_id != member.team_id or task.deleted_at is not None:
        raise NotFound("No such task.")
    if expected_version is not None and expected_version != task.version:
        raise Conflict(task)


def _state(item: ChecklistItem) -> dict[str, Any]:
    return {"text": item.text, "done": item.done, "position": item.position}


def _announce(member: TeamMembership, task: Task, old: Any, new: Any) -> None:
    """Commit a checklist change as a change of its task: a new version, history and webhooks."""
    task.updated_at = utcnow()  # the task's row is written, so its version goes up
    try:
        events.task_changed.send(task, actor=member.user, changes={"checklist": (old, new)})
        db.session.commit()
    except StaleDataError:
        # The task changed between our read and our write: theirs stands, ours is reported back.
        db.session.rollback()
        db.session.refresh(task)
        raise Conflict(task) from None


def add_items(
    member: TeamMembership, task: Task, items: Iterable[tuple[str, bool]], expected_version: int | None = None
) -> list[ChecklistItem]:
    """Append items (text, done) to the task's checklist, after the ones it has."""
    _live(member, task, expected_version)
    items = [(_check_text(text), bool(done)) for text, done in items]
    count, last = db.session.execute(
        select(func.count(), func.coalesce(func.max(ChecklistItem.position), -1)).where(
            ChecklistItem.task_id == task.id
        )
    ).one()
    if count + len(items) > CHECKLIST_ITEMS_PER_TASK:
        raise Invalid({"text": [f"A checklist holds at most {CHECKLIST_ITEMS_PER_TASK} items; "
                                "split the work into tasks."]})
    added = [
        ChecklistItem(task_id=task.id, text=text, done=done, position=last + 1 + i)
        for i, (text, done) in enumerate(items)
    ]
    db.session.add_all(added)
    db.session.flush()
    _announce(member, task, None, [_state(item) for item in added])
    return added


def add_item(
    member: TeamMembership, task: Task, text: Any, expected_version: int | None = None
) -> ChecklistItem:
    return add_items(member, task, [(text, False)], expected_version)[0]


def _siblings(task_id: int) -> list[ChecklistItem]:
    return list(
        db.session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.task_id == task_id)
            .order_by(ChecklistItem.position, ChecklistItem.id)
        )
    )


def _move(item: ChecklistItem, position: Any) -> None:
    """Put the item at `position` (0 = first) and number the others around it."""
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise Invalid({"position": ["Use a position from 0 (first)."]})
    others = [i for i in _siblings(item.task_id) if i.id != item.id]
    others.insert(min(position, len(others)), item)
    for index, each in enumerate(others):
        each.position = index


def update_item(
    member: TeamMembership, item: ChecklistItem, data: Mapping[str, Any], expected_version: int | None = None
) -> ChecklistItem:
    """Change an item's `text`, `done` and/or `position` (0 = first)."""
    _live(member, item.task, expected_version)
    unknown = sorted(set(data) - {"text", "done", "position"})
    if unknown:
        raise Invalid({name: ["This field cannot be set."] for name in unknown})
    if "done" in data and not isinstance(data["done"], bool):
        raise Invalid({"done": ["Use true or false."]})
    text = _check_text(data["text"]) if "text" in data else item.text
    before = _state(item)
    if "position" in data:
        _move(item, data["position"])
    item.text = text
    item.done = data.get("done", item.done)
    if _state(item) == before:
        db.session.rollback()  # nothing changed: no new version, no history
        return item
    _announce(member, item.task, before, _state(item))
    return item


def _remove(item: ChecklistItem) -> dict[str, Any]:
    """Take the item off its checklist and close the gap; what it was."""
    was, task_id = _state(item), item.task_id
    db.session.delete(item)
    db.session.flush()
    for index, each in enumerate(_siblings(task_id)):
        each.position = index
    return was


def delete_item(member: TeamMembership, item: ChecklistItem, expected_version: int | None = None) -> None:
    task = item.task
    _live(member, task, expected_version)
    _announce(member, task, _remove(item), None)


def promote_item(member: TeamMembership, item: ChecklistItem, expected_version: int | None = None) -> Task:
    """Make the item a task of its own, in the same category and feature as its task, and take it off the
    checklist (the work now lives in the new task)."""
    task = item.task
    _live(member, task, expected_version)
    data = {
        "title": item.text[:TITLE_MAX],
        "category": task.category.slug,
        "description": f"Promoted from the checklist of #{task.id}.",
        "feature_id": task.feature_id,
    }
    if task.category.archived:  # an archived category takes no new task: the team chooses another later
        raise Invalid({"category": [f"The category “{task.category.name}” is archived; create the task "
                                    "yourself in another category."]})
    promoted = create_task(member, data)
    _announce(member, task, _remove(item), {"promoted_to": promoted.id, "text": promoted.title})
    return promoted
