"""The API's task list is read as plain rows (tracker.tasks.list_task_values), not as ORM objects: it must
send, byte for byte, what the ORM-built serialisation (TaskOut.of on each task) sends, and each item must
be what the task's own endpoint answers, for every kind of task, filter, sort and page."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.factories import membership
from tracker import tasks
from tracker.api.schemas import TaskOut, TaskPage
from tracker.extensions import db


def _created(api, team_id, **fields) -> dict:
    response = api.post(f"/teams/{team_id}/tasks", json={"title": "A task", "category": "database", **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def rich_team(api, cast):
    """Tasks of every shape: labels, blockers (open, done and trashed ones), checklists with done items,
    logged time, with and without assignee, deadline, feature, recurrence and queue place."""
    team_id, mia = cast["team_id"], cast["member"]
    feature = api.post(f"/teams/{team_id}/features", json={"title": "Checkout"}).get_json()
    keys = _created(
        api, team_id, title="Add idempotency keys", description="Use **keys** & <b>care</b>",
        category="server-code", priority="high", labels=["Billing", "q4"], assignee_id=mia.id,
        due_at="2026-12-01", start_at="2026-11-20T08:00:00Z", estimate_hours=3.5,
        feature_id=feature["id"], recurrence="FREQ=WEEKLY;BYDAY=MO",
    )
    loose = _created(api, team_id, title="Unassigned, no deadline", category="testing", priority="low")
    late = _created(api, team_id, title="Overdue keys", due_at="2021-03-04T05:06:07Z", assignee_id=mia.id,
                    queue_at="2026-11-25T10:00:00Z", labels=["billing"])
    done = _created(api, team_id, title="Finished", priority="critical", due_at="2026-11-01T00:00:00Z")
    trashed = _created(api, team_id, title="In the trash", labels=["q4"])
    waiting = _created(
        api, team_id, title="Waits for four", assignee_id=cast["manager"].id, estimate_hours=0.25,
        blocked_by=[keys["id"], loose["id"], done["id"], trashed["id"]], due_at="2026-12-24T12:00:00+05:30",
    )
    assert api.patch(f"/tasks/{done['id']}", json={"status": "done"}).status_code == 200
    assert api.delete(f"/tasks/{trashed['id']}").status_code == 204
    items = [api.post(f"/tasks/{keys['id']}/checklist", json={"text": t}).get_json() for t in "abc"]
    moved = api.patch(f"/checklist-items/{items[2]['id']}", json={"position": 0, "done": True})
    assert moved.status_code == 200
    api.post(f"/tasks/{waiting['id']}/checklist", json={"text": "only item"})
    for task, hours in ((keys, 1.25), (keys, 0.5), (waiting, 2), (done, 0.1)):
        assert api.post(f"/tasks/{task['id']}/time-entries", json={"hours": hours}).status_code == 201
    return {"feature_id": feature["id"], "mia_id": mia.id, "ids": [keys["id"], loose["id"], late["id"],
            done["id"], waiting["id"]], "trashed_id": trashed["id"]}


def _filters(rich_team) -> list[dict]:
    filters = [
        {}, {"status": "open"}, {"status": "done"}, {"status": "todo"}, {"category": "testing"},
        {"priority": "high"}, {"assignee": "me"}, {"assignee": "none"},
        {"assignee": str(rich_team["mia_id"])}, {"label": "billing"}, {"label": "Q4"},
        {"feature": str(rich_team["feature_id"])}, {"feature": "none"},
        {"overdue": "true"}, {"due_before": "2026-12-02T00:00:00Z"}, {"due_after": "2026-11-15T00:00:00Z"},
        {"q": "keys"}, {"q": f"#{rich_team['ids'][0]}"}, {"q": "nothing like it"},
        {"per_page": "2", "page": "2"}, {"per_page": "2", "page": "9"}, {"status": "open", "label": "q4"},
    ]
    for sort in tasks.SORTS:
        filters += [{"sort": sort}, {"sort": f"-{sort}"}, {"sort": sort, "per_page": "2", "page": "3"}]
    return filters


def _orm_serialisation(member, args: dict) -> bytes:
    """What the list sent when it built ORM objects: TaskOut.of on each of list_tasks' tasks."""
    db.session.expire_all()
    page = tasks.list_tasks(member, tasks.parse_task_filter(args), int(args.get("page", 1)),
                            int(args.get("per_page", 50)))
    spent = tasks.spent_hours([t.id for t in page.items])
    items = [TaskOut.of(t, spent.get(t.id, 0.0)) for t in page.items]
    envelope = TaskPage(items=items, total=page.total, page=page.page, per_page=page.per_page)
    return envelope.model_dump_json().encode()


def test_the_list_sends_what_the_orm_serialisation_and_the_task_endpoint_send(api, cast, rich_team):
    owner = membership(cast["team_id"], cast["owner"])
    seen = set()
    for args in _filters(rich_team):
        response = api.get(f"/teams/{cast['team_id']}/tasks?{urlencode(args)}")
        assert response.status_code == 200, (args, response.get_data(as_text=True))
        assert response.get_data() == _orm_serialisation(owner, args), args
        for item in response.get_json()["items"]:
            assert item == api.get(f"/tasks/{item['id']}").get_json(), (args, item["id"])
            seen.add(item["id"])
    # Every kind of task was compared (the finished task's recurrence added its next occurrence).
    assert set(rich_team["ids"]) <= seen and rich_team["trashed_id"] not in seen


def test_blockers_checklists_and_spent_hours_reach_the_list(api, cast, rich_team):
    listed = {t["id"]: t for t in api.get(f"/teams/{cast['team_id']}/tasks").get_json()["items"]}
    keys, loose, _late, done, waiting = (listed[i] for i in rich_team["ids"])
    assert waiting["blocked_by"] == sorted([keys["id"], loose["id"], done["id"], rich_team["trashed_id"]])
    assert [(i["text"], i["done"], i["position"]) for i in keys["checklist"]] == [
        ("c", True, 0), ("a", False, 1), ("b", False, 2)
    ]
    assert keys["spent_hours"] == 1.75 and loose["spent_hours"] == 0 and loose["checklist"] == []
    assert keys["labels"] == ["billing", "q4"] and keys["category"] == "server-code"
    assert keys["recurrence"] == "FREQ=WEEKLY;BYDAY=MO" and keys["feature_id"] == rich_team["feature_id"]
    assert loose["assignee_id"] is None and loose["due_at"] is None
