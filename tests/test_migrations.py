"""The schema comes from migrations only: `flask db upgrade` on an empty database yields exactly the
models' schema, and every migration can be undone."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tracker.extensions import db

# The list-order index is on an expression, which reflection skips (compare_metadata cannot see it).
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
]


@pytest.fixture
def empty_app(make_app):
    """An app on an empty database (no create_all): only the migrations build its schema."""
    return make_app(tables=False)


def tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_on_an_empty_database_yields_exactly_the_models_schema(empty_app):
    assert tables() == set()
    upgrade()
    assert tables() == set(db.metadata.tables) | {"alembic_version"}
    assert schema_differences() == []


def test_the_migrated_schema_keeps_the_indexes_and_constraints_the_queries_rely_on(empty_app):
    upgrade()
    inspector = sa.inspect(db.engine)
    task_indexes = {ix["name"] for ix in inspector.get_indexes("tasks")}
    assert {"ix_tasks_team_status", "ix_tasks_team_due", "ix_tasks_team_updated"} <= task_indexes
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("team_memberships")}
    assert ("team_id", "user_id") in uniques
    fks = {
        (fk["referred_table"], tuple(fk["constrained_columns"]), fk["options"].get("ondelete"))
        for fk in inspector.get_foreign_keys("tasks")
    }
    assert ("teams", ("team_id",), "CASCADE") in fks
    assert ("users", ("assignee_id",), "SET NULL") in fks


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(empty_app):
    upgrade()
    downgrade(revision="base")
    assert tables() <= {"alembic_version"}
    upgrade()
    assert schema_differences() == []


def test_the_app_works_on_a_migrated_database(empty_app):
    upgrade()
    client = empty_app.test_client()
    response = client.post(
        "/register",
        data={
            "email": "ana@example.com",
            "name": "Ana",
            "password": "long enough",
            "confirm": "long enough",
            "timezone": "Pacific/Tongatapu",
        },
    )
    assert response.status_code == 302
    assert client.post("/teams", data={"name": "Migrated"}).status_code == 302
    response = client.post(
        "/teams/1/tasks/new",
        data={
            "title": "Works",
            "category": "database",
            "status": "todo",
            "priority": "high",
            "due_date": "2026-12-01",
            "due_time": "09:30",
            "labels": "a",
            "blocked_by": "",
        },
    )
    assert response.status_code == 302
    assert "01 Dec 09:30" in client.get("/tasks/1").get_data(as_text=True)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert (pragma("journal_mode"), pragma("busy_timeout"), pragma("foreign_keys")) == ("wal", 5000, 1)
