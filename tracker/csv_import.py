"""Tasks from a CSV sheet into an existing team: which column holds which field (guessed for Jira's and
GitHub's exports, chosen by the person importing), their words for statuses and priorities mapped to
ours, a preview with each row's errors, and the tasks created through tracker.tasks only when every row
is valid, all in one transaction."""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from . import tasks
from .errors import Invalid
from .extensions import db
from .formatting import one_line
from .models import Category, Task, TeamMembership, User
from .notifications import notify
from .teams import require_role
from .vocabulary import PRIORITIES, STATUSES

FIELDS = (
    "title", "description", "status", "priority", "category", "assignee", "deadline", "estimate", "labels",
)
FIELD_LABELS = {
    "title": "Title", "description": "Description", "status": "Status", "priority": "Priority",
    "category": "Category", "assignee": "Assignee (email or name)", "deadline": "Deadline",
    "estimate": "Estimate", "labels": "Labels",
}
ESTIMATE_UNITS = ("hours", "seconds")
MAX_CSV_BYTES = 2_000_000
# 2,000 Jira-shaped rows (assignees, deadlines, labels), SQLite, the shared 2-core machine (load 4-9),
# before -> after, wall (process CPU). import_rows alone: dry run 5.2-15.8 s (3.4-5.7 s) -> 0.07-0.2 s
# (0.07 s); import 6.0 s (3.9 s) -> 4.1-5.5 s (1.7-1.8 s). Through the upload page (POST, preview page
# rendered): dry run 9.8-14.8 s (4.0-5.3 s) -> 0.3-0.6 s (0.15 s); import 12.0-15.8 s (4.7-5.1 s) ->
# 3.5-7.0 s (1.7-1.8 s). PostgreSQL 15, import_rows: dry run 8.1 s -> 0.07 s, import 16.4 s -> 2.8 s.
# (23 s and 27 s were reported under heavier load.) Before, each row went through
# create_task with its queries and an autoflush per query, and a dry run created and rolled back; now the
# rows are checked in memory with the team's lookups read once (tasks.check_new_task), the tasks inserted
# in one flush (tasks.create_tasks), history and watchers added without a query. cProfile: about a third
# of the import is now the stored forecast recomputed once at the commit. Targets: dry run < 2 s, import
# < 8 s. tests/test_csv_import.py checks that the statements (but inserts) do not grow with the rows.
MAX_ROWS = 2_000
MAX_COLUMNS = 300

# The columns each known export has, by our field (the first header present wins).
SOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "jira": {
        "title": ("Summary",), "description": ("Description",), "status": ("Status",),
        "priority": ("Priority",), "assignee": ("Assignee",), "deadline": ("Due Date", "Due date"),
        "estimate": ("Original Estimate", "Original estimate"), "labels": ("Labels",),
    },
    "github": {
        "title": ("title",), "description": ("body",), "status": ("state",),
        "assignee": ("assignees", "assignee"), "labels": ("labels",),
    },
    "tracker": {
        "title": ("title",), "description": ("description",), "status": ("status",),
        "priority": ("priority",), "category": ("category",), "assignee": ("assignee",),
        "deadline": ("due_at", "deadline", "due"),
        "estimate": ("estimate_hours", "estimate"), "labels": ("labels",),
    },
}
SOURCE_NAMES = {"jira": "Jira", "github": "GitHub issues", "tracker": "Tracker or another sheet"}
# Words other trackers use, lower-cased with spaces for "_" and "-".
STATUS_WORDS = {
    **{s.replace("_", " "): s for s in STATUSES},
    "to do": "todo", "open": "todo", "backlog": "todo", "new": "todo", "selected for development": "todo",
    "reopened": "todo", "in development": "in_progress", "doing": "in_progress", "review": "in_review",
    "code review": "in_review", "in qa": "in_review", "on hold": "blocked", "closed": "done",
    "resolved": "done", "complete": "done", "completed": "done",
}
PRIORITY_WORDS = {
    **{p: p for p in PRIORITIES},
    "highest": "critical", "blocker": "critical", "urgent": "critical", "major": "high", "normal": "medium",
    "minor": "low", "lowest": "low", "trivial": "low",
}
_DATE_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y", "%d/%b/%Y", "%Y-%m-%d %H:%M",
                 "%Y-%m-%d %H:%M:%S")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([hm]?)$")


@dataclass
class Sheet:
    header: list[str]
    rows: list[list[str]]
    source: str  # jira, github or tracker (anything else)


@dataclass
class Options:
    """What the person importing chose: a column per field, the category of rows without one, and the
    unit of the estimate column."""

    mapping: dict[str, str]
    default_category: str
    estimate_unit: str = "hours"


@dataclass
class Row:
    line: int  # in the file, counting the header as line 1
    values: dict[str, Any] = field(default_factory=dict)  # what the task gets, as shown in the preview
    errors: dict[str, list[str]] = field(default_factory=dict)
    task_id: int | None = None


@dataclass
class Preview:
    sheet: Sheet
    options: Options
    rows: list[Row]
    written: bool = False

    @property
    def valid(self) -> bool:
        return all(not row.errors for row in self.rows)

    @property
    def bad_rows(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    def errors(self) -> dict[str, list[str]]:
        """Every row's errors as one Invalid's fields: "line 3: status"."""
        return {
            f"line {row.line}: {name}": messages for row in self.rows for name, messages in row.errors.items()
        }


# Reading the sheet ------------------------------------------------------------------------------------


def decode(raw: bytes) -> str:
    """An uploaded file as text: UTF-8 (with or without the byte-order mark Excel writes), else Latin-1."""
    if len(raw) > MAX_CSV_BYTES:
        raise Invalid({"file": [f"Send at most {MAX_CSV_BYTES // 1_000_000} MB of CSV."]})
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_sheet(text: str) -> Sheet:
    """The header and rows of a CSV text (blank lines skipped); Invalid when there is nothing to import."""
    if len(text) > MAX_CSV_BYTES:
        raise Invalid({"file": [f"Send at most {MAX_CSV_BYTES // 1_000_000} MB of CSV."]})
    if "\x00" in text:
        raise Invalid({"file": ["This is not a CSV text file (it contains NUL characters)."]})
    text = text.removeprefix("\ufeff")
    try:
        lines = [r for r in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in r)]
    except csv.Error as exc:
        raise Invalid({"file": [f"This is not a CSV file: {exc}."]}) from None
    if not lines:
        raise Invalid({"file": ["The file is empty: it needs a header line and at least one row."]})
    header = [cell.strip() for cell in lines[0]]
    if len(header) > MAX_COLUMNS:
        raise Invalid({"file": [f"Use at most {MAX_COLUMNS} columns."]})
    rows = [row + [""] * (len(header) - len(row)) for row in lines[1:]]
    if not rows:
        raise Invalid({"file": ["The file has a header line but no rows."]})
    if len(rows) > MAX_ROWS:
        raise Invalid({"file": [f"Import at most {MAX_ROWS} rows at a time (this file has {len(rows)})."]})
    return Sheet(header, rows, detect_source(header))


def detect_source(header: list[str]) -> str:
    """Jira's export (Summary, Issue key…), GitHub's issues (number, title, state…), or another sheet."""
    names = set(header)
    if "Summary" in names and names & {"Issue key", "Issue Type", "Issue id", "Status"}:
        return "jira"
    if {"title", "state"} <= names and names & {"number", "url", "body"}:
        return "github"
    return "tracker"


def suggested_mapping(sheet: Sheet) -> dict[str, str]:
    """The column for each field that the sheet's source names (else another source), matched exactly,
    else by lower case."""
    sources = [sheet.source, *(source for source in SOURCES if source != sheet.source)]
    lowered = {name.lower(): name for name in reversed(sheet.header) if name}
    mapping = {}
    for name in FIELDS:
        for candidate in (*(c for source in sources for c in SOURCES[source].get(name, ())), name):
            column = candidate if candidate in sheet.header else lowered.get(candidate.lower())
            if column:
                mapping[name] = column
                break
    return mapping


def default_options(member: TeamMembership, sheet: Sheet) -> Options:
    categories = _categories(member.team_id)
    first = next((c.slug for c in categories.values() if not c.archived), "")
    return Options(suggested_mapping(sheet), first, "seconds" if sheet.source == "jira" else "hours")


def check_options(
    sheet: Sheet, mapping: Mapping[str, Any], default_category: Any, estimate_unit: Any
) -> Options:
    """The person's choices, checked against the sheet: unknown columns or fields are an Invalid."""
    errors: dict[str, list[str]] = {}
    clean = {}
    for name, column in mapping.items():
        if name not in FIELDS:
            message = f"“{str(name)[:40]}” is not a field: use {', '.join(FIELDS)}."
            errors.setdefault("mapping", []).append(message)
        elif column not in (None, ""):
            if not isinstance(column, str) or column not in sheet.header:
                errors[f"mapping.{name}"] = [f"The file has no column “{str(column)[:80]}”."]
            else:
                clean[name] = column
    if "title" not in clean and "mapping.title" not in errors:
        errors["mapping.title"] = ["Choose the column that holds the titles."]
    if estimate_unit not in ESTIMATE_UNITS:
        errors["estimate_unit"] = [f"Choose one of: {', '.join(ESTIMATE_UNITS)}."]
    if not isinstance(default_category, str):
        errors["default_category"] = ["Choose a category."]
    if errors:
        raise Invalid(errors)
    return Options(clean, default_category, estimate_unit)


# From cells to a task's fields --------------------------------------------------------------------------


def _categories(team_id: int) -> dict[str, Category]:
    return {c.slug: c for c in db.session.scalars(select(Category).where(Category.team_id == team_id))}


@dataclass
class _Team:
    """The team's categories and members, loaded once for every row."""

    categories: dict[str, Category]
    members: list[User]

    def category(self, text: str) -> str | None:
        wanted = text.strip().lower()
        for c in self.categories.values():
            if wanted in (c.slug, c.name.lower()):
                return c.slug
        return None

    def assignee(self, text: str) -> tuple[int | None, str | None]:
        wanted = text.strip().lower()
        found = [u for u in self.members if wanted == u.email.lower()] or [
            u for u in self.members if wanted == u.name.strip().lower()]
        if len(found) == 1:
            return found[0].id, None
        if found:
            return None, f"Several members are called “{text.strip()}”: use their email."
        return None, f"No member of this team is “{text.strip()[:80]}”."


def _cell(sheet: Sheet, row: list[str], column: str | None) -> str:
    if not column:
        return ""
    value = row[sheet.header.index(column)].strip()
    # What tracker.transfer.neutralise quoted so a spreadsheet would not run it, read back.
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    return value


def parse_deadline(text: str) -> date | datetime:
    """A date, or a date and time (with a zone, or in the importer's): ISO 8601, or Jira's 05/Mar/26
    5:00 PM. A time of exactly midnight, as Jira writes a due date, means the day alone."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for pattern in _DATE_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValueError("Write a date such as 2026-12-01 or 2026-12-01T17:00:00Z.") from None
    if moment.tzinfo is None and moment.time() == datetime.min.time():
        return moment.date()
    return moment


def parse_estimate(text: str, unit: str) -> float:
    """Hours from "3", "1.5h" or "90m"; a bare number is seconds when the column counts seconds (Jira)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise ValueError("Write a number of hours, e.g. 3, 1.5h or 90m.")
    number, suffix = float(match.group(1)), match.group(2)
    if not math.isfinite(number):
        raise ValueError("Write a number of hours.")
    if suffix == "m":
        return round(number / 60, 2)
    return round(number / 3600, 2) if unit == "seconds" and not suffix else number


def _labels(sheet: Sheet, row: list[str], column: str | None) -> list[str]:
    """Every column of that name (Jira repeats "Labels", one label each), split at commas."""
    if not column:
        return []
    cells = [row[i] for i, name in enumerate(sheet.header) if name == column]
    return [part.strip() for cell in cells for part in cell.split(",") if part.strip()]


def _word(text: str, words: dict[str, str], name: str, fallback: str, errors: dict) -> str:
    if not text:
        return fallback
    key = re.sub(r"[\s_-]+", " ", text.strip().lower())
    if key not in words:
        allowed = ", ".join(sorted(set(words.values())))
        errors[name] = [f"“{text[:40]}” is not a {name} here: use one of {allowed}."]
        return fallback
    return words[key]


def _row_fields(sheet: Sheet, row: list[str], options: Options, team: _Team) -> tuple[dict, dict]:
    """A row's task fields (as tracker.tasks takes them), and the cells that could not be read."""
    cell = {name: _cell(sheet, row, options.mapping.get(name)) for name in FIELDS}
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {"title": cell["title"], "description": cell["description"],
                            "labels": _labels(sheet, row, options.mapping.get("labels"))}
    data["status"] = _word(cell["status"], STATUS_WORDS, "status", "todo", errors)
    data["priority"] = _word(cell["priority"], PRIORITY_WORDS, "priority", "medium", errors)
    data["category"] = options.default_category
    if cell["category"]:
        data["category"] = team.category(cell["category"]) or cell["category"]
    if cell["assignee"]:
        # GitHub lists every assignee in one cell: the first one is the task's.
        data["assignee_id"], problem = team.assignee(cell["assignee"].split(",")[0])
        if problem:
            errors["assignee"] = [problem]
    parsers = (("deadline", parse_deadline, "due_at"),
               ("estimate", lambda t: parse_estimate(t, options.estimate_unit), "estimate_hours"))
    for name, parse, target in parsers:
        if cell[name]:
            try:
                data[target] = parse(cell[name])
            except (ValueError, OverflowError) as exc:
                errors[name] = [str(exc)]
    return data, errors


# Preview and import ---------------------------------------------------------------------------------------

# The task module's field names, as the import's fields are called.
_FIELD_NAMES = {"due_at": "deadline", "estimate_hours": "estimate", "assignee_id": "assignee"}


def import_rows(member: TeamMembership, sheet: Sheet, options: Options, *, dry_run: bool) -> Preview:
    """Check every row as tracker.tasks checks a new task, in memory with the team's lookups loaded once;
    then, when every row is valid and this is not a dry run, create the tasks through tracker.tasks
    (history, watchers and the forecast follow; no notification or webhook per row: each assignee hears
    of their tasks once) in one transaction. Either way every row's outcome is in the preview. (What 2,000
    rows cost: beside MAX_ROWS.)"""
    require_role(member, "manager", "import tasks")
    lookups = tasks.team_lookups(member.team_id)
    team = _Team(lookups.categories, list(db.session.scalars(
        select(User).join(TeamMembership).where(TeamMembership.team_id == member.team_id))))
    checked = [_checked_row(member, number, sheet, cells, options, team, lookups)
               for number, cells in enumerate(sheet.rows, 2)]
    preview = Preview(sheet, options, [row for row, _ in checked])
    if dry_run or not preview.valid:
        db.session.rollback()
        return preview
    try:
        created = tasks.create_tasks(member, [data for _, data in checked], lookups)
        for (row, _), task in zip(checked, created, strict=True):
            row.task_id = task.id
        _tell_assignees(member, created)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for row in preview.rows:
            row.task_id = None
        raise
    preview.written = True
    return preview


def _checked_row(member: TeamMembership, number: int, sheet: Sheet, cells: list[str], options: Options,
                 team: _Team, lookups: tasks.TeamLookups) -> tuple[Row, dict]:
    """A row as the preview shows it, with its own errors and those tracker.tasks finds in its fields."""
    data, errors = _row_fields(sheet, cells, options, team)
    row = Row(number, _shown(data, team), errors)
    readable = {k: v for k, v in data.items() if _FIELD_NAMES.get(k, k) not in errors}
    try:
        tasks.check_new_task(member, readable, lookups)
    except Invalid as exc:
        for name, messages in exc.errors.items():
            row.errors.setdefault(_FIELD_NAMES.get(name, name), []).extend(messages)
    return row, readable


def _shown(data: dict, team: _Team) -> dict[str, Any]:
    names = {u.id: u.name for u in team.members}
    due = data.get("due_at")
    return {
        "title": data["title"], "status": data["status"], "priority": data["priority"],
        "category": data["category"], "assignee": names.get(data.get("assignee_id"), ""),
        "deadline": due.isoformat() if due else "", "estimate": data.get("estimate_hours"),
        "labels": ", ".join(data["labels"]),
    }


def _tell_assignees(member: TeamMembership, tasks: list[Task]) -> None:
    """One notification per assignee for all the tasks of an import that are theirs (not one per row)."""
    theirs: dict[int, list[Task]] = {}
    for task in tasks:
        if task.assignee_id is not None:
            theirs.setdefault(task.assignee_id, []).append(task)
    for user_id, assigned in theirs.items():
        first = assigned[0]
        more = f" and {len(assigned) - 1} more" if len(assigned) > 1 else ""
        summary = f"{member.user.name} imported tasks for you: #{first.id} {one_line(first.title, 80)}{more}"
        notify([user_id], "assigned", task=first, actor=member.user, summary=summary)
