"""Team pages: the user's teams, members and roles, settings and categories."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import teams
from ..errors import Invalid
from . import apply_errors
from .forms import CategoryForm, MemberAddForm, RoleForm, TeamForm, TeamSettingsForm

bp = Blueprint("teams", __name__, url_prefix="/teams")


@bp.before_request
@login_required
def require_login():
    return None


@bp.get("")
def index():
    return render_template("teams/index.html", memberships=teams.teams_of(current_user), form=TeamForm())


@bp.post("")
def create():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = teams.create_team(current_user, form.name.data)
        except Invalid as exc:
            apply_errors(form, exc)
        else:
            flash(f"Team “{team.name}” created. Add your colleagues next.", "success")
            return redirect(url_for("teams.members", team_id=team.id))
    return render_template("teams/index.html", memberships=teams.teams_of(current_user), form=form), 422


@bp.get("/<int:team_id>")
def show(team_id: int):
    teams.membership_for(current_user, team_id)
    return redirect(url_for("tasks.index", team_id=team_id, status="open"))


def _members_page(member, add_form=None, status=200):
    add_form = add_form or MemberAddForm(formdata=None)
    if not teams.has_role(member, "owner"):
        add_form.role.choices = [c for c in add_form.role.choices if c.value != "owner"]
    return render_template(
        "teams/members.html",
        member=member,
        team=member.team,
        members=teams.members_of(member.team),
        add_form=add_form,
        role_form=RoleForm(formdata=None),
        can_manage=teams.has_role(member, "manager"),
        is_owner=teams.has_role(member, "owner"),
    ), status


@bp.get("/<int:team_id>/members")
def members(team_id: int):
    return _members_page(teams.membership_for(current_user, team_id))


@bp.post("/<int:team_id>/members")
def add_member(team_id: int):
    member = teams.membership_for(current_user, team_id)
    form = MemberAddForm()
    if form.validate_on_submit():
        try:
            added = teams.add_member(member, form.email.data, form.role.data)
        except Invalid as exc:
            apply_errors(form, exc)
        else:
            flash(f"{added.user.name} joined {member.team.name} as {added.role}.", "success")
            return redirect(url_for("teams.members", team_id=team_id))
    return _members_page(member, form, 422)


@bp.post("/<int:team_id>/members/<int:user_id>/role")
def change_role(team_id: int, user_id: int):
    member = teams.membership_for(current_user, team_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            target = teams.change_role(member, user_id, form.role.data)
        except Invalid as exc:
            for messages in exc.errors.values():
                for message in messages:
                    flash(message, "error")
        else:
            flash(f"{target.user.name} is now {target.role}.", "success")
    else:
        flash("Choose a role.", "error")
    return redirect(url_for("teams.members", team_id=team_id))


@bp.post("/<int:team_id>/members/<int:user_id>/remove")
def remove_member(team_id: int, user_id: int):
    member = teams.membership_for(current_user, team_id)
    leaving = user_id == current_user.id
    try:
        teams.remove_member(member, user_id)
    except Invalid as exc:
        apply_errors(None, exc)
        return redirect(url_for("teams.members", team_id=team_id))
    if leaving:
        flash(f"You left {member.team.name}.", "success")
        return redirect(url_for("teams.index"))
    flash("The member was removed from the team.", "success")
    return redirect(url_for("teams.members", team_id=team_id))


@bp.post("/<int:team_id>/leave")
def leave(team_id: int):
    return remove_member(team_id, current_user.id)


def _settings_page(member, form=None, category_form=None, status=200):
    team = member.team
    if form is None:
        form = TeamSettingsForm(formdata=None, obj=team)
    return render_template(
        "teams/settings.html",
        member=member,
        team=team,
        form=form,
        category_form=category_form or CategoryForm(formdata=None),
        categories=teams.all_categories(team.id),
    ), status


@bp.route("/<int:team_id>/settings", methods=["GET", "POST"])
def settings(team_id: int):
    member = teams.membership_for(current_user, team_id)
    teams.require_role(member, "manager", "change the team's settings")
    if request.method == "GET":
        return _settings_page(member)
    form = TeamSettingsForm()
    if form.validate_on_submit():
        try:
            teams.update_team(member, name=form.name.data, urgency_window_hours=form.urgency_window_hours.data)
        except Invalid as exc:
            apply_errors(form, exc)
        else:
            flash("Team settings saved.", "success")
            return redirect(url_for("teams.settings", team_id=team_id))
    return _settings_page(member, form=form, status=422)


@bp.post("/<int:team_id>/categories")
def add_category(team_id: int):
    member = teams.membership_for(current_user, team_id)
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = teams.add_category(member, form.name.data)
        except Invalid as exc:
            apply_errors(form, exc)
        else:
            flash(f"Category “{category.name}” added.", "success")
            return redirect(url_for("teams.settings", team_id=team_id))
    teams.require_role(member, "manager", "add categories")
    return _settings_page(member, category_form=form, status=422)


@bp.post("/<int:team_id>/categories/<int:category_id>")
def update_category(team_id: int, category_id: int):
    """Rename, archive or restore a category, by which button was pressed."""
    member = teams.membership_for(current_user, team_id)
    action = request.form.get("action", "rename")
    try:
        if action == "archive":
            category = teams.set_category_archived(member, category_id, True)
            flash(f"Category “{category.name}” archived; its tasks keep it.", "success")
        elif action == "unarchive":
            category = teams.set_category_archived(member, category_id, False)
            flash(f"Category “{category.name}” is active again.", "success")
        else:
            category = teams.rename_category(member, category_id, request.form.get("name", ""))
            flash(f"Category renamed to “{category.name}”.", "success")
    except Invalid as exc:
        apply_errors(None, exc)
    return redirect(url_for("teams.settings", team_id=team_id))
