"""In-place edits, bulk changes from the list and the Undo button, through the HTML forms (no JavaScript):
each is a post that redirects back with the change visible; a script asking for JSON gets the values."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.factories import PASSWORD, login, make_pair_and_outsider, make_task
from tracker import tasks
from tracker.extensions import db
from tracker.models import Task, UndoRecord, utcnow

JSON = {"Accept": "application/json"}


@pytest.fixture
def pair(app, client):
    world = make_pair_and_outsider()
    login(client, world["owner"])
    return world


def test_the_task_page_changes_each_field_in_place(client, pair):
    task = make_task(pair["o"], "Rotate the keys")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    for label in ("Status", "Priority", "Assignee", "Deadline", "Estimate (h)"):
        assert re.search(rf'<label for="il-[a-z_]+-{task.id}">{re.escape(label)}</label>', page)
    response = client.post(f"/tasks/{task.id}/inline", data={"version": task.version, "priority": "high",
                                                           "next": f"/tasks/{task.id}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task.id}")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert '<option value="high" selected>high</option>' in page and "priority changed" in page
    for fields, check in (
        ({"assignee_id": str(pair["mate"].id)}, lambda t: t.assignee_id == pair["mate"].id),
        ({"estimate_hours": "2.5"}, lambda t: t.estimate_hours == 2.5),
        ({"due_date": "2031-03-14"}, lambda t: t.due_at.date() == date(2031, 3, 14)),
        ({"estimate_hours": ""}, lambda t: t.estimate_hours is None),
        ({"assignee_id": ""}, lambda t: t.assignee_id is None),
    ):
        db.session.refresh(task)
        answer = client.post(f"/tasks/{task.id}/inline", data={"version": task.version, **fields})
        assert answer.status_code == 302
        db.session.refresh(task)
        assert check(task), fields


def test_a_stale_in_place_edit_is_reported_with_the_current_values_not_saved(client, pair):
    task = make_task(pair["o"])
    shown = task.version
    tasks.update_task(pair["m"], task, {"status": "in_review", "priority": "critical"})
    response = client.post(f"/tasks/{task.id}/inline", data={"version": shown, "status": "done"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "changed by someone else meanwhile" in page and "It is now: in review, critical priority" in page
    assert db.session.get(Task, task.id).status == "in_review"
    answer = client.post(f"/tasks/{task.id}/inline", data={"version": shown, "status": "done"}, headers=JSON)
    assert answer.status_code == 409
    assert answer.json["task"]["status"] == "in_review" and answer.json["task"]["version"] == task.version


def test_bad_values_are_refused_and_write_nothing(client, pair):
    task = make_task(pair["o"])
    version = task.version
    for fields in ({"estimate_hours": "lots"}, {"estimate_hours": "-1"}, {"due_date": "2031-02-30"},
                   {"status": "finished"}, {"assignee_id": str(pair["outsider"].id)}, {"assignee_id": "x"}):
        answer = client.post(f"/tasks/{task.id}/inline", data={"version": version, **fields}, headers=JSON)
        assert answer.status_code == 422 and answer.json["error"], fields
    assert client.post(f"/tasks/{task.id}/inline", data={"status": "done"}).status_code == 400
    assert db.session.get(Task, task.id).version == version


def test_another_teams_task_is_not_found(client, pair):
    theirs = make_task(pair["x"], "Not yours")
    assert client.post(f"/tasks/{theirs.id}/inline", data={"version": theirs.version, "status": "done"}
                       ).status_code == 404
    assert client.post(f"/teams/{pair['x'].team_id}/tasks/bulk", data={"ids": [str(theirs.id)],
                                                                        "status": "done"}).status_code == 404
    assert db.session.get(Task, theirs.id).status == "todo"


def test_a_past_deadline_is_saved_with_a_visible_note(client, pair):
    task = make_task(pair["o"])
    yesterday = (utcnow() - timedelta(days=2)).date().isoformat()
    page = client.post(f"/tasks/{task.id}/inline", data={"version": task.version, "due_date": yesterday},
                       follow_redirects=True).get_data(as_text=True)
    assert "is already past" in page and "shows as overdue" in page


def test_marking_done_offers_undo_once_and_undo_puts_the_status_back(client, pair):
    task = make_task(pair["o"], status="in_progress")
    answer = client.post(f"/tasks/{task.id}/inline", data={"version": task.version, "status": "done"},
                         headers=JSON)
    assert answer.json["undo"]["label"] == f"#{task.id} marked done."
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f'action="/undo/{answer.json["undo"]["id"]}"' in page and ">Undo</button>" in page
    assert ">Undo</button>" not in client.get(f"/tasks/{task.id}").get_data(as_text=True)  # offered once
    page = client.post(answer.json["undo"]["action"], data={"next": f"/tasks/{task.id}"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Undone: 1 task put back." in page
    assert db.session.get(Task, task.id).status == "in_progress"
    again = client.post(answer.json["undo"]["action"], data={"next": f"/tasks/{task.id}"},
                        follow_redirects=True)
    assert "Too late to undo" in again.get_data(as_text=True)


def test_trash_offers_undo_even_to_a_member(app, pair):
    client = app.test_client()
    login(client, pair["mate"])
    task = make_task(pair["o"])
    page = client.post(f"/tasks/{task.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert f"#{task.id} moved to the trash." in page
    record = db.session.query(UndoRecord).one()
    client.post(f"/undo/{record.id}", data={"next": "/my-work"})
    assert db.session.get(Task, task.id).deleted_at is None


def test_someone_elses_undo_is_not_found(app, client, pair):
    task = make_task(pair["o"])
    client.post(f"/tasks/{task.id}/inline", data={"version": task.version, "status": "done"})
    record = db.session.query(UndoRecord).one()
    other = app.test_client()
    login(other, pair["mate"])
    assert other.post(f"/undo/{record.id}", data={}).status_code == 404
    assert db.session.get(Task, task.id).status == "done"


def test_bulk_change_from_the_list_shows_a_result_per_row(client, pair):
    one, two, three = (make_task(pair["o"], f"Task {n}") for n in (1, 2, 3))
    stale = two.version
    tasks.update_task(pair["m"], two, {"title": "Renamed meanwhile"})
    page = client.get(f"/teams/{pair['team_id']}/tasks").get_data(as_text=True)
    assert f'name="ids" value="{one.id}" form="bulk"' in page and "Select all on this page" in page
    data = {"ids": [str(one.id), str(two.id), "999999"], f"version-{one.id}": str(one.version),
            f"version-{two.id}": str(stale), "priority": "high", "assignee_id": str(pair["mate"].id),
            "action": "set", "next": f"/teams/{pair['team_id']}/tasks"}
    page = client.post(f"/teams/{pair['team_id']}/tasks/bulk", data=data, follow_redirects=True
                       ).get_data(as_text=True)
    assert "Results of the bulk change" in page
    assert re.search(rf"#{one.id}</a></td><td>applied", page)
    assert re.search(rf"#{two.id}</a></td><td>conflict: not changed</td><td>Changed by someone else", page)
    assert "No live task #999999 in this team." in page
    assert "1 task changed (1 conflict, 1 refused)." in page and ">Undo</button>" in page
    assert db.session.get(Task, one.id).priority == "high"
    assert db.session.get(Task, two.id).priority == "medium"
    assert db.session.get(Task, three.id).priority == "medium"
    record = db.session.query(UndoRecord).one()
    client.post(f"/undo/{record.id}", data={})
    assert db.session.get(Task, one.id).priority == "medium"
    assert db.session.get(Task, one.id).assignee_id is None


def test_bulk_trash_and_select_all(client, pair):
    one, two = make_task(pair["o"], "One"), make_task(pair["o"], "Two")
    page = client.get(f"/teams/{pair['team_id']}/tasks?select=all").get_data(as_text=True)
    assert page.count('form="bulk" id="select-') == 2 and page.count(" checked>") >= 2
    client.post(f"/teams/{pair['team_id']}/tasks/bulk", data={"ids": [str(one.id), str(two.id)],
                                                              "action": "trash"})
    assert all(db.session.get(Task, t).deleted_at is not None for t in (one.id, two.id))


def test_a_bulk_form_without_a_choice_is_refused_and_writes_nothing(client, pair):
    one = make_task(pair["o"])
    for data in ({"ids": [str(one.id)], "action": "set"}, {"action": "trash"},
                 {"ids": ["x"], "status": "done"}, {"ids": [str(one.id)], "due_date": "soon"}):
        page = client.post(f"/teams/{pair['team_id']}/tasks/bulk", data=data, follow_redirects=True)
        assert page.status_code == 200 and 'class="flash flash-error"' in page.get_data(as_text=True), data
    assert db.session.get(Task, one.id).version == one.version
    assert db.session.query(UndoRecord).count() == 0


def test_board_cards_link_to_their_edits_instead_of_carrying_forms(client, pair):
    tasks_ = [make_task(pair["o"], f"Card {n}") for n in range(3)]
    page = client.get(f"/teams/{pair['team_id']}/board").get_data(as_text=True)
    for task in tasks_:
        # Without a script "Edit" opens the task page's in-place forms; a script fetches the card's own.
        assert (f'<a class="card-edit" href="/tasks/{task.id}#act-title" data-card-edit>'
                f'Edit<span class="visually-hidden"> #{task.id} in place</span></a>') in page
    assert 'id="card-priority-' not in page and f'action="/tasks/{tasks_[0].id}/inline"' not in page
    assert page.count('name="assignee_id"') <= 1  # the filter's only, not one select per card


def test_a_cards_edit_form_is_fetched_for_its_own_team_only(client, pair):
    task = make_task(pair["o"], "On the board")
    response = client.get(f"/tasks/{task.id}/card-edit?next=/teams/{pair['team_id']}/board%3Fq%3Dx")
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert fragment.startswith('<details class="card-edit" open>') and "<html" not in fragment
    for name, label in (("priority", "Priority"), ("assignee_id", "Assignee"), ("due_date", "Deadline"),
                        ("estimate_hours", "Estimate (h)")):
        assert f'<label for="card-{name}-{task.id}">{label}</label>' in fragment
    assert f'<option value="{pair["mate"].id}">Mia' in fragment
    assert f'name="version" value="{task.version}"' in fragment
    assert f'name="next" value="/teams/{pair["team_id"]}/board?q=x"' in fragment
    # Another site's address is not a place to come back to.
    fragment = client.get(f"/tasks/{task.id}/card-edit?next=https://evil.example/").get_data(as_text=True)
    assert "evil.example" not in fragment
    theirs = make_task(pair["x"], "Not yours")
    assert client.get(f"/tasks/{theirs.id}/card-edit").status_code == 404
    assert client.get("/tasks/999999/card-edit").status_code == 404
    tasks.move_to_trash(pair["o"], task)
    assert client.get(f"/tasks/{task.id}/card-edit").status_code == 404


def test_a_fetched_card_form_saves_with_its_csrf_token_and_version(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    world = make_pair_and_outsider()
    task = make_task(world["o"], "Guarded")
    shown = task.version
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": world["owner"].email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    fragment = client.get(f"/tasks/{task.id}/card-edit").get_data(as_text=True)
    form = fragment[fragment.index('class="inline-edit inline-priority"'):]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post(f"/tasks/{task.id}/inline", data={"version": shown, "priority": "critical"},
                       headers=JSON).status_code == 400  # no token: refused, nothing written
    assert db.session.get(Task, task.id).priority == "medium"
    answer = client.post(f"/tasks/{task.id}/inline", headers=JSON,
                         data={"csrf_token": token, "version": shown, "priority": "critical"})
    assert answer.status_code == 200 and answer.json["task"]["priority"] == "critical"
    stale = client.post(f"/tasks/{task.id}/inline", headers=JSON,
                        data={"csrf_token": token, "version": shown, "priority": "low"})
    assert stale.status_code == 409 and db.session.get(Task, task.id).priority == "critical"


# The task page's forms: errors beside the form submitted, the input kept, the page brought to the form.


def test_a_refused_time_entry_comes_back_at_its_form_with_what_was_typed(client, pair):
    task = make_task(pair["o"])
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f'action="/tasks/{task.id}/time#time-form" id="time-form"' in page
    response = client.post(f"/tasks/{task.id}/time", data={"hours": "30", "spent_on": "2026-11-20",
                                                           "note": "Pairing on the retry logic"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    form = page[page.index('id="time-form"'):]
    assert 'value="30"' in form and 'value="Pairing on the retry logic"' in form
    assert 'aria-invalid="true" aria-describedby="log-hours-error" autofocus' in form
    assert "Log at most 24 hours per entry." in form
    assert "Log at most 24 hours" not in page[:page.index('id="time-form"')]  # not at the top


def test_a_refused_checklist_item_comes_back_beside_its_form(client, pair):
    task = make_task(pair["o"])
    response = client.post(f"/tasks/{task.id}/checklist", data={"text": "   "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    form = page[page.index('id="new-item"'):]
    assert 'aria-invalid="true"' in form[:200] and 'class="error" id="new-item-error"' in form
    item = client.post(f"/tasks/{task.id}/checklist", data={"text": "Write the test"})
    assert item.status_code == 302 and item.headers["Location"].endswith("#checklist")
    item_id = db.session.get(Task, task.id).checklist[0].id
    response = client.post(f"/checklist-items/{item_id}", data={"action": "save", "text": "x" * 501})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'value="{"x" * 501}"' in page
    assert f'id="item-{item_id}-error"' in page


def test_a_refused_comment_comes_back_at_its_form(client, pair):
    task = make_task(pair["o"])
    response = client.post(f"/tasks/{task.id}/comments", data={"body": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'action="/tasks/{task.id}/comments#comment-form" id="comment-form"' in page


def test_a_long_title_is_not_cut_but_refused_with_its_length_and_kept(client, pair):
    page = client.get(f"/teams/{pair['team_id']}/tasks/new").get_data(as_text=True)
    title_input = re.search(r'<input[^>]*name="title"[^>]*>', page).group(0)
    assert "maxlength" not in title_input and 'data-max-chars="200"' in title_input
    assert "At most 200 characters (now 0)." in page
    pasted = "Investigate " + "why the nightly export stalls " * 8
    response = client.post(f"/teams/{pair['team_id']}/tasks/new", data={
        "title": pasted, "category": "database", "status": "todo", "priority": "medium"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Use at most 200 characters (this has {len(pasted.strip())})." in page
    assert f'value="{pasted}"' in page
    assert db.session.query(Task).count() == 0


def test_a_past_deadline_in_the_task_form_is_kept_with_a_visible_note(client, pair):
    past = (utcnow() - timedelta(days=3)).date().isoformat()
    page = client.post(f"/teams/{pair['team_id']}/tasks/new", data={
        "title": "Backfill the report", "category": "database", "status": "todo", "priority": "medium",
        "due_date": past}, follow_redirects=True).get_data(as_text=True)
    assert "Task #1 created." in page and "is already past, so #1 shows as overdue" in page


def test_marking_done_from_my_work_offers_undo(client, pair):
    task = make_task(pair["o"], assignee_id=pair["owner"].id, status="in_review")
    page = client.post(f"/tasks/{task.id}/status", data={"status": "done", "version": task.version,
                                                         "next": "/my-work"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert f"#{task.id} marked done." in text and ">Undo</button>" in text
    record = db.session.query(UndoRecord).one()
    client.post(f"/undo/{record.id}", data={"next": "/my-work"})
    assert db.session.get(Task, task.id).status == "in_review"
