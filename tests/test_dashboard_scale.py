"""The dashboard's per-category counts and burn-up add up daily tallies (tracker/tallies.py) instead of
reading every task, and the tallies never fall behind: after every kind of change they equal a recount
from the tasks, and the dashboard shows what the previous definitions compute from every task."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from tests.factories import make_task, make_team, membership
from tests.support import recorded_statements
from tracker import bulk, csv_import, prioritisation, stored_forecast, tallies, tasks, transfer
from tracker.extensions import db
from tracker.models import BurnupDay, Category, CategoryDay, StoredForecast, Task

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # later than any task made here (made at the real time)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)


def _live(team_id: int) -> list[Task]:
    db.session.expire_all()
    return list(db.session.scalars(select(Task).where(Task.team_id == team_id, Task.deleted_at.is_(None))))


def stored(team_id: int) -> tuple[dict, dict]:
    db.session.expire_all()
    burnup = {r.day: (round(r.scope_hours, 6), round(r.done_hours, 6))
              for r in db.session.scalars(select(BurnupDay).where(BurnupDay.team_id == team_id))}
    categories = {(r.category_id, r.day): (r.open_tasks, r.at_risk_tasks)
                  for r in db.session.scalars(select(CategoryDay).where(CategoryDay.team_id == team_id))}
    return {day: v for day, v in burnup.items() if v != (0, 0)}, categories


def recounted(team_id: int) -> tuple[dict, dict]:
    """The tallies worked out in Python from every task of the team."""
    risky = dict(db.session.execute(select(StoredForecast.task_id, StoredForecast.at_risk)).all())
    burnup: dict = defaultdict(lambda: [0.0, 0.0])
    categories: dict = defaultdict(lambda: [0, 0])
    for t in _live(team_id):
        burnup[t.created_at.date()][0] += t.estimate_hours or 0
        if t.status == "done" and t.completed_at:
            burnup[t.completed_at.date()][1] += t.estimate_hours or 0
        else:
            key = (t.category_id, t.due_at.date() if t.due_at else tallies.UNDATED)
            categories[key][0] += 1
            categories[key][1] += bool(risky.get(t.id))
    burnup = {day: (round(s, 6), round(d, 6)) for day, (s, d) in burnup.items() if (s, d) != (0, 0)}
    return burnup, {key: tuple(v) for key, v in categories.items()}


def previous_by_category(member, now: datetime) -> list[dict]:
    """The per-category counts as the dashboard defined them before the tallies: over every open task."""
    risky = dict(db.session.execute(select(StoredForecast.task_id, StoredForecast.at_risk)).all())
    counts: dict = defaultdict(lambda: [0, 0, 0, 0])
    for t in _live(member.team_id):
        if t.status != "done":
            row = counts[t.category_id]
            row[0] += 1
            row[1] += bool(t.due_at and t.due_at < now)
            row[2] += bool(t.due_at and now <= t.due_at < now + timedelta(days=7))
            row[3] += bool(risky.get(t.id))
    categories = db.session.scalars(select(Category).where(Category.team_id == member.team_id)
                                    .order_by(Category.position, Category.id))
    return [{"slug": c.slug, "name": c.name, "archived": c.archived, "open": n, "overdue": o,
             "due_soon": s, "at_risk": r}
            for c in categories for n, o, s, r in [counts[c.id]] if n or not c.archived]


def previous_burnup(team_id: int, points: list[datetime]) -> list[dict]:
    """Estimate in scope and done at each instant, over every live task."""
    live = _live(team_id)
    return [{"at": at,
             "scope_hours": round(sum(t.estimate_hours or 0 for t in live if t.created_at <= at), 2),
             "done_hours": round(sum(t.estimate_hours or 0 for t in live
                                     if t.status == "done" and t.completed_at and t.completed_at <= at), 2)}
            for at in points]


def agree(member, now: datetime = NOW):
    """Tallies equal to the recount, and the dashboard's figures equal to the previous definitions."""
    assert stored(member.team_id) == recounted(member.team_id)
    shown = prioritisation.dashboard(member, now)
    assert shown.by_category == previous_by_category(member, now)
    assert shown.burnup == previous_burnup(member.team_id, [p["at"] for p in shown.burnup])
    assert {name: shown.lists.totals[name] for name in ("overdue", "due_soon", "at_risk")} == {
        name: sum(row[name] for row in shown.by_category) for name in ("overdue", "due_soon", "at_risk")}
    return shown


@pytest.fixture
def team(crew, frozen):
    """Tasks over several weeks: created and done on earlier days (written directly, as old data is,
    then the tallies rebuilt as the migration does), overdue, due today either side of now, due in a
    week either side of now + 7 days, undated; in two categories."""
    owner_m = crew["owner_m"]
    made = [
        make_task(owner_m, "Old done", estimate_hours=8, status="done"),
        make_task(owner_m, "Old open", estimate_hours=5, due_at=NOW - timedelta(days=3)),
        make_task(owner_m, "Due earlier today", estimate_hours=2, due_at=NOW - timedelta(hours=2),
                  assignee_id=crew["member"].id),
        make_task(owner_m, "Due later today", estimate_hours=30, due_at=NOW + timedelta(hours=3),
                  assignee_id=crew["member"].id),
        make_task(owner_m, "Due in a week, before", estimate_hours=1,
                  due_at=NOW + timedelta(days=7, hours=-1)),
        make_task(owner_m, "Due in a week, after", estimate_hours=1, due_at=NOW + timedelta(days=7, hours=1),
                  category="architecture"),
        make_task(owner_m, "Undated", category="architecture"),
    ]
    for weeks, task in enumerate(made[:3]):
        back = NOW - timedelta(weeks=3 - weeks, hours=5)
        db.session.execute(update(Task).where(Task.id == task.id).values(
            created_at=back, completed_at=back + timedelta(days=2) if task.status == "done" else None))
    db.session.commit()
    tallies.rebuild(db.session)
    db.session.commit()
    return {**crew, "tasks": made}


def test_the_dashboard_shows_what_every_task_adds_up_to(team):
    shown = agree(team["owner_m"])
    by_slug = {row["slug"]: row for row in shown.by_category}
    assert sum(row["open"] for row in shown.by_category) == 6
    assert sum(row["overdue"] for row in shown.by_category) == 2  # three days ago, and two hours ago
    assert sum(row["due_soon"] for row in shown.by_category) == 2  # in three hours; in 7 days less one
    assert by_slug["architecture"]["open"] == 2
    assert shown.burnup[-1]["at"] == NOW
    midnight = [datetime.combine(p["at"].date(), datetime.min.time(), UTC) for p in shown.burnup[:-1]]
    assert [p["at"] for p in shown.burnup[:-1]] == midnight
    # Each was created at 04:30 on a point's day, after that point (its midnight).
    assert [p["scope_hours"] for p in shown.burnup][-5:] == [0.0, 0.0, 8.0, 13.0, 47.0]
    assert [p["done_hours"] for p in shown.burnup][-4:] == [0.0, 8.0, 8.0, 8.0]


def _task(s, title):
    return next(t for t in s["tasks"] if t.title == title)


def _change(title, **data):
    return lambda s: tasks.update_task(s["owner_m"], _task(s, title), data)


def _reopen(s):
    tasks.update_task(s["owner_m"], _task(s, "Old done"), {"status": "todo"})


def _trash(s):
    tasks.move_to_trash(s["owner_m"], _task(s, "Old done"))


def _restore(s):
    task = _task(s, "Old open")
    tasks.move_to_trash(s["owner_m"], task)
    agree(s["owner_m"])
    tasks.restore_task(s["owner_m"], task)


def _bulk(**changes):
    return lambda s: bulk.apply(s["owner_m"], [t.id for t in s["tasks"]], changes=changes)


def _bulk_trash(s):
    bulk.apply(s["owner_m"], [t.id for t in s["tasks"][:4]], trash=True)


def _csv_import(s):
    lines = ["Summary,Issue key,Status,Priority,Due Date,Original Estimate",
             "Imported one,K-1,To Do,High,03/Dec/26 12:00 AM,36000",
             "Imported two,K-2,Done,High,,7200"]
    sheet = csv_import.read_sheet("\n".join(lines))
    options = csv_import.default_options(s["owner_m"], sheet)
    csv_import.import_rows(s["owner_m"], sheet, options, dry_run=False)


def _periodic_pass(s):
    db.session.execute(text("DELETE FROM burnup_days"))  # lost, say: the pass rebuilds them
    db.session.execute(update(CategoryDay).values(open_tasks=99))
    db.session.commit()
    stored_forecast.refresh_all()


CHANGES = {
    "create": lambda s: make_task(s["owner_m"], "New", estimate_hours=4, due_at=NOW + timedelta(days=2)),
    "create undated": lambda s: make_task(s["owner_m"], "New", estimate_hours=4),
    "estimate": _change("Old open", estimate_hours=11),
    "estimate of a done task": _change("Old done", estimate_hours=1),
    "estimate dropped": _change("Due later today", estimate_hours=None),
    "done": _change("Due earlier today", status="done"),
    "reopen": _reopen,
    "deadline": _change("Undated", due_at=NOW - timedelta(days=1)),
    "deadline dropped": _change("Old open", due_at=None),
    "category": _change("Old open", category="architecture"),
    "trash": _trash,
    "trash and restore": _restore,
    "bulk deadline": _bulk(due_at=NOW + timedelta(days=1)),
    "bulk done": _bulk(status="done"),
    "bulk reopen": _bulk(status="todo"),
    "bulk trash": _bulk_trash,
    "CSV import": _csv_import,
    "periodic pass": _periodic_pass,
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_after_every_kind_of_change_the_tallies_equal_a_recount(team, name):
    before = agree(team["owner_m"])
    CHANGES[name](team)
    after = agree(team["owner_m"])
    if name not in {"trash and restore", "periodic pass"}:
        assert (after.by_category, after.burnup) != (before.by_category, before.burnup), name


def test_a_team_imported_from_json_has_its_tallies(team):
    document = transfer.export_team(team["owner_m"].team)
    imported = transfer.import_team(document, team["owner"])
    burnup, categories = stored(imported.team.id)
    assert burnup and categories  # written directly, not through the events, and tallied all the same
    agree(membership(imported.team.id, team["owner"]))


def test_another_teams_changes_leave_the_tallies_alone(team):
    other = make_team(team["owner"], "Frontend")
    make_task(other, "Theirs", estimate_hours=50, due_at=NOW)
    agree(team["owner_m"])
    agree(other)


def _statements(run) -> int:
    with recorded_statements() as seen:
        run()
    return len(seen)


def test_the_dashboard_makes_as_many_statements_for_more_tasks_and_days(team):
    member = team["owner_m"]
    db.session.expire_all()
    few = _statements(lambda: prioritisation.dashboard(member, NOW))
    for i in range(60):
        make_task(member, f"More {i}", estimate_hours=1, due_at=NOW + timedelta(days=i - 30, hours=i % 5),
                  category=("architecture", "database")[i % 2])
    db.session.execute(update(Task).where(Task.title.like("More %")).values(
        created_at=NOW - timedelta(days=40)))
    db.session.commit()
    tallies.rebuild(db.session)
    db.session.commit()
    db.session.expire_all()
    assert _statements(lambda: prioritisation.dashboard(member, NOW)) == few
    agree(member)


def _sent(run, wanted: str) -> list[tuple[str, object]]:
    """The statements `run()` sends that contain `wanted`, with their parameters (to EXPLAIN them)."""
    with recorded_statements(parameters=True) as sent:
        run()
    return [(s, p) for s, p in sent if wanted in s and not s.startswith("EXPLAIN")]


def _plans(run, wanted: str) -> list[str]:
    """The SQLite plans of the statements `run()` sends that contain `wanted`."""
    connection = db.session.connection()
    return [" / ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p))
            for s, p in _sent(run, wanted)]


@pytest.fixture
def sqlite_only(team):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plans (PostgreSQL: see test_postgresql_counts_the_cut_days_from_the_index)")
    return team


def test_the_cut_days_are_counted_from_the_covering_index(sqlite_only):
    member = sqlite_only["owner_m"]
    plan, = _plans(lambda: prioritisation.by_category(member, None, NOW), "UNION ALL")
    covering = "COVERING INDEX ix_tasks_open_by_category_due (team_id=? AND due_at>? AND due_at<?)"
    assert plan.count(covering) == 2
    tallied, = _plans(lambda: prioritisation.by_category(member, None, NOW), "FROM category_days")
    assert "SEARCH category_days" in tallied and "SCAN" not in tallied
    burnup, = _plans(lambda: prioritisation.burnup(member.team_id, NOW), "FROM burnup_days")
    assert "SEARCH burnup_days" in burnup and "SCAN" not in burnup


def test_a_days_recount_reads_that_day_from_the_indexes(sqlite_only):
    day = {NOW.date()}
    team_id = sqlite_only["team_id"]
    created, = _plans(lambda: tallies.recount_burnup(db.session, team_id, day), "FROM tasks")
    assert "ix_tasks_team_created (team_id=? AND created_at>? AND created_at<?)" in created
    assert "ix_tasks_team_live_status" in created  # the done side: (team, live, done, completed_at)
    due, = _plans(lambda: tallies.recount_categories(db.session, team_id, day), "FROM tasks")
    assert "ix_tasks_open_by_category_due (team_id=? AND due_at>? AND due_at<?)" in due
    db.session.rollback()


def test_postgresql_counts_the_cut_days_from_the_index(team):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan")
    member = team["owner_m"]
    (statement, parameters), = _sent(lambda: prioritisation.by_category(member, None, NOW), "UNION ALL")
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = "\n".join(r[0] for r in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
    # On these few rows the planner may take any of the partial indexes on (…, due_at); each cut day is
    # one index range all the same. On 100,000 tasks (ANALYZEd) it is an Index Only Scan using
    # ix_tasks_open_by_category_due, checked by hand.
    ranges = [line for line in plan.splitlines() if "Index Cond" in line and "due_at >=" in line]
    assert len(ranges) == 2 and "Seq Scan on tasks" not in plan, plan
    db.session.rollback()
