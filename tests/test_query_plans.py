"""The list queries use the indexes their order and filters need (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN on PostgreSQL): no sort of the whole team for the default order."""
from __future__ import annotations

from sqlalchemy import func, select, text

from tests.factories import make_task
from tracker import tasks
from tracker.extensions import db
from tracker.models import Task


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


def test_counts_read_an_index_alone(crew):
    """The list's total, the board's per-status counts and a count of open tasks never read the rows."""
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL's choice of an index-only scan depends on its visibility map and statistics
    for i in range(30):
        make_task(crew["owner_m"], f"Task {i}", status=("todo", "done")[i % 2])
    everything = tasks.filtered_tasks(crew["team_id"], tasks.TaskFilter(), crew["owner"])
    total = plan(select(func.count()).select_from(everything.subquery()))
    assert "COVERING INDEX ix_tasks_team_live_status" in total, total
    per_status = plan(everything.with_only_columns(Task.status, func.count()).group_by(Task.status))
    assert "COVERING INDEX ix_tasks_team_live_status" in per_status, per_status
    still_open = tasks.filtered_tasks(crew["team_id"], tasks.TaskFilter(status="open"), crew["owner"])
    open_total = plan(select(func.count()).select_from(still_open.subquery()))
    assert "COVERING INDEX ix_tasks_open_by_deadline" in open_total, open_total


def test_open_tasks_in_deadline_order_come_from_a_deadline_index(crew):
    for i in range(30):
        make_task(crew["owner_m"], f"Task {i}", status=("todo", "done")[i % 2])
    f = tasks.TaskFilter(status="open")
    stmt = (
        tasks.filtered_tasks(crew["team_id"], f, crew["owner"])
        .order_by(*tasks.task_ordering(f.sort))
        .limit(50)
    )
    found = plan(stmt)
    # Either deadline index gives the order (SQLite takes either when neither covers the select).
    assert "ix_tasks_open_by_deadline" in found or "ix_tasks_live_by_deadline" in found, found
    assert "TEMP B-TREE" not in found and "Sort" not in found, found
