"""A seeded world for the tests that try every route: two teams, each with its people and one object of
every kind made by the owner, and a repair that puts back what a request used up."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from tests.factories import PASSWORD, add_to_team, make_task, make_team, make_user, membership
from tracker import (
    checklists,
    comments,
    features,
    feeds,
    invitations,
    saved_filters,
    sessions,
    tasks,
    timelog,
    tokens,
    undo,
)
from tracker.extensions import db
from tracker.models import (
    ApiToken,
    CalendarFeed,
    Category,
    ChecklistItem,
    Comment,
    Feature,
    Invitation,
    LoginSession,
    SavedFilter,
    Task,
    TeamMembership,
    TimeEntry,
    UndoRecord,
    User,
    Webhook,
)
from tracker.tokens import digest

# A public address literal: the webhook check accepts it without DNS, and nothing is sent (DELIVERY=cron).
HOOK_URL = "https://93.184.216.34/tracker-hook"
TODAY = date.today().isoformat()


@dataclass
class Side:
    """One team, its people and one object of every kind, each made by the owner."""

    team_id: int
    owner: User
    manager: User | None
    member: User | None
    target: User  # a plain member whom role changes and removals aim at
    task_id: int = 0
    trashed_id: int = 0
    comment_id: int = 0
    entry_id: int = 0
    category_id: int = 0
    filter_id: int = 0
    webhook_id: int = 0
    feature_id: int = 0
    item_id: int = 0  # a checklist item of the live task
    invitation_id: int = 0  # a pending invitation to an address nobody in the world has
    invitation_token: str = ""
    token_id: int = 0
    secret: str = ""
    session_id: str = ""  # a second signed-in browser of the owner
    record_id: int = 0  # an undo record of the owner's (undoing it finds the task moved on: no write)

    def owner_membership(self) -> TeamMembership:
        return membership(self.team_id, self.owner)

    def params(self) -> dict[str, object]:
        return {"team_id": self.team_id, "task_id": self.task_id, "comment_id": self.comment_id,
                "entry_id": self.entry_id, "category_id": self.category_id, "filter_id": self.filter_id,
                "webhook_id": self.webhook_id, "feature_id": self.feature_id, "item_id": self.item_id,
                "user_id": self.target.id, "token_id": self.token_id, "invitation_id": self.invitation_id,
                "token": self.invitation_token,
                "secret": self.secret, "session_id": self.session_id, "filename": "css/app.css",
                "record_id": self.record_id}

    def repair(self) -> None:
        """Put back whatever an allowed request used up (a trashed task, a removed member, a revoked
        token…), so every case starts from the same world."""
        db.session.rollback()
        db.session.expire_all()
        self._repair_people()
        task = self._repair_tasks()
        self._repair_objects(task)
        self._repair_account()
        self._repair_invitation()

    def _repair_people(self) -> None:
        for user, role in ((self.owner, "owner"), (self.manager, "manager"), (self.member, "member"),
                           (self.target, "member")):
            if user is None:
                continue
            m = membership(self.team_id, user)
            if m is None:
                db.session.add(TeamMembership(team_id=self.team_id, user_id=user.id, role=role))
            elif m.role != role:
                m.role = role
        db.session.commit()

    def _repair_tasks(self) -> Task:
        owner = self.owner_membership()
        task = db.session.get(Task, self.task_id)
        if task is None or task.deleted_at is not None:
            task = task or make_task(owner, "Live task")
            task.deleted_at = task.deleted_by_id = None
            db.session.commit()
        self.task_id = task.id
        trashed = db.session.get(Task, self.trashed_id) or make_task(owner, "Trashed task")
        if trashed.deleted_at is None:
            tasks.move_to_trash(owner, trashed)
        self.trashed_id = trashed.id
        return task

    def _repair_objects(self, task: Task) -> None:
        owner = self.owner_membership()
        if db.session.get(Comment, self.comment_id) is None:
            self.comment_id = comments.add_comment(owner, task, "The owner's comment").id
        if db.session.get(TimeEntry, self.entry_id) is None:
            self.entry_id = timelog.log_time(owner, task, 1.5, date.today(), "The owner's time").id
        category = db.session.get(Category, self.category_id)
        if category is None:
            category = Category(team_id=self.team_id, slug="matrix", name="Matrix", position=99)
            db.session.add(category)
        category.archived = False
        db.session.commit()
        self.category_id = category.id
        if db.session.get(SavedFilter, self.filter_id) is None:
            self.filter_id = saved_filters.save_filter(owner, "Shared by the owner", "list",
                                                       tasks.TaskFilter(), shared=True).id
        if db.session.get(Webhook, self.webhook_id) is None:
            hook = Webhook(team_id=self.team_id, url=HOOK_URL, secret="s" * 32, events="task.created",
                           created_by_id=self.owner.id)
            db.session.add(hook)
            db.session.commit()
            self.webhook_id = hook.id
        self._repair_feature(task)

    def _repair_feature(self, task: Task) -> None:
        owner = self.owner_membership()
        feature = db.session.get(Feature, self.feature_id)
        if feature is None:
            self.feature_id = features.create_feature(owner, {"title": "The owner's feature"}).id
        elif feature.state != "planned":  # shipped by an allowed request: open again
            feature.state, feature.ship_reason, feature.shipped_at = "planned", None, None
            db.session.commit()
        if db.session.get(ChecklistItem, self.item_id) is None:
            self.item_id = checklists.add_item(owner, task, "The owner's item").id

    def _repair_account(self) -> None:
        spare = db.session.get(ApiToken, self.token_id)
        if spare is None or spare.revoked_at is not None:
            self.token_id = tokens.create_token(self.owner, "spare")[0].id
        if db.session.get(LoginSession, self.session_id) is None:
            self.session_id = digest(sessions.start_session(self.owner, user_agent="spare"))
        record = db.session.get(UndoRecord, self.record_id)
        if record is None or record.used_at is not None:
            self.record_id = undo.record(self.owner, self.team_id, "done", "The owner's undo", [
                {"task_id": self.task_id, "version": 0, "before": {"status": "todo"}}]).id
        feeds.feed_urls(self.owner)
        self.secret = db.session.scalar(sa.select(CalendarFeed.secret).where(
            CalendarFeed.user_id == self.owner.id, CalendarFeed.team_id.is_(None)))

    def _repair_invitation(self) -> None:
        invitation = db.session.get(Invitation, self.invitation_id)
        if invitation is None or invitation.revoked_at is not None or invitation.accepted_at is not None:
            address = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
            invitation, self.invitation_token = invitations.invite(self.owner_membership(), address)
            self.invitation_id = invitation.id


def seed_side(name: str, with_staff: bool) -> Side:
    """A team called "Team {name}": its owner, a manager and a member (with_staff), and a target member."""
    owner = make_user(f"{name} owner")
    owner_m = make_team(owner, f"Team {name}")
    manager = member = None
    if with_staff:
        manager, member = make_user(f"{name} manager"), make_user(f"{name} member")
        add_to_team(owner_m, manager, "manager")
        add_to_team(owner_m, member, "member")
    target = make_user(f"{name} target")
    add_to_team(owner_m, target, "member")
    side = Side(owner_m.team_id, owner, manager, member, target)
    side.repair()
    return side


def sign_in(client, user: User) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def url_for_rule(app, rule, params: dict) -> str:
    """The URL of a routing rule with its arguments taken from `params`."""
    with app.test_request_context():
        return app.url_for(rule.endpoint, **{name: params[name] for name in rule.arguments})
