"""Time tracking pages: log time on a task, delete an entry, and the user's week."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import tasks, timelog, zones
from ..models import utcnow
from .errors import submitted
from .forms import TimeEntryForm
from .query import day
from .tasks import show as show_task

bp = Blueprint("timelog", __name__)


@bp.before_request
@login_required
def require_login():
    return None


@bp.post("/tasks/<int:task_id>/time")
def log(task_id: int):
    task, member = tasks.get_task(current_user, task_id)
    form = g.time_form = TimeEntryForm()  # the task page shows it, with its errors, if it is refused
    with submitted(form, lambda: show_task(task_id)):
        entry = timelog.log_time(member, task, form.hours.data, form.spent_on.data, form.note.data or "")
    flash(f"Logged {entry.hours:g} h on #{task.id}.", "success")
    return redirect(url_for("tasks.show", task_id=task.id, _anchor="time"))


@bp.post("/time-entries/<int:entry_id>/delete")
def delete(entry_id: int):
    entry, member = timelog.get_time_entry(current_user, entry_id)
    task_id = entry.task_id
    timelog.delete_time_entry(member, entry)
    flash("Time entry deleted.", "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#time")


@bp.get("/my-time")
def my_time():
    today = utcnow().astimezone(zones.named(current_user.timezone)).date()
    monday = timelog.week_of(day("week", today))
    summary = timelog.week_summary(timelog.week_entries(current_user, monday), monday)
    return render_template(
        "timelog/week.html", summary=summary, monday=monday,
        previous=monday - timedelta(days=7), next=monday + timedelta(days=7), this_week=timelog.week_of(today),
    )
