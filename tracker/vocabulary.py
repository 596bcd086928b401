"""The product's vocabularies and limits in one place: models, domain rules, forms, API schemas and URL
converters all import them from here, so a value or a bound changes in one line."""
from __future__ import annotations

from datetime import UTC, datetime

# Vocabularies -----------------------------------------------------------------------------------------

ROLES = ("member", "manager", "owner")
STATUSES = ("todo", "in_progress", "in_review", "blocked", "done")
OPEN_STATUSES = ("todo", "in_progress", "in_review", "blocked")
PRIORITIES = ("critical", "high", "medium", "low")  # most urgent first
# The one priority ranking (0 = most urgent): the list's sort, the views and the forecast's queue use it.
PRIORITY_RANK = {priority: rank for rank, priority in enumerate(PRIORITIES)}
DEFAULT_CATEGORIES = (
    ("architecture", "Architecture"),
    ("server-code", "Server code"),
    ("database", "Database"),
    ("integration", "Front-end integration"),
    ("api-docs", "API docs"),
    ("testing", "Testing"),
    ("security", "Security"),
    ("devops", "DevOps"),
    ("upgrades", "Upgrades"),
)
NOTIFICATION_KINDS = (
    "assigned", "mentioned", "status_changed", "deadline_changed", "commented",
    "due_soon", "overdue", "at_risk",  # the scheduled reminders (tracker/reminders.py)
)
NOTIFICATION_CHANNELS = ("in_app", "email", "both", "none")
WEBHOOK_EVENTS = (
    "task.created", "task.updated", "task.deleted", "comment.created",
    "feature.created", "feature.updated", "feature.shipped",
)
FEATURE_STATES = ("planned", "active", "shipped", "dropped")
OPEN_FEATURE_STATES = ("planned", "active")
# What a new team requires of every feature before it ships, until a manager changes it.
DEFAULT_DEFINITION_OF_DONE = ("server-code", "testing", "api-docs", "security")
# The template of the task that covers a category for a feature: a title pattern ({feature} and
# {category} are filled in) and a description whose "- [ ] …" lines become the task's checklist.
DEFAULT_TEMPLATE_TITLE = "{category}: {feature}"
DEFAULT_TEMPLATES = {
    "security": ("Security review: {feature}", "Review the feature before it ships.\n\n"
                 "- [ ] Authentication\n- [ ] Authorisation per object\n- [ ] Input validation\n"
                 "- [ ] Secrets\n- [ ] Rate limiting\n"),
    "api-docs": ("API docs: {feature}", "Document the feature's API.\n\n"
                 "- [ ] Endpoints\n- [ ] Errors\n- [ ] Examples\n"),
    "testing": ("Tests: {feature}", "- [ ] Unit tests\n- [ ] API tests\n- [ ] Edge cases and errors\n"),
    "server-code": ("Implement: {feature}", ""),
}

# Limits ---------------------------------------------------------------------------------------------

# Ids are 32-bit INTEGER columns: a larger number cannot name a row, and the database drivers refuse it.
MIN_ID, MAX_ID = 1, 2**31 - 1
TITLE_MAX = 200
DESCRIPTION_MAX = 50_000
LABEL_MAX = 40
LABELS_PER_TASK = 20
ESTIMATE_MAX = 10_000
COMMENT_MAX = 10_000
MIN_PASSWORD_LENGTH = 8
SHIP_REASON_MAX = 500
CHECKLIST_ITEM_MAX = 500
CHECKLIST_ITEMS_PER_TASK = 100
# Filling a feature's gaps: the created tasks fall due in this order of their categories (design and build
# first, then tests, the security review and the API docs, deployment last before the release; a category
# not listed comes after the build), each given this estimate unless the team's template says otherwise.
GAP_ORDER = ("architecture", "database", "server-code", "integration", "upgrades",
             "testing", "security", "api-docs", "devops")
GAP_ESTIMATE_HOURS = {
    "architecture": 6.0, "database": 6.0, "server-code": 16.0, "integration": 8.0, "upgrades": 4.0,
    "testing": 8.0, "security": 4.0, "api-docs": 3.0, "devops": 4.0,
}
GAP_DEFAULT_ESTIMATE_HOURS = 4.0
# Deadlines and start dates must fall in this century: year 1 or 9999 overflows when shown in a time
# zone, and the forecast walks working hours up to the deadline, so a deadline in 9999 costs seconds.
EARLIEST_DATE = datetime(1999, 12, 31, tzinfo=UTC)  # 2000-01-01 in every zone
LATEST_DATE = datetime(2101, 1, 2, tzinfo=UTC)  # 2100-12-31 in every zone


def is_id(value: object) -> bool:
    """Whether `value` can name a row: an int (not a bool) between MIN_ID and MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and MIN_ID <= value <= MAX_ID
