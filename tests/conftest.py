"""Fixtures: an app with a fresh database per test (SQLite file, or a schema on the PostgreSQL that
DATABASE_URL names), a client, and shared casts of users. Factories live in tests/factories.py, plumbing
(need, fresh_database, running_app, free_port) in tests/support.py."""
from __future__ import annotations

from contextlib import ExitStack

import pytest

from tests.factories import add_to_team, make_team, make_user, membership
from tests.figures import pytest_terminal_summary  # noqa: F401  (the security and reliability figures)
from tests.support import fresh_database, running_app


@pytest.fixture
def database(tmp_path):
    """A URI and engine options for an empty database private to this test."""
    with fresh_database(tmp_path) as uri_and_options:
        yield uri_and_options


@pytest.fixture
def make_app(database):
    """Make an app on this test's database: `make_app(WTF_CSRF_ENABLED=True)` overrides the test
    configuration, `tables=False` leaves the database empty (for migrations). Its app context stays
    pushed for the rest of the test; each app made is cleaned up at the end, whatever happened."""
    with ExitStack() as made:
        yield lambda tables=True, **overrides: made.enter_context(
            running_app(database, tables=tables, **overrides)
        )


@pytest.fixture
def app(make_app):
    return make_app()


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


@pytest.fixture
def crew(team_of_three):
    """team_of_three plus the memberships of the team's owner, manager and member."""
    t = team_of_three
    return {**t, **{f"{who}_m": membership(t["team_id"], t[who]) for who in ("owner", "manager", "member")}}


@pytest.fixture
def pacific(app):
    """Sione in Tonga (UTC+13 all year) owns a team; Kai in Honolulu (UTC-10 all year, 23 hours behind)
    is a member: `t` and `h` are their memberships."""
    tonga = make_user("Sione", timezone="Pacific/Tongatapu")
    hawaii = make_user("Kai", timezone="Pacific/Honolulu")
    t = make_team(tonga, "Pacific")
    h = add_to_team(t, hawaii)
    return {"tonga": tonga, "hawaii": hawaii, "t": t, "h": h, "team_id": t.team_id}
