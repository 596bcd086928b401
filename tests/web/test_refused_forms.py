"""One error path for the HTML forms: a domain refusal is shown on the page the form belongs to, beside the
field it names, with status 422 and the user's input kept; a script that asks for JSON gets JSON. Ids
in paths are bounded the same way for the pages and the API."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_task, new_task_form
from tracker.extensions import db
from tracker.models import SavedFilter, Task, TimeEntry
from tracker.vocabulary import MAX_ID, MIN_ID


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def refused(client, user, url: str, data: dict) -> str:
    """Post a form as `user`; it must be refused with 422. The page that came back."""
    login(client, user)
    response = client.post(url, data=data)
    assert response.status_code == 422, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("hours", "message"),
    [("25", "Log at most 24 hours per entry."), ("0", "Log at least 0.01 hours."), ("abc", "Not a valid float value.")],
)
def test_a_refused_time_entry_shows_the_task_page_again_with_the_error_and_the_input(client, crew, hours, message):
    task = make_task(crew["owner_m"], "Profile queries")
    page = refused(client, crew["member"], f"/tasks/{task.id}/time",
                   {"hours": hours, "spent_on": "2026-03-02", "note": "EXPLAIN"})
    assert f'<p class="error" id="log-hours-error">{message}</p>' in page
    assert f'value="{hours}"' in page and 'value="2026-03-02"' in page and 'value="EXPLAIN"' in page
    assert "Profile queries" in page  # the task page, not an error page
    assert count(TimeEntry) == 0


def test_a_time_entry_on_a_day_out_of_range_is_shown_beside_the_day(client, crew):
    task = make_task(crew["owner_m"])
    page = refused(client, crew["member"], f"/tasks/{task.id}/time", {"hours": "1", "spent_on": "1999-12-31"})
    assert '<p class="error" id="log-day-error">Enter a day between 2000-01-01 and 2100-12-31.</p>' in page


def test_an_accepted_time_entry_still_redirects_to_the_task(client, crew):
    task = make_task(crew["owner_m"])
    login(client, crew["member"])
    response = client.post(f"/tasks/{task.id}/time", data={"hours": "1.5", "spent_on": date.today().isoformat()})
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{task.id}#time"
    assert count(TimeEntry) == 1


def test_a_refused_saved_filter_shows_its_page_again_with_the_filter_kept(client, crew):
    team = crew["team_id"]
    page = refused(client, crew["member"], f"/teams/{team}/filters",
                   {"name": "  ", "view": "board", "priority": "high", "assignee": "me"})
    assert "Give the filter a name." in page
    assert 'class="board"' in page and '<option value="high" selected>' in page  # the board, still filtered
    assert f'action="/teams/{team}/board"' in page  # the filter bar still filters the board, not /filters
    assert '<details class="save-filter" open>' in page
    assert count(SavedFilter) == 0


def test_a_saved_filter_with_a_bad_filter_shows_the_filter_errors(client, crew):
    page = refused(client, crew["member"], f"/teams/{crew['team_id']}/filters",
                   {"name": "Mine", "view": "list", "status": "nope"})
    assert "status: Choose one of: open" in page
    assert count(SavedFilter) == 0


def test_notification_settings_name_the_kind_that_was_refused(client, crew):
    page = refused(client, crew["member"], "/settings/notifications", {"commented": "carrier-pigeon"})
    assert "Someone comments on a task I watch: Choose one of: in_app, email, both, none." in page


def test_a_status_change_refused_by_the_domain(client, crew):
    task = make_task(crew["owner_m"])
    login(client, crew["member"])
    as_json = client.post(f"/tasks/{task.id}/status", data={"status": "bogus"}, headers={"Accept": "application/json"})
    assert as_json.status_code == 422 and "Choose one of" in as_json.get_json()["error"]
    as_form = client.post(f"/tasks/{task.id}/status", data={"status": "bogus", "next": "/my-work"})
    assert as_form.status_code == 302 and as_form.headers["Location"] == "/my-work"
    assert "Choose one of" in client.get("/my-work").get_data(as_text=True)  # flashed on the page it went back to
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "todo"


def test_a_refused_task_form_keeps_the_input(client, crew):
    page = refused(client, crew["member"], f"/teams/{crew['team_id']}/tasks/new",
                   new_task_form(title="x" * 201, description="Kept"))
    assert "Kept</textarea>" in page and "x" * 201 in page
    assert count(Task) == 0


@pytest.mark.parametrize("task_id", ["0", str(MAX_ID + 1), "99999999999999999999"])
def test_a_number_that_is_not_an_id_is_404_on_both_surfaces(client, crew, task_id):
    login(client, crew["member"])
    assert client.get(f"/tasks/{task_id}").status_code == 404
    assert client.post(f"/tasks/{task_id}/delete").status_code == 404
    response = client.get(f"/api/v1/tasks/{task_id}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_the_largest_id_is_routed(client, crew):
    login(client, crew["member"])
    page = client.get(f"/tasks/{MAX_ID}")
    assert page.status_code == 404 and "There is nothing here" in page.get_data(as_text=True)  # a lookup, not routing


def test_the_api_document_states_the_id_bounds(client):
    document = client.get("/api/v1/openapi.json").get_json()
    parameter = document["paths"]["/tasks/{task_id}"]["get"]["parameters"][0]
    assert parameter["schema"] == {"type": "integer", "minimum": MIN_ID, "maximum": MAX_ID}
    assert document["components"]["schemas"]["MarkRead"]["properties"]["ids"]["anyOf"][0]["items"] == {
        "type": "integer", "minimum": MIN_ID, "maximum": MAX_ID}
