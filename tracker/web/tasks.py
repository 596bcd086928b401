"""Task pages: the filtered list, create, view, edit (with conflict resolution), trash and restore."""
from __future__ import annotations

import functools
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import features, rebalance, stored_forecast, tasks, teams, timelog, undo, zones
from ..errors import Conflict, Invalid
from ..models import PRIORITIES, STATUSES
from ..recurrence import PRESETS, describe
from ..response_cache import cached
from . import inline
from .errors import submitted
from .forms import TaskForm, choices
from .query import list_filter, page_number
from .templating import localtime, start_zone, viewer_zone

bp = Blueprint("tasks", __name__)
bp.add_app_template_global(describe, "describe_rule")
# Domain field names that the task form shows under another name.
FORM_FIELDS = {"due_at": "due_date", "start_at": "start_date"}


@bp.before_request
@login_required
def require_login():
    return None


def _choices(form: TaskForm, member, task=None) -> None:
    categories = teams.active_categories(member.team_id)
    if task is not None and task.category.archived:
        categories.append(task.category)
    form.category.choices = choices((c.slug, c.name) for c in categories)
    people = [(m.user_id, m.user.name) for m in teams.members_of(member.team)]
    if task is not None and task.is_open:  # each person's load over the task's window, to pick by
        loads = rebalance.window_loads(member, task)
        people = [(load.user.id, rebalance.load_label(load, task)) for load in loads]
    if task is not None and task.assignee is not None and task.assignee_id not in {p[0] for p in people}:
        # Else the browser would pick "Unassigned" and any save would silently drop the assignment.
        people.append((task.assignee_id, f"{task.assignee.name} (left the team)"))
    form.assignee_id.choices = choices([("", "Unassigned")] + people)
    form.feature_id.choices = choices([("", "No feature")] + [(f.id, f.title) for f in features.list_features(
        member.team_id)])


def _parse_numbers(text: str) -> list[int] | None:
    numbers = []
    for part in (text or "").replace(",", " ").split():
        part = part.lstrip("#")
        if not part.isdecimal():  # isdigit() accepts "²", which int() refuses
            return None
        numbers.append(int(part))
    return numbers


def _form_data(form: TaskForm) -> dict:
    """The form's values as the domain expects them; what cannot be read is an Invalid for its field."""
    blocked_by = _parse_numbers(form.blocked_by.data)
    if blocked_by is None:
        raise Invalid({"blocked_by": ["Enter task numbers separated by commas, e.g. 12, 15."]})
    if form.due_time.data and not form.due_date.data:
        raise Invalid({"due_date": ["Enter the date as well as the time."]})
    due = form.due_date.data
    if due and form.due_time.data:
        due = datetime.combine(due, form.due_time.data)  # wall-clock time in the user's zone
    data = {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "category": form.category.data,
        "status": form.status.data,
        "priority": form.priority.data,
        "due_at": due,
        "start_at": form.start_date.data,
        "estimate_hours": form.estimate_hours.data,
        "assignee_id": form.assignee_id.data,
        "labels": [label for label in (form.labels.data or "").split(",")],
        "blocked_by": blocked_by,
        **_chosen_rule(form),
    }
    if "feature_id" in request.form:  # absent, the task keeps its feature
        data["feature_id"] = form.feature_id.data
    return data


def _chosen_rule(form: TaskForm) -> dict:
    """The repeat rule chosen (a preset, or the rule written under "Another rule"); nothing when the form
    has no such field, so that a form without it leaves the rule alone."""
    if "recurrence" not in request.form:
        return {}
    if form.recurrence.data == "custom":
        return {"recurrence": form.recurrence_rule.data or None}
    return {"recurrence": form.recurrence.data or None}


def _shown_rule(form: TaskForm, rule: str | None) -> None:
    """A preset is chosen by name; any other rule shows as written, under "Another rule"."""
    form.recurrence.data = (rule if rule in PRESETS else "custom") if rule else ""
    form.recurrence_rule.data = rule if rule and rule not in PRESETS else ""


def _shown_dates(task) -> tuple:
    """Deadline date and time (to the minute) and start date, as the form shows them to the viewer."""
    due_date = due_time = start_date = None
    if task.due_date:  # a date alone stays one, so that it follows a new assignee's zone when saved
        due_date = task.due_date
    elif task.due_at:
        local = task.due_at.astimezone(viewer_zone())
        due_date, due_time = local.date(), local.time().replace(second=0, microsecond=0)
    if task.start_at:
        start_date = task.start_at.astimezone(zones.named(start_zone(task))).date()
    return due_date, due_time, start_date


def _fill_form(form: TaskForm, task) -> None:
    form.title.data = task.title
    form.description.data = task.description
    form.category.data = task.category.slug
    form.status.data = task.status
    form.priority.data = task.priority
    form.due_date.data, form.due_time.data, form.start_date.data = _shown_dates(task)
    form.estimate_hours.data = task.estimate_hours
    form.assignee_id.data = task.assignee_id
    form.labels.data = ", ".join(task.label_names)
    form.blocked_by.data = ", ".join(str(b.id) for b in task.blocked_by)
    _shown_rule(form, task.recurrence)
    form.feature_id.data = task.feature_id
    form.version.data = task.version


@bp.get("/teams/<int:team_id>/tasks")
@cached
def index(team_id: int):
    member = teams.membership_for(current_user, team_id)
    page = page_number()
    task_filter, error = list_filter(tasks.parse_task_filter, tasks.TaskFilter())
    result = tasks.list_tasks(member, task_filter, page, per_page=current_app.config["TASKS_PER_PAGE"])
    members = teams.members_of(member.team)
    return render_template(
        "tasks/list.html",
        member=member,
        team=member.team,
        page=result,
        task_filter=task_filter,
        filter_error=error,
        categories=teams.all_categories(team_id),
        members=members,
        statuses=STATUSES,
        priorities=PRIORITIES,
        forecast=stored_forecast.load([t.id for t in result.items]),
        people=inline.inline_people(members),
        select_all=request.args.get("select") == "all",
        bulk_results=inline.bulk_results(),
    ), 422 if error else 200


def _form_page(form: TaskForm, member, task=None, conflict_rows: list[dict] | None = None) -> str:
    """The task form, new (no task) or editing; `conflict_rows` compare the user's values with theirs."""
    return render_template("tasks/form.html", form=form, member=member, team=member.team, task=task,
                           conflict_rows=conflict_rows)


@bp.route("/teams/<int:team_id>/tasks/new", methods=["GET", "POST"])
def create(team_id: int):
    member = teams.membership_for(current_user, team_id)
    form = TaskForm()
    _choices(form, member)
    page = functools.partial(_form_page, form, member)
    if request.method == "GET":
        # ?category=<slug> preselects a category; an unknown one only leaves the choice to the user.
        form.category.data = request.args.get("category") or (form.category.choices[0].value if form.category.choices else None)
        form.assignee_id.data = current_user.id
        return page()
    with submitted(form, page, FORM_FIELDS):
        task = tasks.create_task(member, _form_data(form))
    flash(f"Task #{task.id} created.", "success")
    _note_past_deadline(task, {"due_at": (None, task.due_at)} if task.due_at else {})
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.get("/tasks/<int:task_id>")
@cached
def show(task_id: int):
    task, member = tasks.get_task(current_user, task_id)
    return render_template(
        "tasks/show.html",
        task=task,
        member=member,
        team=member.team,
        spent=tasks.spent_hours([task.id]).get(task.id, 0.0),
        blocking=tasks.blocking(task),
        can_restore=teams.has_role(member, "manager"),
        time_entries=timelog.list_time_entries(task),
        time_form=g.get("time_form"),  # a refused time entry, shown again with its errors
        forecast=stored_forecast.load([task.id]) if task.is_open else None,
        people=inline.inline_people(teams.members_of(member.team)),
    )


def _conflict_rows(form: TaskForm, current) -> list[dict]:
    """The fields where the saved task now differs from what this user submitted."""
    theirs = _display_values(current)
    fresh = TaskForm(formdata=None)
    _choices(fresh, teams.membership_for(current_user, current.team_id), current)
    _fill_form(fresh, current)
    rows = []
    for name, label in (
        ("title", "Title"), ("description", "Description"), ("category", "Category"),
        ("status", "Status"), ("priority", "Priority"), ("due", "Deadline"), ("start_date", "Start date"),
        ("estimate_hours", "Estimate"), ("assignee_id", "Assignee"), ("labels", "Labels"),
        ("blocked_by", "Blocked by"),
    ):
        if name == "due":
            mine_value = (form.due_date.data, form.due_time.data)
            their_value = (fresh.due_date.data, fresh.due_time.data)
            mine_text = " ".join(str(v) for v in mine_value if v) or "—"
        else:
            mine_value, their_value = getattr(form, name).data, getattr(fresh, name).data
            mine_text = _choice_label(getattr(form, name), mine_value)
        if name == "labels":
            mine_value = sorted(l.strip().lower() for l in (mine_value or "").split(",") if l.strip())
            their_value = sorted(l.strip() for l in (their_value or "").split(",") if l.strip())
        if name == "blocked_by":
            mine_value, their_value = sorted(_parse_numbers(mine_value) or []), sorted(_parse_numbers(their_value) or [])
        if (mine_value or None) != (their_value or None):
            rows.append({"label": label, "mine": mine_text, "theirs": theirs[name]})
    return rows


def _choice_label(field, value) -> str:
    for choice in getattr(field, "choices", None) or []:  # SelectChoice unpacks to four values
        if choice.value == value:
            return choice.label
    return "—" if value in (None, "") else str(value)


def _display_values(task) -> dict[str, str]:
    return {
        "title": task.title,
        "description": task.description or "—",
        "category": task.category.name,
        "status": task.status.replace("_", " "),
        "priority": task.priority,
        "due": localtime(task.due_at) or "—",
        "start_date": localtime(task.start_at, "%Y-%m-%d", start_zone(task)) or "—",
        "estimate_hours": "—" if task.estimate_hours is None else f"{task.estimate_hours:g} h",
        "assignee_id": task.assignee.name if task.assignee else "Unassigned",
        "labels": ", ".join(task.label_names) or "—",
        "blocked_by": ", ".join(f"#{b.id}" for b in task.blocked_by) or "—",
    }


def _unchanged_dates_kept(form: TaskForm, task, data: dict) -> None:
    """Dates left as shown are not re-read: the form rounds a deadline to the minute and shows a start
    date in the viewer's zone (it was stored in the assignee's), so re-reading them would move them."""
    due_date, due_time, start_date = _shown_dates(task)
    if (form.due_date.data, form.due_time.data) == (due_date, due_time):
        data.pop("due_at")
    if form.start_date.data == start_date:
        data.pop("start_at")


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
def edit(task_id: int):
    # A save of a task that went to the trash meanwhile keeps the user's input on screen (409), not a 404.
    task, member = tasks.get_task(current_user, task_id, include_trashed=request.method == "POST")
    form = TaskForm()
    _choices(form, member, task)
    page = functools.partial(_form_page, form, member, task)
    if task.deleted_at is not None:
        flash("Someone moved this task to the trash while you were editing, so your changes are not saved; "
              "they are kept below. A manager can restore the task from the team's trash.", "warning")
        return page(), 409
    if request.method == "GET":
        _fill_form(form, task)
        return page()
    with submitted(form, page, FORM_FIELDS):
        data = _form_data(form)
        if not (form.version.data or "").isdecimal():
            abort(400)
        _unchanged_dates_kept(form, task, data)
        try:
            changed = tasks.update_task(member, task, data, expected_version=int(form.version.data))
        except Conflict as exc:
            conflict_rows = _conflict_rows(form, exc.current)
            form.version.data = exc.current.version  # the next save is a choice made after seeing theirs
            flash("Someone else saved this task while you were editing. Your changes are kept below: "
                  "compare them with theirs, then save again to keep yours.", "warning")
            return page(conflict_rows), 409
    flash("Task saved.", "success")
    _note_past_deadline(task, changed)
    return redirect(url_for("tasks.show", task_id=task.id))


def _note_past_deadline(task, changed: dict) -> None:
    """A deadline set in the past is kept (work recorded late), with a visible word about it."""
    note = inline.past_deadline_note(task, changed)
    if note:
        flash(note, "warning")


@bp.post("/tasks/<int:task_id>/delete")
def delete(task_id: int):
    task, member = tasks.get_task(current_user, task_id)
    tasks.move_to_trash(member, task)
    inline.offer_undo(undo.record(current_user, task.team_id, "trash", f"#{task.id} moved to the trash.",
                                  [undo.trashed(task)]))
    return redirect(url_for("tasks.index", team_id=task.team_id, status="open"))


@bp.get("/teams/<int:team_id>/trash")
def trash(team_id: int):
    member = teams.membership_for(current_user, team_id)
    return render_template("tasks/trash.html", member=member, team=member.team, tasks=tasks.trashed_tasks(member))


@bp.post("/tasks/<int:task_id>/restore")
def restore(task_id: int):
    task, member = tasks.get_task(current_user, task_id, include_trashed=True)
    tasks.restore_task(member, task)
    flash(f"Task #{task.id} restored.", "success")
    return redirect(url_for("tasks.show", task_id=task.id))
