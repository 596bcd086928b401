"""Bulk actions: one change or the trash for many tasks, each task its own transaction through the same
optimistic locking and checks as a single edit, with a result per task."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import make_pair_and_outsider, make_task
from tracker import bulk, stored_forecast, tasks
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import Activity, StoredForecast, Task


@pytest.fixture
def pair(app):
    return make_pair_and_outsider()


def test_a_change_applies_to_each_task_and_is_recorded_per_task(pair):
    one, two = make_task(pair["o"], "One"), make_task(pair["o"], "Two", priority="low")
    results = bulk.apply(pair["o"], [one.id, two.id],
                         changes={"priority": "high", "assignee_id": pair["mate"].id})
    assert [(r.task_id, r.outcome) for r in results] == [(one.id, "applied"), (two.id, "applied")]
    assert results[1].before == {"priority": "low", "assignee_id": None}
    for task in (one, two):
        db.session.refresh(task)
        assert (task.priority, task.assignee_id) == ("high", pair["mate"].id)
    changed = db.session.scalars(select(Activity.task_id).where(Activity.kind == "changed",
                                                                Activity.field == "priority")).all()
    assert sorted(changed) == sorted([one.id, two.id])  # the events fire per task, as for single edits


def test_a_stale_version_is_a_conflict_with_the_current_task_and_is_not_overwritten(pair):
    fresh, stale = make_task(pair["o"], "Fresh"), make_task(pair["o"], "Stale")
    stale_version = stale.version
    tasks.update_task(pair["m"], stale, {"status": "in_review"})
    results = bulk.apply(pair["o"], [fresh.id, stale.id], changes={"status": "done"},
                         versions={fresh.id: fresh.version, stale.id: stale_version})
    assert [r.outcome for r in results] == ["applied", "conflict"]
    assert results[1].current.status == "in_review"
    assert db.session.get(Task, stale.id).status == "in_review"
    assert db.session.get(Task, fresh.id).status == "done"


def test_refusals_name_their_reason_and_leave_the_other_tasks_applied(pair):
    mine = make_task(pair["o"], "Mine")
    theirs = make_task(pair["x"], "Another team's")
    results = bulk.apply(pair["o"], [mine.id, theirs.id, 999999],
                         changes={"assignee_id": pair["outsider"].id})
    assert [r.outcome for r in results] == ["refused", "refused", "refused"]
    assert "member of this team" in results[0].reason
    assert results[1].reason == f"No live task #{theirs.id} in this team."  # as if it did not exist
    results = bulk.apply(pair["o"], [mine.id, theirs.id], changes={"due_at": date(2030, 5, 1)})
    assert [r.outcome for r in results] == ["applied", "refused"]
    assert db.session.get(Task, theirs.id).due_at is None


def test_trash_moves_each_task_to_the_trash(pair):
    one, two = make_task(pair["o"], "One"), make_task(pair["o"], "Two")
    results = bulk.apply(pair["m"], [one.id, two.id, one.id], trash=True)
    assert [(r.task_id, r.outcome) for r in results] == [(one.id, "applied"), (two.id, "applied")]
    assert all(db.session.get(Task, t).deleted_at is not None for t in (one.id, two.id))
    assert bulk.undo_changes(results, trash=True)[0] == {"task_id": one.id, "version": results[0].version,
                                                         "trashed": True}


@pytest.mark.parametrize("ids, changes, trash, versions, field", [
    ([], {"status": "done"}, False, None, "ids"),
    ("1,2", {"status": "done"}, False, None, "ids"),
    ([1, True], {"status": "done"}, False, None, "ids"),
    (list(range(1, 202)), {"status": "done"}, False, None, "ids"),
    ([1], {}, False, None, "set"),
    ([1], {"status": "done"}, True, None, "set"),
    ([1], {"title": "x"}, False, None, "set"),
    ([1], {"status": "done"}, False, {1: "3"}, "version"),
])
def test_a_request_that_makes_no_sense_is_refused_whole_and_writes_nothing(
        pair, ids, changes, trash, versions, field):
    task = make_task(pair["o"])
    version = task.version
    with pytest.raises(Invalid) as refused:
        bulk.apply(pair["o"], ids, changes=changes, trash=trash, versions=versions)
    assert field in refused.value.errors
    assert db.session.get(Task, task.id).version == version


def test_two_hundred_tasks_are_the_limit(pair):
    task = make_task(pair["o"])
    results = bulk.apply(pair["o"], [task.id] + list(range(10**6, 10**6 + 199)), changes={"priority": "low"})
    assert len(results) == 200 and results[0].outcome == "applied"


def test_the_stored_forecast_is_refreshed_once_after_the_last_task(pair, monkeypatch):
    due = date(2031, 1, 15)
    one, same, two = (make_task(pair["o"], n, estimate_hours=2, due_at=due) for n in ("One", "Same", "Two"))
    tasks.update_task(pair["o"], same, {"assignee_id": pair["mate"].id})  # unchanged below: a rollback
    refreshes = []
    real = stored_forecast.refresh
    monkeypatch.setattr(stored_forecast, "refresh", lambda *a, **k: refreshes.append(a) or real(*a, **k))
    results = bulk.apply(pair["o"], [one.id, same.id, two.id], changes={"assignee_id": pair["mate"].id})
    assert [r.outcome for r in results] == ["applied", "applied", "applied"]
    assert len(refreshes) == 1 and {one.id, two.id} <= refreshes[0][2]
    rows = db.session.scalars(
        select(StoredForecast).where(StoredForecast.task_id.in_([one.id, two.id]))).all()
    assert sorted(r.assignee_id for r in rows) == [pair["mate"].id, pair["mate"].id]
