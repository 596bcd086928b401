"""Fixtures: an app with a fresh database per test (SQLite file, or a schema on the PostgreSQL that
DATABASE_URL names), a client, and shared casts of users. Factories live in tests/factories.py, plumbing
(need, fresh_database, build_app, free_port) in tests/support.py."""
from __future__ import annotations

import pytest

from tests.factories import add_to_team, make_team, make_user
from tests.support import build_app, fresh_database
from tracker.extensions import db


@pytest.fixture
def database(tmp_path):
    """A URI and engine options for an empty database private to this test."""
    with fresh_database(tmp_path) as uri_and_options:
        yield uri_and_options


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
