"""The prioritisation views: my work, board, matrix, calendar, dashboard, forecast, saved filters."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select

from tests.factories import add_to_team, login, make_task, make_team, make_user
from tests.support import forget_responses
from tracker import prioritisation, stored_forecast, tallies, tokens
from tracker.deadlines import utc_to_local
from tracker.extensions import db
from tracker.models import (
    Category,
    ChecklistItem,
    Comment,
    SavedFilter,
    Task,
    TaskLabel,
    TeamMembership,
    TimeEntry,
    task_blockers,
)
from tracker.tasks import TaskFilter, list_tasks, parse_task_filter, update_task

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


def test_my_work_buckets_in_the_users_zone_across_teams(app):
    # Auckland is UTC+13 in November: NOW (12:00 UTC Wed) is 01:00 Thursday 26 Nov there.
    kiri = make_user("Kiri", timezone="Pacific/Auckland")
    a = make_team(kiri, "Payments")
    b = make_team(kiri, "Search")
    other = make_user("Other")
    add_to_team(a, other)
    overdue = make_task(a, "Overdue", due_at=NOW - timedelta(hours=1), assignee_id=kiri.id)
    today_low = make_task(a, "Today low", due_at=datetime(2026, 11, 26, 10, tzinfo=UTC), assignee_id=kiri.id, priority="low")
    today_high = make_task(b, "Today high", due_at=datetime(2026, 11, 26, 9, tzinfo=UTC), assignee_id=kiri.id, priority="high")
    # Sunday 29 Nov 23:00 local = 10:00 UTC Sunday: still this ISO week in Auckland.
    week = make_task(a, "Sunday night", due_at=datetime(2026, 11, 29, 10, tzinfo=UTC), assignee_id=kiri.id)
    later = make_task(b, "Monday", due_at=datetime(2026, 11, 29, 11, 30, tzinfo=UTC), assignee_id=kiri.id)
    undated = make_task(a, "Someday", assignee_id=kiri.id)
    make_task(a, "Someone else's", due_at=NOW, assignee_id=other.id)
    done = make_task(a, "Finished", due_at=NOW, assignee_id=kiri.id, status="done")
    assert done.status == "done"

    work = prioritisation.my_work(kiri, NOW)

    names = {bucket: [t.title for t in tasks] for bucket, tasks in work.buckets.items()}
    assert names == {
        "overdue": ["Overdue"],
        "today": ["Today high", "Today low"],  # priority first, then deadline
        "this_week": ["Sunday night"],
        "later": ["Monday"],
        "no_due": ["Someday"],
    }
    assert work.total == 6
    assert {overdue.id, today_low.id, today_high.id, week.id, later.id, undated.id} == {
        t.id for ts in work.buckets.values() for t in ts
    }


def test_my_work_page_lists_buckets_and_changes_status(client, app):
    ana = make_user("Ana")
    team = make_team(ana)
    task = make_task(team, "Ship it", assignee_id=ana.id, due_at=datetime.now(UTC) - timedelta(hours=2))
    login(client, ana)
    page = client.get("/my-work").get_data(as_text=True)
    assert "Ship it" in page and 'id="b-overdue"' in page
    r = client.post(f"/tasks/{task.id}/status", data={"status": "in_review", "version": task.version, "next": "/my-work"})
    assert r.status_code == 302 and r.headers["Location"] == "/my-work"
    assert db.session.get(Task, task.id).status == "in_review"


def test_status_change_with_a_stale_version_changes_nothing(client, app):
    ana = make_user("Ana")
    team = make_team(ana)
    task = make_task(team, "Ship it", assignee_id=ana.id)
    stale = task.version
    update_task(team, task, {"status": "in_progress"})
    login(client, ana)
    r = client.post(f"/tasks/{task.id}/status", data={"status": "done", "version": stale},
                    headers={"Accept": "application/json"})
    assert r.status_code == 409
    assert r.get_json()["status"] == "in_progress"
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "in_progress"
    r = client.post(f"/tasks/{task.id}/status", data={"status": "done", "version": stale + 1},
                    headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.get_json() == {"status": "done", "version": stale + 2,
                                                      "undo": r.get_json()["undo"]}  # done: Undo offered
    r = client.post(f"/tasks/{task.id}/status", data={"status": "bogus"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "done"


def test_status_change_refuses_open_redirects(client, app):
    ana = make_user("Ana")
    team = make_team(ana)
    task = make_task(team, "Ship it")
    login(client, ana)
    for target in ("//evil.example/x", "/\\evil.example/x", "https://evil.example/x"):
        r = client.post(f"/tasks/{task.id}/status", data={"status": "done", "next": target})
        assert r.headers["Location"] == "/my-work", target


def _mixed_team():
    owner = make_user("Owner")
    dev = make_user("Dev")
    team = make_team(owner)
    add_to_team(team, dev)
    specs = [
        ("database", "todo", "critical", NOW - timedelta(days=1), dev.id),
        ("database", "in_progress", "high", NOW + timedelta(hours=10), dev.id),
        ("database", "blocked", "low", NOW + timedelta(hours=80), None),
        ("security", "in_review", "medium", NOW + timedelta(hours=30), owner.id),
        ("security", "todo", "high", None, dev.id),
        ("testing", "todo", "low", NOW + timedelta(days=20), owner.id),
        ("testing", "done", "high", NOW - timedelta(days=2), dev.id),
    ]
    for i, (cat, status, prio, due, who) in enumerate(specs):
        make_task(team, f"Task {i}", category=cat, status=status, priority=prio, due_at=due, assignee_id=who)
    return owner, dev, team


@pytest.mark.parametrize("args", [{}, {"category": "database"}, {"assignee": "me"}, {"priority": "high"}, {"label": "x"}])
def test_board_columns_count_exactly_what_the_list_filter_counts(app, args):
    owner, dev, team = _mixed_team()
    member = team if "assignee" not in args else add_to_team(team, make_user("Viewer")) and team
    task_filter = parse_task_filter(args)
    columns = prioritisation.board(member, task_filter, NOW)
    for status in ("todo", "in_progress", "in_review", "blocked"):
        listed = list_tasks(member, parse_task_filter({**args, "status": status}), per_page=200)
        assert [t.id for t in columns[status]] == sorted([t.id for t in listed.items],
                                                         key=lambda i: [t.id for t in columns[status]].index(i))
        assert len(columns[status]) == listed.total


def test_board_page_moves_a_card_without_javascript(client, app):
    owner, dev, team = _mixed_team()
    login(client, owner)
    page = client.get(f"/teams/{team.team_id}/board").get_data(as_text=True)
    # Six open tasks, and the one completed just now in the "done" column.
    assert page.count('draggable="true"') == 7
    task = db.session.scalar(select(Task).where(Task.title == "Task 0"))
    r = client.post(f"/tasks/{task.id}/status", data={"status": "done", "version": task.version,
                                                       "next": f"/teams/{team.team_id}/board"})
    assert r.status_code == 302 and r.headers["Location"] == f"/teams/{team.team_id}/board"
    page = client.get(f"/teams/{team.team_id}/board").get_data(as_text=True)
    done_column = page[page.index('data-status="done"'):]
    assert "Task 0" in done_column


def test_eisenhower_quadrants_follow_priority_and_the_team_urgency_window(app):
    owner, dev, team = _mixed_team()
    quadrants = prioritisation.eisenhower(team, TaskFilter(), NOW)
    titles = {q: sorted(t.title for t in ts) for q, ts in quadrants.items()}
    assert titles == {
        "do": ["Task 0", "Task 1"],        # critical overdue; high due in 10 h
        "schedule": ["Task 4"],            # high, no deadline
        "delegate": ["Task 3"],            # medium due in 30 h (80 h is outside the 72 h window)
        "later": ["Task 2", "Task 5"],     # low due in 80 h; low in 20 days
    }
    # The four quadrants hold exactly the open tasks the list filter counts.
    assert sum(len(ts) for ts in quadrants.values()) == list_tasks(team, parse_task_filter({"status": "open"})).total
    team.team.urgency_window_hours = 96
    db.session.commit()
    quadrants = prioritisation.eisenhower(team, TaskFilter(), NOW)
    assert sorted(t.title for t in quadrants["delegate"]) == ["Task 2", "Task 3"]


def test_calendar_days_are_the_viewers_days(app):
    tonga = make_user("Sione", timezone="Pacific/Tongatapu")   # UTC+13
    hawaii = make_user("Leilani", timezone="Pacific/Honolulu")  # UTC-10
    team = make_team(tonga)
    hmember = add_to_team(team, hawaii)
    task = make_task(team, "Cut-over", due_at=datetime(2026, 12, 1, 20, 30, tzinfo=UTC))
    seen_in_tonga = prioritisation.deadline_calendar(team, 2026, 12, TaskFilter(), tonga.timezone)
    seen_in_hawaii = prioritisation.deadline_calendar(hmember, 2026, 12, TaskFilter(), hawaii.timezone)
    assert [t.id for t in seen_in_tonga.by_day[date(2026, 12, 2)]] == [task.id]   # 09:30 on the 2nd
    assert [t.id for t in seen_in_hawaii.by_day[date(2026, 12, 1)]] == [task.id]  # 10:30 on the 1st
    assert seen_in_tonga.weeks[0][0] == date(2026, 11, 30) and len(seen_in_tonga.weeks) == 5
    # The grid counts what the list filter counts for the same window.
    window = {"due_after": "2026-11-29T11:00:00Z", "due_before": "2027-01-03T11:00:00Z"}  # Mon 30 Nov .. Sun 3 Jan, Tonga
    assert sum(map(len, seen_in_tonga.by_day.values())) == list_tasks(team, parse_task_filter(window)).total == 1


def test_calendar_page_navigates_months_and_keeps_filters(client, app):
    ana = make_user("Ana")
    team = make_team(ana)
    make_task(team, "December deadline", category="security", due_at=datetime(2026, 12, 10, 12, tzinfo=UTC))
    make_task(team, "Other category", category="testing", due_at=datetime(2026, 12, 11, 12, tzinfo=UTC))
    login(client, ana)
    page = client.get(f"/teams/{team.team_id}/calendar?month=2026-12&category=security").get_data(as_text=True)
    assert "December 2026" in page and "December deadline" in page and "Other category" not in page
    assert "month=2027-01&amp;category=security" in page and "month=2026-11&amp;category=security" in page
    assert client.get(f"/teams/{team.team_id}/calendar?month=garbage").status_code == 200
    assert client.get(f"/teams/{team.team_id}/calendar?priority=urgent").status_code == 422


def test_dashboard_counts_match_the_list_filter(app, client):
    owner, dev, team = _mixed_team()
    data = prioritisation.dashboard(team, NOW)
    assert [t.title for t in data.overdue] == ["Task 0"]
    assert sorted(t.title for t in data.due_soon) == ["Task 1", "Task 2", "Task 3"]
    for row in data.by_category:
        assert row["open"] == list_tasks(team, parse_task_filter({"category": row["slug"], "status": "open"})).total
    db_row = next(r for r in data.by_category if r["slug"] == "database")
    assert (db_row["open"], db_row["overdue"]) == (3, 1)
    loads = {p.user.name: p for p in data.by_assignee}
    assert loads["Dev"].open_tasks == 3 and loads["Owner"].open_tasks == 2
    assert len(data.burnup) == 9
    login(client, owner)
    page = client.get(f"/teams/{team.team_id}/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 3 and "Burn-up" in page and "<table" in page


def test_workload_compares_hours_due_with_working_hours_until_each_deadline(app):
    ana = make_user("Ana", timezone="UTC")
    # Wednesday 12:00 UTC; Ana works 09-17 Mon-Fri. Until Thursday 17:00 she has 5 + 8 = 13 h.
    thursday = datetime(2026, 11, 26, 17, tzinfo=UTC)
    friday = datetime(2026, 11, 27, 17, tzinfo=UTC)
    load = prioritisation.workload(ana, [(thursday, 10.0), (friday, 12.0), (None, 3.0), (friday, None)], NOW)
    assert load.remaining_hours == 25.0 and load.unestimated == 1 and load.open_tasks == 4
    # By Friday 17:00 she needs 22 h and has 21 h: the tightest point, over capacity.
    assert (load.tight_due_at, load.needed_hours, load.available_hours) == (friday, 22.0, 21.0)
    assert load.overloaded


def test_forecast_marks_at_risk_tasks_and_explains_them_on_the_task_page(client, app):
    ana = make_user("Ana", timezone="Europe/Lisbon")
    team = make_team(ana)
    soon = datetime.now(UTC) + timedelta(days=1)
    late = make_task(team, "Huge job", assignee_id=ana.id, estimate_hours=200, due_at=soon)
    # 200 h of Ana's 40 h weeks take five weeks; the small job, due in nine, waits behind it but makes it.
    fine = make_task(team, "Small job", assignee_id=ana.id, estimate_hours=0.5, due_at=soon + timedelta(days=63))
    login(client, ana)
    page = client.get(f"/teams/{team.team_id}/forecast").get_data(as_text=True)
    assert page.count('class="at-risk"') == 1
    show = client.get(f"/tasks/{late.id}").get_data(as_text=True)
    assert "at risk" in show and "needs 200 h" in show and "Europe/Lisbon" in show
    assert "at risk" not in client.get(f"/tasks/{fine.id}").get_data(as_text=True).split("</dl>")[1].split("Time")[0]
    assert "at risk" in client.get("/my-work").get_data(as_text=True)
    # Every view marks it: the list, the board, the matrix and the calendar.
    month = soon.strftime("%Y-%m")
    for url in (f"/teams/{team.team_id}/tasks", f"/teams/{team.team_id}/board",
                f"/teams/{team.team_id}/eisenhower", f"/teams/{team.team_id}/calendar?month={month}"):
        page = client.get(url).get_data(as_text=True)
        assert re.search(r'class="risk-(tag|dot)"', page), url


def test_forecast_queues_an_assignees_tasks_from_all_their_teams(app, monkeypatch):
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)
    ana = make_user("Ana")
    a = make_team(ana, "A")
    b = make_team(ana, "B")
    # Wednesday 12:00: 5 h left today. A's task needs 4 h but B's earlier deadline comes first.
    make_task(b, "B first", assignee_id=ana.id, estimate_hours=4, due_at=NOW + timedelta(hours=3))
    a_task = make_task(a, "A second", assignee_id=ana.id, estimate_hours=4, due_at=NOW + timedelta(hours=5))
    result = stored_forecast.load(stored_forecast.open_in_team(a.team_id))
    assert list(result.results) == [a_task.id]
    f = result.results[a_task.id]
    assert f.earlier_tasks == 1 and f.at_risk and f.projected_finish_at == datetime(2026, 11, 26, 12, tzinfo=UTC)


def _bulk_tasks(member, n: int, assignees: list[int]) -> list[int]:
    """`n` tasks of every status, priority and kind of deadline in the member's team, written with
    SQLAlchemy Core (a thousand in well under a second), with time logged, blockers, labels, checklists
    and comments, and their stored forecast; returns their ids."""
    categories = list(db.session.scalars(select(Category.id).where(Category.team_id == member.team_id)))
    statuses = ["todo", "in_progress", "in_review", "blocked", "done"]
    now = datetime.now(UTC)
    rows = [
        {"team_id": member.team_id, "category_id": categories[i % len(categories)], "title": f"Bulk {i}",
         "status": statuses[i % 5], "priority": ["critical", "high", "medium", "low"][i % 4],
         "due_at": now + timedelta(hours=(i % 90) - 30) if i % 7 else None, "estimate_hours": (i % 5) or None,
         "assignee_id": assignees[i % len(assignees)], "reporter_id": member.user_id,
         "created_at": now - timedelta(days=i % 50), "updated_at": now,
         "completed_at": now if i % 5 == 4 else None}
        for i in range(n)
    ]
    ids = list(db.session.scalars(insert(Task).returning(Task.id, sort_by_parameter_order=True), rows))
    db.session.execute(insert(TimeEntry), [
        {"task_id": t, "user_id": member.user_id, "hours": 1, "spent_on": now.date(), "note": "",
         "created_at": now} for t in ids[::3]])
    db.session.execute(insert(task_blockers), [
        {"task_id": ids[i], "blocker_id": ids[i - 1]} for i in range(3, n, 3)])
    db.session.execute(insert(TaskLabel), [{"task_id": t, "name": f"l{t % 4}"} for t in ids[::2]])
    db.session.execute(insert(ChecklistItem), [
        {"task_id": t, "text": "Check", "done": bool(t % 2), "position": 0} for t in ids[2::4]])
    db.session.execute(insert(Comment), [
        {"task_id": t, "author_id": member.user_id, "body": "Noted", "body_html": "<p>Noted</p>",
         "created_at": now} for t in ids[::3]])
    db.session.commit()
    stored_forecast.refresh_all()
    return ids


# Every page and API list that shows tasks; {t}: the team, {task}: an open task with blockers, time logged,
# labels, a checklist and comments.
PAGES = ["/my-work", "/teams/{t}/board", "/teams/{t}/eisenhower", "/teams/{t}/calendar",
         "/teams/{t}/dashboard", "/teams/{t}/forecast", "/teams/{t}/tasks",
         "/teams/{t}/tasks?status=open&sort=-priority", "/my-time"]
API_LISTS = ["/api/v1/teams/{t}/tasks", "/api/v1/teams/{t}/tasks?status=open&sort=priority",
             "/api/v1/me/work", "/api/v1/teams/{t}/eisenhower", "/api/v1/teams/{t}/deadlines",
             "/api/v1/teams/{t}/forecast", "/api/v1/tasks/{task}", "/api/v1/tasks/{task}/comments",
             "/api/v1/tasks/{task}/time-entries"]


def _statements(client, url: str, headers: dict) -> list[tuple[str, int]]:
    """The statements (and how many parameters each carries) of one GET of `url`, after one to warm up
    (nothing first-request-only may count against either size), each starting cold as on a server."""
    assert client.get(url, headers=headers).status_code == 200, url
    db.session.remove()
    forget_responses()  # the page's own work, not the kept response
    seen: list[tuple[str, int]] = []

    def record(_conn, _cursor, statement, parameters, *_):
        seen.append((statement, len(parameters or ())))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url, headers=headers).status_code == 200, url
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_every_view_makes_the_same_number_of_queries_for_10_and_1000_tasks(app, client):
    ana = make_user("Ana")
    bob = make_user("Bob", timezone="Asia/Tokyo")
    teams = {"small": make_team(ana, "Small"), "big": make_team(ana, "Big")}
    for team in teams.values():
        add_to_team(team, bob)
    team_ids = {size: team.team_id for size, team in teams.items()}
    people = [ana.id, bob.id]
    headers = {"Authorization": f"Bearer {tokens.create_token(ana)[1]}"}
    login(client, ana)
    counts = {}
    for size, n in (("small", 10), ("big", 1000)):
        member = db.session.scalar(select(TeamMembership).where(
            TeamMembership.team_id == team_ids[size], TeamMembership.user_id == people[0]))
        # Task 6 is open, blocked, with time logged, labels, a checklist and comments.
        task = _bulk_tasks(member, n, people)[6]
        if size == "big":  # my work and my time then see the big team's tasks only
            db.session.execute(Task.__table__.delete().where(Task.team_id == team_ids["small"]))
            db.session.commit()
        for page in [*PAGES, "/tasks/{task}", *API_LISTS]:
            url = page.format(t=team_ids[size], task=task)
            seen = _statements(client, url, headers if page.startswith("/api/") else {})
            counts[(size, page)] = len(seen)
            # No statement carries a list of every open task (600 of the 1,000): at most the ids of the
            # cards a page shows (each group's first 50) go to the database; the rest are subqueries.
            assert max(params for _sql, params in seen) <= 250, (url, max(seen, key=lambda s: s[1]))
    for page in [*PAGES, "/tasks/{task}", *API_LISTS]:
        assert counts[("small", page)] == counts[("big", page)], (page, counts)


def test_saved_filters_personal_and_shared(client, app):
    owner = make_user("Owner")
    member_user = make_user("Member")
    team = make_team(owner)
    add_to_team(team, member_user)
    login(client, member_user)
    r = client.post(f"/teams/{team.team_id}/filters", data={"name": "My DB work", "view": "board",
                                                             "category": "database", "assignee": "me"})
    assert r.status_code == 302 and r.headers["Location"] == f"/teams/{team.team_id}/board?category=database&assignee=me"
    r = client.post(f"/teams/{team.team_id}/filters", data={"name": "Shared?", "view": "list", "shared": "on"})
    assert r.status_code == 403
    page = client.get(f"/teams/{team.team_id}/tasks").get_data(as_text=True)
    assert "My DB work" in page and "/board?category=database&amp;assignee=me" in page
    assert db.session.scalar(select(SavedFilter).where(SavedFilter.name == "Shared?")) is None
    client.post("/logout")
    login(client, owner)
    assert "My DB work" not in client.get(f"/teams/{team.team_id}/tasks").get_data(as_text=True)
    client.post(f"/teams/{team.team_id}/filters", data={"name": "Critical", "view": "list", "priority": "critical", "shared": "on"})
    client.post("/logout")
    login(client, member_user)
    page = client.get(f"/teams/{team.team_id}/tasks").get_data(as_text=True)
    assert "Critical" in page
    shared = db.session.scalar(select(SavedFilter).where(SavedFilter.name == "Critical"))
    assert client.post(f"/teams/{team.team_id}/filters/{shared.id}/delete").status_code == 403
    mine = db.session.scalar(select(SavedFilter).where(SavedFilter.name == "My DB work"))
    assert client.post(f"/teams/{team.team_id}/filters/{mine.id}/delete").status_code == 302
    assert db.session.get(SavedFilter, mine.id) is None
    r = client.post(f"/teams/{team.team_id}/filters", data={"name": "", "view": "list", "priority": "high"}, follow_redirects=True)
    assert "Give the filter a name." in r.get_data(as_text=True)


def test_views_of_another_team_are_404(client, app):
    ana = make_user("Ana")
    team = make_team(ana)
    otto = make_user("Otto")
    make_team(otto)
    login(client, otto)
    for page in PAGES:
        if "{t}" in page:
            assert client.get(page.format(t=team.team_id)).status_code == 404, page
    assert client.post(f"/teams/{team.team_id}/filters", data={"name": "x"}).status_code == 404
    task = make_task(team, "Secret")
    assert client.post(f"/tasks/{task.id}/status", data={"status": "done"}).status_code == 404


def test_time_logging_and_my_week(client, app):
    ana = make_user("Ana", timezone="Asia/Tokyo")
    bob = make_user("Bob")
    team = make_team(ana)
    add_to_team(team, bob)
    task = make_task(team, "Profile queries", estimate_hours=4)
    login(client, ana)
    today = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo")).date()
    r = client.post(f"/tasks/{task.id}/time", data={"hours": "1.5", "spent_on": today.isoformat(), "note": "EXPLAIN"})
    assert r.status_code == 302
    client.post(f"/tasks/{task.id}/time", data={"hours": "2", "spent_on": today.isoformat()})
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Spent <strong>3.5 h</strong> of 4 h estimated" in page
    for bad, message in (({"hours": "0", "spent_on": today.isoformat()}, "at least 0.01 hours"),
                         ({"hours": "25", "spent_on": today.isoformat()}, "at most 24"),
                         ({"hours": "abc", "spent_on": today.isoformat()}, "Hours"),
                         ({"hours": "1", "spent_on": (today + timedelta(days=3)).isoformat()}, "not come yet")):
        r = client.post(f"/tasks/{task.id}/time", data=bad, follow_redirects=True)
        assert message in r.get_data(as_text=True), bad
    assert db.session.scalar(select(TimeEntry.id).where(TimeEntry.hours > 2)) is None
    week = client.get(f"/my-time?week={today.isoformat()}").get_data(as_text=True)
    assert "3.5 h</span> logged this week" in week and "Profile queries" in week
    entry = db.session.scalar(select(TimeEntry).where(TimeEntry.note == "EXPLAIN"))
    client.post("/logout")
    login(client, bob)
    assert client.post(f"/time-entries/{entry.id}/delete").status_code == 403
    assert "0 h</span> logged this week" in client.get("/my-time").get_data(as_text=True)


def test_a_start_date_is_the_same_day_for_every_viewer(client, app):
    # Stored as midnight where the assignee (Tokyo) works; Honolulu is 19 hours behind.
    kenji = make_user("Kenji", timezone="Asia/Tokyo")
    lani = make_user("Lani", timezone="Pacific/Honolulu")
    team = make_team(kenji)
    add_to_team(team, lani)
    task = make_task(team, "Cut-over", assignee_id=kenji.id, start_at=date(2026, 12, 5))
    assert task.start_at == datetime(2026, 12, 4, 15, tzinfo=UTC)
    login(client, lani)
    assert "Sat 05 Dec 2026" in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="start_date" type="date" value="2026-12-05"' in client.get(f"/tasks/{task.id}/edit").get_data(as_text=True)


# Bounded pages: each group shows its first cards, a count of all, and a link for more -----------------


def section(page: str, marker: str) -> str:
    """The HTML of the <section> that starts at `marker` (a column, quadrant or bucket)."""
    start = page.index(marker)
    return page[start:page.index("</section>", start)]


def card_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="task-card[^"]*" data-task-id="(\d+)"', html)]


def more_link(html: str) -> str | None:
    found = re.search(r'<p class="show-more"><a href="([^"]+)"', html)
    return found and found[1].replace("&amp;", "&")


def test_a_board_column_shows_its_first_cards_a_count_of_all_and_more_on_request(client, app, monkeypatch):
    app.config["BOARD_CARDS"] = 2
    ana = make_user("Ana")
    team = make_team(ana)
    todo = [make_task(team, f"Todo {i}", priority="high", due_at=NOW + timedelta(days=i)) for i in range(5)]
    make_task(team, "Started", status="in_progress")
    login(client, ana)
    board = f"/teams/{team.team_id}/board"

    page = client.get(f"{board}?priority=high").get_data(as_text=True)
    column = section(page, 'data-status="todo"')
    assert card_ids(column) == [todo[0].id, todo[1].id]  # the earliest deadlines
    assert '<span class="count">5</span>' in column and "(3 not shown)" in column
    assert more_link(column) == f"{board}?priority=high&limit_todo=4"  # the filter kept
    assert more_link(section(page, 'data-status="in_progress"')) is None

    column = section(client.get(more_link(column)).get_data(as_text=True), 'data-status="todo"')
    assert card_ids(column) == [t.id for t in todo[:4]] and more_link(column).endswith("limit_todo=6")
    column = section(client.get(more_link(column)).get_data(as_text=True), 'data-status="todo"')
    assert card_ids(column) == [t.id for t in todo] and "not shown" not in column

    # At the most a column may show, "more" is the task list, which has pages.
    monkeypatch.setattr(prioritisation, "MOST_CARDS", 3)
    column = section(client.get(f"{board}?limit_todo=999").get_data(as_text=True), 'data-status="todo"')
    assert len(card_ids(column)) == 3 and "(2 not shown)" in column
    assert f'href="/teams/{team.team_id}/tasks?status=todo"' in column
    for odd in ("-1", "0", "abc", "1" * 30):
        assert client.get(f"{board}?limit_todo={odd}").status_code == 200, odd


def test_the_matrix_and_my_work_show_the_first_tasks_of_each_group(client, app):
    app.config["BOARD_CARDS"] = 1
    ana = make_user("Ana")
    team = make_team(ana)
    later = [make_task(team, f"Low {i}", priority="low", assignee_id=ana.id) for i in range(3)]
    login(client, ana)
    page = client.get(f"/teams/{team.team_id}/eisenhower").get_data(as_text=True)
    quadrant = section(page, 'class="quadrant quadrant-later"')
    assert card_ids(quadrant) == [later[0].id] and '<span class="count">3</span>' in quadrant
    assert more_link(quadrant) == f"/teams/{team.team_id}/eisenhower?limit_later=2"

    page = client.get("/my-work").get_data(as_text=True)
    bucket = section(page, 'class="bucket bucket-no_due"')
    assert bucket.count('class="work-item"') == 1 and '<span class="count">3</span>' in bucket
    assert more_link(bucket) == "/my-work?limit_no_due=2"
    page = client.get("/my-work?limit_no_due=3").get_data(as_text=True)
    bucket = section(page, 'class="bucket bucket-no_due"')
    assert bucket.count('class="work-item"') == 3 and more_link(bucket) is None


def test_my_work_shows_fewer_cards_per_bucket_than_the_board_in_the_same_order(client, app, monkeypatch):
    monkeypatch.setattr(prioritisation, "MY_WORK_CARDS", 2)
    ana = make_user("Ana")
    team = make_team(ana)
    made = [make_task(team, f"Low {i}", priority=p, assignee_id=ana.id)
            for i, p in enumerate(["low", "critical", "low", "high", "medium"])]
    login(client, ana)
    def work_ids(html: str) -> list[int]:
        return [int(i) for i in re.findall(r'<a href="/tasks/(\d+)"><span class="muted">#', html)]

    bucket = section(client.get("/my-work").get_data(as_text=True), 'class="bucket bucket-no_due"')
    assert work_ids(bucket) == [made[1].id, made[3].id] and '<span class="count">5</span>' in bucket
    assert "(3 not shown)" in bucket and more_link(bucket) == "/my-work?limit_no_due=4"
    page = client.get("/my-work?limit_no_due=4").get_data(as_text=True)
    bucket = section(page, 'class="bucket bucket-no_due"')
    assert work_ids(bucket) == [made[1].id, made[3].id, made[4].id, made[0].id]
    assert more_link(bucket) == "/my-work?limit_no_due=6"


def test_each_calendar_day_counts_the_deadlines_of_that_day_in_the_viewers_zone(app):
    # March 2025 in New York: the clocks go forward on Sunday 9 March; deadlines a second either side of
    # every midnight the grid holds land on the day the zone says.
    zone = "America/New_York"
    ana = make_user("Ana", timezone=zone)
    team = make_team(ana)
    days = [day for week in prioritisation.month_grid(2025, 3) for day in week]
    midnights = [prioritisation.local_to_utc(datetime.combine(d, datetime.min.time()), zone) for d in days]
    dues = [m + offset for m in midnights[1:] for offset in (timedelta(seconds=-1), timedelta(0))]
    for i, due in enumerate(dues):
        make_task(team, f"Due {i}", due_at=due)
    grid = prioritisation.deadline_calendar(team, 2025, 3, TaskFilter(), zone)
    expected = {}
    for due in dues:
        day = utc_to_local(due, zone).date()
        if days[0] <= day <= days[-1]:
            expected[day] = expected.get(day, 0) + 1
    assert grid.totals == expected and len(expected) == len(days)
    assert all(utc_to_local(t.due_at, zone).date() == day for day, ts in grid.by_day.items() for t in ts)


def test_a_calendar_day_shows_its_first_deadlines_and_links_to_the_rest(client, app):
    ana = make_user("Ana", timezone="Asia/Tokyo")
    team = make_team(ana)
    day = datetime(2026, 12, 9, 1, tzinfo=UTC)  # 10:00 on Wed 9 Dec in Tokyo
    made = [make_task(team, f"Due {i}", due_at=day + timedelta(minutes=i)) for i in range(7)]
    grid = prioritisation.deadline_calendar(team, 2026, 12, TaskFilter(), ana.timezone)
    assert [t.id for t in grid.by_day[date(2026, 12, 9)]] == [t.id for t in made[:5]]
    assert grid.totals[date(2026, 12, 9)] == 7 and grid.hidden(date(2026, 12, 9)) == 2
    login(client, ana)
    page = client.get(f"/teams/{team.team_id}/calendar?month=2026-12").get_data(as_text=True)
    link = re.search(r'<a class="cal-more" href="([^"]+)">2 more</a>', page)[1].replace("&amp;", "&")
    # Wed 9 Dec in Tokyo is 15:00 UTC on the 8th to 15:00 UTC on the 9th.
    assert link == (f"/teams/{team.team_id}/tasks?due_before=2026-12-09T15:00:00Z"
                    "&due_after=2026-12-08T15:00:00Z")
    assert all(f"Due {i}" in client.get(link).get_data(as_text=True) for i in range(7))


def test_the_dashboard_lists_the_first_ten_and_counts_all(client, app):
    ana = make_user("Ana")
    team = make_team(ana)
    now = datetime.now(UTC)
    for i in range(12):
        make_task(team, f"Late {i}", due_at=now - timedelta(hours=20 - i), estimate_hours=1,
                  assignee_id=ana.id)
    data = prioritisation.dashboard(team)
    assert [t.title for t in data.overdue] == [f"Late {i}" for i in range(10)]
    assert data.lists.totals == {"overdue": 12, "due_soon": 0, "at_risk": 12}
    login(client, ana)
    page = client.get(f"/teams/{team.team_id}/dashboard").get_data(as_text=True)
    assert '<span class="stat-value">12</span> overdue' in page and "All 12 in the task list" in page
    assert section(page, 'id="h-overdue"').count("<tr>") == 11  # the header and ten tasks


def test_the_dashboards_sums_give_what_workload_gives_over_each_task(app, monkeypatch):
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)
    ana = make_user("Ana", timezone="Europe/Lisbon")
    team = make_team(ana)
    # (deadline, estimate, hours logged): overdue ones, one a day this week, one past the one-year horizon,
    # an undated one and one without estimate.
    specs = [(NOW - timedelta(days=3), 5, 1), (NOW - timedelta(hours=2), 3, 4),
             (NOW + timedelta(hours=5), 4, 0), (NOW + timedelta(days=1, hours=5), 10, 2.5),
             (NOW + timedelta(days=2), 6, 0), (NOW + timedelta(days=500), 100, 0), (None, 7, 1),
             (NOW + timedelta(days=3), None, 0)]
    for i, (due, estimate, logged) in enumerate(specs):
        task = make_task(team, f"Task {i}", assignee_id=ana.id, due_at=due, estimate_hours=estimate)
        if logged:
            db.session.add(TimeEntry(task_id=task.id, user_id=ana.id, hours=logged, spent_on=NOW.date()))
    db.session.commit()
    stored_forecast.refresh_all()
    remaining = [(due, None if estimate is None else max(estimate - logged, 0))
                 for due, estimate, logged in specs]
    expected = prioritisation.workload(ana, remaining, NOW)
    assert (expected.open_tasks, expected.remaining_hours, expected.unestimated) == (8, 127.5, 1)
    loads = {p.user.id: p for p in prioritisation.dashboard(team, NOW).by_assignee}
    assert loads[ana.id] == expected


def test_the_burn_up_adds_up_each_week(app):
    ana = make_user("Ana")
    team = make_team(ana)
    week = timedelta(weeks=1)
    # created (weeks ago), estimate, done (weeks ago, or None)
    for created, estimate, done in [(20, 8, 10), (5, 4, 2), (3, 2, None), (0.5, 1, 0.2), (4, None, 1)]:
        task = make_task(team, f"{created}", estimate_hours=estimate)
        task.created_at = NOW - created * week
        if done is not None:
            task.status, task.completed_at = "done", NOW - done * week
    db.session.commit()
    tallies.rebuild(db.session)  # the dates were written directly, not through the events
    db.session.commit()
    points = prioritisation.burnup(team.team_id, NOW)
    # Each point is the start of its UTC day (the tallies are per day), the last one now.
    midnight = NOW.replace(hour=0)
    assert [p["at"] for p in points] == [midnight - back * week for back in range(8, 0, -1)] + [NOW]
    # A task created or done at noon on a point's day counts from the next point (5 and 2 weeks ago).
    assert [(p["scope_hours"], p["done_hours"]) for p in points] == [
        (8, 8), (8, 8), (8, 8), (8, 8), (12, 8), (12, 8), (14, 8), (14, 12), (15, 13)]
