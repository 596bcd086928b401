"""Contract tests for the prioritisation views: /me/work, /teams/{id}/eisenhower, /deadlines, /forecast."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import make_task, membership
from tracker.models import utcnow

from .conftest import assert_problem


def ids(tasks):
    return [t["id"] for t in tasks]


def test_my_work_buckets_in_the_callers_zone(api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    now = utcnow()
    late = make_task(owner, "Late", assignee_id=cast["owner"].id, due_at=now - timedelta(hours=1))
    later = make_task(owner, "Later", assignee_id=cast["owner"].id, due_at=now + timedelta(days=30))
    undated = make_task(owner, "Someday", assignee_id=cast["owner"].id)
    make_task(owner, "Not mine", assignee_id=cast["member"].id, due_at=now - timedelta(hours=1))
    make_task(owner, "Done", assignee_id=cast["owner"].id, status="done")
    r = api.get("/me/work")
    assert r.status_code == 200
    work = r.get_json()
    assert work["timezone"] == "Europe/Lisbon"
    assert ids(work["overdue"]) == [late.id] and ids(work["later"]) == [later.id]
    assert ids(work["no_due"]) == [undated.id]
    assert sum(len(work[b]) for b in ("overdue", "today", "this_week", "later", "no_due")) == 3


def test_eisenhower_quadrants_and_filters(api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    now = utcnow()
    do = make_task(owner, "Do", priority="critical", due_at=now + timedelta(hours=5))
    schedule = make_task(
        owner, "Schedule", priority="high", due_at=now + timedelta(days=20), category="security"
    )
    delegate = make_task(owner, "Delegate", priority="low", due_at=now - timedelta(hours=2))
    later = make_task(owner, "Later", priority="medium")
    r = api.get(f"/teams/{cast['team_id']}/eisenhower")
    assert r.status_code == 200
    body = r.get_json()
    assert body["urgency_window_hours"] == 72
    assert (ids(body["do"]), ids(body["schedule"]), ids(body["delegate"]), ids(body["later"])) == (
        [do.id],
        [schedule.id],
        [delegate.id],
        [later.id],
    )
    narrowed = api.get(f"/teams/{cast['team_id']}/eisenhower?category=security").get_json()
    assert ids(narrowed["schedule"]) == [schedule.id] and narrowed["do"] == []
    assert_problem(api.get(f"/teams/{cast['team_id']}/eisenhower?priority=urgent"), 422, "priority")
    assert_problem(api.get(f"/teams/{cast['other_team_id']}/eisenhower"), 404)


def test_deadlines_view_lists_and_loads(api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    now = utcnow()
    overdue = make_task(
        owner, "Overdue", due_at=now - timedelta(days=1), assignee_id=cast["member"].id, estimate_hours=4
    )
    soon = make_task(owner, "Soon", due_at=now + timedelta(days=2), category="security")
    r = api.as_(cast["member_token"]).get(f"/teams/{cast['team_id']}/deadlines")
    assert r.status_code == 200
    body = r.get_json()
    assert ids(body["overdue"]) == [overdue.id] and ids(body["due_soon"]) == [soon.id]
    assert overdue.id in ids(body["at_risk"])
    by_category = {c["slug"]: c for c in body["by_category"]}
    assert by_category["database"]["overdue"] == 1 and by_category["security"]["open"] == 1
    mia = next(p for p in body["by_assignee"] if p["user_id"] == cast["member"].id)
    assert mia["open_tasks"] == 1 and mia["remaining_hours"] == 4
    # Overdue work is counted on its own: it does not make anyone "over capacity" (#12).
    assert (mia["overdue_tasks"], mia["overdue_hours"], mia["overloaded"]) == (1, 4, False)
    assert_problem(api.get(f"/teams/{cast['other_team_id']}/deadlines"), 404)


def test_forecast_projects_each_open_task(api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    first = make_task(owner, "First", assignee_id=cast["owner"].id, estimate_hours=2, priority="high")
    unestimated = make_task(owner, "Unknown size", assignee_id=cast["owner"].id)
    make_task(owner, "Finished", assignee_id=cast["owner"].id, status="done", estimate_hours=1)
    r = api.get(f"/teams/{cast['team_id']}/forecast")
    assert r.status_code == 200
    items = {i["task_id"]: i for i in r.get_json()["items"]}
    assert set(items) == {first.id, unestimated.id}
    assert items[first.id]["projected_finish_at"].endswith("Z") and items[first.id]["remaining_hours"] == 2
    assert items[unestimated.id]["projected_finish_at"] is None and items[unestimated.id]["at_risk"] is False
    assert_problem(api.get(f"/teams/{cast['other_team_id']}/forecast"), 404)


def test_each_view_list_holds_its_first_limit_tasks_and_totals_count_all(api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    now = utcnow()
    late = [make_task(owner, f"Late {i}", priority="low", assignee_id=cast["owner"].id,
                      due_at=now - timedelta(hours=10 - i), estimate_hours=1) for i in range(3)]
    make_task(owner, "Someday", priority="low", assignee_id=cast["owner"].id)
    team = f"/teams/{cast['team_id']}"

    work = api.get("/me/work?limit=2").get_json()
    assert ids(work["overdue"]) == [late[0].id, late[1].id]  # the earliest deadlines first
    assert work["totals"] == {"overdue": 3, "today": 0, "this_week": 0, "later": 0, "no_due": 1}

    matrix = api.get(f"{team}/eisenhower?limit=1").get_json()
    assert ids(matrix["delegate"]) == [late[0].id] and matrix["totals"]["delegate"] == 3
    assert matrix["totals"]["later"] == 1 and len(matrix["later"]) == 1

    deadlines = api.get(f"{team}/deadlines?limit=2").get_json()
    assert ids(deadlines["overdue"]) == [late[0].id, late[1].id]
    assert deadlines["totals"] == {"overdue": 3, "due_soon": 0, "at_risk": 3}
    assert len(deadlines["at_risk"]) == 2

    assert len(api.get(f"{team}/eisenhower").get_json()["delegate"]) == 3  # 50 by default
    for path in ("/me/work", f"{team}/eisenhower", f"{team}/deadlines"):
        for bad in ("0", "201", "many"):
            assert_problem(api.get(f"{path}?limit={bad}"), 422, "limit")


def test_the_forecast_comes_in_pages(api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    made = [make_task(owner, f"Task {i}", due_at=utcnow() + timedelta(days=i + 1)) for i in range(3)]
    first = api.get(f"/teams/{cast['team_id']}/forecast?per_page=2").get_json()
    assert [i["task_id"] for i in first["items"]] == [made[0].id, made[1].id]
    assert (first["total"], first["page"], first["per_page"]) == (3, 1, 2)
    second = api.get(f"/teams/{cast['team_id']}/forecast?per_page=2&page=2").get_json()
    assert [i["task_id"] for i in second["items"]] == [made[2].id]
