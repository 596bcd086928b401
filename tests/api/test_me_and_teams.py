"""Contract tests for /me, /teams and /teams/{id}/members."""

from __future__ import annotations

from tests.factories import add_to_team, make_team, make_user, membership
from tests.support import statements_for

from .conftest import assert_problem


def test_me_shows_the_caller_and_schedule(api, cast):
    r = api.get("/me")
    assert r.status_code == 200
    me = r.get_json()
    assert me["email"] == cast["owner"].email and me["timezone"] == "Europe/Lisbon"
    assert me["work_days"] == [1, 2, 3, 4, 5] and me["work_start"] == "09:00" and me["work_end"] == "17:00"
    assert me["capacity_hours_per_week"] == 40


def test_patch_me_changes_profile_and_names_bad_fields(api):
    r = api.patch(
        "/me",
        json={
            "name": "Olga K",
            "timezone": "Asia/Kolkata",
            "work_days": [1, 2, 3],
            "work_start": "10:00",
            "work_end": "16:30",
        },
    )
    assert r.status_code == 200
    me = r.get_json()
    assert me["name"] == "Olga K" and me["timezone"] == "Asia/Kolkata" and me["work_days"] == [1, 2, 3]
    assert me["capacity_hours_per_week"] == 19.5
    assert_problem(api.patch("/me", json={"timezone": "Mars/Olympus"}), 422, "timezone")
    assert_problem(api.patch("/me", json={"work_start": "18:00"}), 422, "work_end")
    assert_problem(api.patch("/me", json={"work_start": "9am"}), 422, "work_start")
    assert_problem(api.patch("/me", json={"work_days": [0, 8]}), 422, "work_days")
    assert_problem(api.patch("/me", json={"email": "x@example.com"}), 422, "email")
    assert api.get("/me").get_json()["name"] == "Olga K"


def test_teams_list_create_read_patch(api, cast):
    r = api.get("/teams")
    assert r.status_code == 200
    listing = r.get_json()
    assert listing["total"] == 1 and listing["page"] == 1 and listing["per_page"] == 50
    team = listing["items"][0]
    assert team["role"] == "owner" and team["urgency_window_hours"] == 72
    assert [c["slug"] for c in team["categories"]][:3] == ["architecture", "server-code", "database"]

    r = api.post("/teams", json={"name": "Payments"})
    assert r.status_code == 201
    created = r.get_json()
    assert created["slug"] == "payments" and created["role"] == "owner"
    assert r.headers["Location"].endswith(f"/api/v1/teams/{created['id']}")
    assert api.get(f"/teams/{created['id']}").get_json()["name"] == "Payments"
    assert_problem(api.post("/teams", json={"name": " "}), 422, "name")
    assert_problem(api.post("/teams", json={"name": "X", "slug": "Not A Slug"}), 422, "slug")

    r = api.patch(f"/teams/{cast['team_id']}", json={"name": "Platform", "urgency_window_hours": 48})
    assert (
        r.status_code == 200
        and r.get_json()["name"] == "Platform"
        and r.get_json()["urgency_window_hours"] == 48
    )
    assert_problem(
        api.patch(f"/teams/{cast['team_id']}", json={"urgency_window_hours": 0}), 422, "urgency_window_hours"
    )
    assert_problem(
        api.patch(f"/teams/{cast['team_id']}", json={"urgency_window_hours": "soon"}),
        422,
        "urgency_window_hours",
    )


def test_team_permissions(api, cast):
    member = api.as_(cast["member_token"])
    assert member.get(f"/teams/{cast['team_id']}").get_json()["role"] == "member"
    assert_problem(member.patch(f"/teams/{cast['team_id']}", json={"name": "Mine"}), 403)
    assert_problem(api.get(f"/teams/{cast['other_team_id']}"), 404)
    assert_problem(api.patch(f"/teams/{cast['other_team_id']}", json={"name": "Mine"}), 404)
    assert_problem(api.get("/teams/2147483647"), 404)
    assert (
        api.client.get(
            "/api/v1/teams/99999999999", headers={"Authorization": f"Bearer {api.token}"}
        ).status_code
        == 404
    )


def test_members_list_change_remove(api, cast):
    team = cast["team_id"]
    r = api.get(f"/teams/{team}/members")
    assert r.status_code == 200
    assert sorted(m["role"] for m in r.get_json()["items"]) == ["manager", "member", "owner"]

    newcomer = make_user("Nia", email="nia@example.com")
    add_to_team(membership(team, cast["owner"]), newcomer, "manager")  # people join by invitation
    assert api.get(f"/teams/{team}/members/{newcomer.id}").get_json()["email"] == "nia@example.com"

    r = api.patch(f"/teams/{team}/members/{newcomer.id}", json={"role": "member"})
    assert r.status_code == 200 and r.get_json()["role"] == "member"
    assert api.delete(f"/teams/{team}/members/{newcomer.id}").status_code == 204
    assert_problem(api.get(f"/teams/{team}/members/{newcomer.id}"), 404)


def test_member_permissions(api, cast):
    team = cast["team_id"]
    member = api.as_(cast["member_token"])
    manager = api.as_(cast["manager_token"])
    assert_problem(member.post(f"/teams/{team}/invitations", json={"email": "zed@example.com"}), 403)
    assert_problem(
        manager.post(f"/teams/{team}/invitations", json={"email": "zed@example.com", "role": "owner"}), 403
    )
    assert_problem(member.patch(f"/teams/{team}/members/{cast['manager'].id}", json={"role": "member"}), 403)
    assert_problem(manager.delete(f"/teams/{team}/members/{cast['owner'].id}"), 403)
    assert_problem(
        api.delete(f"/teams/{team}/members/{cast['owner'].id}"), 422, "team"
    )  # the last owner stays
    assert_problem(api.get(f"/teams/{cast['other_team_id']}/members"), 404)
    assert_problem(
        api.post(f"/teams/{cast['other_team_id']}/invitations", json={"email": "zed@example.com"}), 404
    )
    assert member.delete(f"/teams/{team}/members/{cast['member'].id}").status_code == 204  # leaving
    assert_problem(member.get(f"/teams/{team}"), 404)


def test_team_list_loads_in_a_fixed_number_of_queries(api, cast):
    statements_for(api.get, "/teams")  # the token's first use records it
    few = statements_for(api.get, "/teams")
    for i in range(5):
        make_team(cast["owner"], f"Team {i}")
    assert statements_for(api.get, "/teams") == few
    assert api.get("/teams").get_json()["total"] == 6
