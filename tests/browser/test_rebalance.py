"""Rebalancing in a real browser: from the dashboard's at-risk list a manager opens the proposed moves (one
click, or Enter), applies one (a second) and sees the forecast change; the page passes axe-core in light
and dark themes and fits a 375 px phone."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.factories import add_to_team, make_task, make_team, make_user, membership
from tracker.extensions import db
from tracker.models import User

from .conftest import PHONE, assert_accessible, assert_no_horizontal_overflow, log_in

ALWAYS = {"work_days": "1,2,3,4,5,6,7", "work_start": time(0, 0), "work_end": time(23, 59)}


@pytest.fixture(scope="module")
def late(live_server):
    """Fran works every day round the clock (so the test does not depend on the hour it runs at): #first and
    #late take 10 h each and are both due in 12 h, so #late finishes 8 h late. Dev, as available, has
    nothing queued."""
    with live_server.data():
        olga = make_user("Olga", timezone="Europe/Lisbon", **ALWAYS)
        fran = make_user("Fran", timezone="America/Los_Angeles", **ALWAYS)
        dev = make_user("Dev", timezone="Asia/Tokyo", **ALWAYS)
        owner = make_team(olga, "Backend")
        add_to_team(owner, fran)
        add_to_team(owner, dev)
        due = datetime.now(UTC) + timedelta(hours=12)
        make_task(owner, "Migrate the ledger", estimate_hours=10, due_at=due, assignee_id=fran.id)
        task = make_task(owner, "Rotate the signing keys", estimate_hours=10, due_at=due, assignee_id=fran.id)
        return {"email": olga.email, "team": owner.team_id, "task": task.id}


def test_a_manager_rebalances_an_at_risk_task_in_two_steps_by_keyboard(late, page):
    log_in(page, late["email"])
    page.goto(f"/teams/{late['team']}/dashboard")
    risk = page.locator(".risk-list li", has_text=f"#{late['task']} ")
    expect(risk).to_contain_text("Europe/Lisbon")  # the explanation in the viewer's zone, labelled
    assert_accessible(page)  # the dashboard with its new links
    link = risk.get_by_role("link", name=f"Rebalance #{late['task']}: the moves that make it on time")
    link.focus()
    page.keyboard.press("Enter")  # first step
    page.wait_for_url(f"**/tasks/{late['task']}/proposals")
    expect(page.locator("[data-projected-finish]")).to_contain_text("at risk")
    first = page.locator(".proposal").first
    expect(first.get_by_role("heading")).to_contain_text(": on time")
    first.get_by_role("button", name="Apply this move").focus()
    page.keyboard.press("Enter")  # second step
    expect(page.locator(".flash-success")).to_contain_text(f"#{late['task']} reassigned")
    expect(page.locator("[data-projected-finish]")).to_contain_text("on time")
    expect(page.locator(".rebalance-none")).to_contain_text("nothing to rebalance")
    page.goto(f"/teams/{late['team']}/dashboard")
    expect(page.locator(".risk-list li", has_text=f"#{late['task']} ")).to_have_count(0)


@pytest.mark.parametrize(("scheme", "viewport"), [("light", None), ("dark", None), ("light", PHONE),
                                                  ("dark", PHONE)])
def test_the_proposals_page_passes_axe_in_both_themes_and_fits_a_phone(late, live_server, new_context,
                                                                      scheme, viewport):
    with live_server.data():  # an at-risk task of its own: the other test's move does not matter
        owner = membership(late["team"], db.session.scalar(select(User).where(User.email == late["email"])))
        fran = db.session.scalar(select(User).where(User.name == "Fran"))
        due = datetime.now(UTC) + timedelta(hours=12)
        task_id = make_task(owner, f"Late in {scheme}", estimate_hours=30, due_at=due, assignee_id=fran.id).id
    page = new_context(color_scheme=scheme, **({"viewport": viewport} if viewport else {})).new_page()
    log_in(page, late["email"])
    for path in (f"/tasks/{task_id}/proposals", f"/teams/{late['team']}/dashboard"):
        page.goto(path)
        assert_accessible(page)
        if viewport:
            assert_no_horizontal_overflow(page)
    page.goto(f"/tasks/{task_id}/proposals")
    expect(page.locator(".proposal").first).to_be_visible()


def test_deadlines_and_times_read_right_across_zones(live_server, late, page):
    """The defects of #12: a date-only deadline follows a new assignee's zone (edit form); a deadline in
    another year shows its year, a passed one how late it is; the explanation is in the viewer's zone with
    the assignee's time as a note; overdue work is shown apart from a person's load."""
    with live_server.data():
        owner = membership(late["team"], db.session.scalar(select(User).where(User.email == late["email"])))
        fran = db.session.scalar(select(User).where(User.name == "Fran"))
        dev = db.session.scalar(select(User).where(User.name == "Dev"))
        dated = make_task(owner, "Renew the certificates", due_at=date(datetime.now(UTC).year + 1, 1, 15),
                          assignee_id=fran.id).id
        make_task(owner, "Long overdue", estimate_hours=100,
                  due_at=datetime.now(UTC) - timedelta(days=3, hours=1), assignee_id=fran.id)
        dev_id, year = dev.id, datetime.now(UTC).year + 1
    log_in(page, late["email"])  # Olga, in Lisbon (UTC+0 in January)
    page.goto(f"/tasks/{dated}")
    expect(page.locator("dl.facts")).to_contain_text(f"Sat 16 Jan {year} 07:59")  # 23:59 in Los Angeles
    page.goto(f"/tasks/{dated}/edit")
    expect(page.get_by_label("Deadline", exact=False).first).to_have_value(f"{year}-01-15")
    page.get_by_label("Assignee").select_option(str(dev_id))
    page.get_by_role("button", name="Save task").click()
    expect(page.locator("dl.facts")).to_contain_text(f"Fri 15 Jan {year} 14:59")  # 23:59 in Tokyo
    page.goto(f"/teams/{late['team']}/tasks?status=open")
    expect(page.locator(".overdue-tag").first).to_contain_text("3 days overdue")
    page.goto(f"/teams/{late['team']}/dashboard")
    fran_row = page.locator("table.workload tr", has_text="Fran")
    expect(fran_row).to_contain_text("1 task, 100 h")  # overdue, on its own
    text = fran_row.inner_text()
    remaining = float(re.search(r"\d+, ([\d.]+) h", text)[1])
    due_by = float(re.search(r"([\d.]+) h due by", text)[1])
    assert due_by == remaining - 100  # the tightest deadline ahead counts her other work, not the overdue
    explanation = page.locator(".risk-list li").first
    expect(explanation).to_contain_text("(Europe/Lisbon; ")
    expect(explanation).to_contain_text("for Fran, Los Angeles")
