"""Features: a team's epics ("Refunds endpoint") grouping its tasks towards a target date, with the
categories (responsibilities) each requires before it ships. Creating, changing, shipping (only when
covered and done, unless a manager ships anyway with a reason) and deleting them; their coverage and
forecast for pages and the API; filling their gaps with tasks from the team's templates.

Any member creates and edits features; shipping with work left and deleting need a manager."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from . import events, stored_forecast
from .checklists import add_items, parse_checklist
from .coverage import (
    NO_FORECAST,
    CategoryRef,
    Coverage,
    FeatureForecast,
    GapWork,
    TaskRef,
    coverage,
    feature_forecast,
    gap_rank,
    plan_gaps,
)
from .deadlines import end_of_day
from .definition_of_done import Template, categories_named, definition_of_done, templates_of
from .errors import Conflict, Invalid, NotFound
from .extensions import db
from .models import Category, Feature, StoredForecast, Task, TeamMembership, User, utcnow
from .tasks import create_task
from .teams import require_role
from .text import render_markdown
from .timelog import FIRST_DAY, LAST_DAY
from .two_factor import check_team_requirement
from .vocabulary import (
    DESCRIPTION_MAX,
    FEATURE_STATES,
    OPEN_FEATURE_STATES,
    SHIP_REASON_MAX,
    TITLE_MAX,
    is_id,
)

SHIPPED_WINDOW = timedelta(days=90)


# Reading ----------------------------------------------------------------------------------------------


def get_feature(user: User, feature_id: int) -> tuple[Feature, TeamMembership]:
    """The feature and the user's membership of its team; NotFound for another team's feature."""
    row = db.session.execute(
        select(Feature, TeamMembership)
        .join(TeamMembership, TeamMembership.team_id == Feature.team_id)
        .options(selectinload(Feature.required_categories), joinedload(Feature.owner),
                 joinedload(TeamMembership.team))
        .where(Feature.id == feature_id, TeamMembership.user_id == user.id)
    ).first()
    if row is None:
        raise NotFound("No such feature.")
    check_team_requirement(user, row[1])
    return row[0], row[1]


def list_features(team_id: int, states: Iterable[str] | None = None) -> list[Feature]:
    """The team's features (in `states`, if given) by target date, undated last."""
    stmt = (
        select(Feature)
        .options(selectinload(Feature.required_categories), joinedload(Feature.owner))
        .where(Feature.team_id == team_id)
        .order_by(Feature.target_date.is_(None), Feature.target_date, Feature.id)
    )
    if states is not None:
        stmt = stmt.where(Feature.state.in_(list(states)))
    return list(db.session.scalars(stmt).unique())


@dataclass(frozen=True)
class FeatureSummary:
    """A feature with what pages and the API show about it."""

    feature: Feature
    task_ids: list[int]
    coverage: Coverage
    forecast: FeatureForecast
    target_end: datetime | None  # the end of the target date in the owner's zone

    @property
    def is_open(self) -> bool:
        return self.feature.state in OPEN_FEATURE_STATES


def _ref(category: Category) -> CategoryRef:
    return CategoryRef(category.slug, category.name, category.archived, category.position)


def _task_refs(feature_ids: list[int]) -> dict[int, list[TaskRef]]:
    """The live tasks of these features with their categories, assignees and stored forecasts (one query)."""
    rows = db.session.execute(
        select(Task.feature_id, Task.id, Task.title, Task.status, Category, User.name,
               StoredForecast.projected_finish_at)
        .join(Category, Category.id == Task.category_id)
        .outerjoin(User, User.id == Task.assignee_id)
        .outerjoin(StoredForecast, StoredForecast.task_id == Task.id)
        .where(Task.feature_id.in_(feature_ids), Task.deleted_at.is_(None))
        .order_by(Task.id)
    )
    refs: dict[int, list[TaskRef]] = {feature_id: [] for feature_id in feature_ids}
    for feature_id, task_id, title, status, category, assignee, finish in rows:
        refs[feature_id].append(TaskRef(task_id, title, _ref(category), status, assignee,
                                        finish if status != "done" else None))
    return refs


def target_end(feature: Feature) -> datetime | None:
    """The end of the feature's target date where its owner works (UTC without an owner)."""
    if feature.target_date is None:
        return None
    return end_of_day(feature.target_date, feature.owner.timezone if feature.owner else "UTC")


def summarise(features: list[Feature], now: datetime | None = None) -> list[FeatureSummary]:
    """Coverage and forecast of each feature, in a fixed number of queries whatever their number (the
    features come with their required categories and owners loaded, as list_features loads them)."""
    now = now or utcnow()
    refs = _task_refs([f.id for f in features])
    summaries = []
    for feature in features:
        tasks = refs[feature.id]
        covered = coverage([_ref(c) for c in feature.required_categories], tasks)
        end = target_end(feature)
        zone = feature.owner.timezone if feature.owner else "UTC"
        forecast = (feature_forecast(covered.open_tasks, end, now, zone)
                    if feature.state in OPEN_FEATURE_STATES else NO_FORECAST)
        summaries.append(FeatureSummary(feature, [t.id for t in tasks], covered, forecast, end))
    return summaries


def summary(feature: Feature, now: datetime | None = None) -> FeatureSummary:
    return summarise([feature], now)[0]


def shipped_share(team_id: int, now: datetime | None = None) -> tuple[int, int]:
    """Of the features shipped in the last 90 days, how many shipped with every required category done
    (nobody had to ship them anyway), and how many there were."""
    since = (now or utcnow()) - SHIPPED_WINDOW
    complete, total = db.session.execute(
        select(func.count(case((Feature.ship_reason.is_(None), 1))), func.count())
        .where(Feature.team_id == team_id, Feature.state == "shipped", Feature.shipped_at >= since)
    ).one()
    return complete or 0, total


# Checking -----------------------------------------------------------------------------------------------


def _text(errors: dict, name: str, value: Any, limit: int, required: bool = False) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if name == "title":
        text = " ".join(text.split())
    if required and not text.strip():
        errors.setdefault(name, []).append("Enter a title.")
    elif len(text) > limit:
        errors.setdefault(name, []).append(f"Use at most {limit} characters (this has {len(text)}).")
    return text


def _check_owner(member: TeamMembership, feature: Feature | None, owner_id: Any, errors: dict) -> Any:
    if owner_id is None or (feature is not None and owner_id == feature.owner_id):
        return owner_id
    known = is_id(owner_id) and db.session.scalar(
        select(TeamMembership.id).where(
            TeamMembership.team_id == member.team_id, TeamMembership.user_id == owner_id
        )
    )
    if not known:
        errors.setdefault("owner_id", []).append("The owner must be a member of this team.")
    return owner_id


def _check_date(value: Any, errors: dict) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime) or not isinstance(value, date) or not FIRST_DAY <= value <= LAST_DAY:
        errors.setdefault("target_date", []).append(f"Enter a day from {FIRST_DAY} to {LAST_DAY}.")
        return None
    return value


def _check_required(
    member: TeamMembership, feature: Feature | None, value: Any, errors: dict
) -> list[Category]:
    if not isinstance(value, (list, tuple)):
        errors.setdefault("required_categories", []).append("Give a list of category slugs.")
        return []
    already = [c.id for c in feature.required_categories] if feature is not None else []
    try:
        return categories_named(member.team_id, value, "required_categories", already)
    except Invalid as exc:
        errors.update(exc.errors)
        return []


def _validated(member: TeamMembership, feature: Feature | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields checked against the team's rules, ready to assign."""
    errors: dict[str, list[str]] = {}
    for name in sorted(set(data) - {*FIELDS, "ship_reason"}):
        errors[name] = ["This field cannot be set."]
    clean: dict[str, Any] = {}
    if "title" in data or feature is None:
        clean["title"] = _text(errors, "title", data.get("title"), TITLE_MAX, required=True)
    if "description" in data:
        clean["description"] = _text(errors, "description", data["description"], DESCRIPTION_MAX)
    if "ship_reason" in data:
        reason = _text(errors, "ship_reason", data["ship_reason"], SHIP_REASON_MAX)
        clean["ship_reason"] = reason.strip() or None
    if "owner_id" in data:
        clean["owner_id"] = _check_owner(member, feature, data["owner_id"], errors)
    if "target_date" in data:
        clean["target_date"] = _check_date(data["target_date"], errors)
    if "state" in data:
        clean["state"] = data["state"]
        if data["state"] not in FEATURE_STATES:
            errors["state"] = [f"Choose one of: {', '.join(FEATURE_STATES)}."]
    if "required_categories" in data:
        clean["required_categories"] = _check_required(member, feature, data["required_categories"], errors)
    if errors:
        raise Invalid(errors)
    return clean


# Writing -------------------------------------------------------------------------------------------------

FIELDS = ("title", "description", "owner_id", "target_date", "state", "required_categories")


def snapshot(feature: Feature) -> dict[str, Any]:
    """The editable fields as plain values, to compare before and after a change."""
    return {
        "title": feature.title,
        "description": feature.description,
        "owner_id": feature.owner_id,
        "target_date": feature.target_date.isoformat() if feature.target_date else None,
        "state": feature.state,
        "required_categories": [c.slug for c in feature.required_categories],
        "ship_reason": feature.ship_reason,
    }


def _assign(feature: Feature, clean: dict[str, Any]) -> None:
    for name, value in clean.items():
        setattr(feature, name, value)
    if "description" in clean:
        # Rendered once here, so that reading a feature never renders Markdown.
        feature.description_html = str(render_markdown(clean["description"]))


def create_feature(member: TeamMembership, data: Mapping[str, Any]) -> Feature:
    """A new feature of the member's team; it requires the team's definition of done unless
    `required_categories` says otherwise, and its creator owns it unless `owner_id` names someone."""
    clean = _validated(member, None, data)
    if clean.get("state", "planned") not in OPEN_FEATURE_STATES:
        raise Invalid({"state": ["A new feature is planned or active; ship it once its work is done."]})
    if "ship_reason" in clean:
        raise Invalid({"ship_reason": ["Give a reason only when shipping a feature with work left."]})
    clean.setdefault("owner_id", member.user_id)
    clean.setdefault("required_categories", definition_of_done(member.team_id))
    now = utcnow()
    feature = Feature(team_id=member.team_id, description="", description_html="", state="planned",
                      created_at=now, updated_at=now)
    _assign(feature, clean)
    db.session.add(feature)
    db.session.flush()  # the feature's id, for whoever receives the event
    events.feature_created.send(feature, actor=member.user)
    db.session.commit()
    return feature


def _ship_reason(member: TeamMembership, feature: Feature, clean: dict[str, Any]) -> str | None:
    """Whether the feature may ship now: with everything covered and done it ships (no reason kept);
    else only a manager may ship it, with a reason (409 without one)."""
    required = clean.get("required_categories", feature.required_categories)
    covered = coverage([_ref(c) for c in required], _task_refs([feature.id])[feature.id])
    if covered.complete:
        return None
    reason = clean.get("ship_reason")
    if not reason:
        blockers = covered.blockers()
        more = f" (and {len(blockers) - 5} more)" if len(blockers) > 5 else ""
        raise Conflict(feature, "Not ready to ship: " + " ".join(blockers[:5]) + more +
                       " A manager may ship it anyway by giving a reason (ship_reason).")
    require_role(member, "manager", "ship a feature with work left")
    return reason


def _commit_change(member: TeamMembership, feature: Feature, changes: dict, shipping: bool) -> None:
    """Announce the change (a shipping as its own event, with the reason) and commit it."""
    shipped = {name: changes.pop(name) for name in ("state", "ship_reason") if shipping and name in changes}
    try:
        if changes:
            events.feature_changed.send(feature, actor=member.user, changes=changes)
        if shipping:
            events.feature_shipped.send(feature, actor=member.user, reason=feature.ship_reason)
        db.session.commit()
    except StaleDataError:
        # Someone saved between our read and our write: theirs stands, ours is reported back.
        db.session.rollback()
        db.session.refresh(feature)
        raise Conflict(feature) from None
    changes.update(shipped)


def update_feature(
    member: TeamMembership, feature: Feature, data: Mapping[str, Any], expected_version: int | None = None
) -> dict[str, tuple[Any, Any]]:
    """Apply a partial update; a stale `expected_version` raises Conflict with the current feature.
    Setting `state` to shipped follows the ship rules (see _ship_reason). Returns {field: (old, new)}."""
    if expected_version is not None and expected_version != feature.version:
        raise Conflict(feature)
    clean = _validated(member, feature, data)
    shipping = clean.get("state") == "shipped" and feature.state != "shipped"
    if shipping:
        clean["ship_reason"] = _ship_reason(member, feature, clean)
    elif clean.pop("ship_reason", None) is not None:
        raise Invalid({"ship_reason": ["Give a reason only when shipping a feature with work left."]})
    if clean.get("state", "shipped") != "shipped":
        clean["ship_reason"] = None  # reopened or dropped: the old reason is in the history
    before = snapshot(feature)
    _assign(feature, clean)
    changes = {k: (before[k], v) for k, v in snapshot(feature).items() if before[k] != v}
    if not changes:
        db.session.rollback()
        return {}
    feature.updated_at = utcnow()
    if "state" in changes:
        feature.shipped_at = feature.updated_at if shipping else None
    _commit_change(member, feature, changes, shipping)
    return changes


def on_task_changed(task: Task, *, actor: User, changes: dict, **_) -> None:
    """An active feature ships by itself when the task that completes it is done: every required category
    covered and every live task done (no reason kept). A planned feature waits for a person to ship it,
    and only a manager ships one with work left."""
    if "status" not in changes or task.status != "done" or task.feature_id is None or task.deleted_at:
        return
    feature = db.session.get(Feature, task.feature_id)
    if feature is None or feature.state != "active":
        return
    db.session.flush()  # this task's new status, for the coverage read below
    covered = coverage([_ref(c) for c in feature.required_categories], _task_refs([feature.id])[feature.id])
    if not covered.complete:
        return
    feature.state, feature.ship_reason = "shipped", None
    feature.updated_at = feature.shipped_at = utcnow()
    events.feature_shipped.send(feature, actor=actor, reason=None)


def delete_feature(member: TeamMembership, feature: Feature) -> None:
    """Managers delete a feature; its tasks stay, without a feature."""
    require_role(member, "manager", "delete features")
    db.session.delete(feature)
    db.session.commit()


# Filling the gaps -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapFill:
    """The tasks that filling a feature's gaps created, and whether their deadlines can be met."""

    created: list[Task]
    at_risk: bool = False
    reason: str | None = None


def _doers(member: TeamMembership, feature: Feature, templates: list[Template]) -> list[User]:
    """Who does each template's task: the template's assignee, else the feature's owner, else whoever
    fills the gaps (someone who left the team is passed over)."""
    team = set(db.session.scalars(
        select(TeamMembership.user_id).where(TeamMembership.team_id == member.team_id)))
    wanted = {t.assignee_id for t in templates} | {feature.owner_id}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted & team)))}
    fallback = users.get(feature.owner_id, member.user)
    return [users.get(t.assignee_id, fallback) for t in templates]


def _queues(people: Iterable[User]) -> dict[int, tuple[tuple[datetime, datetime], ...]]:
    """Each person's open dated tasks as (deadline, projected finish), from the stored forecast."""
    rows = db.session.execute(
        select(Task.assignee_id, Task.due_at, StoredForecast.projected_finish_at)
        .join(StoredForecast, StoredForecast.task_id == Task.id)
        .where(Task.assignee_id.in_([p.id for p in people]), Task.deleted_at.is_(None), Task.status != "done",
               Task.due_at.is_not(None), StoredForecast.projected_finish_at.is_not(None))
    )
    queues: dict[int, list] = {p.id: [] for p in people}
    for person, due, finish in rows:
        queues[person].append((due, finish))
    return {person: tuple(queue) for person, queue in queues.items()}


def fill_gaps(member: TeamMembership, feature: Feature, now: datetime | None = None) -> GapFill:
    """Create a task for each required category the feature has no task in, from the team's templates,
    given to the template's assignee or the feature's owner, with deadlines planned before the target date
    through their working hours and queues (coverage.plan_gaps): design and build first, then tests, the
    review and the docs, deployment last. A target with too little time left is refused with the reason;
    a tight one gives squeezed deadlines and says so."""
    if feature.state not in OPEN_FEATURE_STATES:
        raise Invalid({"state": [f"The feature is {feature.state}; reopen it to add work."]})
    missing = set(summary(feature).coverage.missing)
    categories = [c for c in feature.required_categories if c.slug in missing]
    templates = sorted(templates_of(member.team_id, categories),
                       key=lambda t: (gap_rank(t.category.slug), t.category.position, t.category.id))
    doers = _doers(member, feature, templates)
    queues = _queues(set(doers))
    schedule = stored_forecast.schedule_of
    works = [GapWork(t.title_for(feature.title), p.name, schedule(p), t.hours, queues[p.id])
             for t, p in zip(templates, doers, strict=True)]
    zone = feature.owner.timezone if feature.owner else member.user.timezone
    plan = plan_gaps(works, target_end(feature), now or stored_forecast.clock(), zone)
    if feature.target_date is not None and None in plan.due:
        raise Invalid({"target_date": [plan.reason]})
    created = []
    for template, person, due in zip(templates, doers, plan.due, strict=True):
        description, items = parse_checklist(template.description)
        task = create_task(member, {
            "title": template.title_for(feature.title), "category": template.category.slug,
            "description": description, "feature_id": feature.id, "assignee_id": person.id,
            "estimate_hours": template.hours, "due_at": due,
        })
        if items:
            add_items(member, task, items)
        created.append(task)
    return GapFill(created, plan.at_risk, plan.reason)
