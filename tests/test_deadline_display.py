"""Deadlines as people read them: a date-only deadline follows its assignee's zone (domain, API and form),
and the one formatter that writes a deadline with its year and how late it is."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.api.conftest import Api, DocumentedResponses, token_for
from tests.factories import add_to_team, login, make_task, make_team, make_user, new_task_form
from tracker import prioritisation, stored_forecast
from tracker.api.spec import openapi_document
from tracker.extensions import db
from tracker.forecast import TaskForecast, WorkSchedule, explain
from tracker.formatting import deadline_text, time_with_note
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
        "title": "Rotate keys", "category": "security", "due_at": "2026-12-01",
        "assignee_id": zones["fran"].id,
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


# One formatter for deadlines -------------------------------------------------------------------------------

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(("due", "tz", "expected"), [
    (datetime(2026, 12, 2, 17, 0, tzinfo=UTC), "UTC", "Wed 02 Dec 17:00"),
    (datetime(2027, 1, 8, 17, 0, tzinfo=UTC), "UTC", "Fri 08 Jan 2027 17:00"),  # another year: its year
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "Asia/Tokyo", "Fri 01 Jan 2027 08:30"),  # the viewer's year
    (datetime(2026, 11, 27, 12, 0, tzinfo=UTC), "UTC", "Fri 27 Nov 12:00 — 3 days overdue"),
    (datetime(2026, 11, 29, 11, 0, tzinfo=UTC), "UTC", "Sun 29 Nov 11:00 — 1 day overdue"),
    (datetime(2026, 11, 30, 7, 0, tzinfo=UTC), "UTC", "Mon 30 Nov 07:00 — 5 hours overdue"),
    (datetime(2026, 11, 30, 11, 59, tzinfo=UTC), "UTC", "Mon 30 Nov 11:59 — 1 minute overdue"),
    (datetime(2025, 11, 30, 12, 0, tzinfo=UTC), "UTC", "Sun 30 Nov 2025 12:00 — 365 days overdue"),
    (None, "UTC", ""),
])
def test_a_deadline_reads_with_its_year_when_not_this_years_and_how_late_it_is(due, tz, expected):
    assert deadline_text(due, NOW, tz) == expected


def test_a_time_is_in_the_viewers_zone_labelled_with_the_assignees_as_a_note():
    finish = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert time_with_note(finish, "Europe/Lisbon", "Fran", "America/Los_Angeles") == (
        "Tue 01 Dec 01:00 (Europe/Lisbon; 17:00 Mon for Fran, Los Angeles)")
    assert time_with_note(finish, "UTC", "Fran", "Europe/Lisbon") == "Tue 01 Dec 01:00 (UTC)"  # same clock
    assert time_with_note(None, "UTC") == ""


def test_a_forecast_explanation_on_a_page_shows_the_viewers_time_and_the_assignees_as_a_note():
    schedule = WorkSchedule("America/Los_Angeles")
    due, finish = datetime(2026, 12, 2, 1, 0, tzinfo=UTC), datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    f = TaskForecast(7, finish, True, -8.0, 16.0, "late", 0, 8.0, ())
    assert explain(f, "Fran", schedule, due, viewer="Europe/Lisbon") == (
        "needs 16 h, Fran has 8 working hours before Wed 2 Dec 01:00 (Europe/Lisbon; 17:00 Tue for Fran, "
        "Los Angeles); projected finish Thu 3 Dec 01:00 (Europe/Lisbon; 17:00 Wed for Fran, Los Angeles), "
        "8 working hours late")


def test_the_deadline_everywhere_comes_from_the_one_filter(zones, client):
    make_task(zones["o"], "Old one", due_at=datetime(2025, 12, 1, 12, 0, tzinfo=UTC))
    login(client, zones["olga"])
    page = client.get(f"/teams/{zones['o'].team_id}/tasks").get_data(as_text=True)
    assert "Mon 01 Dec 2025 12:00</time>" in page and "days overdue</span>" in page


# Workload: overdue work apart, load over the coming week and four weeks ----------------------------------


def test_overdue_work_is_shown_apart_and_does_not_make_anyone_over_capacity(app):
    ana = make_user("Ana")  # 9-17 Mon-Fri UTC; from Monday 12:00, 5 + 4 × 8 + 3 = 40 h in the coming week
    # 120 h overdue, 10 h due on Wednesday, 20 h due in three weeks.
    tasks = [(NOW - timedelta(days=2), 120.0), (NOW + timedelta(days=2), 10.0),
             (NOW + timedelta(days=21), 20.0)]
    load = prioritisation.workload(ana, tasks, NOW)
    assert (load.overdue_tasks, load.overdue_hours) == (1, 120.0)
    assert not load.overloaded  # counting the overdue 120 h against Wednesday made her "over capacity"
    assert (load.week_hours, load.week_capacity_hours) == (10.0, 40.0)
    assert (load.four_weeks_hours, load.four_weeks_capacity_hours) == (30.0, 160.0)


def test_the_dashboard_and_the_api_show_overdue_work_and_the_coming_weeks(zones, client, app, monkeypatch):
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)
    o, fran = zones["o"], zones["fran"]
    make_task(o, "Long overdue", assignee_id=fran.id, estimate_hours=100, due_at=NOW - timedelta(days=3))
    make_task(o, "This week", assignee_id=fran.id, estimate_hours=6, due_at=NOW + timedelta(days=2))
    stored_forecast.refresh_all(now=NOW)
    loads = {p.user.id: p for p in prioritisation.dashboard(o, NOW).by_assignee}
    fran_load = loads[fran.id]
    assert (fran_load.overdue_tasks, fran_load.overdue_hours, fran_load.week_hours) == (1, 100.0, 6.0)
    assert not loads[fran.id].overloaded
    with app.test_request_context():
        api = Api(client, token_for(zones["olga"]), DocumentedResponses(openapi_document()))
    people = {p["user_id"]: p for p in api.get(f"/teams/{o.team_id}/deadlines").get_json()["by_assignee"]}
    assert people[fran.id]["overdue_hours"] == 100.0 and people[fran.id]["overloaded"] is False
    assert people[fran.id]["week_hours"] == 6.0 and people[fran.id]["week_capacity_hours"] > 0
    login(client, zones["olga"])
    page = client.get(f"/teams/{o.team_id}/dashboard").get_data(as_text=True)
    row = page.split(">Fran</a>")[1].split("</tr>")[0]
    assert "1 task</a>, 100 h" in row and "over capacity" not in row
