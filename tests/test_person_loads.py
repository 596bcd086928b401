"""The dashboard's per-person workload is stored (person_loads) and never behind: after every kind of
change that moves someone's load, the loads the dashboard reads equal `workload()` computed directly
from the team's open tasks, their time logged and the person's working hours, for the same "now"."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.factories import add_to_team, login, make_task, make_team, make_user, membership
from tracker import (
    accounts,
    bulk,
    csv_import,
    invitations,
    prioritisation,
    stored_forecast,
    tasks,
    teams,
    timelog,
)
from tracker.extensions import db
from tracker.models import StoredPersonLoad, Task, TeamMembership, TimeEntry
from tracker.workload import workload

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # a Tuesday


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)


def direct(member: TeamMembership, now: datetime = NOW) -> dict:
    """Each member's load computed from scratch: workload() over their open tasks of the team, each as
    (deadline, estimate less time logged, at least 0; None without estimate)."""
    db.session.expire_all()
    spent = dict(db.session.execute(
        select(TimeEntry.task_id, func.sum(TimeEntry.hours)).group_by(TimeEntry.task_id)
    ).all())
    open_tasks = db.session.scalars(select(Task).where(
        Task.team_id == member.team_id, Task.status != "done", Task.deleted_at.is_(None)
    )).all()
    loads = {}
    for m in teams.members_of(member.team):
        mine = [(t.due_at, None if t.estimate_hours is None
                 else round(max(t.estimate_hours - float(spent.get(t.id) or 0), 0.0), 2))
                for t in open_tasks if t.assignee_id == m.user_id]
        loads[m.user_id] = workload(m.user, mine, now)
    return loads


def agree(member: TeamMembership, now: datetime = NOW) -> dict:
    """The dashboard's loads, asserted equal to the direct computation; by person id."""
    expected = direct(member, now)
    shown = {p.user.id: p for p in prioritisation.dashboard(member, now).by_assignee}
    assert shown == expected
    return shown


def stored_rows() -> dict[tuple[int, int], dict]:
    db.session.expire_all()
    return {(r.team_id, r.user_id): {c.name: getattr(r, c.name) for c in StoredPersonLoad.__table__.columns}
            for r in db.session.scalars(select(StoredPersonLoad))}


@pytest.fixture
def loads(crew, frozen):
    """Mia's and Manu's queues: dated, undated, overdue and unestimated work, some time logged."""
    owner_m, manager, member = crew["owner_m"], crew["manager"], crew["member"]
    a = make_task(owner_m, "Schema", assignee_id=member.id, estimate_hours=20,
                  due_at=NOW + timedelta(days=2, hours=5))
    make_task(owner_m, "Docs", assignee_id=member.id, estimate_hours=3, due_at=NOW - timedelta(hours=3))
    make_task(owner_m, "Someday", assignee_id=member.id, estimate_hours=4)
    make_task(owner_m, "Unsized", assignee_id=member.id, due_at=NOW + timedelta(days=9))
    b = make_task(owner_m, "Endpoint", assignee_id=manager.id, estimate_hours=20,
                  due_at=NOW + timedelta(days=1))
    make_task(owner_m, "Nobody's", estimate_hours=5, due_at=NOW + timedelta(days=1))
    timelog.log_time(crew["member_m"], a, 1.5, date(2026, 11, 30))
    return {**crew, "a": a, "b": b}


def test_creating_tasks_stores_each_members_load(loads):
    shown = agree(loads["owner_m"])
    mia = shown[loads["member"].id]
    assert (mia.open_tasks, mia.remaining_hours, mia.unestimated, mia.overdue_tasks) == (4, 25.5, 1, 1)
    assert shown[loads["manager"].id].overloaded  # 20 h by tomorrow 09:30 in New York
    assert shown[loads["owner"].id].open_tasks == 0
    team = loads["team_id"]
    assert set(stored_rows()) >= {(team, loads[p].id) for p in ("member", "manager")}


def _create(s):
    make_task(s["owner_m"], "New", assignee_id=s["member"].id, estimate_hours=5,
              due_at=NOW + timedelta(days=3))


def _create_unestimated(s):
    make_task(s["owner_m"], "New", assignee_id=s["member"].id, due_at=NOW + timedelta(days=1))


def _create_undated(s):
    make_task(s["owner_m"], "New", assignee_id=s["member"].id, estimate_hours=7)


def _change(**data):
    return lambda s: tasks.update_task(s["owner_m"], s["a"], data)


def _reassign(s):
    tasks.update_task(s["owner_m"], s["a"], {"assignee_id": s["manager"].id})


def _trash(s):
    tasks.move_to_trash(s["owner_m"], s["a"])


def _trash_and_restore(s):
    tasks.move_to_trash(s["owner_m"], s["a"])
    tasks.restore_task(s["owner_m"], s["a"])
    s["a"].estimate_hours  # noqa: B018  (loaded again: the restore committed)


def _log_time(s):
    timelog.log_time(s["member_m"], s["a"], 2, date(2026, 11, 30))


def _delete_time(s):
    entry = db.session.scalar(select(TimeEntry).where(TimeEntry.task_id == s["a"].id))
    timelog.delete_time_entry(s["member_m"], entry)


def _working_hours(s):
    accounts.update_profile(s["member"], work_start=time(6), work_end=time(8))


def _time_zone(s):
    accounts.update_profile(s["member"], timezone="Europe/London")  # 21 h to Schema, not 16: not over


def _bulk(s):
    ids = list(db.session.scalars(select(Task.id).where(Task.assignee_id == s["member"].id)))
    bulk.apply(s["owner_m"], ids, changes={"due_at": NOW + timedelta(hours=4)})


JIRA_EXPORT = """Summary,Issue key,Status,Priority,Assignee,Due Date,Original Estimate
Imported one,K-1,To Do,High,Mia,03/Dec/26 12:00 AM,36000
Imported two,K-2,To Do,High,Mia,,7200"""


def _import(s):
    owner_m, sheet = s["owner_m"], csv_import.read_sheet(JIRA_EXPORT)
    csv_import.import_rows(owner_m, sheet, csv_import.default_options(owner_m, sheet), dry_run=False)


CHANGES = {
    "create": _create, "create without estimate": _create_unestimated,
    "create without deadline": _create_undated,
    "estimate": _change(estimate_hours=30), "deadline passes": _change(due_at=NOW - timedelta(hours=1)),
    "deadline dropped": _change(due_at=None), "estimate dropped": _change(estimate_hours=None),
    "done": _change(status="done"), "reassign": _reassign, "trash": _trash,
    "trash and restore": _trash_and_restore, "time logged": _log_time, "time deleted": _delete_time,
    "working hours": _working_hours, "time zone": _time_zone, "bulk change": _bulk, "CSV import": _import,
}
UNCHANGED = {"trash and restore"}  # back where it was: the load must agree, not differ


@pytest.mark.parametrize("name", list(CHANGES))
def test_after_every_kind_of_change_the_next_dashboard_shows_the_new_load(loads, name):
    before = agree(loads["owner_m"])
    CHANGES[name](loads)
    after = agree(loads["owner_m"])
    mia = loads["member"].id
    if name in UNCHANGED:
        assert after[mia] == before[mia]
    else:
        assert after[mia] != before[mia], name  # the change moved her load, and the stored one followed
    if name == "reassign":
        assert after[loads["manager"].id] != before[loads["manager"].id]


def test_joining_and_leaving_a_team(loads):
    newcomer = make_user("Nia", email="nia@example.com")
    elsewhere = make_team(newcomer, "Frontend")
    make_task(elsewhere, "Her other work", assignee_id=newcomer.id, estimate_hours=8,
              due_at=NOW + timedelta(days=1))
    _invitation, token = invitations.invite(loads["owner_m"], "nia@example.com")
    invitations.accept(newcomer, token, now=NOW)
    nia_m = membership(loads["team_id"], newcomer)
    make_task(loads["owner_m"], "Her first", assignee_id=newcomer.id, estimate_hours=2)
    shown = agree(loads["owner_m"])
    # A load per team: her work in Frontend does not count in Backend, nor the other way round.
    assert (shown[newcomer.id].open_tasks, shown[newcomer.id].remaining_hours) == (1, 2.0)
    assert agree(elsewhere)[newcomer.id].remaining_hours == 8.0
    teams.remove_member(loads["owner_m"], nia_m.user_id)
    assert newcomer.id not in agree(loads["owner_m"])
    assert (loads["team_id"], newcomer.id) not in stored_rows()  # her row there went with her membership
    assert (elsewhere.team_id, newcomer.id) in stored_rows()


def test_a_member_without_a_stored_load_has_none(loads):
    newcomer = make_user("Nia")
    add_to_team(loads["owner_m"], newcomer)  # written directly: no event, no row
    shown = agree(loads["owner_m"])
    assert shown[newcomer.id] == workload(newcomer, [], NOW)
    assert shown[newcomer.id].week_capacity_hours == 40.0


def test_the_periodic_pass_moves_now_forward_and_is_idempotent(loads):
    later = NOW + timedelta(days=2, hours=6)  # Schema's deadline has passed by then
    stored_forecast.refresh_all(now=later)
    first = stored_rows()
    assert agree(loads["owner_m"], later)[loads["member"].id].overdue_tasks == 2
    stored_forecast.refresh_all(now=later)  # a second host running the same pass
    assert stored_rows() == first
    # A row written behind the pass's back (a membership that no longer exists) is dropped.
    db.session.add(StoredPersonLoad(**{**first[loads["team_id"], loads["member"].id],
                                       "team_id": loads["other_team_id"]}))
    db.session.execute(update(StoredPersonLoad).values(open_tasks=99))
    db.session.commit()
    stored_forecast.refresh_all(now=later)
    assert stored_rows() == first


def test_the_refresh_forecast_command_fills_the_loads(app, loads):
    db.session.execute(StoredPersonLoad.__table__.delete())
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["refresh-forecast"]).exit_code == 0
    agree(loads["owner_m"])


def test_the_dashboard_says_how_fresh_the_loads_are(client, loads):
    stored_forecast.refresh_all(now=NOW)
    earlier = NOW - timedelta(hours=1)
    db.session.execute(update(StoredPersonLoad).where(StoredPersonLoad.user_id == loads["member"].id)
                       .values(computed_at=earlier))
    db.session.commit()
    assert prioritisation.dashboard(loads["owner_m"], NOW).forecast_as_of == earlier
    login(client, loads["owner"])
    page = client.get(f"/teams/{loads['team_id']}/dashboard").get_data(as_text=True)
    assert 'Forecast as of <time datetime="2026-12-01T08:30:00+00:00">' in page
