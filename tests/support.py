"""Test plumbing that is not a fixture: external components (`need`, PostgreSQL), empty databases, the
app built for tests (`running_app`), and a free TCP port. Imported as `from tests.support import …`."""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event

from tracker import create_app
from tracker.config import TestConfig
from tracker.extensions import db
from tracker.response_cache import Responses

REQUIRE_ALL = os.environ.get("TRACKER_REQUIRE_ALL") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip when an external component is missing, unless TRACKER_REQUIRE_ALL=1 makes that a failure."""
    if not condition:
        if REQUIRE_ALL:
            pytest.fail(f"{reason} (TRACKER_REQUIRE_ALL=1 turns this skip into a failure)")
        pytest.skip(reason)


def postgres_url() -> str | None:
    url = os.environ.get("TRACKER_POSTGRES_URL") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith("postgresql") else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fresh_database(directory):
    """An empty database (SQLite file in `directory`, or a new schema on DATABASE_URL), dropped after.
    Yields the URI and the engine options that select it."""
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
    """The app on `database` (a URI and engine options) with TestConfig and `overrides`; no tables yet."""
    uri, engine_options = database
    app = create_app(TestConfig(uri, SQLALCHEMY_ENGINE_OPTIONS=engine_options, **overrides))
    # Tests keep an app context pushed and Flask reuses it for their requests, so `g` would outlive a
    # request: Flask-Login caches the user there, and the next request (even from another client)
    # would run as that user. Start each request with a clean `g`, as a real server does.
    app.teardown_request(lambda _exc: g.__dict__.clear())
    return app


@contextmanager
def running_app(database, *, tables: bool = True, **overrides) -> Iterator[Flask]:
    """`build_app(database, **overrides)` with its app context pushed and, unless `tables=False`, the
    tables created; whatever happens inside, the session is removed and the engine's connections closed."""
    app = build_app(database, **overrides)
    with app.app_context():
        try:
            if tables:
                db.create_all()
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


@contextmanager
def recorded_statements(parameters: bool = False) -> Iterator[list]:
    """The SQL statements sent to the database inside the block; with `parameters`, each as (statement,
    its parameters), to EXPLAIN it."""
    statements: list = []

    def record(conn, cursor, statement, sent, *args) -> None:
        statements.append((statement, sent) if parameters else statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def forget_responses() -> None:
    """Empty the app's response cache (tracker/response_cache.py), so the next GET renders its page."""
    current_app.extensions.get("response_cache", Responses()).clear()


def statements_for(get, url: str) -> int:
    """How many SQL statements one successful GET of `url` sends; `get` is e.g. `client.get`. The
    response cache is emptied first: the count is the page's own work (a kept response takes two)."""
    forget_responses()
    with recorded_statements() as statements:
        response = get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert statements, f"no SQL statement seen for {url}: the count would prove nothing"
    return len(statements)
