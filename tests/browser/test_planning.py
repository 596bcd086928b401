"""Planning in a real browser: plan my day from "my work" and act on it without an edit form; the
calendar's week with today, a legend and my planned work; the matrix moved by drag and by keyboard; the
board at 375 px with its filters folded and its first card on the first screen; mention suggestions by
keyboard. Every new control axe-clean in light and dark and at 375 px."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import add_to_team, make_task, make_team, make_user
from tracker import boards
from tracker.extensions import db
from tracker.models import Task

from .conftest import COLOUR_RULES, PHONE, assert_accessible, assert_no_horizontal_overflow, log_in


@pytest.fixture(scope="module")
def world(live_server):
    """Olga (Lisbon) owns a team with Manu and Mia; three tasks of hers are planned (one too big for its
    deadline); the matrix has a task without a deadline (later) and an important one due in ten days
    (schedule); a second team of hers is new and empty."""
    with live_server.data():
        now = datetime.now(UTC)
        olga = make_user("Olga", timezone="Europe/Lisbon")
        owner = make_team(olga, "Backend")
        manu, mia = make_user("Manu"), make_user("Mia", timezone="Asia/Tokyo")
        add_to_team(owner, manu)
        add_to_team(owner, mia)
        first = make_task(owner, "Migrate the ledger", assignee_id=olga.id, estimate_hours=30,
                          due_at=now + timedelta(days=1), priority="high")
        second = make_task(owner, "Review the payout API", assignee_id=olga.id, estimate_hours=2,
                           due_at=now + timedelta(days=6))
        make_task(owner, "Write the runbook", assignee_id=olga.id, estimate_hours=3, due_at=now + timedelta(days=8))
        later = make_task(owner, "Tidy the wiki", priority="low", assignee_id=manu.id)
        schedule = make_task(owner, "Plan the upgrade", priority="high", due_at=now + timedelta(days=10),
                             assignee_id=mia.id)
        for n in range(4):
            make_task(owner, f"Card {n}", assignee_id=manu.id, status="in_progress")
        boards.set_wip_limits(owner, {"in_progress": "2"})
        empty = make_team(olga, "Greenfield")
        return {"email": olga.email, "team": owner.team_id, "empty": empty.team_id, "first": first.id,
                "second": second.id, "later": later.id, "schedule": schedule.id}


def task(live_server, task_id: int) -> Task:
    with live_server.data():
        found = db.session.get(Task, task_id)
        db.session.expunge(found)
        return found


def in_days(n: int) -> str:
    return (datetime.now(UTC) + timedelta(days=n)).date().isoformat()


def test_plan_my_day_and_act_on_it_by_keyboard(world, page, live_server):
    log_in(page, world["email"])
    page.goto("/my-work")
    page.get_by_role("link", name="Plan: today").click()
    expect(page).to_have_url(re.compile(r"/my-work/plan\?days=1$"))
    now = page.locator(".plan-now")
    expect(now).to_contain_text("Migrate the ledger")
    expect(page.locator(".plan-slipping")).to_contain_text("Migrate the ledger")  # 30 h in a day: it slips
    done = now.get_by_role("button", name=f"Done #{world['first']}")
    done.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/my-work/plan\?days=1$"))
    expect(page.locator(".plan-now")).to_contain_text("Review the payout API")
    assert task(live_server, world["first"]).status == "done"
    page.get_by_role("link", name="Plan: this week").click()
    expect(page.locator(".plan-blocks li")).to_have_count(2)


@pytest.mark.parametrize(("scheme", "viewport"), [("light", None), ("dark", None), ("light", PHONE)])
def test_the_new_views_are_accessible_in_both_themes_and_on_a_phone(world, new_context, scheme, viewport):
    page = new_context(color_scheme=scheme, **({"viewport": viewport} if viewport else {})).new_page()
    log_in(page, world["email"])
    rules = COLOUR_RULES if scheme == "dark" else None
    for path in ("/my-work/plan?days=5", f"/teams/{world['team']}/calendar?view=week&blocks=1",
                 f"/teams/{world['team']}/eisenhower", f"/teams/{world['team']}/board?lanes=assignee",
                 f"/teams/{world['empty']}/board", f"/teams/{world['team']}/calendar"):
        page.goto(path)
        if "eisenhower" in path:
            page.locator("details.move-quadrant summary").first.click()  # an open Move form too
        assert_accessible(page, rules)
        if viewport:
            assert_no_horizontal_overflow(page)


def test_the_week_marks_today_explains_its_marks_and_shows_my_planned_work(world, page):
    log_in(page, world["email"])
    page.goto(f"/teams/{world['team']}/calendar")
    page.get_by_role("link", name="Week", exact=True).click()
    today = page.locator(".week-day[aria-current=date]")
    expect(today).to_have_count(1)
    expect(today.locator(".today-tag")).to_have_text("today")
    expect(page.get_by_role("heading", name="Legend")).to_be_visible()
    expect(page.locator(".legend")).to_contain_text("at risk: projected to finish after its deadline")
    page.get_by_role("link", name="Show my planned work").click()
    expect(page.locator(".cal-block").first).to_contain_text("work on #")
    page.get_by_role("link", name="Next week →").click()
    expect(page).to_have_url(re.compile(r"view=week.*blocks=1|blocks=1.*view=week"))


def drag(page, source, target) -> None:
    """HTML drag and drop as the browser sends it (Playwright's mouse drag scrolls the 2×2 matrix under
    the held button, picking up whatever card is then under it)."""
    data = page.evaluate_handle("() => new DataTransfer()")
    source.dispatch_event("dragstart", {"dataTransfer": data})
    target.dispatch_event("dragover", {"dataTransfer": data})
    target.dispatch_event("drop", {"dataTransfer": data})
    source.dispatch_event("dragend", {"dataTransfer": data})


def test_the_matrix_moves_a_card_by_drag_and_by_keyboard(world, page, live_server, js_problems):
    log_in(page, world["email"])
    page.goto(f"/teams/{world['team']}/eisenhower")
    later = page.locator(f"li.matrix-card[data-task-id='{world['later']}']")
    # Later → schedule: the priority alone changes, at once.
    drag(page, later, page.locator(".quadrant[data-quadrant='schedule'] .matrix-cards"))
    expect(page.locator(".quadrant[data-quadrant='schedule']").locator(later)).to_have_count(1)
    expect(page.locator("#matrix-status")).to_contain_text("moved to Schedule")
    assert task(live_server, world["later"]).priority == "high"
    # Schedule → do crosses the urgent axis: the card's form opens with the date field focused.
    card = page.locator(f"li.matrix-card[data-task-id='{world['schedule']}']")
    drag(page, card, page.locator(".quadrant[data-quadrant='do'] .matrix-cards"))
    due = card.get_by_label("New deadline")
    expect(due).to_be_focused()
    expect(page.locator("#matrix-status")).to_contain_text("pick its new deadline")
    # By keyboard: the date, then Tab to Move and Enter.
    due.fill(in_days(1))
    due.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".quadrant[data-quadrant='do']").locator(card)).to_have_count(1)
    moved = task(live_server, world["schedule"])
    assert moved.due_at is not None and moved.due_at - datetime.now(UTC) < timedelta(days=3)
    # A refused move says why.
    js_problems.allow("/quadrant", "422")
    summary = page.locator(f"li.matrix-card[data-task-id='{world['later']}'] summary")
    summary.focus()
    page.keyboard.press("Enter")
    form = page.locator(f"li.matrix-card[data-task-id='{world['later']}'] form.quadrant-form")
    form.get_by_label(re.compile("Quadrant for")).select_option("do")
    form.get_by_role("button", name="Move").press("Enter")
    expect(page.locator("#matrix-status")).to_contain_text("Pick a deadline within the next")


def test_a_phone_shows_board_cards_on_the_first_screen_with_filters_behind_a_button(world, new_context):
    page = new_context(viewport=PHONE).new_page()
    log_in(page, world["email"])
    page.goto(f"/teams/{world['team']}/board?q=")  # no swimlanes that another test left remembered
    filters = page.locator("details[data-filters]")
    expect(filters).not_to_have_attribute("open", "")
    expect(page.get_by_label("Search")).to_be_hidden()
    first_card = page.locator(".cards-column li").first
    box = first_card.bounding_box()
    assert box is not None and box["y"] < PHONE["height"], box
    page.locator("details[data-filters] summary").click()
    expect(page.get_by_label("Search")).to_be_visible()
    # The over-limit column says so.
    expect(page.locator(".column[data-status='in_progress'] .wip-over")).to_contain_text("over the limit")


def test_the_board_reopens_on_the_last_filter(world, page):
    log_in(page, world["email"])
    page.goto(f"/teams/{world['team']}/board?q=")
    filters = page.get_by_role("search", name="Filter tasks")
    filters.get_by_label("Assignee").select_option("me")
    filters.get_by_role("button", name="Filter").click()
    page.goto(f"/teams/{world['team']}/board")
    expect(page.get_by_text("The filter you last used on this board")).to_be_visible()
    expect(filters.get_by_label("Assignee")).to_have_value("me")
    page.get_by_role("link", name="Show all tasks").click()
    expect(page.get_by_text("The filter you last used on this board")).to_have_count(0)


def test_mention_suggestions_by_keyboard(world, page, live_server):
    log_in(page, world["email"])
    page.goto(f"/tasks/{world['second']}")
    box = page.get_by_role("combobox", name=re.compile("Comment"))
    box.click()
    box.type("Thanks @m")
    options = page.get_by_role("listbox", name="People to mention").get_by_role("option")
    expect(options).to_have_text(["Manu", "Mia"])
    expect(box).to_have_attribute("aria-expanded", "true")
    assert_accessible(page)
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(box).to_have_value("Thanks @Mia ")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.type("and @ma")
    expect(options).to_have_text(["Manu"])
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox", name="People to mention")).to_be_hidden()
    page.get_by_role("button", name="Comment").click()
    expect(page.locator(".comment").last.locator("a.mention")).to_have_text(["@Mia"])
