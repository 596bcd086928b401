"""Prioritisation pages: my work, board, Eisenhower matrix, calendar, dashboard, forecast, saved filters."""
from __future__ import annotations

import functools
import re
from dataclasses import replace
from datetime import datetime

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import boards, matrix, prioritisation, saved_filters, stored_forecast, tasks, teams
from ..charts import bar_chart, line_chart
from ..deadlines import BUCKETS, QUADRANTS
from ..errors import Conflict, Invalid
from ..models import OPEN_STATUSES, PRIORITIES, STATUSES
from ..response_cache import cached
from . import agenda as agenda_views
from . import boards as board_views
from . import inline
from .errors import on_invalid
from .query import list_filter, page_number, safe_next, wants_json
from .templating import viewer_zone

bp = Blueprint("views", __name__)


@bp.before_request
@login_required
def require_login():
    return None


def _task_filter():
    return list_filter(tasks.parse_task_filter, tasks.TaskFilter())


def _cards() -> int:
    return current_app.config.get("BOARD_CARDS", prioritisation.BOARD_CARDS)


def _limits(names, cards: int | None = None) -> dict[str, int]:
    """How many tasks each column, quadrant or bucket shows: `cards` (default BOARD_CARDS), or what its
    ?limit_<name>= asks for (the "show more" links do)."""
    cards = cards or _cards()
    asked = {name: request.args.get(f"limit_{name}", "") for name in names}
    return {name: int(raw) if raw.isdecimal() and len(raw) <= 4 else cards for name, raw in asked.items()}


@bp.app_template_global()
def more_args(groups, name: str) -> dict[str, int] | None:
    """The ?limit_… arguments that show more of group `name` and keep the others as they are; None when
    it already shows as many as it may."""
    if groups.limits[name] >= prioritisation.MOST_CARDS:
        return None
    step = groups.step or _cards()
    args = {f"limit_{n}": limit for n, limit in groups.limits.items() if limit != step}
    args[f"limit_{name}"] = min(groups.limits[name] + step, prioritisation.MOST_CARDS)
    return args


@bp.app_template_global()
def day_args(task_filter, start: datetime, end: datetime) -> dict[str, str]:
    """The task list's arguments for one calendar day's deadlines under the page's filter."""
    return replace(task_filter, due_after=start, due_before=end).to_args()


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
@cached
def my_work():
    cards = min(_cards(), prioritisation.MY_WORK_CARDS)
    work = prioritisation.my_work(current_user, limit=_limits(BUCKETS, cards))
    work.buckets.step = cards
    return render_template("views/my_work.html", work=work, buckets=BUCKETS, statuses=STATUSES)


@bp.post("/tasks/<int:task_id>/status")
def change_status(task_id: int):
    """One-click status change from my work and the board (a form post; fetch() asks for JSON)."""
    task, member = tasks.get_task(current_user, task_id)
    version = request.form.get("version", "")
    back = safe_next(request.form.get("next"), "views.my_work")
    before = {"status": task.status}
    with on_invalid(lambda: redirect(back)):
        try:
            changed = tasks.update_task(member, task, {"status": request.form.get("status", "")},
                                        expected_version=int(version) if version.isdecimal() else None)
        except Conflict as exc:
            message = f"#{task.id} was changed by someone else meanwhile; it is now {exc.current.status.replace('_', ' ')}."
            if wants_json():
                return jsonify(error=message, status=exc.current.status, version=exc.current.version), 409
            flash(message, "warning")
            return redirect(back)
    offer = inline.offer_undo(inline.mark_done_undo(member, task, before, changed))  # Undo after done
    if wants_json():
        return jsonify(status=task.status, version=task.version, undo=offer)
    flash(f"#{task.id} is now {task.status.replace('_', ' ')}.", "success")
    return redirect(back)


@bp.get("/teams/<int:team_id>/board")
@cached
def board(team_id: int):
    member = teams.membership_for(current_user, team_id)
    # The filter and swimlanes asked for, or those this person last chose here (tracker/web/boards.py).
    task_filter, lanes, args, remembered, error = board_views.board_filter(member)
    columns = prioritisation.board(member, task_filter, limit=_limits((*OPEN_STATUSES, "done")))
    forecast = stored_forecast.load(columns.task_ids)
    return _team_page("views/board.html", member, columns=columns, task_filter=task_filter,
                      filter_error=error, forecast=forecast, open_statuses=OPEN_STATUSES,
                      saved=saved_filters.saved_filters(member), remembered=remembered,
                      board_args=args, **board_views.board_extras(member, columns, lanes)
                      ), 422 if error else 200


@bp.post("/teams/<int:team_id>/board/limits")
def set_wip_limits(team_id: int):
    """A manager sets the board's work-in-progress limits; a refusal shows the board with the messages
    beside the fields (422)."""
    member = teams.membership_for(current_user, team_id)
    try:
        boards.set_wip_limits(member, request.form)
    except Invalid as exc:
        g.wip_errors = exc.errors
        return board(team_id)[0], 422
    flash("Work-in-progress limits saved.", "success")
    return redirect(url_for("views.board", team_id=team_id))


@bp.get("/teams/<int:team_id>/eisenhower")
@cached
def eisenhower(team_id: int):
    member = teams.membership_for(current_user, team_id)
    task_filter, error = _task_filter()
    quadrants = prioritisation.eisenhower(member, task_filter, limit=_limits(QUADRANTS))
    return _team_page("views/eisenhower.html", member, quadrants=quadrants, quadrant_names=QUADRANTS,
                      quadrant_advice=matrix.ADVICE,
                      task_filter=task_filter, filter_error=error,
                      forecast=stored_forecast.load(quadrants.task_ids)), 422 if error else 200


@bp.post("/tasks/<int:task_id>/quadrant")
def move_quadrant(task_id: int):
    """Move a task to another quadrant of the matrix (tracker/matrix.py): a form post whose refusal shows
    the matrix again with the message beside that card's form (422); fetch() asks for JSON."""
    task, member = tasks.get_task(current_user, task_id)
    form, version = request.form, request.form.get("version", "")
    back = url_for("views.eisenhower", team_id=task.team_id, **request.args)
    try:
        matrix.move_to_quadrant(member, task, form.get("quadrant", ""), due=form.get("due"),
                                start=form.get("start"), assignee_id=form.get("assignee_id"),
                                expected_version=int(version) if version.isdecimal() else None)
    except Invalid as exc:
        if wants_json():
            return jsonify(error=" ".join(exc.messages), errors=exc.errors), 422
        g.moving = {"task_id": task.id, "errors": exc.errors}
        return eisenhower(task.team_id)[0], 422
    except Conflict as exc:
        message = f"#{task.id} was changed by someone else meanwhile; nothing was moved. Here it is now."
        if wants_json():
            return jsonify(error=message, version=exc.current.version), 409
        flash(message, "warning")
        return redirect(back)
    if wants_json():
        due_at = task.due_at.isoformat() if task.due_at else None
        return jsonify(version=task.version, priority=task.priority, due_at=due_at)
    flash(f"#{task.id} moved to “{matrix.ADVICE[form['quadrant']].split(':')[0]}”.", "success")
    return redirect(back)


@bp.get("/teams/<int:team_id>/calendar")
@cached
def calendar(team_id: int):
    member = teams.membership_for(current_user, team_id)
    task_filter, error = _task_filter()
    today = datetime.now(viewer_zone()).date()
    if request.args.get("view") == "week":  # the week view (tracker/web/agenda.py), with planned work
        context = agenda_views.week_view(member, task_filter, today)
    else:
        match = re.fullmatch(r"(\d{4})-(\d{2})", request.args.get("month", ""))
        valid = match and 1 <= int(match[2]) <= 12
        year, month = (int(match[1]), int(match[2])) if valid else (today.year, today.month)
        if not 1900 < year < 3000:
            year = today.year
        grid = prioritisation.deadline_calendar(member, year, month, task_filter, current_user.timezone)
        context = {"grid": grid}
    forecast = stored_forecast.load(context["grid"].task_ids)
    return _team_page("views/calendar.html", member, task_filter=task_filter, filter_error=error, today=today,
                      forecast=forecast, **context), 422 if error else 200


@bp.get("/teams/<int:team_id>/dashboard")
@cached
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
@cached
def forecast(team_id: int):
    member = teams.membership_for(current_user, team_id)
    as_of = prioritisation.forecast_as_of(team_id)
    if request.args.get("by") == "person":  # each person's queue in the order it is worked
        people, queues = prioritisation.forecast_by_person(member, _cards())
        return _team_page("views/forecast.html", member, people=people, queues=queues, by_person=True,
                          forecast=stored_forecast.load(queues.task_ids), forecast_as_of=as_of)
    page = tasks.list_tasks(member, tasks.TaskFilter(status="open"), page_number(),
                            per_page=current_app.config["TASKS_PER_PAGE"])
    return _team_page("views/forecast.html", member, page=page, tasks=page.items,
                      forecast=stored_forecast.load([t.id for t in page.items]), forecast_as_of=as_of)


@bp.post("/teams/<int:team_id>/filters")
def save_filter(team_id: int):
    """Save the filter of a list, board, matrix or calendar page; a refusal shows that page again (422)."""
    member = teams.membership_for(current_user, team_id)
    task_filter, error = _task_filter()
    view = request.form.get("view", "list")
    page = functools.partial(current_app.view_functions[VIEW_ENDPOINTS.get(view, "tasks.index")], team_id)
    if error is not None:
        return page()  # which shows the filter's errors, with status 422
    with on_invalid(page):
        saved = saved_filters.save_filter(member, request.form.get("name", ""), view, task_filter,
                                          shared=request.form.get("shared") == "on")
    flash(f"Filter “{saved.name}” saved.", "success")
    return redirect(view_url(team_id, view, **task_filter.to_args()))


@bp.post("/teams/<int:team_id>/filters/<int:filter_id>/delete")
def delete_filter(team_id: int, filter_id: int):
    member = teams.membership_for(current_user, team_id)
    saved_filters.delete_filter(member, filter_id)
    flash("Filter deleted.", "success")
    return redirect(url_for("tasks.index", team_id=team_id, status="open"))


VIEW_ENDPOINTS = {"list": "tasks.index", "board": "views.board", "eisenhower": "views.eisenhower",
                  "calendar": "views.calendar"}


@bp.app_template_global()
def view_url(team_id: int, view: str, **args) -> str:
    """The address of a filterable page (list, board, eisenhower, calendar) with these arguments."""
    return url_for(VIEW_ENDPOINTS.get(view, "tasks.index"), team_id=team_id, **args)
