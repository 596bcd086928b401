"""Teams, their members and invitations: /teams, /teams/{id}, /teams/{id}/members, /teams/{id}/invitations,
/invitations."""

from __future__ import annotations

from flask import url_for

from .. import invitations, teams
from ..errors import NotFound
from ..mail import absolute_url
from .core import caller, operation, reply
from .schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationOut,
    InvitationPage,
    MemberOut,
    MemberPage,
    MemberPatch,
    PagingQuery,
    TeamCreate,
    TeamOut,
    TeamPage,
    TeamPatch,
    paged,
)


@operation("GET", "/teams", summary="Your teams", tag="Teams", response=TeamPage, query=PagingQuery)
def list_teams(query: PagingQuery):
    """The teams the caller belongs to, with the caller's role in each, by name."""
    memberships = teams.teams_of(caller())
    categories = teams.categories_by_team([m.team_id for m in memberships])
    items = [TeamOut.of(m, categories[m.team_id]) for m in memberships]
    return reply(paged(TeamPage, items, query.page, query.per_page))


@operation(
    "POST",
    "/teams",
    summary="Create a team",
    tag="Teams",
    response=TeamOut,
    status=201,
    body=TeamCreate,
    headers={"Location": "The new team's URL."},
)
def create_team(body: TeamCreate):
    """A new team with the default categories; the caller becomes its owner."""
    team = teams.create_team(caller(), body.name, body.slug)
    membership = teams.membership_for(caller(), team.id)
    return reply(TeamOut.of(membership), 201, {"Location": url_for("api.get_team", team_id=team.id)})


@operation("GET", "/teams/<id:team_id>", summary="One team", tag="Teams", response=TeamOut)
def get_team(team_id: int):
    """A team the caller is in (another team is a 404)."""
    return reply(TeamOut.of(teams.membership_for(caller(), team_id)))


@operation(
    "PATCH",
    "/teams/<id:team_id>",
    summary="Rename a team, change its urgency window or who must use two-factor authentication",
    tag="Teams",
    response=TeamOut,
    body=TeamPatch,
    errors=[403],
)
def patch_team(team_id: int, body: TeamPatch):
    """Managers and owners change the name, the urgency window (used by the Eisenhower view) and who in
    the team must have two-factor authentication on (a requirement that covers the caller needs it on the
    caller's account first)."""
    membership = teams.membership_for(caller(), team_id)
    data = body.model_dump(exclude_unset=True)
    teams.update_team(
        membership, name=data.get("name"), urgency_window_hours=data.get("urgency_window_hours"),
        two_factor_required=data.get("two_factor_required"),
    )
    return reply(TeamOut.of(membership))


@operation(
    "GET",
    "/teams/<id:team_id>/members",
    summary="A team's members",
    tag="Members",
    response=MemberPage,
    query=PagingQuery,
)
def list_members(team_id: int, query: PagingQuery):
    """Everyone in the team with their role, by name."""
    membership = teams.membership_for(caller(), team_id)
    items = [MemberOut.of(m) for m in teams.members_of(membership.team)]
    return reply(paged(MemberPage, items, query.page, query.per_page))


def _member(actor, user_id: int):
    for m in teams.members_of(actor.team):
        if m.user_id == user_id:
            return m
    raise NotFound("No such member.")


@operation(
    "GET", "/teams/<id:team_id>/members/<id:user_id>", summary="One member", tag="Members", response=MemberOut
)
def get_member(team_id: int, user_id: int):
    """One member of a team the caller is in."""
    return reply(MemberOut.of(_member(teams.membership_for(caller(), team_id), user_id)))


@operation(
    "PATCH",
    "/teams/<id:team_id>/members/<id:user_id>",
    summary="Change a member's role",
    tag="Members",
    response=MemberOut,
    body=MemberPatch,
    errors=[403],
)
def patch_member(team_id: int, user_id: int, body: MemberPatch):
    """Managers change roles; granting or taking away `owner` needs an owner; a team keeps one owner."""
    actor = teams.membership_for(caller(), team_id)
    membership = teams.change_role(actor, user_id, body.role)
    return reply(MemberOut.of(membership))


@operation(
    "DELETE",
    "/teams/<id:team_id>/members/<id:user_id>",
    summary="Remove a member (or leave)",
    tag="Members",
    status=204,
    errors=[403, 422],
)
def remove_member(team_id: int, user_id: int):
    """Managers remove members and managers, owners remove owners; your own id means leaving the team.
    The last owner cannot leave (422). Leaving works even before turning on two factors a team requires."""
    if user_id == caller().id:
        teams.leave(caller(), team_id)
        return reply(None, 204)
    actor = teams.membership_for(caller(), team_id)
    teams.remove_member(actor, user_id)
    return reply(None, 204)


# Invitations -----------------------------------------------------------------------------------


@operation(
    "GET",
    "/teams/<id:team_id>/invitations",
    summary="A team's pending invitations",
    tag="Members",
    response=InvitationPage,
    query=PagingQuery,
    errors=[403],
)
def list_invitations(team_id: int, query: PagingQuery):
    """The invitations that can still be accepted, newest first (manager+)."""
    actor = teams.membership_for(caller(), team_id)
    items = [InvitationOut.model_validate(i) for i in invitations.pending(actor)]
    return reply(paged(InvitationPage, items, query.page, query.per_page))


@operation(
    "POST",
    "/teams/<id:team_id>/invitations",
    summary="Invite someone by email",
    tag="Members",
    response=InvitationOut,
    status=202,
    body=InvitationCreate,
    errors=[403],
)
def invite(team_id: int, body: InvitationCreate):
    """Invite an address with a role (manager+; only owners invite owners). The address gets an email with
    the link, which `accept_url` also carries, this once; it expires after 7 days. The answer is the same
    whether or not the address has an account. A new invitation replaces a pending one to the address."""
    actor = teams.membership_for(caller(), team_id)
    invitation, token = invitations.invite(actor, body.email, body.role)
    accept_url = absolute_url(invitations.accept_path(token))
    return reply(InvitationOut.model_validate(invitation).model_copy(update={"accept_url": accept_url}), 202)


@operation("DELETE", "/invitations/<id:invitation_id>", summary="Withdraw an invitation", tag="Members",
           status=204, errors=[403])
def revoke_invitation(invitation_id: int):
    """A manager of the invitation's team withdraws it; its link stops working."""
    invitations.revoke(caller(), invitation_id)
    return reply(None, 204)


@operation("POST", "/invitations/accept", summary="Accept an invitation", tag="Members", response=TeamOut,
           body=InvitationAccept, errors=[404])
def accept_invitation(body: InvitationAccept):
    """Join the team of a live invitation addressed to the caller's email, with its role; any other token
    (unknown, expired, withdrawn, used, or sent to another address) is a 404."""
    membership = invitations.accept(caller(), body.token)
    return reply(TeamOut.of(teams.membership_for(caller(), membership.team_id)))
