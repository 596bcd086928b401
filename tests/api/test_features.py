"""Contract tests for features (/teams/{id}/features, /features/{id}) and checklists
(/tasks/{id}/checklist, /checklist-items/{id}): coverage, shipping rules, filling the gaps, roles."""

from __future__ import annotations

import pytest

from tests.support import statements_for

from .conftest import assert_problem


def create_feature(api, team_id, **fields):
    return api.post(f"/teams/{team_id}/features", json={"title": "Refunds endpoint", **fields})


def create_task(api, team_id, category, feature_id, **fields):
    body = {"title": f"{category} work", "category": category, "feature_id": feature_id, **fields}
    response = api.post(f"/teams/{team_id}/tasks", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_returns_the_feature_with_the_definition_of_done_and_its_coverage(api, cast):
    r = create_feature(api, cast["team_id"], target_date="2030-05-03", description="Money *back*")
    assert r.status_code == 201
    feature = r.get_json()
    assert r.headers["Location"].endswith(f"/api/v1/features/{feature['id']}") and r.headers["ETag"] == '"1"'
    assert feature["required_categories"] == ["server-code", "api-docs", "testing", "security"]
    assert feature["missing"] == feature["required_categories"] and feature["task_ids"] == []
    assert feature["coverage"]["security"] == {"required": True, "tasks": 0, "done": 0}
    assert feature["state"] == "planned" and feature["owner_id"] == cast["owner"].id
    assert feature["target_date"] == "2030-05-03"
    assert feature["description_html"] == "<p>Money <em>back</em></p>"
    assert feature["complete"] is False and feature["at_risk"] is False
    assert api.get(f"/features/{feature['id']}").get_json() == feature


def test_create_validation_names_the_field(api, cast):
    team = cast["team_id"]
    assert_problem(create_feature(api, team, title=""), 422, "title")
    assert_problem(create_feature(api, team, required_categories=["nope"]), 422, "required_categories")
    assert_problem(create_feature(api, team, owner_id=cast["outsider"].id), 422, "owner_id")
    assert_problem(create_feature(api, team, target_date="1999-01-01"), 422, "target_date")
    assert_problem(create_feature(api, team, target_date="soon"), 422, "target_date")
    assert_problem(create_feature(api, team, state="shipped"), 422, "state")
    assert_problem(create_feature(api, team, colour="red"), 422, "colour")
    assert api.get(f"/teams/{team}/features").get_json()["total"] == 0


def test_coverage_follows_the_tasks_and_the_feature_ships_when_done(api, cast):
    team = cast["team_id"]
    feature = create_feature(api, team, required_categories=["server-code", "security"]).get_json()
    code = create_task(api, team, "server-code", feature["id"], status="done")
    review = create_task(api, team, "security", feature["id"])
    extra = create_task(api, team, "api-docs", feature["id"], status="done")
    trashed = create_task(api, team, "security", feature["id"])
    assert api.delete(f"/tasks/{trashed['id']}").status_code == 204
    got = api.get(f"/features/{feature['id']}").get_json()
    assert got["task_ids"] == [code["id"], review["id"], extra["id"]] and got["missing"] == []
    assert got["coverage"] == {
        "server-code": {"required": True, "tasks": 1, "done": 1},
        "api-docs": {"required": False, "tasks": 1, "done": 1},
        "security": {"required": True, "tasks": 1, "done": 0},
    }
    refused = assert_problem(api.patch(f"/features/{feature['id']}", json={"state": "shipped"}), 409)
    assert f"#{review['id']}" in refused["detail"] and refused["current"]["id"] == feature["id"]
    assert api.patch(f"/tasks/{review['id']}", json={"status": "done"}).status_code == 200
    member = api.as_(cast["member_token"])
    shipped = member.patch(f"/features/{feature['id']}", json={"state": "shipped"}).get_json()
    assert shipped["state"] == "shipped" and shipped["complete"] and shipped["ship_reason"] is None
    assert shipped["shipped_at"].endswith("Z")


def test_only_a_manager_ships_anyway_and_the_reason_is_kept(api, cast):
    feature = create_feature(api, cast["team_id"]).get_json()
    path = f"/features/{feature['id']}"
    member = api.as_(cast["member_token"])
    assert_problem(member.patch(path, json={"state": "shipped", "ship_reason": "Demo"}), 403)
    manager = api.as_(cast["manager_token"])
    shipped = manager.patch(path, json={"state": "shipped", "ship_reason": "Demo for a customer"}).get_json()
    assert shipped["state"] == "shipped" and shipped["ship_reason"] == "Demo for a customer"
    assert shipped["missing"] == ["server-code", "api-docs", "testing", "security"]
    assert_problem(api.patch(path, json={"ship_reason": "Changed my mind"}), 422, "ship_reason")


def test_concurrency_with_version_and_if_match(api, cast):
    feature = create_feature(api, cast["team_id"]).get_json()
    path = f"/features/{feature['id']}"
    assert api.patch(path, json={"title": "Refunds v2", "version": 1}).get_json()["version"] == 2
    stale = assert_problem(api.patch(path, json={"title": "Mine", "version": 1}), 409)
    assert stale["current"]["title"] == "Refunds v2" and stale["current"]["version"] == 2
    assert_problem(api.patch(path, json={"title": "Mine"}, headers={"If-Match": '"1"'}), 412)
    assert_problem(api.delete(path, headers={"If-Match": '"1"'}), 412)
    assert api.get(path).get_json()["title"] == "Refunds v2"


def test_delete_needs_a_manager_and_keeps_the_tasks(api, cast):
    feature = create_feature(api, cast["team_id"]).get_json()
    task = create_task(api, cast["team_id"], "testing", feature["id"])
    assert_problem(api.as_(cast["member_token"]).delete(f"/features/{feature['id']}"), 403)
    assert api.as_(cast["manager_token"]).delete(f"/features/{feature['id']}").status_code == 204
    assert_problem(api.get(f"/features/{feature['id']}"), 404)
    assert api.get(f"/tasks/{task['id']}").get_json()["feature_id"] is None


def test_another_teams_feature_is_404_and_cannot_be_joined(api, cast):
    feature = create_feature(api, cast["team_id"]).get_json()
    outsider = api.as_(cast["outsider_token"])
    for response in (outsider.get(f"/features/{feature['id']}"),
                     outsider.patch(f"/features/{feature['id']}", json={"title": "Mine"}),
                     outsider.delete(f"/features/{feature['id']}"),
                     outsider.post(f"/features/{feature['id']}/fill-gaps"),
                     outsider.get(f"/teams/{cast['team_id']}/features")):
        assert_problem(response, 404)
    body = {"title": "Planted", "category": "database", "feature_id": feature["id"]}
    assert_problem(outsider.post(f"/teams/{cast['other_team_id']}/tasks", json=body), 422, "feature_id")


def test_fill_gaps_creates_the_missing_tasks_with_checklists(api, cast):
    team = cast["team_id"]
    feature = create_feature(api, team, target_date="2030-05-03").get_json()
    create_task(api, team, "server-code", feature["id"])
    filled = api.post(f"/features/{feature['id']}/fill-gaps").get_json()
    created = filled["created"]
    assert [t["category"] for t in created] == ["testing", "security", "api-docs"]  # the order of the work
    security = created[1]
    assert security["title"] == "Security review: Refunds endpoint"
    assert security["feature_id"] == feature["id"]
    assert [i["text"] for i in security["checklist"]][:2] == ["Authentication", "Authorisation per object"]
    due = [t["due_at"] for t in created]
    assert due == sorted(set(due)) and due[-1] < "2030-05-04"  # each after the one before, by the target
    assert [t["estimate_hours"] for t in created] == [8.0, 4.0, 3.0]
    assert filled["at_risk"] is False and filled["reason"] is None
    assert api.get(f"/features/{feature['id']}").get_json()["missing"] == []
    assert api.post(f"/features/{feature['id']}/fill-gaps").get_json()["created"] == []
    past = create_feature(api, cast["team_id"], title="Too late", target_date="2020-05-04").get_json()
    refused = assert_problem(api.post(f"/features/{past['id']}/fill-gaps"), 422, "target_date")
    assert "move the target date" in refused["errors"]["target_date"][0]
    assert api.get(f"/features/{past['id']}").get_json()["task_ids"] == []


def test_list_filters_by_state_pages_and_costs_the_same_whatever_the_number(api, cast):
    team = cast["team_id"]
    first = create_feature(api, team, target_date="2030-06-01").get_json()
    create_feature(api, team, title="Undated")
    early = create_feature(api, team, title="Early", target_date="2030-01-01", state="active").get_json()
    create_task(api, team, "testing", first["id"])
    listed = api.get(f"/teams/{team}/features").get_json()
    assert [f["title"] for f in listed["items"]] == ["Early", "Refunds endpoint", "Undated"]
    active = api.get(f"/teams/{team}/features?state=active").get_json()["items"]
    assert [f["id"] for f in active] == [early["id"]]
    page = api.get(f"/teams/{team}/features?per_page=1&page=2").get_json()
    assert (page["total"], page["page"], [f["id"] for f in page["items"]]) == (3, 2, [first["id"]])
    assert_problem(api.get(f"/teams/{team}/features?state=someday"), 422, "state")
    listing = f"/teams/{team}/features"
    statements_for(api.get, listing)
    few = statements_for(api.get, listing)
    for i in range(4):
        feature = create_feature(api, team, title=f"More {i}").get_json()
        create_task(api, team, "security", feature["id"])
    assert statements_for(api.get, listing) == few


def test_tasks_filter_by_feature(api, cast):
    team = cast["team_id"]
    feature = create_feature(api, team).get_json()
    inside = create_task(api, team, "testing", feature["id"])
    outside = create_task(api, team, "testing", None)
    ids = lambda query: [t["id"] for t in api.get(f"/teams/{team}/tasks?{query}").get_json()["items"]]  # noqa: E731
    assert ids(f"feature={feature['id']}") == [inside["id"]]
    assert ids("feature=none") == [outside["id"]]
    assert_problem(api.get(f"/teams/{team}/tasks?feature=abc"), 422, "feature")


# Checklists -----------------------------------------------------------------------------------------------


@pytest.fixture
def task(api, cast):
    return create_task(api, cast["team_id"], "security", None)


def test_checklist_items_through_the_api(api, cast, task):
    member = api.as_(cast["member_token"])
    path = f"/tasks/{task['id']}/checklist"
    items = [member.post(path, json={"text": t}).get_json() for t in ("A", "B", "C")]
    assert [(i["text"], i["position"], i["done"]) for i in items] == [("A", 0, False), ("B", 1, False),
                                                                     ("C", 2, False)]
    assert member.patch(f"/checklist-items/{items[0]['id']}", json={"done": True}).get_json()["done"] is True
    moved = member.patch(f"/checklist-items/{items[2]['id']}", json={"position": 0, "text": "C first"})
    assert moved.get_json()["position"] == 0
    listed = api.get(f"/tasks/{task['id']}").get_json()["checklist"]
    assert [(i["text"], i["done"]) for i in listed] == [("C first", False), ("A", True), ("B", False)]
    promoted = member.post(f"/checklist-items/{items[1]['id']}/promote")
    assert promoted.status_code == 201 and promoted.get_json()["title"] == "B"
    assert promoted.headers["Location"].endswith(f"/api/v1/tasks/{promoted.get_json()['id']}")
    assert member.delete(f"/checklist-items/{items[0]['id']}").status_code == 204
    assert [i["text"] for i in api.get(f"/tasks/{task['id']}").get_json()["checklist"]] == ["C first"]


def test_checklist_changes_are_versioned_changes_of_the_task(api, cast, task):
    path = f"/tasks/{task['id']}/checklist"
    added = api.post(path, json={"text": "Auth", "version": task["version"]})
    assert added.status_code == 201 and added.headers["ETag"] == f'"{task["version"] + 1}"'
    item = added.get_json()
    stale = task["version"]
    conflict = assert_problem(api.post(path, json={"text": "More", "version": stale}), 409)
    assert conflict["current"]["version"] == stale + 1
    assert_problem(api.patch(f"/checklist-items/{item['id']}", json={"done": True, "version": stale}), 409)
    one = f"/checklist-items/{item['id']}"
    for method, url in (("patch", one), ("delete", one),
                        ("post", f"/checklist-items/{item['id']}/promote"), ("post", path)):
        body = {"done": True} if method == "patch" else {"text": "More"} if url == path else None
        refused = getattr(api, method)(url, json=body, headers={"If-Match": f'"{stale}"'})
        assert_problem(refused, 412)
    ticked = api.patch(f"/checklist-items/{item['id']}", json={"done": True, "version": stale + 1},
                       headers={"If-Match": f'"{stale + 1}"'})
    assert ticked.status_code == 200 and ticked.headers["ETag"] == f'"{stale + 2}"'
    shown = api.get(f"/tasks/{task['id']}").get_json()
    assert shown["version"] == stale + 2 and [(i["text"], i["done"]) for i in shown["checklist"]] == [
        ("Auth", True)]
    history = api.get(f"/tasks/{task['id']}/activity").get_json()
    entries = history["items"] if isinstance(history, dict) else history
    assert [e["field"] for e in entries if e["kind"] == "changed"] == ["checklist", "checklist"]


def test_checklist_input_and_other_teams_items(api, cast, task):
    path = f"/tasks/{task['id']}/checklist"
    assert_problem(api.post(path, json={"text": ""}), 422, "text")
    assert_problem(api.post(path, json={"text": "x" * 501}), 422, "text")
    item = api.post(path, json={"text": "Keep"}).get_json()
    assert_problem(api.patch(f"/checklist-items/{item['id']}", json={"done": "yes"}), 422, "done")
    assert_problem(api.patch(f"/checklist-items/{item['id']}", json={"position": -1}), 422, "position")
    assert_problem(api.patch(f"/checklist-items/{item['id']}", json={"text": None}), 422, "text")
    outsider = api.as_(cast["outsider_token"])
    assert_problem(outsider.post(path, json={"text": "Planted"}), 404)
    assert_problem(outsider.patch(f"/checklist-items/{item['id']}", json={"done": True}), 404)
    assert_problem(outsider.delete(f"/checklist-items/{item['id']}"), 404)
    assert_problem(outsider.post(f"/checklist-items/{item['id']}/promote"), 404)
    assert [i["text"] for i in api.get(f"/tasks/{task['id']}").get_json()["checklist"]] == ["Keep"]


# The definition of done and the templates ------------------------------------------------------------------


def test_the_definition_of_done_is_read_by_members_and_set_by_managers(api, cast):
    team = cast["team_id"]
    member, manager = api.as_(cast["member_token"]), api.as_(cast["manager_token"])
    path = f"/teams/{team}/definition-of-done"
    assert member.get(path).get_json() == {"categories": ["server-code", "api-docs", "testing", "security"]}
    assert_problem(member.put(path, json={"categories": ["testing"]}), 403)
    assert_problem(api.as_(cast["outsider_token"]).get(path), 404)
    assert_problem(api.as_(cast["outsider_token"]).put(path, json={"categories": ["testing"]}), 404)
    for bad in ({"categories": []}, {"categories": ["nonsense"]}, {"categories": "testing"},
                {"categories": ["testing"], "extra": 1}, {}):
        assert_problem(manager.put(path, json=bad), 422)
    assert member.get(path).get_json()["categories"] == ["server-code", "api-docs", "testing", "security"]
    saved = manager.put(path, json={"categories": ["security", "database", "server-code"]})
    assert saved.status_code == 200 and saved.get_json() == {"categories": ["server-code", "database",
                                                                            "security"]}
    created = create_feature(member, team).get_json()
    assert created["required_categories"] == ["server-code", "database", "security"]


def test_a_nul_character_sent_to_an_id_no_route_takes_is_a_problem_not_an_html_page(api, cast):
    """Found by schemathesis: a body with U+0000 to /teams/-5/definition-of-done matched no route, so the
    NUL refusal (a check of every request) answered with the HTML error page, which the document does not
    list. Routing problems under /api/ come first, as problem details."""
    body = '{"categories": ["te\\u0000sting"]}'
    team = cast["team_id"]
    for path, status in (("/teams/-5/definition-of-done", 404), (f"/teams/{team}/templates/0", 404),
                         (f"/teams/{team}/definition-of-done", 400)):
        assert_problem(api.put(path, data=body, content_type="application/json"), status)
    assert api.get(f"/teams/{team}/definition-of-done").get_json()["categories"] == [
        "server-code", "api-docs", "testing", "security"]


def test_templates_are_read_by_members_and_set_or_reset_by_managers(api, cast):
    team = cast["team_id"]
    member, manager = api.as_(cast["member_token"]), api.as_(cast["manager_token"])
    items = member.get(f"/teams/{team}/templates").get_json()["items"]
    security = next(t for t in items if t["category"] == "security")
    assert security["title_pattern"] == "Security review: {feature}" and security["customised"] is False
    assert (security["assignee_id"], security["estimate_hours"]) == (None, 4.0)
    path = f"/teams/{team}/templates/{security['category_id']}"
    body = {"title_pattern": "Pen test: {feature}", "description": "- [ ] OWASP",
            "assignee_id": cast["member"].id, "estimate_hours": 2}
    assert_problem(member.put(path, json=body), 403)
    assert_problem(member.delete(path), 403)
    assert_problem(api.as_(cast["outsider_token"]).put(path, json=body), 404)
    other = api.as_(cast["outsider_token"]).get(f"/teams/{cast['other_team_id']}/templates").get_json()
    assert_problem(manager.put(f"/teams/{team}/templates/{other['items'][0]['category_id']}", json=body), 404)
    for bad in ({**body, "title_pattern": ""}, {**body, "assignee_id": cast["outsider"].id},
                {**body, "estimate_hours": 0}, {**body, "estimate_hours": "2"}, {"description": "x"},
                {**body, "colour": "red"}):
        assert_problem(manager.put(path, json=bad), 422)
    saved = manager.put(path, json=body)
    assert saved.status_code == 200
    assert saved.get_json() == {**security, **body, "estimate_hours": 2.0, "customised": True}
    feature = create_feature(api, team, target_date="2030-05-03", required_categories=["security"]).get_json()
    [task] = api.post(f"/features/{feature['id']}/fill-gaps").get_json()["created"]
    assert (task["title"], task["assignee_id"], task["estimate_hours"]) == ("Pen test: Refunds endpoint",
                                                                          cast["member"].id, 2.0)
    reset = manager.delete(path)
    assert reset.status_code == 200 and reset.get_json() == security


def test_feature_events_are_in_the_teams_activity_feed(api, cast):
    team = cast["team_id"]
    feature = create_feature(api, team).get_json()
    api.patch(f"/features/{feature['id']}", json={"title": "Refunds v2"})
    task = create_task(api, team, "security", None)
    member = api.as_(cast["member_token"])
    feed = member.get(f"/teams/{team}/activity").get_json()
    assert [(e["kind"], e["task_id"], e["feature_id"]) for e in feed["items"]] == [
        ("created", task["id"], None), ("feature_changed", None, feature["id"]),
        ("feature_created", None, feature["id"])]
    assert feed["items"][1]["field"] == "title" and feed["items"][1]["new_value"] == "Refunds v2"
    only = member.get(f"/teams/{team}/activity?kind=features").get_json()
    assert only["total"] == 2 and {e["kind"] for e in only["items"]} == {"feature_changed", "feature_created"}
    assert member.get(f"/teams/{team}/activity?category=security").get_json()["total"] == 1
    assert_problem(api.as_(cast["outsider_token"]).get(f"/teams/{team}/activity"), 404)
    theirs = api.as_(cast["outsider_token"]).get(f"/teams/{cast['other_team_id']}/activity").get_json()
    assert all(e["feature_id"] != feature["id"] for e in theirs["items"])
