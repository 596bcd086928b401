"""Rebalance pages: an at-risk task's proposed moves with their effect (tracker/rebalance.py), and applying
one with a form (CSRF and the task's version: a stale page is reported, nothing is overwritten)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import rebalance, stored_forecast, tasks
from ..errors import Conflict
from .errors import on_invalid

bp = Blueprint("rebalance", __name__)


@bp.before_request
@login_required
def require_login():
    return None


@bp.get("/tasks/<int:task_id>/proposals")
def proposals(task_id: int):
    task, member = tasks.get_task(current_user, task_id)
    result = rebalance.propose(member, task) if task.is_open else None
    return render_template("rebalance/proposals.html", task=task, member=member, team=member.team,
                           result=result, forecast=stored_forecast.load([task.id]))


@bp.post("/tasks/<int:task_id>/proposals/apply")
def apply(task_id: int):
    """One proposal's changes (hidden fields, as proposed) applied through the task update."""
    task, member = tasks.get_task(current_user, task_id)
    back = url_for("rebalance.proposals", task_id=task.id)
    kind = request.form.get("kind", "")
    fields = rebalance.CHANGED_FIELDS.get(kind, ())
    changes = {name: request.form[name] for name in fields if name in request.form}
    version = request.form.get("version", "")
    with on_invalid(lambda: redirect(back)):
        try:
            rebalance.apply(member, task, kind, changes, int(version) if version.isdecimal() else None)
        except Conflict:
            flash(f"#{task.id} was changed by someone else meanwhile, so nothing was applied; "
                  "the moves below are worked out again for it as it is now.", "warning")
            return redirect(back)
    done = {"reassign": "reassigned", "reorder": "moved up its assignee's queue", "move_deadline": "given a "
            "later deadline"}[kind]
    flash(f"#{task.id} {done}. Its forecast now is below.", "success")
    return redirect(back)
