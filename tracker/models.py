"""The database models, by area: accounts and sign-in (users, login sessions and failures, API tokens),
teams (members, categories), tasks (labels, blockers, time entries, saved filters, the stored forecast),
collaboration (comments, watchers, activity, notifications and their preferences, reminders, calendar
feeds) and delivery (the email outbox, digests, webhooks and their deliveries)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .vocabulary import (  # noqa: F401  (re-exported: the models' vocabularies)
    DEFAULT_CATEGORIES,
    NOTIFICATION_CHANNELS,
    NOTIFICATION_KINDS,
    OPEN_STATUSES,
    PRIORITIES,
    ROLES,
    STATUSES,
    WEBHOOK_EVENTS,
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database: SQLite keeps naive UTC text, PostgreSQL a timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is required")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # ISO weekdays the person works, as "1,2,3,4,5"; kept as text so both databases store it alike.
    work_days: Mapped[str] = mapped_column(String(20), default="1,2,3,4,5")
    work_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    work_end: Mapped[time] = mapped_column(Time, default=time(17, 0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-factor sign-in (tracker/two_factor.py): the TOTP secret (set while enrolling, kept once on),
    # when it was turned on, and the last time step a code was accepted for, so a code works once.
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def work_day_numbers(self) -> list[int]:
        return [int(d) for d in self.work_days.split(",") if d]

    # The token of the server-side login session (tracker.sessions) this object was signed in with or
    # loaded through in this request; not a column.
    session_token = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember-me cookies: the login session's token, so
        ending that session (logout, sign out elsewhere, password change, idleness) voids both cookies."""
        if not self.session_token:
            raise RuntimeError("No login session: sign in through tracker.sessions.start_session.")
        return self.session_token

    def __eq__(self, other: object) -> bool:
        # One account is one person, whichever session an object came through (UserMixin compares ids).
        return isinstance(other, User) and other.id == self.id

    __hash__ = UserMixin.__hash__

    @property
    def capacity_hours_per_week(self) -> float:
        start = self.work_start.hour * 60 + self.work_start.minute
        end = self.work_end.hour * 60 + self.work_end.minute
        return round(max(end - start, 0) * len(self.work_day_numbers) / 60, 2)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    urgency_window_hours: Mapped[int] = mapped_column(Integer, default=72)
    # Who must sign in with two factors to use the team: "nobody", "managers" or "everyone".
    two_factor_required: Mapped[str] = mapped_column(String(16), default="nobody", server_default="nobody")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )
    categories: Mapped[list[Category]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="Category.position"
    )


class TeamMembership(db.Model):
    __tablename__ = "team_memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Category(db.Model):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("team_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(default=False)

    team: Mapped[Team] = relationship(back_populates="categories")


task_blockers = Table(
    "task_blockers",
    db.metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("blocker_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_team_status", "team_id", "status"),
        Index("ix_tasks_team_due", "team_id", "due_at"),
        Index("ix_tasks_team_updated", "team_id", "updated_at"),
        # The list's default order (deadline, undated last, then id) read from the index instead of
        # sorting the whole team on every page, on SQLite and PostgreSQL alike; live tasks only.
        Index(
            "ix_tasks_live_by_deadline", "team_id", text("(due_at IS NULL)"), "due_at", "id",
            sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL"),
        ),
        # Counts without reading the rows: live tasks per status (the list's total, the board's columns)
        # and those done since a day (the board's done column), from the index alone.
        Index("ix_tasks_team_live_status", "team_id", "deleted_at", "status", "completed_at"),
        # Open tasks in deadline order, with what board columns and matrix quadrants filter on (so their
        # first cards and counts come from the index alone; deleted_at too, though always NULL here, else
        # SQLite does not see it covers the query). SQLite uses a partial index only when the query
        # repeats its condition literally: tasks.OPEN_TASK is that condition.
        Index(
            "ix_tasks_open_by_deadline", "team_id", text("(due_at IS NULL)"), "due_at", "id", "priority",
            "status", "deleted_at",
            sqlite_where=text("deleted_at IS NULL AND status != 'done'"),
            postgresql_where=text("deleted_at IS NULL AND status != 'done'"),
        ),
        # One board column (a status) of open tasks in deadline order: its first cards read from the
        # status onwards, not by checking the status of every open task of the team in deadline order.
        Index(
            "ix_tasks_open_by_status_deadline", "team_id", "status", text("(due_at IS NULL)"), "due_at", "id",
            sqlite_where=text("deleted_at IS NULL AND status != 'done'"),
            postgresql_where=text("deleted_at IS NULL AND status != 'done'"),
        ),
        # A person's open tasks of one priority in deadline order: my work reads each bucket's first cards
        # as one LIMITed range per priority, most important first (no sort of all the person's tasks).
        Index(
            "ix_tasks_open_by_assignee_priority", "assignee_id", "priority", text("(due_at IS NULL)"), "due_at",
            "id", "team_id", "status", "deleted_at",
            sqlite_where=text("deleted_at IS NULL AND status != 'done'"),
            postgresql_where=text("deleted_at IS NULL AND status != 'done'"),
        ),
        # A person's open tasks in deadline order (my work's buckets and counts), from the index alone.
        Index(
            "ix_tasks_open_by_assignee", "assignee_id", text("(due_at IS NULL)"), "due_at", "id", "priority",
            "team_id", "status", "deleted_at",
            sqlite_where=text("deleted_at IS NULL AND status != 'done'"),
            postgresql_where=text("deleted_at IS NULL AND status != 'done'"),
        ),
        # The days a change touches, recounted for the dashboard's tallies (tracker/tallies.py): tasks
        # created on a day, and open tasks due on a day per category (from the index alone; with the id,
        # PostgreSQL also reads the dashboard's dated lists from it in order).
        Index("ix_tasks_team_created", "team_id", "created_at"),
        Index(
            "ix_tasks_open_by_category_due", "team_id", "due_at", "id", "category_id", "status", "deleted_at",
            sqlite_where=text("deleted_at IS NULL AND status != 'done'"),
            postgresql_where=text("deleted_at IS NULL AND status != 'done'"),
        ),
        # The calendar's days, each one range of deadlines, with what its filters read (status, priority,
        # category, person, feature): a day's count and first cards come from the index alone under those
        # filters too. Its condition is the calendar's own wording (prioritisation._DATED), which SQLite
        # must find literally in a query to use a partial index, so other views' plans are left alone.
        Index(
            "ix_tasks_calendar", "team_id", "due_at", "id", "status", "priority", "category_id", "assignee_id",
            "feature_id", "deleted_at",
            sqlite_where=text("deleted_at IS NULL AND (due_at IS NULL) IS 0"),
            postgresql_where=text("deleted_at IS NULL AND (due_at IS NULL) IS false"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The description rendered and sanitised once when it is written; reads never render.
    description_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default="todo")
    priority: Mapped[str] = mapped_column(String(16), default="medium")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    estimate_hours: Mapped[float | None] = mapped_column(Float)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The day a deadline was given as (a date alone: 23:59:59 where the assignee works), so that it follows
    # a reassignment to another zone; None when it was given as an instant.
    due_date: Mapped[date | None] = mapped_column(Date)
    # A manager's place for the task in its assignee's queue ("start it before #120"): the forecast orders
    # the queue by this instead of the deadline. None: by the deadline.
    queue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    feature_id: Mapped[int | None] = mapped_column(ForeignKey("features.id", ondelete="SET NULL"), index=True)
    # An RFC 5545 RRULE (FREQ=WEEKLY;BYDAY=MO): completing the task creates the next occurrence.
    recurrence: Mapped[str | None] = mapped_column(String(300))

    # SQLAlchemy adds "AND version = :old" to every UPDATE, so two racing saves cannot both win.
    __mapper_args__ = {"version_id_col": version}

    team: Mapped[Team] = relationship()
    category: Mapped[Category] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    labels: Mapped[list[TaskLabel]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskLabel.name"
    )
    blocked_by: Mapped[list[Task]] = relationship(
        secondary=task_blockers,
        primaryjoin=lambda: Task.id == task_blockers.c.task_id,
        secondaryjoin=lambda: Task.id == task_blockers.c.blocker_id,
        order_by=lambda: Task.id,
    )
    time_entries: Mapped[list[TimeEntry]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TimeEntry.spent_on"
    )
    checklist: Mapped[list[ChecklistItem]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="ChecklistItem.position"
    )

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def is_open(self) -> bool:
        return self.status != "done"

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < now


class TaskLabel(db.Model):
    __tablename__ = "task_labels"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    task: Mapped[Task] = relationship(back_populates="labels")


class TimeEntry(db.Model):
    __tablename__ = "time_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    hours: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(500), default="")
    spent_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship(back_populates="time_entries")
    user: Mapped[User] = relationship()


__all__ = [
    "Category",
    "Task",
    "TaskLabel",
    "Team",
    "TeamMembership",
    "TimeEntry",
    "User",
    "task_blockers",
]


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SavedFilter(db.Model):
    """A named list or board filter: personal, or shared with the team by a manager."""

    __tablename__ = "saved_filters"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    view: Mapped[str] = mapped_column(String(16), default="list")
    query: Mapped[str] = mapped_column(String(2000), default="")
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship()
    user: Mapped[User] = relationship()


# Collaboration: comments, watchers, activity, notifications, email outbox, calendar feeds, webhooks.



class Comment(db.Model):
    """A Markdown comment on a task; `body_html` is rendered and sanitised when it is written."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_task_created", "task_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task] = relationship()
    author: Mapped[User | None] = relationship()


class TaskWatcher(db.Model):
    """Someone who follows a task: its reporter, assignee, commenters, and whoever clicked "watch"."""

    __tablename__ = "task_watchers"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class Activity(db.Model):
    """One entry of a task's history: a field change (old and new value), a comment, a time entry."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_team_created", "team_id", "created_at"),
        Index("ix_activities_task_created", "task_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # created, changed, deleted, restored, commented, comment_edited, comment_deleted, time_logged
    kind: Mapped[str] = mapped_column(String(24))
    field: Mapped[str | None] = mapped_column(String(32))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship()
    actor: Mapped[User | None] = relationship()
    comment: Mapped[Comment | None] = relationship()


class Notification(db.Model):
    """An in-app notification for one user."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    task: Mapped[Task | None] = relationship()


class ReminderSent(db.Model):
    """That a scheduled notification (due soon, at risk) went to a user, whatever their channel, so a
    re-run of the scan does not repeat it. The key names the task, the assignee and the deadline."""

    __tablename__ = "reminders_sent"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationPreference(db.Model):
    """How a user wants one kind of notification: in_app, email, both or none."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))


class OutboxEmail(db.Model):
    """An email written in the same transaction as the change that caused it, delivered after commit."""

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))


class DigestRun(db.Model):
    """That a user's daily digest for one local date was written: the primary key makes it once a day."""

    __tablename__ = "digest_runs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarFeed(db.Model):
    """A secret calendar URL: a user's own deadlines (team_id NULL) or all of one team's deadlines."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    team: Mapped[Team | None] = relationship()


class Webhook(db.Model):
    """An outgoing webhook of a team: a URL, a signing secret and the events it wants."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[str] = mapped_column(String(200))  # comma-separated WEBHOOK_EVENTS
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship()
    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="webhook", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def event_list(self) -> list[str]:
        return [e for e in self.events.split(",") if e]


class WebhookDelivery(db.Model):
    """One event sent (or to be sent) to one webhook, with its attempts and the last answer."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_pending", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)  # the exact JSON bytes that are signed and sent
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    webhook: Mapped[Webhook] = relationship(back_populates="deliveries")


class LoginSession(db.Model):
    """A signed-in browser. Its session and remember-me cookies carry a random token whose SHA-256 is the
    id here, so deleting the row (logout, sign out elsewhere, password change, idleness) ends both."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """Failed logins for one email address, known or not, in the current period: counted in the database
    so that every worker and host shares the count. The address is kept as a SHA-256 digest (people type
    passwords into the email field)."""

    __tablename__ = "login_failures"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its SHA-256 is stored (the codes
    are random enough that a plain digest cannot be reversed), and `used_at` spends it."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OidcIdentity(db.Model):
    """A person at an OpenID Connect provider (issuer, subject) linked to an account (tracker/oidc.py).
    Later sign-ins go by subject, so an email changed at the provider cannot reach another account; one
    identity per account and provider, so a recycled address at the provider cannot take one over."""

    __tablename__ = "oidc_identities"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_oidc_identities_issuer_subject"),
        UniqueConstraint("issuer", "user_id", name="uq_oidc_identities_issuer_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # as the provider last said, for the record
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class StoredForecast(db.Model):
    """The deadline-risk forecast of one open task, as last computed (tracker/stored_forecast.py keeps
    it fresh after every change that moves it, and a periodic pass moves "now" forward). Pages and the
    API read these rows like any column instead of recomputing the forecast."""

    __tablename__ = "task_forecasts"
    __table_args__ = (
        Index("ix_task_forecasts_team_at_risk", "team_id", "at_risk"),
        # The oldest of a team's forecasts (how fresh a page is) read from the index's first entry.
        Index("ix_task_forecasts_team_computed", "team_id", "computed_at"),
    )

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    projected_finish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    at_risk: Mapped[bool] = mapped_column(default=False)
    slack_hours: Mapped[float | None] = mapped_column(Float)
    remaining_hours: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(16))
    earlier_tasks: Mapped[int] = mapped_column(Integer, default=0)
    available_hours: Mapped[float | None] = mapped_column(Float)
    waits_for: Mapped[list] = mapped_column(JSON, default=list)
    unscheduled_blockers: Mapped[list] = mapped_column(JSON, default=list)
    cycle_blockers: Mapped[list] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoredPersonLoad(db.Model):
    """One member's workload over the team's open tasks (tracker.workload.PersonLoad), computed with the
    stored forecast and kept fresh by the same events and periodic pass; the dashboard reads it."""

    __tablename__ = "person_loads"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    open_tasks: Mapped[int] = mapped_column(Integer)
    remaining_hours: Mapped[float] = mapped_column(Float)
    unestimated: Mapped[int] = mapped_column(Integer)
    tight_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    needed_hours: Mapped[float] = mapped_column(Float)
    available_hours: Mapped[float] = mapped_column(Float)
    overdue_tasks: Mapped[int] = mapped_column(Integer)
    overdue_hours: Mapped[float] = mapped_column(Float)
    week_hours: Mapped[float] = mapped_column(Float)
    week_capacity_hours: Mapped[float] = mapped_column(Float)
    four_weeks_hours: Mapped[float] = mapped_column(Float)
    four_weeks_capacity_hours: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Features: a team's epics, what each must cover before it ships, and the task checklists.


feature_required_categories = Table(
    "feature_required_categories",
    db.metadata,
    Column("feature_id", ForeignKey("features.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# The team's definition of done: the categories a new feature requires (tracker/features.py supplies
# vocabulary.DEFAULT_DEFINITION_OF_DONE while a team has none stored).
definition_of_done = Table(
    "definition_of_done",
    db.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Feature(db.Model):
    """A team's epic ("Refunds endpoint"): tasks grouped towards a target date, with the categories
    (responsibilities) that must each have done work before it ships."""

    __tablename__ = "features"
    __table_args__ = (Index("ix_features_team_target", "team_id", "target_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")  # rendered when written
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    target_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="planned")
    ship_reason: Mapped[str | None] = mapped_column(String(500))  # why it shipped with work left
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    team: Mapped[Team] = relationship()
    owner: Mapped[User | None] = relationship()
    required_categories: Mapped[list[Category]] = relationship(
        secondary=feature_required_categories, order_by=lambda: (Category.position, Category.id)
    )


class CategoryTemplate(db.Model):
    """How the task that covers a category for a feature starts: a title pattern and a description whose
    "- [ ] …" lines become its checklist."""

    __tablename__ = "category_templates"

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)
    title_pattern: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Who does the task and how long it takes, when not the feature's owner and the built-in estimate.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    estimate_hours: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[Category] = relationship()


class FeatureActivity(db.Model):
    """One entry of a feature's history: created, a field changed (old and new value), shipped."""

    __tablename__ = "feature_activities"
    __table_args__ = (Index("ix_feature_activities_feature_created", "feature_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # created, changed, shipped
    field: Mapped[str | None] = mapped_column(String(32))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
    feature: Mapped[Feature] = relationship()


class ChecklistItem(db.Model):
    """One line of a task's checklist, in order, done or not."""

    __tablename__ = "checklist_items"
    __table_args__ = (Index("ix_checklist_items_task_position", "task_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(500))
    done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship(back_populates="checklist")


# Recurring work, reminders and invitations.


class TaskOccurrence(db.Model):
    """That completing a recurring task created its next occurrence: the primary key makes it once, however
    often the task is reopened and completed again (tracker/recurrence.py)."""

    __tablename__ = "task_occurrences"

    previous_task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    next_task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderLeadTime(db.Model):
    """How long before a deadline a person wants to be reminded: an amount of hours or days, counted in
    calendar time or in their working time (tracker/reminders.py)."""

    __tablename__ = "reminder_lead_times"
    __table_args__ = (UniqueConstraint("user_id", "amount", "unit", "working"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))  # hours or days
    working: Mapped[bool] = mapped_column(default=False)


class Invitation(db.Model):
    """An invitation to join a team with a role, sent to an email address. Only the SHA-256 of its token
    is kept; it is live until accepted, revoked or expired (tracker/invitations.py)."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_team_email", "team_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16), default="member")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class UndoRecord(db.Model):
    """What one action (a task marked done, moved to the trash, a bulk change) replaced, so that the person
    who did it can take it back for a few seconds (tracker/undo.py); a bulk change's per-task results too."""

    __tablename__ = "undo_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # done, trash, bulk
    label: Mapped[str] = mapped_column(String(300))
    # [{"task_id", "version" (after the action), "before": {field: value} or "trashed": true}]
    changes: Mapped[list] = mapped_column(JSON, default=list)
    # A bulk change's outcome per task: [{"task_id", "outcome", "detail"}]
    results: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BoardView(db.Model):
    """What a person last chose on a team's board: its filter (query arguments) and swimlanes; the board
    opens on it next time (tracker/boards.py)."""

    __tablename__ = "board_views"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True)
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BurnupDay(db.Model):
    """Per team and UTC day: the estimate of the live tasks created that day and of the done tasks
    completed that day (the dashboard's burn-up adds these up; tracker/tallies.py keeps them)."""

    __tablename__ = "burnup_days"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    scope_hours: Mapped[float] = mapped_column(Float, default=0.0)
    done_hours: Mapped[float] = mapped_column(Float, default=0.0)


class CategoryDay(db.Model):
    """Per team, category and UTC day of deadline (UNDATED for none): how many open live tasks are due
    then and how many of those the stored forecast puts at risk (the dashboard's per-category counts;
    tracker/tallies.py keeps them). Only days that hold open tasks have a row."""

    __tablename__ = "category_days"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    open_tasks: Mapped[int] = mapped_column(Integer, default=0)
    at_risk_tasks: Mapped[int] = mapped_column(Integer, default=0)


class StatusTotal(db.Model):
    """Per team and status: how many live tasks have it (the task list's total when no filter but the
    status narrows it; tracker/tallies.py keeps them). Only statuses that hold live tasks have a row."""

    __tablename__ = "status_totals"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    tasks: Mapped[int] = mapped_column(Integer, default=0)


class WipLimit(db.Model):
    """A team's work-in-progress limit for one board column (an open status), set by a manager."""

    __tablename__ = "wip_limits"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    wip_limit: Mapped[int] = mapped_column(Integer)


class DataVersion(db.Model):
    """One row whose number every committed write moves on, in the same transaction as the write: what
    the cached responses are keyed by (tracker/response_cache.py)."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
