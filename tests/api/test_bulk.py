"""POST /api/v1/teams/{id}/tasks/bulk as the contract fixes it: a result per id (applied, conflict with the
current task, refused with the reason), at most 200 ids, 422 for a request that makes no sense."""
from __future__ import annotations

from tests.factories import make_task, membership
from tracker import tasks
from tracker.extensions import db
from tracker.models import Task

from .conftest import assert_problem


def test_set_applies_per_task_and_reports_conflicts_and_refusals(api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    one, two = make_task(owner, "One"), make_task(owner, "Two")
    theirs = make_task(membership(cast["other_team_id"], cast["outsider"]), "Another team's")
    stale = two.version
    tasks.update_task(owner, two, {"title": "Renamed meanwhile"})
    r = api.post(f"/teams/{cast['team_id']}/tasks/bulk", json={
        "ids": [one.id, two.id, theirs.id], "version": {str(one.id): one.version, str(two.id): stale},
        "set": {"status": "in_review", "assignee_id": cast["member"].id, "due_at": "2031-03-14"},
    })
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert [(x["id"], x["result"]) for x in body["results"]] == [
        (one.id, "applied"), (two.id, "conflict"), (theirs.id, "refused")]
    assert body["results"][0]["task"]["status"] == "in_review"
    assert body["results"][0]["task"]["assignee_id"] == cast["member"].id
    assert body["results"][1]["current"]["title"] == "Renamed meanwhile"
    assert body["results"][2]["reason"] == f"No live task #{theirs.id} in this team."
    assert (body["applied"], body["conflicts"], body["refused"]) == (1, 1, 1)
    assert db.session.get(Task, two.id).status == "todo" and db.session.get(Task, theirs.id).status == "todo"


def test_trash_and_a_refused_value(api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    one, two = make_task(owner, "One"), make_task(owner, "Two")
    r = api.post(f"/teams/{cast['team_id']}/tasks/bulk", json={"ids": [one.id], "set": {
        "assignee_id": cast["outsider"].id}})
    result = r.get_json()["results"][0]
    assert result["result"] == "refused" and "assignee_id" in result["errors"]
    r = api.as_(cast["member_token"]).post(f"/teams/{cast['team_id']}/tasks/bulk",
                                           json={"ids": [one.id, two.id], "trash": True})
    assert [x["result"] for x in r.get_json()["results"]] == ["applied", "applied"]
    assert api.get(f"/tasks/{one.id}").status_code == 404


def test_requests_that_make_no_sense_are_422_and_change_nothing(api, cast):
    task = make_task(membership(cast["team_id"], cast["owner"]))
    path = f"/teams/{cast['team_id']}/tasks/bulk"
    for body, field in (
        ({"ids": [], "set": {"status": "done"}}, "ids"),
        ({"ids": list(range(1, 202)), "set": {"status": "done"}}, "ids"),
        ({"ids": [task.id], "set": {"status": "finished"}}, "set"),
        ({"ids": [task.id], "set": {"title": "x"}}, "set"),
        ({"ids": [task.id], "set": {}}, "body"),
        ({"ids": [task.id], "set": {"status": "done"}, "trash": True}, "body"),
        ({"ids": [task.id], "version": {"x": 1}, "set": {"status": "done"}}, "version"),
    ):
        assert_problem(api.post(path, json=body), 422, field)
    assert db.session.get(Task, task.id).version == task.version
    assert_problem(api.as_(cast["outsider_token"]).post(path, json={"ids": [task.id], "trash": True}), 404)
