"""Tasks: creation, validation, optimistic-concurrency updates, trash, and the filtered task list."""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, bindparam, case, func, literal, literal_column, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from . import events
from .deadlines import end_of_day, local_to_utc
from .errors import Conflict, Invalid, NotFound
from .extensions import db
from .models import (
    Category,
    ChecklistItem,
    Feature,
    StatusTotal,
    Task,
    TaskLabel,
    TeamMembership,
    TimeEntry,
    User,
    task_blockers,
    utcnow,
)
from .paging import Page, bounds
from .recurrence import RuleError, next_deadline, normalise_rule
from .serialise import checklist_item_fields, task_values
from .teams import require_role
from .text import render_markdown
from .two_factor import check_team_requirement, visible_team_ids
from .vocabulary import (
    DESCRIPTION_MAX,
    EARLIEST_DATE,
    ESTIMATE_MAX,
    LABEL_MAX,
    LABELS_PER_TASK,
    LATEST_DATE,
    MAX_ID,
    OPEN_STATUSES,
    PRIORITIES,
    PRIORITY_RANK,
    STATUSES,
    TITLE_MAX,
    is_id,
)

SORTS = ("due_at", "priority", "created_at", "updated_at")
# Sorting by priority in SQL, by the one ranking (most urgent first).
PRIORITY_ORDER = case(PRIORITY_RANK, value=Task.priority)
# "Not done", written for the partial index on open tasks (ix_tasks_open_by_deadline): SQLite uses it only
# when a query repeats its condition word for word (the literal 'done', not a bound parameter), and
# prefers it to the (team, deleted_at, status) index only given a term on its second column, here one
# that always holds; else counting a team's open tasks reads every row.
OPEN_TASK = and_(Task.status != literal_column("'done'"), Task.due_at.is_(None) >= literal(False))


# Reading ------------------------------------------------------------------------------------


def get_task(user: User, task_id: int, *, include_trashed: bool = False) -> tuple[Task, TeamMembership]:
    """The task and the user's membership of its team; NotFound for another team's or a trashed task."""
    row = db.session.execute(
        select(Task, TeamMembership)
        .join(TeamMembership, TeamMembership.team_id == Task.team_id)
        .options(
            joinedload(Task.category),
            joinedload(Task.assignee),
            joinedload(Task.reporter),
            selectinload(Task.labels),
            selectinload(Task.blocked_by),
            selectinload(Task.checklist),
            joinedload(TeamMembership.team),
        )
        .where(Task.id == task_id, TeamMembership.user_id == user.id)
    ).first()
    if row is None or (row[0].deleted_at is not None and not include_trashed):
        raise NotFound("No such task.")
    check_team_requirement(user, row[1])
    return row[0], row[1]


def get_on_task(user: User, model, object_id: int, *options, noun: str = "item"):
    """An object hanging off a task (a comment, a time entry) and the user's membership of its team.

    The same rule as get_task: another team's object, or one on a trashed task, is NotFound.
    """
    row = db.session.execute(
        select(model, TeamMembership)
        .join(Task, Task.id == model.task_id)
        .join(TeamMembership, TeamMembership.team_id == Task.team_id)
        .options(*options)
        .where(model.id == object_id, TeamMembership.user_id == user.id, Task.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFound(f"No such {noun}.")
    check_team_requirement(user, row[1])
    return row[0], row[1]


def list_on_task(task: Task, model, *order, load=None) -> list:
    """The objects hanging off a task (its comments, its time entries) in `order`, with `load` loaded."""
    return list(
        db.session.scalars(
            select(model).options(load).where(model.task_id == task.id).order_by(*order, model.id)
        )
    )


def spent_hours(task_ids: list[int]) -> dict[int, float]:
    """Logged hours per task, in one query (made even for no tasks, so query counts stay constant)."""
    rows = db.session.execute(
        select(TimeEntry.task_id, func.sum(TimeEntry.hours))
        .where(TimeEntry.task_id.in_(task_ids))
        .group_by(TimeEntry.task_id)
    )
    return {task_id: hours(total) for task_id, total in rows}


def hours(total: float | None) -> float:
    """A sum of logged hours as tasks show it."""
    return round(float(total or 0), 2)


def assigned_with_deadline():
    """The SELECT of open, live tasks with a deadline whose assignee is still in the task's team: what
    reminders and digests are about."""
    return (
        select(Task)
        .join(
            TeamMembership,
            (TeamMembership.team_id == Task.team_id) & (TeamMembership.user_id == Task.assignee_id),
        )
        .where(Task.status != "done", Task.deleted_at.is_(None), Task.due_at.is_not(None),
               Task.team_id.in_(visible_team_ids(Task.assignee_id)))
    )


def blocking(task: Task) -> list[Task]:
    """Open tasks that this task blocks."""
    return list(
        db.session.scalars(
            select(Task)
            .join(task_blockers, task_blockers.c.task_id == Task.id)
            .where(task_blockers.c.blocker_id == task.id, Task.deleted_at.is_(None))
            .order_by(Task.id)
        )
    )


# The task list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFilter:
    """What the list, the board and the API filter on; it round-trips through query strings."""

    status: str | None = None  # a status, or "open" for anything not done
    category: str | None = None
    priority: str | None = None
    assignee: str | None = None  # a user id, "me" or "none"
    label: str | None = None
    feature: str | None = None  # a feature id or "none"
    overdue: bool = False
    q: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    sort: str = "due_at"

    def to_args(self) -> dict[str, str]:
        args: dict[str, str] = {}
        for name in ("status", "category", "priority", "assignee", "label", "feature", "q"):
            if getattr(self, name):
                args[name] = getattr(self, name)
        if self.overdue:
            args["overdue"] = "true"
        for name in ("due_before", "due_after"):
            if getattr(self, name):
                args[name] = getattr(self, name).isoformat().replace("+00:00", "Z")
        if self.sort != "due_at":
            args["sort"] = self.sort
        return args

    @property
    def is_empty(self) -> bool:
        return not (set(self.to_args()) - {"sort"})


def _filter_instant(raw: str) -> datetime | None:
    """An RFC 3339 time with a zone, in UTC; None if `raw` is not one."""
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else None
    except (ValueError, OverflowError):
        return None


_INSTANT_MESSAGE = "Use an RFC 3339 time with a zone, e.g. 2026-12-01T17:00:00Z."
# What each checked query argument accepts (a non-empty value), and the message when it does not.
_FILTER_CHECKS = {
    "status": (lambda v: v in (*STATUSES, "open"), f"Choose one of: open, {', '.join(STATUSES)}."),
    "priority": (lambda v: v in PRIORITIES, f"Choose one of: {', '.join(PRIORITIES)}."),
    "assignee": (
        lambda v: v in ("me", "none") or (len(v) <= 10 and v.isdecimal() and int(v) <= MAX_ID),
        "Use a user id, “me” or “none”.",
    ),
    "overdue": (lambda v: v.lower() in ("true", "false", "1", "0", "on"), "Use true or false."),
    "sort": (
        lambda v: v.lstrip("-") in SORTS, f"Sort by one of: {', '.join(SORTS)} (prefix - for descending)."
    ),
    "due_before": (lambda v: _filter_instant(v) is not None, _INSTANT_MESSAGE),
    "due_after": (lambda v: _filter_instant(v) is not None, _INSTANT_MESSAGE),
    "q": (lambda v: len(v) <= 200, "Search for at most 200 characters."),
    "feature": (
        lambda v: v == "none" or (len(v) <= 10 and v.isdecimal() and int(v) <= MAX_ID),
        "Use a feature id or “none”.",
    ),
}


def parse_task_filter(args: Mapping[str, str]) -> TaskFilter:
    """Build a filter from query arguments; unknown values are an Invalid naming the argument."""
    given = {name: (args.get(name) or "").strip() for name in (*_FILTER_CHECKS, "category", "label")}
    errors = {
        name: [message] for name, (accepts, message) in _FILTER_CHECKS.items()
        if given[name] and not accepts(given[name])
    }
    if errors:
        raise Invalid(errors)
    return TaskFilter(
        status=given["status"] or None,
        category=given["category"] or None,
        priority=given["priority"] or None,
        assignee=given["assignee"] or None,
        label=given["label"].lower() or None,
        feature=given["feature"] or None,
        overdue=given["overdue"].lower() in ("true", "1", "on"),
        q=given["q"] or None,
        due_before=_filter_instant(given["due_before"]) if given["due_before"] else None,
        due_after=_filter_instant(given["due_after"]) if given["due_after"] else None,
        sort=given["sort"] or "due_at",
    )


def filtered_tasks(team_id: int, f: TaskFilter, viewer: User, now: datetime | None = None):
    """The SELECT of a team's live tasks that match the filter, without ordering or paging."""
    now = now or utcnow()
    stmt = select(Task).where(Task.team_id == team_id, Task.deleted_at.is_(None))
    if f.status == "open":
        stmt = stmt.where(OPEN_TASK)
    elif f.status:
        stmt = stmt.where(Task.status == f.status)
        if f.status in OPEN_STATUSES:  # said again as the open tasks' indexes say it, so they serve it
            stmt = stmt.where(OPEN_TASK)
    if f.category:
        stmt = stmt.where(Task.category.has(Category.slug == f.category))
    if f.priority:
        stmt = stmt.where(Task.priority == f.priority)
    if f.assignee == "me":
        stmt = stmt.where(Task.assignee_id == viewer.id)
    elif f.assignee == "none":
        stmt = stmt.where(Task.assignee_id.is_(None))
    elif f.assignee:
        stmt = stmt.where(Task.assignee_id == int(f.assignee))
    if f.label:
        stmt = stmt.where(Task.labels.any(TaskLabel.name == f.label))
    if f.feature:
        in_feature = Task.feature_id.is_(None) if f.feature == "none" else Task.feature_id == int(f.feature)
        stmt = stmt.where(in_feature)
    if f.overdue:
        stmt = stmt.where(OPEN_TASK, Task.due_at < now)
    if f.due_before:
        stmt = stmt.where(Task.due_at < f.due_before)
    if f.due_after:
        stmt = stmt.where(Task.due_at >= f.due_after)
    if f.q:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", f.q) + "%"
        conditions = [Task.title.ilike(pattern, escape="\\"), Task.description.ilike(pattern, escape="\\")]
        number = f.q.lstrip("#")
        if number.isdecimal() and len(number) < 10:  # isdigit() accepts "²", which int() refuses
            conditions.append(Task.id == int(number))
        stmt = stmt.where(or_(*conditions))
    return stmt


def task_ordering(sort: str):
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    column = {
        "due_at": Task.due_at,
        "priority": PRIORITY_ORDER,
        "created_at": Task.created_at,
        "updated_at": Task.updated_at,
    }[key]
    order = [column.desc() if descending else column.asc(), Task.id.desc() if descending else Task.id]
    if key == "due_at":
        order.insert(0, Task.due_at.is_(None))  # tasks without a deadline last, in either direction
    return order


LIST_LOAD = (
    joinedload(Task.category),
    joinedload(Task.assignee),
    selectinload(Task.labels),
    # Of a blocker, lists and cards show only whether it still holds the task up (and its number).
    selectinload(Task.blocked_by).load_only(Task.id, Task.status, Task.deleted_at),
    selectinload(Task.checklist),
)


def list_tasks(
    member: TeamMembership, f: TaskFilter, page: int = 1, per_page: int = 50
) -> Page:
    """One page of a team's tasks: a count and a select, with what the list shows loaded up front."""
    return _one_page(member, f, page, per_page, lambda window: list(
        db.session.scalars(window.options(*LIST_LOAD)).unique()
    ))


def list_task_values(
    member: TeamMembership, f: TaskFilter, page: int = 1, per_page: int = 50
) -> Page:
    """The same page as list_tasks, as the API sends it: serialise.task_values of plain rows, with the
    page's labels, blockers and checklist items read in one query each."""
    return _one_page(member, f, page, per_page, _task_values)


def _one_page(member: TeamMembership, f: TaskFilter, page: int, per_page: int, read) -> Page:
    """Count the filtered tasks, then `read` the page's window of them in the filter's order."""
    page, per_page = bounds(page, per_page)
    stmt = filtered_tasks(member.team_id, f, member.user)
    total = _total(member.team_id, f, stmt)
    if (page - 1) * per_page >= total:  # past the end (also keeps a huge ?page= from overflowing OFFSET)
        return Page([], total, page, per_page)
    order = task_ordering(f.sort)
    # The page's ids first, by the filter alone: an index holding the filter's rows in order and the id
    # gives them without reading a row (for open tasks by deadline, SQLite would otherwise walk the live
    # tasks' index and read every done task before the first open one); then only those rows.
    ids = stmt.with_only_columns(Task.id).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    chosen = ids.subquery()
    window = select(Task).join(chosen, chosen.c.id == Task.id).order_by(*order)
    return Page(read(window), total, page, per_page)


def _total(team_id: int, f: TaskFilter, stmt) -> int:
    """How many tasks `stmt` (the filter's) selects: added up from the team's status totals (kept by
    tracker/tallies.py) when nothing but the status narrows the team, else counted."""
    if not set(f.to_args()) <= {"status", "sort"}:
        return db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    totals = select(func.coalesce(func.sum(StatusTotal.tasks), 0)).where(StatusTotal.team_id == team_id)
    if f.status == "open":
        totals = totals.where(StatusTotal.status != "done")
    elif f.status:
        totals = totals.where(StatusTotal.status == f.status)
    return db.session.scalar(totals)


# A task's own columns that the API shows, its category's slug and its logged hours: the list reads these
# as rows.
VALUE_COLUMNS = (
    Task.id, Task.team_id, Task.title, Task.description, Task.description_html, Task.status,
    Task.priority, Task.due_at, Task.start_at, Task.queue_at, Task.estimate_hours, Task.assignee_id,
    Task.reporter_id, Task.feature_id, Task.recurrence, Task.version, Task.created_at, Task.updated_at,
    Category.slug.label("category_slug"),
    select(func.sum(TimeEntry.hours)).where(TimeEntry.task_id == Task.id).scalar_subquery().label("spent"),
)


# What hangs off a page's tasks, one select each for the ids bound as "ids" (built once, not per request;
# the orders are the relationships': labels by name, blockers by id, checklist items by position).
_PAGE_IDS = bindparam("ids", expanding=True)
_PAGE_LABELS = select(TaskLabel.task_id, TaskLabel.name).where(TaskLabel.task_id.in_(_PAGE_IDS)).order_by(
    TaskLabel.name
)
_PAGE_BLOCKERS = (
    select(task_blockers.c.task_id, task_blockers.c.blocker_id)
    .where(task_blockers.c.task_id.in_(_PAGE_IDS))
    .order_by(task_blockers.c.blocker_id)
)
_PAGE_CHECKLISTS = (
    select(ChecklistItem.task_id, ChecklistItem.id, ChecklistItem.text, ChecklistItem.done,
           ChecklistItem.position)
    .where(ChecklistItem.task_id.in_(_PAGE_IDS))
    .order_by(ChecklistItem.position, ChecklistItem.id)
)


def _task_values(window) -> list[dict[str, Any]]:
    """The window's tasks as plain rows, with their labels, blockers and checklist items read in one
    query each, keyed by the window's ids."""
    rows = db.session.execute(
        window.with_only_columns(*VALUE_COLUMNS).join_from(Task, Category, Category.id == Task.category_id)
    ).all()
    ids = [row.id for row in rows]
    labels, blockers, items = (_by_task(s, ids) for s in (_PAGE_LABELS, _PAGE_BLOCKERS, _PAGE_CHECKLISTS))
    return [
        task_values(
            row,
            category=row.category_slug,
            labels=[label.name for label in labels.get(row.id, ())],
            blocked_by=[blocker.blocker_id for blocker in blockers.get(row.id, ())],
            checklist=[checklist_item_fields(item) for item in items.get(row.id, ())],
            spent_hours=hours(row.spent),
        )
        for row in rows
    ]


def _by_task(stmt, ids: list[int]) -> dict[int, list]:
    """A select's rows for the tasks `ids`, grouped by their task_id, in the select's order."""
    grouped: dict[int, list] = {}
    for row in db.session.execute(stmt, {"ids": ids}):
        grouped.setdefault(row.task_id, []).append(row)
    return grouped


def trashed_tasks(member: TeamMembership) -> list[Task]:
    require_role(member, "manager", "see the trash")
    return list(
        db.session.scalars(
            select(Task)
            .options(joinedload(Task.category), joinedload(Task.assignee))
            .where(Task.team_id == member.team_id, Task.deleted_at.is_not(None))
            .order_by(Task.deleted_at.desc())
        ).unique()
    )


# Writing --------------------------------------------------------------------------------------


def _resolve_instant(value: Any, *, actor_tz: str, date_tz: str, end_of_date: bool) -> datetime | None:
    """An aware instant as given; a local date-time in the actor's zone; a bare date in `date_tz`."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else local_to_utc(value, actor_tz)
    if isinstance(value, date):
        if end_of_date:
            return end_of_day(value, date_tz)
        return local_to_utc(datetime.combine(value, time()), date_tz)
    raise TypeError(f"not a date or datetime: {value!r}")


def _team_member_ids(team_id: int) -> set[int]:
    return set(db.session.scalars(select(TeamMembership.user_id).where(TeamMembership.team_id == team_id)))


def _creates_cycle(team_id: int, task_id: int | None, blocker_ids: set[int]) -> bool:
    """Would making task_id wait for blocker_ids close a loop of "blocked by" links?"""
    if task_id is None:
        return False
    edges: dict[int, set[int]] = {}
    rows = db.session.execute(
        select(task_blockers.c.task_id, task_blockers.c.blocker_id)
        .join(Task, Task.id == task_blockers.c.task_id)
        .where(Task.team_id == team_id, task_blockers.c.task_id != task_id)
    )
    for waiting, blocker in rows:
        edges.setdefault(waiting, set()).add(blocker)
    stack, seen = list(blocker_ids), set()
    while stack:
        current = stack.pop()
        if current == task_id:
            return True
        if current not in seen:
            seen.add(current)
            stack.extend(edges.get(current, ()))
    return False


@dataclass
class TeamLookups:
    """What checking a new task against its team reads, loaded once for many tasks (a CSV import of
    2,000 rows asks once instead of twice per row)."""

    categories: dict[str, Category]
    member_ids: set[int]


def team_lookups(team_id: int) -> TeamLookups:
    categories = db.session.scalars(select(Category).where(Category.team_id == team_id))
    return TeamLookups({c.slug: c for c in categories}, _team_member_ids(team_id))


@dataclass
class _Checking:
    """One validation run: who acts, the task being edited (None while creating), the values checked
    so far, the messages per field, and the team's lookups when the caller loaded them."""

    member: TeamMembership
    task: Task | None
    clean: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    lookups: TeamLookups | None = None

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def current(self, name: str) -> Any:
        """The field's value after this change: checked just now, else the task's, else None."""
        return self.clean.get(name, getattr(self.task, name) if self.task else None)


def _check_title(c: _Checking, value: Any) -> str:
    title = (value or "").strip()
    if not title:
        c.fail("title", "Enter a title.")
    elif len(title) > TITLE_MAX:
        c.fail("title", f"Use at most {TITLE_MAX} characters (this has {len(title)}).")
    return title


def _check_description(c: _Checking, value: Any) -> str:
    description = value or ""
    if len(description) > DESCRIPTION_MAX:
        c.fail("description", f"Use at most {DESCRIPTION_MAX} characters.")
    return description


def _check_category(c: _Checking, slug: Any) -> Category | None:
    if c.lookups is not None:
        category = c.lookups.categories.get(slug) if isinstance(slug, str) else None
    else:
        category = db.session.scalar(
            select(Category).where(Category.team_id == c.member.team_id, Category.slug == slug)
        )
    if category is None:
        c.fail("category", f"Unknown category “{slug}”.")
    elif category.archived and (c.task is None or c.task.category_id != category.id):
        c.fail("category", f"The category “{category.name}” is archived.")
    return category


def _one_of(name: str, allowed: tuple[str, ...]):
    def check(c: _Checking, value: Any) -> Any:
        if value not in allowed:
            c.fail(name, f"Choose one of: {', '.join(allowed)}.")
        return value

    return check


def _check_estimate(c: _Checking, estimate: Any) -> float | None:
    if estimate is None:
        return None
    if isinstance(estimate, bool) or not isinstance(estimate, (int, float)) or not math.isfinite(estimate):
        c.fail("estimate_hours", "Enter a number of hours.")
    elif estimate < 0:
        c.fail("estimate_hours", "The estimate cannot be negative.")
    elif estimate > ESTIMATE_MAX:
        c.fail("estimate_hours", f"Use at most {ESTIMATE_MAX} hours; split larger work into tasks.")
    else:
        return round(float(estimate), 2)
    return estimate


def _check_assignee(c: _Checking, assignee_id: Any) -> Any:
    # Someone who left the team may stay assigned to what they had (an edit of the title must not
    # silently unassign it), but nobody outside the team can be newly assigned.
    unchanged = c.task is not None and assignee_id == c.task.assignee_id
    members = c.lookups.member_ids if c.lookups is not None else None
    if assignee_id is not None and not unchanged and assignee_id not in (
            members if members is not None else _team_member_ids(c.member.team_id)):
        c.fail("assignee_id", "The assignee must be a member of this team.")
    return assignee_id


def _check_labels(c: _Checking, value: Any) -> list[str]:
    labels: list[str] = []
    for raw in value or []:
        label = str(raw).strip().lower()
        if not label:
            continue
        if len(label) > LABEL_MAX or not re.fullmatch(r"[\w.+-]+(?: [\w.+-]+)*", label):
            c.fail("labels", f"“{label[:LABEL_MAX]}” is not a label: "
                   f"use up to {LABEL_MAX} letters, digits, - _ . +")
        elif label not in labels:
            labels.append(label)
    if len(labels) > LABELS_PER_TASK:
        c.fail("labels", f"Use at most {LABELS_PER_TASK} labels.")
    return labels


def _check_blocked_by(c: _Checking, value: Any) -> list[Task]:
    ids = set()
    for raw in value or []:
        if isinstance(raw, bool) or not isinstance(raw, int):
            c.fail("blocked_by", f"“{raw}” is not a task number.")
        else:
            ids.add(raw)
    task_id = c.task.id if c.task is not None else None
    if task_id in ids:
        c.fail("blocked_by", "A task cannot be blocked by itself.")
        ids.discard(task_id)
    blockers = _blockers(c, ids)
    missing = ids - {b.id for b in blockers}
    if missing:
        numbers = ", ".join(f"#{i}" for i in sorted(missing))
        c.fail("blocked_by", f"No task of this team has number {numbers}.")
    elif _creates_cycle(c.member.team_id, task_id, ids):
        c.fail("blocked_by", "That would make these tasks wait for each other in a loop.")
    return sorted(blockers, key=lambda b: b.id)


def _blockers(c: _Checking, ids: set[int]) -> list[Task]:
    """The team's tasks with these ids that may block: live ones, or ones this task already waits for."""
    if not ids:
        return []
    # A link to a blocker that has since gone to the trash may stay (else the task could not be
    # saved from its own form until someone removed the number); new links need a live task.
    linked = {b.id for b in c.task.blocked_by} if c.task is not None else set()
    return list(
        db.session.scalars(
            select(Task).where(
                Task.id.in_([i for i in ids if 0 < i <= MAX_ID]), Task.team_id == c.member.team_id,
                or_(Task.deleted_at.is_(None), Task.id.in_(linked)),
            )
        )
    )


def _date_zone(c: _Checking) -> str:
    """Where the task's days are: the assignee's zone (else the actor's)."""
    assignee_id = c.current("assignee_id")
    known = assignee_id and "assignee_id" not in c.errors
    assignee = db.session.get(User, assignee_id) if known else None
    return (assignee or c.member.user).timezone


def _check_feature(c: _Checking, feature_id: Any) -> Any:
    if feature_id is None or (c.task is not None and feature_id == c.task.feature_id):
        return feature_id
    known = is_id(feature_id) and db.session.scalar(
        select(Feature.id).where(Feature.id == feature_id, Feature.team_id == c.member.team_id)
    )
    if not known:
        c.fail("feature_id", "Choose a feature of this team.")
    return feature_id


def _instant(name: str, *, end_of_date: bool):
    def check(c: _Checking, value: Any) -> datetime | None:
        # A bare date means the end of that day where the assignee works (else where the actor is).
        zones = {"actor_tz": c.member.user.timezone, "date_tz": _date_zone(c)}
        try:
            instant = _resolve_instant(value, end_of_date=end_of_date, **zones)
        except (TypeError, ValueError, OverflowError):  # overflow: year 1 or 9999 moved into UTC
            c.fail(name, "Enter a date, or a date and time.")
            return None
        if instant is not None and not EARLIEST_DATE <= instant < LATEST_DATE:
            c.fail(name, "Choose a date between 2000 and 2100.")
        return instant

    return check


def _check_recurrence(c: _Checking, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        c.fail("recurrence", "Give an RRULE such as FREQ=WEEKLY;BYDAY=MO, or null.")
        return None
    try:
        return normalise_rule(value)
    except RuleError as exc:
        c.fail("recurrence", str(exc))
        return None


def _check_repeats(c: _Checking, data: Mapping[str, Any]) -> None:
    """A repeating task needs a deadline (its first occurrence's), and a new rule must repeat after it (the
    last occurrence of a series keeps its rule, which has no date left)."""
    rule, due = c.current("recurrence"), c.current("due_at")
    if not rule or not data.keys() & {"recurrence", "due_at"} or c.errors.keys() & {"recurrence", "due_at"}:
        return
    new_rule = rule != (c.task.recurrence if c.task is not None else None)
    if due is None:
        c.fail("recurrence", "A repeating task needs a deadline: the first occurrence's.")
    elif new_rule and next_deadline(rule, due, _date_zone(c)) is None:
        c.fail("recurrence", "This rule has no date after the deadline (before 2100), so it never repeats.")


# One checker per editable field, in the order they are checked: the dates come after the assignee,
# whose time zone a bare date is read in.
FIELD_CHECKS = {
    "title": _check_title,
    "description": _check_description,
    "category": _check_category,
    "status": _one_of("status", STATUSES),
    "priority": _one_of("priority", PRIORITIES),
    "estimate_hours": _check_estimate,
    "assignee_id": _check_assignee,
    "labels": _check_labels,
    "blocked_by": _check_blocked_by,
    "feature_id": _check_feature,
    "due_at": _instant("due_at", end_of_date=True),
    "start_at": _instant("start_at", end_of_date=False),
    "queue_at": _instant("queue_at", end_of_date=False),
    "recurrence": _check_recurrence,
}


def _date_only_deadline(c: _Checking, data: Mapping[str, Any]) -> None:
    """Remember the day of a deadline given as a date alone; and when only the assignee changes, move such
    a deadline to the end of that day in the new assignee's zone (it means "by the end of the day where
    the assignee works")."""
    if "due_at" in data:
        given = data["due_at"]
        c.clean["due_date"] = given if isinstance(given, date) and not isinstance(given, datetime) else None
    elif "assignee_id" in c.clean and c.task is not None and c.task.due_date is not None:
        c.clean["due_at"] = end_of_day(c.task.due_date, _date_zone(c))


def _validated(
    member: TeamMembership, task: Task | None, data: Mapping[str, Any], lookups: TeamLookups | None = None
) -> dict[str, Any]:
    """Check the given fields against the team's rules and return them ready to assign."""
    c = _Checking(member, task, lookups=lookups)
    for name in sorted(set(data) - set(FIELD_CHECKS)):
        c.fail(name, "This field cannot be set.")
    for name, check in FIELD_CHECKS.items():
        if name in data:
            c.clean[name] = check(c, data[name])
    start, due = c.current("start_at"), c.current("due_at")
    if start and due and start > due and not c.errors.keys() & {"start_at", "due_at"}:
        c.fail("start_at", "The start date is after the deadline.")
    _check_repeats(c, data)
    if c.errors:
        raise Invalid(c.errors)
    _date_only_deadline(c, data)
    return c.clean


def _assign(task: Task, clean: dict[str, Any], now: datetime) -> None:
    for name, value in clean.items():
        if name == "labels":
            task.labels = [TaskLabel(name=label) for label in value]
        else:
            setattr(task, name, value)
    if "description" in clean:
        # Rendered once here, so that reading a task or a list never renders Markdown.
        task.description_html = str(render_markdown(clean["description"]))
    if "status" in clean:
        if clean["status"] == "done" and task.completed_at is None:
            task.completed_at = now
        elif clean["status"] != "done":
            task.completed_at = None


def check_new_task(
    member: TeamMembership, data: Mapping[str, Any], lookups: TeamLookups | None = None
) -> dict[str, Any]:
    """The fields of a new task checked as create_task checks them (Invalid when one is wrong), without
    writing anything: a CSV import's dry run."""
    errors = {name: ["This field is required."] for name in ("title", "category") if name not in data}
    if errors:
        raise Invalid(errors)
    return _validated(member, None, data, lookups)


def create_task(
    member: TeamMembership, data: Mapping[str, Any], *, commit: bool = True, imported: bool = False,
    lookups: TeamLookups | None = None,
) -> Task:
    """A new task in the member's team; `category` and `title` are required. `commit=False` leaves the
    commit to the caller; `imported` tells the receivers that the task came in with many others
    (notifications and webhooks stay quiet); `lookups` (team_lookups) spares many creations in one team
    their per-task queries."""
    task = _new_task(member, check_new_task(member, data, lookups))
    db.session.add(task)
    db.session.flush()  # the task's id, for whoever receives the event
    events.task_created.send(task, actor=member.user, imported=imported)
    if commit:
        db.session.commit()
    return task


def create_tasks(member: TeamMembership, rows: list[Mapping[str, Any]], lookups: TeamLookups) -> list[Task]:
    """Many new tasks in the member's team (an import), each checked as create_task checks one, inserted
    in one flush and announced as imported; the commit, all or nothing, is the caller's."""
    created = [_new_task(member, check_new_task(member, data, lookups)) for data in rows]
    db.session.add_all(created)
    db.session.flush()  # one batch of inserts: the ids, for whoever receives the events
    with db.session.no_autoflush:  # what the receivers add is flushed with the commit, in batches too
        for task in created:
            events.task_created.send(task, actor=member.user, imported=True)
    return created


def _new_task(member: TeamMembership, clean: dict[str, Any]) -> Task:
    now = utcnow()
    task = Task(
        team_id=member.team_id,
        reporter_id=member.user_id,
        status="todo",
        priority="medium",
        description="",
        created_at=now,
        updated_at=now,
    )
    _assign(task, clean, now)
    return task


def snapshot(task: Task) -> dict[str, Any]:
    """The editable fields as plain values, to compare before and after a change."""
    return {
        "title": task.title,
        "description": task.description,
        "category": task.category.slug if task.category else None,
        "status": task.status,
        "priority": task.priority,
        "due_at": task.due_at,
        "start_at": task.start_at,
        "queue_at": task.queue_at,
        "estimate_hours": task.estimate_hours,
        "assignee_id": task.assignee_id,
        "labels": task.label_names,
        "blocked_by": [b.id for b in task.blocked_by],
        "feature_id": task.feature_id,
        "recurrence": task.recurrence,
    }


def update_task(
    member: TeamMembership, task: Task, data: Mapping[str, Any], expected_version: int | None = None
) -> dict[str, tuple[Any, Any]]:
    """Apply a partial update. A stale `expected_version` raises Conflict with the current task.

    Returns the changed fields as {name: (old, new)}.
    """
    if expected_version is not None and expected_version != task.version:
        raise Conflict(task)
    clean = _validated(member, task, data)
    before = snapshot(task)
    now = utcnow()
    _assign(task, clean, now)
    after = snapshot(task)
    changes = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
    if not changes:
        db.session.rollback()
        return {}
    task.updated_at = now
    try:
        events.task_changed.send(task, actor=member.user, changes=changes)  # receivers flush: inside the try
        db.session.commit()
    except StaleDataError:
        # Someone saved between our read and our write: theirs stands, ours is reported back.
        db.session.rollback()
        db.session.refresh(task)
        raise Conflict(task) from None
    return changes


def move_to_trash(member: TeamMembership, task: Task) -> None:
    """Any member can delete; the task goes to the team's trash, from which a manager restores it."""
    task.deleted_at = utcnow()
    task.deleted_by_id = member.user_id
    task.updated_at = task.deleted_at
    events.task_trashed.send(task, actor=member.user)
    db.session.commit()


def restore_task(member: TeamMembership, task: Task) -> Task:
    require_role(member, "manager", "restore tasks from the trash")
    return take_out_of_trash(member, task)


def take_out_of_trash(member: TeamMembership, task: Task) -> Task:
    """Put a trashed task back, without the role check: restore_task (managers) and undo (the member who
    trashed it, seconds ago) both come here."""
    if task.deleted_at is None:
        raise Invalid({"task": ["This task is not in the trash."]})
    task.deleted_at = None
    task.deleted_by_id = None
    task.updated_at = utcnow()
    events.task_restored.send(task, actor=member.user)
    db.session.commit()
    return task


__all__ = [
    "Page",
    "TaskFilter",
    "create_task",
    "filtered_tasks",
    "get_task",
    "list_task_values",
    "list_tasks",
    "move_to_trash",
    "parse_task_filter",
    "restore_task",
    "snapshot",
    "spent_hours",
    "trashed_tasks",
    "update_task",
]
