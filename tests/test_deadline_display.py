"""Deadlines as people read them: a date-only deadline follows its assignee's zone (domain, API and form),
and the one formatter that writes a deadline with its year and how late it is."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.api.conftest import Api, DocumentedResponses, token_for
from tests.factories import add_to_team, login, make_task, make_team, make_user, new_task_form
from tracker.api.spec import openapi_document
from tracker.extensions import db
from tracker.models import Task
from tracker.tasks import update_task


@pytest.fixture
def zones(app):
    """Olga (Lisbon) owns a team with Fran (Los Angeles) and Kenji (Tokyo)."""
    olga = make_user("Olga", timezone="Europe/Lisbon")
    fran = make_user("Fran", timezone="America/Los_Angeles")
    kenji = make_user("Kenji", timezone="Asia/Tokyo")
    o = make_team(olga, "Backend")
    add_to_team(o, fran)
    add_to_team(o, kenji)
    return {"olga": olga, "fran": fran, "kenji": kenji, "o": o}


# 1 December 2026 23:59:59 on each wall clock, in UTC.
END_IN_LA = datetime(2026, 12, 2, 7, 59, 59, tzinfo=UTC)
END_IN_TOKYO = datetime(2026, 12, 1, 14, 59, 59, tzinfo=UTC)
END_IN_LISBON = datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)


def test_a_date_only_deadline_follows_the_new_assignee_across_zones(zones):
    task = make_task(zones["o"], due_at=date(2026, 12, 1), assignee_id=zones["fran"].id)
    assert (task.due_at, task.due_date) == (END_IN_LA, date(2026, 12, 1))

    changes = update_task(zones["o"], task, {"assignee_id": zones["kenji"].id})
    assert task.due_at == END_IN_TOKYO and changes["due_at"] == (END_IN_LA, END_IN_TOKYO)

    update_task(zones["o"], task, {"assignee_id": None})  # nobody: the day of whoever changes it
    assert task.due_at == END_IN_LISBON and task.due_date == date(2026, 12, 1)


def test_a_deadline_given_as_an_instant_stays_put_on_reassignment(zones):
    instant = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    task = make_task(zones["o"], due_at=instant, assignee_id=zones["fran"].id)
    update_task(zones["o"], task, {"assignee_id": zones["kenji"].id})
    assert (task.due_at, task.due_date) == (instant, None)
    # A date given later makes it a date-only deadline again; an instant after that ends it.
    update_task(zones["o"], task, {"due_at": date(2026, 12, 1)})
    assert (task.due_at, task.due_date) == (END_IN_TOKYO, date(2026, 12, 1))
    update_task(zones["o"], task, {"due_at": instant})
    assert task.due_date is None


def test_the_api_moves_a_date_only_deadline_with_the_assignee(zones, client, app):
    with app.test_request_context():
        api = Api(client, token_for(zones["olga"]), DocumentedResponses(openapi_document()))
    created = api.post(f"/teams/{zones['o'].team_id}/tasks", json={
        "title": "Rotate keys", "category": "security", "due_at": "2026-12-01", "assignee_id": zones["fran"].id,
    }).get_json()
    assert created["due_at"] == "2026-12-02T07:59:59Z"
    moved = api.patch(f"/tasks/{created['id']}", json={"assignee_id": zones["kenji"].id})
    assert moved.status_code == 200 and moved.get_json()["due_at"] == "2026-12-01T14:59:59Z"


def test_the_edit_form_keeps_a_date_only_deadline_a_date_so_it_follows_the_assignee(zones, client):
    task = make_task(zones["o"], due_at=date(2026, 12, 1), assignee_id=zones["fran"].id)
    login(client, zones["olga"])
    page = client.get(f"/tasks/{task.id}/edit").get_data(as_text=True)
    assert 'value="2026-12-01"' in page
    form = new_task_form(title=task.title, category="database", due_date="2026-12-01",
                         assignee_id=str(zones["kenji"].id), version=str(task.version))
    response = client.post(f"/tasks/{task.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.get(Task, task.id).due_at == END_IN_TOKYO
