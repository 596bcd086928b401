"""Features: coverage of the required categories (every combination of required, missing, in progress,
done, archived category and trashed task), the definition of done and templates, shipping rules,
filling the gaps, the feature's forecast, history, events and webhooks; and task checklists."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.factories import make_task
from tests.test_events import listening, names
from tracker import checklists, definition_of_done, features, stored_forecast, tasks, teams, webhooks
from tracker.activity import feature_activity
from tracker.coverage import (
    CategoryRef,
    TaskRef,
    coverage,
    feature_forecast,
    gap_due_date,
    working_days_before,
)
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.extensions import db
from tracker.models import Category, ChecklistItem, Task, Webhook, WebhookDelivery

SECURITY = CategoryRef("security", "Security", position=6)
ARCHIVED_SECURITY = CategoryRef("security", "Security", archived=True, position=6)

# Coverage: one category ("security"), required or not, archived or not, with live tasks in these
# statuses. Expected: whether it shows in the coverage at all, and then (required, tasks, done, state),
# whether it is missing, and whether the feature is complete (may ship).
COVERAGE_CASES = [
    # required, archived, statuses -> shown, required, tasks, done, state, missing, complete
    (True, False, (), (True, True, 0, 0, "missing", True, False)),
    (True, False, ("in_progress",), (True, True, 1, 0, "in_progress", False, False)),
    (True, False, ("todo", "blocked"), (True, True, 2, 0, "in_progress", False, False)),
    (True, False, ("done",), (True, True, 1, 1, "done", False, True)),
    (True, False, ("done", "in_review"), (True, True, 2, 1, "in_progress", False, False)),
    (True, True, (), (True, False, 0, 0, "none", False, True)),
    (True, True, ("in_progress",), (True, False, 1, 0, "in_progress", False, False)),
    (True, True, ("done",), (True, False, 1, 1, "done", False, True)),
    (True, True, ("done", "todo"), (True, False, 2, 1, "in_progress", False, False)),
    (False, False, (), (False, None, None, None, None, False, True)),
    (False, False, ("in_progress",), (True, False, 1, 0, "in_progress", False, False)),
    (False, False, ("done",), (True, False, 1, 1, "done", False, True)),
    (False, False, ("done", "blocked"), (True, False, 2, 1, "in_progress", False, False)),
    (False, True, (), (False, None, None, None, None, False, True)),
    (False, True, ("todo",), (True, False, 1, 0, "in_progress", False, False)),
    (False, True, ("done",), (True, False, 1, 1, "done", False, True)),
]


def check_coverage(covered, expected) -> None:
    shown, required, count, done, state, missing, complete = expected
    row = {c.category.slug: c for c in covered.categories}.get("security")
    assert (row is not None) == shown
    if shown:
        assert (row.required, row.tasks, row.done, row.state) == (required, count, done, state)
        assert covered.as_dict()["security"] == {"required": required, "tasks": count, "done": done}
    assert ("security" in covered.missing) == missing
    assert covered.complete == complete


@pytest.mark.parametrize("required, archived, statuses, expected", COVERAGE_CASES)
def test_coverage_of_one_category(required, archived, statuses, expected):
    category = ARCHIVED_SECURITY if archived else SECURITY
    refs = [TaskRef(i, f"Task {i}", category, status) for i, status in enumerate(statuses, start=1)]
    check_coverage(coverage([category] if required else [], refs), expected)


@pytest.mark.parametrize("trashed", [False, True], ids=["live", "with-a-trashed-task"])
@pytest.mark.parametrize("required, archived, statuses, expected", COVERAGE_CASES)
def test_coverage_from_the_database(crew, required, archived, statuses, expected, trashed):
    """The same table through the database; a trashed task (open, in the category) changes nothing."""
    owner_m = crew["owner_m"]
    feature = features.create_feature(owner_m, {"title": "Refunds",
                                                "required_categories": ["security"] if required else []})
    for status in statuses:
        make_task(owner_m, f"Security {status}", category="security", status=status, feature_id=feature.id)
    if trashed:
        trashed_task = make_task(owner_m, "Trashed", category="security", feature_id=feature.id)
        tasks.move_to_trash(owner_m, trashed_task)
    if archived:
        category = db.session.scalar(select(Category).where(Category.team_id == owner_m.team_id,
                                                            Category.slug == "security"))
        teams.set_category_archived(owner_m, category.id, True)
    summary = features.summary(feature)
    check_coverage(summary.coverage, expected)
    assert len(summary.task_ids) == len(statuses)


def test_a_task_outside_the_required_categories_counts_but_covers_nothing():
    required = [CategoryRef("server-code", "Server code", position=1), SECURITY]
    docs = CategoryRef("api-docs", "API docs", position=4)
    covered = coverage(required, [TaskRef(1, "Endpoint", required[0], "done"),
                                  TaskRef(2, "Docs", docs, "todo")])
    assert covered.missing == ["security"]
    assert [c.category.slug for c in covered.categories] == ["server-code", "api-docs", "security"]
    assert covered.as_dict()["api-docs"] == {"required": False, "tasks": 1, "done": 0}
    assert covered.percent == 50
    assert covered.blockers() == ["Security has no task yet.", "#2 Docs (API docs) is todo."]


# The definition of done and templates ----------------------------------------------------------------


def test_new_features_require_the_definition_of_done_which_managers_set(crew):
    owner_m, manager_m, member_m = crew["owner_m"], crew["manager_m"], crew["member_m"]
    first = features.create_feature(member_m, {"title": "Refunds endpoint"})
    assert [c.slug for c in first.required_categories] == ["server-code", "api-docs", "testing", "security"]
    assert first.owner_id == crew["member"].id and first.state == "planned"
    with pytest.raises(Forbidden):
        definition_of_done.set_definition_of_done(member_m, ["testing"])
    with pytest.raises(Invalid) as refused:
        definition_of_done.set_definition_of_done(manager_m, ["testing", "no-such"])
    assert refused.value.errors == {"categories": ["Unknown category “no-such”."]}
    with pytest.raises(Invalid):
        definition_of_done.set_definition_of_done(manager_m, [])
    definition_of_done.set_definition_of_done(manager_m, ["security", "database", "testing"])
    second = features.create_feature(owner_m, {"title": "Schema change"})
    assert [c.slug for c in second.required_categories] == ["database", "testing", "security"]
    assert [c.slug for c in first.required_categories] == ["server-code", "api-docs", "testing", "security"]
    own = features.create_feature(owner_m, {"title": "New service", "required_categories": ["devops"]})
    assert [c.slug for c in own.required_categories] == ["devops"]


def test_templates_are_built_in_until_a_manager_writes_the_teams_own(crew):
    manager_m, member_m = crew["manager_m"], crew["member_m"]
    by_slug = {t.category.slug: t for t in definition_of_done.templates_of(crew["team_id"])}
    assert by_slug["security"].title_for("Refunds") == "Security review: Refunds"
    assert "Rate limiting" in by_slug["security"].description and not by_slug["security"].customised
    assert by_slug["database"].title_for("Refunds") == "Database: Refunds"
    category_id = by_slug["security"].category.id
    with pytest.raises(Forbidden):
        definition_of_done.set_template(member_m, category_id, "Mine", "")
    with pytest.raises(Invalid):
        definition_of_done.set_template(manager_m, category_id, "   ", "")
    own = definition_of_done.set_template(manager_m, category_id, "Pen test {feature} {x}", "- [ ] OWASP")
    assert own.customised and own.title_for("Refunds") == "Pen test Refunds {x}"
    reset = definition_of_done.reset_template(manager_m, category_id)
    assert reset.title_pattern == "Security review: {feature}"
    with pytest.raises(NotFound):
        definition_of_done.set_template(manager_m, 10**6, "x", "")


def test_feature_fields_are_checked(crew):
    member_m = crew["member_m"]
    cases = [
        ({"title": " "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Ok", "required_categories": ["nope"]}, "required_categories"),
        ({"title": "Ok", "owner_id": crew["outsider"].id}, "owner_id"),
        ({"title": "Ok", "target_date": date(1999, 12, 31)}, "target_date"),
        ({"title": "Ok", "state": "finished"}, "state"),
        ({"title": "Ok", "state": "shipped"}, "state"),
        ({"title": "Ok", "ship_reason": "because"}, "ship_reason"),
        ({"title": "Ok", "team_id": 3}, "team_id"),
    ]
    for data, field in cases:
        with pytest.raises(Invalid) as refused:
            features.create_feature(member_m, data)
        assert field in refused.value.errors, data
    assert features.list_features(member_m.team_id) == []


# Shipping ----------------------------------------------------------------------------------------------


@pytest.fixture
def refunds(crew):
    """A feature that requires server code and security, with a done server-code task and an open
    security review."""
    owner_m = crew["owner_m"]
    feature = features.create_feature(owner_m, {"title": "Refunds", "required_categories": ["server-code",
                                                                                             "security"]})
    code = make_task(owner_m, "Endpoint", category="server-code", status="done", feature_id=feature.id)
    review = make_task(owner_m, "Review", category="security", feature_id=feature.id)
    return feature, code, review


def test_a_feature_ships_only_when_covered_and_done_unless_a_manager_gives_a_reason(crew, refunds):
    feature, _code, review = refunds
    with pytest.raises(Conflict) as refused:
        features.update_feature(crew["member_m"], feature, {"state": "shipped"})
    assert f"#{review.id} Review (Security) is todo." in refused.value.detail
    with pytest.raises(Forbidden):
        features.update_feature(crew["member_m"], feature, {"state": "shipped", "ship_reason": "Deadline"})
    assert feature.state == "planned"
    changes = features.update_feature(crew["manager_m"], feature,
                                      {"state": "shipped", "ship_reason": "Customer demo; review next week"})
    assert changes["state"] == ("planned", "shipped")
    assert feature.ship_reason == "Customer demo; review next week" and feature.shipped_at is not None
    history = [(a.kind, a.field, a.new_value) for a in feature_activity(feature)]
    assert history[-1] == ("shipped", None, "Customer demo; review next week")
    features.update_feature(crew["member_m"], feature, {"state": "active"})
    assert feature.ship_reason is None and feature.shipped_at is None


def test_a_done_feature_ships_for_any_member_and_without_a_reason(crew, refunds):
    feature, _code, review = refunds
    tasks.update_task(crew["member_m"], review, {"status": "done"})
    with listening() as seen:
        features.update_feature(crew["member_m"], feature, {"state": "shipped", "ship_reason": "not needed"})
    assert names(seen) == ["feature_shipped"] and seen[0][2]["reason"] is None
    assert feature.state == "shipped" and feature.ship_reason is None
    assert features.shipped_share(crew["team_id"]) == (1, 1)


def test_the_shipped_share_counts_features_shipped_anyway_as_incomplete(crew, refunds):
    feature, _code, _review = refunds
    features.update_feature(crew["owner_m"], feature, {"state": "shipped", "ship_reason": "Hotfix"})
    done = features.create_feature(crew["owner_m"], {"title": "Nothing required", "required_categories": []})
    features.update_feature(crew["owner_m"], done, {"state": "shipped"})
    assert features.shipped_share(crew["team_id"]) == (1, 2)
    assert features.shipped_share(crew["team_id"], datetime.now(UTC) + timedelta(days=91)) == (0, 0)


def test_a_stale_version_is_a_conflict_and_changes_nothing(crew, refunds):
    feature, _code, _review = refunds
    with pytest.raises(Conflict):
        features.update_feature(crew["member_m"], feature, {"title": "Late"}, feature.version - 1)
    assert feature.title == "Refunds"


def test_changes_are_history_events_and_webhook_deliveries(crew, refunds):
    feature, _code, _review = refunds
    db.session.add(Webhook(team_id=crew["team_id"], url="https://93.184.216.34/hook", secret="s" * 32,
                           events="feature.created,feature.updated,feature.shipped"))
    db.session.commit()
    with listening() as seen:
        features.update_feature(crew["member_m"], feature, {"title": "Refunds v2",
                                                            "target_date": date(2030, 5, 3)})
        features.update_feature(crew["owner_m"], feature, {"state": "shipped", "ship_reason": "Launch"})
    assert names(seen) == ["feature_changed", "feature_shipped"]
    assert seen[0][2]["changes"] == {"title": ("Refunds", "Refunds v2"), "target_date": (None, "2030-05-03")}
    sent = {d.event: json.loads(d.body) for d in db.session.scalars(select(WebhookDelivery))}
    assert sent["feature.updated"]["changes"]["title"] == {"old": "Refunds", "new": "Refunds v2"}
    assert sent["feature.shipped"]["reason"] == "Launch"
    assert sent["feature.shipped"]["feature"]["target_date"] == "2030-05-03"
    kinds = [(a.kind, a.field) for a in feature_activity(feature)]
    assert kinds == [("created", None), ("changed", "title"), ("changed", "target_date"), ("shipped", None)]
    assert "feature.shipped" in webhooks.WEBHOOK_EVENTS


def test_deleting_a_feature_needs_a_manager_and_keeps_its_tasks(crew, refunds):
    feature, code, review = refunds
    with pytest.raises(Forbidden):
        features.delete_feature(crew["member_m"], feature)
    features.delete_feature(crew["manager_m"], feature)
    db.session.expire_all()
    assert [db.session.get(Task, t.id).feature_id for t in (code, review)] == [None, None]
    with pytest.raises(NotFound):
        features.get_feature(crew["owner"], feature.id)


def test_tasks_join_only_their_own_teams_features_and_filter_by_feature(crew, refunds):
    feature, code, review = refunds
    elsewhere = teams.membership_for(crew["outsider"], crew["other_team_id"])
    with pytest.raises(Invalid) as refused:
        make_task(elsewhere, "Planted", feature_id=feature.id)
    assert refused.value.errors == {"feature_id": ["Choose a feature of this team."]}
    loose = make_task(crew["member_m"], "Loose")

    def ids(args):
        return [t.id for t in tasks.list_tasks(crew["member_m"], tasks.parse_task_filter(args)).items]

    assert sorted(ids({"feature": str(feature.id)})) == [code.id, review.id]
    assert ids({"feature": "none"}) == [loose.id]
    with pytest.raises(Invalid):
        tasks.parse_task_filter({"feature": "abc"})
    assert tasks.TaskFilter(feature="none").to_args() == {"feature": "none"}


# Filling the gaps --------------------------------------------------------------------------------------


def test_working_days_and_gap_deadlines():
    friday = date(2030, 5, 3)
    assert working_days_before(friday, 1, {1, 2, 3, 4, 5}) == date(2030, 5, 2)
    assert working_days_before(date(2030, 5, 6), 1, {1, 2, 3, 4, 5}) == friday  # Monday → Friday
    assert working_days_before(friday, 5, {1, 2, 3, 4, 5}) == date(2030, 4, 26)
    assert gap_due_date(friday, 3, {1, 2, 3, 4, 5}, today=date(2030, 5, 2)) == date(2030, 5, 2)
    assert gap_due_date(friday, 3, {1, 2, 3, 4, 5}, today=date(2030, 5, 9)) == friday
    assert gap_due_date(None, 3, {1, 2, 3, 4, 5}, today=friday) is None


def test_one_click_creates_the_missing_tasks_from_the_templates_before_the_target(crew):
    owner_m = crew["owner_m"]
    feature = features.create_feature(owner_m, {"title": "Refunds endpoint", "target_date": date(2030, 5, 3)})
    make_task(owner_m, "Endpoint", category="server-code", feature_id=feature.id)
    created = features.fill_gaps(crew["member_m"], feature)
    assert [t.category.slug for t in created] == ["api-docs", "testing", "security"]
    by_slug = {t.category.slug: t for t in created}
    review = by_slug["security"]
    assert review.title == "Security review: Refunds endpoint" and review.feature_id == feature.id
    assert [i.text for i in review.checklist] == [
        "Authentication", "Authorisation per object", "Input validation", "Secrets", "Rate limiting"]
    assert "- [ ]" not in review.description
    zone = crew["member"].timezone  # the dates are read where the creator works (nobody is assigned yet)
    due = {slug: t.due_at.astimezone(ZoneInfo(zone)).date() for slug, t in by_slug.items()}
    assert due == {"api-docs": date(2030, 5, 2), "security": date(2030, 5, 2), "testing": date(2030, 5, 1)}
    assert features.summary(feature).coverage.missing == []
    assert features.fill_gaps(crew["member_m"], feature) == []


def test_filling_the_gaps_of_a_shipped_feature_is_refused(crew):
    feature = features.create_feature(crew["owner_m"], {"title": "Old", "required_categories": []})
    features.update_feature(crew["owner_m"], feature, {"state": "dropped"})
    with pytest.raises(Invalid):
        features.fill_gaps(crew["owner_m"], feature)


# The feature's forecast -------------------------------------------------------------------------------

NOW = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)  # a Wednesday
TARGET_END = datetime(2030, 5, 3, 23, 59, 59, tzinfo=UTC)


def ref(task_id, finish, assignee="Ana", status="in_progress"):
    return TaskRef(task_id, f"Task {task_id}", SECURITY, status, assignee, finish)


@pytest.mark.parametrize("open_tasks, now, at_risk, finish, reason_has", [
    ([], NOW, False, None, None),
    ([ref(1, NOW + timedelta(hours=5)), ref(2, NOW + timedelta(days=1))], NOW, False,
     NOW + timedelta(days=1), None),
    ([ref(1, NOW + timedelta(days=1)), ref(2, NOW + timedelta(days=4), "Kai")], NOW, True,
     NOW + timedelta(days=4), "#2 Task 2 (Kai's queue) is projected to finish Sun 05 May 2030 09:00"),
    ([ref(1, NOW + timedelta(days=1)), ref(2, None, None)], NOW, False, NOW + timedelta(days=1),
     "#2 Task 2 has no forecast (nobody assigned)"),
    ([ref(1, None)], NOW + timedelta(days=3), True, None, "The target date Fri 03 May 2030 has passed"),
])
def test_the_features_forecast_is_the_latest_finish_of_its_open_tasks(open_tasks, now, at_risk, finish,
                                                                      reason_has):
    result = feature_forecast(open_tasks, TARGET_END, now, "UTC")
    assert (result.at_risk, result.projected_finish_at) == (at_risk, finish)
    assert (result.reason is None) == (reason_has is None)
    if reason_has:
        assert reason_has in result.reason


def test_the_stored_forecast_makes_a_feature_at_risk(crew, monkeypatch):
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)
    owner_m = crew["owner_m"]
    feature = features.create_feature(owner_m, {"title": "Refunds", "target_date": date(2030, 5, 3),
                                                "required_categories": ["security"]})
    task = make_task(owner_m, "Long review", category="security", feature_id=feature.id,
                     assignee_id=crew["manager"].id, estimate_hours=40)
    summary = features.summarise(features.list_features(owner_m.team_id), now=NOW)[0]
    assert summary.forecast.at_risk and summary.forecast.task_id == task.id
    assert f"#{task.id} Long review (Manu's queue) is projected to finish" in summary.forecast.reason
    assert summary.forecast.projected_finish_at > summary.target_end
    tasks.update_task(owner_m, task, {"estimate_hours": 2})
    assert not features.summary(feature, now=NOW).forecast.at_risk


# Checklists ----------------------------------------------------------------------------------------------


def test_checklist_items_are_added_ticked_edited_moved_deleted_and_promoted(crew, refunds):
    feature, _code, review = refunds
    member_m = crew["member_m"]
    a, b, c = (checklists.add_item(member_m, review, t) for t in ("Auth", "  Input   validation ", "Secrets"))
    assert [i.text for i in review.checklist] == ["Auth", "Input validation", "Secrets"]
    checklists.update_item(member_m, a, {"done": True})
    checklists.update_item(member_m, c, {"position": 0, "text": "Secrets in the vault"})
    db.session.expire_all()
    assert [(i.text, i.done, i.position) for i in review.checklist] == [
        ("Secrets in the vault", False, 0), ("Auth", True, 1), ("Input validation", False, 2)]
    promoted = checklists.promote_item(member_m, db.session.get(ChecklistItem, b.id))
    assert (promoted.title, promoted.category.slug, promoted.feature_id) == ("Input validation", "security",
                                                                             feature.id)
    db.session.expire_all()
    assert [(i.text, i.position) for i in review.checklist] == [("Secrets in the vault", 0), ("Auth", 1)]
    checklists.delete_item(member_m, db.session.get(ChecklistItem, c.id))
    assert [i.text for i in db.session.get(Task, review.id).checklist] == ["Auth"]


def test_checklist_input_is_checked_and_other_teams_items_are_not_found(crew, refunds):
    _feature, _code, review = refunds
    item = checklists.add_item(crew["member_m"], review, "Auth")
    for data, field in (({"text": " "}, "text"), ({"text": "x" * 501}, "text"), ({"done": "yes"}, "done"),
                        ({"position": -1}, "position"), ({"colour": "red"}, "colour")):
        with pytest.raises(Invalid) as refused:
            checklists.update_item(crew["member_m"], item, data)
        assert field in refused.value.errors
    with pytest.raises(Invalid):
        checklists.add_items(crew["member_m"], review, [("x", False)] * 100)
    with pytest.raises(NotFound):
        checklists.get_item(crew["outsider"], item.id)
    assert checklists.get_item(crew["member"], item.id)[0] == item
    parsed = checklists.parse_checklist("Intro\n- [ ] One\n* [x] Two\nOutro")
    assert parsed == ("Intro\nOutro", [("One", False), ("Two", True)])
