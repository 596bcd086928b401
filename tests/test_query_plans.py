"""The list queries use the indexes their order and filters need (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN on PostgreSQL): no sort of the whole team for the default order."""
from __future__ import annotations

from sqlalchemy import text

from tests.factories import make_task
from tracker import tasks
from tracker.extensions import db


def plan(stmt) -> str:
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return "\n".join(row[-1] for row in rows)
    db.session.execute(text("SET enable_seqscan = off"))  # a tiny test table would be scanned anyway
    rows = db.session.execute(text(f"EXPLAIN {compiled}")).all()
    return "\n".join(row[0] for row in rows)


def test_the_default_list_order_is_read_from_the_index(crew):
    for i in range(30):
        make_task(crew["owner_m"], f"Task {i}")
    f = tasks.TaskFilter()
    stmt = (
        tasks.filtered_tasks(crew["team_id"], f, crew["owner"])
        .order_by(*tasks.task_ordering(f.sort))
        .limit(50)
    )
    found = plan(stmt)
    assert "ix_tasks_live_by_deadline" in found, found
    assert "TEMP B-TREE" not in found and "Sort" not in found, found
