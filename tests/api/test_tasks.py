"""Contract tests for /teams/{id}/tasks and /tasks/{id}: filters, create, read, concurrency, trash."""

from __future__ import annotations

import pytest

from tests.factories import make_task, membership
from tests.support import statements_for

from .conftest import assert_problem


def create(api, team_id, **fields):
    body = {"title": "Add idempotency keys", "category": "server-code", **fields}
    return api.post(f"/teams/{team_id}/tasks", json=body)


def test_create_returns_201_with_location_etag_and_the_task(api, cast):
    r = create(
        api,
        cast["team_id"],
        priority="high",
        labels=["Billing", "q4"],
        estimate_hours=3,
        assignee_id=cast["member"].id,
        description="Use **keys**",
        due_at="2026-12-01",
    )
    assert r.status_code == 201
    task = r.get_json()
    assert r.headers["Location"].endswith(f"/api/v1/tasks/{task['id']}")
    assert r.headers["ETag"] == '"1"' and task["version"] == 1
    assert task["labels"] == ["billing", "q4"] and task["priority"] == "high" and task["status"] == "todo"
    assert task["reporter_id"] == cast["owner"].id and task["spent_hours"] == 0
    assert task["description_html"] == "<p>Use <strong>keys</strong></p>"
    # A date alone is the end of that day where the assignee (Mia, Asia/Tokyo) works.
    assert task["due_at"] == "2026-12-01T14:59:59Z"
    assert task["created_at"].endswith("Z")


def test_date_deadline_without_assignee_uses_the_callers_zone(api, cast):
    task = create(api, cast["team_id"], due_at="2026-07-01").get_json()  # Olga, Europe/Lisbon (UTC+1 in July)
    assert task["due_at"] == "2026-07-01T22:59:59Z"
    task = create(api, cast["team_id"], due_at="2026-07-01T10:00:00+02:00").get_json()
    assert task["due_at"] == "2026-07-01T08:00:00Z"


def test_create_validation_names_the_field(api, cast):
    body = assert_problem(create(api, cast["team_id"], category="nope"), 422, "category")
    assert "nope" in body["errors"]["category"][0]
    assert_problem(create(api, cast["team_id"], title=""), 422, "title")
    assert_problem(create(api, cast["team_id"], status="someday"), 422, "status")
    assert_problem(create(api, cast["team_id"], assignee_id=cast["outsider"].id), 422, "assignee_id")
    assert_problem(create(api, cast["team_id"], estimate_hours="three"), 422, "estimate_hours")
    assert_problem(create(api, cast["team_id"], colour="red"), 422, "colour")
    assert_problem(api.post(f"/teams/{cast['team_id']}/tasks", json={"category": "database"}), 422, "title")


def test_bad_json_is_400_and_wrong_media_type_415(api, cast):
    path = f"/teams/{cast['team_id']}/tasks"
    r = api.post(path, data='{"title": "x",', headers={"Content-Type": "application/json"})
    assert "not valid JSON" in assert_problem(r, 400)["detail"]
    assert_problem(api.post(path, data="", headers={"Content-Type": "application/json"}), 400)
    assert_problem(
        api.post(path, data="title=x", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415
    )
    assert_problem(api.post(path, json=["a list"]), 422, "body")


def test_wrong_team_is_404_for_everything(api, cast):
    other = cast["other_team_id"]
    assert_problem(api.get(f"/teams/{other}/tasks"), 404)
    assert_problem(create(api, other), 404)
    foreign = create(api.as_(cast["outsider_token"]), other).get_json()
    assert_problem(api.get(f"/tasks/{foreign['id']}"), 404)
    assert_problem(api.patch(f"/tasks/{foreign['id']}", json={"title": "mine"}), 404)
    assert_problem(api.delete(f"/tasks/{foreign['id']}"), 404)
    assert_problem(api.get("/tasks/999999"), 404)


def test_filters_sorting_and_paging(api, cast):
    team = cast["team_id"]
    a = create(
        api,
        team,
        title="Rotate keys",
        category="security",
        priority="critical",
        assignee_id=cast["owner"].id,
        due_at="2020-01-01T00:00:00Z",
        labels=["ops"],
    ).get_json()
    b = create(
        api, team, title="Index orders", category="database", priority="low", due_at="2030-01-01T00:00:00Z"
    ).get_json()
    c = create(
        api, team, title="Write docs", category="api-docs", status="done", assignee_id=cast["member"].id
    ).get_json()

    def ids(query):
        r = api.get(f"/teams/{team}/tasks?{query}")
        assert r.status_code == 200, r.get_json()
        return [t["id"] for t in r.get_json()["items"]]

    assert ids("") == [a["id"], b["id"], c["id"]]  # by deadline, none last
    assert ids("sort=-priority") == [b["id"], c["id"], a["id"]]
    assert ids("status=open") == [a["id"], b["id"]]
    assert ids("status=done") == [c["id"]]
    assert ids("category=security") == [a["id"]]
    assert ids("priority=low") == [b["id"]]
    assert ids("assignee=me") == [a["id"]]
    assert ids(f"assignee={cast['member'].id}") == [c["id"]]
    assert ids("assignee=none") == [b["id"]]
    assert ids("label=OPS") == [a["id"]]
    assert ids("overdue=true") == [a["id"]]
    assert ids("due_before=2025-01-01T00:00:00Z") == [a["id"]]
    assert ids("due_after=2025-01-01T00:00:00Z") == [b["id"]]
    assert ids("q=orders") == [b["id"]]
    assert ids(f"q=%23{c['id']}") == [c["id"]]
    page = api.get(f"/teams/{team}/tasks?per_page=2&page=2").get_json()
    assert page["total"] == 3 and page["page"] == 2 and page["per_page"] == 2 and len(page["items"]) == 1
    assert_problem(api.get(f"/teams/{team}/tasks?status=someday"), 422, "status")
    assert_problem(api.get(f"/teams/{team}/tasks?sort=title"), 422, "sort")
    assert_problem(api.get(f"/teams/{team}/tasks?per_page=500"), 422, "per_page")
    assert_problem(api.get(f"/teams/{team}/tasks?due_before=tomorrow"), 422, "due_before")
    assert_problem(api.get(f"/teams/{team}/tasks?assignee=someone"), 422, "assignee")


def test_get_sends_etag_and_patch_changes_only_what_is_sent(api, cast):
    task = create(api, cast["team_id"], priority="high", labels=["a"]).get_json()
    r = api.get(f"/tasks/{task['id']}")
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    r = api.patch(f"/tasks/{task['id']}", json={"status": "in_progress"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    body = r.get_json()
    assert body["status"] == "in_progress" and body["priority"] == "high" and body["labels"] == ["a"]
    r = api.patch(
        f"/tasks/{task['id']}", json={"due_at": "2027-01-01", "assignee_id": cast["manager"].id, "version": 2}
    )
    assert r.status_code == 200 and r.get_json()["version"] == 3
    assert r.get_json()["due_at"] == "2027-01-02T04:59:59Z"  # end of day in New York, the assignee's zone
    r = api.patch(f"/tasks/{task['id']}", json={"due_at": None, "assignee_id": None})
    assert r.get_json()["due_at"] is None and r.get_json()["assignee_id"] is None
    unchanged = api.patch(f"/tasks/{task['id']}", json={"due_at": None})
    assert unchanged.status_code == 200 and unchanged.get_json()["version"] == 4


def test_stale_if_match_is_412_and_changes_nothing(api, cast):
    task = create(api, cast["team_id"]).get_json()
    assert api.patch(f"/tasks/{task['id']}", json={"title": "First"}).status_code == 200
    r = api.patch(f"/tasks/{task['id']}", json={"title": "Second"}, headers={"If-Match": '"1"'})
    body = assert_problem(r, 412)
    assert body["title"] == "Precondition failed"
    assert body["current"]["title"] == "First" and r.headers["ETag"] == '"2"'
    assert api.get(f"/tasks/{task['id']}").get_json()["title"] == "First"
    assert_problem(api.delete(f"/tasks/{task['id']}", headers={"If-Match": '"1"'}), 412)
    assert api.get(f"/tasks/{task['id']}").status_code == 200


def test_stale_version_is_409_with_the_current_task(api, cast):
    task = create(api, cast["team_id"]).get_json()
    manager = api.as_(cast["manager_token"])
    assert (
        manager.patch(f"/tasks/{task['id']}", json={"priority": "critical", "version": 1}).status_code == 200
    )
    r = api.patch(f"/tasks/{task['id']}", json={"priority": "low", "version": 1})
    body = assert_problem(r, 409)
    assert body["current"]["priority"] == "critical" and body["current"]["version"] == 2
    assert api.get(f"/tasks/{task['id']}").get_json()["priority"] == "critical"


def test_patch_validation_names_the_field(api, cast):
    task = create(api, cast["team_id"]).get_json()
    assert_problem(api.patch(f"/tasks/{task['id']}", json={"title": None}), 422, "title")
    assert_problem(api.patch(f"/tasks/{task['id']}", json={"blocked_by": [task["id"]]}), 422, "blocked_by")
    assert_problem(
        api.patch(f"/tasks/{task['id']}", json={"start_at": "2027-01-02", "due_at": "2027-01-01"}),
        422,
        "start_at",
    )
    assert_problem(api.patch(f"/tasks/{task['id']}", json={"id": 5}), 422, "id")


def test_delete_moves_to_trash_and_a_manager_restores(api, cast):
    task = create(api, cast["team_id"]).get_json()
    member = api.as_(cast["member_token"])
    r = member.delete(f"/tasks/{task['id']}")
    assert r.status_code == 204 and r.get_data() == b""
    assert_problem(api.get(f"/tasks/{task['id']}"), 404)
    assert api.get(f"/teams/{cast['team_id']}/tasks").get_json()["total"] == 0
    assert_problem(member.post(f"/tasks/{task['id']}/restore"), 403)
    r = api.post(f"/tasks/{task['id']}/restore")
    assert r.status_code == 200 and r.get_json()["id"] == task["id"] and "ETag" in r.headers
    assert api.get(f"/tasks/{task['id']}").status_code == 200
    assert_problem(api.post(f"/tasks/{task['id']}/restore"), 422, "task")


def test_list_loads_in_a_fixed_number_of_queries(app, api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    for i in range(3):
        make_task(owner, f"Task {i}", labels=["x"])
    listing = f"/teams/{cast['team_id']}/tasks"
    statements_for(api.get, listing)  # the token's first use records it; later ones within the minute do not
    few = statements_for(api.get, listing)
    for i in range(10):
        make_task(owner, f"More {i}", labels=["y"], blocked_by=[1])
    assert statements_for(api.get, listing) == few


@pytest.mark.parametrize(
    "due", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "9999-12-31", "1999-12-30T12:00:00Z"]
)
def test_deadlines_outside_the_century_are_refused_not_a_500(api, cast, due):
    assert_problem(create(api, cast["team_id"], due_at=due), 422, "due_at")
    assert_problem(create(api, cast["team_id"], start_at=due), 422, "start_at")


def test_extreme_filter_instants_are_a_422_not_a_500(api, cast):
    team = cast["team_id"]
    assert_problem(api.get(f"/teams/{team}/tasks?due_before=0001-01-01T00:00:00%2B01:00"), 422, "due_before")
    assert_problem(api.get(f"/teams/{team}/tasks?due_after=9999-12-31T23:59:59-05:00"), 422, "due_after")
    assert api.get(f"/teams/{team}/tasks?due_after=2000-01-01T00:00:00-05:00").status_code == 200


def test_nul_characters_are_a_problem_and_store_nothing(api, cast):
    team = cast["team_id"]
    r = create(api, team, title="split\x00title")
    assert r.status_code in (400, 422) and r.content_type == "application/problem+json"
    r = api.get(f"/teams/{team}/tasks?q=a%00b")
    assert r.status_code in (400, 422) and r.content_type == "application/problem+json"
    assert api.get(f"/teams/{team}/tasks").get_json()["total"] == 0


def test_a_body_over_a_megabyte_is_413(api, cast):
    r = create(api, cast["team_id"], description="x" * 1_100_000)
    assert_problem(r, 413)
