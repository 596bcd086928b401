"""A change's refresh recomputes only the queues it moves (tracker.stored_forecast._propagate): the people
noted, then those waiting for a task whose projected finish changed, until nothing more moves, with the
stored finishes of everything else. What it stores equals a recomputation of everything."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import add_to_team, make_task, make_user, membership
from tests.test_stored_forecast import NOW, agree, frozen  # noqa: F401 (frozen is a fixture)
from tracker import stored_forecast, tasks, timelog
from tracker.extensions import db
from tracker.forecast import ForecastTask, WorkSchedule, forecast
from tracker.models import StoredForecast, Task


@pytest.fixture
def recomputed(monkeypatch):
    """The people whose queues each refresh computed (one set per call of the forecast)."""
    calls: list[set[int]] = []
    real = stored_forecast.forecast

    def counting(items, schedules, now, outside=None):
        items = list(items)
        calls.append({t.assignee_id for t in items if t.assignee_id is not None})
        return real(items, schedules, now, outside)

    monkeypatch.setattr(stored_forecast, "forecast", counting)
    return calls


@pytest.fixture
def chain(crew, frozen):  # noqa: F811
    """Manu's task waits for Mia's, which waits for Olga's: A <- B <- C, each with work before it."""
    owner_m, people = crew["owner_m"], {k: crew[k] for k in ("owner", "manager", "member")}
    due = NOW + timedelta(days=10)
    c = make_task(owner_m, "C", assignee_id=people["owner"].id, estimate_hours=6, due_at=due)
    b = make_task(owner_m, "B", assignee_id=people["member"].id, estimate_hours=4, due_at=due,
                  blocked_by=[c.id])
    a = make_task(owner_m, "A", assignee_id=people["manager"].id, estimate_hours=3, due_at=due,
                  blocked_by=[b.id])
    late = make_task(owner_m, "Olga's undated work", assignee_id=people["owner"].id, estimate_hours=5)
    return {**crew, "a": a, "b": b, "c": c, "late": late}


def test_a_change_at_the_end_of_a_chain_moves_its_start(chain, recomputed):
    before = agree()
    recomputed.clear()
    tasks.update_task(chain["owner_m"], chain["c"], {"estimate_hours": 20})
    people = set().union(*recomputed)
    after = agree()  # equal to a recomputation of everything
    a, b = chain["a"].id, chain["b"].id
    assert after[a]["projected_finish_at"] > before[a]["projected_finish_at"]
    assert after[b]["projected_finish_at"] > before[b]["projected_finish_at"]
    assert people == {chain["owner"].id, chain["member"].id, chain["manager"].id}


def test_a_change_that_moves_no_other_queue_recomputes_one_person(chain, recomputed):
    before = agree()
    recomputed.clear()
    tasks.update_task(chain["owner_m"], chain["late"], {"estimate_hours": 9})  # worked after C
    calls = list(recomputed)
    after = agree()
    assert after[chain["late"].id] != before[chain["late"].id]
    assert {k: v for k, v in after.items() if k != chain["late"].id} == {
        k: v for k, v in before.items() if k != chain["late"].id}
    assert calls == [{chain["owner"].id}]


def test_propagation_stops_where_a_finish_does_not_move(chain, recomputed):
    before = agree()
    recomputed.clear()
    tasks.update_task(chain["owner_m"], chain["c"], {"status": "done"})
    people = set().union(*recomputed)
    rows = agree()
    assert chain["c"].id not in rows and rows[chain["b"].id]["waits_for"] == []
    # C was to finish at 15:30 in Lisbon, 00:30 in Tokyo: Mia starts B at 09:00 her time either way, so B
    # finishes as before and Manu's queue, which waits for it, is not recomputed.
    assert rows[chain["b"].id]["projected_finish_at"] == before[chain["b"].id]["projected_finish_at"]
    assert people == {chain["owner"].id, chain["member"].id}


def test_random_changes_keep_the_stored_forecast_equal_to_a_recomputation(crew, frozen):  # noqa: F811
    """Five people, tasks of whole hours (some with no work left) with coinciding deadlines and blocker
    chains across queues, and changes of every kind: after each, stored equals recomputed."""
    rng = random.Random(7)
    owner_m = crew["owner_m"]
    people = [crew["owner"], crew["manager"], crew["member"]]
    for name, zone in (("Pia", "UTC"), ("Raj", "Asia/Kolkata")):
        person = make_user(name, timezone=zone)
        add_to_team(owner_m, person)
        people.append(person)
    made = []
    for n in range(36):
        blockers = rng.sample([t.id for t in made], min(len(made), rng.choice([0, 0, 1, 2])))
        made.append(make_task(
            owner_m, f"Task {n}", assignee_id=rng.choice(people).id,
            estimate_hours=rng.choice([0, 0, 1, 2, 4]),
            due_at=NOW + timedelta(hours=rng.choice([4, 8, 24, 48])), blocked_by=blockers,
        ))
    for task in rng.sample(made, 4):
        timelog.log_time(membership(owner_m.team_id, people[0]), task, 5, NOW.date())  # no work left
    agree()
    for _ in range(14):
        task = rng.choice(made)
        change = rng.choice([
            {"estimate_hours": rng.choice([0, 1, 3, 8])},
            {"due_at": NOW + timedelta(hours=rng.choice([2, 8, 30]))},
            {"assignee_id": rng.choice(people).id},
            {"priority": rng.choice(["critical", "low"])},
            {"blocked_by": [t.id for t in made if t.id < task.id][-1:]},
            {"status": "done"},
        ])
        tasks.update_task(owner_m, task, change)
        agree()


def _workload(seed: int) -> tuple[list[ForecastTask], dict[int, WorkSchedule], datetime]:
    rng = random.Random(seed)
    now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    items = [
        ForecastTask(
            id=i, assignee_id=rng.randrange(4), due_at=now + timedelta(hours=rng.randrange(1, 200)),
            priority=rng.choice(["critical", "high", "medium", "low"]),
            estimate_hours=rng.choice([0.5, 1, 3, 7]),
            blocked_by=tuple(rng.sample(range(i), min(i, rng.choice([0, 0, 1, 2])))),
        )
        for i in range(80)
    ]
    return items, {p: WorkSchedule(["UTC", "Asia/Tokyo"][p % 2]) for p in range(4)}, now


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_some_queues_with_the_finishes_of_the_others_equal_the_whole_forecast(seed):
    """forecast(outside=…): the queues of two people, given the projected finishes of the other people's
    tasks they wait for, come out as in the forecast of everyone (every task has work left)."""
    items, schedules, now = _workload(seed)
    whole = forecast(items, schedules, now)
    mine = [t for t in items if t.assignee_id in (0, 2)]
    waited = {b for t in mine for b in t.blocked_by} - {t.id for t in mine}
    part = forecast(mine, schedules, now, {b: whole[b].projected_finish_at for b in waited})
    assert part == {t.id: whole[t.id] for t in mine}


def test_a_change_computes_for_the_last_pass_unless_no_pass_has_run_for_long(chain, monkeypatch):
    """Within PASS_LATE of the last periodic pass a change is computed for that pass's "now" (what it did
    not move stays as stored); later (no cron running the pass) for the clock."""
    soon = NOW + stored_forecast.PASS_LATE - timedelta(minutes=1)
    monkeypatch.setattr(stored_forecast, "clock", lambda: soon)
    tasks.update_task(chain["owner_m"], chain["c"], {"estimate_hours": 7})
    assert db.session.get(StoredForecast, chain["c"].id).computed_at == NOW
    late = NOW + timedelta(days=1)
    monkeypatch.setattr(stored_forecast, "clock", lambda: late)
    tasks.update_task(chain["owner_m"], db.session.get(Task, chain["c"].id), {"estimate_hours": 8})
    db.session.expire_all()
    assert db.session.get(StoredForecast, chain["c"].id).computed_at == late
