"""In-app notifications: each kind, who gets them, per-kind preferences, the unread count and marking
read (the scheduled reminders are in tests/test_reminders.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.factories import add_to_team, login, make_task, make_user
from tracker import comments, notifications, tasks, watchers
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import Notification, TeamMembership, utcnow


def kinds(user):
    return [
        n.kind
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def test_assigning_someone_else_notifies_them_but_not_yourself(crew):
    make_task(crew["owner_m"], "Mine", assignee_id=crew["owner"].id)
    assert kinds(crew["owner"]) == []
    task = make_task(crew["owner_m"], "Yours", assignee_id=crew["member"].id)
    assert kinds(crew["member"]) == ["assigned"]
    tasks.update_task(crew["owner_m"], task, {"assignee_id": crew["manager"].id})
    assert kinds(crew["manager"]) == ["assigned"]
    note = db.session.scalar(select(Notification).where(Notification.user_id == crew["manager"].id))
    assert note.summary == f"Olga assigned you #{task.id} Yours" and note.actor_id == crew["owner"].id


def test_watchers_hear_of_status_and_deadline_changes_but_not_the_actor(crew):
    task = make_task(crew["owner_m"], "Cache", assignee_id=crew["member"].id)
    watchers.watch(crew["manager_m"], task)
    tasks.update_task(crew["member_m"], task, {"status": "in_progress"})
    tasks.update_task(crew["member_m"], task, {"due_at": datetime(2026, 12, 24, tzinfo=UTC)})
    tasks.update_task(crew["member_m"], task, {"title": "Cache (v2)"})  # neither kind: no notification
    assert kinds(crew["owner"]) == ["status_changed", "deadline_changed"]
    assert kinds(crew["manager"]) == ["status_changed", "deadline_changed"]
    assert kinds(crew["member"]) == ["assigned"]
    summaries = [
        n.summary
        for n in db.session.scalars(select(Notification).where(Notification.user_id == crew["owner"].id))
    ]
    assert summaries[0] == f"Mia moved #{task.id} Cache from todo to in progress"


def test_a_member_who_left_the_team_is_not_notified(crew):
    task = make_task(crew["owner_m"], "Audit", assignee_id=crew["member"].id)
    db.session.delete(db.session.get(TeamMembership, crew["member_m"].id))
    db.session.commit()
    tasks.update_task(crew["owner_m"], task, {"status": "blocked"})
    assert kinds(crew["member"]) == ["assigned"]


def test_preferences_none_and_email_only_keep_the_in_app_list_empty(crew):
    notifications.set_preferences(crew["member"], {"assigned": "none", "mentioned": "email"})
    task = make_task(crew["owner_m"], "Quiet", assignee_id=crew["member"].id)
    comments.add_comment(crew["owner_m"], task, "@Mia ping")
    assert kinds(crew["member"]) == []
    assert notifications.preferences(crew["member"])["assigned"] == "none"
    with pytest.raises(Invalid) as exc:
        notifications.set_preferences(
            crew["member"], {"assigned": "pigeon", "nope": "both", "digest": "in_app"}
        )
    assert set(exc.value.errors) == {"assigned", "nope", "digest"}
    assert notifications.preferences(crew["member"])["assigned"] == "none"  # nothing half-written


def test_settings_page_saves_each_kind(client, crew):
    login(client, crew["member"])
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert 'name="status_changed"' in page and 'name="digest"' in page
    r = client.post(
        "/settings/notifications", data={"status_changed": "none", "commented": "both", "digest": "none"}
    )
    assert r.status_code == 302
    prefs = notifications.preferences(crew["member"])
    assert (prefs["status_changed"], prefs["commented"], prefs["digest"], prefs["assigned"]) == (
        "none",
        "both",
        "none",
        "both",
    )
    r = client.post("/settings/notifications", data={"commented": "carrier-pigeon"})
    assert r.status_code == 422 and "Choose one of: in_app, email, both, none." in r.get_data(as_text=True)
    assert "settings/notifications" in client.get("/settings").get_data(as_text=True)


def test_unread_count_in_the_navigation_and_marking_read(client, crew):
    a = make_task(crew["owner_m"], "A", assignee_id=crew["member"].id)
    make_task(crew["owner_m"], "B", assignee_id=crew["member"].id)
    make_task(crew["owner_m"], "C", assignee_id=crew["manager"].id)
    login(client, crew["member"])
    page = client.get("/teams").get_data(as_text=True)
    assert '<span class="unread-count" aria-label="2 unread">2</span>' in page
    listing = client.get("/notifications").get_data(as_text=True)
    assert f"Olga assigned you #{a.id} A" in listing and "assigned you #3" not in listing
    first = db.session.scalar(
        select(Notification).where(Notification.user_id == crew["member"].id).order_by(Notification.id)
    )
    r = client.post("/notifications/read", data={"id": first.id, "next": f"/tasks/{a.id}"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tasks/{a.id}")
    assert '<span class="unread-count" aria-label="1 unread">1</span>' in client.get("/teams").get_data(
        as_text=True
    )
    # Someone else's notification id is ignored.
    theirs = db.session.scalar(select(Notification).where(Notification.user_id == crew["manager"].id))
    client.post("/notifications/read", data={"id": theirs.id})
    db.session.refresh(theirs)
    assert theirs.read_at is None
    client.post("/notifications/read")
    assert 'class="unread-count"' not in client.get("/teams").get_data(as_text=True)
    assert "No unread notifications." in client.get("/notifications?unread=1").get_data(as_text=True)


def test_notification_times_show_in_each_readers_zone(client, crew):
    task = make_task(crew["owner_m"], "Zones", assignee_id=crew["member"].id)
    tasks.update_task(crew["member_m"], task, {"status": "done"})
    for n in db.session.scalars(select(Notification)):
        n.created_at = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
    db.session.commit()
    login(client, crew["member"])  # Tokyo, UTC+9: the next day
    assert "Fri 16 Jan 2026 08:30" in client.get("/notifications").get_data(as_text=True)
    client.post("/logout")
    login(client, crew["owner"])  # Lisbon, UTC+0 in January
    assert "Thu 15 Jan 2026 23:30" in client.get("/notifications").get_data(as_text=True)


def test_someone_elses_notification_page_is_their_own(client, crew):
    make_task(crew["owner_m"], "Private", assignee_id=crew["member"].id)
    other = make_user("Nia")
    add_to_team(crew["owner_m"], other)
    login(client, other)
    assert "Private" not in client.get("/notifications").get_data(as_text=True)


def test_mark_read_api_function_counts_only_own(crew):
    make_task(crew["owner_m"], "X", assignee_id=crew["member"].id)
    ids = db.session.scalars(select(Notification.id)).all()
    assert notifications.mark_read(crew["manager"], ids) == 0
    assert notifications.mark_read(crew["member"], ids, now=utcnow()) == 1
    assert notifications.unread_count(crew["member"]) == 0
