"""Features in a real browser: the one-click flow from a feature that lacks its review and docs to a
shipped feature, and the coverage grid used with the keyboard; axe-core finds nothing serious on the
pages on the way, in the light and the dark theme."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_pair_and_outsider, make_task, membership
from tracker import features, tasks
from tracker.extensions import db
from tracker.models import Task, User

from .conftest import COLOUR_RULES, assert_accessible, log_in


@pytest.fixture(scope="module")
def team(live_server):
    """Olga owns a team; Mia is a member. One feature lacks everything but its server code."""
    with live_server.data():
        people = make_pair_and_outsider()
        olga, mia, owner = people["owner"], people["mate"], people["o"]
        refunds = features.create_feature(owner, {"title": "Refunds endpoint",
                                                  "target_date": date.today() + timedelta(days=30)})
        make_task(owner, "Refund endpoint", category="server-code", feature_id=refunds.id,
                  assignee_id=mia.id, estimate_hours=6)
        other = features.create_feature(owner, {"title": "Payout reports",
                                                "required_categories": ["database"],
                                                "target_date": date.today() + timedelta(days=10)})
        return {"olga": olga.email, "team_id": owner.team_id, "refunds": refunds.id, "other": other.id}


def olgas_membership(team):
    return membership(team["team_id"], db.session.scalar(select(User).where(User.email == team["olga"])))


def finish_every_task(live_server, team, feature_id: int) -> None:
    with live_server.data():
        owner = olgas_membership(team)
        for task in db.session.scalars(select(Task).where(Task.feature_id == feature_id)).all():
            tasks.update_task(owner, task, {"status": "done"})
        db.session.remove()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_one_click_fills_the_gaps_and_the_feature_ships_when_its_tasks_close(live_server, team, new_context,
                                                                             scheme):
    rules = COLOUR_RULES if scheme == "dark" else None
    page = new_context(color_scheme=scheme).new_page()
    log_in(page, team["olga"])
    feature_id = team["refunds"] if scheme == "light" else team["other"]
    page.goto(f"/features/{feature_id}")
    blockers = page.get_by_role("region", name="What stands between it and done")
    assert blockers.get_by_text("has no task yet.").count() >= 1
    assert_accessible(page, rules)

    page.get_by_role("button", name="Create the missing tasks").click()
    page.wait_for_url(f"**/features/{feature_id}")
    assert page.get_by_text("Created ").first.is_visible()
    assert blockers.get_by_text("has no task yet.").count() == 0
    assert page.get_by_role("button", name="Create the missing tasks").count() == 0
    assert_accessible(page, rules)

    finish_every_task(live_server, team, feature_id)
    page.reload()
    assert page.get_by_text("100 %").first.is_visible()
    page.get_by_role("button", name="Mark as shipped").click()
    page.wait_for_url(f"**/features/{feature_id}")
    assert page.get_by_text("shipped it, with everything done").is_visible()
    assert_accessible(page, rules)


def test_the_coverage_grid_works_with_the_keyboard_and_a_screen_reader(live_server, team, new_context):
    with live_server.data():
        owner = olgas_membership(team)
        for title, required in (("Webhooks v2", ["security", "testing"]), ("Audit log", ["database"])):
            feature = features.create_feature(owner, {"title": title, "required_categories": required})
            make_task(owner, f"{title}: tests", category="testing", feature_id=feature.id, status="done")
        db.session.remove()
    page = new_context().new_page()
    log_in(page, team["olga"])
    page.goto(f"/teams/{team['team_id']}/coverage")
    grid = page.get_by_role("table", name="Features (rows) by category (columns)")
    assert grid.is_visible()
    assert grid.get_by_role("columnheader", name="Security").is_visible()
    assert grid.get_by_role("rowheader").count() >= 1
    assert_accessible(page)
    assert_accessible(page, COLOUR_RULES)  # the cell states are words and colours, in both themes

    # Tab from the sort control into the grid: the scrolling region, then its first link.
    page.get_by_label("Sort by").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    for _ in range(5):
        if page.evaluate("() => document.activeElement.closest('.coverage-grid') !== null"):
            break
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert page.evaluate("() => document.activeElement.tagName") == "A", focused
    page.keyboard.press("Enter")
    page.wait_for_url("**/features/*")

    page.goto(f"/teams/{team['team_id']}/coverage")
    page.get_by_label("Sort by").select_option("title")
    page.get_by_role("button", name="Sort").press("Enter")
    page.wait_for_url("**sort=title")
    titles = page.get_by_role("rowheader").all_inner_texts()
    assert titles == sorted(titles, key=str.lower)
