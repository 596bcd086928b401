"""The stored forecast is never behind: after every kind of change that moves a queue, the rows in
task_forecasts equal a forecast recomputed from scratch for the same "now"."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, true

from tests.factories import add_to_team, login, make_task, make_user
from tracker import accounts, stored_forecast, tasks, teams, timelog
from tracker.extensions import db
from tracker.models import StoredForecast

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # a Tuesday


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)


def stored() -> dict[int, dict]:
    db.session.expire_all()
    rows = db.session.scalars(select(StoredForecast)).all()
    return {r.task_id: {c: getattr(r, c) for c in FIELDS} for r in rows}


FIELDS = ("team_id", "assignee_id", "projected_finish_at", "at_risk", "slack_hours", "remaining_hours",
          "reason", "earlier_tasks", "available_hours", "waits_for", "unscheduled_blockers", "cycle_blockers")


def recomputed() -> dict[int, dict]:
    rows = stored_forecast.compute(db.session, true(), NOW)
    db.session.rollback()
    return {task_id: {c: row[c] for c in FIELDS} for task_id, row in rows.items()}


def agree() -> dict[int, dict]:
    now, fresh = stored(), recomputed()
    differing = {
        (task_id, name): (row.get(name), (fresh.get(task_id) or {}).get(name))
        for task_id, row in now.items() for name in FIELDS if row.get(name) != (fresh.get(task_id) or {}).get(name)
    }
    assert differing == {}
    assert now == fresh
    return now


@pytest.fixture
def queues(crew, frozen):
    """Three people's queues in one team, linked by blockers, with estimates and deadlines."""
    owner_m, manager, member = crew["owner_m"], crew["manager"], crew["member"]
    due = NOW + timedelta(days=3)
    a = make_task(owner_m, "Schema", assignee_id=manager.id, estimate_hours=6, due_at=due)
    b = make_task(owner_m, "Endpoint", assignee_id=member.id, estimate_hours=8, due_at=due, blocked_by=[a.id])
    c = make_task(owner_m, "Docs", assignee_id=member.id, estimate_hours=3, due_at=NOW + timedelta(days=1))
    d = make_task(owner_m, "Unassigned blocker", estimate_hours=2)
    e = make_task(owner_m, "Waits for nobody yet", assignee_id=crew["owner"].id, estimate_hours=4,
                  due_at=NOW - timedelta(hours=2))
    return {**crew, "a": a, "b": b, "c": c, "d": d, "e": e}


def test_creating_tasks_stores_their_forecasts(queues):
    rows = agree()
    assert set(rows) == {queues[k].id for k in "abcde"}
    assert rows[queues["b"].id]["waits_for"] == [queues["a"].id]
    assert rows[queues["e"].id]["at_risk"] and rows[queues["e"].id]["reason"] == "overdue"


@pytest.mark.parametrize(
    "change",
    [
        {"estimate_hours": 30},
        {"due_at": NOW + timedelta(hours=5)},
        {"status": "in_progress"},  # moves nothing, but must still agree
        {"status": "done"},
        {"blocked_by": [4]},
        {"assignee_id": None},
    ],
    ids=lambda c: next(iter(c)) + "=" + str(next(iter(c.values()))),
)
def test_a_change_to_a_blocker_recomputes_the_queues_that_wait_for_it(queues, change):
    before = agree()
    tasks.update_task(queues["owner_m"], queues["a"], change)
    after = agree()
    if next(iter(change)) in ("estimate_hours", "assignee_id") or change == {"status": "done"}:
        assert after[queues["b"].id] != before[queues["b"].id]  # b waits for a, in another queue


def test_priority_reorders_a_queue(queues):
    same_deadline = {"blocked_by": [], "due_at": queues["c"].due_at}
    tasks.update_task(queues["owner_m"], queues["b"], same_deadline)
    before = agree()
    assert before[queues["c"].id]["earlier_tasks"] == 1  # same deadline and priority: b (older) first
    tasks.update_task(queues["owner_m"], queues["c"], {"priority": "critical"})
    assert agree()[queues["c"].id]["earlier_tasks"] == 0


def test_reassigning_moves_the_task_between_queues(queues):
    tasks.update_task(queues["owner_m"], queues["c"], {"assignee_id": queues["manager"].id})
    rows = agree()
    assert rows[queues["c"].id]["assignee_id"] == queues["manager"].id


def test_blocking_on_an_unassigned_task_and_assigning_it(queues):
    tasks.update_task(queues["owner_m"], queues["c"], {"blocked_by": [queues["d"].id]})
    assert agree()[queues["c"].id]["unscheduled_blockers"] == [queues["d"].id]
    tasks.update_task(queues["owner_m"], queues["d"], {"assignee_id": queues["owner"].id})
    assert agree()[queues["c"].id]["waits_for"] == [queues["d"].id]


def test_trash_restore_and_time_logged(queues):
    tasks.move_to_trash(queues["member_m"], queues["a"])
    assert queues["a"].id not in agree()
    tasks.restore_task(queues["manager_m"], queues["a"])
    assert queues["a"].id in agree()
    entry = timelog.log_time(queues["manager_m"], queues["a"], 4, date(2026, 11, 30))
    assert agree()[queues["a"].id]["remaining_hours"] == 2
    timelog.delete_time_entry(queues["manager_m"], entry)
    assert agree()[queues["a"].id]["remaining_hours"] == 6


def test_working_hours_and_membership(queues):
    before = agree()
    accounts.update_profile(queues["member"], work_start=time(6), work_end=time(8))
    assert agree() != before
    newcomer = make_user("Nia")
    add_to_team(queues["owner_m"], newcomer)
    teams.remove_member(queues["owner_m"], queues["member"].id)
    agree()


def test_the_periodic_pass_moves_now_forward_and_is_idempotent(queues, monkeypatch):
    later = NOW + timedelta(days=2)
    assert stored_forecast.refresh_all(now=later) == 5
    first = stored()
    assert stored_forecast.refresh_all(now=later) == 5
    assert stored() == first
    assert first[queues["c"].id]["at_risk"]  # its deadline has passed by then
    tasks.update_task(queues["owner_m"], queues["c"], {"status": "done"})
    stored_forecast.refresh_all(now=later)
    assert queues["c"].id not in stored()


def test_a_rolled_back_change_recomputes_nothing(queues):
    before = stored()
    queues["a"].estimate_hours = 99
    tasks.events.task_changed.send(queues["a"], actor=queues["owner"], changes={"estimate_hours": (6, 99)})
    db.session.rollback()
    db.session.commit()
    assert stored() == before


def test_the_refresh_forecast_command_fills_a_table_written_behind_the_events_back(app, queues):
    db.session.execute(StoredForecast.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["refresh-forecast"])
    assert result.exit_code == 0 and "Forecast 5 open task(s)." in result.output
    agree()


def test_the_forecast_page_and_dashboard_say_how_fresh_the_forecast_is(client, queues):
    login(client, queues["owner"])
    team_id = queues["team_id"]
    for url in (f"/teams/{team_id}/forecast", f"/teams/{team_id}/dashboard"):
        page = client.get(url).get_data(as_text=True)
        assert 'Forecast as of <time datetime="2026-12-01T09:30:00+00:00">' in page, url
