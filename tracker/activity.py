"""Activity history: every change to a task (field, old and new value, who, when), every comment and
time entry, written in the same transaction as the change. History only: it receives the domain events
(tracker/events.py) like the other areas that follow from a change, and calls none of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from .errors import Invalid
from .extensions import db
from .formatting import one_line
from .models import (
    Activity,
    Category,
    Comment,
    Feature,
    FeatureActivity,
    Task,
    TeamMembership,
    TimeEntry,
    User,
    utcnow,
)
from .paging import Page, bounds
from .serialise import plain
from .teams import has_role
from .vocabulary import is_id

# The feed's categories of activity, and the kinds of task history each covers; "features" is the
# history of the team's features (created, changed, shipped).
FEATURES = "features"
CATEGORIES = {
    "changes": ("created", "changed", "deleted", "restored"),
    "comments": ("commented", "comment_edited", "comment_deleted"),
    "time": ("time_logged", "time_deleted"),
    FEATURES: (),
}


def _record(
    task: Task,
    actor: User | None,
    kind: str,
    *,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    comment_id: int | None = None,
    at: datetime | None = None,
) -> Activity:
    entry = Activity(
        team_id=task.team_id,
        task_id=task.id,
        actor_id=actor.id if actor else None,
        kind=kind,
        field=field,
        old_value=plain(old),
        new_value=plain(new),
        comment_id=comment_id,
        created_at=at or utcnow(),
    )
    db.session.add(entry)
    return entry


def _time_entry(entry: TimeEntry) -> dict[str, Any]:
    return {
        "hours": entry.hours,
        "spent_on": entry.spent_on.isoformat(),
        "note": entry.note,
        "user_id": entry.user_id,
    }


# Recording: receivers of the domain events (connected in tracker/subscribers.py) -----------------------


def record_created(task: Task, *, actor: User, **_) -> None:
    _record(task, actor, "created", new=task.title, at=task.created_at)


def record_changed(task: Task, *, actor: User, changes: dict[str, tuple[Any, Any]], **_) -> None:
    for name, (old, new) in changes.items():
        _record(task, actor, "changed", field=name, old=old, new=new, at=task.updated_at)


def record_trashed(task: Task, *, actor: User, **_) -> None:
    _record(task, actor, "deleted", at=task.deleted_at)


def record_restored(task: Task, *, actor: User, **_) -> None:
    _record(task, actor, "restored", at=task.updated_at)


def record_comment(task: Task, *, actor: User, comment: Comment, **_) -> None:
    _record(
        task, actor, "commented", new=one_line(comment.body, 200), comment_id=comment.id,
        at=comment.created_at,
    )


def record_comment_edit(task: Task, *, actor: User, comment: Comment, **_) -> None:
    _record(
        task,
        actor,
        "comment_edited",
        new=one_line(comment.body, 200),
        comment_id=comment.id,
        at=comment.edited_at,
    )


def record_comment_deletion(task: Task, *, actor: User, comment: Comment, **_) -> None:
    # The text goes with the comment (also the excerpts in its history); the history keeps only that
    # it was there and whose it was.
    db.session.execute(
        update(Activity)
        .where(Activity.comment_id == comment.id)
        .values(new_value=None)
        .execution_options(synchronize_session=False)
    )
    _record(task, actor, "comment_deleted", field="author_id", old=comment.author_id)


def record_time_logged(task: Task, *, actor: User, entry: TimeEntry, **_) -> None:
    _record(task, actor, "time_logged", new=_time_entry(entry))


def record_time_deleted(task: Task, *, actor: User, entry: TimeEntry, **_) -> None:
    _record(task, actor, "time_deleted", old=_time_entry(entry))


# Reading ---------------------------------------------------------------------------------------------


def _history(model: type[Activity] | type[FeatureActivity], condition) -> list:
    """Entries of a history table, oldest first, with actors loaded."""
    return list(
        db.session.scalars(
            select(model)
            .options(joinedload(model.actor))
            .where(condition)
            .order_by(model.created_at, model.id)
        )
    )


def task_activity(task: Task) -> list[Activity]:
    """The task's whole history, oldest first, with actors loaded."""
    return _history(Activity, Activity.task_id == task.id)


@dataclass(frozen=True)
class FeedFilter:
    person: int | None = None
    category: str | None = None  # a task category slug
    kind: str | None = None  # one of CATEGORIES

    def to_args(self) -> dict[str, str]:
        return {
            k: str(v)
            for k, v in (("person", self.person), ("category", self.category), ("kind", self.kind))
            if v
        }


def parse_feed_filter(args) -> FeedFilter:
    errors: dict[str, list[str]] = {}
    person = (args.get("person") or "").strip()
    if person and not (person.isdecimal() and is_id(int(person))):
        errors["person"] = ["Use a user id."]
    kind = (args.get("kind") or "").strip() or None
    if kind and kind not in CATEGORIES:
        errors["kind"] = [f"Choose one of: {', '.join(CATEGORIES)}."]
    if errors:
        raise Invalid(errors)
    return FeedFilter(int(person) if person else None, (args.get("category") or "").strip() or None, kind)


def _task_feed(member: TeamMembership, f: FeedFilter):
    """The task history the member may read in the team's feed, filtered (None: none wanted)."""
    if f.kind == FEATURES:
        return None
    stmt = select(Activity).join(Task, Task.id == Activity.task_id).where(Activity.team_id == member.team_id)
    if not has_role(member, "manager"):  # who cannot open the trash does not read about what is in it
        stmt = stmt.where(Task.deleted_at.is_(None))
    if f.person:
        stmt = stmt.where(Activity.actor_id == f.person)
    if f.category:
        stmt = stmt.where(Task.category.has(Category.slug == f.category))
    if f.kind:
        stmt = stmt.where(Activity.kind.in_(CATEGORIES[f.kind]))
    return stmt


def _feature_feed(member: TeamMembership, f: FeedFilter):
    """The history of the team's features (every member reads it, as on a feature's page; a deleted
    feature takes its history with it), filtered (None: none wanted, e.g. a task category asked for)."""
    if f.category or (f.kind and f.kind != FEATURES):
        return None
    stmt = (select(FeatureActivity).join(Feature, Feature.id == FeatureActivity.feature_id)
            .where(Feature.team_id == member.team_id))
    if f.person:
        stmt = stmt.where(FeatureActivity.actor_id == f.person)
    return stmt


def team_feed(member: TeamMembership, f: FeedFilter, page: int = 1, per_page: int = 50):
    """One page of the team's activity, newest first: task history (tasks, actors and task categories
    loaded) and feature history (features and actors loaded), in a fixed number of queries."""
    page, per_page = bounds(page, per_page)
    branches = [
        (stmt, model, options)
        for stmt, model, options in (
            (_task_feed(member, f), Activity,
             (joinedload(Activity.actor), joinedload(Activity.task).joinedload(Task.category))),
            (_feature_feed(member, f), FeatureActivity,
             (joinedload(FeatureActivity.actor), joinedload(FeatureActivity.feature))),
        )
        if stmt is not None
    ]
    total = sum(db.session.scalar(select(func.count()).select_from(stmt.subquery()))
                for stmt, _model, _options in branches)
    # The newest page × per_page keys of each history (each read in its index's order), merged; then the
    # page's own entries loaded.
    keys = []
    for stmt, model, _options in branches:
        newest = stmt.with_only_columns(model.created_at, model.id).order_by(model.created_at.desc(),
                                                                          model.id.desc())
        found = db.session.execute(newest.limit(page * per_page))
        keys += [(at, model is FeatureActivity, id_) for at, id_ in found]
    shown = sorted(keys, reverse=True)[(page - 1) * per_page : page * per_page]
    items: dict[tuple[bool, int], Any] = {}
    for _stmt, model, options in branches:
        ids = [id_ for _at, is_feature, id_ in shown if is_feature == (model is FeatureActivity)]
        if ids:
            for entry in db.session.scalars(select(model).options(*options).where(model.id.in_(ids))):
                items[(model is FeatureActivity, entry.id)] = entry
    return Page([items[(is_feature, id_)] for _at, is_feature, id_ in shown], total, page, per_page)


# Describing ------------------------------------------------------------------------------------------


FIELD_LABELS = {
    "title": "title",
    "description": "description",
    "category": "category",
    "status": "status",
    "priority": "priority",
    "due_at": "deadline",
    "start_at": "start",
    "queue_at": "place in the queue",
    "estimate_hours": "estimate",
    "assignee_id": "assignee",
    "labels": "labels",
    "blocked_by": "blocked by",
    "feature_id": "feature",
    "recurrence": "repeat rule",
}


FEATURE_FIELD_LABELS = {"owner_id": "owner", "required_categories": "required categories",
                        "target_date": "target date"}


@dataclass
class Describer:
    """Turns stored values into words for one page, with the users and categories it needs loaded once."""

    users: dict[int, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_entries(cls, entries: list[Activity], team_id: int) -> Describer:
        ids = set()
        for e in entries:
            if e.field in ("assignee_id", "author_id", "owner_id"):
                ids |= {v for v in (e.old_value, e.new_value) if isinstance(v, int)}
            for value in (e.old_value, e.new_value):
                if isinstance(value, dict) and isinstance(value.get("user_id"), int):
                    ids.add(value["user_id"])
        users = (
            dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
        )
        categories = dict(
            db.session.execute(select(Category.slug, Category.name).where(Category.team_id == team_id)).all()
        )
        return cls(users, categories)

    def value(self, name: str | None, value: Any, fmt_instant) -> str:
        if value is None or value == [] or value == "":
            return "none"
        if name in ("due_at", "start_at", "queue_at") and isinstance(value, str):
            return fmt_instant(datetime.fromisoformat(value.replace("Z", "+00:00")))
        if name == "assignee_id":
            return self.users.get(value, f"user {value}")
        if name == "category":
            return self.categories.get(value, value)
        if name == "status":
            return value.replace("_", " ")
        if name == "estimate_hours":
            return f"{value:g} h"
        if name == "blocked_by":
            return ", ".join(f"#{v}" for v in value)
        if name == "labels":
            return ", ".join(value)
        return str(value)

    def feature_value(self, name: str | None, value: Any) -> str:
        if value is None or value == [] or value == "":
            return "none"
        if name == "owner_id":
            return self.users.get(value, f"user {value}")
        if name == "required_categories" and isinstance(value, list):
            return ", ".join(self.categories.get(slug, str(slug)) for slug in value)
        return str(value)

    def feature_sentence(self, entry: FeatureActivity) -> str:
        """A feature's history entry in words (the actor and the feature are shown beside it)."""
        if entry.kind == "created":
            return "created the feature"
        if entry.kind == "shipped":
            if entry.new_value:
                return f"shipped it with work left: “{entry.new_value}”"
            return "shipped it, with everything done"
        if entry.field == "description":
            return "edited the description"
        label = FEATURE_FIELD_LABELS.get(entry.field, entry.field)
        return (f"changed the {label} from {self.feature_value(entry.field, entry.old_value)} "
                f"to {self.feature_value(entry.field, entry.new_value)}")

    def sentence(self, entry: Activity | FeatureActivity, fmt_instant) -> str:
        """What happened, in words (the actor and task or feature are shown beside it)."""
        if isinstance(entry, FeatureActivity):
            return self.feature_sentence(entry)
        kind = entry.kind
        if kind == "created":
            return "created the task"
        if kind == "changed":
            label = FIELD_LABELS.get(entry.field, entry.field)
            if entry.field == "description":
                return "edited the description"
            if entry.field == "checklist":
                return checklist_sentence(entry.old_value, entry.new_value)
            old, new = (
                self.value(entry.field, entry.old_value, fmt_instant),
                self.value(entry.field, entry.new_value, fmt_instant),
            )
            return f"changed the {label} from {old} to {new}"
        if kind == "deleted":
            return "moved the task to the trash"
        if kind == "restored":
            return "restored the task from the trash"
        if kind == "commented":
            return "commented"
        if kind == "comment_edited":
            return "edited a comment"
        if kind == "comment_deleted":
            return "deleted a comment"
        if kind in ("time_logged", "time_deleted"):
            data = entry.new_value if kind == "time_logged" else entry.old_value
            verb = "logged" if kind == "time_logged" else "deleted an entry of"
            return f"{verb} {data['hours']:g} h on {data['spent_on']}"
        return kind


def checklist_sentence(old: Any, new: Any) -> str:
    """A checklist change (see tracker/checklists.py for its shape) in words."""
    if old is None:
        items = new if isinstance(new, list) else []
        if len(items) == 1:
            return f"added “{items[0]['text']}” to the checklist"
        return f"added {len(items)} items to the checklist"
    if new is None:
        return f"removed “{old['text']}” from the checklist"
    if "promoted_to" in new:
        return f"made “{old['text']}” of the checklist a task of its own, #{new['promoted_to']}"
    parts = []
    if old["done"] != new["done"]:
        parts.append(f"{'ticked' if new['done'] else 'unticked'} “{new['text']}”")
    if old["text"] != new["text"]:
        parts.append(f"reworded “{old['text']}” as “{new['text']}”")
    if old["position"] != new["position"]:
        parts.append(f"moved “{new['text']}” to place {new['position'] + 1}")
    return "; ".join(parts) + " on the checklist"


# Feature history: receivers of the feature events, and reading -------------------------------------------


def _record_feature(feature: Feature, actor: User | None, kind: str, *, field: str | None = None,
                    old: Any = None, new: Any = None) -> None:
    db.session.add(FeatureActivity(
        feature_id=feature.id, actor_id=actor.id if actor else None, kind=kind, field=field,
        old_value=plain(old), new_value=plain(new), created_at=feature.updated_at,
    ))


def record_feature_created(feature: Feature, *, actor: User, **_) -> None:
    _record_feature(feature, actor, "created", new=feature.title)


def record_feature_changed(feature: Feature, *, actor: User, changes: dict[str, tuple], **_) -> None:
    for name, (old, new) in changes.items():
        _record_feature(feature, actor, "changed", field=name, old=old, new=new)


def record_feature_shipped(feature: Feature, *, actor: User, reason: str | None, **_) -> None:
    """Shipped; `reason` is why it shipped with work left (None when everything was done)."""
    _record_feature(feature, actor, "shipped", new=reason)


def feature_activity(feature: Feature) -> list[FeatureActivity]:
    """The feature's whole history, oldest first, with actors loaded."""
    return _history(FeatureActivity, FeatureActivity.feature_id == feature.id)
