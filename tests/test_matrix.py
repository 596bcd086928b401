"""A matrix you can act in (tracker/matrix.py): moving a task between quadrants changes its priority (the
important axis) or, with a date the mover picks, its deadline (the urgent axis); delegating picks a person,
scheduling a start date. Through the page's forms (no JavaScript) and their JSON answers."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import login, make_task, make_user
from tracker import matrix
from tracker.deadlines import eisenhower_quadrant
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import Task

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)  # the team's window is 72 hours: urgent up to Fri 4 Jan 12:00


def quadrant_of(task: Task, now: datetime = NOW) -> str:
    db.session.refresh(task)
    return eisenhower_quadrant(task.priority, task.due_at, now, task.team.urgency_window_hours)


@pytest.fixture
def four(crew):
    """One task in each quadrant of the owner's team, assigned to the owner (Lisbon: UTC in winter)."""
    m, owner = crew["owner_m"], crew["owner"].id
    soon, later = NOW + timedelta(days=1), NOW + timedelta(days=10)
    return {
        "do": make_task(m, "Fix the outage", priority="critical", due_at=soon, assignee_id=owner),
        "schedule": make_task(m, "Plan the upgrade", priority="high", due_at=later, assignee_id=owner),
        "delegate": make_task(m, "Answer the auditor", priority="low", due_at=soon, assignee_id=owner),
        "later": make_task(m, "Tidy the wiki", priority="medium", assignee_id=owner),
        **crew,
    }


@pytest.mark.parametrize(
    ("start", "target", "given", "expected"),
    [
        ("later", "schedule", {}, {"priority": "high"}),  # the important axis alone: no date needed
        ("delegate", "do", {}, {"priority": "high"}),
        ("do", "delegate", {}, {"priority": "medium"}),
        ("schedule", "later", {}, {"priority": "medium"}),
        ("schedule", "do", {"due": "2030-01-02"}, {"due_at": date(2030, 1, 2)}),
        ("do", "schedule", {"due": "2030-01-20"}, {"due_at": date(2030, 1, 20)}),
        ("later", "do", {"due": "2030-01-03"}, {"priority": "high", "due_at": date(2030, 1, 3)}),
        ("delegate", "later", {"due": "2030-02-01"}, {"due_at": date(2030, 2, 1)}),
        ("do", "do", {}, {}),
        ("schedule", "schedule", {"start": "2030-01-08"}, {"start_at": date(2030, 1, 8)}),
    ],
)
def test_a_move_changes_what_put_the_task_in_its_quadrant(four, start, target, given, expected):
    task = four[start]
    assert quadrant_of(task) == start
    assert matrix.quadrant_changes(four["owner_m"], task, target, now=NOW, **given) == expected


@pytest.mark.parametrize(
    ("start", "target", "given", "field", "message"),
    [
        ("schedule", "do", {}, "due", "Pick a deadline within the next 72 hours"),
        ("do", "later", {}, "due", "Pick a deadline more than 72 hours ahead"),
        ("schedule", "do", {"due": "2030-01-20"}, "due", "That deadline does not put it there"),
        ("do", "schedule", {"due": "2030-01-02"}, "due", "That deadline does not put it there"),
        ("do", "schedule", {"due": "02/01/2030"}, "due", "A date like"),
        ("do", "schedule", {"due": "1999-12-31"}, "due", "A date like"),
        ("do", "nowhere", {}, "quadrant", "One of"),
    ],
)
def test_a_move_that_needs_a_date_or_gets_a_wrong_one_is_refused(four, start, target, given, field, message):
    with pytest.raises(Invalid) as refused:
        matrix.quadrant_changes(four["owner_m"], four[start], target, now=NOW, **given)
    assert message in refused.value.errors[field][0]


def test_a_date_only_deadline_is_the_end_of_that_day_where_the_new_assignee_works(four):
    # Mia works in Tokyo: the end of 4 Jan there is 14:59:59 UTC, past the window's end (12:00 UTC);
    # for the owner in Lisbon it is 23:59:59 UTC, later still. Neither is urgent; 3 Jan in Tokyo is.
    task, mia = four["schedule"], four["member"].id
    with pytest.raises(Invalid):
        matrix.quadrant_changes(four["owner_m"], task, "delegate", due="2030-01-04", assignee_id=str(mia), now=NOW)
    changes = matrix.quadrant_changes(four["owner_m"], task, "delegate", due="2030-01-03",
                                      assignee_id=str(mia), now=NOW)
    assert changes == {"priority": "medium", "due_at": date(2030, 1, 3), "assignee_id": mia}


# Through the page ---------------------------------------------------------------------------------------

def in_days(n: int) -> str:
    return (datetime.now(UTC) + timedelta(days=n)).date().isoformat()


@pytest.fixture
def live(crew):
    """Tasks with deadlines relative to the real clock (the page moves them now)."""
    m, now = crew["owner_m"], datetime.now(UTC)
    return {
        "schedule": make_task(m, "Plan <the> upgrade", priority="high", due_at=now + timedelta(days=10)),
        "later": make_task(m, "Tidy the wiki", priority="low"),
        **crew,
    }


def test_the_matrix_says_what_to_do_and_offers_a_move_form_per_card(live, client):
    login(client, live["owner"])
    html = client.get(f"/teams/{live['team_id']}/eisenhower").get_data(as_text=True)
    for advice in matrix.ADVICE.values():
        assert advice in html
    task = live["schedule"]
    assert f'action="/tasks/{task.id}/quadrant"' in html and f'for="to-{task.id}"' in html
    assert f'<label for="start-{task.id}">Start #{task.id} on</label>' in html
    assert 'src="/static/js/matrix.js"' in html


def test_moving_by_form_changes_the_priority_and_comes_back_to_the_filtered_matrix(live, client):
    login(client, live["owner"])
    task = live["later"]
    url = f"/tasks/{task.id}/quadrant?category=database"
    response = client.post(url, data={"quadrant": "schedule", "version": task.version})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/teams/{live['team_id']}/eisenhower?category=database"
    db.session.refresh(task)
    assert task.priority == "high"
    assert "moved to “Schedule”" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_refused_move_shows_the_matrix_with_the_message_beside_that_card_and_the_input_kept(live, client):
    login(client, live["owner"])
    task = live["schedule"]
    far = in_days(30)
    response = client.post(f"/tasks/{task.id}/quadrant", data={"quadrant": "do", "due": far, "version": task.version})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="due-error-{task.id}">That deadline does not put it there' in html
    assert f'value="{far}" aria-describedby="due-hint-{task.id} due-error-{task.id}"' in html
    assert '<details class="move-quadrant" open>' in html and html.count("<details class=\"move-quadrant\" open>") == 1
    db.session.refresh(task)
    assert task.priority == "high" and task.due_at.date().isoformat() != far  # nothing written


def test_moving_by_script_answers_json_and_a_stale_version_is_a_conflict(live, client):
    login(client, live["owner"])
    task = live["schedule"]
    json = {"Accept": "application/json"}
    soon, version = in_days(1), task.version
    moved = client.post(f"/tasks/{task.id}/quadrant", headers=json,
                        data={"quadrant": "do", "due": soon, "version": version})
    assert moved.status_code == 200 and moved.get_json()["version"] == version + 1
    stale = client.post(f"/tasks/{task.id}/quadrant", headers=json, data={"quadrant": "later", "due": in_days(20),
                                                                       "version": version})
    assert stale.status_code == 409 and "changed by someone else" in stale.get_json()["error"]
    refused = client.post(f"/tasks/{task.id}/quadrant", headers=json, data={"quadrant": "later"})
    assert refused.status_code == 422 and "due" in refused.get_json()["errors"]


def test_delegating_picks_a_member_and_nobody_else(live, client):
    login(client, live["owner"])
    task = live["later"]
    soon = in_days(1)
    ok = client.post(f"/tasks/{task.id}/quadrant", data={"quadrant": "delegate", "due": soon,
                                                        "assignee_id": str(live["member"].id)})
    assert ok.status_code == 302
    db.session.refresh(task)
    assert task.assignee_id == live["member"].id
    outsider = client.post(f"/tasks/{task.id}/quadrant", data={"quadrant": "delegate",
                                                              "assignee_id": str(live["outsider"].id)})
    assert outsider.status_code == 422 and "must be a member" in outsider.get_data(as_text=True)
    db.session.refresh(task)
    assert task.assignee_id == live["member"].id


def test_scheduling_sets_the_start_day(live, client):
    login(client, live["owner"])
    task = live["schedule"]
    day = in_days(3)
    client.post(f"/tasks/{task.id}/quadrant", data={"quadrant": "schedule", "start": day})
    db.session.refresh(task)
    assert task.start_at is not None and task.start_at.isoformat()[:10] == day


def test_another_teams_task_cannot_be_moved(live, client):
    stranger = make_user("Stranger")
    login(client, stranger)
    task = live["later"]
    assert client.post(f"/tasks/{task.id}/quadrant", data={"quadrant": "do"}).status_code == 404
    db.session.refresh(task)
    assert task.priority == "low"
