"""Command-line commands of the contract (`create-user`, `seed-demo`), and every page on the demo data
as each demo role without a server error."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from tests.factories import make_user
from tests.support import fresh_database, running_app
from tracker.demo import DEMO_PASSWORD
from tracker.extensions import db
from tracker.models import Category, Task, TaskLabel, Team, TeamMembership, TimeEntry, User
from tracker.vocabulary import DEFAULT_CATEGORIES


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


# create-user ----------------------------------------------------------------------------------


def test_create_user(app):
    result = run(
        app,
        "create-user",
        "Ana@Example.com",
        "--name",
        "Ana Costa",
        "--password",
        "long enough",
        "--timezone",
        "Pacific/Auckland",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert f"Created user ana@example.com (id {user.id})." in result.stdout
    assert (user.email, user.name, user.timezone) == ("ana@example.com", "Ana Costa", "Pacific/Auckland")
    assert check_password_hash(user.password_hash, "long enough")
    assert (
        app.test_client()
        .post("/login", data={"email": "ana@example.com", "password": "long enough"})
        .status_code
        == 302
    )


def test_create_user_defaults_to_utc(app):
    assert run(app, "create-user", "b@example.com", "--name", "B", "--password", "long enough").exit_code == 0
    assert db.session.scalar(select(User.timezone)) == "UTC"


def test_create_user_with_a_taken_email_exits_1_with_a_message(app):
    make_user("Ana", email="ana@example.com")
    result = run(app, "create-user", "ANA@example.com", "--name", "Other", "--password", "long enough")
    assert result.exit_code == 1
    assert "error: email: An account with this email already exists." in result.stderr
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", "short"], "error: password: Use at least 8 characters."),
        (["--password", "long enough", "--timezone", "Moon/Base"], "error: timezone: Unknown time zone"),
    ],
)
def test_create_user_with_bad_input_exits_1(app, args, message):
    result = run(app, "create-user", "c@example.com", "--name", "C", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


# seed-demo ------------------------------------------------------------------------------------


def snapshot() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Team, TeamMembership, Category, Task, TaskLabel, TimeEntry)
    }


def seed_demo(app) -> dict:
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    return {"team": db.session.scalar(select(Team).where(Team.slug == "demo")), "output": result.output}


@pytest.fixture
def demo(app):
    return seed_demo(app)


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """One app on a database of its own, seeded once for the module's read-only tests (the role crawl)."""
    with fresh_database(tmp_path_factory.mktemp("demo")) as database, running_app(database) as app:
        yield app, seed_demo(app)


def test_seed_demo_makes_a_realistic_team(demo_site):
    app, demo = demo_site
    team = demo["team"]
    tasks = list(db.session.scalars(select(Task).where(Task.team_id == team.id)))
    assert len(tasks) >= 300
    assert {t.category.slug for t in tasks} == {slug for slug, _name in DEFAULT_CATEGORIES}  # all used
    assert {t.status for t in tasks} == {"todo", "in_progress", "in_review", "blocked", "done"}
    assert {t.priority for t in tasks} == {"critical", "high", "medium", "low"}
    now = datetime.now(UTC)
    overdue = [t for t in tasks if t.is_overdue(now)]
    assert 10 <= len(overdue) < len(tasks) / 2
    assert any(t.due_at and t.due_at > now for t in tasks) and any(t.due_at is None for t in tasks)
    members = list(db.session.scalars(select(TeamMembership).where(TeamMembership.team_id == team.id)))
    assert Counter(m.role for m in members) == {"owner": 1, "manager": 1, "member": 4}
    assert len({m.user.timezone for m in members}) >= 4
    assert (
        any(t.blocked_by for t in tasks)
        and db.session.scalar(select(func.count()).select_from(TimeEntry)) > 0
    )
    # It prints the logins, and they work.
    assert "ana@demo.test" in demo["output"] and DEMO_PASSWORD in demo["output"]
    assert (
        app.test_client()
        .post("/login", data={"email": "ben@demo.test", "password": DEMO_PASSWORD})
        .status_code
        == 302
    )


def test_seed_demo_twice_changes_nothing(app, demo):
    before = snapshot()
    result = run(app, "seed-demo")
    assert result.exit_code == 0
    assert snapshot() == before


def test_seed_demo_if_empty_does_nothing_on_a_used_database(app):
    make_user("Ana")
    assert run(app, "seed-demo", "--if-empty").exit_code == 0
    assert snapshot()["Task"] == 0


def test_seed_demo_owner_makes_an_existing_user_the_owner(app):
    me = make_user("Me", email="me@example.com")
    result = run(app, "seed-demo", "--owner", "ME@example.com")
    assert result.exit_code == 0, result.output
    team = db.session.scalar(select(Team).where(Team.slug == "demo"))
    role = db.session.scalar(
        select(TeamMembership.role).where(TeamMembership.team_id == team.id, TeamMembership.user_id == me.id)
    )
    assert role == "owner"


def test_seed_demo_with_an_unknown_owner_exits_1_and_creates_nothing(app):
    result = run(app, "seed-demo", "--owner", "nobody@example.com")
    assert result.exit_code == 1
    assert "nobody@example.com" in result.stderr
    assert snapshot() == dict.fromkeys(snapshot(), 0)


# Every page on the demo data ------------------------------------------------------------------

SKIP = re.compile(r"^/(static/|logout|calendar/.+\.ics)")


def pattern(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def crawl(client, starts: list[str], per_pattern: int = 3, limit: int = 400) -> dict[str, int]:
    """GET every same-site link reachable from `starts`, a few of each URL shape; returns url → status."""
    seen: dict[str, int] = {}
    shapes: Counter = Counter()
    queue = list(starts)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if not response.content_type.startswith("text/html"):
            continue
        for href in re.findall(r'href="([^"#]+)"', response.get_data(as_text=True)):
            href = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(href)
            if (
                parts.scheme not in ("", "http")
                or parts.netloc not in ("", "localhost")
                or SKIP.match(parts.path)
            ):
                continue
            shape = pattern(parts.path) + (
                "?" + "&".join(sorted(re.findall(r"(\w+)=", parts.query))) if parts.query else ""
            )
            if href not in seen and shapes[shape] < per_pattern:
                shapes[shape] += 1
                queue.append(href)
    return seen


@pytest.mark.parametrize("email", ["ana@demo.test", "ben@demo.test", "chiara@demo.test"])
def test_no_page_fails_on_the_demo_data_for_any_role(demo_site, email):
    app, demo = demo_site
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
    team_id = demo["team"].id
    task_ids = list(db.session.scalars(select(Task.id).where(Task.team_id == team_id).order_by(Task.id)))
    starts = [
        "/teams",
        f"/teams/{team_id}/tasks",
        f"/teams/{team_id}/tasks?overdue=true&sort=-priority",
        f"/teams/{team_id}/tasks?page=3",
        "/settings",
    ]
    starts += [f"/tasks/{i}" for i in task_ids[::40]] + [f"/tasks/{i}/edit" for i in task_ids[::80]]
    statuses = crawl(client, starts)
    assert len(statuses) > 30
    failures = {url: status for url, status in statuses.items() if status >= 500}
    assert failures == {}
    # Plain members are refused manager pages (403), never shown an error page for existing ones.
    assert set(statuses.values()) <= {200, 302, 403}, {
        u: s for u, s in statuses.items() if s not in (200, 302)
    }
