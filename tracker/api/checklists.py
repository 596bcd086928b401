"""Checklists on tasks: add an item, change its text, done or position, delete it, promote it to a task.

A checklist change is a change of its task: each answer carries the task's new version as its ETag, and
each request may be guarded with that version (`If-Match`: 412 when stale; or `version` in the body: 409
with the current task), as PATCH /tasks is."""

from __future__ import annotations

from flask import url_for

from .. import checklists, tasks
from ..models import Task
from .core import caller, etag, operation, reply
from .schemas import ChecklistItemCreate, ChecklistItemOut, ChecklistItemPatch, TaskOut
from .tasks import ETAG, IF_MATCH, check_if_match

TASK_ETAG = {"ETag": "The task's new version in quotes; send it back as If-Match."}


def _task_etag(task: Task) -> dict[str, str]:
    return {"ETag": etag(task.version)}


@operation("POST", "/tasks/<id:task_id>/checklist", summary="Add a checklist item", tag="Tasks",
           response=ChecklistItemOut, status=201, body=ChecklistItemCreate, errors=[409, 412],
           headers=TASK_ETAG, request_headers=IF_MATCH)
def add_checklist_item(task_id: int, body: ChecklistItemCreate):
    """Any member adds items to a live task of their team; the item goes last."""
    task, member = tasks.get_task(caller(), task_id)
    check_if_match(task)
    item = checklists.add_item(member, task, body.text, expected_version=body.version)
    return reply(ChecklistItemOut.model_validate(item), 201, _task_etag(task))


@operation("PATCH", "/checklist-items/<id:item_id>", summary="Change a checklist item", tag="Tasks",
           response=ChecklistItemOut, body=ChecklistItemPatch, errors=[409, 412], headers=TASK_ETAG,
           request_headers=IF_MATCH)
def patch_checklist_item(item_id: int, body: ChecklistItemPatch):
    """Tick it (`done`), reword it (`text`) or move it (`position`, 0 = first; the others close up)."""
    item, member = checklists.get_item(caller(), item_id)
    check_if_match(item.task)
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    checklists.update_item(member, item, data, expected_version=version)
    return reply(ChecklistItemOut.model_validate(item), 200, _task_etag(item.task))


@operation("DELETE", "/checklist-items/<id:item_id>", summary="Delete a checklist item", tag="Tasks",
           status=204, errors=[412], headers=TASK_ETAG, request_headers=IF_MATCH)
def delete_checklist_item(item_id: int):
    """Any member of the task's team deletes items."""
    item, member = checklists.get_item(caller(), item_id)
    task = item.task
    check_if_match(task)
    checklists.delete_item(member, item)
    return reply(None, 204, _task_etag(task))


@operation("POST", "/checklist-items/<id:item_id>/promote", summary="Promote a checklist item to a task",
           tag="Tasks", response=TaskOut, status=201, errors=[412, 422], request_headers=IF_MATCH,
           headers={"Location": "The new task's URL.", **ETAG})
def promote_checklist_item(item_id: int):
    """The item becomes a task of its own (its text the title, in the same category and feature) and
    leaves the checklist, which changes the item's task (a new version). An item of a task in an archived
    category: 422."""
    item, member = checklists.get_item(caller(), item_id)
    check_if_match(item.task)
    task = checklists.promote_item(member, item)
    task, _member = tasks.get_task(caller(), task.id)
    return reply(TaskOut.of(task), 201, {"Location": url_for("api.get_task", task_id=task.id),
                                         "ETag": etag(task.version)})
