"""Teams: creating one, and every role against every team action, allowed and refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import add_to_team, login, make_task, make_team, make_user, membership
from tracker import invitations, tasks, teams
from tracker.errors import Forbidden, Invalid
from tracker.extensions import db
from tracker.models import DEFAULT_CATEGORIES, Category, Invitation, Task, Team, TeamMembership


def role_of(team_id: int, user) -> str | None:
    m = membership(team_id, user)
    return m.role if m else None


def test_create_team_makes_the_creator_owner_with_the_nine_categories(client, app):
    user = make_user("Ana")
    login(client, user)
    response = client.post("/teams", data={"name": "Payments Core"})
    assert response.status_code == 302
    team = db.session.scalar(select(Team))
    assert team.slug == "payments-core" and response.headers["Location"] == f"/teams/{team.id}/members"
    assert role_of(team.id, user) == "owner"
    assert (
        [c.slug for c in team.categories]
        == [slug for slug, _ in DEFAULT_CATEGORIES]
        == [
            "architecture",
            "server-code",
            "database",
            "integration",
            "api-docs",
            "testing",
            "security",
            "devops",
            "upgrades",
        ]
    )
    assert "You are owner." in client.get("/teams").get_data(as_text=True)


def test_create_team_needs_a_name_and_slugs_stay_unique(client, app):
    user = make_user("Ana")
    login(client, user)
    response = client.post("/teams", data={"name": "   "})
    assert response.status_code == 422
    assert db.session.scalar(select(Team)) is None
    first, second = teams.create_team(user, "Payments"), teams.create_team(user, "Payments")
    assert (first.slug, second.slug) == ("payments", "payments-2")


# The role matrix ------------------------------------------------------------------------------


@pytest.fixture
def crew(app):
    """A team with two of each role, so every action has a target other than the actor."""
    people = {
        name: make_user(name.capitalize())
        for name in ("owner", "owner2", "manager", "manager2", "member", "member2", "newcomer")
    }
    first = make_team(people["owner"], "Backend")
    for name, role in (
        ("owner2", "owner"),
        ("manager", "manager"),
        ("manager2", "manager"),
        ("member", "member"),
        ("member2", "member"),
    ):
        add_to_team(first, people[name], role)
    trashed = make_task(first, "Old task")
    tasks.move_to_trash(first, trashed)
    return {
        **people,
        "team_id": first.team_id,
        "trashed_id": trashed.id,
        "category_id": db.session.scalar(
            select(Category.id).where(Category.team_id == first.team_id, Category.slug == "database")
        ),
    }


def _category(c) -> Category:
    category = db.session.get(Category, c["category_id"])
    db.session.refresh(category)
    return category


def _task(c) -> Task:
    task = db.session.get(Task, c["trashed_id"])
    db.session.refresh(task)
    return task


def invite(role: str):
    """Invite the newcomer with `role`, and check that the invitation is pending."""
    return (
        lambda cl, c: cl.post(
            f"/teams/{c['team_id']}/invitations", data={"email": c["newcomer"].email, "role": role}
        ),
        lambda c: db.session.scalar(
            select(Invitation.role).where(Invitation.email == c["newcomer"].email)) == role,
    )


def change_role(who: str, role: str):
    return (
        lambda cl, c: cl.post(f"/teams/{c['team_id']}/members/{c[who].id}/role", data={"role": role}),
        lambda c: role_of(c["team_id"], c[who]) == role,
    )


def remove_member(who: str):
    return (
        lambda cl, c: cl.post(f"/teams/{c['team_id']}/members/{c[who].id}/remove"),
        lambda c: role_of(c["team_id"], c[who]) is None,
    )


# action: (request(client, crew) -> response, effect happened(crew) -> bool)
ACTIONS = {
    "invite member": invite("member"),
    "invite manager": invite("manager"),
    "invite owner": invite("owner"),
    "promote member to manager": change_role("member2", "manager"),
    "demote manager to member": change_role("manager2", "member"),
    "promote member to owner": change_role("member2", "owner"),
    "demote owner to manager": change_role("owner2", "manager"),
    "remove member": remove_member("member2"),
    "remove manager": remove_member("manager2"),
    "remove owner": remove_member("owner2"),
    "see team settings": (lambda cl, c: cl.get(f"/teams/{c['team_id']}/settings"), None),
    "change team settings": (
        lambda cl, c: cl.post(
            f"/teams/{c['team_id']}/settings", data={"name": "Renamed", "urgency_window_hours": "48"}
        ),
        lambda c: (
            (db.session.get(Team, c["team_id"]).name, db.session.get(Team, c["team_id"]).urgency_window_hours)
            == ("Renamed", 48)
        ),
    ),
    "add category": (
        lambda cl, c: cl.post(f"/teams/{c['team_id']}/categories", data={"name": "Observability"}),
        lambda c: (
            db.session.scalar(
                select(Category).where(Category.team_id == c["team_id"], Category.slug == "observability")
            )
            is not None
        ),
    ),
    "rename category": (
        lambda cl, c: cl.post(
            f"/teams/{c['team_id']}/categories/{c['category_id']}",
            data={"action": "rename", "name": "Data stores"},
        ),
        lambda c: (_category(c).name, _category(c).slug) == ("Data stores", "database"),
    ),
    "archive category": (
        lambda cl, c: cl.post(
            f"/teams/{c['team_id']}/categories/{c['category_id']}", data={"action": "archive"}
        ),
        lambda c: _category(c).archived,
    ),
    "see the trash": (lambda cl, c: cl.get(f"/teams/{c['team_id']}/trash"), None),
    "restore from trash": (
        lambda cl, c: cl.post(f"/tasks/{c['trashed_id']}/restore"),
        lambda c: _task(c).deleted_at is None,
    ),
}
ALLOWED = {
    "owner": set(ACTIONS),
    "manager": set(ACTIONS)
    - {"invite owner", "promote member to owner", "demote owner to manager", "remove owner"},
    "member": set(),
}
MATRIX = [(role, action, action in ALLOWED[role]) for role in ALLOWED for action in ACTIONS]


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    MATRIX,
    ids=[f"{r}-{a.replace(' ', '_')}-{'ok' if ok else 'refused'}" for r, a, ok in MATRIX],
)
def test_role_matrix(client, crew, role, action, allowed):
    do, happened = ACTIONS[action]
    login(client, crew[role])
    response = do(client, crew)
    if allowed:
        assert response.status_code in (200, 302), response.get_data(as_text=True)
        if happened is not None:
            assert happened(crew)
    else:
        assert response.status_code == 403
        assert "Not allowed" in response.get_data(as_text=True)
        if happened is not None:
            assert not happened(crew)


@pytest.mark.parametrize("role", ["owner", "manager", "member"])
def test_every_role_sees_the_members_and_can_leave(client, crew, role):
    login(client, crew[role])
    page = client.get(f"/teams/{crew['team_id']}/members")
    assert page.status_code == 200 and crew["member2"].email in page.get_data(as_text=True)
    response = client.post(f"/teams/{crew['team_id']}/leave")
    assert response.status_code == 302 and response.headers["Location"] == "/teams"
    assert role_of(crew["team_id"], crew[role]) is None
    assert client.get(f"/teams/{crew['team_id']}/members").status_code == 404


@pytest.mark.parametrize("role", ["owner", "manager", "member"])
def test_members_page_shows_management_controls_only_to_managers(client, crew, role):
    login(client, crew[role])
    page = client.get(f"/teams/{crew['team_id']}/members").get_data(as_text=True)
    assert ("Invite someone" in page) is (role != "member")
    assert (f"/members/{crew['member2'].id}/remove" in page) is (role != "member")
    # Only owners are offered the owner role and controls over other owners.
    assert ('<option value="owner"' in page) is (role == "owner")
    assert (f"/members/{crew['owner2'].id}/remove" in page) is (role == "owner")


def test_the_last_owner_cannot_leave_or_step_down(client, app):
    owner, member = make_user("Olga"), make_user("Mia")
    o = make_team(owner)
    add_to_team(o, member)
    login(client, owner)
    response = client.post(f"/teams/{o.team_id}/leave", follow_redirects=True)
    assert "You are the last owner" in response.get_data(as_text=True)
    response = client.post(
        f"/teams/{o.team_id}/members/{owner.id}/role", data={"role": "member"}, follow_redirects=True
    )
    assert "A team needs at least one owner" in response.get_data(as_text=True)
    assert role_of(o.team_id, owner) == "owner"
    # With a second owner, the first may go.
    client.post(f"/teams/{o.team_id}/members/{member.id}/role", data={"role": "owner"})
    assert role_of(o.team_id, member) == "owner"
    assert client.post(f"/teams/{o.team_id}/leave").status_code == 302
    assert role_of(o.team_id, owner) is None


def test_invitation_refusals_are_shown_in_the_form(client, crew):
    login(client, crew["manager"])
    url = f"/teams/{crew['team_id']}/invitations"
    cases = [
        ({"email": "not an address", "role": "member"}, "An email address must have an @-sign."),
        ({"email": crew["member"].email, "role": "member"}, "with this address is already in the team."),
        ({"email": crew["newcomer"].email, "role": "boss"}, "Not a valid choice"),
    ]
    for data, message in cases:
        response = client.post(url, data=data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Invitation)) is None


def test_inviting_shows_the_link_once_and_lists_the_invitation_until_withdrawn(client, crew):
    login(client, crew["manager"])
    shown = client.post(f"/teams/{crew['team_id']}/invitations", data={"email": "nobody@example.com",
                                                                          "role": "member"})
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert "Invitation sent to nobody@example.com" in page and 'value="http://localhost/invitations/' in page
    later = client.get(f"/teams/{crew['team_id']}/members").get_data(as_text=True)
    assert "nobody@example.com" in later and "/invitations/" not in later.replace("/invitations/1/revoke", "")
    invitation = db.session.scalar(select(Invitation))
    withdrawn = client.post(f"/teams/{crew['team_id']}/invitations/{invitation.id}/revoke", follow_redirects=True)
    page = withdrawn.get_data(as_text=True)
    assert "The invitation to nobody@example.com is withdrawn" in page and "<td>nobody@example.com" not in page
    assert db.session.get(Invitation, invitation.id).revoked_at is not None


def test_domain_role_rules(app, crew):
    team_id = crew["team_id"]
    manager = membership(team_id, crew["manager"])
    member = membership(team_id, crew["member"])
    with pytest.raises(Forbidden):
        invitations.invite(member, crew["newcomer"].email)
    with pytest.raises(Forbidden):
        teams.change_role(manager, crew["manager"].id, "owner")  # no promoting yourself past your role
    with pytest.raises(Forbidden):
        teams.remove_member(manager, crew["owner"].id)
    with pytest.raises(Invalid):
        teams.change_role(manager, crew["member"].id, "admin")
    with pytest.raises(Forbidden):
        teams.update_team(member, name="Mine now")
    with pytest.raises(Forbidden):
        tasks.trashed_tasks(member)
    assert (
        db.session.scalar(
            select(TeamMembership.role).where(
                TeamMembership.team_id == team_id, TeamMembership.user_id == crew["manager"].id
            )
        )
        == "manager"
    )


def test_category_rules(client, crew):
    login(client, crew["manager"])
    settings = f"/teams/{crew['team_id']}/settings"
    response = client.post(f"/teams/{crew['team_id']}/categories", data={"name": "Database"})
    assert response.status_code == 422
    assert "already has a category" in response.get_data(as_text=True)
    # Archived categories keep their tasks but are not offered for new ones; they can come back.
    client.post(f"/teams/{crew['team_id']}/categories/{crew['category_id']}", data={"action": "archive"})
    form = client.get(f"/teams/{crew['team_id']}/tasks/new").get_data(as_text=True)
    assert 'value="database"' not in form and 'value="security"' in form
    assert "archived" in client.get(settings).get_data(as_text=True)
    client.post(f"/teams/{crew['team_id']}/categories/{crew['category_id']}", data={"action": "unarchive"})
    assert not _category(crew).archived
    response = client.post(
        f"/teams/{crew['team_id']}/categories/{crew['category_id']}",
        data={"action": "rename", "name": "  "},
        follow_redirects=True,
    )
    assert "Enter a category name." in response.get_data(as_text=True)
    assert _category(crew).name == "Database"


def test_a_team_keeps_at_least_one_active_category(app):
    owner = make_user("Olga")
    o = make_team(owner)
    cats = teams.active_categories(o.team_id)
    for category in cats[:-1]:
        teams.set_category_archived(o, category.id, True)
    with pytest.raises(Invalid):
        teams.set_category_archived(o, cats[-1].id, True)
    assert [c.slug for c in teams.active_categories(o.team_id)] == ["upgrades"]


def test_team_settings_validation(client, crew):
    login(client, crew["owner"])
    response = client.post(
        f"/teams/{crew['team_id']}/settings", data={"name": "X", "urgency_window_hours": "0"}
    )
    assert response.status_code == 422
    assert "Choose between 1 hour and 60 days" in response.get_data(as_text=True)
    response = client.post(
        f"/teams/{crew['team_id']}/settings", data={"name": "X", "urgency_window_hours": "soon"}
    )
    assert response.status_code == 422
    assert db.session.get(Team, crew["team_id"]).urgency_window_hours == 72


def test_a_chosen_slug_is_checked_and_fits_the_column_once_made_unique(app):
    owner = make_user("Olga")
    for slug in ("Has Caps", "double--hyphen", "-edge", "x" * 49):
        with pytest.raises(Invalid) as exc:
            teams.create_team(owner, "Team", slug=slug)
        assert exc.value.errors == {"slug": ["Use at most 48 lower-case letters, digits and single hyphens."]}
    first = teams.create_team(owner, "Team", slug="x" * 48)
    second = teams.create_team(owner, "Team", slug="x" * 48)
    assert (first.slug, second.slug) == ("x" * 48, "x" * 48 + "-2")

