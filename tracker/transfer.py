"""A team's data in and out: the whole team as one JSON document (and its tasks as a CSV sheet), and such a
document restored into a new team. Inside the document people are named by email, categories by slug and
tasks, features and comments by export-local keys (T1, F1, C1) in a stable order, never by database ids,
so an export imports anywhere and the import exports to the same document again."""
from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import selectinload

from . import stored_forecast, tallies
from .boards import WIP_MAX, wip_limits
from .comments import find_mentions, render_body
from .errors import Invalid, NotFound
from .extensions import db
from .models import (
    Activity,
    Category,
    CategoryTemplate,
    ChecklistItem,
    Comment,
    Feature,
    FeatureActivity,
    SavedFilter,
    Task,
    TaskLabel,
    TaskOccurrence,
    TaskWatcher,
    Team,
    TeamMembership,
    TimeEntry,
    User,
    WipLimit,
    definition_of_done,
    feature_required_categories,
)
from .recurrence import RuleError, normalise_rule
from .saved_filters import VIEWS
from .serialise import plain
from .tasks import spent_hours
from .teams import slugify, unique_slug
from .text import render_markdown
from .timelog import MAX_HOURS_PER_ENTRY
from .two_factor import REQUIREMENTS, requirement_problems
from .vocabulary import (
    CHECKLIST_ITEM_MAX,
    CHECKLIST_ITEMS_PER_TASK,
    COMMENT_MAX,
    DESCRIPTION_MAX,
    EARLIEST_DATE,
    ESTIMATE_MAX,
    FEATURE_STATES,
    LABEL_MAX,
    LABELS_PER_TASK,
    LATEST_DATE,
    OPEN_STATUSES,
    PRIORITIES,
    ROLES,
    SHIP_REASON_MAX,
    STATUSES,
    TITLE_MAX,
)

FORMAT = "tracker.team-export"
FORMAT_VERSION = 1
# An upload larger than this is refused before it is read (the API, the upload page and the CLI alike).
MAX_IMPORT_BYTES = 20_000_000
MAX_ERRORS = 50  # per refused document: enough to fix a file, not a page of a million lines
# Activity values that hold ids, and what kind of object each names.
_USER_FIELDS = frozenset({"assignee_id", "reporter_id", "owner_id", "user_id"})
_LABEL = re.compile(r"[\w.+-]+(?: [\w.+-]+)*")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates without their pair
# A spreadsheet reads a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _key(prefix: str, number: int) -> str:
    return f"{prefix}{number}"


@dataclass
class _Refs:
    """Database ids and their export-local names, one way (export) or the other (import)."""

    users: dict[Any, Any] = field(default_factory=dict)
    tasks: dict[Any, Any] = field(default_factory=dict)
    features: dict[Any, Any] = field(default_factory=dict)

    def value(self, name: str | None, value: Any) -> Any:
        """A history value with the ids in it renamed (a value of another kind is kept as it is)."""
        if name in _USER_FIELDS and not isinstance(value, (list, dict)):
            return self.users.get(value) if value is not None else None
        if name == "feature_id" and not isinstance(value, (list, dict)):
            return self.features.get(value) if value is not None else None
        if name == "blocked_by" and isinstance(value, list):
            return [self.tasks.get(v) for v in value]
        if isinstance(value, dict) and "user_id" in value:
            return {**value, "user_id": self.value("user_id", value["user_id"])}
        if isinstance(value, dict) and "promoted_to" in value:  # a checklist item made a task
            return {**value, "promoted_to": self.tasks.get(value["promoted_to"])}
        return value

    def query(self, query: str) -> str:
        """A saved filter's query string with its assignee and feature renamed."""
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(k in ("assignee", "feature") for k, _v in pairs):
            return query
        renamed = [(k, self._query_value(k, v)) for k, v in pairs]
        return urlencode(renamed)

    def _query_value(self, name: str, value: str) -> str:
        table = {"assignee": self.users, "feature": self.features}.get(name)
        if table is None or value in ("me", "none"):
            return value
        key: Any = int(value) if value.isdecimal() and len(value) < 10 else value
        found = table.get(key)
        return str(found) if found is not None else value


def _when(value: datetime | date | None) -> str | None:
    if isinstance(value, datetime):
        return plain(value)
    return value.isoformat() if value is not None else None


# Export ---------------------------------------------------------------------------------------------


def get_team_by_slug(slug: str) -> Team:
    team = db.session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        raise NotFound(f"No team has the slug “{slug}”.")
    return team


def _team_tasks(team_id: int) -> list[Task]:
    return list(
        db.session.scalars(
            select(Task)
            .options(
                selectinload(Task.category), selectinload(Task.labels), selectinload(Task.blocked_by),
                selectinload(Task.checklist), selectinload(Task.time_entries),
            )
            .where(Task.team_id == team_id)
            .order_by(Task.created_at, Task.id)
        )
    )


def _by_task(rows: Iterable, attribute: str = "task_id") -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(getattr(row, attribute), []).append(row)
    return grouped


@dataclass
class _TeamRows:
    """Everything of one team that an export writes, each kind in one query."""

    team: Team
    members: list[TeamMembership]
    categories: list[Category]
    tasks: list[Task]
    features: list[Feature]
    comments: dict[int, list[Comment]]
    activity: dict[int, list[Activity]]
    feature_activity: dict[int, list[FeatureActivity]]
    watchers: dict[int, list[TaskWatcher]]
    next_occurrence: dict[int, int]
    filters: list[SavedFilter]
    done: list[str] | None
    templates: list[CategoryTemplate]


def _load(team: Team) -> _TeamRows:
    tid = team.id
    task_ids = select(Task.id).where(Task.team_id == tid)
    features = list(db.session.scalars(
        select(Feature).options(selectinload(Feature.required_categories))
        .where(Feature.team_id == tid).order_by(Feature.created_at, Feature.id)))
    done = list(db.session.scalars(
        select(Category.slug).join(definition_of_done, definition_of_done.c.category_id == Category.id)
        .where(definition_of_done.c.team_id == tid).order_by(Category.slug)))
    return _TeamRows(
        team=team,
        members=list(db.session.scalars(
            select(TeamMembership).options(selectinload(TeamMembership.user))
            .where(TeamMembership.team_id == tid))),
        categories=list(db.session.scalars(
            select(Category).where(Category.team_id == tid).order_by(Category.position, Category.slug))),
        tasks=_team_tasks(tid),
        features=features,
        comments=_by_task(db.session.scalars(
            select(Comment).where(Comment.task_id.in_(task_ids)).order_by(Comment.created_at, Comment.id))),
        activity=_by_task(db.session.scalars(
            select(Activity).where(Activity.team_id == tid).order_by(Activity.created_at, Activity.id))),
        feature_activity=_by_task(db.session.scalars(
            select(FeatureActivity).where(FeatureActivity.feature_id.in_([f.id for f in features]))
            .order_by(FeatureActivity.created_at, FeatureActivity.id)), "feature_id"),
        watchers=_by_task(db.session.scalars(
            select(TaskWatcher).where(TaskWatcher.task_id.in_(task_ids)))),
        next_occurrence=dict(db.session.execute(
            select(TaskOccurrence.previous_task_id, TaskOccurrence.next_task_id)
            .where(TaskOccurrence.previous_task_id.in_(task_ids))).all()),
        filters=list(db.session.scalars(
            select(SavedFilter).where(SavedFilter.team_id == tid)
            .order_by(SavedFilter.created_at, SavedFilter.name, SavedFilter.id))),
        done=done or None,
        templates=list(db.session.scalars(
            select(CategoryTemplate).options(selectinload(CategoryTemplate.category))
            .join(Category).where(Category.team_id == tid).order_by(Category.slug))),
    )


def _export_refs(rows: _TeamRows) -> _Refs:
    refs = _Refs(
        tasks={t.id: _key("T", i) for i, t in enumerate(rows.tasks, 1)},
        features={f.id: _key("F", i) for i, f in enumerate(rows.features, 1)},
    )
    people: set[int] = {m.user_id for m in rows.members}
    people |= {i for t in rows.tasks for i in (t.assignee_id, t.reporter_id, t.deleted_by_id)}
    people |= {e.user_id for t in rows.tasks for e in t.time_entries}
    people |= {c.author_id for cs in rows.comments.values() for c in cs}
    people |= {a.actor_id for a_s in (*rows.activity.values(), *rows.feature_activity.values()) for a in a_s}
    people |= {f.owner_id for f in rows.features} | {s.user_id for s in rows.filters}
    people |= {w.user_id for ws in rows.watchers.values() for w in ws}
    people |= {t.assignee_id for t in rows.templates}
    people.discard(None)
    refs.users = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(people))).all())
    return refs


def _history(entries: Iterable, refs: _Refs, comment_keys: dict[int, str] | None = None) -> list[dict]:
    out = []
    for a in entries:
        entry = {"actor": refs.users.get(a.actor_id), "kind": a.kind, "field": a.field,
                 "old": refs.value(a.field, a.old_value), "new": refs.value(a.field, a.new_value)}
        if comment_keys is not None:
            entry["comment"] = comment_keys.get(a.comment_id)
        entry["created_at"] = _when(a.created_at)
        out.append(entry)
    return out


def _task_document(task: Task, rows: _TeamRows, refs: _Refs, comment_keys: dict[int, str]) -> dict:
    user = refs.users.get
    return {
        "key": refs.tasks[task.id], "title": task.title, "description": task.description,
        "category": task.category.slug, "status": task.status, "priority": task.priority,
        "due_at": _when(task.due_at), "due_date": _when(task.due_date), "start_at": _when(task.start_at),
        "queue_at": _when(task.queue_at), "estimate_hours": task.estimate_hours,
        "assignee": user(task.assignee_id), "reporter": user(task.reporter_id),
        "labels": sorted(task.label_names), "blocked_by": sorted(refs.tasks[b.id] for b in task.blocked_by
                                                                  if b.id in refs.tasks),
        "feature": refs.features.get(task.feature_id), "recurrence": task.recurrence,
        "next_occurrence": refs.tasks.get(rows.next_occurrence.get(task.id)),
        "created_at": _when(task.created_at), "updated_at": _when(task.updated_at),
        "completed_at": _when(task.completed_at), "deleted_at": _when(task.deleted_at),
        "deleted_by": user(task.deleted_by_id),
        "watchers": sorted(e for e in (user(w.user_id) for w in rows.watchers.get(task.id, [])) if e),
        "checklist": [{"text": i.text, "done": i.done, "created_at": _when(i.created_at)}
                      for i in sorted(task.checklist, key=lambda i: (i.position, i.id))],
        "comments": [{"key": comment_keys[c.id], "author": user(c.author_id), "body": c.body,
                      "created_at": _when(c.created_at), "edited_at": _when(c.edited_at)}
                     for c in rows.comments.get(task.id, [])],
        "time_entries": [{"user": user(e.user_id), "hours": e.hours, "note": e.note,
                          "spent_on": _when(e.spent_on), "created_at": _when(e.created_at)}
                         for e in sorted(task.time_entries, key=lambda e: (e.spent_on, e.created_at, e.id))],
        "activity": _history(rows.activity.get(task.id, []), refs, comment_keys),
    }


def _feature_document(feature: Feature, rows: _TeamRows, refs: _Refs) -> dict:
    return {
        "key": refs.features[feature.id], "title": feature.title, "description": feature.description,
        "owner": refs.users.get(feature.owner_id), "target_date": _when(feature.target_date),
        "state": feature.state, "ship_reason": feature.ship_reason, "shipped_at": _when(feature.shipped_at),
        "required_categories": [c.slug for c in feature.required_categories],
        "created_at": _when(feature.created_at), "updated_at": _when(feature.updated_at),
        "activity": _history(rows.feature_activity.get(feature.id, []), refs),
    }


def export_team(team: Team) -> dict[str, Any]:
    """The whole team as plain JSON-ready data (see the module's docstring for the references)."""
    rows = _load(team)
    refs = _export_refs(rows)
    ordered = [c for t in rows.tasks for c in rows.comments.get(t.id, [])]
    ordered.sort(key=lambda c: (c.created_at, c.id))
    comment_keys = {c.id: _key("C", i) for i, c in enumerate(ordered, 1)}
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "team": {"name": team.name, "slug": team.slug, "urgency_window_hours": team.urgency_window_hours,
                 "two_factor_required": team.two_factor_required},
        "members": sorted(
            ({"email": m.user.email, "name": m.user.name, "role": m.role, "joined_at": _when(m.created_at)}
             for m in rows.members), key=lambda m: m["email"]),
        "categories": [{"slug": c.slug, "name": c.name, "position": c.position, "archived": c.archived}
                       for c in rows.categories],
        "definition_of_done": rows.done,
        "wip_limits": dict(sorted(wip_limits(team.id).items())),
        "templates": [{"category": t.category.slug, "title_pattern": t.title_pattern,
                       "description": t.description, "assignee": refs.users.get(t.assignee_id),
                       "estimate_hours": t.estimate_hours,
                       "updated_at": _when(t.updated_at)} for t in rows.templates],
        "features": [_feature_document(f, rows, refs) for f in rows.features],
        "tasks": [_task_document(t, rows, refs, comment_keys) for t in rows.tasks],
        "saved_filters": [{"user": refs.users.get(s.user_id), "name": s.name, "view": s.view,
                           "query": refs.query(s.query), "shared": s.shared,
                           "created_at": _when(s.created_at)}
                          for s in rows.filters],
    }


def export_json(team: Team) -> str:
    """The export as text: keys in a fixed order, two-space indents, a final newline."""
    return json.dumps(export_team(team), indent=2, ensure_ascii=False) + "\n"


# Tasks as CSV ---------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id", "title", "description", "category", "status", "priority", "due_at", "start_at", "estimate_hours",
    "spent_hours", "assignee", "reporter", "labels", "blocked_by", "feature_id", "recurrence", "created_at",
    "updated_at", "completed_at",
)


def neutralise(cell: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, made plain text with a leading quote."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def export_tasks_csv(team: Team) -> str:
    """The team's live tasks (not the trash) as CSV, one row per task, ordered by number."""
    tasks = [t for t in _team_tasks(team.id) if t.deleted_at is None]
    tasks.sort(key=lambda t: t.id)
    spent = spent_hours([t.id for t in tasks])
    people = {t.assignee_id for t in tasks} | {t.reporter_id for t in tasks}
    emails = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(people - {None}))).all())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for t in tasks:
        writer.writerow(neutralise(cell) for cell in (
            t.id, t.title, t.description, t.category.slug, t.status, t.priority, _when(t.due_at),
            _when(t.start_at), t.estimate_hours, spent.get(t.id, 0.0), emails.get(t.assignee_id, ""),
            emails.get(t.reporter_id, ""), ", ".join(t.label_names),
            " ".join(f"#{b.id}" for b in t.blocked_by), t.feature_id, t.recurrence, _when(t.created_at),
            _when(t.updated_at), _when(t.completed_at),
        ))
    return out.getvalue()


# The document's shape, checked before anything is written ----------------------------------------------


def _text(limit: int, *, min_length: int = 0):
    """Text of at most `limit` characters; a required text must have something besides spaces."""
    if min_length:
        return Annotated[str, Field(max_length=limit, min_length=min_length, pattern=r"\S")]
    return Annotated[str, Field(max_length=limit)]


Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Key = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")]
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
def _in_range(value: date) -> date:
    """Instants and days of this century only: year 1 or 9999 overflows when shown in a time zone."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time(), UTC)
    if not EARLIEST_DATE <= moment < LATEST_DATE:
        raise ValueError("choose a date between 2000 and 2100")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
Day = Annotated[date, AfterValidator(_in_range)]


class _Shape(BaseModel):
    # Strict: JSON's own types only (false is not a number, 1 is not a text); read from JSON text, where
    # times and dates are strings.
    model_config = ConfigDict(extra="forbid", strict=True)


class TeamIn(_Shape):
    name: _text(120, min_length=1)
    slug: Annotated[str, Field(max_length=64)] = ""
    urgency_window_hours: Annotated[int, Field(ge=1, le=1440)] = 72
    two_factor_required: Literal[REQUIREMENTS] = "nobody"  # type: ignore[valid-type]


class MemberIn(_Shape):
    email: Email
    name: _text(120) = ""
    role: Literal[ROLES]  # type: ignore[valid-type]
    joined_at: Instant | None = None


class CategoryIn(_Shape):
    slug: Slug
    name: _text(80, min_length=1)
    position: Annotated[int, Field(ge=0, le=10_000)] = 0
    archived: bool = False


class TemplateIn(_Shape):
    category: Slug
    title_pattern: _text(200, min_length=1)
    description: _text(DESCRIPTION_MAX) = ""
    assignee: Email | None = None
    estimate_hours: Annotated[float, Field(gt=0, le=ESTIMATE_MAX, allow_inf_nan=False)] | None = None
    updated_at: Instant | None = None


class HistoryIn(_Shape):
    actor: Email | None = None
    kind: _text(24, min_length=1)
    field: _text(32) | None = None
    old: Any = None
    new: Any = None
    comment: Key | None = None
    created_at: Instant


# What a history entry may hold, so that the pages that tell it in words can read every imported entry.
TASK_KINDS = ("created", "changed", "deleted", "restored", "commented", "comment_edited", "comment_deleted",
              "time_logged", "time_deleted")
FEATURE_KINDS = ("created", "changed", "shipped")
_INSTANT_FIELDS = ("due_at", "start_at", "queue_at")
_TEXT_FIELDS = ("title", "description", "category", "status", "priority", "recurrence", "state",
                "ship_reason", "target_date", "assignee_id", "reporter_id", "owner_id", "user_id",
                "feature_id")
_SCALARS = (str, int, float, type(None))


def _is_instant(value: Any) -> bool:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return False
    return moment.tzinfo is not None and EARLIEST_DATE <= moment < LATEST_DATE


def _value_fits(name: str | None, value: Any) -> bool:
    """Whether a changed field's old or new value has the shape the history pages expect of it."""
    if value is None:
        return True
    if name in _INSTANT_FIELDS:
        return _is_instant(value)
    if name == "estimate_hours":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if name in ("blocked_by", "labels", "required_categories"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if name in _TEXT_FIELDS:
        return isinstance(value, str)
    scalars = isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value)
    return isinstance(value, _SCALARS) or scalars


def _checklist_fits(old: Any, new: Any) -> bool:
    def item(v: Any) -> bool:
        return isinstance(v, dict) and isinstance(v.get("text"), str)

    if old is None:
        return isinstance(new, list) and all(item(v) for v in new)
    if new is None or not item(old) or not isinstance(new, dict):
        return new is None and item(old)
    if "promoted_to" in new:
        return isinstance(new["promoted_to"], (str, type(None)))
    return item(new) and all(isinstance(v.get("done"), bool) and isinstance(v.get("position"), int)
                             and not isinstance(v.get("position"), bool) for v in (old, new))


def _entry_problem(entry: HistoryIn, kinds: tuple[str, ...]) -> str | None:
    if entry.kind not in kinds:
        return f"Unknown kind of history entry “{entry.kind}”: use one of {', '.join(kinds)}."
    if entry.kind in ("time_logged", "time_deleted"):
        data = entry.new if entry.kind == "time_logged" else entry.old
        fits = isinstance(data, dict) and _value_fits("estimate_hours", data.get("hours")) and \
            data.get("hours") is not None and isinstance(data.get("spent_on"), str) and \
            isinstance(data.get("note", ""), str) and isinstance(data.get("user_id"), (str, type(None)))
        return None if fits else "A time entry's history needs hours, spent_on, note and user_id."
    if entry.kind == "changed" and entry.field == "checklist":
        return None if _checklist_fits(entry.old, entry.new) else "Not a change of a checklist."
    if entry.kind in ("changed", "shipped"):
        fits = _value_fits(entry.field, entry.old) and _value_fits(entry.field, entry.new)
        return None if fits else f"Not a value of {entry.field or 'this field'}."
    plain_values = isinstance(entry.new, _SCALARS) and isinstance(entry.old, _SCALARS)
    return None if plain_values else "Not a value here."


def _history_problems(entries: list[HistoryIn], kinds: tuple[str, ...]) -> None:
    for j, entry in enumerate(entries):
        problem = _entry_problem(entry, kinds)
        if problem:
            raise ValueError(f"activity[{j}]: {problem}")


class FeatureIn(_Shape):
    key: Key
    title: _text(TITLE_MAX, min_length=1)
    description: _text(DESCRIPTION_MAX) = ""
    owner: Email | None = None
    target_date: Day | None = None
    state: Literal[FEATURE_STATES] = "planned"  # type: ignore[valid-type]
    ship_reason: _text(SHIP_REASON_MAX) | None = None
    shipped_at: Instant | None = None
    required_categories: list[Slug] = []
    created_at: Instant
    updated_at: Instant
    activity: list[HistoryIn] = []

    @model_validator(mode="after")
    def _history_fits(self) -> FeatureIn:
        _history_problems(self.activity, FEATURE_KINDS)
        return self


class ChecklistIn(_Shape):
    text: _text(CHECKLIST_ITEM_MAX, min_length=1)
    done: bool = False
    created_at: Instant | None = None


class CommentIn(_Shape):
    key: Key
    author: Email | None = None
    body: _text(COMMENT_MAX, min_length=1)
    created_at: Instant
    edited_at: Instant | None = None


class TimeEntryIn(_Shape):
    user: Email | None = None
    hours: Annotated[float, Field(gt=0, le=MAX_HOURS_PER_ENTRY, allow_inf_nan=False)]
    note: _text(500) = ""
    spent_on: Day
    created_at: Instant | None = None


class TaskIn(_Shape):
    key: Key
    title: _text(TITLE_MAX, min_length=1)
    description: _text(DESCRIPTION_MAX) = ""
    category: Slug
    status: Literal[STATUSES] = "todo"  # type: ignore[valid-type]
    priority: Literal[PRIORITIES] = "medium"  # type: ignore[valid-type]
    due_at: Instant | None = None
    due_date: Day | None = None  # the deadline was given as this day (it follows the assignee's zone)
    start_at: Instant | None = None
    queue_at: Instant | None = None
    estimate_hours: Annotated[float, Field(ge=0, le=ESTIMATE_MAX, allow_inf_nan=False)] | None = None
    assignee: Email | None = None
    reporter: Email | None = None
    labels: Annotated[list[_text(LABEL_MAX, min_length=1)], Field(max_length=LABELS_PER_TASK)] = []
    blocked_by: list[Key] = []
    feature: Key | None = None
    recurrence: _text(300) | None = None
    next_occurrence: Key | None = None
    created_at: Instant
    updated_at: Instant
    completed_at: Instant | None = None
    deleted_at: Instant | None = None
    deleted_by: Email | None = None
    watchers: list[Email] = []
    checklist: Annotated[list[ChecklistIn], Field(max_length=CHECKLIST_ITEMS_PER_TASK)] = []
    comments: list[CommentIn] = []
    time_entries: list[TimeEntryIn] = []
    activity: list[HistoryIn] = []

    @model_validator(mode="after")
    def _fields_agree(self) -> TaskIn:
        for label in self.labels:
            if label != label.strip().lower() or not _LABEL.fullmatch(label):
                raise ValueError(f"“{label}” is not a label: use lower-case letters, digits, - _ . +")
        if self.recurrence is not None:
            try:
                self.recurrence = normalise_rule(self.recurrence)
            except RuleError as exc:
                raise ValueError(f"recurrence: {exc}") from None
        _history_problems(self.activity, TASK_KINDS)
        return self


class SavedFilterIn(_Shape):
    user: Email | None = None
    name: _text(80, min_length=1)
    view: Literal[VIEWS] = "list"  # type: ignore[valid-type]
    query: _text(2000) = ""
    shared: bool = False
    created_at: Instant | None = None


class TeamDocument(_Shape):
    """The export format (version 1), as an import checks it."""

    format: Literal[FORMAT]
    version: Literal[FORMAT_VERSION]

    @field_validator("version", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        if isinstance(value, bool):  # True == 1 in Python, not in JSON
            raise ValueError(f"Input should be {FORMAT_VERSION}")
        return value
    team: TeamIn
    members: list[MemberIn] = []
    categories: Annotated[list[CategoryIn], Field(min_length=1, max_length=200)]
    definition_of_done: list[Slug] | None = None
    wip_limits: dict[Literal[OPEN_STATUSES], Annotated[int, Field(ge=1, le=WIP_MAX)]] = {}  # type: ignore[valid-type]
    templates: list[TemplateIn] = []
    features: list[FeatureIn] = []
    tasks: list[TaskIn] = []
    saved_filters: list[SavedFilterIn] = []


def _where(loc: Iterable) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return (path or "document")[:200]  # a key of the document may be long


def _unstorable_text(data: Any) -> str | None:
    """The path of the first string no database stores (a NUL, an unpaired surrogate), if any."""
    stack: list[tuple[str, Any]] = [("document", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return path
        elif isinstance(value, dict):
            stack += [(f"{path}.{k}", v) for k, v in value.items()]
            stack += [(f"{path}.{k}", k) for k in value]
        elif isinstance(value, list):
            stack += [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    return None


def read_document(raw: bytes | str) -> dict[str, Any]:
    """The JSON text of an export as data; Invalid when it is too large or not JSON."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise Invalid({"file": [f"Send at most {MAX_IMPORT_BYTES // 1_000_000} MB."]})
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise Invalid({"file": [f"This is not a JSON document: {exc}"[:300]]}) from None
    if not isinstance(data, dict):
        raise Invalid({"file": ["The document must be a JSON object, as an export writes it."]})
    return data


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def check_document(data: Mapping[str, Any]) -> TeamDocument:
    """The document's shape and its references, checked; Invalid lists every problem by its path."""
    bad = _unstorable_text(data)
    if bad:
        raise Invalid({bad: ["Text cannot contain NUL characters or unpaired surrogates."]})
    try:
        document = TeamDocument.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors(include_url=False)[:MAX_ERRORS]:
            errors.setdefault(_where(error["loc"]), []).append(error["msg"])
        raise Invalid(errors) from None
    errors = _reference_errors(document)
    if errors:
        raise Invalid(dict(list(errors.items())[:MAX_ERRORS]))
    return document


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({v for v in values if v in seen or seen.add(v)})


def _reference_errors(d: TeamDocument) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def fail(where: str, message: str) -> None:
        errors.setdefault(where, []).append(message)

    slugs, task_keys = {c.slug for c in d.categories}, {t.key for t in d.tasks}
    feature_keys = {f.key for f in d.features}
    comment_keys = [c.key for t in d.tasks for c in t.comments]
    unique = (("members", [m.email.lower() for m in d.members]),
              ("categories", [c.slug for c in d.categories]), ("tasks", [t.key for t in d.tasks]),
              ("features", [f.key for f in d.features]),
              ("comments", comment_keys), ("templates", [t.category for t in d.templates]))
    for name, values in unique:
        for value in _duplicates(values):
            fail(name, f"“{value}” appears twice.")
    for i, f in enumerate(d.features):
        for slug in set(f.required_categories) - slugs:
            fail(f"features[{i}].required_categories", f"Unknown category “{slug}”.")
    for slug in set(d.definition_of_done or ()) - slugs:
        fail("definition_of_done", f"Unknown category “{slug}”.")
    for i, t in enumerate(d.templates):
        if t.category not in slugs:
            fail(f"templates[{i}].category", f"Unknown category “{t.category}”.")
    for i, t in enumerate(d.tasks):
        _task_reference_errors(t, f"tasks[{i}]", slugs, task_keys, feature_keys, fail)
    if _has_cycle({t.key: set(t.blocked_by) for t in d.tasks}):
        fail("tasks", "Some tasks are blocked by each other in a loop.")
    targets = [t.next_occurrence for t in d.tasks if t.next_occurrence]
    for value in _duplicates(targets):
        fail("tasks", f"“{value}” is the next occurrence of two tasks.")
    return errors


def _task_reference_errors(t: TaskIn, where: str, slugs: set, tasks: set, features: set, fail) -> None:
    if t.category not in slugs:
        fail(f"{where}.category", f"Unknown category “{t.category}”.")
    for key in t.blocked_by:
        if key not in tasks or key == t.key:
            fail(f"{where}.blocked_by", f"“{key}” is not another task of this document.")
    if t.feature is not None and t.feature not in features:
        fail(f"{where}.feature", f"Unknown feature “{t.feature}”.")
    if t.next_occurrence is not None and (t.next_occurrence not in tasks or t.next_occurrence == t.key):
        fail(f"{where}.next_occurrence", f"“{t.next_occurrence}” is not another task of this document.")
    if t.start_at and t.due_at and t.start_at > t.due_at:
        fail(f"{where}.start_at", "The start date is after the deadline.")
    own_comments = {c.key for c in t.comments}
    for j, entry in enumerate(t.activity):
        if entry.comment is not None and entry.comment not in own_comments:
            fail(f"{where}.activity[{j}].comment", f"“{entry.comment}” is not a comment of this task.")


def _has_cycle(edges: dict[str, set[str]]) -> bool:
    state: dict[str, int] = {}  # 1: on the path being walked, 2: finished
    for start in edges:
        stack = [(start, iter(edges.get(start, ())))]
        if state.get(start):
            continue
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif child not in state and child in edges:
                state[child] = 1
                stack.append((child, iter(edges[child])))
    return False


# Import -------------------------------------------------------------------------------------------


@dataclass
class Imported:
    """What an import made: the new team, and the people of the document who have no account here."""

    team: Team
    unmatched: list[str]
    tasks: int


def _emails(d: TeamDocument) -> set[str]:
    found = {m.email for m in d.members} | {f.owner for f in d.features} | {s.user for s in d.saved_filters}
    for t in d.tasks:
        found |= {t.assignee, t.reporter, t.deleted_by, *t.watchers}
        found |= {c.author for c in t.comments} | {e.user for e in t.time_entries}
        found |= {a.actor for a in t.activity}
    found |= {a.actor for f in d.features for a in f.activity} | {t.assignee for t in d.templates}
    found.discard(None)
    return found


def _people(d: TeamDocument, owner: User, known_to: User | None) -> tuple[dict[str, int], list[str]]:
    """Email (as written in the document) -> account id, for the accounts that exist; with `known_to`,
    only among the people who share a team with that user (an upload must not become a way to learn
    which addresses have accounts). And the addresses left unmatched."""
    emails = _emails(d)
    lowered = {e.lower(): e for e in emails}
    query = select(User.id, User.email).where(User.email.in_(list(emails | set(lowered))))
    if known_to is not None:
        my_teams = select(TeamMembership.team_id).where(TeamMembership.user_id == known_to.id)
        mates = select(TeamMembership.user_id).where(TeamMembership.team_id.in_(my_teams))
        query = query.where(or_(User.id.in_(mates), User.id == known_to.id))
    accounts = {email.lower(): uid for uid, email in db.session.execute(query)}
    accounts[owner.email.lower()] = owner.id
    people = {e: accounts[e.lower()] for e in emails if e.lower() in accounts}
    return people, sorted(e for e in emails if e not in people)


def _new_team(d: TeamDocument, owner: User, people: dict[str, int]) -> Team:
    team = Team(name=d.team.name.strip(), slug=unique_slug(slugify(d.team.slug or d.team.name)),
                urgency_window_hours=d.team.urgency_window_hours,
                two_factor_required=d.team.two_factor_required)
    team.categories = [Category(slug=c.slug, name=c.name, position=c.position, archived=c.archived)
                       for c in d.categories]
    roles = {people[m.email]: (m.role, m.joined_at) for m in d.members if m.email in people}
    roles[owner.id] = ("owner", roles.get(owner.id, (None, None))[1])
    team.memberships = [TeamMembership(user_id=uid, role=role, **_at("created_at", at))
                        for uid, (role, at) in sorted(roles.items())]
    db.session.add(team)
    db.session.flush()
    return team


def _team_settings(d: TeamDocument, team: Team, people: dict[str, int]) -> dict[str, int]:
    categories = {c.slug: c.id for c in team.categories}
    if d.definition_of_done:
        db.session.execute(insert(definition_of_done),
                           [{"team_id": team.id, "category_id": categories[s]} for s in d.definition_of_done])
    db.session.add_all(WipLimit(team_id=team.id, status=s, wip_limit=n) for s, n in d.wip_limits.items())
    for t in d.templates:
        db.session.add(CategoryTemplate(category_id=categories[t.category], title_pattern=t.title_pattern,
                                        description=t.description, assignee_id=people.get(t.assignee),
                                        estimate_hours=t.estimate_hours, **_at("updated_at", t.updated_at)))
    return categories


def _at(name: str, value: datetime | None) -> dict[str, datetime]:
    """A timestamp column to set only when the document gives it (else the column's default)."""
    return {name: value} if value is not None else {}


def _features(d: TeamDocument, team: Team, refs: _Refs, categories: dict[str, int]) -> None:
    for f in d.features:
        feature = Feature(
            team_id=team.id, title=f.title, description=f.description,
            description_html=str(render_markdown(f.description)), owner_id=refs.users.get(f.owner),
            target_date=f.target_date, state=f.state, ship_reason=f.ship_reason, shipped_at=f.shipped_at,
            created_at=f.created_at, updated_at=f.updated_at,
        )
        db.session.add(feature)
        db.session.flush()
        refs.features[f.key] = feature.id
        if f.required_categories:
            db.session.execute(insert(feature_required_categories), [
                {"feature_id": feature.id, "category_id": categories[s]}
                for s in dict.fromkeys(f.required_categories)
            ])
    for f in d.features:
        for a in f.activity:
            db.session.add(FeatureActivity(
                feature_id=refs.features[f.key], actor_id=refs.users.get(a.actor), kind=a.kind, field=a.field,
                old_value=refs.value(a.field, a.old), new_value=refs.value(a.field, a.new),
                created_at=a.created_at,
            ))


def _tasks(d: TeamDocument, team: Team, refs: _Refs, categories: dict[str, int]) -> dict[str, Task]:
    made: dict[str, Task] = {}
    user = refs.users.get
    for t in d.tasks:
        task = Task(
            team_id=team.id, category_id=categories[t.category], title=t.title, description=t.description,
            description_html=str(render_markdown(t.description)), status=t.status, priority=t.priority,
            due_at=t.due_at, due_date=t.due_date, start_at=t.start_at, queue_at=t.queue_at,
            estimate_hours=t.estimate_hours, assignee_id=user(t.assignee),
            reporter_id=user(t.reporter), feature_id=refs.features.get(t.feature), recurrence=t.recurrence,
            created_at=t.created_at, updated_at=t.updated_at, completed_at=t.completed_at,
            deleted_at=t.deleted_at, deleted_by_id=user(t.deleted_by),
        )
        task.labels = [TaskLabel(name=label) for label in dict.fromkeys(t.labels)]
        task.checklist = [
            ChecklistItem(text=i.text, done=i.done, position=n, **_at("created_at", i.created_at))
            for n, i in enumerate(t.checklist)
        ]
        db.session.add(task)
        made[t.key] = task
    db.session.flush()
    refs.tasks = {key: task.id for key, task in made.items()}
    for t in d.tasks:
        made[t.key].blocked_by = [made[k] for k in sorted(set(t.blocked_by))]
        if t.next_occurrence:
            db.session.add(TaskOccurrence(previous_task_id=made[t.key].id,
                                          next_task_id=made[t.next_occurrence].id))
        # Two spellings of one address are one watcher.
        for user_id in dict.fromkeys(refs.users[e] for e in t.watchers if e in refs.users):
            db.session.add(TaskWatcher(task_id=made[t.key].id, user_id=user_id))
    return made


def _task_talk(d: TeamDocument, made: dict[str, Task], refs: _Refs, owner: User, team: Team) -> None:
    """Comments, time entries and history, in the document's order."""
    members = list(db.session.scalars(
        select(User).join(TeamMembership).where(TeamMembership.team_id == team.id)))
    for t in d.tasks:
        task, comments = made[t.key], {}
        for c in t.comments:
            comment = Comment(task=task, author_id=refs.users.get(c.author), body=c.body,
                              body_html=render_body(c.body, find_mentions(c.body, members), team.id),
                              created_at=c.created_at, edited_at=c.edited_at)
            db.session.add(comment)
            comments[c.key] = comment
        for e in t.time_entries:
            # Hours logged by someone without an account here stay on the task (its spent time and the
            # forecast need them), under the importer's name with a note of whose they were.
            mine = e.user is not None and e.user in refs.users
            note = e.note if mine else f"[{e.user or 'unknown'}] {e.note}".strip()[:500]
            db.session.add(TimeEntry(task=task, user_id=refs.users[e.user] if mine else owner.id,
                                     hours=e.hours, note=note, spent_on=e.spent_on,
                                     **_at("created_at", e.created_at)))
        for a in t.activity:
            db.session.add(Activity(
                team_id=team.id, task=task, actor_id=refs.users.get(a.actor), kind=a.kind, field=a.field,
                old_value=refs.value(a.field, a.old), new_value=refs.value(a.field, a.new),
                comment=comments.get(a.comment), created_at=a.created_at,
            ))


def _saved_filters(d: TeamDocument, team: Team, refs: _Refs) -> None:
    for s in d.saved_filters:
        if s.user in refs.users:  # a personal filter of someone who has no account here has no owner
            db.session.add(SavedFilter(team_id=team.id, user_id=refs.users[s.user], name=s.name, view=s.view,
                                       query=refs.query(s.query), shared=s.shared,
                                       **_at("created_at", s.created_at)))


def import_team(data: Mapping[str, Any], owner: User, *, known_to: User | None = None) -> Imported:
    """A new team from an export, in one transaction: nothing is written unless all of it is valid.
    `owner` becomes its owner; people are matched by email (with `known_to`, only among those who share
    a team with that user). No notification or webhook is sent: this is a restore, not news. The new
    team's stored forecast is computed once the team is committed."""
    document = check_document(data)
    # As in the team's settings: a requirement that covers the owner, who has no second factor, is refused.
    problems = requirement_problems(document.team.two_factor_required, owner, "owner")
    if problems:
        raise Invalid({"team.two_factor_required": problems})
    people, unmatched = _people(document, owner, known_to)
    # Import-side names: email -> user id, key -> new id (filled in as rows get their ids).
    refs = _Refs(users=dict(people))
    team = _new_team(document, owner, people)
    categories = _team_settings(document, team, people)
    _features(document, team, refs, categories)
    made = _tasks(document, team, refs, categories)
    _task_talk(document, made, refs, owner, team)
    _saved_filters(document, team, refs)
    db.session.commit()
    assignees = {t.assignee_id for t in made.values() if t.assignee_id is not None}
    stored_forecast.refresh(db.session, assignees, {t.id for t in made.values()})
    tallies.rebuild(db.session, {team.id})  # the tasks were written directly, not through the events
    db.session.commit()
    return Imported(team=team, unmatched=unmatched, tasks=len(made))


def owner_for_cli(data: Mapping[str, Any], owner_email: str | None) -> User:
    """Who owns a team imported on the command line: --owner, else the export's first owner who has an
    account here. The document is checked first: a bad file is reported as such, whoever owns it."""
    document = check_document(data)
    if owner_email:
        user = db.session.scalar(select(User).where(User.email == owner_email))
        if user is None:
            raise NotFound(f"No account uses {owner_email}.")
        return user
    for email in [m.email for m in document.members if m.role == "owner"]:
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is not None:
            return user
    raise Invalid({"owner": ["None of the export's owners has an account here: give --owner EMAIL."]})


__all__ = [
    "FORMAT", "FORMAT_VERSION", "MAX_IMPORT_BYTES", "Imported", "check_document", "export_json",
    "export_team", "export_tasks_csv", "get_team_by_slug", "import_team", "neutralise", "owner_for_cli",
    "read_document",
]
