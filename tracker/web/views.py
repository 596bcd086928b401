"""Prioritisation pages: my work, board, Eisenhower matrix, calendar, dashboard, forecast, saved filters."""
from __future__ import annotations

import re
from datetime import datetime

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import prioritisation, saved_filters, tasks, teams
from ..charts import bar_chart, line_chart
from ..deadlines import BUCKETS, QUADRANTS
from ..errors import Conflict, Invalid
from ..models import OPEN_STATUSES, PRIORITIES, STATUSES
from . import apply_errors, request_filter, safe_next, viewer_zone

bp = Blueprint("views", __name__)


@bp.before_request
@login_required
def require_login():
    return None


def _team_page(template: str, member, **context):
    return render_template(
        template,
        member=member,
        team=member.team,
        categories=teams.all_categories(member.team_id),
        members=teams.members_of(member.team),
        statuses=STATUSES,
        priorities=PRIORITIES,
        **context,
    )


@bp.get("/my-work")
def my_work():
    work = prioritisation.my_work(current_user)
    return render_template("views/my_work.html", work=work, buckets=BUCKETS, statuses=STATUSES)


@bp.post("/tasks/<int:task_id>/status")
def change_status(task_id: int):
    """One-click status change from my work and the board (a form post; fetch() asks for JSON)."""
    task, member = tasks.get_task(current_user, task_id)
    version = request.form.get("version", "")
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        tasks.update_task(member, task, {"status": request.form.get("status", "")},
                          expected_version=int(version) if version.isdigit() else None)
    except Conflict as exc:
        message = f"#{task.id} was changed by someone else meanwhile; it is now {exc.current.status.replace('_', ' ')}."
        if wants_json:
            return jsonify(error=message, status=exc.current.status, version=exc.current.version), 409
        flash(message, "warning")
    except Invalid as exc:
        if wants_json:
            return jsonify(error="; ".join(m for ms in exc.errors.values() for m in ms)), 422
        apply_errors(None, exc)
    else:
        if wants_json:
            return jsonify(status=task.status, version=task.version)
        flash(f"#{task.id} is now {task.status.replace('_', ' ')}.", "success")
    return redirect(safe_next(request.form.get("next"), "views.my_work"))


@bp.get("/teams/<int:team_id>/board")
def board(team_id: int):
    member = teams.membership_for(current_user, team_id)
    task_filter, error = request_filter()
    columns = prioritisation.board(member, task_filter)
    forecast = prioritisation.forecast_teams([team_id])
    return _team_page("views/board.html", member, columns=columns, task_filter=task_filter,
                      filter_error=error, forecast=forecast, open_statuses=OPEN_STATUSES,
                      saved=saved_filters.saved_filters(member)), 422 if error else 200


@bp.get("/teams/<int:team_id>/eisenhower")
def eisenhower(team_id: int):
    member = teams.membership_for(current_user, team_id)
    task_filter, error = request_filter()
    quadrants = prioritisation.eisenhower(member, task_filter)
    return _team_page("views/eisenhower.html", member, quadrants=quadrants, quadrant_names=QUADRANTS,
                      task_filter=task_filter, filter_error=error,
                      forecast=prioritisation.forecast_teams([team_id])), 422 if error else 200


@bp.get("/teams/<int:team_id>/calendar")
def calendar(team_id: int):
    member = teams.membership_for(current_user, team_id)
    task_filter, error = request_filter()
    today = datetime.now(viewer_zone()).date()
    match = re.fullmatch(r"(\d{4})-(\d{2})", request.args.get("month", ""))
    year, month = (int(match[1]), int(match[2])) if match and 1 <= int(match[2]) <= 12 else (today.year, today.month)
    if not 1900 < year < 3000:
        year = today.year
    grid = prioritisation.deadline_calendar(member, year, month, task_filter, current_user.timezone)
    return _team_page("views/calendar.html", member, grid=grid, task_filter=task_filter,
                      filter_error=error, forecast=prioritisation.forecast_teams([team_id])), 422 if error else 200


@bp.get("/teams/<int:team_id>/dashboard")
def dashboard(team_id: int):
    member = teams.membership_for(current_user, team_id)
    data = prioritisation.dashboard(member)
    category_chart = bar_chart(
        "Open and overdue tasks per category",
        [(row["name"], [row["open"], row["overdue"]]) for row in data.by_category],
        ["open", "overdue"],
    )
    people_chart = bar_chart(
        "Hours due by each person's tightest deadline against their working hours until then",
        [(p.user.name, [p.needed_hours, p.available_hours]) for p in data.by_assignee],
        ["hours due", "working hours available"], unit=" h",
    )
    burnup_chart = line_chart(
        "Burn-up: estimate in scope and done, last 8 weeks",
        [point["at"].strftime("%d %b") for point in data.burnup],
        {"scope (h)": [p["scope_hours"] for p in data.burnup], "done (h)": [p["done_hours"] for p in data.burnup]},
    )
    return _team_page("views/dashboard.html", member, data=data, category_chart=category_chart,
                      people_chart=people_chart, burnup_chart=burnup_chart)


@bp.get("/teams/<int:team_id>/forecast")
def forecast(team_id: int):
    member = teams.membership_for(current_user, team_id)
    team_forecast = prioritisation.forecast_teams([team_id])
    open_tasks = prioritisation.open_tasks(member)
    return _team_page("views/forecast.html", member, forecast=team_forecast, tasks=open_tasks)


@bp.post("/teams/<int:team_id>/filters")
def save_filter(team_id: int):
    member = teams.membership_for(current_user, team_id)
    task_filter, error = request_filter(request.form)
    view = request.form.get("view", "list")
    if error is None:
        try:
            saved = saved_filters.save_filter(member, request.form.get("name", ""), view, task_filter,
                                              shared=request.form.get("shared") == "on")
        except Invalid as exc:
            apply_errors(None, exc)
        else:
            flash(f"Filter “{saved.name}” saved.", "success")
    else:
        apply_errors(None, error)
    return redirect(_view_url(team_id, view, task_filter))


@bp.post("/teams/<int:team_id>/filters/<int:filter_id>/delete")
def delete_filter(team_id: int, filter_id: int):
    member = teams.membership_for(current_user, team_id)
    saved_filters.delete_filter(member, filter_id)
    flash("Filter deleted.", "success")
    return redirect(url_for("tasks.index", team_id=team_id, status="open"))


def _view_url(team_id: int, view: str, task_filter) -> str:
    endpoint = {"board": "views.board", "eisenhower": "views.eisenhower", "calendar": "views.calendar"}.get(view, "tasks.index")
    return url_for(endpoint, team_id=team_id, **task_filter.to_args())
