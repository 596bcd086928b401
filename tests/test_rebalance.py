"""Rebalancing an at-risk task: the moves the forecast proposes, their effect on everyone else's tasks, the
API that lists them and applying one (the PATCH its changes describe)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.api.conftest import Api, DocumentedResponses, token_for
from tests.factories import add_to_team, login, make_task, make_team, make_user
from tests.support import statements_for
from tracker import rebalance, stored_forecast
from tracker.api.spec import openapi_document
from tracker.errors import Conflict, Invalid
from tracker.extensions import db
from tracker.models import Task
from tracker.tasks import update_task

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)
    monkeypatch.setattr(rebalance, "clock", lambda: NOW)


@pytest.fixture
def late(app, frozen):
    """Olga manages; Fran (UTC, 9-17) holds #first (12 h, due Tue 17:00) and #late (8 h, due Tue 17:00, worked
    after #first: finishes Wed 13:00, late). Dev (UTC) holds #dev (4 h, due Fri) and has done a database
    task; Kenji works 9-17 in Tokyo (00:00-08:00 UTC) with nothing queued."""
    olga = make_user("Olga")
    fran, dev = make_user("Fran"), make_user("Dev")
    kenji = make_user("Kenji", timezone="Asia/Tokyo")
    o = make_team(olga, "Backend")
    for person in (fran, dev, kenji):
        add_to_team(o, person)
    first = make_task(o, "First", estimate_hours=12, due_at=at(8, 17), assignee_id=fran.id)
    task = make_task(o, "Late", estimate_hours=8, due_at=at(8, 17), assignee_id=fran.id)
    devs = make_task(o, "Dev's", estimate_hours=4, due_at=at(11, 17), assignee_id=dev.id)
    done = make_task(o, "Done before", estimate_hours=1, assignee_id=dev.id)
    update_task(o, done, {"status": "done"})
    return {"o": o, "olga": olga, "fran": fran, "dev": dev, "kenji": kenji, "first": first, "task": task,
            "devs": devs}


def test_the_moves_that_make_a_late_task_on_time_ranked_with_their_effect(late):
    result = rebalance.propose(late["o"], late["task"], NOW)
    assert result.at_risk and result.current.projected_finish_at == at(9, 13)
    kinds = [(p.kind, p.changes) for p in result.proposals]
    assert kinds == [
        ("reassign", {"assignee_id": late["dev"].id}),  # same-category experience first
        ("reassign", {"assignee_id": late["olga"].id}),  # then by spare hours before the deadline
        ("reassign", {"assignee_id": late["kenji"].id}),
        ("move_deadline", {"due_at": "2026-12-09T13:00:00Z"}),
        ("reorder", {"queue_at": "2026-12-08T16:59:59Z"}),  # on time, but #first becomes late: last
    ]
    to_dev, _to_olga, to_kenji, deadline, reorder = result.proposals
    # Dev works it Mon 9-17; his own task moves from Mon 13:00 to Tue 13:00 and stays on time.
    assert to_dev.projected_finish_at == at(7, 17) and to_dev.harmed == 0
    assert [(m.task_id, m.before, m.after, m.on_time_after) for m in to_dev.moved] == [
        (late["devs"].id, at(7, 13), at(8, 13), True)]
    assert to_dev.queue_hours == {late["dev"].id: 8.0, late["fran"].id: -8.0}
    assert to_dev.summary == (f"#{late['task'].id} to Dev: on time; Dev's #{late['devs'].id} stays on time; "
                              "Dev's queue gains 8 h, Fran's queue loses 8 h")
    # Kenji's working day starts Tue 00:00 UTC (09:00 in Tokyo): done by 08:00 UTC, nobody else moves.
    assert to_kenji.projected_finish_at == at(8, 8) and to_kenji.moved_total == 0
    assert deadline.moved_total == 0 and deadline.projected_finish_at == at(9, 13)
    assert reorder.harmed == 1 and reorder.moved[0].task_id == late["first"].id
    assert "becomes late" in reorder.summary


def test_a_task_on_time_gets_no_proposals_and_an_overdue_one_only_a_later_deadline(late):
    assert rebalance.propose(late["o"], late["devs"], NOW).proposals == []
    overdue = make_task(late["o"], "Overdue", estimate_hours=2, due_at=at(4, 17), assignee_id=late["dev"].id)
    proposals = rebalance.propose(late["o"], overdue, NOW).proposals
    assert [p.kind for p in proposals] == ["move_deadline"]
    assert proposals[0].changes == {"due_at": "2026-12-07T11:00:00Z"}


def test_a_date_only_deadline_is_moved_as_a_date_and_follows_the_new_assignee_in_the_simulation(late):
    task = make_task(late["o"], "Dated", estimate_hours=16, due_at=date(2026, 12, 8),
                     assignee_id=late["fran"].id)
    result = rebalance.propose(late["o"], task, NOW)
    deadline = next(p for p in result.proposals if p.kind == "move_deadline")
    assert deadline.changes["due_at"] == result.current.projected_finish_at.date().isoformat()


def test_applying_a_move_is_the_task_update_and_a_stale_version_is_refused(late):
    task = late["task"]
    version = task.version
    rebalance.apply(late["o"], task, "reassign", {"assignee_id": str(late["dev"].id)}, version)
    assert db.session.get(Task, task.id).assignee_id == late["dev"].id
    with pytest.raises(Conflict):
        rebalance.apply(late["o"], task, "move_deadline", {"due_at": "2026-12-09T13:00:00Z"}, version)
    for kind, changes in [("reorder", {"assignee_id": "1"}), ("nonsense", {"due_at": "x"}),
                          ("move_deadline", {"due_at": "tomorrow"}), ("reorder", {})]:
        with pytest.raises(Invalid):
            rebalance.apply(late["o"], task, kind, changes, task.version)


def test_the_api_lists_the_proposals_and_the_patch_applies_one(late, client, app):
    with app.test_request_context():
        contract = DocumentedResponses(openapi_document())
    api = Api(client, token_for(late["olga"]), contract)
    task = late["task"]
    body = api.get(f"/tasks/{task.id}/proposals").get_json()
    assert body["at_risk"] is True and body["version"] == task.version
    best = body["items"][0]
    assert best["kind"] == "reassign" and best["changes"] == {"assignee_id": late["dev"].id}
    assert best["effect"]["on_time"] is True and best["effect"]["harmed"] == 0
    assert best["effect"]["moved"] == [{
        "task_id": late["devs"].id, "assignee_id": late["dev"].id, "due_at": "2026-12-11T17:00:00Z",
        "before": {"projected_finish_at": "2026-12-07T13:00:00Z", "on_time": True},
        "after": {"projected_finish_at": "2026-12-08T13:00:00Z", "on_time": True},
    }]
    applied = api.patch(f"/tasks/{task.id}", json={**best["changes"], "version": body["version"]})
    assert applied.status_code == 200
    forecast = api.get(f"/teams/{late['o'].team_id}/forecast").get_json()["items"]
    mine = next(item for item in forecast if item["task_id"] == task.id)
    assert mine["at_risk"] is False and mine["projected_finish_at"] == "2026-12-07T17:00:00Z"
    assert api.get(f"/tasks/{task.id}/proposals").get_json()["items"] == []


def test_another_teams_task_is_not_found_and_a_token_is_needed(late, client, app):
    with app.test_request_context():
        contract = DocumentedResponses(openapi_document())
    outsider = make_user("Otto")
    make_team(outsider, "Elsewhere")
    response = Api(client, token_for(outsider), contract).get(f"/tasks/{late['task'].id}/proposals")
    assert response.status_code == 404
    assert Api(client, None, contract).get(f"/tasks/{late['task'].id}/proposals").status_code == 401


def test_a_manager_rebalances_from_the_dashboard_in_two_clicks_and_sees_the_forecast_change(late, client):
    task = late["task"]
    login(client, late["olga"])
    dashboard = client.get(f"/teams/{late['o'].team_id}/dashboard").get_data(as_text=True)
    link = f'href="/tasks/{task.id}/proposals"'
    assert link in dashboard  # first click
    page = client.get(f"/tasks/{task.id}/proposals").get_data(as_text=True)
    assert f"#{task.id} to Dev: on time; Dev&#39;s #{late['devs'].id} stays on time" in page
    assert page.count('name="kind"') == 5 and f'name="version" value="{task.version}"' in page
    applied = client.post(f"/tasks/{task.id}/proposals/apply", data={
        "kind": "reassign", "assignee_id": str(late["dev"].id), "version": str(task.version)})  # second click
    assert applied.status_code == 302
    after = client.get(applied.headers["Location"]).get_data(as_text=True)
    assert f"#{task.id} reassigned" in after and "nothing to rebalance" in after
    assert "Mon 07 Dec 17:00 (UTC)" in after  # the new projected finish, in the viewer's zone, labelled


def test_applying_from_a_stale_page_is_reported_and_changes_nothing(late, client):
    task = late["task"]
    stale = task.version
    update_task(late["o"], task, {"priority": "high"})
    login(client, late["olga"])
    response = client.post(f"/tasks/{task.id}/proposals/apply", data={
        "kind": "reassign", "assignee_id": str(late["dev"].id), "version": str(stale)}, follow_redirects=True)
    assert "changed by someone else meanwhile, so nothing was applied" in response.get_data(as_text=True)
    assert db.session.get(Task, task.id).assignee_id == late["fran"].id
    refused = client.post(f"/tasks/{task.id}/proposals/apply", data={"kind": "reorder", "due_at": "x"})
    assert refused.status_code == 302 and db.session.get(Task, task.id).due_at == at(8, 17)


def test_the_assignee_picker_shows_each_persons_load_over_the_tasks_window(late, client):
    login(client, late["olga"])
    page = client.get(f"/tasks/{late['task'].id}/edit").get_data(as_text=True)
    # Until Tuesday 17:00 everyone has 16 working hours (Kenji 8, his Tuesday in Tokyo); Fran has #first
    # queued, Dev's task is due later.
    assert "Fran — 12 h queued of 16 working h before the deadline" in page
    assert "Dev — 0 h queued of 16 working h before the deadline" in page
    assert "Kenji — 0 h queued of 8 working h before the deadline" in page


@pytest.mark.parametrize("choice", range(5))
def test_the_forecast_agrees_with_each_move_once_it_is_applied(late, choice):
    """The simulation is the forecast: applying any proposal makes the stored forecast say on time, with the
    finishes the proposal showed."""
    proposal = rebalance.propose(late["o"], late["task"], NOW).proposals[choice]
    rebalance.apply(late["o"], late["task"], proposal.kind, proposal.changes, late["task"].version)
    stored = stored_forecast.load([late["task"].id, *(m.task_id for m in proposal.moved)])
    assert stored.result(late["task"].id).at_risk is False
    assert stored.result(late["task"].id).projected_finish_at == proposal.projected_finish_at
    for m in proposal.moved:
        assert (stored.result(m.task_id).projected_finish_at, not stored.result(m.task_id).at_risk) == (
            m.after, m.on_time_after)


def test_proposals_cost_the_same_number_of_queries_for_a_small_and_a_larger_team(late, client):
    url = f"/api/v1/tasks/{late['task'].id}/proposals"
    token = {"Authorization": f"Bearer {token_for(late['olga'])}"}
    client.get(url, headers=token)  # a token's first use records it (one more statement)
    small = statements_for(lambda u: client.get(u, headers=token), url)
    for i in range(30):  # more tasks, more people
        person = make_user(f"Extra {i}")
        add_to_team(late["o"], person)
        make_task(late["o"], f"Extra {i}", estimate_hours=2, due_at=at(9, 17), assignee_id=person.id)
    assert statements_for(lambda u: client.get(u, headers=token), url) == small


def test_the_task_page_and_the_forecast_page_lead_to_the_moves_of_an_at_risk_task(late, client):
    login(client, late["olga"])
    link = f'href="/tasks/{late["task"].id}/proposals"'
    assert link in client.get(f"/tasks/{late['task'].id}").get_data(as_text=True)
    assert link in client.get(f"/teams/{late['o'].team_id}/forecast").get_data(as_text=True)
    on_time = client.get(f"/tasks/{late['devs'].id}").get_data(as_text=True)
    assert f'href="/tasks/{late["devs"].id}/proposals"' not in on_time


def test_a_done_task_has_nothing_to_rebalance(late, client, app):
    update_task(late["o"], late["task"], {"status": "done"})
    with app.test_request_context():
        contract = DocumentedResponses(openapi_document())
    response = Api(client, token_for(late["olga"]), contract).get(f"/tasks/{late['task'].id}/proposals")
    assert response.status_code == 422 and "done" in response.get_json()["detail"] + str(response.get_json())
    login(client, late["olga"])
    page = client.get(f"/tasks/{late['task'].id}/proposals").get_data(as_text=True)
    assert "This task is done: there is nothing to rebalance." in page
