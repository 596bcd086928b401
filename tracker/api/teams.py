"""Teams and their members: /teams, /teams/{id}, /teams/{id}/members."""

from __future__ import annotations

from flask import url_for

from .. import teams
from ..errors import NotFound
from .core import caller, operation, reply
from .schemas import (
    MemberCreate,
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
    summary="Rename a team or change its urgency window",
    tag="Teams",
    response=TeamOut,
    body=TeamPatch,
    errors=[403],
)
def patch_team(team_id: int, body: TeamPatch):
    """Managers and owners change the name and the urgency window (used by the Eisenhower view)."""
    membership = teams.membership_for(caller(), team_id)
    data = body.model_dump(exclude_unset=True)
    teams.update_team(
        membership, name=data.get("name"), urgency_window_hours=data.get("urgency_window_hours")
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
    "POST",
    "/teams/<id:team_id>/members",
    summary="Add a member",
    tag="Members",
    response=MemberOut,
    status=201,
    body=MemberCreate,
    errors=[403],
    headers={"Location": "The membership's URL."},
)
def add_member(team_id: int, body: MemberCreate):
    """Add an existing account by email (manager+; only owners add owners)."""
    actor = teams.membership_for(caller(), team_id)
    membership = teams.add_member(actor, body.email, body.role)
    location = url_for("api.get_member", team_id=team_id, user_id=membership.user_id)
    return reply(MemberOut.of(membership), 201, {"Location": location})


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
    The last owner cannot leave (422)."""
    actor = teams.membership_for(caller(), team_id)
    teams.remove_member(actor, user_id)
    return reply(None, 204)
