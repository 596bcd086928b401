"""Acting where a task is seen, in Chromium: in-place edits saved on an explicit choice (never on an arrow
key), kept focus and a spoken result; a stale edit shown with the current values; bulk changes with a
result per row and Undo; and the task page's forms that keep what was typed beside the form. Every new
control is labelled and passes axe-core in light and dark, and at 375 px."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import add_to_team, make_task, make_team, make_user, membership
from tracker import tasks
from tracker.extensions import db
from tracker.models import Task, User, utcnow

from .conftest import PHONE, assert_accessible, assert_no_horizontal_overflow, log_in


@pytest.fixture(scope="module")
def team(live_server):
    with live_server.data():
        olga = make_user("Olga", timezone="Europe/Lisbon")
        owner = make_team(olga, "Payments")
        mia = make_user("Mia", timezone="Asia/Tokyo")
        add_to_team(owner, mia)
        return {"olga": olga.email, "mia": mia.email, "mia_id": mia.id, "team": owner.team_id}


def new_task(live_server, team, title: str, **fields) -> int:
    with live_server.data():
        olga = db.session.query(User).filter_by(email=team["olga"]).one()
        return make_task(membership(team["team"], olga), title, **fields).id


def stored(live_server, task_id: int) -> Task:
    with live_server.data():
        task = db.session.get(Task, task_id)
        db.session.expunge(task)
        return task


def test_keyboard_moves_through_statuses_and_saves_on_enter_with_undo(live_server, team, page):
    task_id = new_task(live_server, team, "Retry failed payouts", status="todo")
    log_in(page, team["olga"])
    page.goto(f"/tasks/{task_id}")
    status = page.get_by_label("Status", exact=True)
    status.focus()
    for _ in range(4):  # todo → in progress → in review → blocked → done, nothing saved on the way
        page.keyboard.press("ArrowDown")
    expect(status).to_have_value("done")
    assert stored(live_server, task_id).status == "todo"
    page.keyboard.press("Enter")
    expect(page.locator("#inline-status")).to_contain_text(f"#{task_id}: status changed.")
    expect(status).to_be_focused()  # the focus stays where the choice was made
    assert stored(live_server, task_id).status == "done"
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(rf"^Undo: #{task_id} marked done")).click()
    expect(page.get_by_text("Undone: 1 task put back.")).to_be_visible()
    expect(page.get_by_label("Status", exact=True)).to_have_value("todo")
    assert stored(live_server, task_id).status == "todo"


def test_a_stale_in_place_edit_shows_the_current_values(live_server, team, page, js_problems):
    task_id = new_task(live_server, team, "Reconcile the ledger", priority="medium")
    log_in(page, team["olga"])
    page.goto(f"/tasks/{task_id}")
    with live_server.data():  # Mia raises it to critical while Olga looks at the page
        task = db.session.get(Task, task_id)
        mia = db.session.query(User).filter_by(email=team["mia"]).one()
        tasks.update_task(membership(team["team"], mia), task, {"priority": "critical"})
    js_problems.allow(f"/tasks/{task_id}/inline", "409")
    page.get_by_label("Priority", exact=True).select_option("low")
    page.get_by_role("button", name="Save priority").click()
    expect(page.locator("#inline-status")).to_contain_text("changed by someone else meanwhile")
    expect(page.get_by_label("Priority", exact=True)).to_have_value("critical")
    assert stored(live_server, task_id).priority == "critical"
    page.get_by_label("Estimate (h)").fill("6")  # the next edit carries the fresh version
    page.keyboard.press("Enter")
    expect(page.locator("#inline-status")).to_contain_text("estimate changed")
    assert stored(live_server, task_id).estimate_hours == 6


def test_bulk_change_from_the_list_with_results_and_undo(live_server, team, page):
    ids = [new_task(live_server, team, f"Bulk task {n}", priority="low") for n in range(3)]
    log_in(page, team["olga"])
    page.goto(f"/teams/{team['team']}/tasks?q=Bulk+task")
    page.get_by_label("Select all tasks on this page").check()
    expect(page.locator("[data-selected-count]")).to_have_text("3 selected")
    page.get_by_label(f"Select #{ids[2]} Bulk task 2").uncheck()
    page.get_by_label("Set priority").select_option("high")
    page.get_by_label("Assign to").select_option(label="Mia")
    page.get_by_role("button", name="Apply to selected").click()
    results = page.get_by_role("region", name="Results of the bulk change")
    expect(results).to_contain_text(f"#{ids[0]}")
    expect(results.get_by_role("row")).to_have_count(3)  # a header and one row per ticked task
    expect(page.get_by_text("2 tasks changed.")).to_be_visible()
    assert [stored(live_server, i).priority for i in ids] == ["high", "high", "low"]
    assert stored(live_server, ids[0]).assignee_id == team["mia_id"]
    assert_accessible(page)
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Undone: 2 tasks put back.")).to_be_visible()
    assert [stored(live_server, i).priority for i in ids] == ["low", "low", "low"]
    assert stored(live_server, ids[0]).assignee_id is None


def test_a_refused_time_entry_stays_at_its_form_with_the_note(live_server, team, page):
    task_id = new_task(live_server, team, "Pair on the payout client")
    log_in(page, team["olga"])
    page.goto(f"/tasks/{task_id}")
    page.get_by_label("Hours").fill("30")
    page.get_by_label("Note (optional)").fill("Pairing with Mia on retries")
    page.get_by_role("button", name="Log time").click()
    expect(page).to_have_url(re.compile(r"/time#time-form$"))
    error = page.locator("#log-hours-error")
    expect(error).to_have_text("Log at most 24 hours per entry.")
    expect(error).to_be_in_viewport()  # beside the form, where the page landed
    expect(page.get_by_label("Hours")).to_be_focused()
    expect(page.get_by_label("Hours")).to_have_value("30")
    expect(page.get_by_label("Note (optional)")).to_have_value("Pairing with Mia on retries")
    page.get_by_label("Hours").fill("3")
    page.get_by_role("button", name="Log time").click()
    expect(page.get_by_text(f"Logged 3 h on #{task_id}.")).to_be_visible()


def test_a_refused_checklist_item_stays_beside_its_form(live_server, team, page):
    task_id = new_task(live_server, team, "Checklist task")
    log_in(page, team["olga"])
    page.goto(f"/tasks/{task_id}")
    page.get_by_label("Add an item").fill("   ")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#new-item-error")).to_be_in_viewport()
    expect(page.get_by_label("Add an item")).to_be_focused()


def test_my_work_status_moves_with_arrows_and_saves_on_enter(live_server, team, page):
    task_id = new_task(live_server, team, "Ship the refunds endpoint", status="todo")
    with live_server.data():
        task = db.session.get(Task, task_id)
        tasks.update_task(membership(team["team"], task.reporter), task, {"assignee_id": task.reporter_id})
    log_in(page, team["olga"])
    page.goto("/my-work")
    select = page.get_by_label(f"Status of #{task_id}")
    select.focus()
    for _ in range(4):
        page.keyboard.press("ArrowDown")
    expect(select).to_have_value("done")
    expect(page).to_have_url(re.compile(r"/my-work$"))
    assert stored(live_server, task_id).status == "todo"  # nothing saved on the way
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert stored(live_server, task_id).status == "done"


def test_a_pasted_long_title_is_counted_not_cut_and_a_past_deadline_is_said(live_server, team, page):
    log_in(page, team["olga"])
    page.goto(f"/teams/{team['team']}/tasks/new")
    title = "Investigate why the nightly export stalls " * 6
    page.get_by_label("Title").fill(title)
    expect(page.locator("#title-hint")).to_contain_text(
        f"{len(title)} of 200 characters: {len(title) - 200} too many")
    expect(page.get_by_label("Title")).to_have_value(title)  # nothing cut
    past = (utcnow() - timedelta(days=3)).date().isoformat()
    page.get_by_label("Deadline date").fill(past)
    expect(page.locator("#due_date-hint")).to_have_text(
        "This date is in the past: the task will show as overdue.")
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_text(f"Use at most 200 characters (this has {len(title.strip())}).")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(title)  # kept as pasted, to shorten
    page.get_by_label("Title").fill("Investigate why the nightly export stalls")
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_text(re.compile(r"is already past, so #\d+ shows as overdue"))).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_new_controls_pass_axe_in_both_themes_and_on_a_phone(live_server, team, new_context, scheme):
    task_id = new_task(live_server, team, "Accessible controls", estimate_hours=2)
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        page = new_context(color_scheme=scheme, viewport=viewport).new_page()
        log_in(page, team["olga"])
        for path in (f"/tasks/{task_id}", f"/teams/{team['team']}/tasks", f"/teams/{team['team']}/board"):
            page.goto(path)
            if "board" in path:
                page.locator(f"li[data-task-id='{task_id}'] a.card-edit").click()
                expect(page.locator(f"#card-priority-{task_id}")).to_be_visible()
            assert_accessible(page)
            if viewport == PHONE:
                assert_no_horizontal_overflow(page)


def test_without_javascript_an_in_place_form_saves_and_offers_undo(live_server, team, new_context):
    task_id = new_task(live_server, team, "No script", status="in_progress")
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, team["olga"])
    page.goto(f"/teams/{team['team']}/tasks?q=No+script")
    page.get_by_label(f"Status of #{task_id}").select_option("done")
    page.get_by_role("button", name=f"Save status of #{task_id}").click()
    expect(page.get_by_label(f"Status of #{task_id}")).to_have_value("done")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Undone: 1 task put back.")).to_be_visible()
    assert stored(live_server, task_id).status == "in_progress"


def test_a_cards_edit_is_fetched_when_opened_and_saves_in_place(live_server, team, page, js_problems):
    task_id = new_task(live_server, team, "Card edited in place", priority="medium")
    log_in(page, team["olga"])
    page.goto(f"/teams/{team['team']}/board?q=Card+edited")
    card = page.locator(f"li[data-task-id='{task_id}']")
    expect(card.locator("select[name=priority]")).to_have_count(0)  # not carried by the board
    card.get_by_role("link", name=f"Edit #{task_id} in place").focus()
    page.keyboard.press("Enter")
    priority = card.get_by_label("Priority", exact=True)
    expect(priority).to_be_visible()
    expect(card.locator(".card-edit summary")).to_be_focused()  # where "Edit" was, now open
    priority.select_option("high")
    card.get_by_role("button", name=f"Save priority of #{task_id}").click()
    expect(page.locator("#inline-status")).to_contain_text(f"#{task_id}: priority changed.")
    assert stored(live_server, task_id).priority == "high"
    card.get_by_label("Estimate (h)").fill("3")  # the next save carries the fresh version
    page.keyboard.press("Enter")
    expect(page.locator("#inline-status")).to_contain_text(f"#{task_id}: estimate changed.")
    expect(card.get_by_label("Estimate (h)")).to_be_focused()
    assert stored(live_server, task_id).estimate_hours == 3


def test_without_javascript_a_cards_edit_opens_the_task_pages_forms(live_server, team, new_context):
    task_id = new_task(live_server, team, "Card without script")
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, team["olga"])
    page.goto(f"/teams/{team['team']}/board?q=Card+without")
    page.get_by_role("link", name=f"Edit #{task_id} in place").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task_id}#act-title$"))
    page.get_by_label("Priority", exact=True).select_option("low")
    page.get_by_role("button", name="Save priority").click()
    expect(page.get_by_label("Priority", exact=True)).to_have_value("low")
    assert stored(live_server, task_id).priority == "low"


def test_a_card_dragged_to_done_can_be_taken_back(live_server, team, page):
    task_id = new_task(live_server, team, "Drag me to done", status="in_review")
    log_in(page, team["olga"])
    page.goto(f"/teams/{team['team']}/board?q=Drag+me")
    done = page.locator(".column[data-status='done'] .cards-column")
    page.locator(f"li[data-task-id='{task_id}']").drag_to(done)
    expect(page.locator("#board-status")).to_contain_text("moved to done")
    assert stored(live_server, task_id).status == "done"
    page.get_by_role("button", name=f"Undo: #{task_id} marked done.").click()
    expect(page.get_by_text("Undone: 1 task put back.")).to_be_visible()
    expect(page.locator(f".column[data-status='in_review'] li[data-task-id='{task_id}']")).to_be_visible()
