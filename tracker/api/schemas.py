"""The API's request and response shapes as pydantic models.

They validate what clients send (types, vocabularies, required fields) and build what the API
returns, and the OpenAPI document is generated from them, so the document cannot drift from the
code. Business rules (who may do what, title length, deadlines in zones) stay in the domain modules;
the vocabularies and limits below are imported from there, never retyped.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..comments import BODY_MAX as COMMENT_MAX
from ..models import PRIORITIES, ROLES, STATUSES, FeatureActivity
from ..paging import MAX_PAGE
from ..prioritisation import BOARD_CARDS, MOST_CARDS
from ..recurrence import RULE_MAX
from ..reminders import LEAD_DAYS_MAX, LEAD_TIMES_MAX, UNITS
from ..serialise import feature_fields, task_fields
from ..tasks import DESCRIPTION_MAX, ESTIMATE_MAX, LABEL_MAX, LABELS_PER_TASK, SORTS, TITLE_MAX
from ..timelog import MAX_HOURS_PER_ENTRY, NOTE_MAX
from ..two_factor import REQUIREMENTS as TWO_FACTOR_REQUIREMENTS
from ..vocabulary import (
    CHECKLIST_ITEM_MAX,
    CHECKLIST_ITEMS_PER_TASK,
    FEATURE_STATES,
    MAX_ID,
    MIN_ID,
    OPEN_FEATURE_STATES,
    SHIP_REASON_MAX,
    WEBHOOK_EVENTS,
)

Role = Literal[ROLES]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
Priority = Literal[PRIORITIES]  # type: ignore[valid-type]
StatusFilter = Literal[("open", *STATUSES)]  # type: ignore[valid-type]
Sort = Literal[tuple(SORTS) + tuple(f"-{s}" for s in SORTS)]  # type: ignore[valid-type]
TwoFactorRequirement = Literal[TWO_FACTOR_REQUIREMENTS]  # type: ignore[valid-type]
Id = Annotated[int, Field(ge=MIN_ID, le=MAX_ID)]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["09:00"])]
Instant = Annotated[datetime, Field(description="RFC 3339 date-time; the server returns UTC with a Z.")]
Deadline = Annotated[
    date | datetime | None,
    Field(
        description="An RFC 3339 date-time, or a date alone meaning the end of that day (23:59:59) "
        "in the assignee's time zone (else the caller's). Years 2000 to 2100.",
        examples=["2026-12-01", "2026-12-01T17:00:00Z"],
    ),
]


class Body(BaseModel):
    """Request bodies: exact JSON types, no unknown fields, no NaN."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class Query(BaseModel):
    """Query strings: text converted to the declared types; unknown arguments are ignored."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Problems (RFC 9457) ----------------------------------------------------------------------------


class Problem(Out):
    """An error, as application/problem+json."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="A URI naming the kind of problem; about:blank for plain HTTP errors.")
    title: str
    status: int
    detail: str


class ValidationProblem(Problem):
    errors: dict[str, list[str]] = Field(description="Messages per field (or query argument) name.")


class PagingQuery(Query):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    per_page: int = Field(50, ge=1, le=200, description="Items per page (at most 200).")


def page_of(item: type[BaseModel], name: str) -> type[BaseModel]:
    """The list envelope {items, total, page, per_page} around one kind of item."""
    return create_model(
        name,
        __base__=Out,
        items=(list[item], ...),
        total=(int, ...),
        page=(int, ...),
        per_page=(int, ...),
    )


# Users ------------------------------------------------------------------------------------------


class UserOut(Out):
    id: int
    email: str
    name: str
    timezone: str = Field(description="IANA time zone name, e.g. Europe/Lisbon.")
    work_days: list[int] = Field(description="ISO weekdays the person works: 1 = Monday ... 7 = Sunday.")
    work_start: ClockTime
    work_end: ClockTime
    capacity_hours_per_week: float = Field(description="Follows from the work days and hours.")

    @classmethod
    def of(cls, user) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            timezone=user.timezone,
            work_days=user.work_day_numbers,
            work_start=user.work_start.strftime("%H:%M"),
            work_end=user.work_end.strftime("%H:%M"),
            capacity_hours_per_week=user.capacity_hours_per_week,
        )


class ProfilePatch(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "timezone": "Europe/Lisbon",
                    "work_days": [1, 2, 3, 4],
                    "work_start": "08:30",
                    "work_end": "16:30",
                }
            ]
        }
    )

    name: str | None = None
    timezone: str | None = Field(None, description="IANA time zone name, e.g. Europe/Lisbon.")
    work_days: list[int] | None = Field(None, description="ISO weekdays, 1 = Monday ... 7 = Sunday.")
    work_start: ClockTime | None = None
    work_end: ClockTime | None = None


Unit = Literal[UNITS]  # type: ignore[valid-type]
WORKING_TIME = "Counted in your working time (your days and hours; a working day is 8 working hours) rather "\
    "than the calendar's."


class LeadTimeOut(Out):
    amount: int
    unit: Unit
    working: bool = Field(description=WORKING_TIME)


class LeadTimeIn(Body):
    amount: int = Field(ge=1, le=LEAD_DAYS_MAX * 24, description=f"1 hour to {LEAD_DAYS_MAX} days.")
    unit: Unit = "hours"
    working: bool = Field(False, description=WORKING_TIME)


class RemindersOut(Out):
    lead_times: list[LeadTimeOut] = Field(
        description="How long before each deadline of yours you are reminded (24 hours until you choose); "
        "how (in the app, by email) follows your choice for the kind due_soon, and overdue tasks are "
        "reminded once each working day (kind overdue)."
    )


class RemindersPut(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"lead_times": [{"amount": 3, "unit": "days"}, {"amount": 2, "unit": "hours", "working": True}]}
    ]})

    lead_times: list[LeadTimeIn] = Field(min_length=1, max_length=LEAD_TIMES_MAX)


# Teams and members ----------------------------------------------------------------------------


class CategoryOut(Out):
    slug: str
    name: str
    archived: bool = Field(description="Archived categories keep their tasks but take no new ones.")


class TeamOut(Out):
    id: int
    slug: str
    name: str
    role: Role = Field(description="The caller's role in this team.")
    categories: list[CategoryOut]
    urgency_window_hours: int = Field(description="Tasks due within this many hours are urgent.")
    two_factor_required: TwoFactorRequirement = Field(
        description="Who must have two-factor authentication on to use the team (managers: and owners)."
    )

    @classmethod
    def of(cls, membership, categories: list | None = None) -> TeamOut:
        team = membership.team
        return cls(
            id=team.id,
            slug=team.slug,
            name=team.name,
            role=membership.role,
            categories=[
                CategoryOut.model_validate(c) for c in (team.categories if categories is None else categories)
            ],
            urgency_window_hours=team.urgency_window_hours,
            two_factor_required=team.two_factor_required,
        )


class TeamCreate(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Payments platform"}]})

    name: str = Field(min_length=1)
    slug: str | None = Field(None, description="Lower-case letters, digits and hyphens; made unique.")


class TeamPatch(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"urgency_window_hours": 48}]})

    name: str | None = None
    urgency_window_hours: int | None = Field(None, description="1 to 1440 hours.")
    two_factor_required: TwoFactorRequirement | None = Field(
        None, description="One that covers you needs two-factor authentication on your own account first."
    )


class MemberOut(Out):
    user_id: int
    name: str
    email: str
    timezone: str
    role: Role
    joined_at: Instant

    @classmethod
    def of(cls, membership) -> MemberOut:
        user = membership.user
        return cls(
            user_id=user.id,
            name=user.name,
            email=user.email,
            timezone=user.timezone,
            role=membership.role,
            joined_at=membership.created_at,
        )


class MemberPatch(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "manager"}]})

    role: Role


class InvitationOut(Out):
    id: int
    team_id: int
    email: str
    role: Role
    expires_at: Instant
    accepted_at: Instant | None
    created_at: Instant
    accept_url: str | None = Field(
        None, description="The link that accepts the invitation: only in the answer to the inviter's POST, "
        "once (only its digest is kept). The invited address also gets it by email."
    )


class InvitationCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "ana@example.com", "role": "member"}]}
    )

    email: str = Field(description="Any address: whether it has an account is never said.")
    role: Role = "member"


class InvitationAccept(Body):
    # An example, not a secret.
    model_config = ConfigDict(json_schema_extra={"examples": [{"token": "Jx3…"}]})  # nosec B105

    token: str = Field(max_length=100, description="The last part of the invitation's accept_url.")


# Tasks ------------------------------------------------------------------------------------------


class ChecklistItemOut(Out):
    id: int
    task_id: int
    text: str
    done: bool
    position: int = Field(description="The item's place in the checklist, from 0.")


class _Described(Out):
    """What tasks and features both start with."""

    id: int
    team_id: int
    title: str
    description: str = Field(description="Markdown.")
    description_html: str = Field(description="The description rendered and sanitised.")


class TaskOut(_Described):
    category: str = Field(description="The team's category slug.")
    status: Status
    priority: Priority
    due_at: Instant | None
    start_at: Instant | None
    queue_at: Instant | None = Field(
        None, description="Where a manager placed the task in its assignee's queue: the forecast orders the "
        "queue by this instead of the deadline (the `reorder` proposals set it). Null: by the deadline."
    )
    estimate_hours: float | None
    spent_hours: float = Field(description="Sum of the logged time entries.")
    assignee_id: int | None
    reporter_id: int | None
    labels: list[str]
    blocked_by: list[int] = Field(description="Ids of the tasks this one waits for.")
    recurrence: str | None = Field(
        description="An RFC 5545 RRULE (FREQ=WEEKLY;BYDAY=MO): completing the task creates its next "
        "occurrence, due on the assignee's wall clock. Null when the task does not repeat."
    )
    feature_id: int | None = Field(description="The feature the task is part of.")
    checklist: list[ChecklistItemOut] = Field(description="The task's checklist, in order.")
    version: int = Field(description="Increases on every change; also sent as the ETag.")
    created_at: Instant
    updated_at: Instant

    @classmethod
    def of(cls, task, spent: float = 0.0) -> TaskOut:
        return cls(**task_fields(task, spent))


class ConflictProblem(Problem):
    current: TaskOut | FeatureOut = Field(
        description="The task (or feature) as it is now; re-apply your change to it. A feature that is not "
        "ready to ship is a 409 too, with `detail` saying what stands between it and done."
    )


class _TaskFields(Body):
    description: str | None = Field(None, max_length=DESCRIPTION_MAX, description="Markdown.")
    status: Status | None = None
    priority: Priority | None = None
    due_at: Deadline = None
    start_at: Deadline = None
    queue_at: Instant | None = Field(None, description="A place in the assignee's queue (see the task's).")
    estimate_hours: float | None = Field(None, ge=0, le=ESTIMATE_MAX, description="Hours.")
    assignee_id: Id | None = Field(None, description="A member of the team, or null.")
    labels: list[Annotated[str, Field(max_length=LABEL_MAX)]] | None = Field(
        None, max_length=LABELS_PER_TASK, description="Letters, digits and - _ . + (stored in lower case)."
    )
    blocked_by: list[Id] | None = Field(None, description="Ids of tasks of the same team.")
    recurrence: str | None = Field(
        None, max_length=RULE_MAX, description="An RFC 5545 RRULE with FREQ DAILY, WEEKLY, MONTHLY or YEARLY "
        "and INTERVAL, COUNT or UNTIL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, WKST (the last working day of a "
        "month: FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1); the deadline is the first occurrence. Null "
        "to stop repeating.", examples=["FREQ=WEEKLY;BYDAY=MO", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12"],
    )
    feature_id: Id | None = Field(None, description="A feature of the same team, or null.")


class TaskCreate(_TaskFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Add idempotency keys to POST /payments",
                    "category": "server-code",
                    "priority": "high",
                    "due_at": "2026-12-01",
                    "estimate_hours": 6,
                    "labels": ["payments"],
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    category: str = Field(description="One of the team's active category slugs.")
    status: Status = "todo"
    priority: Priority = "medium"


class TaskPatch(_TaskFields):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "in_review", "version": 3}]})

    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    category: str | None = None
    version: Id | None = Field(
        None, description="The version you last read; if the task has moved on you get 409 with `current`."
    )


class TaskQuery(PagingQuery):
    status: StatusFilter | None = Field(None, description="A status, or `open` for anything not done.")
    category: str | None = Field(None, description="A category slug.")
    priority: Priority | None = None
    assignee: Annotated[str, Field(pattern=r"^(me|none|[0-9]{1,9})$")] | None = Field(
        None, description="A user id, `me` or `none`."
    )
    label: str | None = None
    feature: Annotated[str, Field(pattern=r"^(none|[0-9]{1,10})$")] | None = Field(
        None, description="A feature id, or `none` for tasks outside every feature."
    )
    due_before: datetime | None = Field(None, description="RFC 3339 date-time with a zone.")
    due_after: datetime | None = Field(None, description="RFC 3339 date-time with a zone.")
    overdue: bool = Field(False, description="Only open tasks past their deadline.")
    q: str | None = Field(None, description="Text in the title or description, or a task number.")
    sort: Sort = Field("due_at", description="Prefix `-` for descending.")


# Features and checklists -----------------------------------------------------------------------

FeatureState = Literal[FEATURE_STATES]  # type: ignore[valid-type]


class CategoryCoverageOut(Out):
    required: bool = Field(description="The feature requires this category (archived ones are not).")
    tasks: int = Field(description="Live tasks of the feature in this category.")
    done: int


class FeatureOut(_Described):
    owner_id: int | None
    target_date: date | None
    state: FeatureState
    required_categories: list[str] = Field(description="Category slugs that must each have done work.")
    task_ids: list[int] = Field(description="The feature's live tasks (trashed tasks count nowhere).")
    coverage: dict[str, CategoryCoverageOut] = Field(
        description="Per category slug (required, or with tasks): whether required, tasks, done."
    )
    missing: list[str] = Field(description="Required categories without any task.")
    complete: bool = Field(description="Every required category has a task and every task is done.")
    projected_finish_at: Instant | None = Field(description="The latest projected finish of its open tasks.")
    at_risk: bool = Field(description="Projected to finish after its target date (or the date has passed).")
    at_risk_reason: str | None = Field(description="Which task, in whose queue; or what has no forecast.")
    ship_reason: str | None = Field(description="Why it shipped with work left (set by a manager).")
    shipped_at: Instant | None
    version: int = Field(description="Increases on every change; also sent as the ETag.")
    created_at: Instant
    updated_at: Instant

    @classmethod
    def of(cls, summary) -> FeatureOut:
        """From a tracker.features.FeatureSummary."""
        return cls(
            **feature_fields(summary.feature),
            task_ids=summary.task_ids,
            coverage=summary.coverage.as_dict(),
            missing=summary.coverage.missing,
            complete=summary.coverage.complete,
            projected_finish_at=summary.forecast.projected_finish_at,
            at_risk=summary.forecast.at_risk,
            at_risk_reason=summary.forecast.reason,
        )


class _FeatureFields(Body):
    description: str | None = Field(None, max_length=DESCRIPTION_MAX, description="Markdown.")
    owner_id: Id | None = Field(None, description="A member of the team, or null.")
    target_date: date | None = Field(None, description="The release day, 2000-01-01 to 2100-12-31.")
    required_categories: list[str] | None = Field(
        None, description="Category slugs of the team; a new feature gets the team's definition of done."
    )


class FeatureCreate(_FeatureFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"title": "Refunds endpoint", "target_date": "2026-12-15",
                 "required_categories": ["server-code", "database", "testing", "api-docs", "security"]}
            ]
        }
    )

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    state: Literal[OPEN_FEATURE_STATES] = "planned"  # type: ignore[valid-type]


class FeaturePatch(_FeatureFields):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"state": "shipped", "ship_reason": "Hotfix", "version": 4}]}
    )

    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    state: FeatureState | None = Field(
        None, description="`shipped` only when covered and done (else 409), unless a manager gives a reason."
    )
    ship_reason: str | None = Field(
        None, max_length=SHIP_REASON_MAX, description="Why it ships with work left; kept in its history."
    )
    version: Id | None = Field(None, description="The version you last read; 409 with `current` if stale.")


class FeatureQuery(PagingQuery):
    state: Literal[("open", *FEATURE_STATES)] | None = Field(  # type: ignore[valid-type]
        None, description="A state, or `open` for planned and active features."
    )


ConflictProblem.model_rebuild()  # its `current` may be a FeatureOut, defined after it


class GapsOut(Out):
    created: list[TaskOut] = Field(description="The tasks created, one per missing required category.")
    at_risk: bool = Field(False, description="Whether their deadlines cannot all be met (too little time "
                          "before the target date, or the assignees' queues are full).")
    reason: str | None = Field(None, description="Why they are at risk, in words.")


class DefinitionOfDoneOut(Out):
    categories: list[str] = Field(description="The category slugs a new feature requires unless its creator "
                                  "chooses others, in the team's order.")


class DefinitionOfDoneIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"categories": ["server-code", "testing", "api-docs", "security", "database"]}]})

    categories: list[Annotated[str, Field(min_length=1, max_length=48)]] = Field(
        min_length=1, max_length=100, description="Active category slugs of the team, at least one.")


class TemplateOut(Out):
    category_id: int
    category: str = Field(description="The category's slug.")
    title_pattern: str = Field(description="{feature} and {category} are filled in.")
    description: str = Field(description="Markdown; its “- [ ] …” lines become the task's checklist.")
    assignee_id: int | None = Field(description="Who does the task; null: the feature's owner.")
    estimate_hours: float = Field(description="The task's estimate (the template's, else the built-in one).")
    customised: bool = Field(description="The team's own template, rather than the built-in one.")

    @classmethod
    def of(cls, template) -> TemplateOut:
        """From a tracker.definition_of_done.Template."""
        return cls(category_id=template.category.id, category=template.category.slug,
                   title_pattern=template.title_pattern, description=template.description,
                   assignee_id=template.assignee_id, estimate_hours=template.hours,
                   customised=template.customised)


class TemplateList(Out):
    items: list[TemplateOut]


class TemplateIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"title_pattern": "Security review: {feature}", "description": "- [ ] Authentication\n- [ ] Secrets",
         "assignee_id": 3, "estimate_hours": 4}]})

    title_pattern: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX)
    assignee_id: Id | None = Field(None, description="A member of the team; null: the feature's owner.")
    estimate_hours: float | None = Field(None, gt=0, le=ESTIMATE_MAX, description="Null: the built-in one.")


_TASK_VERSION = ("The task's version you last read (a checklist change is a change of its task); if the "
                 "task has moved on you get 409 with `current`.")


class ChecklistItemCreate(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Rate limiting"},
                                                              {"text": "Secrets", "version": 3}]})

    text: str = Field(min_length=1, max_length=CHECKLIST_ITEM_MAX)
    version: Id | None = Field(None, description=_TASK_VERSION)


class ChecklistItemPatch(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"done": True}, {"position": 0, "version": 4}]})

    text: str | None = Field(None, min_length=1, max_length=CHECKLIST_ITEM_MAX)
    done: bool | None = None
    position: int | None = Field(None, ge=0, le=CHECKLIST_ITEMS_PER_TASK, description="0 = first.")
    version: Id | None = Field(None, description=_TASK_VERSION)


# Time entries -----------------------------------------------------------------------------------


class TimeEntryOut(Out):
    id: int
    task_id: int
    user_id: int
    hours: float
    note: str
    spent_on: date
    created_at: Instant


class TimeEntryCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"hours": 1.5, "spent_on": "2026-11-24", "note": "Code review"}]}
    )

    hours: float = Field(gt=0, le=MAX_HOURS_PER_ENTRY, description="Hours spent.")
    spent_on: date | None = Field(
        None, description="The day the work was done; at latest tomorrow. Left out (or null): today in the "
        "caller's time zone."
    )
    note: str = Field("", max_length=NOTE_MAX)


# Pages ------------------------------------------------------------------------------------------

TeamPage = page_of(TeamOut, "TeamPage")
MemberPage = page_of(MemberOut, "MemberPage")
InvitationPage = page_of(InvitationOut, "InvitationPage")
TaskPage = page_of(TaskOut, "TaskPage")
TimeEntryPage = page_of(TimeEntryOut, "TimeEntryPage")
FeaturePage = page_of(FeatureOut, "FeaturePage")


def paged(model: type[BaseModel], items: list, page: int, per_page: int, total: int | None = None) -> Any:
    """Slice an in-memory list into the envelope (for the short lists: teams, members, entries)."""
    total = len(items) if total is None else total
    start = (page - 1) * per_page
    return model(items=items[start : start + per_page], total=total, page=page, per_page=per_page)


# Prioritisation views ---------------------------------------------------------------------------


class LimitQuery(Query):
    limit: int = Field(
        BOARD_CARDS, ge=1, le=MOST_CARDS,
        description=f"At most this many tasks in each list (default {BOARD_CARDS}, at most {MOST_CARDS}), "
        "the first in the list's order; `totals` counts all of them.",
    )


Totals = Annotated[dict[str, int], Field(description="How many tasks each list holds, shown or not.")]


class ViewQuery(LimitQuery):
    """The task filters that narrow a view (status and sorting are the view's own)."""

    category: str | None = Field(None, description="A category slug.")
    priority: Priority | None = None
    assignee: Annotated[str, Field(pattern=r"^(me|none|[0-9]{1,9})$")] | None = Field(
        None, description="A user id, `me` or `none`."
    )
    label: str | None = None
    q: str | None = Field(None, description="Text in the title or description, or a task number.")


class MyWorkOut(Out):
    timezone: str = Field(description="The caller's zone, which decides what is today and this week.")
    overdue: list[TaskOut]
    today: list[TaskOut]
    this_week: list[TaskOut]
    later: list[TaskOut]
    no_due: list[TaskOut]
    totals: Totals


class EisenhowerOut(Out):
    urgency_window_hours: int = Field(description="Due within this many hours (or overdue) is urgent.")
    do: list[TaskOut] = Field(description="Important (critical or high) and urgent.")
    schedule: list[TaskOut] = Field(description="Important, not urgent.")
    delegate: list[TaskOut] = Field(description="Urgent, not important.")
    later: list[TaskOut] = Field(description="Neither.")
    totals: Totals


class CategoryLoadOut(Out):
    slug: str
    name: str
    archived: bool
    open: int
    overdue: int
    due_soon: int = Field(description="Open and due within 7 days.")
    at_risk: int = Field(description="Open and projected to finish after the deadline.")


class PersonLoadOut(Out):
    user_id: int
    name: str
    open_tasks: int
    remaining_hours: float = Field(description="Open estimate hours not yet logged.")
    unestimated: int = Field(description="Open tasks without an estimate.")
    capacity_hours_per_week: float
    tight_due_at: Instant | None = Field(
        description="The deadline still ahead with the least room before it (overdue work is counted apart)."
    )
    needed_hours: float = Field(description="Estimate hours due by tight_due_at (after now).")
    available_hours: float = Field(description="Working hours until tight_due_at.")
    overloaded: bool = Field(description="needed_hours exceed available_hours.")
    overdue_tasks: int = Field(0, description="Open tasks whose deadline has passed.")
    overdue_hours: float = Field(0.0, description="Remaining estimate hours of those tasks.")
    week_hours: float = Field(0.0, description="Remaining hours due in the coming 7 days.")
    week_capacity_hours: float = Field(0.0, description="Working hours in the coming 7 days.")
    four_weeks_hours: float = Field(0.0, description="Remaining hours due in the coming 28 days.")
    four_weeks_capacity_hours: float = Field(0.0, description="Working hours in the coming 28 days.")


class DeadlinesOut(Out):
    overdue: list[TaskOut]
    due_soon: list[TaskOut] = Field(description="Due within 7 days.")
    at_risk: list[TaskOut] = Field(description="Projected to finish after the deadline.")
    totals: Totals
    by_category: list[CategoryLoadOut]
    by_assignee: list[PersonLoadOut]


class ForecastItemOut(Out):
    task_id: int
    title: str
    assignee_id: int | None
    due_at: Instant | None
    projected_finish_at: Instant | None = Field(description="None when unassigned or unestimated.")
    at_risk: bool
    slack_hours: float | None = Field(
        description="Working hours between the projected finish and the deadline."
    )
    remaining_hours: float | None
    reason: str
    waits_for: list[int] = Field(description="Open blockers it cannot start before.")
    explanation: str | None


ForecastOut = page_of(ForecastItemOut, "ForecastOut")


# Collaboration ----------------------------------------------------------------------------------


class CommentOut(Out):
    id: int
    task_id: int
    author_id: int | None
    body: str = Field(description="Markdown; `@name` or `@email` mentions a team member.")
    body_html: str = Field(description="Rendered and sanitised, mentions linked.")
    created_at: Instant
    edited_at: Instant | None


class CommentWrite(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"body": "Looks good to me, @Ana; one nit in the migration."}]}
    )

    body: str = Field(
        min_length=1, max_length=COMMENT_MAX, description="Markdown; mentioned members are notified."
    )


class ActivityOut(Out):
    id: int = Field(description="Unique among the task entries, and among the feature entries.")
    task_id: int | None = Field(description="The task; null for a feature's entry (in a team's feed).")
    feature_id: int | None = Field(None, description="The feature, for a feature's entry; else null.")
    actor_id: int | None
    kind: str = Field(
        description="created, changed, deleted, restored, commented, comment_edited, "
        "comment_deleted, time_logged or time_deleted; for a feature: feature_created, feature_changed "
        "or feature_shipped (new_value: the reason when it shipped with work left)."
    )
    field: str | None = Field(description="For `changed`: the task (or feature) field.")
    old_value: Any = Field(description="For `changed`: the value before (times as RFC 3339 UTC).")
    new_value: Any = Field(description="The value after, or what was added.")
    comment_id: int | None
    created_at: Instant

    @classmethod
    def of(cls, entry) -> ActivityOut:
        """From an Activity (a task's history) or a FeatureActivity (a feature's)."""
        if not isinstance(entry, FeatureActivity):
            return cls.model_validate(entry)
        return cls(id=entry.id, task_id=None, feature_id=entry.feature_id, actor_id=entry.actor_id,
                   kind=f"feature_{entry.kind}", field=entry.field, old_value=entry.old_value,
                   new_value=entry.new_value, comment_id=None, created_at=entry.created_at)


class ActivityQuery(PagingQuery):
    person: Annotated[str, Field(pattern=r"^[0-9]{1,9}$")] | None = Field(
        None, description="An actor's user id."
    )
    category: str | None = Field(None, description="A task category slug.")
    kind: Literal["changes", "comments", "time", "features"] | None = None


class NotificationOut(Out):
    id: int
    kind: str
    task_id: int | None
    actor_id: int | None
    comment_id: int | None
    summary: str
    read: bool
    created_at: Instant


class NotificationQuery(PagingQuery):
    unread: bool = Field(False, description="Only unread notifications.")


class MarkRead(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"ids": [12, 13]}]})

    ids: list[Id] | None = Field(None, description="The notifications to mark read; omit or null for all.")


class MarkedOut(Out):
    marked: int = Field(description="How many notifications changed from unread to read.")


class WebhookOut(Out):
    id: int
    team_id: int
    url: str
    events: list[str]
    active: bool
    created_at: Instant


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs each delivery (HMAC-SHA256 in X-Tracker-Signature); shown once.")


class WebhookCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"url": "https://ci.example.com/hooks/tracker", "events": ["task.created", "task.updated"]}
            ]
        }
    )

    url: str = Field(description="An http(s) URL on a public address.")
    events: list[str] = Field(
        min_length=1, description="Some of: " + ", ".join(WEBHOOK_EVENTS) + "."
    )
    secret: str | None = Field(None, description="16 to 128 characters; generated when omitted.")


class CalendarOut(Out):
    user_feed_url: str = Field(description="iCalendar feed of the deadlines assigned to you.")
    team_feed_urls: dict[str, str] = Field(description="Per team id, the feed of all the team's deadlines.")


CommentPage = page_of(CommentOut, "CommentPage")
ActivityPage = page_of(ActivityOut, "ActivityPage")
NotificationPage = page_of(NotificationOut, "NotificationPage")
WebhookPage = page_of(WebhookOut, "WebhookPage")
