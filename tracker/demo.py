"""A realistic demo team: people in several time zones, a few hundred tasks across all categories, and a
few features (one shipped, one at risk, one missing its security review and docs)."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from . import features, stored_forecast
from .accounts import find_user_by_email
from .checklists import add_items
from .comments import add_comment
from .errors import NotFound
from .extensions import db
from .models import PRIORITIES, Task, TaskLabel, Team, TeamMembership, TimeEntry, User
from .tasks import create_task
from .teams import create_team
from .text import render_markdown

DEMO_SLUG = "demo"
# The demo logins' published password (printed by seed-demo, in the README), not a secret.
DEMO_PASSWORD = "tracker-demo"  # nosec B105
PEOPLE = (
    # email, name, zone, role, work days, hours
    ("ana@demo.test", "Ana Costa", "Europe/Lisbon", "owner", "1,2,3,4,5", (9, 17)),
    ("ben@demo.test", "Ben Okafor", "America/New_York", "manager", "1,2,3,4,5", (9, 17)),
    ("chiara@demo.test", "Chiara Sato", "Asia/Tokyo", "member", "1,2,3,4,5", (10, 18)),
    ("dev@demo.test", "Dev Patel", "Asia/Kolkata", "member", "1,2,3,4,5", (9, 17)),
    ("eli@demo.test", "Eli Ngata", "Pacific/Auckland", "member", "1,2,3,4", (8, 16)),
    ("fran@demo.test", "Fran Müller", "America/Los_Angeles", "member", "1,2,3,4,5", (8, 16)),
)
WORK = {
    "architecture": ["Decide on event bus for {thing}", "Write ADR: {thing} boundaries", "Split {thing} out of the monolith", "Review caching strategy for {thing}"],
    "server-code": ["Implement {thing} endpoint", "Refactor {thing} service", "Fix race in {thing} worker", "Add retries to {thing} client"],
    "database": ["Add index for {thing} lookups", "Migrate {thing} table to partitioning", "Backfill {thing} column", "Tune slow {thing} query"],
    "integration": ["Agree {thing} payload with front-end", "Expose {thing} pagination to the web app", "Fix CORS for {thing}", "Version the {thing} response"],
    "api-docs": ["Document {thing} errors", "Add examples for {thing}", "Publish OpenAPI for {thing}", "Changelog entry for {thing}"],
    "testing": ["Contract tests for {thing}", "Load test {thing}", "Flaky test in {thing} suite", "Property tests for {thing} parser"],
    "security": ["Threat model {thing}", "Rotate {thing} credentials", "Rate-limit {thing}", "Audit permissions of {thing}"],
    "devops": ["Alert on {thing} latency", "Blue-green deploy for {thing}", "Dashboards for {thing}", "Terraform {thing} bucket"],
    "upgrades": ["Upgrade {thing} to PostgreSQL 17", "Move {thing} to Python 3.13", "Evaluate HTTP/3 for {thing}", "Bump {thing} dependencies"],
}
THINGS = ["billing", "invoices", "auth", "search", "notifications", "payments", "reports", "webhooks",
          "accounts", "exports", "audit log", "sessions", "uploads", "ledger", "pricing"]
LABELS = ["backend", "customer", "tech-debt", "q4", "incident", "quick-win", "spike"]


def seed_demo(owner_email: str | None = None, task_count: int = 320, seed: int = 7) -> tuple[Team, list[tuple[str, str]]]:
    """Create the demo team once; later calls return it unchanged. Returns it and the demo logins."""
    logins = [(email, DEMO_PASSWORD) for email, *_ in PEOPLE]
    team = db.session.scalar(select(Team).where(Team.slug == DEMO_SLUG))
    if team is not None:
        return team, logins
    owner = find_user_by_email(owner_email) if owner_email else None
    if owner_email and owner is None:  # checked before anything is added, so a typo leaves no trace
        raise NotFound(f"no user with email {owner_email}")
    # Seeded, so the demo is the same every time; nothing secret is drawn from it.
    rng = random.Random(seed)  # nosec B311
    users = _demo_people()
    team = create_team(owner or users[0], "Platform (demo)", slug=DEMO_SLUG)
    for user, (_e, _n, _z, role, *_rest) in zip(users, PEOPLE):
        if user.id != (owner or users[0]).id:
            db.session.add(TeamMembership(team=team, user=user, role=role))
    tasks = [_demo_task(team, users, rng) for _ in range(task_count)]
    db.session.add_all(tasks)
    db.session.flush()
    _link_and_log(tasks, rng)
    db.session.commit()
    _discuss(team, tasks, rng)
    _features(team)
    stored_forecast.refresh_all()  # the tasks were written directly, not through the events
    return team, logins


def _demo_people() -> list[User]:
    """The demo's people (existing accounts with their emails are reused)."""
    users = []
    for email, name, zone, _role, days, (start, end) in PEOPLE:
        user = find_user_by_email(email)
        if user is None:
            user = User(email=email, name=name, timezone=zone, work_days=days,
                        work_start=time(start), work_end=time(end),
                        password_hash=generate_password_hash(DEMO_PASSWORD, method="scrypt"))
            db.session.add(user)
        users.append(user)
    db.session.flush()
    return users


def _demo_task(team: Team, users: list[User], rng: random.Random) -> Task:
    """One task of the last ten weeks: about 40 % done, most with a deadline, a few unassigned."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    categories = {c.slug: c for c in team.categories}
    slug = rng.choice(list(WORK))
    title = rng.choice(WORK[slug]).format(thing=rng.choice(THINGS))
    created = now - timedelta(days=rng.uniform(0, 70))
    status = rng.choices(["todo", "in_progress", "in_review", "blocked", "done"], [30, 18, 8, 4, 40])[0]
    due = None
    if rng.random() < 0.8:
        due = now + timedelta(days=rng.uniform(-20, 45))
        due = due.replace(hour=rng.choice([12, 16, 17, 21]))
    assignee = rng.choice(users + [None]) if rng.random() < 0.95 else None
    description = f"Part of the **{slug}** work on {title.lower()}.\n\n- check the runbook\n- update the docs"
    task = Task(
        team=team, category=categories[slug], title=f"{title}", status=status,
        priority=rng.choices(PRIORITIES, [6, 22, 50, 22])[0],
        description=description, description_html=str(render_markdown(description)),
        due_at=due, estimate_hours=rng.choice([None, 1, 2, 3, 4, 6, 8, 12, 16]),
        assignee=assignee, reporter=rng.choice(users), created_at=created,
        updated_at=created + timedelta(days=rng.uniform(0, 3)),
    )
    if status == "done":
        task.completed_at = min(now, created + timedelta(days=rng.uniform(0.5, 14)))
        task.updated_at = task.completed_at
    task.labels = [TaskLabel(name=name) for name in rng.sample(LABELS, rng.choice([0, 0, 1, 1, 2]))]
    return task


def _link_and_log(tasks: list[Task], rng: random.Random) -> None:
    """Some "blocked by" links between open tasks, and time logged on started work."""
    open_tasks = [t for t in tasks if t.status != "done"]
    for task in rng.sample(open_tasks, min(25, len(open_tasks))):
        blocker = rng.choice(open_tasks)
        if blocker.id < task.id:  # always an earlier task, so links never form a loop
            task.blocked_by = [blocker]
    for task in tasks:
        if task.assignee and task.estimate_hours and task.status != "todo":
            for _ in range(rng.randint(1, 3)):
                day = (task.created_at + timedelta(days=rng.uniform(0, 7))).date()
                db.session.add(TimeEntry(task=task, user=task.assignee, hours=rng.choice([0.5, 1, 1.5, 2, 3]),
                                         note="", spent_on=min(day, date.today())))


COMMENTS = [
    "I can pick this up after the release, @{name}.",
    "Blocked on the staging database; @{name} can you grant me access?",
    "Draft PR is up. The migration runs in ~40 s on a copy of production.",
    "Let's keep the old endpoint for one more version and mark it *deprecated*.",
    "`EXPLAIN ANALYZE` shows a sequential scan; an index on `(team_id, created_at)` should fix it.",
    "Moved the deadline: the vendor needs until Friday. @{name} FYI.",
]


def _discuss(team: Team, tasks: list[Task], rng: random.Random) -> None:
    """A few comment threads (with mentions), written through the comments module so they show up in
    the activity history and notifications like real ones."""
    members = {m.user_id: m for m in team.memberships}
    people = [m.user for m in team.memberships]
    for task in rng.sample([t for t in tasks if t.status != "done"], 30):
        for _ in range(rng.randint(1, 3)):
            author = rng.choice(people)
            other = rng.choice([p for p in people if p.id != author.id])
            body = rng.choice(COMMENTS).format(name=other.name.split()[0])
            add_comment(members[author.id], task, body)


# Features: (title, target in days from today, state, owner's email, required categories (None: the
# definition of done), tasks as (category, title, status, assignee's email, estimate hours)).
FEATURES = (
    ("Refunds endpoint", -6, "shipped", "ben@demo.test", None, (
        ("server-code", "Implement POST /refunds", "done", "dev@demo.test", 12),
        ("testing", "Contract tests for refunds", "done", "fran@demo.test", 6),
        ("api-docs", "Document the refund errors", "done", "chiara@demo.test", 3),
        ("security", "Security review: Refunds endpoint", "done", "ben@demo.test", 4),
    )),
    # Far more work than Dev's week holds: projected after its target date.
    ("Usage-based pricing", 4, "active", "ana@demo.test",
     ("server-code", "database", "testing", "api-docs", "security"), (
        ("database", "Meter table and its monthly partitions", "in_progress", "dev@demo.test", 16),
        ("server-code", "Rate the metered usage per plan", "todo", "dev@demo.test", 40),
        ("testing", "Property tests for the rating", "todo", "fran@demo.test", 12),
        ("api-docs", "Document the usage endpoints", "todo", "chiara@demo.test", 4),
        ("security", "Security review: Usage-based pricing", "todo", "ben@demo.test", 4),
    )),
    # Code and tests under way, but no one has the security review or the docs yet.
    ("Audit log export", 21, "active", "ben@demo.test", None, (
        ("server-code", "Stream the audit log as CSV", "in_progress", "eli@demo.test", 10),
        ("testing", "Tests for the audit export filters", "todo", "eli@demo.test", 6),
    )),
)


def _features(team: Team) -> None:
    """The demo's features, made through the domain functions so that their history, coverage and
    forecast are what a real team would see."""
    members = {m.user.email: m for m in team.memberships}
    today = date.today()
    for title, days, state, owner, required, work in FEATURES:
        data = {"title": title, "target_date": today + timedelta(days=days), "state": "active",
                "owner_id": members[owner].user_id,
                "description": f"{title}: what the customers asked for, behind a flag until it ships."}
        if required is not None:
            data["required_categories"] = list(required)
        feature = features.create_feature(members[owner], data)
        for category, task_title, status, assignee, hours in work:
            task = create_task(members[owner], {
                "title": task_title, "category": category, "status": status, "feature_id": feature.id,
                "assignee_id": members[assignee].user_id, "estimate_hours": hours,
                "due_at": today + timedelta(days=min(days - 1, 7))})
            if category == "security":
                add_items(members[owner], task, [("Authentication", status == "done"),
                                                 ("Authorisation per object", status == "done"),
                                                 ("Input validation", False), ("Rate limiting", False)])
        if state == "shipped":
            features.update_feature(members[owner], feature, {"state": "shipped"})
