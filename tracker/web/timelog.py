"""Time tracking pages: log time on a task, delete an entry, and the user's week."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import tasks, timelog
from ..errors import Invalid
from ..models import utcnow
from . import apply_errors
from .forms import TimeEntryForm

bp = Blueprint("timelog", __name__)


@bp.before_request
@login_required
def require_login():
    return None


@bp.post("/tasks/<int:task_id>/time")
def log(task_id: int):
    task, member = tasks.get_task(current_user, task_id)
    form = TimeEntryForm()
    if form.validate_on_submit():
        try:
            entry = timelog.log_time(member, task, form.hours.data, form.spent_on.data, form.note.data or "")
        except Invalid as exc:
            apply_errors(None, exc)
        else:
            flash(f"Logged {entry.hours:g} h on #{task.id}.", "success")
    else:
        for name, messages in form.errors.items():
            for message in messages:
                flash(f"{getattr(form, name).label.text}: {message}", "error")
    return redirect(url_for("tasks.show", task_id=task.id) + "#time")


@bp.post("/time-entries/<int:entry_id>/delete")
def delete(entry_id: int):
    entry, member = timelog.get_time_entry(current_user, entry_id)
    task_id = entry.task_id
    timelog.delete_time_entry(member, entry)
    flash("Time entry deleted.", "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#time")


@bp.get("/my-time")
def my_time():
    today = utcnow().astimezone(ZoneInfo(current_user.timezone)).date()
    try:
        day = date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        day = today
    monday = timelog.week_of(day)
    summary = timelog.week_summary(timelog.week_entries(current_user, monday), monday)
    return render_template(
        "timelog/week.html", summary=summary, monday=monday,
        previous=monday - timedelta(days=7), next=monday + timedelta(days=7), this_week=timelog.week_of(today),
    )
