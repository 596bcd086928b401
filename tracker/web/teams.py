"""Team pages: the user's teams, members and roles, settings and categories."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import invitations, teams
from ..mail import absolute_url
from .errors import on_invalid, submitted
from .forms import CategoryForm, InviteForm, RoleForm, TeamForm, TeamSettingsForm

bp = Blueprint("teams", __name__, url_prefix="/teams")


@bp.before_request
@login_required
def require_login():
    return None


def _teams_page(form: TeamForm):
    return render_template("teams/index.html", memberships=teams.teams_of(current_user),
                           shut_out=teams.shut_out_of(current_user), form=form)


@bp.get("")
def index():
    return _teams_page(TeamForm())


@bp.post("")
def create():
    form = TeamForm()
    with submitted(form, lambda: _teams_page(form)):
        team = teams.create_team(current_user, form.name.data)
    flash(f"Team “{team.name}” created. Add your colleagues next.", "success")
    return redirect(url_for("teams.members", team_id=team.id))


@bp.get("/<int:team_id>")
def show(team_id: int):
    teams.membership_for(current_user, team_id)
    return redirect(url_for("tasks.index", team_id=team_id, status="open"))


def _members_page(member, invite_form=None, accept_url: str | None = None):
    invite_form = invite_form or InviteForm(formdata=None)
    if not teams.has_role(member, "owner"):
        invite_form.role.choices = [c for c in invite_form.role.choices if c.value != "owner"]
    can_manage = teams.has_role(member, "manager")
    return render_template(
        "teams/members.html",
        member=member,
        team=member.team,
        members=teams.members_of(member.team),
        invite_form=invite_form,
        invitations=invitations.pending(member) if can_manage else [],
        accept_url=accept_url,
        role_form=RoleForm(formdata=None),
        can_manage=can_manage,
        is_owner=teams.has_role(member, "owner"),
    )


@bp.get("/<int:team_id>/members")
def members(team_id: int):
    return _members_page(teams.membership_for(current_user, team_id))


@bp.post("/<int:team_id>/invitations")
def invite(team_id: int):
    """Invite an address; the answer shows the link to accept, this once (only its digest is kept)."""
    member = teams.membership_for(current_user, team_id)
    form = InviteForm()
    with submitted(form, lambda: _members_page(member, form)):
        invitation, token = invitations.invite(member, form.email.data, form.role.data)
    flash(f"Invitation sent to {invitation.email}: they join as {invitation.role} once they accept. The link "
          "works for 7 days.", "success")
    accept_url = absolute_url(invitations.accept_path(token))
    return _members_page(member, accept_url=accept_url), 200, {"Cache-Control": "no-store"}


@bp.post("/<int:team_id>/invitations/<int:invitation_id>/revoke")
def revoke_invitation(team_id: int, invitation_id: int):
    teams.membership_for(current_user, team_id)
    invitation = invitations.revoke(current_user, invitation_id, team_id)
    flash(f"The invitation to {invitation.email} is withdrawn; its link no longer works.", "success")
    return redirect(url_for("teams.members", team_id=team_id))


@bp.post("/<int:team_id>/members/<int:user_id>/role")
def change_role(team_id: int, user_id: int):
    member = teams.membership_for(current_user, team_id)
    back = url_for("teams.members", team_id=team_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose a role.", "error")
        return redirect(back)
    with on_invalid(lambda: redirect(back)):
        target = teams.change_role(member, user_id, form.role.data)
    flash(f"{target.user.name} is now {target.role}.", "success")
    return redirect(back)


@bp.post("/<int:team_id>/members/<int:user_id>/remove")
def remove_member(team_id: int, user_id: int):
    if user_id == current_user.id:
        return leave(team_id)
    member = teams.membership_for(current_user, team_id)
    with on_invalid(lambda: redirect(url_for("teams.members", team_id=team_id))):
        teams.remove_member(member, user_id)
    flash("The member was removed from the team.", "success")
    return redirect(url_for("teams.members", team_id=team_id))


@bp.post("/<int:team_id>/leave")
def leave(team_id: int):
    with on_invalid(lambda: redirect(url_for("teams.members", team_id=team_id))):
        team = teams.leave(current_user, team_id)
    flash(f"You left {team.name}.", "success")
    return redirect(url_for("teams.index"))


def _settings_page(member, form=None, category_form=None):
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
    )


@bp.route("/<int:team_id>/settings", methods=["GET", "POST"])
def settings(team_id: int):
    member = teams.membership_for(current_user, team_id)
    teams.require_role(member, "manager", "change the team's settings")
    if request.method == "GET":
        return _settings_page(member)
    form = TeamSettingsForm()
    with submitted(form, lambda: _settings_page(member, form=form)):
        teams.update_team(member, name=form.name.data, urgency_window_hours=form.urgency_window_hours.data,
                          two_factor_required=form.two_factor_required.data)
    flash("Team settings saved.", "success")
    return redirect(url_for("teams.settings", team_id=team_id))


@bp.post("/<int:team_id>/categories")
def add_category(team_id: int):
    member = teams.membership_for(current_user, team_id)
    teams.require_role(member, "manager", "add categories")  # before the form is shown again
    form = CategoryForm()
    with submitted(form, lambda: _settings_page(member, category_form=form)):
        category = teams.add_category(member, form.name.data)
    flash(f"Category “{category.name}” added.", "success")
    return redirect(url_for("teams.settings", team_id=team_id))


@bp.post("/<int:team_id>/categories/<int:category_id>")
def update_category(team_id: int, category_id: int):
    """Rename, archive or restore a category, by which button was pressed."""
    member = teams.membership_for(current_user, team_id)
    action = request.form.get("action", "rename")
    back = url_for("teams.settings", team_id=team_id)
    with on_invalid(lambda: redirect(back)):
        if action == "archive":
            category = teams.set_category_archived(member, category_id, True)
            flash(f"Category “{category.name}” archived; its tasks keep it.", "success")
        elif action == "unarchive":
            category = teams.set_category_archived(member, category_id, False)
            flash(f"Category “{category.name}” is active again.", "success")
        else:
            category = teams.rename_category(member, category_id, request.form.get("name", ""))
            flash(f"Category renamed to “{category.name}”.", "success")
    return redirect(back)
