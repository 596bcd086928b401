"""Acting where a task is seen: the small in-place forms (status, priority, assignee, deadline, estimate) on
the task page, list rows and board cards; bulk changes from the list; and the Undo button offered after
marking done, trashing and bulk changes. Plain form posts that redirect back; a script (static/js/inline.js)
sends the same forms with fetch and gets JSON."""
from __future__ import annotations

from dataclasses import asdict
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    get_template_attribute,
    jsonify,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import bulk, tasks, teams, undo
from ..errors import Conflict, Invalid, NotFound
from ..models import PRIORITIES, STATUSES, Task, TeamMembership, utcnow
from .errors import on_invalid
from .query import safe_next, wants_json
from .templating import localtime, viewer_zone

bp = Blueprint("inline", __name__)
# The form fields of the in-place forms, and their names in the domain.
FIELDS = {"status": "status", "priority": "priority", "assignee_id": "assignee_id", "due_date": "due_at",
          "estimate_hours": "estimate_hours"}
LABELS = {"status": "Status", "priority": "Priority", "assignee_id": "Assignee", "due_at": "Deadline",
          "estimate_hours": "Estimate"}


@bp.before_request
@login_required
def require_login():
    return None


# Reading the forms ------------------------------------------------------------------------------------


def _optional_id(name: str, raw: str) -> int | None:
    if raw in ("", "none"):
        return None
    if not (raw.isdecimal() and len(raw) <= 10):
        raise Invalid({name: ["Choose someone from the list."]})
    return int(raw)


def _optional_date(name: str, raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise Invalid({name: ["Enter a date, e.g. 2026-12-01."]}) from None


def _optional_hours(raw: str) -> float | None:
    try:
        return float(raw) if raw.strip() else None
    except ValueError:
        raise Invalid({"estimate_hours": ["Enter a number of hours."]}) from None


@bp.app_template_global()
def inline_choices(name: str) -> tuple[str, ...]:
    return {"status": STATUSES, "priority": PRIORITIES}[name]


class Options:
    """A select's <option>s, rendered once: a list page shows the same choices on every row, and marking
    the chosen one in ready markup costs a fraction of rendering each option again (issue 10)."""

    def __init__(self, choices: list[tuple[str, str]]) -> None:
        self.values = {value for value, _label in choices}
        self._none = Markup("").join(Markup('<option value="{}">{}</option>').format(value, label)
                                     for value, label in choices)
        self._shown: dict[str, Markup] = {}

    def __getitem__(self, chosen) -> Markup:
        """The options with `chosen` selected (none when it is not among them)."""
        chosen = "" if chosen is None else str(chosen)
        shown = self._shown.get(chosen)
        if shown is None:
            opening = str(Markup('<option value="{}">').format(chosen))
            marked = str(self._none).replace(opening, opening[:-1] + " selected>", 1)
            # The options were escaped when rendered; only " selected" is added to one of them.
            shown = self._shown[chosen] = Markup(marked) if chosen in self.values else self._none  # nosec B704
        return shown

    def __contains__(self, value) -> bool:
        return ("" if value is None else str(value)) in self.values


@bp.app_template_global()
def status_options(statuses=STATUSES) -> Options:
    """A choice of statuses, as people read them ("in progress")."""
    return Options([(s, s.replace("_", " ")) for s in statuses])


@bp.app_template_global()
def inline_options(people=()) -> dict[str, Options]:
    """The in-place selects' options for one page: status, priority and assignee (`people` as
    inline_people gives them)."""
    return {
        "status": status_options(),
        "priority": Options([(p, p) for p in PRIORITIES]),
        "assignee_id": Options([("", "Unassigned")] + [(str(user_id), name) for user_id, name in people]),
    }


@bp.app_template_global()
def shown_due_date(task: Task) -> date | None:
    """The deadline's day as the viewer sees it (what the in-place date field shows)."""
    return task.due_at.astimezone(viewer_zone()).date() if task.due_at else None


def _inline_data(form, task: Task) -> dict:
    """The fields this form sends, as the domain takes them. A deadline left at the day shown is not
    re-read (a date alone means the end of that day, which would drop the time of a timed deadline)."""
    data: dict = {}
    for name, domain in FIELDS.items():
        if name not in form:
            continue
        raw = form.get(name, "").strip()
        if name == "assignee_id":
            data[domain] = _optional_id(domain, raw)
        elif name == "due_date":
            day = _optional_date(domain, raw)
            if day != shown_due_date(task):
                data[domain] = day
        elif name == "estimate_hours":
            data[domain] = _optional_hours(raw)
        else:
            data[domain] = raw
    return data


def _version() -> int:
    raw = request.form.get("version", "")
    if not (raw.isdecimal() and len(raw) <= 10):
        abort(400, description="The form lacks the task's version; reload the page.")
    return int(raw)


# What comes back --------------------------------------------------------------------------------------


def task_values(task: Task) -> dict:
    """The in-place fields' values, as the forms show them, for a script to put back in place."""
    day = shown_due_date(task)
    return {
        "id": task.id, "version": task.version, "status": task.status, "priority": task.priority,
        "assignee_id": "" if task.assignee_id is None else str(task.assignee_id),
        "due_date": day.isoformat() if day else "",
        "estimate_hours": "" if task.estimate_hours is None else f"{task.estimate_hours:g}",
        "assignee": task.assignee.name if task.assignee else "Unassigned",
        "due": localtime(task.due_at) or "no deadline",
    }


def describe(task: Task) -> str:
    """The task's in-place fields in one sentence (for a conflict message)."""
    v = task_values(task)
    estimate = f"{v['estimate_hours']} h" if v["estimate_hours"] else "no estimate"
    return (f"{v['status'].replace('_', ' ')}, {v['priority']} priority, {v['assignee']}, due {v['due']}, "
            f"{estimate}")


def past_deadline_note(task: Task, changed: dict) -> str:
    """A visible word when a deadline just set is already past (it is allowed: work logged late)."""
    if "due_at" in changed and task.due_at is not None and task.due_at < utcnow():
        return f"Note: the deadline {localtime(task.due_at)} is already past, so #{task.id} shows as overdue."
    return ""


def offer_undo(record) -> dict | None:
    """Offer the Undo button for this record on the next page (or in a script's answer)."""
    if record is None:
        return None
    session["undo"] = record.id
    return {"id": record.id, "label": record.label, "seconds": undo.UNDO_SECONDS,
            "action": url_for("inline.take_back", record_id=record.id)}


@bp.app_template_global()
def undo_offer():
    """The Undo button to show once, on the page after the action (see templates/tasks/_undo.html)."""
    if not current_user.is_authenticated or "undo" not in session:
        return None
    return undo.offered(current_user, session.pop("undo"))


@bp.app_template_global()
def inline_people(members) -> list[tuple[int, str]]:
    """Who a task of the team can be given to, for the in-place assignee choice: (user id, name) of the
    team's memberships (teams.members_of, which the team pages load already)."""
    return [(m.user_id, m.user.name) for m in members]


# In-place edits ---------------------------------------------------------------------------------------


@bp.get("/tasks/<int:task_id>/card-edit")
def card_edit(task_id: int):
    """A board card's in-place forms, fetched when its "Edit" is opened (static/js/inline.js), so the board
    does not carry a form per card; without a script "Edit" is a link to the task page and its forms."""
    task, member = tasks.get_task(current_user, task_id)
    target = request.args.get("next")
    back = safe_next(target) if target else url_for("views.board", team_id=task.team_id)
    fragment = get_template_attribute("tasks/_inline.html", "card_edit")
    response = make_response(fragment(task, back, inline_people(teams.members_of(member.team)), opened=True))
    response.headers["Cache-Control"] = "no-store"  # it carries the task's version and a CSRF token
    return response


def _back(task: Task) -> str:
    fallback = url_for("tasks.show", task_id=task.id)
    target = request.form.get("next")
    return safe_next(target) if target else fallback


def mark_done_undo(member: TeamMembership, task: Task, before: dict, changed: dict):
    """The undo record for a task just marked done (None for any other change)."""
    if changed.get("status", (None, None))[1] != "done":
        return None
    return undo.record(member.user, task.team_id, "done", f"#{task.id} marked done.",
                       [undo.change(task, {"status": before["status"]})])


@bp.post("/tasks/<int:task_id>/inline")
def change(task_id: int):
    """One in-place form: the fields it sends change, guarded by the version the page showed."""
    task, member = tasks.get_task(current_user, task_id)
    back = _back(task)
    version = _version()
    with on_invalid(lambda: redirect(back), labels=LABELS):
        data = _inline_data(request.form, task)
        before = undo.replaced(task, ["status"])
        try:
            changed = tasks.update_task(member, task, data, expected_version=version)
        except Conflict as exc:
            return _conflict(exc.current, back)
    offer = offer_undo(mark_done_undo(member, task, before, changed))
    note = past_deadline_note(task, changed)
    message = (f"#{task.id}: " + "; ".join(f"{LABELS.get(k, k).lower()} changed" for k in changed) + "."
               if changed else f"#{task.id}: nothing to change.")
    if wants_json():
        return jsonify(task=task_values(task), message=message, note=note, undo=offer)
    if not offer:
        flash(message, "success")
    if note:
        flash(note, "warning")
    return redirect(back)


def _conflict(current: Task, back: str):
    message = (f"#{current.id} was changed by someone else meanwhile, so your change was not saved. "
               f"It is now: {describe(current)}.")
    if wants_json():
        return jsonify(error=message, task=task_values(current)), 409
    flash(message, "warning")
    return redirect(back)


# Bulk changes from the list ---------------------------------------------------------------------------


def _bulk_form(member: TeamMembership) -> tuple[list, dict, bool, dict]:
    """The list's bulk form: the ticked ids with the versions their rows showed, and the change."""
    form = request.form
    raw_ids = form.getlist("ids")
    if not all(i.isdecimal() and len(i) <= 10 for i in raw_ids):
        raise Invalid({"ids": ["Tick the tasks to change."]})
    ids = [int(i) for i in raw_ids]
    versions = {i: int(v) for i in ids if (v := form.get(f"version-{i}", "")).isdecimal() and len(v) <= 10}
    trash = form.get("action") == "trash"
    changes: dict = {}
    if not trash:
        for name in ("status", "priority"):
            if form.get(name):
                changes[name] = form[name]
        if form.get("assignee_id"):
            changes["assignee_id"] = _optional_id("assignee_id", form["assignee_id"])
        if form.get("feature_id"):
            changes["feature_id"] = _optional_id("feature_id", form["feature_id"])
        if form.get("due_date"):
            changes["due_at"] = _optional_date("due_at", form["due_date"])
        if not changes:
            raise Invalid({"set": ["Choose what to change (a status, a person, …) "
                                   "or move the tasks to the trash."]})
    return ids, changes, trash, versions


def bulk_label(results: list[bulk.RowResult], trash: bool) -> str:
    c = bulk.counts(results)
    what = "moved to the trash" if trash else "changed"
    done = f"{c['applied']} task{'' if c['applied'] == 1 else 's'} {what}"
    others = [f"{c[k]} {k}" for k in ("conflict", "refused") if c[k]]
    return done + (f" ({', '.join(others)})" if others else "") + "."


@bp.post("/teams/<int:team_id>/tasks/bulk")
def bulk_change(team_id: int):
    """Apply one change (or the trash) to the ticked rows; the results show on the list, with Undo."""
    member = teams.membership_for(current_user, team_id)
    back = safe_next(request.form.get("next")) if request.form.get("next") else url_for("tasks.index",
                                                                                     team_id=team_id)
    with on_invalid(lambda: redirect(back), labels={"ids": "Tasks", "set": "Change", "version": "Versions"}):
        ids, changes, trash, versions = _bulk_form(member)
        results = bulk.apply(member, ids, changes=changes, trash=trash, versions=versions)
    rows = [{"task_id": r.task_id, "outcome": r.outcome,
             "detail": r.reason + (f" It is now: {describe(r.current)}." if r.current is not None else "")}
            for r in results]
    record = undo.record(current_user, team_id, "bulk", bulk_label(results, trash),
                         bulk.undo_changes(results, trash), rows)
    if record is not None:
        session["bulk_results"] = record.id
        offer_undo(record)
    return redirect(back)


def bulk_results() -> list[dict] | None:
    """The results of the user's last bulk change, shown once on the list after it."""
    record_id = session.pop("bulk_results", None)
    if not isinstance(record_id, int):
        return None
    try:
        return undo.get_record(current_user, record_id).results
    except NotFound:
        return None


# Undo -------------------------------------------------------------------------------------------------


@bp.post("/undo/<int:record_id>")
def take_back(record_id: int):
    """The Undo button: put back what the action replaced, where nobody changed it since."""
    back = safe_next(request.form.get("next"), "views.my_work")
    with on_invalid(lambda: redirect(back), labels={"undo": "Undo"}):
        outcomes = undo.undo(current_user, record_id)
    message = undo.summary(outcomes)
    if wants_json():
        return jsonify(message=message, results=[asdict(o) for o in outcomes])
    flash(message, "success" if all(o.outcome == "restored" for o in outcomes) else "warning")
    return redirect(back)
