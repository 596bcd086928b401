"""Activity history: every change with field, old and new value, who and when, written in the same
transaction as the change; shown on the task page and in the team feed, filterable."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_task
from tests.support import statements_for
from tracker import comments, events, tasks, timelog
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.models import Activity


def history(task):
    return [
        (a.kind, a.field, a.old_value, a.new_value, a.actor_id)
        for a in db.session.scalars(select(Activity).where(Activity.task_id == task.id).order_by(Activity.id))
    ]


def test_every_change_is_recorded_with_old_and_new_values(crew):
    task = make_task(crew["owner_m"], "Add the index", priority="low")
    due = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    tasks.update_task(
        crew["manager_m"],
        task,
        {
            "status": "in_progress",
            "priority": "high",
            "due_at": due,
            "assignee_id": crew["member"].id,
            "labels": ["db", "perf"],
            "category": "server-code",
        },
    )
    owner, manager = crew["owner"].id, crew["manager"].id
    assert history(task) == [
        ("created", None, None, "Add the index", owner),
        ("changed", "category", "database", "server-code", manager),
        ("changed", "status", "todo", "in_progress", manager),
        ("changed", "priority", "low", "high", manager),
        ("changed", "due_at", None, "2026-12-01T17:00:00Z", manager),
        ("changed", "assignee_id", None, crew["member"].id, manager),
        ("changed", "labels", [], ["db", "perf"], manager),
    ]
    tasks.move_to_trash(crew["member_m"], task)
    tasks.restore_task(crew["owner_m"], task)
    assert [h[0] for h in history(task)[-2:]] == ["deleted", "restored"]


def test_comments_and_time_entries_are_in_the_history(crew):
    task = make_task(crew["owner_m"])
    comment = comments.add_comment(crew["member_m"], task, "On it")
    entry = timelog.log_time(crew["member_m"], task, 1.5, date(2026, 11, 20), "schema draft")
    timelog.delete_time_entry(crew["member_m"], entry)
    comments.delete_comment(crew["owner_m"], comment)
    kinds = [(h[0], h[4]) for h in history(task)]
    assert kinds == [
        ("created", crew["owner"].id),
        ("commented", crew["member"].id),
        ("time_logged", crew["member"].id),
        ("time_deleted", crew["member"].id),
        ("comment_deleted", crew["owner"].id),
    ]
    assert history(task)[2][3] == {
        "hours": 1.5,
        "spent_on": "2026-11-20",
        "note": "schema draft",
        "user_id": crew["member"].id,
    }
    assert history(task)[1][3] is None  # the deleted comment's text is not kept in the history
    assert history(task)[4][2] == crew["member"].id  # whose comment it was


def test_a_conflicting_save_leaves_no_history_behind(crew):
    task = make_task(crew["owner_m"])
    with pytest.raises(Conflict):
        tasks.update_task(crew["manager_m"], task, {"status": "done"}, expected_version=task.version + 1)
    db.session.rollback()
    assert [h[0] for h in history(task)] == ["created"]


def test_a_change_rolled_back_after_recording_leaves_no_history(crew):
    """Recorded in the change's transaction: if that transaction is rolled back, so is the history."""
    task = make_task(crew["owner_m"])
    task.status = "blocked"
    events.task_changed.send(task, actor=crew["manager"], changes={"status": ("todo", "blocked")})
    db.session.rollback()
    assert [h[0] for h in history(task)] == ["created"]


def test_unchanged_save_records_nothing(crew):
    task = make_task(crew["owner_m"], "Same")
    tasks.update_task(crew["manager_m"], task, {"title": "Same"})
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 1


def test_task_page_shows_history_in_the_viewers_zone(client, crew):
    task = make_task(crew["owner_m"], "Rotate keys")
    tasks.update_task(
        crew["manager_m"],
        task,
        {"due_at": datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "assignee_id": crew["member"].id},
    )
    login(client, crew["member"])  # Tokyo
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Manu</strong> changed the deadline from none to Wed 01 Jul 2026 21:00" in page
    assert "Manu</strong> changed the assignee from none to Mia" in page
    client.post("/logout")
    login(client, crew["owner"])  # Lisbon, UTC+1 in July
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "changed the deadline from none to Wed 01 Jul 2026 13:00" in page


def test_team_feed_filters_by_person_category_and_kind(client, crew):
    a = make_task(crew["owner_m"], "Schema", category="database")
    b = make_task(crew["manager_m"], "Endpoint", category="server-code")
    comments.add_comment(crew["member_m"], b, "Looks good")
    tasks.update_task(crew["member_m"], a, {"status": "in_review"})
    login(client, crew["member"])
    everything = client.get(f"/teams/{crew['team_id']}/activity").get_data(as_text=True)
    assert "4 entries" in everything
    by_manager = client.get(f"/teams/{crew['team_id']}/activity?person={crew['manager'].id}").get_data(
        as_text=True
    )
    assert "1 entry" in by_manager and "Endpoint" in by_manager and "Schema</a>" not in by_manager
    database = client.get(f"/teams/{crew['team_id']}/activity?category=database").get_data(as_text=True)
    assert "2 entries" in database and "changed the status from todo to in review" in database
    only_comments = client.get(f"/teams/{crew['team_id']}/activity?kind=comments").get_data(as_text=True)
    assert "1 entry" in only_comments and "commented" in only_comments
    bad = client.get(f"/teams/{crew['team_id']}/activity?kind=gossip&person=me")
    assert bad.status_code == 422 and "Choose one of: changes, comments, time" in bad.get_data(as_text=True)


def test_feed_of_another_team_is_404(client, crew):
    login(client, crew["outsider"])
    assert client.get(f"/teams/{crew['team_id']}/activity").status_code == 404


def test_feed_page_queries_do_not_grow_with_entries(client, crew):
    login(client, crew["member"])
    feed = f"/teams/{crew['team_id']}/activity"
    make_task(crew["owner_m"], "One", assignee_id=crew["member"].id)
    few = statements_for(client.get, feed)
    for i in range(6):
        t = make_task(crew["manager_m"], f"Task {i}", assignee_id=crew["owner"].id, category="testing")
        comments.add_comment(crew["member_m"], t, f"note {i}")
    assert statements_for(client.get, feed) == few
