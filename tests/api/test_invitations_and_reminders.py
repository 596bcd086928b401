"""Contract tests for invitations (/teams/{id}/invitations, /invitations), reminders (/me/reminders) and a
task's `recurrence`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.factories import make_user
from tracker.extensions import db
from tracker.models import Task

from .conftest import assert_problem, token_for

NEXT_YEAR = date.today().year + 1


def invite(api, team: int, email: str, role: str = "member") -> dict:
    response = api.post(f"/teams/{team}/invitations", json={"email": email, "role": role})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def test_the_answer_to_an_invitation_is_the_same_with_or_without_an_account(api, cast):
    make_user("Ana", email="ana@example.com")
    known = invite(api, cast["team_id"], "ana@example.com")
    unknown = invite(api, cast["team_id"], "nobody@example.com")
    varying = {"id", "email", "accept_url", "created_at", "expires_at"}
    assert {k: v for k, v in known.items() if k not in varying} == \
        {k: v for k, v in unknown.items() if k not in varying}
    assert unknown["email"] == "nobody@example.com" and unknown["accepted_at"] is None
    assert "/invitations/" in unknown["accept_url"]


def test_the_invited_person_accepts_once_and_nobody_else_can(api, cast):
    invitation = invite(api, cast["team_id"], " Nia@Example.com", "manager")
    token = invitation["accept_url"].rsplit("/", 1)[1]
    listed = api.get(f"/teams/{cast['team_id']}/invitations").get_json()
    assert [(i["id"], i["accept_url"]) for i in listed["items"]] == [(invitation["id"], None)]
    assert_problem(api.as_(cast["outsider_token"]).post("/invitations/accept", json={"token": token}), 404)
    nia = api.as_(token_for(make_user("Nia", email="nia@example.com")))
    r = nia.post("/invitations/accept", json={"token": token})
    assert r.status_code == 200
    assert (r.get_json()["id"], r.get_json()["role"]) == (cast["team_id"], "manager")
    assert_problem(nia.post("/invitations/accept", json={"token": token}), 404)
    assert api.get(f"/teams/{cast['team_id']}/invitations").get_json()["items"] == []
    assert_problem(nia.post("/invitations/accept", json={"token": "x" * 101}), 422, "token")


def test_pending_invitations_are_for_managers_and_revocable(api, cast):
    team = cast["team_id"]
    invitation = invite(api, team, "zed@example.com")
    member, manager = api.as_(cast["member_token"]), api.as_(cast["manager_token"])
    assert_problem(member.get(f"/teams/{team}/invitations"), 403)
    assert_problem(member.delete(f"/invitations/{invitation['id']}"), 403)
    assert_problem(api.as_(cast["outsider_token"]).delete(f"/invitations/{invitation['id']}"), 404)
    assert manager.delete(f"/invitations/{invitation['id']}").status_code == 204
    assert_problem(manager.delete(f"/invitations/{invitation['id']}"), 404)
    zed = api.as_(token_for(make_user("Zed", email="zed@example.com")))
    token = invitation["accept_url"].rsplit("/", 1)[1]
    assert_problem(zed.post("/invitations/accept", json={"token": token}), 404)


def test_bad_invitations_are_refused_by_field(api, cast):
    team = cast["team_id"]
    assert_problem(api.post(f"/teams/{team}/invitations", json={"email": "not an address"}), 422, "email")
    assert_problem(api.post(f"/teams/{team}/invitations", json={"email": "x@example.com", "role": "boss"}),
                   422, "role")
    assert_problem(api.post(f"/teams/{team}/invitations", json={"email": cast["member"].email}), 422, "email")


def test_reminder_lead_times(api):
    assert api.get("/me/reminders").get_json() == {
        "lead_times": [{"amount": 24, "unit": "hours", "working": False}]}
    chosen = {"lead_times": [{"amount": 3, "unit": "days"}, {"amount": 2, "unit": "hours", "working": True}]}
    r = api.request("PUT", "/me/reminders", json=chosen)
    assert r.status_code == 200
    assert r.get_json()["lead_times"] == [{"amount": 2, "unit": "hours", "working": True},
                                          {"amount": 3, "unit": "days", "working": False}]
    for bad in ({"lead_times": []}, {"lead_times": [{"amount": 31, "unit": "days"}]},
                {"lead_times": [{"amount": 2, "unit": "weeks"}]}, {"lead_times": [{"amount": 0}]}):
        assert_problem(api.request("PUT", "/me/reminders", json=bad), 422, "lead_times")
    assert len(api.get("/me/reminders").get_json()["lead_times"]) == 2


def test_a_recurring_task_through_the_api(api, cast):
    r = api.post(f"/teams/{cast['team_id']}/tasks", json={
        "title": "Renew certificates", "category": "security", "due_at": f"{NEXT_YEAR}-01-31",
        "recurrence": "rrule:freq=monthly;bymonthday=-1", "assignee_id": cast["member"].id})
    assert r.status_code == 201
    task = r.get_json()
    assert task["recurrence"] == "FREQ=MONTHLY;BYMONTHDAY=-1"
    assert api.patch(f"/tasks/{task['id']}", json={"status": "done"}).status_code == 200
    following = db.session.scalar(select(Task).where(Task.id != task["id"]))
    shown = api.get(f"/tasks/{following.id}").get_json()
    # The last day of February, at the end of the day in Tokyo (Mia's zone): 14:59:59 UTC.
    assert shown["due_at"] == f"{NEXT_YEAR}-02-{28 + (NEXT_YEAR % 4 == 0)}T14:59:59Z"
    assert shown["recurrence"] == "FREQ=MONTHLY;BYMONTHDAY=-1" and shown["status"] == "todo"
    assert api.patch(f"/tasks/{following.id}", json={"recurrence": None}).get_json()["recurrence"] is None
    assert_problem(api.patch(f"/tasks/{following.id}", json={"recurrence": "FREQ=SECONDLY"}), 422, "recurrence")
    assert_problem(api.patch(f"/tasks/{following.id}", json={"recurrence": "FREQ=DAILY", "due_at": None}),
                   422, "recurrence")
