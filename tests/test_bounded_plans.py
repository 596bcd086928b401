"""The bounded pages read each group's first tasks in the order of an index (EXPLAIN QUERY PLAN on SQLite):
a board column, a matrix quadrant and the dashboard's dated lists never sort the team to find their first
cards; only the few rows chosen are sorted into their groups at the end."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from tests.factories import make_task
from tests.support import recorded_statements
from tracker import prioritisation
from tracker.extensions import db
from tracker.models import Task, utcnow
from tracker.tasks import TaskFilter, list_tasks, parse_task_filter


def plan_of_first_cards(run, rows: bool = False) -> list:
    """The plan of the statement that reads the groups' first tasks while `run()` builds a page (its
    lines; with `rows`, each line as (id, parent, detail))."""
    with recorded_statements(parameters=True) as sent:
        run()
    # The row_number() union, not the dashboard's cut days.
    (statement, parameters), = [(s, p) for s, p in sent if "UNION ALL" in s and "row_number()" in s]
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]
    explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    return [(row[0], row[1], row[-1]) if rows else row[-1] for row in explained]


@pytest.fixture
def busy(tasks_of_two_people):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plans checked here are SQLite's (PostgreSQL's planner weighs its statistics)")
    return tasks_of_two_people


@pytest.fixture
def busy_postgresql(tasks_of_two_people):
    """Enough rows (ANALYZEd) that PostgreSQL weighs the indexes as on a real team, not as on 40 rows."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plans")
    crew, now = tasks_of_two_people, utcnow()
    task = db.session.get(Task, make_task(crew["owner_m"], "Model").id)
    statuses = ("todo", "in_progress", "in_review", "blocked", "done")
    priorities = ("critical", "high", "medium", "low")
    db.session.execute(insert(Task), [
        {"team_id": task.team_id, "category_id": task.category_id, "title": f"Bulk {i}",
         "status": statuses[i % 5], "priority": priorities[i % 4], "assignee_id": crew["owner"].id,
         "due_at": now + timedelta(hours=i % 300 - 100) if i % 7 else None,
         "completed_at": now - timedelta(days=i % 30) if i % 5 == 4 else None}
        for i in range(4000)
    ])
    db.session.commit()
    db.session.connection().exec_driver_sql("ANALYZE tasks")
    return crew


@pytest.fixture
def tasks_of_two_people(crew):
    now = utcnow()
    for i in range(40):
        due = now + timedelta(hours=i - 20) if i % 5 else None
        make_task(crew["owner_m"], f"Task {i}", priority=("critical", "low")[i % 2],
                  status=("todo", "in_progress")[i % 2], due_at=due)
    return crew


def sorts(plan: list[str]) -> int:
    return sum("TEMP B-TREE FOR ORDER BY" in line for line in plan)


def deadline_index(line: str) -> bool:
    return "ix_tasks_live_by_deadline" in line or "ix_tasks_open_by_deadline" in line


def test_board_columns_read_their_first_cards_from_the_deadline_index(busy):
    member = busy["owner_m"]
    plan = plan_of_first_cards(lambda: prioritisation.board(member, TaskFilter(), limit=5))
    # The four open columns, each a range of its own status in deadline order (not the team's open tasks
    # in deadline order with the status checked on each: at 100k tasks the "blocked" column read 55,000).
    columns = [line for line in plan if "ix_tasks_open_by_status_deadline (team_id=? AND status=?" in line]
    assert len(columns) == 4, plan
    # The "done" column reads what was finished in two weeks from the (status, completed_at) index, in
    # that order (only ties on completed_at are put in id order); the last sort puts the chosen few in place.
    assert any("ix_tasks_team_live_status" in line and "status=?" in line for line in plan), plan
    assert sorts(plan) == 1, plan


def test_matrix_quadrants_read_their_first_cards_from_the_deadline_index(busy):
    member = busy["owner_m"]
    plan = plan_of_first_cards(lambda: prioritisation.eisenhower(member, TaskFilter(), limit=5))
    assert sum(deadline_index(line) for line in plan) == 4, plan
    assert sorts(plan) == 1, plan


def test_the_dashboards_dated_lists_read_the_deadline_index(busy):
    member = busy["owner_m"]
    plan = plan_of_first_cards(lambda: prioritisation.dashboard(member))
    # Overdue and due within a week: a deadline range of an index in (deadline, id) order (on the
    # 100,000-task bench data the open tasks' one, "<expr>=? AND due_at<?", which reads no done task; on
    # these 40 rows SQLite may take another). At risk: each task's stored forecast looked up in deadline
    # order until the first few are found, not a list of every at-risk id.
    ordered = ("ix_tasks_team_due", "ix_tasks_open_by_category_due")
    ranges = [line for line in plan if deadline_index(line) or any(name in line for name in ordered)]
    assert sum("due_at<?" in line for line in ranges) == 2, plan
    assert not any("LIST SUBQUERY" in line for line in plan), plan
    assert sorts(plan) == 1, plan


def test_my_work_buckets_read_the_persons_open_tasks_index(busy):
    plan = plan_of_first_cards(lambda: prioritisation.my_work(busy["owner"], limit=5), rows=True)
    lines = [detail for _id, _parent, detail in plan]
    # Each bucket: one range per priority in deadline order (5 buckets x 4 priorities), dated buckets
    # ranging on the deadline, the undated one on "no deadline".
    by_priority = "ix_tasks_open_by_assignee_priority (assignee_id=? AND priority=?"
    ranges = [line for line in lines if by_priority in line]
    assert len(ranges) == 20, lines
    assert sum("due_at=?" in line for line in ranges) == 4, lines
    # What is sorted is only the few rows each range gave (to merge them most important first), never
    # the person's tasks as they are read: no sort sits beside a read of the tasks table.
    beside = {parent for _id, parent, detail in plan if detail.startswith("SEARCH tasks USING COVERING")}
    assert not any(parent in beside for _id, parent, detail in plan if "TEMP B-TREE" in detail), lines


def test_postgresql_reads_board_columns_and_my_work_by_status_and_by_priority(busy_postgresql):
    crew = busy_postgresql
    board = plan_of_first_cards(lambda: prioritisation.board(crew["owner_m"], TaskFilter(), limit=5))
    assert sum("ix_tasks_open_by_status_deadline" in line for line in board) == 4, "\n".join(board)
    work = plan_of_first_cards(lambda: prioritisation.my_work(crew["owner"], limit=5))
    # One range per bucket and priority. On these rows the planner may read a range as a bitmap and sort
    # its few rows; on 100,000 tasks (ANALYZEd) each is an Index Only Scan in deadline order, checked by hand.
    ranges = [line for line in work if "ix_tasks_open_by_assignee_priority" in line]
    assert len(ranges) == 20, "\n".join(work)


@pytest.mark.parametrize("status", ["open", "todo", "in_progress"])
def test_a_list_of_open_tasks_reads_its_page_from_the_open_tasks_deadline_index(busy, status):
    """The list's page by deadline is its ids from the open tasks' index (not the live tasks' one, which
    would step over every done task first), then those rows only."""
    with recorded_statements(parameters=True) as sent:
        page = list_tasks(busy["owner_m"], parse_task_filter({"status": status}))
    assert page.items and all(t.status != "done" for t in page.items)
    (statement, parameters), = [(s, p) for s, p in sent if "LIMIT" in s and "FROM tasks JOIN" in s]
    explained = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    plan = " | ".join(row[-1] for row in explained)
    assert "COVERING INDEX ix_tasks_open_by_deadline" in plan, plan
    assert "ix_tasks_live_by_deadline" not in plan, plan
