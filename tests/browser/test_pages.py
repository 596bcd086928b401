"""Every page of the app in a real browser: axe-core finds no serious or critical accessibility problem
in the light or the dark theme, no page logs a JavaScript error, and the main pages fit a 375 px phone."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import add_to_team, make_task, make_team, make_user
from tracker import checklists, comments, features, invitations, saved_filters, tasks, timelog
from tracker.tasks import parse_task_filter

from .conftest import COLOUR_RULES, PHONE, assert_accessible, assert_no_horizontal_overflow, log_in

ANONYMOUS_PAGES = ["/", "/login", "/register", "/no-such-page"]
# Routes that answer with something other than a page (their own tests cover them): files, feeds, the
# single sign-on redirects (404 without OIDC_ISSUER; tests/test_oidc.py drives them) and the export
# downloads (attachments, which a browser saves rather than shows; tests/test_transfer.py reads them).
# (A board card's in-place forms, inline.card_edit, are a fragment the board inserts: checked there, by
# tests/browser/test_act_in_place.py.)
NOT_PAGES = {"static", "calendar.feed", "sso.start", "sso.callback", "transfer.export_json",
             "transfer.export_csv", "inline.card_edit"}


@pytest.fixture(scope="module")
def world(live_server):
    """A team with tasks in several categories and states, a saved filter, time logged and a trashed task."""
    with live_server.data():
        olga = make_user("Olga", timezone="Europe/Lisbon")
        mia = make_user("Mia", timezone="Asia/Tokyo")
        owner = make_team(olga, "Backend")
        member = add_to_team(owner, mia)
        soon = datetime.now(UTC) + timedelta(days=2)
        made = [
            make_task(owner, "Add index for invoice lookups", category="database", priority="high",
                      due_at=soon, assignee_id=olga.id, estimate_hours=3, labels=["q4", "backend"]),
            make_task(owner, "Threat model the login flow", category="security", priority="critical",
                      due_at=soon - timedelta(days=4), assignee_id=mia.id, status="in_progress"),
            make_task(owner, "Document the **webhook** errors", category="api-docs", status="in_review",
                      description="Use `problem+json`:\n\n- 400\n- 409", due_at=soon + timedelta(days=9)),
            make_task(owner, "Upgrade to PostgreSQL 17", category="upgrades", priority="low",
                      status="blocked"),
            make_task(owner, "Load test the search endpoint", category="testing", status="done",
                      assignee_id=olga.id),
        ]
        trashed = make_task(owner, "Spike: GraphQL gateway", category="architecture")
        tasks.move_to_trash(owner, trashed)
        saved = saved_filters.save_filter(owner, "Database work", "list",
                                          parse_task_filter({"category": "database"}))
        entry = timelog.log_time(owner, made[0], 1.5, date.today(), "Explain plans")
        comment = comments.add_comment(owner, made[0], "@Mia can you check the **plan**?")
        comments.add_comment(member, made[0], "@Olga looks fine, see `EXPLAIN` output.")
        feature = features.create_feature(owner, {"title": "Invoice search", "target_date": date.today()
                                                  + timedelta(days=20)})
        tasks.update_task(owner, made[0], {"feature_id": feature.id})
        checklists.add_items(owner, made[0], [("Explain the plan", True), ("Check the index size", False)])
        _, token = invitations.invite(owner, "newcomer@example.com", "manager")  # pending: listed and linked
        return {
            "olga": olga.email, "mia": mia.email, "team_id": owner.team_id, "member_id": member.user_id,
            "task_id": made[0].id, "filter_id": saved.id, "entry_id": entry.id, "user_id": mia.id,
            "comment_id": comment.id, "feature_id": feature.id, "token": token,
        }


def page_urls(app, world) -> list[str]:
    """The URL of every GET route of the HTML surface, with this module's ids filled in. A new route
    with a parameter this function does not know fails here, so that it gets checked too."""
    values = {"team_id": world["team_id"], "task_id": world["task_id"], "filter_id": world["filter_id"],
              "entry_id": world["entry_id"], "user_id": world["user_id"],
              "comment_id": world["comment_id"], "feature_id": world["feature_id"], "token": world["token"]}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.rule.startswith("/api"):
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: teach tests/browser/test_pages.py a value for {missing}"
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **{k: values[k] for k in rule.arguments}))
    return sorted(set(urls) - set(ANONYMOUS_PAGES))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_is_accessible_and_error_free(live_server, world, new_context, scheme):
    rules = COLOUR_RULES if scheme == "dark" else None  # all rules in light, colours again in dark
    anonymous = new_context(color_scheme=scheme).new_page()
    for url in ANONYMOUS_PAGES:
        response = anonymous.goto(url)
        assert response.status == (404 if "no-such" in url else 200), url
        assert_accessible(anonymous, rules)

    page = new_context(color_scheme=scheme).new_page()
    log_in(page, world["olga"])
    checked = []
    for url in page_urls(live_server.app, world):
        response = page.goto(url)
        assert response.ok, f"{url} answered {response.status}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue  # a feed or a download, not a page
        assert page.locator("main h1, main h2").first.is_visible(), f"{url} has no visible heading"
        assert_accessible(page, rules)
        checked.append(url)
    assert len(checked) >= 15, checked

    # The states a page is in after an action: form errors, an open dialog.
    page.goto(f"/teams/{world['team_id']}/tasks/new")
    page.get_by_role("button", name="Create task").click()
    assert page.locator(".has-error").count() >= 1
    assert_accessible(page)
    page.goto("/my-work")
    page.keyboard.press("?")
    assert page.get_by_role("dialog", name="Keyboard shortcuts").is_visible()
    assert_accessible(page)


MAIN_PAGES = ["/my-work", "/teams/{team_id}/tasks", "/teams/{team_id}/board", "/teams/{team_id}/eisenhower",
              "/teams/{team_id}/calendar", "/teams/{team_id}/dashboard", "/teams/{team_id}/forecast",
              "/tasks/{task_id}", "/tasks/{task_id}/edit", "/teams/{team_id}/members", "/settings",
              "/teams/{team_id}/features", "/features/{feature_id}", "/teams/{team_id}/coverage",
              "/teams/{team_id}/releases"]


def test_main_pages_fit_a_phone(world, new_context, tmp_path):
    page = new_context(viewport=PHONE).new_page()
    log_in(page, world["olga"])
    for template in MAIN_PAGES:
        page.goto(template.format(**world))
        assert_no_horizontal_overflow(page)
        # The screenshot is what a person on a phone would see; it must render without error.
        name = "-".join(part for part in template.strip("/").split("/") if "{" not in part)
        assert page.screenshot(path=tmp_path / f"phone-{name}.png", full_page=True)
    page.goto("/login")
    assert_no_horizontal_overflow(page)
