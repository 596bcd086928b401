"""Tasks through their domain functions: creation and validation, versioned updates and the
race between two saves, trash, deadlines across time zones, and the filtered, sorted, paged list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from tests.factories import make_pair_and_outsider, make_task
from tracker import tasks
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.extensions import db
from tracker.models import Task, TaskLabel, task_blockers


@pytest.fixture
def crew(app):
    return make_pair_and_outsider()


def task_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Task))


# Creating and validating ----------------------------------------------------------------------


def test_create_task_with_every_field(crew):
    o, mate = crew["o"], crew["mate"]
    blocker = make_task(o, "First")
    task = tasks.create_task(
        o,
        {
            "title": "  Add idempotency keys  ",
            "description": "Use **Redis**",
            "category": "server-code",
            "status": "in_progress",
            "priority": "high",
            "due_at": datetime(2026, 12, 1, 17, tzinfo=UTC),
            "start_at": date(2026, 11, 20),
            "estimate_hours": 5.126,
            "assignee_id": mate.id,
            "labels": ["Billing", "billing", " q4 ", ""],
            "blocked_by": [blocker.id],
        },
    )
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.title == "Add idempotency keys" and task.category.slug == "server-code"
    assert (task.status, task.priority, task.version) == ("in_progress", "high", 1)
    assert task.due_at == datetime(2026, 12, 1, 17, tzinfo=UTC)
    assert task.start_at == datetime(2026, 11, 20, tzinfo=UTC)  # midnight where the assignee (UTC) works
    assert task.estimate_hours == 5.13
    assert (task.assignee_id, task.reporter_id) == (mate.id, crew["owner"].id)
    assert task.label_names == ["billing", "q4"]
    assert [b.id for b in task.blocked_by] == [blocker.id]


def test_defaults_of_a_new_task(crew):
    task = tasks.create_task(crew["o"], {"title": "Bare", "category": "testing"})
    assert (task.status, task.priority, task.description, task.due_at, task.assignee_id) == (
        "todo",
        "medium",
        "",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "   "}, "title", "Enter a title."),
        ({"title": "x" * 10_000}, "title", "Use at most 200 characters (this has 10000)."),
        ({"category": "marketing"}, "category", "Unknown category “marketing”."),
        ({"status": "wontfix"}, "status", "Choose one of: todo, in_progress, in_review, blocked, done."),
        ({"priority": "urgent"}, "priority", "Choose one of: critical, high, medium, low."),
        ({"estimate_hours": -1}, "estimate_hours", "The estimate cannot be negative."),
        ({"estimate_hours": float("nan")}, "estimate_hours", "Enter a number of hours."),
        ({"estimate_hours": "3"}, "estimate_hours", "Enter a number of hours."),
        (
            {"estimate_hours": 10_001},
            "estimate_hours",
            "Use at most 10000 hours; split larger work into tasks.",
        ),
        ({"due_at": "next tuesday"}, "due_at", "Enter a date, or a date and time."),
        ({"labels": ["ok", "not<ok>"]}, "labels", "“not<ok>” is not a label"),
        ({"labels": [f"l{i}" for i in range(21)]}, "labels", "Use at most 20 labels."),
        ({"blocked_by": ["7"]}, "blocked_by", "“7” is not a task number."),
        ({"description": "x" * 50_001}, "description", "Use at most 50000 characters."),
        (
            {"start_at": date(2026, 12, 5), "due_at": date(2026, 12, 1)},
            "start_at",
            "The start date is after the deadline.",
        ),
        ({"version": 3}, "version", "This field cannot be set."),
    ],
)
def test_invalid_input_is_refused_with_a_message_and_nothing_is_written(crew, data, field, message):
    with pytest.raises(Invalid) as exc:
        tasks.create_task(crew["o"], {"title": "Fine", "category": "database", **data})
    assert field in exc.value.errors
    assert any(m.startswith(message) for m in exc.value.errors[field]), exc.value.errors
    assert task_count() == 0


def test_title_and_category_are_required(crew):
    with pytest.raises(Invalid) as exc:
        tasks.create_task(crew["o"], {})
    assert exc.value.errors == {"title": ["This field is required."], "category": ["This field is required."]}


def test_the_assignee_must_be_in_the_team(crew):
    with pytest.raises(Invalid) as exc:
        make_task(crew["o"], assignee_id=crew["outsider"].id)
    assert exc.value.errors["assignee_id"] == ["The assignee must be a member of this team."]


def test_blockers_must_be_live_tasks_of_the_same_team(crew):
    o, x = crew["o"], crew["x"]
    foreign = make_task(x, "Theirs")
    trashed = make_task(o, "Trashed")
    tasks.move_to_trash(o, trashed)
    for blocker in (foreign.id, trashed.id, 99999, 2**40):
        with pytest.raises(Invalid) as exc:
            make_task(o, blocked_by=[blocker])
        assert exc.value.errors["blocked_by"] == [f"No task of this team has number #{blocker}."]
    assert task_count() == 2


def test_blocked_by_refuses_itself_and_loops(crew):
    o = crew["o"]
    a = make_task(o, "A")
    b = make_task(o, "B", blocked_by=[a.id])
    c = make_task(o, "C", blocked_by=[b.id])
    with pytest.raises(Invalid) as exc:
        tasks.update_task(o, a, {"blocked_by": [c.id]})
    assert exc.value.errors["blocked_by"] == ["That would make these tasks wait for each other in a loop."]
    with pytest.raises(Invalid) as exc:
        tasks.update_task(o, a, {"blocked_by": [a.id]})
    assert "A task cannot be blocked by itself." in exc.value.errors["blocked_by"]
    assert db.session.scalar(select(func.count()).select_from(task_blockers)) == 2
    assert [t.id for t in tasks.blocking(a)] == [b.id]


def test_an_archived_category_is_kept_by_its_tasks_but_not_offered_to_new_ones(crew):
    from tracker import teams

    o = crew["o"]
    task = make_task(o, category="database")
    category = task.category
    teams.set_category_archived(o, category.id, True)
    tasks.update_task(o, task, {"title": "Still in database", "category": "database"})
    with pytest.raises(Invalid) as exc:
        make_task(o, "New", category="database")
    assert exc.value.errors["category"] == ["The category “Database” is archived."]


# Updating, versions and conflicts --------------------------------------------------------------


def test_update_returns_the_changes_and_bumps_the_version(crew):
    o = crew["o"]
    task = make_task(o, "Old", labels=["a"])
    changes = tasks.update_task(
        o, task, {"title": "New", "labels": ["b"], "status": "done"}, expected_version=1
    )
    assert changes == {"title": ("Old", "New"), "labels": (["a"], ["b"]), "status": ("todo", "done")}
    assert task.version == 2 and task.completed_at is not None
    assert db.session.scalar(select(func.count()).select_from(TaskLabel)) == 1
    tasks.update_task(o, task, {"status": "in_progress"})
    assert task.completed_at is None and task.version == 3


def test_an_update_that_changes_nothing_keeps_the_version(crew):
    o = crew["o"]
    task = make_task(o, "Same", labels=["x"])
    assert tasks.update_task(o, task, {"title": "Same", "labels": ["X"]}, expected_version=1) == {}
    assert task.version == 1


def test_a_stale_expected_version_is_a_conflict_carrying_the_current_task(crew):
    o, m = crew["o"], crew["m"]
    task = make_task(o, "Original")
    tasks.update_task(m, task, {"title": "Theirs"}, expected_version=1)
    with pytest.raises(Conflict) as exc:
        tasks.update_task(o, task, {"title": "Mine"}, expected_version=1)
    assert exc.value.current.title == "Theirs" and exc.value.current.version == 2
    db.session.expire_all()
    assert db.session.get(Task, task.id).title == "Theirs"


def test_a_save_racing_another_is_a_conflict_not_a_lost_update(crew):
    """Both read version 1; theirs commits between our read and our write (StaleDataError → Conflict)."""
    o = crew["o"]
    task = make_task(o, "Original", priority="low")
    tasks_table = Task.__table__
    with db.engine.begin() as other:  # another worker's connection
        other.execute(
            sa.update(tasks_table).where(tasks_table.c.id == task.id).values(title="Theirs", version=2)
        )
    with pytest.raises(Conflict) as exc:
        tasks.update_task(o, task, {"title": "Mine", "priority": "high"}, expected_version=1)
    assert (exc.value.current.title, exc.value.current.priority, exc.value.current.version) == (
        "Theirs",
        "low",
        2,
    )
    db.session.expire_all()
    stored = db.session.get(Task, task.id)
    assert (stored.title, stored.priority, stored.version) == ("Theirs", "low", 2)
    # Having seen theirs, saving again against the new version succeeds.
    tasks.update_task(o, stored, {"title": "Mine"}, expected_version=2)
    assert stored.title == "Mine" and stored.version == 3


# Trash ----------------------------------------------------------------------------------------


def test_trash_hides_the_task_and_only_a_manager_restores_it(crew):
    o, m, owner, mate = crew["o"], crew["m"], crew["owner"], crew["mate"]
    task = make_task(o, "Doomed")
    tasks.move_to_trash(m, task)  # any member may delete
    with pytest.raises(NotFound):
        tasks.get_task(owner, task.id)
    assert tasks.list_tasks(o, tasks.TaskFilter()).total == 0
    assert [t.id for t in tasks.trashed_tasks(o)] == [task.id]
    trashed, member = tasks.get_task(mate, task.id, include_trashed=True)
    with pytest.raises(Forbidden):
        tasks.restore_task(member, trashed)
    with pytest.raises(Forbidden):
        tasks.trashed_tasks(m)
    tasks.restore_task(o, task)
    assert tasks.get_task(owner, task.id)[0].deleted_at is None
    with pytest.raises(Invalid):
        tasks.restore_task(o, task)


def test_another_teams_task_is_not_found_even_in_the_trash(crew):
    task = make_task(crew["o"])
    with pytest.raises(NotFound):
        tasks.get_task(crew["outsider"], task.id)
    with pytest.raises(NotFound):
        tasks.get_task(crew["outsider"], task.id, include_trashed=True)


# Deadlines across time zones ------------------------------------------------------------------


def test_a_wall_clock_deadline_is_read_in_the_zone_of_whoever_enters_it(pacific):
    task = make_task(pacific["t"], due_at=datetime(2026, 12, 1, 9, 0), assignee_id=pacific["hawaii"].id)
    assert task.due_at == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    task = make_task(pacific["h"], due_at=datetime(2026, 12, 1, 9, 0), assignee_id=pacific["tonga"].id)
    assert task.due_at == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def test_a_date_alone_means_the_end_of_that_day_where_the_assignee_works(pacific):
    t, h, tonga, hawaii = pacific["t"], pacific["h"], pacific["tonga"], pacific["hawaii"]
    for_hawaii = make_task(t, due_at=date(2026, 12, 1), assignee_id=hawaii.id)
    assert for_hawaii.due_at == datetime(2026, 12, 2, 9, 59, 59, tzinfo=UTC)
    for_tonga = make_task(h, due_at=date(2026, 12, 1), assignee_id=tonga.id)
    assert for_tonga.due_at == datetime(2026, 12, 1, 10, 59, 59, tzinfo=UTC)
    unassigned = make_task(h, due_at=date(2026, 12, 1))  # no assignee: the person entering it
    assert unassigned.due_at == datetime(2026, 12, 2, 9, 59, 59, tzinfo=UTC)
    # Given together, the new assignee's zone is the one that counts.
    tasks.update_task(h, unassigned, {"assignee_id": tonga.id, "due_at": date(2026, 12, 1)})
    assert unassigned.due_at == datetime(2026, 12, 1, 10, 59, 59, tzinfo=UTC)


def test_an_aware_instant_is_stored_as_given(pacific):
    instant = datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    task = make_task(pacific["t"], due_at=instant)
    db.session.expire_all()
    assert db.session.get(Task, task.id).due_at == datetime(2026, 12, 1, 3, 30, tzinfo=UTC)


# The list: filters, sorting, paging ------------------------------------------------------------

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def listing(crew):
    """Six tasks that differ in every filtered and sorted column (see the expectations below)."""
    o, owner, mate = crew["o"], crew["owner"], crew["mate"]
    spec = [  # title, category, status, priority, due, assignee, labels, description
        ("Alpha index", "database", "todo", "high", NOW - timedelta(days=2), owner, ["q4"], ""),
        (
            "Beta endpoint",
            "server-code",
            "in_progress",
            "critical",
            NOW + timedelta(days=1),
            mate,
            ["q4", "customer"],
            "",
        ),
        ("Gamma docs", "api-docs", "done", "low", NOW - timedelta(days=5), owner, [], ""),
        ("Delta deploy", "devops", "blocked", "medium", None, None, ["customer"], ""),
        (
            "Epsilon test",
            "testing",
            "in_review",
            "medium",
            NOW + timedelta(days=10),
            None,
            [],
            "Check the new INDEX is used",
        ),
        ("Zeta 100% sure_thing", "security", "todo", "low", NOW - timedelta(hours=1), mate, [], ""),
    ]
    made = {}
    for title, category, status, priority, due, assignee, labels, description in spec:
        made[title.split()[0]] = tasks.create_task(
            o,
            {
                "title": title,
                "category": category,
                "status": status,
                "priority": priority,
                "due_at": due,
                "assignee_id": assignee.id if assignee else None,
                "labels": labels,
                "description": description,
            },
        )
    # Creation and update times in orders unlike the others, to tell the sort keys apart.
    for hours, name in enumerate(["Delta", "Beta", "Zeta", "Alpha", "Epsilon", "Gamma"]):
        made[name].created_at = NOW - timedelta(days=30) + timedelta(hours=hours)
    for hours, name in enumerate(["Gamma", "Epsilon", "Alpha", "Zeta", "Beta", "Delta"]):
        made[name].updated_at = NOW - timedelta(days=20) + timedelta(hours=hours)
    db.session.commit()
    return {**crew, "ids": {name: t.id for name, t in made.items()}}


def names(listing, items) -> list[str]:
    by_id = {v: k for k, v in listing["ids"].items()}
    return [by_id[t.id] for t in items]


def run(listing, per_page=50, page=1, **args):
    f = tasks.parse_task_filter({k: str(v) for k, v in args.items()})
    result = tasks.list_tasks(listing["o"], f, page=page, per_page=per_page)
    return names(listing, result.items), result.total


FILTER_CASES = [
    ({}, ["Gamma", "Alpha", "Zeta", "Beta", "Epsilon", "Delta"]),
    ({"status": "open"}, ["Alpha", "Zeta", "Beta", "Epsilon", "Delta"]),
    ({"status": "done"}, ["Gamma"]),
    ({"status": "todo"}, ["Alpha", "Zeta"]),
    ({"status": "blocked"}, ["Delta"]),
    ({"category": "database"}, ["Alpha"]),
    ({"category": "upgrades"}, []),
    ({"priority": "medium"}, ["Epsilon", "Delta"]),
    ({"assignee": "me"}, ["Gamma", "Alpha"]),
    ({"assignee": "none"}, ["Epsilon", "Delta"]),
    ({"label": "q4"}, ["Alpha", "Beta"]),
    ({"label": "Customer"}, ["Beta", "Delta"]),
    ({"overdue": "true"}, ["Alpha", "Zeta"]),
    ({"q": "index"}, ["Alpha", "Epsilon"]),
    ({"q": "100%"}, ["Zeta"]),
    ({"q": "bet_"}, []),  # "_" is a literal underscore, not a wildcard (else it would match "Beta")
    ({"q": "sure_thing"}, ["Zeta"]),
    ({"status": "open", "assignee": "me", "overdue": "true"}, ["Alpha"]),
    ({"label": "customer", "sort": "-due_at"}, ["Beta", "Delta"]),
]


@pytest.mark.parametrize(("args", "expected"), FILTER_CASES, ids=[str(a) for a, _ in FILTER_CASES])
def test_filters_give_exact_counts_in_deadline_order(listing, args, expected):
    assert run(listing, **args) == (expected, len(expected))


def test_filter_by_assignee_id_and_by_task_number(listing):
    assert run(listing, assignee=listing["mate"].id) == (["Zeta", "Beta"], 2)
    assert run(listing, q=f"#{listing['ids']['Epsilon']}")[0] == ["Epsilon"]


SORT_CASES = {
    "due_at": ["Gamma", "Alpha", "Zeta", "Beta", "Epsilon", "Delta"],
    "-due_at": ["Epsilon", "Beta", "Zeta", "Alpha", "Gamma", "Delta"],  # no deadline last either way
    "priority": ["Beta", "Alpha", "Delta", "Epsilon", "Gamma", "Zeta"],
    "-priority": ["Zeta", "Gamma", "Epsilon", "Delta", "Alpha", "Beta"],
    "created_at": ["Delta", "Beta", "Zeta", "Alpha", "Epsilon", "Gamma"],
    "-created_at": ["Gamma", "Epsilon", "Alpha", "Zeta", "Beta", "Delta"],
    "updated_at": ["Gamma", "Epsilon", "Alpha", "Zeta", "Beta", "Delta"],
    "-updated_at": ["Delta", "Beta", "Zeta", "Alpha", "Epsilon", "Gamma"],
}


@pytest.mark.parametrize("sort", SORT_CASES)
def test_sort_by_each_key_in_both_directions(listing, sort):
    assert run(listing, sort=sort) == (SORT_CASES[sort], 6)


@pytest.mark.parametrize("sort", ["priority", "-created_at"])
def test_pages_split_the_sorted_list_without_gaps_or_repeats(listing, sort):
    pages = [run(listing, per_page=4, page=p, sort=sort) for p in (1, 2, 3)]
    assert pages[0] == (SORT_CASES[sort][:4], 6)
    assert pages[1] == (SORT_CASES[sort][4:], 6)
    assert pages[2] == ([], 6)


@pytest.mark.parametrize(
    "args",
    [
        {"status": "closed"},
        {"priority": "urgent"},
        {"sort": "title"},
        {"assignee": "somebody"},
        {"assignee": str(2**31)},
        {"assignee": "1" * 5000},  # int() refuses over 4300 digits: was a ValueError, a 500
        {"overdue": "perhaps"},
        {"due_before": "tomorrow"},
        {"due_after": "2026-12-01T00:00:00"},  # no zone
        {"q": "x" * 201},
    ],
)
def test_bad_filter_values_are_invalid_naming_the_argument(app, args):
    with pytest.raises(Invalid) as exc:
        tasks.parse_task_filter(args)
    assert list(exc.value.errors) == list(args)


def test_a_filter_round_trips_through_its_query_arguments(app):
    args = {
        "status": "open",
        "category": "database",
        "priority": "high",
        "assignee": "me",
        "label": "q4",
        "overdue": "true",
        "q": "index",
        "sort": "-priority",
        "due_before": "2026-12-01T00:00:00Z",
    }
    f = tasks.parse_task_filter(args)
    assert f.to_args() == args
    assert tasks.parse_task_filter(f.to_args()) == f
    assert tasks.TaskFilter().is_empty and not f.is_empty
