"""The calendar reads each visible day as its own range of a deadline index (its first cards with a LIMIT,
its count in the database): the days, cards and counts it shows equal a direct computation in Python
over every task, in zones either side of the date line, around local midnights and on DST change days,
with and without filters; the month page and the week view show them; the plans read index ranges."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, text

from tests.factories import add_to_team, login, make_team, make_user
from tests.support import recorded_statements
from tracker import prioritisation
from tracker.deadlines import local_to_utc, month_grid
from tracker.extensions import db
from tracker.models import Category, Task, TaskLabel
from tracker.tasks import TaskFilter

# A month of each zone holding a DST change in its grid: Auckland's clocks go back on 6 April 2025 and
# forward on 28 September 2025; Los Angeles's forward on 9 March and back on 2 November 2025.
MONTHS = {"Pacific/Auckland": [(2025, 4), (2025, 9)], "America/Los_Angeles": [(2025, 3), (2025, 11)]}
STATUSES = ["todo", "in_progress", "done", "blocked"]
PRIORITIES = ["critical", "high", "medium", "low"]


def _seed(member, assignees: list[int], zone: str, year: int, month: int) -> None:
    """Deadlines a second either side of every local midnight of the grid and at midday, a crowd of
    them on a few days (more than a day shows), and tasks the calendar never shows: trashed ones,
    ones without a deadline; in several categories, statuses, priorities, people and labels."""
    days = [day for week in month_grid(year, month) for day in week]
    midnights = [local_to_utc(datetime.combine(day, datetime.min.time()), zone) for day in days]
    offsets = (timedelta(seconds=-1), timedelta(0), timedelta(hours=12))
    dues = [m + offset for m in midnights for offset in offsets]
    dues += [midnights[n] + timedelta(hours=9, minutes=i % 3) for n in (3, 10, 27) for i in range(9)]
    categories = list(db.session.scalars(select(Category.id).where(Category.team_id == member.team_id)))
    rows = [
        {"team_id": member.team_id, "category_id": categories[i % len(categories)],
         "title": f"{'Late' if i % 4 == 0 else 'Due'} {i}", "description": "",
         "status": STATUSES[i % 4], "priority": PRIORITIES[i % 3], "due_at": None if i % 11 == 5 else due,
         "assignee_id": (assignees + [None])[i % (len(assignees) + 1)], "reporter_id": member.user_id,
         "created_at": due, "updated_at": due, "completed_at": due if i % 4 == 2 else None,
         "deleted_at": due if i % 13 == 7 else None}
        for i, due in enumerate(dues)
    ]
    ids = list(db.session.scalars(insert(Task).returning(Task.id, sort_by_parameter_order=True), rows))
    db.session.execute(insert(TaskLabel), [{"task_id": t, "name": f"l{t % 3}"} for t in ids[::2]])
    db.session.commit()


def _matches(task: Task, f: TaskFilter, viewer_id: int, now: datetime) -> bool:
    """Whether `task` meets `f`, worked out in Python, field by field."""
    labels = {label.name for label in task.labels}
    assignee = {None: task.assignee_id, "me": viewer_id, "none": None}.get(f.assignee) if f.assignee in (
        None, "me", "none") else int(f.assignee)
    return all([
        f.status is None or (task.status != "done" if f.status == "open" else task.status == f.status),
        f.category is None or task.category.slug == f.category,
        f.priority is None or task.priority == f.priority,
        task.assignee_id == assignee,
        f.label is None or f.label in labels,
        not f.overdue or (task.status != "done" and task.due_at < now),
        f.q is None or f.q.lower() in task.title.lower(),
    ])


def _direct(team_id: int, f: TaskFilter, viewer_id: int, zone: str, days: list[date], per_day: int):
    """Each day's first `per_day` deadline ids and how many it holds: every live task of the team read,
    its deadline turned into the viewer's local date, the matching ones sorted by deadline and number."""
    now = datetime.now(UTC)
    everything = db.session.scalars(select(Task).where(Task.team_id == team_id)).all()
    by_day: dict[date, list[int]] = {}
    for task in sorted(everything, key=lambda t: (t.due_at or datetime.max.replace(tzinfo=UTC), t.id)):
        if task.deleted_at is None and task.due_at is not None and _matches(task, f, viewer_id, now):
            day = task.due_at.astimezone(ZoneInfo(zone)).date()
            if day in days:
                by_day.setdefault(day, []).append(task.id)
    return {day: ids[:per_day] for day, ids in by_day.items()}, {day: len(ids) for day, ids in by_day.items()}


@pytest.fixture
def spread(app):
    """Ana in Auckland owns a team, Bob in Los Angeles is a member; deadlines around every midnight of
    the DST months of both zones."""
    ana = make_user("Ana", timezone="Pacific/Auckland")
    bob = make_user("Bob", timezone="America/Los_Angeles")
    a = make_team(ana, "Dateline")
    b = add_to_team(a, bob)
    for zone, months in MONTHS.items():
        for year, month in months:
            _seed(a, [ana.id, bob.id], zone, year, month)
    return {"ana": ana, "bob": bob, "a": a, "b": b}


def _filters(spread) -> list[TaskFilter]:
    bob = str(spread["bob"].id)
    return [TaskFilter(), TaskFilter(status="open"), TaskFilter(status="done"),
            TaskFilter(category="security"), TaskFilter(priority="high"), TaskFilter(assignee=bob),
            TaskFilter(assignee="me"), TaskFilter(assignee="none"), TaskFilter(label="l1"),
            TaskFilter(q="late"), TaskFilter(status="open", label="l2", assignee="none"),
            TaskFilter(overdue=True)]


def _as_ids(grid) -> dict[date, list[int]]:
    return {day: [t.id for t in tasks] for day, tasks in grid.by_day.items()}


@pytest.mark.parametrize("who", ["a", "b"])
def test_each_day_holds_what_a_direct_computation_finds(spread, who):
    member, user = spread[who], spread["ana" if who == "a" else "bob"]
    for year, month in MONTHS[user.timezone]:
        days = [day for week in month_grid(year, month) for day in week]
        for f in _filters(spread):
            for per_day in (3, prioritisation.CALENDAR_PER_DAY):
                grid = prioritisation.deadline_calendar(member, year, month, f, user.timezone, per_day)
                firsts, totals = _direct(member.team_id, f, user.id, user.timezone, days, per_day)
                assert (_as_ids(grid), grid.totals) == (firsts, totals), (year, month, f, per_day)
                assert all(grid.hidden(day) == totals.get(day, 0) - len(firsts.get(day, ())) for day in days)
    # The seeding reached what it aims at: crowded days, and deadlines either side of every midnight.
    grid = prioritisation.deadline_calendar(member, *MONTHS[user.timezone][0], TaskFilter(), user.timezone)
    assert max(grid.totals.values()) > prioritisation.CALENDAR_PER_DAY + 4
    assert len(grid.totals) == sum(map(len, grid.weeks))


def test_overdue_deadlines_of_today_end_at_now(app):
    """With the overdue filter a day's range also ends at now: today shows the deadlines already passed."""
    ana = make_user("Ana", timezone="America/Los_Angeles")
    team = make_team(ana)
    now = datetime.now(UTC).replace(microsecond=0)
    dues = [now + timedelta(minutes=m) for m in (-3000, -1500, -90, -30, 30, 90, 1500)]
    db.session.execute(insert(Task), [
        {"team_id": team.team_id, "category_id": db.session.scalar(select(Category.id).where(
            Category.team_id == team.team_id)), "title": f"Due {i}", "description": "", "status": "todo",
         "priority": "high", "due_at": due, "reporter_id": ana.id, "created_at": now, "updated_at": now}
        for i, due in enumerate(dues)])
    db.session.commit()
    zone, overdue = ZoneInfo(ana.timezone), TaskFilter(overdue=True)
    shown = (now - timedelta(minutes=30)).astimezone(zone).date()  # its grid holds a passed deadline
    grid = prioritisation.deadline_calendar(team, shown.year, shown.month, overdue, ana.timezone)
    days = [day for week in grid.weeks for day in week]
    firsts, totals = _direct(team.team_id, overdue, ana.id, ana.timezone, days, 5)
    assert (_as_ids(grid), grid.totals) == (firsts, totals)
    assert sum(totals.values()) == sum(due < now and due.astimezone(zone).date() in days for due in dues) > 0


def test_a_day_runs_from_local_midnight_to_local_midnight_across_a_dst_change(spread):
    """Sunday 2 November 2025 in Los Angeles lasts 25 hours: 07:00 UTC on the 2nd to 08:00 UTC on the 3rd."""
    grid = prioritisation.deadline_calendar(spread["b"], 2025, 11, TaskFilter(), "America/Los_Angeles")
    day = date(2025, 11, 2)
    assert grid.bounds[day] == (datetime(2025, 11, 2, 7, tzinfo=UTC), datetime(2025, 11, 3, 8, tzinfo=UTC))
    for task in grid.by_day[day]:
        assert grid.bounds[day][0] <= task.due_at < grid.bounds[day][1]
    # Seen from Auckland the same deadlines fall on other days.
    from_auckland = prioritisation.deadline_calendar(spread["a"], 2025, 11, TaskFilter(), "Pacific/Auckland")
    assert from_auckland.bounds[day][0] == datetime(2025, 11, 1, 11, tzinfo=UTC)
    assert _as_ids(from_auckland) != _as_ids(grid)


def test_the_week_view_reads_only_its_days_and_finds_the_same(spread):
    bob = spread["bob"]
    month = prioritisation.deadline_calendar(spread["b"], 2025, 3, TaskFilter(label="l0"), bob.timezone)
    for week in month_grid(2025, 3):
        seen = prioritisation.deadline_calendar(spread["b"], 2025, 3, TaskFilter(label="l0"), bob.timezone,
                                                only=week)
        assert _as_ids(seen) == {day: ids for day, ids in _as_ids(month).items() if day in week}
        assert seen.totals == {day: n for day, n in month.totals.items() if day in week}


def _cells(page: str, opening: str, closing: str) -> list[tuple[list[int], int]]:
    """Each day's card ids and its "N more" (0 without one), in the page's order: the days are the parts
    of the page that start with `opening`, each cut at `closing`."""
    cells = [part.split(closing)[0] for part in page.split(opening)[1:]]
    return [([int(n) for n in re.findall(r'class="cal-task[^"]*" href="/tasks/(\d+)"', cell)],
             int((re.search(r'class="cal-more"[^>]*>(\d+) more</a>', cell) or [0, 0])[1])) for cell in cells]


def test_the_pages_show_the_direct_computation(spread, client):
    bob, f = spread["bob"], TaskFilter(status="open")
    login(client, bob)
    team = spread["b"].team_id
    days = [day for week in month_grid(2025, 11) for day in week]
    firsts, totals = _direct(team, f, bob.id, bob.timezone, days, prioritisation.CALENDAR_PER_DAY)
    expected = [(firsts.get(day, []), totals.get(day, 0) - len(firsts.get(day, []))) for day in days]
    page = client.get(f"/teams/{team}/calendar?month=2025-11&status=open").get_data(as_text=True)
    assert _cells(page, "<td class=", "</td>") == expected
    assert any(n for _ids, n in expected) and any(ids for ids, _n in expected)
    week = client.get(f"/teams/{team}/calendar?view=week&week=2025-11-03&status=open").get_data(as_text=True)
    assert _cells(week, '<li class="week-day', "</ol>") == expected[7:14]


def _statements(run) -> list[tuple[str, object]]:
    with recorded_statements(parameters=True) as sent:
        run()
    return [(statement, p) for statement, p in sent if "count(*)" in statement or "UNION ALL" in statement]


@pytest.mark.parametrize("f, index", [
    (TaskFilter(), "ix_tasks_calendar"),
    (TaskFilter(status="open"), "ix_tasks_open_by_deadline"),
    (TaskFilter(category="security", priority="high", assignee="none", feature="none"), "ix_tasks_calendar"),
])
def test_each_day_is_a_range_of_a_deadline_index(spread, f, index):
    """The per-day counts and first cards read one range of a deadline index each, never the team, and
    from the index alone (SQLite), under the filters on the columns the index holds too."""
    member, zone = spread["b"], "America/Los_Angeles"
    seen = _statements(lambda: prioritisation.deadline_calendar(member, 2025, 11, f, zone))
    assert len(seen) == 2  # the counts, the first cards
    days = sum(map(len, month_grid(2025, 11)))  # 35
    connection = db.session.connection()
    for statement, parameters in seen:
        if db.engine.dialect.name == "sqlite":
            explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = [row[-1] for row in explained]
            on_tasks = [line for line in plan if re.search(r"\btasks\b", line)]
            assert not any(line.startswith("SCAN") for line in on_tasks), plan
            ranges = [line for line in on_tasks if "due_at>? AND due_at<?" in line]
            assert len(ranges) == days and all(f"COVERING INDEX {index}" in line for line in ranges), plan
        else:
            connection.execute(text("ANALYZE tasks"))  # without statistics any index of the team looks alike
            connection.execute(text("SET enable_seqscan = off"))  # a small test table would be scanned anyway
            plan = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]
            # Which index serves a range depends on the statistics of this small table (at 100,000 tasks:
            # index-only scans of ix_tasks_live_by_deadline); each day is a range of one, never a scan.
            ranges = [line for line in plan if re.search(r"Index Cond: .*due_at >= .*due_at < ", line)]
            assert len(ranges) == days and not any("Seq Scan on tasks" in line for line in plan), plan
