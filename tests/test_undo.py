"""Undo: the person who marked a task done, trashed it or changed many at once can take it back for a few
seconds, once; a task changed meanwhile is reported and left as it is."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_pair_and_outsider, make_task
from tracker import bulk, tasks, undo
from tracker.errors import Invalid, NotFound
from tracker.extensions import db
from tracker.models import Task, TaskOccurrence, UndoRecord, utcnow


@pytest.fixture
def pair(app):
    return make_pair_and_outsider()


def _done(member, task) -> UndoRecord:
    before = undo.replaced(task, ["status"])
    tasks.update_task(member, task, {"status": "done"}, expected_version=task.version)
    return undo.record(member.user, task.team_id, "done", f"#{task.id} marked done.",
                       [undo.change(task, before)])


def test_undo_puts_the_status_back_once(pair):
    task = make_task(pair["o"], status="in_review")
    record = _done(pair["o"], task)
    assert undo.offered(pair["owner"], record.id) == record
    outcomes = undo.undo(pair["owner"], record.id)
    assert [(o.task_id, o.outcome) for o in outcomes] == [(task.id, "restored")]
    db.session.refresh(task)
    assert task.status == "in_review" and task.completed_at is None
    assert undo.offered(pair["owner"], record.id) is None
    with pytest.raises(Invalid) as again:  # one use
        undo.undo(pair["owner"], record.id)
    assert "Too late" in again.value.errors["undo"][0]


def test_a_task_changed_meanwhile_is_reported_not_overwritten(pair):
    task = make_task(pair["o"])
    record = _done(pair["o"], task)
    tasks.update_task(pair["m"], task, {"priority": "critical"})
    outcomes = undo.undo(pair["owner"], record.id)
    assert outcomes[0].outcome == "conflict" and "changed by someone" in outcomes[0].detail
    db.session.refresh(task)
    assert (task.status, task.priority) == ("done", "critical")
    assert "Nothing was undone." in undo.summary(outcomes)


def test_records_expire_and_belong_to_their_user(pair):
    task = make_task(pair["o"])
    record = _done(pair["o"], task)
    with pytest.raises(NotFound):
        undo.undo(pair["mate"], record.id)
    with pytest.raises(NotFound):
        undo.undo(pair["outsider"], record.id)
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert undo.offered(pair["owner"], record.id) is None
    with pytest.raises(Invalid) as late:
        undo.undo(pair["owner"], record.id)
    assert "seconds are over" in late.value.errors["undo"][0]
    assert db.session.get(Task, task.id).status == "done"


def test_undo_takes_a_bulk_trash_back_out_of_the_trash_for_a_member(pair):
    one, two = make_task(pair["o"], "One"), make_task(pair["o"], "Two")
    results = bulk.apply(pair["m"], [one.id, two.id], trash=True)
    record = undo.record(pair["mate"], pair["team_id"], "bulk", "2 tasks trashed.",
                         bulk.undo_changes(results, trash=True))
    outcomes = undo.undo(pair["mate"], record.id)  # a member, though restoring from the trash is for managers
    assert [o.outcome for o in outcomes] == ["restored", "restored"]
    assert all(db.session.get(Task, t).deleted_at is None for t in (one.id, two.id))


def test_undo_of_a_bulk_deadline_puts_back_each_deadline(pair):
    due = make_task(pair["o"], "Had a deadline", due_at=date(2031, 3, 14))
    none = make_task(pair["o"], "Had none")
    old_due = due.due_at
    results = bulk.apply(pair["o"], [due.id, none.id], changes={"due_at": date(2031, 6, 1)})
    record = undo.record(pair["owner"], pair["team_id"], "bulk", "Deadlines set.",
                         bulk.undo_changes(results, False))
    assert [o.outcome for o in undo.undo(pair["owner"], record.id)] == ["restored", "restored"]
    assert db.session.get(Task, due.id).due_at == old_due
    assert db.session.get(Task, none.id).due_at is None


def test_nothing_to_undo_records_nothing(pair):
    assert undo.record(pair["owner"], pair["team_id"], "bulk", "Nothing.", []) is None
    assert db.session.query(UndoRecord).count() == 0


def test_undoing_a_recurring_completion_takes_back_its_untouched_next_occurrence(pair):
    task = make_task(pair["o"], recurrence="FREQ=WEEKLY", due_at=utcnow() + timedelta(days=1))
    record = _done(pair["o"], task)
    following = db.session.get(TaskOccurrence, task.id).next_task_id
    outcomes = undo.undo(pair["owner"], record.id)
    assert outcomes[0].outcome == "restored" and f"#{following} went to the trash" in outcomes[0].detail
    assert db.session.get(Task, following).deleted_at is not None
    assert db.session.get(TaskOccurrence, task.id) is None
    tasks.update_task(pair["o"], task, {"status": "done"})  # completed again: a new next occurrence, once
    again = db.session.get(TaskOccurrence, task.id).next_task_id
    assert again != following and db.session.get(Task, again).deleted_at is None


def test_a_next_occurrence_changed_since_stays_when_the_completion_is_undone(pair):
    task = make_task(pair["o"], recurrence="FREQ=WEEKLY", due_at=utcnow() + timedelta(days=1))
    record = _done(pair["o"], task)
    following = db.session.get(Task, db.session.get(TaskOccurrence, task.id).next_task_id)
    tasks.update_task(pair["m"], following, {"priority": "high"})
    outcomes = undo.undo(pair["owner"], record.id)
    assert "was changed since, so it stays" in outcomes[0].detail
    db.session.refresh(following)
    assert following.deleted_at is None and task.status != "done"


def test_the_daily_purge_deletes_expired_records_only(app, pair):
    spent, live = _done(pair["o"], make_task(pair["o"])), _done(pair["o"], make_task(pair["o"], "Other"))
    spent.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge-sessions"])
    assert result.exit_code == 0 and "deleted 1 expired undo record(s)" in result.output, result.output
    assert db.session.scalars(select(UndoRecord.id)).all() == [live.id]
    assert undo.purge() == 0  # idempotent
