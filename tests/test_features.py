"""Features: coverage of the required categories (every combination of required, missing, in progress,
done, archived category and trashed task), the definition of done and templates, shipping rules,
filling the gaps, the feature's forecast, history, events and webhooks; and task checklists."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_task, make_team
from tests.support import statements_for
from tests.test_events import listening, names
from tracker import (
    activity,
    checklists,
    definition_of_done,
    features,
    stored_forecast,
    tasks,
    teams,
    webhooks,
)
from tracker.activity import Describer, feature_activity
from tracker.activity import task_activity as tasks_activity
from tracker.coverage import (
    CategoryRef,
    GapPlan,
    GapWork,
    TaskRef,
    coverage,
    feature_forecast,
    plan_gaps,
)
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.extensions import db
from tracker.forecast import WorkSchedule, subtract_working_hours, working_hours_between
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
    assert (by_slug["security"].assignee_id, by_slug["security"].hours) == (None, 4.0)
    with pytest.raises(Forbidden):
        definition_of_done.set_template(member_m, category_id, {"title_pattern": "Mine"})
    for bad in ({"title_pattern": "   "}, {"title_pattern": "x", "assignee_id": crew["outsider"].id},
                {"title_pattern": "x", "estimate_hours": 0}, {"title_pattern": "x", "estimate_hours": True},
                {"title_pattern": "x", "estimate_hours": "2"}, {"title_pattern": "x", "owner": 1}):
        with pytest.raises(Invalid):
            definition_of_done.set_template(manager_m, category_id, bad)
    own = definition_of_done.set_template(manager_m, category_id, {
        "title_pattern": "Pen test {feature} {x}", "description": "- [ ] OWASP",
        "assignee_id": crew["member"].id, "estimate_hours": 1.5})
    assert own.customised and own.title_for("Refunds") == "Pen test Refunds {x}"
    assert (own.assignee_id, own.hours) == (crew["member"].id, 1.5)
    reset = definition_of_done.reset_template(manager_m, category_id)
    assert reset.title_pattern == "Security review: {feature}" and reset.assignee_id is None
    with pytest.raises(NotFound):
        definition_of_done.set_template(manager_m, 10**6, {"title_pattern": "x"})


def category_id(crew, slug: str) -> int:
    return db.session.scalar(select(Category.id).where(Category.team_id == crew["team_id"],
                                                       Category.slug == slug))


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


def test_an_active_feature_ships_when_the_task_that_completes_it_is_done(crew, refunds):
    feature, _code, review = refunds
    features.update_feature(crew["member_m"], feature, {"state": "active"})
    docs = make_task(crew["owner_m"], "Docs", category="api-docs", feature_id=feature.id)
    with listening() as seen:
        tasks.update_task(crew["member_m"], review, {"status": "done"})
    assert feature.state == "active" and "feature_shipped" not in names(seen)  # the docs are open
    with listening() as seen:
        tasks.update_task(crew["member_m"], docs, {"status": "done"})
    shipped = [payload for name, _sender, payload in seen if name == "feature_shipped"]
    assert len(shipped) == 1 and shipped[0]["reason"] is None
    db.session.refresh(feature)
    assert feature.state == "shipped" and feature.ship_reason is None and feature.shipped_at is not None
    assert [(a.kind, a.actor_id) for a in feature_activity(feature)][-1] == ("shipped", crew["member"].id)
    assert features.shipped_share(crew["team_id"]) == (1, 1)


def test_a_planned_feature_or_one_missing_a_category_does_not_ship_by_itself(crew, refunds):
    feature, _code, review = refunds
    tasks.update_task(crew["member_m"], review, {"status": "done"})
    assert feature.state == "planned"  # ready: a person ships it
    other = features.create_feature(crew["owner_m"], {"title": "Export", "state": "active",
                                                      "required_categories": ["server-code", "security"]})
    code = make_task(crew["owner_m"], "Endpoint", category="server-code", feature_id=other.id)
    tasks.update_task(crew["member_m"], code, {"status": "done"})
    db.session.refresh(other)
    assert other.state == "active" and other.shipped_at is None  # security has no task at all


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


BERLIN = WorkSchedule("Europe/Berlin")
NEW_YORK = WorkSchedule("America/New_York")
# The end of Friday 10 May 2030 in Berlin (CEST, UTC+2): the feature's target date where its owner works.
FRIDAY_END = datetime(2030, 5, 10, 21, 59, 59, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 5, day, hour, minute, tzinfo=UTC)


def in_working_hours(at: datetime, schedule: WorkSchedule) -> bool:
    local = at.astimezone(ZoneInfo(schedule.timezone))
    return (local.isoweekday() in schedule.work_days
            and schedule.work_start <= local.time() <= schedule.work_end)


def test_gap_deadlines_are_planned_back_from_the_target_through_working_hours():
    works = [GapWork(title, "Olga", BERLIN, hours) for title, hours in
             (("Implement", 16), ("Tests", 8), ("Security review", 4), ("API docs", 3), ("Deploy", 4))]
    plan = plan_gaps(works, FRIDAY_END, utc(1, 7), "Europe/Berlin")
    # Worked by hand in Berlin time (UTC+2), each due when the next must start: deploy Fri 17:00 (4 h from
    # 13:00), docs Fri 13:00 (3 h from 10:00), review Fri 10:00 (4 h: Fri 9-10 and Thu 14-17), tests Thu
    # 14:00 (8 h: Thu 9-14 and Wed 14-17), the code Wed 14:00.
    assert plan.due == (utc(8, 12), utc(9, 12), utc(10, 8), utc(10, 11), utc(10, 15))
    assert not plan.at_risk and plan.reason is None


def test_each_gap_deadline_falls_in_its_own_assignees_working_hours_and_zone():
    works = [GapWork("Tests", "Olga", BERLIN, 8), GapWork("Security review", "Manu", NEW_YORK, 4),
             GapWork("API docs", "Olga", BERLIN, 3)]
    plan = plan_gaps(works, FRIDAY_END, utc(1, 7), "Europe/Berlin")
    # Docs: Fri 17:00 Berlin. The review must be done by 14:00 Berlin = 08:00 in New York, before Manu's
    # day: Thursday 17:00 there (21:00 UTC). The tests must be done when the review starts, Thu 13:00 New
    # York = 19:00 Berlin: Thursday 17:00 in Berlin.
    assert plan.due == (utc(9, 15), utc(9, 21), utc(10, 15))
    assert all(in_working_hours(d, w.schedule) for d, w in zip(plan.due, works, strict=True))


@pytest.mark.parametrize("now", [utc(9, 7), utc(10, 7), utc(10, 13)])
def test_a_target_too_close_squeezes_the_deadlines_in_order_and_says_so(now):
    works = [GapWork(t, "Olga", BERLIN, h) for t, h in (("Implement", 16), ("Tests", 8), ("Review", 4))]
    plan = plan_gaps(works, FRIDAY_END, now, "Europe/Berlin")
    assert plan.at_risk and "deadlines are squeezed" in plan.reason
    assert now <= plan.due[0] < plan.due[1] < plan.due[2] <= FRIDAY_END
    assert all(in_working_hours(d, BERLIN) for d in plan.due)


@pytest.mark.parametrize("now", [utc(10, 15), utc(10, 20), utc(14, 7)])
def test_a_target_without_working_time_left_gives_no_deadlines_and_the_reason(now):
    plan = plan_gaps([GapWork("Review", "Olga", BERLIN, 4)], FRIDAY_END, now, "Europe/Berlin")
    assert plan.due == (None,) and plan.at_risk
    assert plan.reason.startswith("The target date leaves too little working time before Fri 10 May 2030")


def test_a_full_queue_puts_the_gap_tasks_at_risk_with_whose_queue():
    # Manu's open task due before the review keeps him busy until Friday 15:00 in New York (19:00 UTC).
    queue = ((utc(9, 21), utc(10, 19)), (utc(20, 21), utc(24, 16)))  # the second is due later: not ahead
    works = [GapWork("Security review", "Manu", NEW_YORK, 4, queue)]
    plan = plan_gaps(works, FRIDAY_END, utc(1, 7), "Europe/Berlin")
    assert plan.due == (utc(10, 21),) and plan.at_risk
    assert plan.reason == ("“Security review” (Manu's queue, behind 1 task due earlier) would finish "
                           "Mon 13 May 2030 17:00, after its deadline Fri 10 May 2030 23:00.")
    assert not plan_gaps([GapWork("Security review", "Manu", NEW_YORK, 4, queue[1:])], FRIDAY_END,
                         utc(1, 7), "Europe/Berlin").at_risk


def test_without_a_target_date_gap_tasks_get_no_deadline():
    assert plan_gaps([GapWork("Review", "Olga", BERLIN, 4)], None, utc(1, 7), "UTC") == GapPlan((None,))


def test_working_back_is_the_inverse_of_working_forward():
    for end, hours in ((utc(10, 15), 4), (utc(13, 7, 30), 11.5), (utc(12, 12), 0.25)):
        start = subtract_working_hours(BERLIN, end, hours)
        assert working_hours_between(BERLIN, start, end) == pytest.approx(hours)
    assert subtract_working_hours(BERLIN, utc(11, 12), 0) == utc(10, 15)  # Saturday: Friday 17:00
    # 8 h before Monday 09:00 is Friday 09:00, which is no later in working time than Thursday 17:00: the
    # earlier instant, as a deadline reads best at the end of a day.
    assert subtract_working_hours(BERLIN, utc(13, 7), 8) == utc(9, 15)


def test_one_click_creates_the_missing_tasks_from_the_templates_before_the_target(crew):
    owner_m = crew["owner_m"]  # Olga works in Lisbon (UTC+1 in May), 09:00-17:00
    feature = features.create_feature(owner_m, {"title": "Refunds endpoint", "target_date": date(2030, 5, 3)})
    make_task(owner_m, "Endpoint", category="server-code", feature_id=feature.id)
    filled = features.fill_gaps(crew["member_m"], feature, now=utc(1, 8))
    created = filled.created
    assert [t.category.slug for t in created] == ["testing", "security", "api-docs"]  # the order of the work
    by_slug = {t.category.slug: t for t in created}
    review = by_slug["security"]
    assert review.title == "Security review: Refunds endpoint" and review.feature_id == feature.id
    assert [i.text for i in review.checklist] == [
        "Authentication", "Authorisation per object", "Input validation", "Secrets", "Rate limiting"]
    assert "- [ ]" not in review.description
    # Olga owns the feature, so she does the work: docs due Fri 17:00 Lisbon (3 h from 14:00), the review
    # at 14:00 (4 h from 10:00), the tests at 10:00 (8 h from Thursday 10:00).
    assert {t.assignee_id for t in created} == {crew["owner"].id}
    assert [t.estimate_hours for t in created] == [8.0, 4.0, 3.0]
    assert [t.due_at for t in created] == [utc(3, 9), utc(3, 13), utc(3, 16)]
    assert not filled.at_risk
    assert features.summary(feature).coverage.missing == []
    assert features.fill_gaps(crew["member_m"], feature).created == []


def test_a_templates_assignee_and_estimate_plan_that_task_through_their_hours(crew):
    definition_of_done.set_template(crew["manager_m"], category_id(crew, "security"), {
        "title_pattern": "Review {feature}", "assignee_id": crew["manager"].id, "estimate_hours": 2})
    feature = features.create_feature(crew["owner_m"], {"title": "Refunds", "target_date": date(2030, 5, 3),
                                                        "required_categories": ["security", "api-docs"]})
    review, docs = features.fill_gaps(crew["member_m"], feature, now=utc(1, 8)).created
    assert (review.title, review.assignee_id) == ("Review Refunds", crew["manager"].id)
    assert review.estimate_hours == 2
    assert docs.assignee_id == crew["owner"].id
    # Docs: Fri 17:00 Lisbon, 3 h from 13:00 Lisbon (12:00 UTC) = 08:00 in New York, before Manu's day: the
    # review is due Thursday 17:00 New York (21:00 UTC).
    assert (review.due_at, docs.due_at) == (utc(2, 21), utc(3, 16))


def test_a_target_date_with_no_time_left_is_refused_and_creates_nothing(crew):
    feature = features.create_feature(crew["owner_m"], {"title": "Late", "target_date": date(2030, 5, 3)})
    with pytest.raises(Invalid) as refused:
        features.fill_gaps(crew["member_m"], feature, now=utc(4, 8))
    assert "move the target date" in refused.value.errors["target_date"][0]
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_a_tight_target_creates_the_tasks_at_risk_with_the_reason(crew):
    feature = features.create_feature(crew["owner_m"], {"title": "Soon", "target_date": date(2030, 5, 3)})
    filled = features.fill_gaps(crew["member_m"], feature, now=utc(3, 8))  # Friday 09:00 in Lisbon
    assert filled.at_risk and "squeezed" in filled.reason
    due = [t.due_at for t in filled.created]
    assert due == sorted(set(due)) and utc(3, 8) <= due[0] and due[-1] <= utc(3, 16)


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


def test_each_checklist_change_is_a_change_of_its_task_with_history_and_a_webhook(crew, refunds):
    _feature, _code, review = refunds
    member_m = crew["member_m"]
    db.session.add(Webhook(team_id=crew["team_id"], url="https://93.184.216.34/hook", secret="s" * 32,
                           events="task.updated"))
    db.session.commit()
    version = review.version
    with listening() as seen:
        auth = checklists.add_item(member_m, review, "Auth")
        secrets = checklists.add_item(member_m, review, "Secrets")
        checklists.update_item(member_m, auth, {"done": True})
        checklists.update_item(member_m, secrets, {"text": "Secrets in the vault", "position": 0})
        checklists.update_item(member_m, auth, {"done": True})  # no change: no event, no version
        promoted = checklists.promote_item(member_m, db.session.get(ChecklistItem, secrets.id))
        checklists.delete_item(member_m, db.session.get(ChecklistItem, auth.id))
    changed = [payload["changes"]["checklist"] for name, sender, payload in seen
               if name == "task_changed" and sender.id == review.id]
    assert changed == [
        (None, [{"text": "Auth", "done": False, "position": 0}]),
        (None, [{"text": "Secrets", "done": False, "position": 1}]),
        ({"text": "Auth", "done": False, "position": 0}, {"text": "Auth", "done": True, "position": 0}),
        ({"text": "Secrets", "done": False, "position": 1},
         {"text": "Secrets in the vault", "done": False, "position": 0}),
        ({"text": "Secrets in the vault", "done": False, "position": 0},
         {"promoted_to": promoted.id, "text": "Secrets in the vault"}),
        ({"text": "Auth", "done": True, "position": 0}, None),
    ]
    assert db.session.get(Task, review.id).version == version + 6
    entries = [e for e in tasks_activity(review) if e.field == "checklist"]
    describer = Describer.for_entries(entries, crew["team_id"])
    assert [describer.sentence(e, str) for e in entries] == [
        "added “Auth” to the checklist", "added “Secrets” to the checklist", "ticked “Auth” on the checklist",
        "reworded “Secrets” as “Secrets in the vault”; moved “Secrets in the vault” to place 1 on the "
        "checklist",
        f"made “Secrets in the vault” of the checklist a task of its own, #{promoted.id}",
        "removed “Auth” from the checklist"]
    deliveries = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
    sent = [json.loads(d.body) for d in deliveries
            if d.event == "task.updated"]
    assert len(sent) == 6 and sent[2]["changes"]["checklist"]["new"]["done"] is True


def test_a_stale_version_refuses_a_checklist_change_and_writes_nothing(crew, refunds):
    _feature, _code, review = refunds
    item = checklists.add_item(crew["member_m"], review, "Auth", expected_version=review.version)
    stale = review.version - 1
    for change in (lambda: checklists.add_item(crew["member_m"], review, "More", expected_version=stale),
                   lambda: checklists.update_item(crew["member_m"], item, {"done": True}, stale),
                   lambda: checklists.delete_item(crew["member_m"], item, stale),
                   lambda: checklists.promote_item(crew["member_m"], item, stale)):
        with pytest.raises(Conflict):
            change()
    db.session.expire_all()
    assert [(i.text, i.done) for i in db.session.get(Task, review.id).checklist] == [("Auth", False)]
    assert db.session.scalar(select(func.count()).select_from(Task)) == 2  # nothing promoted


# The team's activity feed ----------------------------------------------------------------------------------


def test_feature_history_is_in_the_team_feed_with_the_task_history(crew, refunds):
    feature, _code, review = refunds
    features.update_feature(crew["member_m"], feature, {"target_date": date(2030, 5, 3)})
    tasks.move_to_trash(crew["owner_m"], review)
    elsewhere = make_team(crew["outsider"], "Elsewhere too")
    features.create_feature(elsewhere, {"title": "Not ours"})

    def feed(member, **given):
        page = activity.team_feed(member, activity.FeedFilter(**given))
        return [(type(e).__name__, e.kind, e.field) for e in page.items], page.total

    # Newest first, merged: the trashed review's history is hidden from a member, as on task pages.
    member_sees, total = feed(crew["member_m"])
    assert member_sees == [("FeatureActivity", "changed", "target_date"), ("Activity", "created", None),
                           ("FeatureActivity", "created", None)] and total == 3
    manager_sees, total = feed(crew["manager_m"])
    assert ("Activity", "deleted", None) in manager_sees and total == 5
    assert feed(crew["member_m"], kind="features")[0] == [("FeatureActivity", "changed", "target_date"),
                                                           ("FeatureActivity", "created", None)]
    assert feed(crew["member_m"], kind="changes")[0] == [("Activity", "created", None)]
    assert feed(crew["member_m"], category="server-code")[0] == [("Activity", "created", None)]
    by_member = feed(crew["member_m"], person=crew["member"].id)
    assert by_member == ([("FeatureActivity", "changed", "target_date")], 1)
    # Pages of one entry each cover the feed once, in order.
    everything = activity.FeedFilter()
    pages = [activity.team_feed(crew["manager_m"], everything, page, 1).items for page in range(1, 6)]
    assert [(type(e).__name__, e.id) for [e] in pages] == [
        (type(e).__name__, e.id) for e in activity.team_feed(crew["manager_m"], activity.FeedFilter()).items]


def test_the_feed_page_shows_feature_events_in_words(client, crew, refunds):
    feature, code, review = refunds
    tasks.update_task(crew["owner_m"], review, {"status": "done"})
    features.update_feature(crew["owner_m"], feature, {"owner_id": crew["manager"].id})
    features.update_feature(crew["owner_m"], feature, {"state": "shipped"})
    login(client, crew["member"])
    page = client.get(f"/teams/{crew['team_id']}/activity").get_data(as_text=True)
    assert "shipped it, with everything done" in page and "changed the owner from Olga to Manu" in page
    assert f'href="/features/{feature.id}">Refunds</a>' in page and "created the feature" in page
    only = client.get(f"/teams/{crew['team_id']}/activity?kind=features").get_data(as_text=True)
    assert "3 entries" in only and "Endpoint</a>" not in only


def test_the_feed_page_costs_the_same_whatever_the_number_of_feature_entries(client, crew):
    login(client, crew["member"])
    feed = f"/teams/{crew['team_id']}/activity"
    first = features.create_feature(crew["owner_m"], {"title": "First"})
    features.update_feature(crew["owner_m"], first, {"owner_id": crew["manager"].id})  # names to look up
    make_task(crew["owner_m"], "One", feature_id=first.id)
    few = statements_for(client.get, feed)
    for i in range(5):
        feature = features.create_feature(crew["manager_m"], {"title": f"Feature {i}"})
        features.update_feature(crew["member_m"], feature, {"owner_id": crew["member"].id,
                                                            "target_date": date(2030, 5, 3)})
        make_task(crew["member_m"], f"Task {i}", feature_id=feature.id)
    assert statements_for(client.get, feed) == few
