"""Recurring tasks: the next deadline from an RRULE on the assignee's wall clock (a pure function, table-
driven with hand-worked dates), and completing an occurrence bringing forth the next one exactly once."""
from __future__ import annotations

import calendar
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_task, new_task_form
from tracker import recurrence, tasks
from tracker.activity import Describer
from tracker.errors import Conflict, Invalid
from tracker.extensions import db
from tracker.models import Activity, ChecklistItem, Task, TaskOccurrence

LISBON, NEW_YORK, TOKYO = ZoneInfo("Europe/Lisbon"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")


def at(zone: ZoneInfo, *fields: int) -> datetime:
    """A wall-clock time in `zone`, as the UTC instant the database keeps."""
    return datetime(*fields, tzinfo=zone).astimezone(UTC)


# The next deadline: (rule, zone, previous deadline, completed at or None, expected next deadline or None)
NEXT = {
    # RFC 5545 skips the months without a 31st; Lisbon's clocks go forward on 28 March in between.
    "monthly on the 31st": (
        "FREQ=MONTHLY", LISBON, at(LISBON, 2027, 1, 31, 17), None, at(LISBON, 2027, 3, 31, 17)),
    "monthly on the last day": (
        "FREQ=MONTHLY;BYMONTHDAY=-1", LISBON, at(LISBON, 2027, 1, 31, 17), None, at(LISBON, 2027, 2, 28, 17)),
    "weekly across the end of summer time": (
        "FREQ=WEEKLY", LISBON, at(LISBON, 2026, 10, 23, 17), None, datetime(2026, 10, 30, 17, tzinfo=UTC)),
    "weekly across New York's change": (
        "FREQ=WEEKLY;BYDAY=FR", NEW_YORK, datetime(2026, 10, 30, 13, tzinfo=UTC), None,
        datetime(2026, 11, 6, 14, tzinfo=UTC)),
    "last working day, a Friday": (
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", LISBON, at(LISBON, 2027, 1, 29, 17), None,
        at(LISBON, 2027, 2, 26, 17)),
    "last working day, a Monday": (
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", LISBON, at(LISBON, 2027, 4, 30, 17), None,
        at(LISBON, 2027, 5, 31, 17)),
    "second Tuesday": (
        "FREQ=MONTHLY;BYDAY=2TU", LISBON, at(LISBON, 2027, 1, 12, 9), None, at(LISBON, 2027, 2, 9, 9)),
    "every other week on Monday and Thursday": (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", TOKYO, at(TOKYO, 2027, 1, 7, 10), None,
        at(TOKYO, 2027, 1, 18, 10)),
    "every third day": (
        "FREQ=DAILY;INTERVAL=3", TOKYO, at(TOKYO, 2027, 2, 27, 10), None, at(TOKYO, 2027, 3, 2, 10)),
    "Monday 08:00 in Tokyo is Sunday in UTC": (
        "FREQ=WEEKLY;BYDAY=MO", TOKYO, datetime(2027, 1, 3, 23, tzinfo=UTC), None,
        datetime(2027, 1, 10, 23, tzinfo=UTC)),
    "until a date, that day included": (
        "FREQ=WEEKLY;UNTIL=20270105", LISBON, at(LISBON, 2026, 12, 29, 9), None, at(LISBON, 2027, 1, 5, 9)),
    "until a date, then no more": (
        "FREQ=WEEKLY;UNTIL=20270105", LISBON, at(LISBON, 2027, 1, 5, 9), None, None),
    "completed late: the next one not already past": (
        "FREQ=DAILY", LISBON, at(LISBON, 2027, 1, 4, 9), at(LISBON, 2027, 1, 8, 12),
        at(LISBON, 2027, 1, 9, 9)),
    "completed early: the next after the deadline": (
        "FREQ=WEEKLY", LISBON, at(LISBON, 2027, 1, 8, 9), at(LISBON, 2027, 1, 1, 12),
        at(LISBON, 2027, 1, 15, 9)),
    "a date that never comes": (
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", LISBON, at(LISBON, 2027, 1, 1, 9), None, None),
}


@pytest.mark.parametrize("case", NEXT.values(), ids=NEXT.keys())
def test_next_deadline(case):
    rule, zone, previous, completed, expected = case
    assert recurrence.next_deadline(rule, previous, zone.key, completed) == expected


@pytest.mark.parametrize("given, stored", [
    ("FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO"),
    ("rrule:freq=weekly;byday=mo,fr", "FREQ=WEEKLY;BYDAY=MO,FR"),
    ("BYDAY=MO;FREQ=WEEKLY;", "FREQ=WEEKLY;BYDAY=MO"),
    ("FREQ=MONTHLY;COUNT=6;BYDAY=-1FR", "FREQ=MONTHLY;COUNT=6;BYDAY=-1FR"),
    ("  ", None),
    (None, None),
])
def test_rules_are_stored_in_one_form(given, stored):
    assert recurrence.normalise_rule(given) == stored


@pytest.mark.parametrize("given, message", [
    ("FREQ=HOURLY", "repeats at most daily"),
    ("BYDAY=MO", "Start with FREQ="),
    ("FREQ=WEEKLY;FREQ=DAILY", "FREQ is given twice"),
    ("FREQ=WEEKLY;BYHOUR=9", "BYHOUR is not supported"),
    ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be a whole number from 1"),
    ("FREQ=WEEKLY;COUNT=1", "COUNT must be a whole number from 2"),
    ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "COUNT or UNTIL, not both"),
    ("FREQ=WEEKLY;UNTIL=next year", "Write UNTIL as a date"),
    ("FREQ=WEEKLY;BYDAY=XX", "BYDAY takes weekdays"),
    ("FREQ=WEEKLY;BYDAY=2MO", "BYDAY takes weekdays MO, TU, WE, TH, FR, SA, SU."),
    ("FREQ=MONTHLY;BYDAY=6MO", "a position from 1 to 5"),
    ("FREQ=YEARLY;BYDAY=60MO", "a position from 1 to 53"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY takes numbers from 1 to 31"),
    ("FREQ=YEARLY;BYMONTH=13", "BYMONTH takes numbers from 1 to 12"),
    ("FREQ=MONTHLY;BYSETPOS=0;BYDAY=MO", "BYSETPOS takes numbers"),
    ("FREQ=DAILY;BYMONTHDAY=1", "only with FREQ=MONTHLY or FREQ=YEARLY"),
    ("FREQ=WEEKLY;WKST=XX", "Not a rule dateutil can read"),
    ("FREQ=WEEKLY\nRRULE:FREQ=DAILY", "one RRULE"),
    ("FREQ=WEEKLY;" + "BYDAY=MO" * 40, "at most 300"),
    ("weekly", "is not NAME=VALUE"),
])
def test_rules_that_are_refused_say_why(given, message):
    with pytest.raises(recurrence.RuleError, match=message):
        recurrence.normalise_rule(given)


@pytest.mark.parametrize("rule", [
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,6,9,11",
    "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
    "FREQ=DAILY;INTERVAL=7;BYDAY=MO",  # from a Friday: only Fridays are ever looked at
    "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",  # from 2027: never a leap year
])
def test_a_rule_without_another_date_says_so_quickly(rule):
    """dateutil searches such a rule up to the year 9999; it is searched where that is near."""
    started = time.perf_counter()
    assert recurrence.next_deadline(rule, at(LISBON, 2027, 1, 1, 9), "Europe/Lisbon") is None
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("rule, following", [
    ("FREQ=WEEKLY", "FREQ=WEEKLY"),
    ("FREQ=WEEKLY;COUNT=3", "FREQ=WEEKLY;COUNT=2"),
    ("FREQ=WEEKLY;COUNT=2", None),  # the next occurrence is the last one
])
def test_count_counts_down_through_the_series(rule, following):
    assert recurrence.following_rule(rule) == following


# Completing an occurrence ----------------------------------------------------------------------------

# Next year: far enough to be ahead of the clock, near enough for the stored forecast to walk to cheaply.
YEAR = date.today().year + 1


def last_working_day(year: int, month: int) -> date:
    day = date(year, month, calendar.monthrange(year, month)[1])
    while day.weekday() > 4:
        day -= timedelta(days=1)
    return day


def series(first: Task) -> list[Task]:
    """The task and the occurrences that followed it, in order."""
    found, current = [first], first
    while (link := db.session.get(TaskOccurrence, current.id)) is not None:
        current = db.session.get(Task, link.next_task_id)
        found.append(current)
    return found


def complete(member, task: Task) -> None:
    tasks.update_task(member, task, {"status": "done"})


def test_completing_creates_the_next_occurrence_once(crew):
    november = date(YEAR, 11, 1)
    friday = november + timedelta(days=(6 - november.weekday()) % 7 - 2)  # before the clocks go back
    first = make_task(crew["owner_m"], "Renew the TLS certificate", assignee_id=crew["manager"].id,
                      due_at=at(NEW_YORK, YEAR, friday.month, friday.day, 17), recurrence="FREQ=WEEKLY",
                      labels=["ops"], estimate_hours=2,
                      start_at=at(NEW_YORK, YEAR, friday.month, friday.day, 9))
    db.session.add(ChecklistItem(task_id=first.id, text="Check the expiry", position=0, done=True))
    db.session.commit()
    complete(crew["member_m"], first)
    tasks.update_task(crew["member_m"], first, {"status": "todo"})
    complete(crew["member_m"], first)
    occurrences = series(first)
    assert len(occurrences) == 2
    nxt = occurrences[1]
    # Friday 17:00 in New York (Manu's zone) both times: a week and the hour the clocks went back.
    assert nxt.due_at.astimezone(NEW_YORK).strftime("%a %H:%M") == "Fri 17:00"
    assert nxt.due_at - first.due_at == nxt.start_at - first.start_at == timedelta(days=7, hours=1)
    assert (nxt.title, nxt.status, nxt.assignee_id, nxt.label_names, nxt.estimate_hours, nxt.recurrence) == (
        "Renew the TLS certificate", "todo", crew["manager"].id, ["ops"], 2, "FREQ=WEEKLY")
    assert [(i.text, i.done) for i in nxt.checklist] == [("Check the expiry", False)]
    created = db.session.scalar(
        select(Activity).where(Activity.task_id == nxt.id, Activity.kind == "created"))
    assert created.actor_id == crew["member"].id


def test_the_deadline_follows_the_assignees_wall_clock(crew):
    # Mia works in Tokyo: "every Monday at 08:00" is Monday there, Sunday in Lisbon and in UTC.
    monday = date(YEAR, 1, 1) + timedelta(days=-date(YEAR, 1, 1).weekday() % 7)
    first = make_task(crew["owner_m"], "Access review", assignee_id=crew["member"].id,
                      due_at=at(TOKYO, YEAR, 1, monday.day, 8), recurrence="FREQ=WEEKLY;BYDAY=MO")
    complete(crew["member_m"], first)
    assert series(first)[1].due_at == at(TOKYO, YEAR, 1, monday.day + 7, 8)


def test_a_monthly_series_on_the_31st_with_a_count(crew):
    first = make_task(crew["owner_m"], "Restore drill", assignee_id=crew["owner"].id,
                      due_at=at(LISBON, YEAR, 1, 31, 17), recurrence="FREQ=MONTHLY;COUNT=3")
    for _ in range(5):  # the third and last occurrence, completed again and again, makes no fourth
        complete(crew["owner_m"], series(first)[-1])
    occurrences = series(first)
    assert [t.due_at for t in occurrences] == [at(LISBON, YEAR, 1, 31, 17), at(LISBON, YEAR, 3, 31, 17),
                                               at(LISBON, YEAR, 5, 31, 17)]
    assert [t.recurrence for t in occurrences] == ["FREQ=MONTHLY;COUNT=3", "FREQ=MONTHLY;COUNT=2", None]


def test_the_last_working_day_of_each_month(crew):
    april = last_working_day(YEAR, 4)
    first = make_task(crew["owner_m"], "Month-end report", assignee_id=crew["owner"].id,
                      due_at=at(LISBON, YEAR, 4, april.day, 17),
                      recurrence="FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")
    complete(crew["owner_m"], first)
    complete(crew["owner_m"], series(first)[1])
    assert [t.due_at for t in series(first)] == [
        at(LISBON, YEAR, month, last_working_day(YEAR, month).day, 17) for month in (4, 5, 6)]


def test_two_workers_completing_at_once_make_one_next_occurrence(app, crew):
    task = make_task(crew["owner_m"], "Upgrade dependencies", due_at=at(LISBON, YEAR, 3, 2, 17),
                     recurrence="FREQ=WEEKLY")
    first, first_member = tasks.get_task(crew["owner"], task.id)
    with app.app_context():  # a second worker: its own session, which completes the task first
        second, second_member = tasks.get_task(crew["owner"], task.id)
        complete(second_member, second)
    with pytest.raises(Conflict):
        complete(first_member, first)
    assert db.session.scalar(select(func.count()).select_from(TaskOccurrence)) == 1
    assert db.session.scalar(select(func.count()).select_from(Task)) == 2


def test_other_changes_and_plain_tasks_make_no_occurrence(crew):
    repeating = make_task(crew["owner_m"], "Weekly", due_at=at(LISBON, YEAR, 3, 2, 17),
                          recurrence="FREQ=WEEKLY")
    plain = make_task(crew["owner_m"], "Once", due_at=at(LISBON, YEAR, 3, 2, 17))
    tasks.update_task(crew["owner_m"], repeating, {"status": "in_review", "title": "Weekly check"})
    complete(crew["owner_m"], plain)
    assert db.session.scalar(select(func.count()).select_from(Task)) == 2


@pytest.mark.parametrize("data, message", [
    ({"recurrence": "FREQ=WEEKLY"}, "needs a deadline"),
    ({"recurrence": f"FREQ=WEEKLY;UNTIL={YEAR}0101", "due_at": at(LISBON, YEAR, 3, 2, 17)}, "never repeats"),
    ({"recurrence": "FREQ=MINUTELY", "due_at": at(LISBON, YEAR, 3, 2, 17)}, "at most daily"),
    ({"recurrence": 7, "due_at": at(LISBON, YEAR, 3, 2, 17)}, "Give an RRULE"),
])
def test_a_rule_that_cannot_repeat_is_refused(crew, data, message):
    with pytest.raises(Invalid) as refused:
        make_task(crew["owner_m"], "Refused", **data)
    assert message in " ".join(refused.value.errors["recurrence"])
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_a_repeating_task_keeps_its_deadline(crew):
    task = make_task(crew["owner_m"], "Weekly", due_at=at(LISBON, YEAR, 3, 2, 17), recurrence="FREQ=WEEKLY")
    with pytest.raises(Invalid) as refused:
        tasks.update_task(crew["owner_m"], task, {"due_at": None})
    assert "needs a deadline" in refused.value.errors["recurrence"][0]
    assert tasks.update_task(crew["owner_m"], task, {"due_at": None, "recurrence": None})
    assert task.recurrence is None and task.due_at is None


def test_the_last_occurrence_of_a_series_can_still_be_edited(crew):
    rule = f"FREQ=WEEKLY;UNTIL={YEAR}0309"
    first = make_task(crew["owner_m"], "Freeze", due_at=at(LISBON, YEAR, 3, 2, 17), recurrence=rule)
    complete(crew["owner_m"], first)
    last = series(first)[1]
    assert (last.due_at, last.recurrence) == (at(LISBON, YEAR, 3, 9, 17), rule)
    # The form sends the rule back with every save: unchanged, it is not refused for having no date left.
    assert tasks.update_task(crew["owner_m"], last, {"title": "Code freeze", "recurrence": rule})
    complete(crew["owner_m"], last)
    assert len(series(first)) == 2


@pytest.mark.parametrize("rule, words", [
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "Every month, on its last working day"),
    ("FREQ=MONTHLY;BYDAY=2TU", "FREQ=MONTHLY;BYDAY=2TU"),
    (None, "Does not repeat"),
])
def test_rules_in_words(rule, words):
    assert recurrence.describe(rule) == words
    assert rule is None or recurrence.normalise_rule(rule) == rule



def test_the_offered_rules_are_stored_as_offered():
    assert [recurrence.normalise_rule(rule) for rule in recurrence.PRESETS] == list(recurrence.PRESETS)


# The task form ---------------------------------------------------------------------------------------


def test_the_task_form_offers_rules_by_name_and_takes_any_other(client, crew):
    login(client, crew["owner"])
    url = f"/teams/{crew['team_id']}/tasks/new"
    last_working_day = "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
    created = client.post(url, data=new_task_form(title="Month end", due_date=f"{YEAR}-04-30",
                                                  recurrence=last_working_day, recurrence_rule=""))
    task = db.session.scalar(select(Task).where(Task.title == "Month end"))
    assert created.status_code == 302 and task.recurrence == last_working_day
    assert "Every month, on its last working day" in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    client.post(url, data=new_task_form(title="Patch Tuesday", due_date=f"{YEAR}-01-12", recurrence="custom",
                                        recurrence_rule="freq=monthly;byday=2tu"))
    custom = db.session.scalar(select(Task).where(Task.title == "Patch Tuesday"))
    assert custom.recurrence == "FREQ=MONTHLY;BYDAY=2TU"
    form = client.get(f"/tasks/{custom.id}/edit").get_data(as_text=True)
    assert '<option selected value="custom">' in form and 'value="FREQ=MONTHLY;BYDAY=2TU"' in form
    # A form without the field (an older page) leaves the rule alone.
    client.post(f"/tasks/{custom.id}/edit", data=new_task_form(
        title="Patch Tuesday!", due_date=f"{YEAR}-01-12", version=str(custom.version)))
    db.session.refresh(custom)
    assert (custom.title, custom.recurrence) == ("Patch Tuesday!", "FREQ=MONTHLY;BYDAY=2TU")


@pytest.mark.parametrize("fields, message", [
    ({"recurrence": "FREQ=WEEKLY"}, "A repeating task needs a deadline"),
    ({"recurrence": "custom", "recurrence_rule": "FREQ=HOURLY", "due_date": "2099-01-01"}, "at most daily"),
    ({"recurrence": "every day", "due_date": "2099-01-01"}, "Not a valid choice"),
])
def test_the_task_form_shows_why_a_rule_is_refused(client, crew, fields, message):
    login(client, crew["owner"])
    refused = client.post(f"/teams/{crew['team_id']}/tasks/new",
                          data=new_task_form(title="Refused", **fields))
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_the_history_says_when_the_rule_changed(crew):
    task = make_task(crew["owner_m"], "Backups", due_at=at(LISBON, YEAR, 3, 2, 17))
    tasks.update_task(crew["owner_m"], task, {"recurrence": "FREQ=WEEKLY"})
    entry = db.session.scalar(select(Activity).where(Activity.field == "recurrence"))
    assert Describer().sentence(entry, str) == "changed the repeat rule from none to FREQ=WEEKLY"
