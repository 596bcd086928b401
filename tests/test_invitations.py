"""Invitations instead of silent adds: a manager invites an address with a role, the address gets an email
and the manager a link, valid 7 days; only that address can accept, by signing in or registering; pending
invitations are listed and revocable; no answer tells whether the address has an account."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_user, membership
from tracker import events, invitations
from tracker.errors import Forbidden, Invalid, NotFound
from tracker.extensions import db
from tracker.models import Invitation, OutboxEmail, TeamMembership, utcnow


@pytest.fixture
def mail_queued(app):
    """Mail is configured but only queued (the outbox row is what the tests read)."""
    app.config.update(MAIL_SERVER="127.0.0.1", DELIVERY="cron", BASE_URL="https://tracker.example.test")


def members(team_id: int) -> dict[str, str]:
    rows = db.session.execute(select(TeamMembership.role, TeamMembership.user_id).where(
        TeamMembership.team_id == team_id)).all()
    return {str(user_id): role for role, user_id in rows}


def test_an_invitation_is_emailed_with_a_link_that_lasts_7_days(crew, mail_queued):
    now = utcnow()
    invitation, token = invitations.invite(crew["manager_m"], " Nia@Example.com ", "manager", now=now)
    assert (invitation.email, invitation.role, invitation.expires_at) == ("nia@example.com", "manager",
                                                                          now + timedelta(days=7))
    # Only the token's digest is kept.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 40 and token not in str(db.session.execute(select(Invitation.__table__)).all())
    email = db.session.scalar(select(OutboxEmail))
    assert email.to_address == "nia@example.com"
    assert email.subject == "Manu invites you to Backend on Tracker"
    assert f"https://tracker.example.test/invitations/{token}" in email.text_body
    assert f'href="https://tracker.example.test/invitations/{token}"' in email.html_body


def test_inviting_says_nothing_about_whether_the_address_has_an_account(crew, mail_queued):
    make_user("Ana", email="ana@example.com")
    known, _ = invitations.invite(crew["owner_m"], "ana@example.com")
    unknown, _ = invitations.invite(crew["owner_m"], "nobody@example.com")
    fields = ("team_id", "role", "accepted_at", "revoked_at", "invited_by_id")
    assert [getattr(known, f) for f in fields] == [getattr(unknown, f) for f in fields]
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [e.to_address for e in emails] == ["ana@example.com", "nobody@example.com"]
    assert emails[0].subject == emails[1].subject
    assert emails[0].text_body.replace("ana@", "X@").split("/invitations/")[0] == \
        emails[1].text_body.replace("nobody@", "X@").split("/invitations/")[0]


def test_the_invited_person_accepts_and_joins_with_the_role(crew):
    invitation, token = invitations.invite(crew["owner_m"], "nia@example.com", "manager")
    nia = make_user("Nia", email="NIA@example.com")
    added = []
    events.member_added.connect(record := lambda team, **payload: added.append((team.id, payload)))
    try:
        joined = invitations.accept(nia, token)
    finally:
        events.member_added.disconnect(record)
    assert (joined.team_id, joined.user_id, joined.role) == (crew["team_id"], nia.id, "manager")
    assert added == [(crew["team_id"], {"actor": nia, "user_id": nia.id, "role": "manager"})]
    assert invitation.accepted_by_id == nia.id and invitation.accepted_at is not None
    with pytest.raises(NotFound):  # once
        invitations.accept(nia, token)


@pytest.mark.parametrize("who", ["another account", "a member of the team"])
def test_nobody_else_can_use_the_link(crew, who):
    _, token = invitations.invite(crew["owner_m"], "nia@example.com")
    someone = make_user("Eve", email="eve@example.com") if who == "another account" else crew["member"]
    before = members(crew["team_id"])
    with pytest.raises(NotFound):
        invitations.accept(someone, token)
    assert members(crew["team_id"]) == before
    assert db.session.scalar(select(Invitation.accepted_at)) is None


def test_an_invitation_expires_after_7_days(crew):
    now = utcnow()
    _, token = invitations.invite(crew["owner_m"], "nia@example.com", now=now)
    nia = make_user("Nia", email="nia@example.com")
    with pytest.raises(NotFound):
        invitations.accept(nia, token, now=now + timedelta(days=7, seconds=1))
    assert invitations.pending(crew["owner_m"], now=now + timedelta(days=7, seconds=1)) == []
    assert invitations.accept(nia, token, now=now + timedelta(days=6, hours=23)).role == "member"


def test_pending_invitations_are_listed_and_revocable(crew):
    first, _ = invitations.invite(crew["owner_m"], "nia@example.com")
    second, token = invitations.invite(crew["owner_m"], "nia@example.com", "manager")  # replaces the first
    other, _ = invitations.invite(crew["owner_m"], "zed@example.com")
    assert [i.id for i in invitations.pending(crew["manager_m"])] == [other.id, second.id]
    with pytest.raises(Forbidden):
        invitations.pending(crew["member_m"])
    with pytest.raises(Forbidden):
        invitations.revoke(crew["member"], second.id)
    with pytest.raises(NotFound):  # not of Otto's team
        invitations.revoke(crew["outsider"], second.id)
    invitations.revoke(crew["manager"], second.id)
    assert [i.id for i in invitations.pending(crew["owner_m"])] == [other.id]
    with pytest.raises(NotFound):
        invitations.accept(make_user("Nia", email="nia@example.com"), token)
    with pytest.raises(NotFound):  # revoking twice
        invitations.revoke(crew["manager"], second.id)


@pytest.mark.parametrize("who, email, role, refusal", [
    ("member_m", "nia@example.com", "member", Forbidden),
    ("manager_m", "nia@example.com", "owner", Forbidden),
    ("owner_m", "not an address", "member", Invalid),
    ("owner_m", "nia@example.com", "boss", Invalid),
])
def test_who_may_invite_whom(crew, who, email, role, refusal):
    with pytest.raises(refusal):
        invitations.invite(crew[who], email, role)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_an_owner_invites_an_owner_and_members_are_not_invited_twice(crew):
    assert invitations.invite(crew["owner_m"], "nia@example.com", "owner")[0].role == "owner"
    with pytest.raises(Invalid) as refused:
        invitations.invite(crew["owner_m"], crew["member"].email.upper())
    assert refused.value.errors == {"email": ["Someone with this address is already in the team."]}


def test_someone_already_in_the_team_who_accepts_keeps_their_role(crew):
    _, token = invitations.invite(crew["owner_m"], "nia@example.com", "owner")
    nia = make_user("Nia", email="nia@example.com")
    db.session.add(TeamMembership(team_id=crew["team_id"], user_id=nia.id, role="member"))
    db.session.commit()
    assert invitations.accept(nia, token).role == "member"
    assert membership(crew["team_id"], nia).role == "member"


# The pages -------------------------------------------------------------------------------------------


def test_the_link_asks_a_visitor_to_sign_in_or_register_and_brings_them_back(client, crew):
    _, token = invitations.invite(crew["owner_m"], "nia@example.com", "manager")
    page = client.get(f"/invitations/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Join Backend" in text and "as manager" in text
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    back = f"/invitations/{token}"
    assert f'href="/login?next={back}"' in text and f'href="/register?next={back}"' in text
    registered = client.post(f"/register?next=/invitations/{token}", data={
        "email": "nia@example.com", "name": "Nia", "password": "long enough", "confirm": "long enough",
        "timezone": "Europe/Berlin"})
    assert registered.headers["Location"] == f"/invitations/{token}"
    joined = client.post(f"/invitations/{token}/accept")
    assert joined.status_code == 302 and joined.headers["Location"] == f"/teams/{crew['team_id']}"
    nia = db.session.scalar(select(TeamMembership).join(TeamMembership.user).where(
        TeamMembership.team_id == crew["team_id"], TeamMembership.role == "manager",
        TeamMembership.user_id != crew["manager"].id))
    assert nia.user.email == "nia@example.com"
    assert client.get(f"/invitations/{token}").status_code == 404  # used


def test_someone_signed_in_with_another_address_is_told_and_cannot_accept(client, crew):
    _, token = invitations.invite(crew["owner_m"], "nia@example.com")
    login(client, crew["outsider"])
    text = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "sent to another email address" in text and "/accept" not in text
    before = members(crew["team_id"])
    assert client.post(f"/invitations/{token}/accept").status_code == 404
    assert members(crew["team_id"]) == before


def test_an_unknown_or_expired_link_is_a_404(client, crew):
    _, token = invitations.invite(crew["owner_m"], "nia@example.com", now=utcnow() - timedelta(days=8))
    for link in (f"/invitations/{token}", "/invitations/nonsense", "/invitations/" + "x" * 500):
        assert client.get(link).status_code == 404


def test_joining_twice_at_the_same_moment_is_refused_not_a_500(crew, monkeypatch):
    _, token = invitations.invite(crew["owner_m"], "nia@example.com")
    nia = make_user("Nia", email="nia@example.com")
    db.session.add(TeamMembership(team_id=crew["team_id"], user_id=nia.id, role="member"))
    db.session.commit()
    # The other request's membership lands between our look and our insert: our look sees none.
    real_scalar = db.session.scalar
    monkeypatch.setattr(db.session, "scalar", lambda stmt: None if str(stmt).startswith(
        "SELECT team_memberships") else real_scalar(stmt))
    with pytest.raises(NotFound):
        invitations.accept(nia, token)
    monkeypatch.undo()
    assert members(crew["team_id"])[str(nia.id)] == "member"
