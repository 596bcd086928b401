"""Fixtures: an app with a fresh database per test (SQLite file, or a schema on the PostgreSQL that
DATABASE_URL names), a client, and small factories for users, teams and tasks."""
from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from datetime import time

import pytest
import sqlalchemy as sa

from tracker import create_app
from tracker.config import TestConfig
from tracker.extensions import db
from tracker.models import Task, TeamMembership, User
from tracker.tasks import create_task
from tracker.teams import create_team

REQUIRE_ALL = os.environ.get("TRACKER_REQUIRE_ALL") == "1"
PASSWORD = "correct horse battery"


def need(condition: bool, reason: str) -> None:
    """Skip when an external component is missing, unless TRACKER_REQUIRE_ALL=1 makes that a failure."""
    if not condition:
        if REQUIRE_ALL:
            pytest.fail(f"{reason} (TRACKER_REQUIRE_ALL=1 turns this skip into a failure)")
        pytest.skip(reason)


def postgres_url() -> str | None:
    url = os.environ.get("TRACKER_POSTGRES_URL") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith("postgresql") else None


@pytest.fixture
def database(tmp_path):
    """A URI and engine options for an empty database private to this test."""
    with fresh_database(tmp_path) as uri_and_options:
        yield uri_and_options


@contextmanager
def fresh_database(directory):
    """An empty database (SQLite file in `directory`, or a new schema on DATABASE_URL), dropped after."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{directory / 'test.db'}", {}
        return
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True}
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def build_app(database, **overrides):
    uri, engine_options = database
    app = create_app(TestConfig(uri, SQLALCHEMY_ENGINE_OPTIONS=engine_options, **overrides))
    # Tests keep an app context pushed and Flask reuses it for their requests, so `g` would outlive a
    # request: Flask-Login caches the user there, and the next request (even from another client)
    # would run as that user. Start each request with a clean `g`, as a real server does.
    app.teardown_request(lambda _exc: _clear_request_globals())
    return app


def _clear_request_globals() -> None:
    from flask import g

    g.__dict__.clear()


@pytest.fixture
def app(database):
    app = build_app(database)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# Factories ------------------------------------------------------------------------------------


def make_user(name: str = "Ana", email: str | None = None, timezone: str = "UTC", **fields) -> User:
    from werkzeug.security import generate_password_hash

    email = email or f"{re.sub(r'[^a-z]', '', name.lower()) or 'user'}-{uuid.uuid4().hex[:6]}@example.com"
    user = User(email=email, name=name, timezone=timezone,
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
                work_days=fields.pop("work_days", "1,2,3,4,5"),
                work_start=fields.pop("work_start", time(9)), work_end=fields.pop("work_end", time(17)),
                **fields)
    db.session.add(user)
    db.session.commit()
    return user


def make_team(owner: User, name: str = "Backend") -> TeamMembership:
    team = create_team(owner, name)
    return membership(team.id, owner)


def membership(team_id: int, user: User) -> TeamMembership:
    return db.session.scalar(
        sa.select(TeamMembership).where(TeamMembership.team_id == team_id, TeamMembership.user_id == user.id)
    )


def add_to_team(owner_member: TeamMembership, user: User, role: str = "member") -> TeamMembership:
    m = TeamMembership(team_id=owner_member.team_id, user_id=user.id, role=role)
    db.session.add(m)
    db.session.commit()
    return m


def make_task(member: TeamMembership, title: str = "Write the migration", **fields) -> Task:
    fields.setdefault("category", "database")
    return create_task(member, {"title": title, **fields})


def login(client, user: User, password: str = PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def team_of_three(app):
    """An owner, a manager and a member in one team, and an outsider with a team of their own."""
    owner = make_user("Olga", timezone="Europe/Lisbon")
    manager = make_user("Manu", timezone="America/New_York")
    member = make_user("Mia", timezone="Asia/Tokyo")
    outsider = make_user("Otto")
    o = make_team(owner, "Backend")
    add_to_team(o, manager, "manager")
    add_to_team(o, member, "member")
    other = make_team(outsider, "Elsewhere")
    return {"owner": owner, "manager": manager, "member": member, "outsider": outsider,
            "team_id": o.team_id, "other_team_id": other.team_id}
