"""Checklists on tasks: add an item, change its text, done or position, delete it, promote it to a task."""

from __future__ import annotations

from flask import url_for

from .. import checklists, tasks
from .core import caller, operation, reply
from .schemas import ChecklistItemCreate, ChecklistItemOut, ChecklistItemPatch, TaskOut


@operation("POST", "/tasks/<id:task_id>/checklist", summary="Add a checklist item", tag="Tasks",
           response=ChecklistItemOut, status=201, body=ChecklistItemCreate)
def add_checklist_item(task_id: int, body: ChecklistItemCreate):
    """Any member adds items to a live task of their team; the item goes last."""
    task, member = tasks.get_task(caller(), task_id)
    item = checklists.add_item(member, task, body.text)
    return reply(ChecklistItemOut.model_validate(item), 201)


@operation("PATCH", "/checklist-items/<id:item_id>", summary="Change a checklist item", tag="Tasks",
           response=ChecklistItemOut, body=ChecklistItemPatch)
def patch_checklist_item(item_id: int, body: ChecklistItemPatch):
    """Tick it (`done`), reword it (`text`) or move it (`position`, 0 = first; the others close up)."""
    item, member = checklists.get_item(caller(), item_id)
    checklists.update_item(member, item, body.model_dump(exclude_unset=True))
    return reply(ChecklistItemOut.model_validate(item))


@operation("DELETE", "/checklist-items/<id:item_id>", summary="Delete a checklist item", tag="Tasks",
           status=204)
def delete_checklist_item(item_id: int):
    """Any member of the task's team deletes items."""
    item, member = checklists.get_item(caller(), item_id)
    checklists.delete_item(member, item)
    return reply(None, 204)


@operation("POST", "/checklist-items/<id:item_id>/promote", summary="Promote a checklist item to a task",
           tag="Tasks", response=TaskOut, status=201, errors=[422],
           headers={"Location": "The new task's URL."})
def promote_checklist_item(item_id: int):
    """The item becomes a task of its own (its text the title, in the same category and feature) and
    leaves the checklist. An item of a task in an archived category: 422."""
    item, member = checklists.get_item(caller(), item_id)
    task = checklists.promote_item(member, item)
    task, _member = tasks.get_task(caller(), task.id)
    return reply(TaskOut.of(task), 201, {"Location": url_for("api.get_task", task_id=task.id)})
