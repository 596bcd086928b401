"""Feature pages: the list, one feature with its coverage and what stands between it and done (one
click creates the missing tasks; ship, or ship anyway with a reason), create and edit, the coverage grid,
the release time line, and the team's definition of done and task templates."""
from __future__ import annotations

import functools

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import activity, definition_of_done, features, tasks, teams
from ..charts import timeline_chart
from ..errors import Conflict
from ..extensions import db
from ..models import Feature, utcnow
from ..vocabulary import OPEN_FEATURE_STATES
from .errors import on_invalid, submitted
from .forms import DefinitionOfDoneForm, FeatureForm, ShipForm, TemplateForm, choices
from .templating import viewer_zone

bp = Blueprint("features", __name__)
# How the coverage grid can be sorted: by target date (undated last), either way, or by title.
GRID_SORTS = {
    "target": lambda s: (s.feature.target_date is None, s.feature.target_date, s.feature.id),
    "-target": lambda s: (s.feature.target_date is None,
                          -s.feature.target_date.toordinal() if s.feature.target_date else 0),
    "title": lambda s: (s.feature.title.lower(), s.feature.id),
    "risk": lambda s: (not s.forecast.at_risk, s.feature.target_date is None, s.feature.target_date),
}


@bp.before_request
@login_required
def require_login():
    return None


@bp.app_template_global()
def team_features(team_id: int) -> list:
    """The team's features, for the task filters and forms (read once a request: the list's filters and its
    bulk form both offer them)."""
    read = g.setdefault("team_features", {})
    if team_id not in read:
        read[team_id] = features.list_features(team_id)
    return read[team_id]


@bp.app_template_global()
def feature_of(task):
    """The feature a task is part of, or None (the task page names it)."""
    return db.session.get(Feature, task.feature_id) if task.feature_id else None


def _page(template: str, member, status: int = 200, **context):
    return render_template(template, member=member, team=member.team, **context), status


@bp.get("/teams/<int:team_id>/features")
def index(team_id: int):
    member = teams.membership_for(current_user, team_id)
    summaries = features.summarise(features.list_features(team_id))
    return _page("features/index.html", member, summaries=summaries, shipped=features.shipped_share(team_id))


# Create and edit -------------------------------------------------------------------------------------------


def _choices(form: FeatureForm, member, feature=None) -> None:
    people = [(m.user_id, m.user.name) for m in teams.members_of(member.team)]
    if feature is not None and feature.owner is not None and feature.owner_id not in {p[0] for p in people}:
        people.append((feature.owner_id, f"{feature.owner.name} (left the team)"))
    form.owner_id.choices = choices([("", "Nobody")] + people)
    categories = teams.active_categories(member.team_id)
    kept = [c for c in (feature.required_categories if feature else []) if c.archived]
    form.required_categories.choices = choices((c.slug, c.name + (" (archived)" if c.archived else ""))
                                               for c in categories + kept)
    shipped = ["shipped"] if feature is not None and feature.state == "shipped" else []
    states = [*OPEN_FEATURE_STATES, "dropped", *shipped]
    form.state.choices = choices((s, s.capitalize()) for s in states)


def _form_data(form: FeatureForm) -> dict:
    return {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "owner_id": form.owner_id.data,
        "target_date": form.target_date.data,
        "state": form.state.data,
        "required_categories": list(form.required_categories.data or []),
    }


def _version(form) -> int | None:
    raw = form.version.data or ""
    return int(raw) if raw.isdecimal() and len(raw) < 10 else None


@bp.route("/teams/<int:team_id>/features/new", methods=["GET", "POST"])
def create(team_id: int):
    member = teams.membership_for(current_user, team_id)
    form = FeatureForm()
    _choices(form, member)

    def page():
        return render_template("features/form.html", form=form, member=member, team=member.team, feature=None)

    if request.method == "GET":
        form.owner_id.data, form.state.data = current_user.id, "planned"
        form.required_categories.data = [c.slug for c in definition_of_done.definition_of_done(team_id)]
        return page()
    with submitted(form, page):
        feature = features.create_feature(member, _form_data(form))
    flash(f"Feature “{feature.title}” created.", "success")
    return redirect(url_for("features.show", feature_id=feature.id))


@bp.route("/features/<int:feature_id>/edit", methods=["GET", "POST"])
def edit(feature_id: int):
    feature, member = features.get_feature(current_user, feature_id)
    form = FeatureForm(obj=feature if request.method == "GET" else None)
    _choices(form, member, feature)

    def page():
        return render_template("features/form.html", form=form, member=member, team=member.team,
                               feature=feature)

    if request.method == "GET":
        form.required_categories.data = [c.slug for c in feature.required_categories]
        return page()
    with submitted(form, page):
        try:
            features.update_feature(member, feature, _form_data(form), expected_version=_version(form))
        except Conflict as exc:
            form.version.data = exc.current.version  # the next save is a choice made after seeing theirs
            flash(f"{exc.detail} Your changes are kept below; save again to keep them.", "warning")
            return page(), 409
    flash("Feature saved.", "success")
    return redirect(url_for("features.show", feature_id=feature.id))


# One feature: coverage, shipping, filling the gaps ---------------------------------------------------------


def _show_page(feature, member, ship_form=None, status: int = 200):
    summary = features.summary(feature)
    listed = tasks.list_tasks(member, tasks.TaskFilter(feature=str(feature.id)), per_page=200)
    if ship_form is None:
        ship_form = ShipForm(formdata=None)
        ship_form.version.data = feature.version
    history = activity.feature_activity(feature)
    describe = activity.Describer.for_entries(history, member.team_id)
    return _page("features/show.html", member, status, feature=feature, summary=summary, tasks=listed.items,
                 history=[(entry, describe.feature_sentence(entry)) for entry in history],
                 ship_form=ship_form, can_manage=teams.has_role(member, "manager"))


@bp.get("/features/<int:feature_id>")
def show(feature_id: int):
    feature, member = features.get_feature(current_user, feature_id)
    return _show_page(feature, member)


@bp.post("/features/<int:feature_id>/ship")
def ship(feature_id: int):
    """Ship: with everything covered and done anyone may; else a manager gives a reason."""
    feature, member = features.get_feature(current_user, feature_id)
    form = ShipForm()
    data = {"state": "shipped", "ship_reason": (form.reason.data or "").strip() or None}
    with submitted(form, lambda: _show_page(feature, member, form), {"ship_reason": "reason"}):
        try:
            features.update_feature(member, feature, data, expected_version=_version(form))
        except Conflict as exc:
            form.version.data = exc.current.version
            flash(exc.detail, "warning")
            return _show_page(feature, member, form, 409)
    flash(f"“{feature.title}” shipped." + (" The reason is in its history." if feature.ship_reason else ""),
          "success")
    return redirect(url_for("features.show", feature_id=feature.id))


@bp.post("/features/<int:feature_id>/fill-gaps")
def fill_gaps(feature_id: int):
    """One click: a task from the team's template for each required category that has none."""
    feature, member = features.get_feature(current_user, feature_id)
    back = url_for("features.show", feature_id=feature.id)
    with on_invalid(lambda: redirect(back)):
        filled = features.fill_gaps(member, feature)
    created = filled.created
    if created:
        flash(f"Created {len(created)} task{'s' if len(created) != 1 else ''}: "
              + ", ".join(f"#{t.id} {t.title}" for t in created) + ".", "success")
        if filled.at_risk:
            flash(f"At risk: {filled.reason}", "warning")
    else:
        flash("Nothing is missing: every required category has a task.", "info")
    return redirect(back)


@bp.post("/features/<int:feature_id>/delete")
def delete(feature_id: int):
    feature, member = features.get_feature(current_user, feature_id)
    features.delete_feature(member, feature)
    flash(f"Feature “{feature.title}” deleted; its tasks stay.", "success")
    return redirect(url_for("features.index", team_id=member.team_id))


# The coverage grid and the release time line --------------------------------------------------------------


@bp.get("/teams/<int:team_id>/coverage")
def coverage(team_id: int):
    """Active features × categories: covered, in progress, missing, with done counts."""
    member = teams.membership_for(current_user, team_id)
    sort = request.args.get("sort", "target")
    if sort not in GRID_SORTS:
        sort = "target"
    summaries = sorted(features.summarise(features.list_features(team_id, OPEN_FEATURE_STATES)),
                       key=GRID_SORTS[sort])
    return _page("features/coverage.html", member, summaries=summaries, sort=sort,
                 categories=teams.active_categories(team_id), shipped=features.shipped_share(team_id))


@bp.get("/teams/<int:team_id>/releases")
def releases(team_id: int):
    """Features by target date: a time line (SVG) and the same as a table."""
    member = teams.membership_for(current_user, team_id)
    states = (*OPEN_FEATURE_STATES, "shipped")
    summaries = features.summarise(features.list_features(team_id, states))
    zone = viewer_zone()
    rows = [
        (s.feature.title, s.feature.created_at.astimezone(zone).date(), s.feature.target_date,
         s.forecast.projected_finish_at.astimezone(zone).date() if s.forecast.projected_finish_at else None,
         s.forecast.at_risk)
        for s in summaries if s.feature.target_date is not None
    ]
    chart = timeline_chart(f"Release time line of {member.team.name}", rows, utcnow().astimezone(zone).date())
    return _page("features/releases.html", member, summaries=summaries, chart=chart if rows else None)


# The definition of done and the templates (managers) -----------------------------------------------------


def _done_form(team_id: int, posted: bool) -> DefinitionOfDoneForm:
    form = DefinitionOfDoneForm() if posted else DefinitionOfDoneForm(formdata=None)
    if not posted:
        form.categories.data = [c.slug for c in definition_of_done.definition_of_done(team_id)]
    form.categories.choices = choices((c.slug, c.name) for c in teams.active_categories(team_id))
    return form


def _template_form(member, category_id: int, **given) -> TemplateForm:
    form = TemplateForm(prefix=f"t{category_id}", **given)
    people = [(m.user_id, m.user.name) for m in teams.members_of(member.team)]
    form.assignee_id.choices = choices([("", "The feature's owner")] + people)
    return form


def _settings_page(member, done_form=None, template_forms=None):
    """The definition of done and one form per category template (managers only)."""
    teams.require_role(member, "manager", "change the definition of done")
    forms = template_forms or {}
    templates = definition_of_done.templates_of(member.team_id)
    for t in templates:
        if t.category.id not in forms:
            forms[t.category.id] = _template_form(member, t.category.id, formdata=None, obj=t)
    return _page("features/settings.html", member, done_form=done_form or _done_form(member.team_id, False),
                 templates=templates, template_forms=forms)


@bp.route("/teams/<int:team_id>/definition-of-done", methods=["GET", "POST"])
def settings(team_id: int):
    member = teams.membership_for(current_user, team_id)
    posted = request.method == "POST"
    form = _done_form(team_id, posted)
    page = functools.partial(_settings_page, member, form)
    if not posted:
        return page()
    with submitted(form, page):
        # No box ticked sends no field at all (WTForms then gives None): the same as an empty choice.
        definition_of_done.set_definition_of_done(member, form.categories.data or [])
    flash("Definition of done saved; new features require these categories.", "success")
    return redirect(url_for("features.settings", team_id=team_id))


@bp.post("/teams/<int:team_id>/templates/<int:category_id>")
def template(team_id: int, category_id: int):
    """Save a category's task template, or go back to the built-in one (action=reset)."""
    member = teams.membership_for(current_user, team_id)
    back = redirect(url_for("features.settings", team_id=team_id) + f"#template-{category_id}")
    if request.form.get("action") == "reset":
        reset = definition_of_done.reset_template(member, category_id)
        flash(f"The {reset.category.name} template is the built-in one again.", "success")
        return back
    form = _template_form(member, category_id)
    with submitted(form, lambda: _settings_page(member, template_forms={category_id: form})):
        saved = definition_of_done.set_template(member, category_id, {
            "title_pattern": form.title_pattern.data or "", "description": form.description.data or "",
            "assignee_id": form.assignee_id.data, "estimate_hours": form.estimate_hours.data})
    flash(f"The {saved.category.name} template is saved.", "success")
    return back
