"""What people do in the tracker, end to end in Chromium against a real server: register, build a team,
plan tasks, filter and save the filter, drag cards on the board, find them in my work and on the
calendar, settle an edit conflict between two people, log time and read the dashboard."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.factories import PASSWORD, add_to_team, make_task, make_team, make_user, membership
from tracker import tasks
from tracker.extensions import db
from tracker.models import Task, TimeEntry, User

from .conftest import assert_accessible, log_in

LISBON = ZoneInfo("Europe/Lisbon")


def lisbon_today() -> date:
    return datetime.now(LISBON).date()


def end_of(day: date) -> datetime:
    """The end of a Lisbon calendar day, as stored (UTC)."""
    return datetime.combine(day, time(23, 59), LISBON).astimezone(UTC)


def test_register_build_a_team_plan_tasks_filter_and_save_the_filter(live_server, page, new_context):
    with live_server.data():
        colleague = make_user("Rui Colleague", timezone="Europe/Lisbon")
        colleague_email = colleague.email

    page.goto("/register")
    page.get_by_label("Email").fill("nadia@example.com")
    page.get_by_label("Name").fill("Nadia Reyes")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_label("Time zone").select_option("Europe/Lisbon")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Welcome, Nadia Reyes!")).to_be_visible()

    page.get_by_label("Team name").fill("Payments")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    page.get_by_label("Email address").fill(colleague_email)
    page.get_by_role("button", name="Send invitation").click()
    link = page.get_by_label(re.compile("The invitation link")).input_value()
    invited = new_context().new_page()  # Rui, who got the link by email
    log_in(invited, colleague_email)
    invited.goto(link)
    invited.get_by_role("button", name="Accept and join Payments").click()
    expect(invited.get_by_text("Welcome to Payments: you joined as member.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("cell", name="Rui Colleague", exact=True)).to_be_visible()

    today = lisbon_today()
    plan = [  # title, category, deadline, assignee
        ("Add index for ledger lookups", "Database", today + timedelta(days=3), "Nadia Reyes"),
        ("Threat model the refund flow", "Security", today + timedelta(days=6), "Rui Colleague"),
        ("Publish OpenAPI for refunds", "API docs", today + timedelta(days=12), "Nadia Reyes"),
        ("Backfill currency column", "Database", today + timedelta(days=20), "Rui Colleague"),
    ]
    for title, category, deadline, assignee in plan:
        page.get_by_role("link", name="New task").click()
        page.get_by_label("Title").fill(title)
        page.get_by_label("Category").select_option(label=category)
        page.get_by_label("Deadline date").fill(deadline.isoformat())
        page.get_by_label("Assignee").select_option(label=assignee)
        page.get_by_role("button", name="Create task").click()
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        deadline_fact = page.locator("dl.facts dd").first
        expect(deadline_fact).to_contain_text(deadline.strftime("%d %b") + " 23:59")

    page.get_by_role("link", name="Tasks", exact=True).click()
    expect(page.locator("table.tasks tbody tr")).to_have_count(4)
    page.get_by_label("Category").select_option(label="Database")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"category=database"))
    rows = page.locator("table.tasks tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Add index for ledger lookups")  # nearest deadline first

    page.get_by_text("Save this filter").click()
    page.get_by_label("Name", exact=True).fill("Database work")
    page.get_by_role("button", name="Save filter").click()
    saved = page.get_by_role("list", name="Saved filters").get_by_role("link", name="Database work")
    expect(saved).to_be_visible()
    page.get_by_role("link", name="Clear").click()
    expect(page.locator("table.tasks tbody tr")).to_have_count(4)
    saved.click()
    expect(page.locator("table.tasks tbody tr")).to_have_count(2)
    expect(page.get_by_label("Category")).to_have_value("database")

    # The colleague finds the team and the work assigned to them.
    rui = new_context().new_page()
    log_in(rui, colleague_email)
    expect(rui).to_have_url(re.compile(r"/my-work$"))
    for title in ("Threat model the refund flow", "Backfill currency column"):
        expect(rui.locator(".work-item", has_text=title)).to_be_visible()
    rui.get_by_role("navigation", name="Main").get_by_role("link", name="Payments").click()
    expect(rui.locator("table.tasks tbody tr")).to_have_count(4)


def team_with_a_task(live_server, **task_fields):
    with live_server.data():
        olga = make_user("Olga Owner", timezone="Europe/Lisbon")
        mia = make_user("Mia Member", timezone="Europe/Lisbon")
        owner = make_team(olga, "Backend")
        add_to_team(owner, mia)
        task = make_task(owner, task_fields.pop("title", "Tune slow invoice query"), **task_fields)
        return {"olga": olga.email, "mia": mia.email, "olga_id": olga.id, "team": owner.team_id,
                "task": task.id}


def test_drag_a_card_then_find_it_in_my_work_and_on_the_calendar(live_server, page):
    deadline = lisbon_today() + timedelta(days=2)
    w = team_with_a_task(live_server, status="todo", due_at=end_of(deadline))
    with live_server.data():
        task = db.session.get(Task, w["task"])
        task.assignee_id = w["olga_id"]
        db.session.commit()
    log_in(page, w["olga"])

    page.goto(f"/teams/{w['team']}/board")
    card = page.locator(f"li[data-task-id='{w['task']}']")
    in_progress = page.locator(".column[data-status='in_progress']")
    expect(page.locator(".column[data-status='todo']").locator(card)).to_be_visible()
    card.drag_to(in_progress.locator(".cards-column"))
    expect(in_progress.locator(f"li[data-task-id='{w['task']}']")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"#{w['task']} moved to in progress")
    expect(in_progress.locator(".count")).to_have_text("1")
    with live_server.data():
        assert db.session.get(Task, w["task"]).status == "in_progress"
    page.reload()
    expect(in_progress.locator(f"li[data-task-id='{w['task']}']")).to_be_visible()

    page.keyboard.press("g")
    page.keyboard.press("m")
    expect(page).to_have_url(re.compile(r"/my-work$"))
    item = page.locator(".work-item", has_text="Tune slow invoice query")
    expect(item).to_be_visible()
    expect(item.get_by_label(f"Status of #{w['task']}")).to_have_value("in_progress")

    page.goto(f"/teams/{w['team']}/calendar?month={deadline:%Y-%m}")
    day = page.locator("table.month td:not(.other-month)",
                       has=page.locator(".day-number", has_text=re.compile(rf"^{deadline.day}$")))
    expect(day).to_have_count(1)
    day = day.filter(has=page.get_by_role("link", name="Tune slow"))
    expect(day).to_have_count(1)


def test_a_card_changed_meanwhile_is_shown_where_it_is_now(live_server, page, js_problems):
    w = team_with_a_task(live_server, status="todo")
    log_in(page, w["olga"])
    page.goto(f"/teams/{w['team']}/board")
    with live_server.data():  # Mia moves it to review while Olga looks at the board
        task = db.session.get(Task, w["task"])
        mia = db.session.query(User).filter_by(email=w["mia"]).one()
        tasks.update_task(membership(w["team"], mia), task, {"status": "in_review"},
                          expected_version=task.version)
    js_problems.allow(f"/tasks/{w['task']}/status", "409")  # the answer to the stale move

    card = page.locator(f"li[data-task-id='{w['task']}']")
    card.drag_to(page.locator(".column[data-status='done'] .cards-column"))
    expect(page.get_by_role("status")).to_contain_text(
        "was changed by someone else meanwhile; it is now in review")
    in_review = page.locator(".column[data-status='in_review']")
    expect(in_review.locator(f"li[data-task-id='{w['task']}']")).to_be_visible()
    expect(page.locator(".column[data-status='done'] .count")).to_have_text("0")

    # With the fresh version the next move goes through.
    card.drag_to(page.locator(".column[data-status='done'] .cards-column"))
    expect(page.get_by_role("status")).to_contain_text("moved to done")
    with live_server.data():
        assert db.session.get(Task, w["task"]).status == "done"


def test_without_javascript_the_move_form_moves_a_card(live_server, new_context):
    w = team_with_a_task(live_server, status="todo")
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, w["olga"])
    page.goto(f"/teams/{w['team']}/board")
    page.get_by_label(f"Move #{w['task']} to").select_option("done")
    page.get_by_role("button", name="Move").click()
    expect(page.locator(f".column[data-status='done'] li[data-task-id='{w['task']}']")).to_be_visible()
    with live_server.data():
        assert db.session.get(Task, w["task"]).status == "done"


def test_an_edit_conflict_between_two_people_is_shown_and_resolved(live_server, new_context):
    w = team_with_a_task(live_server, title="Rotate billing credentials", priority="medium")
    olga = new_context().new_page()
    mia = new_context().new_page()
    log_in(olga, w["olga"])
    log_in(mia, w["mia"])
    olga.goto(f"/tasks/{w['task']}/edit")
    mia.goto(f"/tasks/{w['task']}/edit")

    mia.get_by_label("Title").fill("Rotate billing and ledger credentials")
    mia.get_by_role("button", name="Save task").click()
    expect(mia.get_by_text("Task saved.")).to_be_visible()

    olga.get_by_label("Priority").select_option("critical")
    olga.get_by_role("button", name="Save task").click()
    conflict = olga.get_by_role("region", name="Changed by someone else while you edited")
    expect(conflict).to_be_visible()
    title_row = conflict.get_by_role("row", name="Title")
    expect(title_row).to_contain_text("Rotate billing and ledger credentials")  # theirs
    expect(olga.get_by_label("Priority")).to_have_value("critical")  # mine, kept in the form
    assert_accessible(olga)

    # Olga takes Mia's title and keeps her own priority, then saves deliberately.
    olga.get_by_label("Title").fill("Rotate billing and ledger credentials")
    olga.get_by_role("button", name="Save task").click()
    expect(olga.get_by_text("Task saved.")).to_be_visible()
    expect(olga.get_by_role("heading", name="Rotate billing and ledger credentials")).to_be_visible()
    with live_server.data():
        task = db.session.get(Task, w["task"])
        assert (task.title, task.priority) == ("Rotate billing and ledger credentials", "critical")


def test_log_time_on_a_task_and_see_it_in_my_week(live_server, page):
    w = team_with_a_task(live_server, estimate_hours=4)
    log_in(page, w["mia"])
    page.goto(f"/tasks/{w['task']}")
    time_section = page.get_by_role("region", name="Time")
    time_section.get_by_label("Hours").fill("1.5")
    time_section.get_by_label("Note (optional)").fill("Profiling the query")
    time_section.get_by_role("button", name="Log time").click()
    expect(page.get_by_text(f"Logged 1.5 h on #{w['task']}.")).to_be_visible()
    expect(page.get_by_role("region", name="Time")).to_contain_text("Spent 1.5 h of 4 h estimated")
    expect(page.get_by_role("cell", name="Profiling the query")).to_be_visible()
    with live_server.data():
        assert db.session.query(TimeEntry).filter_by(task_id=w["task"]).one().hours == 1.5

    page.goto("/my-time")
    expect(page.get_by_role("heading", name="My time")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1.5")
    expect(page.locator("main")).to_contain_text("Tune slow invoice query")


def test_the_dashboard_reads_overdue_and_due_soon_work(live_server, page):
    now = datetime.now(UTC)
    w = team_with_a_task(live_server, title="Fix race in payout worker", due_at=now - timedelta(days=1),
                         priority="critical")
    with live_server.data():
        owner = membership(w["team"], db.session.get(Task, w["task"]).reporter)
        make_task(owner, "Alert on payout latency", category="devops", due_at=now + timedelta(days=2))
        make_task(owner, "Upgrade payouts to Python 3.13", category="upgrades",
                  due_at=now + timedelta(days=30))
    log_in(page, w["olga"])
    page.goto(f"/teams/{w['team']}/dashboard")
    stats = page.locator(".stats")
    expect(stats.locator(".stat", has_text="overdue")).to_contain_text("1")
    expect(stats.locator(".stat", has_text="due in the next 7 days")).to_contain_text("1")
    overdue = page.get_by_role("region", name="Overdue")
    expect(overdue.get_by_role("link", name="Fix race in payout worker")).to_be_visible()
    soon = page.get_by_role("region", name="Due in the next 7 days")
    expect(soon.get_by_role("link", name="Alert on payout latency")).to_be_visible()
    expect(soon).not_to_contain_text("Upgrade payouts")
    expect(page.get_by_role("region", name="Per category")).to_contain_text("DevOps")


def test_a_mention_in_a_comment_notifies_the_colleague(live_server, new_context):
    w = team_with_a_task(live_server, title="Split the ledger service")
    olga = new_context().new_page()
    mia = new_context().new_page()
    log_in(olga, w["olga"])
    log_in(mia, w["mia"])
    mia.goto("/notifications")
    expect(mia.get_by_text("No notifications yet.")).to_be_visible()
    mia.clock.install()  # Mia's page keeps its own time, so the test moves it on instead of waiting
    mia.goto("/my-work")
    notifications_link = mia.get_by_role("link", name=re.compile(r"^Notifications"))
    expect(notifications_link).to_have_text("Notifications")

    olga.goto(f"/tasks/{w['task']}")
    comments = olga.get_by_role("region", name=re.compile(r"^Comments"))
    comments.get_by_label("Comment").fill("@Mia can you review the **split** plan?")
    comments.get_by_role("button", name="Comment").click()
    comment = olga.locator("article.comment").last
    expect(comment).to_contain_text("can you review the split plan?")
    expect(comment.get_by_role("link", name="@Mia")).to_be_visible()  # the mention links to Mia
    expect(comment.locator("strong", has_text="split")).to_be_visible()  # Markdown rendered
    assert_accessible(olga)

    # The count arrives in Mia's header without a reload (the page asks every 30 seconds)...
    mia.clock.run_for(31_000)
    expect(notifications_link.locator(".unread-count")).to_have_text("1")
    expect(notifications_link.locator(".unread-count")).to_have_attribute("aria-label", "1 unread")
    # ...and the notification leads to the task.
    notifications_link.click()
    notice = mia.locator(".notification-list li.unread")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Split the ledger service")
    assert_accessible(mia)
    notice.get_by_role("button", name="Mark read").click()
    expect(mia.locator(".notification-list li.unread")).to_have_count(0)
    mia.locator(".notification-list").get_by_role("link", name=re.compile("Split the ledger service")).click()
    expect(mia.get_by_role("heading", name="Split the ledger service")).to_be_visible()
    expect(mia.locator("article.comment")).to_contain_text("can you review the split plan?")
