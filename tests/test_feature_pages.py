"""Feature pages through the browser's eyes (no JavaScript): a manager sets the definition of done,
creates a feature, sees what it lacks, creates those tasks in one click, and ships it as the tasks close;
ship anyway with a reason; the coverage grid and the release time line; templates; the checklist on the
task page; the feature field and filter of the task pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_task, new_task_form
from tests.support import statements_for
from tracker import features, stored_forecast, tasks
from tracker.demo import DEMO_PASSWORD, seed_demo
from tracker.extensions import db
from tracker.models import Category, ChecklistItem, Feature, Task


def text_of(response) -> str:
    """The page's text, tags removed and spaces collapsed, to assert on what a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def feature_form(**fields) -> dict:
    data = {"title": "Refunds endpoint", "description": "", "owner_id": "", "target_date": "2030-05-03",
            "state": "planned"}
    data.update(fields)
    return data


@pytest.fixture
def manager(client, crew):
    login(client, crew["manager"])
    return client


def create_feature(client, team_id, **fields) -> int:
    response = client.post(f"/teams/{team_id}/features/new", data=feature_form(**fields))
    assert response.status_code == 302, text_of(response)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_the_managers_story_from_definition_of_done_to_shipped(manager, crew):
    team = crew["team_id"]
    page = manager.get(f"/teams/{team}/definition-of-done")
    assert page.status_code == 200 and "Every new feature needs work in" in text_of(page)
    saved = manager.post(f"/teams/{team}/definition-of-done", data={"categories": ["server-code", "security",
                                                                                    "api-docs"]})
    assert saved.status_code == 302
    form = manager.get(f"/teams/{team}/features/new").get_data(as_text=True)
    checked = re.findall(r'<input checked id="[^"]+" name="required_categories" type="checkbox" '
                         r'value="([^"]+)"', form)
    assert checked == ["server-code", "api-docs", "security"]
    feature_id = create_feature(manager, team, required_categories=checked)
    make_task(crew["owner_m"], "Refund endpoint", category="server-code", feature_id=feature_id,
              assignee_id=crew["member"].id)
    shown = text_of(manager.get(f"/features/{feature_id}"))
    assert "API docs has no task yet." in shown and "Security has no task yet." in shown
    assert "Create the missing tasks (2) from the templates" in shown

    created = manager.post(f"/features/{feature_id}/fill-gaps", follow_redirects=True)
    assert "Created 2 tasks:" in text_of(created) and "Security review: Refunds endpoint" in text_of(created)
    assert "API docs has no task yet." not in text_of(created)
    refused = manager.post(f"/features/{feature_id}/ship", data={"version": "1", "reason": ""})
    assert refused.status_code == 409 and "Not ready to ship" in text_of(refused)

    for task in db.session.scalars(select(Task).where(Task.feature_id == feature_id)):
        tasks.update_task(crew["owner_m"], task, {"status": "done"})
    ready = text_of(manager.get(f"/features/{feature_id}"))
    assert "100 %" in ready and "it can ship" in ready and "Mark as shipped" in ready
    shipped = manager.post(f"/features/{feature_id}/ship", data={"version": "1"}, follow_redirects=True)
    assert "“Refunds endpoint” shipped." in text_of(shipped)
    assert "Manu shipped it, with everything done" in text_of(shipped), text_of(shipped)[-900:]
    assert db.session.get(Feature, feature_id).state == "shipped"


def test_only_a_manager_is_offered_and_allowed_to_ship_anyway(app, client, crew):
    feature = features.create_feature(crew["owner_m"], {"title": "Hotfix"})
    login(client, crew["member"])
    page = text_of(client.get(f"/features/{feature.id}"))
    assert "Ship anyway" not in page and "a manager can ship it anyway with a reason" in page
    refused = client.post(f"/features/{feature.id}/ship", data={"version": "1", "reason": "Because"})
    assert refused.status_code == 403 and db.session.get(Feature, feature.id).state == "planned"
    client = app.test_client()
    login(client, crew["manager"])
    assert "Ship anyway" in text_of(client.get(f"/features/{feature.id}"))
    done = client.post(f"/features/{feature.id}/ship", follow_redirects=True,
                       data={"version": "1", "reason": "Outage fix, docs follow"})
    assert "shipped it with work left: “Outage fix, docs follow”" in text_of(done)
    assert "The reason is in its history." in text_of(done)


def test_the_feature_form_shows_its_errors_and_a_stale_edit_keeps_the_input(manager, crew):
    team = crew["team_id"]
    untitled = manager.post(f"/teams/{team}/features/new", data=feature_form(title=" "))
    assert untitled.status_code == 422 and "Enter a title." in text_of(untitled)
    unknown = manager.post(f"/teams/{team}/features/new", data=feature_form(required_categories=["nope"]))
    assert unknown.status_code == 422 and "not a valid choice" in text_of(unknown)
    assert db.session.scalars(select(Feature)).all() == []
    feature_id = create_feature(manager, team, required_categories=["testing"])
    edited = manager.post(f"/features/{feature_id}/edit", data=feature_form(title="Refunds v2", version="1",
                                                                            required_categories=["testing"]))
    assert edited.status_code == 302 and db.session.get(Feature, feature_id).title == "Refunds v2"
    stale = manager.post(f"/features/{feature_id}/edit", data=feature_form(title="Mine", version="1"))
    assert stale.status_code == 409 and 'value="Mine"' in stale.get_data(as_text=True)
    assert db.session.get(Feature, feature_id).title == "Refunds v2"


def test_the_coverage_grid_is_a_table_readers_and_keyboards_can_use(manager, crew):
    team = crew["team_id"]
    late = features.create_feature(crew["owner_m"], {"title": "Late one", "target_date": None,
                                                     "required_categories": ["security", "testing"]})
    early = features.create_feature(crew["owner_m"], {"title": "Early one",
                                                      "required_categories": ["security"],
                                                      "target_date": date(2030, 1, 1)})
    make_task(crew["owner_m"], "Tests", category="testing", status="done", feature_id=late.id)
    make_task(crew["owner_m"], "Review", category="security", status="in_progress", feature_id=early.id)
    page = manager.get(f"/teams/{team}/coverage")
    markup, words = page.get_data(as_text=True), text_of(page)
    assert page.status_code == 200 and "<caption" in markup and 'scope="row"' in markup
    assert 'tabindex="0"' in markup  # the scrolling region can be reached and scrolled with the keyboard
    assert words.index("Early one") < words.index("Late one")
    row = words[words.index("Late one"):]
    assert "Missing" in row and "Done 1/1" in row
    assert "In progress 0/1" in words[words.index("Early one"):words.index("Late one")]
    assert f'href="/teams/{team}/tasks?feature={late.id}&amp;category=testing"' in markup
    by_title = text_of(manager.get(f"/teams/{team}/coverage?sort=title"))
    assert by_title.index("Early one") < by_title.index("Late one")
    newest_first = text_of(manager.get(f"/teams/{team}/coverage?sort=-target"))
    assert newest_first.index("Early one") < newest_first.index("Late one")  # undated stays last


def test_the_release_time_line_is_an_svg_with_a_table_equivalent(manager, crew):
    features.create_feature(crew["owner_m"], {"title": "Refunds", "target_date": date(2030, 5, 3)})
    features.create_feature(crew["owner_m"], {"title": "Undated"})
    page = manager.get(f"/teams/{crew['team_id']}/releases")
    markup = page.get_data(as_text=True)
    assert page.status_code == 200 and '<svg class="chart timeline" role="img"' in markup
    assert "<title id=" in markup and markup.count('class="timeline-plan"') == 1
    words = text_of(page)
    assert "Refunds planned Fri 03 May 2030" in words and "Undated planned — — no target date" in words


def test_templates_are_edited_and_reset_by_managers_only(app, client, crew):
    team = crew["team_id"]
    security = db.session.scalar(select(Category).where(Category.team_id == team,
                                                        Category.slug == "security"))
    login(client, crew["member"])
    assert client.get(f"/teams/{team}/definition-of-done").status_code == 403
    assert client.post(f"/teams/{team}/templates/{security.id}",
                       data={f"t{security.id}-title_pattern": "Mine"}).status_code == 403
    client = app.test_client()
    login(client, crew["manager"])
    key = f"t{security.id}-"
    refused = client.post(f"/teams/{team}/templates/{security.id}", data={key + "title_pattern": " "})
    assert refused.status_code == 422 and "Enter a title" in text_of(refused)
    saved = client.post(f"/teams/{team}/templates/{security.id}",
                        data={key + "title_pattern": "Pen test: {feature}",
                              key + "description": "- [ ] OWASP", key + "assignee_id": str(crew["member"].id),
                              key + "estimate_hours": "2.5"},
                        follow_redirects=True)
    assert "The Security template is saved." in text_of(saved) and "the team's own" in text_of(saved)
    feature = features.create_feature(crew["owner_m"], {"title": "Refunds",
                                                        "required_categories": ["security"]})
    [task] = features.fill_gaps(crew["owner_m"], feature).created
    assert task.title == "Pen test: Refunds" and [i.text for i in task.checklist] == ["OWASP"]
    assert (task.assignee_id, task.estimate_hours) == (crew["member"].id, 2.5)
    bad = client.post(f"/teams/{team}/templates/{security.id}",
                      data={key + "title_pattern": "x", key + "assignee_id": str(crew["outsider"].id)})
    assert bad.status_code == 422
    reset = client.post(f"/teams/{team}/templates/{security.id}", data={"action": "reset"},
                        follow_redirects=True)
    assert "The Security template is the built-in one again." in text_of(reset)


def test_the_checklist_works_with_plain_forms(client, crew):
    login(client, crew["member"])
    task = make_task(crew["owner_m"], "Review", category="security")
    assert client.post(f"/tasks/{task.id}/checklist", data={"text": "Auth"}).status_code == 302
    client.post(f"/tasks/{task.id}/checklist", data={"text": "Secrets"})
    first, second = db.session.scalars(select(ChecklistItem).order_by(ChecklistItem.position)).all()
    page = client.get(f"/tasks/{task.id}")
    assert 'id="checklist"' in page.get_data(as_text=True) and "☑ 0/2" in text_of(page)
    client.post(f"/checklist-items/{first.id}", data={"action": "toggle"})
    client.post(f"/checklist-items/{second.id}", data={"action": "up"})
    client.post(f"/checklist-items/{second.id}", data={"action": "save", "text": "Secrets in the vault"})
    db.session.expire_all()
    items = db.session.get(Task, task.id).checklist
    assert [(i.text, i.done) for i in items] == [("Secrets in the vault", False), ("Auth", True)]
    empty = client.post(f"/tasks/{task.id}/checklist", data={"text": " "}, follow_redirects=True)
    assert empty.status_code == 422 and "Enter the item's text." in text_of(empty)  # beside its form
    promoted = client.post(f"/checklist-items/{second.id}", data={"action": "promote"}, follow_redirects=True)
    assert "“Secrets in the vault” is now task #" in text_of(promoted)
    client.post(f"/checklist-items/{first.id}", data={"action": "delete"})
    assert db.session.scalars(select(ChecklistItem)).all() == []
    assert client.post(f"/checklist-items/{first.id}", data={"action": "toggle"}).status_code == 404


def test_the_task_form_and_the_list_know_the_feature(client, crew):
    login(client, crew["member"])
    feature = features.create_feature(crew["owner_m"], {"title": "Refunds"})
    created = client.post(f"/teams/{crew['team_id']}/tasks/new",
                          data=new_task_form(title="Endpoint", feature_id=str(feature.id)))
    assert created.status_code == 302
    task = db.session.scalar(select(Task).where(Task.title == "Endpoint"))
    assert task.feature_id == feature.id
    form = client.get(f"/tasks/{task.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="{feature.id}">Refunds</option>', form)
    edited = client.post(f"/tasks/{task.id}/edit", data=new_task_form(title="Endpoint v2", version="1"))
    assert edited.status_code == 302
    assert db.session.get(Task, task.id).feature_id == feature.id  # the field was not sent: kept
    make_task(crew["owner_m"], "Elsewhere")
    listed = text_of(client.get(f"/teams/{crew['team_id']}/tasks?feature={feature.id}"))
    assert "Endpoint v2" in listed and "Elsewhere" not in listed
    assert "Refunds" in text_of(client.get(f"/tasks/{task.id}"))
    bad = client.post(f"/teams/{crew['team_id']}/tasks/new", data=new_task_form(title="X", feature_id="999"))
    assert bad.status_code == 422 and "Choose a feature of this team." in text_of(bad)


def test_the_feature_pages_cost_the_same_whatever_the_number_of_features(manager, crew):
    team = crew["team_id"]
    for i in range(2):
        feature = features.create_feature(crew["owner_m"], {"title": f"F{i}"})
        make_task(crew["owner_m"], f"T{i}", category="security", feature_id=feature.id)
    pages = [f"/teams/{team}/features", f"/teams/{team}/coverage", f"/teams/{team}/releases"]
    few = [statements_for(manager.get, page) for page in pages]
    for i in range(5):
        feature = features.create_feature(crew["owner_m"], {"title": f"More {i}",
                                                            "target_date": date(2030, 2, i + 1)})
        make_task(crew["owner_m"], f"More {i}", category="testing", feature_id=feature.id)
    assert [statements_for(manager.get, page) for page in pages] == few


def test_the_demo_shows_a_shipped_an_at_risk_and_an_incomplete_feature(app, client):
    team, _logins = seed_demo(task_count=80)
    shown = {s.feature.title: s for s in features.summarise(features.list_features(team.id))}
    assert set(shown) == {"Refunds endpoint", "Usage-based pricing", "Audit log export"}
    refunds, pricing, audit = (shown[t] for t in ("Refunds endpoint", "Usage-based pricing",
                                                  "Audit log export"))
    assert refunds.feature.state == "shipped" and refunds.coverage.complete
    assert refunds.feature.ship_reason is None
    assert pricing.forecast.at_risk and "Dev Patel's queue" in pricing.forecast.reason
    assert audit.coverage.missing == ["api-docs", "security"] and not audit.forecast.at_risk
    client.post("/login", data={"email": "ben@demo.test", "password": DEMO_PASSWORD})
    grid = text_of(client.get(f"/teams/{team.id}/coverage"))
    assert "Usage-based pricing" in grid and "Audit log export" in grid and "1 of 1" in grid
    releases = text_of(client.get(f"/teams/{team.id}/releases"))
    assert all(title in releases for title in shown)


def test_one_click_says_when_the_target_is_too_close(client, crew, monkeypatch):
    # Wednesday 1 May 2030, 09:00 in Lisbon, where Olga (the features' owner) works 09:00-17:00.
    monkeypatch.setattr(stored_forecast, "clock", lambda: datetime(2030, 5, 1, 8, 0, tzinfo=UTC))
    tight = features.create_feature(crew["owner_m"], {"title": "Tight", "target_date": date(2030, 5, 2)})
    gone = features.create_feature(crew["owner_m"], {"title": "Gone", "target_date": date(2030, 4, 30)})
    login(client, crew["member"])
    warned = text_of(client.post(f"/features/{tight.id}/fill-gaps", follow_redirects=True))
    assert "Created 4 tasks" in warned and "At risk: Too little time before the target date" in warned
    refused = text_of(client.post(f"/features/{gone.id}/fill-gaps", follow_redirects=True))
    assert "leaves too little working time before Tue 30 Apr 2030" in refused
    assert "move the target date" in refused
    assert db.session.scalar(select(func.count()).select_from(Task).where(Task.feature_id == gone.id)) == 0
