"""The task list's total (web and API) adds up the team's status totals (tracker/tallies.py) instead of
counting every live task of the team, and the totals never fall behind: after every kind of change they
equal a count from the tasks, and the list's total equals the number of tasks it can page through."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text, update

from tests.factories import make_task, make_team, make_user, membership
from tests.support import recorded_statements
from tracker import bulk, csv_import, stored_forecast, tallies, tasks, transfer
from tracker.extensions import db
from tracker.models import StatusTotal, Task

SOON = datetime.now(UTC) + timedelta(days=3)


def stored(team_id: int) -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.scalars(select(StatusTotal).where(StatusTotal.team_id == team_id))
    return {r.status: r.tasks for r in rows}


def counted(team_id: int) -> dict[str, int]:
    """Live tasks per status, counted in Python from every task of the team."""
    db.session.expire_all()
    return dict(Counter(db.session.scalars(
        select(Task.status).where(Task.team_id == team_id, Task.deleted_at.is_(None)))))


def listed_total(member, **filters) -> int:
    """The total the list shows for `filters`, checked against the tasks its pages hold."""
    f = tasks.TaskFilter(**filters)
    page = tasks.list_task_values(member, f, per_page=200)
    assert page.total == len(page.items) == len(tasks.list_tasks(member, f, per_page=200).items)
    return page.total


def agree(member) -> dict[str, int]:
    """Totals equal to a count, and the list's totals (no filter, open, each status) equal to its rows."""
    totals = counted(member.team_id)
    assert stored(member.team_id) == totals
    assert listed_total(member) == sum(totals.values())
    assert listed_total(member, status="open") == sum(n for s, n in totals.items() if s != "done")
    for status in ("todo", "in_progress", "in_review", "blocked", "done"):
        assert listed_total(member, status=status) == totals.get(status, 0)
    return totals


@pytest.fixture
def team(crew):
    owner_m = crew["owner_m"]
    made = [
        make_task(owner_m, "Planned", estimate_hours=2, due_at=SOON),
        make_task(owner_m, "Started", status="in_progress", assignee_id=crew["member"].id),
        make_task(owner_m, "Waiting", status="blocked"),
        make_task(owner_m, "Shipped", status="done"),
        make_task(owner_m, "Also shipped", status="done", category="architecture"),
        make_task(owner_m, "Undated"),
    ]
    return {**crew, "tasks": made}


def _task(s, title):
    return next(t for t in s["tasks"] if t.title == title)


def _change(which, **data):
    return lambda s: tasks.update_task(s["owner_m"], _task(s, which), data)


def _restore(s):
    task = _task(s, "Started")
    tasks.move_to_trash(s["owner_m"], task)
    agree(s["owner_m"])
    tasks.restore_task(s["owner_m"], task)


def _csv_import(s):
    lines = ["Summary,Issue key,Status,Priority,Due Date,Original Estimate",
             "Imported one,K-1,To Do,High,03/Dec/26 12:00 AM,36000",
             "Imported two,K-2,Done,High,,7200"]
    sheet = csv_import.read_sheet("\n".join(lines))
    options = csv_import.default_options(s["owner_m"], sheet)
    csv_import.import_rows(s["owner_m"], sheet, options, dry_run=False)


def _bulk(**changes):
    return lambda s: bulk.apply(s["owner_m"], [t.id for t in s["tasks"]], changes=changes)


def _periodic_pass(s):
    db.session.execute(text("DELETE FROM status_totals WHERE status = 'todo'"))  # lost, say
    db.session.execute(update(StatusTotal).values(tasks=99))  # or wrong: the pass recounts them
    db.session.commit()
    stored_forecast.refresh_all()


CHANGES = {
    "create": lambda s: make_task(s["owner_m"], "New"),
    "create done": lambda s: make_task(s["owner_m"], "New", status="done"),
    "status": _change("Planned", status="in_review"),
    "done": _change("Started", status="done"),
    "reopen": _change("Shipped", status="todo"),
    "other fields": _change("Waiting", title="Still waiting", due_at=SOON),
    "trash": lambda s: tasks.move_to_trash(s["owner_m"], _task(s, "Shipped")),
    "trash and restore": _restore,
    "bulk status": _bulk(status="blocked"),
    "bulk done": _bulk(status="done"),
    "bulk trash": lambda s: bulk.apply(s["owner_m"], [t.id for t in s["tasks"][:4]], trash=True),
    "CSV import": _csv_import,
    "periodic pass": _periodic_pass,
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_after_every_kind_of_change_the_totals_equal_a_count(team, name):
    before = agree(team["owner_m"])
    assert before == {"todo": 2, "in_progress": 1, "blocked": 1, "done": 2}
    CHANGES[name](team)
    after = agree(team["owner_m"])
    if name not in {"other fields", "trash and restore", "periodic pass"}:
        assert after != before, name


def test_a_team_imported_from_json_has_its_totals(team):
    imported = transfer.import_team(transfer.export_team(team["owner_m"].team), team["owner"])
    assert stored(imported.team.id) == {"todo": 2, "in_progress": 1, "blocked": 1, "done": 2}
    agree(membership(imported.team.id, team["owner"]))


def test_another_teams_changes_leave_the_totals_alone(team):
    other = make_team(team["owner"], "Frontend")
    make_task(other, "Theirs", status="in_review")
    assert stored(other.team_id) == {"in_review": 1}
    agree(team["owner_m"])
    agree(other)


def test_a_rolled_back_change_leaves_the_totals_as_they_were(team):
    task = _task(team, "Planned")
    task.status = "done"
    tallies.on_task_changed(task, changes={"status": ("todo", "done")})
    db.session.rollback()
    agree(team["owner_m"])


def test_any_other_filter_is_counted_exactly(team):
    member = team["owner_m"]
    db.session.execute(update(StatusTotal).values(tasks=99))  # the totals are not read under these filters
    db.session.commit()
    assert listed_total(member, category="architecture") == 1
    assert listed_total(member, status="done", category="database") == 1
    assert listed_total(member, assignee=str(team["member"].id)) == 1
    assert listed_total(member, q="shipped") == 2
    assert listed_total(member, status="open", due_before=SOON + timedelta(hours=1)) == 1


def _counts_of_tasks(run) -> list[str]:
    with recorded_statements() as seen:
        run()
    return [s for s in seen if "count(" in s.lower() and "FROM tasks" in s]


def test_the_unfiltered_list_does_not_count_the_team(team):
    member = team["owner_m"]
    for filters in ({}, {"status": "open"}, {"status": "done", "sort": "-priority"}):
        f = tasks.TaskFilter(**filters)
        for list_page in (tasks.list_task_values, tasks.list_tasks):
            assert _counts_of_tasks(lambda: list_page(member, f)) == [], filters  # noqa: B023 (run at once)
    by_priority = tasks.TaskFilter(priority="high")
    assert len(_counts_of_tasks(lambda: tasks.list_task_values(member, by_priority))) == 1



def test_the_migration_fills_the_totals_from_the_existing_tasks(make_app):
    make_app(tables=False)  # the schema from the migrations only
    upgrade()
    member = make_team(make_user("Ana"))
    for status in ("todo", "todo", "blocked", "done"):
        make_task(member, f"A {status} task", status=status)
    tasks.move_to_trash(member, make_task(member, "Trashed"))
    downgrade(revision="0021")
    upgrade()  # 0022 again: the table made anew and filled from the tasks
    assert stored(member.team_id) == counted(member.team_id) == {"todo": 2, "blocked": 1, "done": 1}
