"""A team that requires two factors of a member who has none shows that member nothing of itself on the
pages and feeds that span teams either (two_factor.visible_team_ids): my work and its plan, my time,
notifications, the team list, the calendar feeds and the daily digest — only the other teams' work, and
everything once they turn two factors on. They can still leave the team; they cannot withdraw its
invitations."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import add_to_team, login, make_task, make_team, make_user
from tests.test_mail import mail_app, smtp  # noqa: F401  (the SMTP server fixture)
from tests.test_two_factor import enrol_through_pages, enrolled
from tracker import feeds, invitations, mail, notifications, preferences, stored_forecast, tokens, two_factor
from tracker.extensions import db
from tracker.models import (
    CalendarFeed,
    Invitation,
    Notification,
    OutboxEmail,
    Task,
    Team,
    TeamMembership,
    TimeEntry,
)

NOW = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)  # a Tuesday
OPEN_TASK, STRICT_TASK = "Reconcile the ledger", "Rotate the signing keys"


@pytest.fixture
def app(make_app, smtp):  # noqa: F811
    return mail_app(make_app, smtp.port)


@pytest.fixture
def mia(app, monkeypatch):
    """Mia (no two factors) works in Harbour (no requirement) and in Vault, which requires two factors of
    everyone; each team has a task of hers due tomorrow, an hour she logged and a notification for her.
    Her calendar feeds were made before Vault's requirement."""
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)
    olga, mia = make_user("Olga"), make_user("Mia", work_start=time(9), work_end=time(17))
    enrolled(olga, datetime.now(UTC) - timedelta(minutes=5))
    harbour, vault = make_team(olga, "Harbour"), make_team(olga, "Vault")
    add_to_team(harbour, mia)
    add_to_team(vault, mia, role="manager")
    tasks = {}
    for member, title in ((harbour, OPEN_TASK), (vault, STRICT_TASK)):
        task = make_task(member, title, assignee_id=mia.id, estimate_hours=2, due_at=NOW + timedelta(days=1))
        db.session.add(TimeEntry(task_id=task.id, user_id=mia.id, hours=1.5, spent_on=date.today()))
        db.session.add(Notification(user_id=mia.id, kind="assigned", task_id=task.id, summary=title))
        tasks[title] = task
    db.session.commit()
    feeds.feed_urls(mia)
    db.session.get(Team, vault.team_id).two_factor_required = "everyone"
    db.session.commit()
    _token, raw = tokens.create_token(mia, "script")
    return {"mia": mia, "harbour": harbour.team_id, "vault": vault.team_id, "tasks": tasks,
            "headers": {"Authorization": f"Bearer {raw}"}}


def ical(client, team_id: int | None, mia: dict) -> tuple[int, str]:
    secret = db.session.scalar(select(CalendarFeed.secret).where(
        CalendarFeed.user_id == mia["mia"].id,
        CalendarFeed.team_id.is_(None) if team_id is None else CalendarFeed.team_id == team_id))
    response = client.get(f"/calendar/{secret}.ics")
    return response.status_code, response.get_data(as_text=True)


def surfaces(client, mia: dict) -> dict[str, str]:
    """What each cross-team surface shows Mia, as text."""
    api = {"headers": mia["headers"]}
    return {
        "my work": client.get("/my-work").get_data(as_text=True),
        "plan": client.get("/my-work/plan?days=5").get_data(as_text=True),
        "my time": client.get("/my-time").get_data(as_text=True),
        "notifications": client.get("/notifications").get_data(as_text=True),
        "api my work": client.get("/api/v1/me/work", **api).get_data(as_text=True),
        "api plan": client.get("/api/v1/me/plan?days=5", **api).get_data(as_text=True),
        "api notifications": client.get("/api/v1/notifications", **api).get_data(as_text=True),
        "ical": ical(client, None, mia)[1],
    }


def test_without_two_factors_only_the_other_teams_work_shows_and_all_of_it_after(client, mia):
    login(client, mia["mia"])
    for name, text in surfaces(client, mia).items():
        assert OPEN_TASK in text, name
        assert STRICT_TASK not in text, name
    unread_before = client.get("/notifications/unread").get_json()["unread"]
    assert unread_before == db.session.scalar(select(func.count()).select_from(Notification).join(Task).where(
        Notification.user_id == mia["mia"].id, Task.team_id == mia["harbour"]))
    teams_page = client.get("/teams").get_data(as_text=True)
    assert f"/teams/{mia['harbour']}/tasks" in teams_page and f"/teams/{mia['vault']}/tasks" not in teams_page
    assert "Teams that need two-factor authentication" in teams_page  # named, to enrol or to leave
    listed = client.get("/api/v1/teams", headers=mia["headers"]).get_json()
    assert [t["id"] for t in listed["items"]] == [mia["harbour"]]
    feed_urls = client.get("/api/v1/me/calendar", headers=mia["headers"]).get_json()["team_feed_urls"]
    assert list(feed_urls) == [str(mia["harbour"])]
    vault_secret = db.session.scalar(select(CalendarFeed.secret).where(CalendarFeed.team_id == mia["vault"]))
    settings_page = client.get("/settings/calendar").get_data(as_text=True)
    assert vault_secret not in settings_page and "Vault" not in settings_page
    assert ical(client, mia["vault"], mia)[0] == 404  # the team feed made before the requirement
    assert ical(client, mia["harbour"], mia)[0] == 200

    enrol_through_pages(client, mia["mia"])
    for name, text in surfaces(client, mia).items():
        assert OPEN_TASK in text and STRICT_TASK in text, name
    assert client.get("/notifications/unread").get_json()["unread"] == db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == mia["mia"].id)
    ) > unread_before
    assert f"/teams/{mia['vault']}/tasks" in client.get("/teams").get_data(as_text=True)
    status, vault_feed = ical(client, mia["vault"], mia)
    assert status == 200 and STRICT_TASK in vault_feed


def test_marking_all_read_leaves_the_hidden_teams_notifications_alone(client, mia):
    login(client, mia["mia"])
    client.post("/notifications/read", data={})
    unread = db.session.scalars(select(Task.team_id).join(Notification)
                                .where(Notification.read_at.is_(None))).all()
    assert unread and set(unread) == {mia["vault"]}


def test_the_digest_leaves_out_the_team_until_two_factors_are_on(app, mia):
    morning = NOW.replace(hour=8, minute=5) + timedelta(days=1)  # both tasks are due today, 09:30
    assert mail.send_digests(morning) == 1
    [digest] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == mia["mia"].email,
                                                            OutboxEmail.subject.startswith("Your day"))).all()
    assert OPEN_TASK in digest.text_body and STRICT_TASK not in digest.text_body

    enrolled(mia["mia"], datetime.now(UTC) - timedelta(minutes=5))
    assert mail.send_digests(morning + timedelta(days=1)) == 1
    latest = db.session.scalars(select(OutboxEmail).where(OutboxEmail.subject.startswith("Your day"))
                                .order_by(OutboxEmail.id.desc())).first()
    assert OPEN_TASK in latest.text_body and STRICT_TASK in latest.text_body


def test_a_member_shut_out_can_still_leave_the_team(client, mia):
    login(client, mia["mia"])
    response = client.post(f"/teams/{mia['vault']}/leave")
    assert response.status_code == 302 and response.headers["Location"].endswith("/teams")
    assert db.session.scalar(select(TeamMembership).where(TeamMembership.team_id == mia["vault"],
                                                          TeamMembership.user_id == mia["mia"].id)) is None


def test_a_member_shut_out_can_leave_through_the_api(client, mia):
    url = f"/api/v1/teams/{mia['vault']}/members/{mia['mia'].id}"
    assert client.delete(url, headers=mia["headers"]).status_code == 204
    assert client.delete(url, headers=mia["headers"]).status_code == 404


def test_a_manager_shut_out_cannot_withdraw_the_teams_invitations(client, mia):
    olga_m = db.session.scalar(select(TeamMembership).where(TeamMembership.team_id == mia["vault"],
                                                            TeamMembership.role == "owner"))
    invitation, _token = invitations.invite(olga_m, "newcomer@example.com")
    response = client.delete(f"/api/v1/invitations/{invitation.id}", headers=mia["headers"])
    assert response.status_code == 403
    assert response.get_json()["title"] == "Two-factor authentication required"
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at is None


def test_no_email_about_the_teams_work_until_two_factors_are_on(app, mia):
    preferences.set_preferences(mia["mia"], {"assigned": "both"})
    vault_task, harbour_task = mia["tasks"][STRICT_TASK], mia["tasks"][OPEN_TASK]

    def emails_about(task) -> int:
        return db.session.scalar(select(func.count()).select_from(OutboxEmail).where(
            OutboxEmail.to_address == mia["mia"].email, OutboxEmail.text_body.contains(task.title)))

    def in_app_about(task) -> int:
        return db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.task_id == task.id))

    before = emails_about(vault_task), emails_about(harbour_task), in_app_about(vault_task)
    for task in (vault_task, harbour_task):
        assert notifications.notify([mia["mia"].id], "assigned", task=task, actor=None, summary=task.title)
    db.session.commit()
    assert (emails_about(vault_task), emails_about(harbour_task)) == (before[0], before[1] + 1)
    assert in_app_about(vault_task) == before[2] + 1  # kept, hidden until two factors are on

    enrolled(mia["mia"], datetime.now(UTC) - timedelta(minutes=5))
    notifications.notify([mia["mia"].id], "assigned", task=vault_task, actor=None, summary=vault_task.title)
    db.session.commit()
    assert emails_about(vault_task) == before[0] + 1


@pytest.mark.parametrize(("requirement", "role", "visible"), [
    ("nobody", "manager", True), ("managers", "member", True), ("managers", "manager", False),
    ("everyone", "member", False),
])
def test_the_rule_follows_the_teams_requirement_and_the_role(app, requirement, role, visible):
    olga, mia = make_user("Olga"), make_user("Mia")
    enrolled(olga, datetime.now(UTC) - timedelta(minutes=5))
    team = make_team(olga, "Vault")
    add_to_team(team, mia, role=role)
    db.session.get(Team, team.team_id).two_factor_required = requirement
    db.session.commit()
    assert (team.team_id in db.session.scalars(two_factor.visible_team_ids(mia)).all()) is visible
    assert db.session.scalars(two_factor.visible_team_ids(olga)).all() == [team.team_id]
