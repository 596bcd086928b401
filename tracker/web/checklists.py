"""The checklist on the task page, edited with plain forms (no JavaScript needed): add an item; tick,
reword, move, delete or promote one. Every form comes back to the task's checklist."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_login import current_user, login_required

from .. import checklists, tasks
from ..errors import Invalid
from .errors import messages, refuse
from .query import wants_json
from .tasks import show as show_task

bp = Blueprint("checklists", __name__)
ACTIONS = ("toggle", "save", "up", "down", "delete", "promote")


@bp.before_request
@login_required
def require_login():
    return None


def _back(task_id: int):
    return redirect(url_for("tasks.show", task_id=task_id) + "#checklist")


@bp.post("/tasks/<int:task_id>/checklist")
def add(task_id: int):
    task, member = tasks.get_task(current_user, task_id)
    with kept_on_invalid(task_id, None):
        checklists.add_item(member, task, request.form.get("text", ""))
    return _back(task_id)


@contextmanager
def kept_on_invalid(task_id: int, item_id: int | None) -> Iterator[None]:
    """A refused text comes back beside the form it was typed in (the new item's, or item_id's), as typed,
    on the task page (422), instead of a message at the top and an empty field."""
    try:
        yield
    except Invalid as exc:
        if wants_json():
            raise
        g.checklist_input = {"item_id": item_id, "text": request.form.get("text", ""),
                             "errors": messages(exc)}
        refuse(lambda: show_task(task_id))


@bp.post("/checklist-items/<int:item_id>")
def change(item_id: int):
    """One form per item; the button pressed (`action`) says what to do."""
    item, member = checklists.get_item(current_user, item_id)
    task_id, action = item.task_id, request.form.get("action", "")
    if action not in ACTIONS:
        flash(f"Choose one of: {', '.join(ACTIONS)}.", "error")
        return _back(task_id)
    with kept_on_invalid(task_id, item.id):
        if action == "promote":
            promoted = checklists.promote_item(member, item)
            flash(f"“{promoted.title}” is now task #{promoted.id}.", "success")
        elif action == "delete":
            checklists.delete_item(member, item)
        else:
            checklists.update_item(member, item, _change(action, item, request.form.get("text", "")))
    return _back(task_id)


def _change(action: str, item, text: str) -> dict:
    if action == "toggle":
        return {"done": not item.done}
    if action == "save":
        return {"text": text}
    return {"position": max(item.position + (-1 if action == "up" else 1), 0)}
