"""Reminders: each person's lead times (calendar or working time), overdue tasks once a working day, tasks
at risk; by the channels each person chose; once each, also with several hosts running the scan."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from tests.factories import add_to_team, login, make_task, make_user
from tracker import notifications, reminders, tasks
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.forecast import WorkSchedule
from tracker.models import Notification, OutboxEmail, ReminderSent, utcnow
from tracker.reminders import LeadTime

ROOT = Path(__file__).resolve().parent.parent
TOKYO, NEW_YORK = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")


def at(zone: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone).astimezone(UTC)


def kinds(user) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


# Lead times ------------------------------------------------------------------------------------------

MONDAY_10 = at(TOKYO, 2026, 11, 30, 10)  # someone in Tokyo working Monday to Friday, 09:00 to 17:00
REACHED = {
    "2 working hours, Friday 15:00: 3 left": (LeadTime(2, "hours", True), at(TOKYO, 2026, 11, 27, 15), False),
    "2 working hours, Friday 16:00: 2 left": (LeadTime(2, "hours", True), at(TOKYO, 2026, 11, 27, 16), True),
    "2 calendar hours, Friday 16:00": (LeadTime(2, "hours", False), at(TOKYO, 2026, 11, 27, 16), False),
    "2 calendar hours, Monday 08:00": (LeadTime(2, "hours", False), at(TOKYO, 2026, 11, 30, 8), True),
    "1 working day, Thursday 17:00: 9 left": (LeadTime(1, "days", True), at(TOKYO, 2026, 11, 26, 17), False),
    "1 working day, Friday 10:00: 8 left": (LeadTime(1, "days", True), at(TOKYO, 2026, 11, 27, 10), True),
    "3 days, a minute early": (LeadTime(3, "days", False), at(TOKYO, 2026, 11, 27, 9, 59), False),
    "3 days, on the minute": (LeadTime(3, "days", False), at(TOKYO, 2026, 11, 27, 10), True),
    "past the deadline": (LeadTime(3, "days", False), at(TOKYO, 2026, 11, 30, 11), False),
}


@pytest.mark.parametrize("case", REACHED.values(), ids=REACHED.keys())
def test_when_a_lead_time_is_reached(case):
    lead, now, reached = case
    assert lead.reached(MONDAY_10, now, WorkSchedule("Asia/Tokyo")) is reached


def test_lead_times_read_as_people_write_them():
    assert [str(lead) for lead in (LeadTime(3, "days", True), LeadTime(1, "hours", False))] == [
        "3 working days before", "1 hour before"]


def test_a_person_chooses_lead_times_or_keeps_the_default(crew):
    mia = crew["member"]
    assert reminders.lead_times(mia) == [LeadTime(24, "hours", False)]
    chosen = reminders.set_lead_times(mia, [{"amount": 3, "unit": "days"}, {"amount": 2, "unit": "hours"},
                                            {"amount": 2, "unit": "hours"}, {"amount": 1, "unit": "days",
                                                                             "working": True}])
    assert chosen == [LeadTime(2, "hours"), LeadTime(1, "days", True), LeadTime(3, "days")]
    assert reminders.lead_times(crew["owner"]) == [LeadTime(24, "hours", False)]


@pytest.mark.parametrize("items, message", [
    ([{"amount": 0}], "Choose from 1 hour to 30 days"),
    ([{"amount": 31, "unit": "days"}], "Choose from 1 hour to 30 days"),
    ([{"amount": 721}], "Choose from 1 hour to 30 days"),
    ([{"amount": 3, "unit": "weeks"}], "Choose hours or days"),
    ([{"amount": "3"}], "whole number"),
    ([{"amount": True}], "whole number"),
    ([{"amount": 3, "working": "yes"}], "whole number"),
    ([], "Choose from 1 to 5 lead times"),
    ([{"amount": n} for n in range(1, 7)], "Choose from 1 to 5 lead times"),
])
def test_lead_times_that_are_refused_change_nothing(crew, items, message):
    reminders.set_lead_times(crew["member"], [{"amount": 4}])
    with pytest.raises(Invalid) as refused:
        reminders.set_lead_times(crew["member"], items)
    assert message in " ".join(refused.value.errors["lead_times"])
    assert reminders.lead_times(crew["member"]) == [LeadTime(4)]


# The scan --------------------------------------------------------------------------------------------


def test_by_default_a_deadline_is_reminded_24_hours_before_once(crew):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    soon = make_task(crew["owner_m"], "Soon", assignee_id=crew["member"].id, due_at=now + timedelta(hours=20))
    make_task(crew["owner_m"], "Later", assignee_id=crew["member"].id, due_at=now + timedelta(days=30))
    make_task(crew["owner_m"], "Nobody's", due_at=now + timedelta(hours=2))
    assert reminders.scan_deadlines(now)["due_soon"] == 1
    assert reminders.scan_deadlines(now + timedelta(minutes=10))["due_soon"] == 0
    assert kinds(crew["member"]).count("due_soon") == 1
    note = db.session.scalar(select(Notification).where(Notification.kind == "due_soon"))
    assert note.task_id == soon.id
    assert note.summary == f"#{soon.id} Soon is due Thu 26 Nov 2026 17:00 (Asia/Tokyo)"
    # A moved deadline that is again within 24 hours is a new reminder.
    tasks.update_task(crew["owner_m"], soon, {"due_at": now + timedelta(hours=23)})
    assert reminders.scan_deadlines(now)["due_soon"] == 1


def test_the_scan_looks_up_what_was_sent_a_few_keys_per_statement(crew, monkeypatch):
    """However many tasks are due, no statement of the scan carries more than a few bound parameters."""
    monkeypatch.setattr(reminders, "KEYS_PER_STATEMENT", 3)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    for i in range(8):
        make_task(crew["owner_m"], f"Soon {i}", assignee_id=crew["member"].id,
                  due_at=now + timedelta(hours=20))
    widest = []

    def record(_conn, _cursor, statement, parameters, *_):
        if "reminders_sent" in statement and statement.lstrip().upper().startswith("SELECT"):
            widest.append(len(parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert reminders.scan_deadlines(now)["due_soon"] == 8
        assert reminders.scan_deadlines(now + timedelta(minutes=10))["due_soon"] == 0  # all 8 keys found sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert max(widest) == 3 and len(widest) >= 2 * 3, widest  # at least 8 keys, 3 at a time, in each scan
    assert kinds(crew["member"]).count("due_soon") == 8


def test_each_lead_time_reminds_once(crew):
    reminders.set_lead_times(crew["member"], [{"amount": 3, "unit": "days"}, {"amount": 2, "unit": "hours"}])
    due = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    make_task(crew["owner_m"], "Rotate keys", assignee_id=crew["member"].id, due_at=due)
    sent = [reminders.scan_deadlines(due - before)["due_soon"]
            for before in (timedelta(days=4), timedelta(days=3), timedelta(days=3) - timedelta(minutes=10),
                           timedelta(days=2), timedelta(hours=2), timedelta(hours=1))]
    assert sent == [0, 1, 0, 0, 1, 0]
    assert kinds(crew["member"]) == ["assigned", "due_soon", "due_soon"]


def test_lead_times_reached_together_make_one_reminder(crew):
    reminders.set_lead_times(crew["member"], [{"amount": 3, "unit": "days"}, {"amount": 2, "unit": "hours"}])
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    make_task(crew["owner_m"], "Hotfix", assignee_id=crew["member"].id, due_at=now + timedelta(hours=1))
    assert reminders.scan_deadlines(now)["due_soon"] == 1
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 2  # both answered for


def test_a_working_time_lead_skips_the_weekend(crew):
    reminders.set_lead_times(crew["member"], [{"amount": 2, "unit": "hours", "working": True}])
    make_task(crew["owner_m"], "Review", assignee_id=crew["member"].id, due_at=MONDAY_10)
    assert reminders.scan_deadlines(at(TOKYO, 2026, 11, 27, 15))["due_soon"] == 0  # Friday: 3 working hours
    assert reminders.scan_deadlines(at(TOKYO, 2026, 11, 27, 16))["due_soon"] == 1  # 1 on Friday, 1 on Monday


def test_an_overdue_task_is_reminded_once_each_working_day(crew):
    # Manu works Monday to Friday, 09:00 to 17:00 in New York.
    task = make_task(crew["owner_m"], "Migrate the queue", assignee_id=crew["manager"].id,
                     due_at=at(NEW_YORK, 2026, 11, 27, 17))
    scans = [at(NEW_YORK, 2026, 11, 28, 10),  # Saturday
             at(NEW_YORK, 2026, 11, 30, 8, 30), at(NEW_YORK, 2026, 11, 30, 9, 30),  # Monday
             at(NEW_YORK, 2026, 11, 30, 16),
             at(NEW_YORK, 2026, 12, 1, 9, 5)]
    assert [reminders.scan_deadlines(now)["overdue"] for now in scans] == [0, 0, 1, 0, 1]
    summaries = db.session.scalars(select(Notification.summary).where(Notification.kind == "overdue")).all()
    assert summaries == [f"#{task.id} Migrate the queue is overdue: it was due Fri 27 Nov 2026 17:00 "
                         "(America/New_York)"] * 2
    tasks.update_task(crew["owner_m"], task, {"status": "done"})
    assert reminders.scan_deadlines(at(NEW_YORK, 2026, 12, 2, 9, 5))["overdue"] == 0


def test_reminders_go_by_the_channels_each_person_chose(app, crew):
    app.config.update(MAIL_SERVER="127.0.0.1", DELIVERY="cron")  # queued in the outbox, not sent
    notifications.set_preferences(crew["manager"], {"overdue": "email", "due_soon": "none"})
    task = make_task(crew["owner_m"], "Patch the kernel", assignee_id=crew["manager"].id,
                     due_at=at(NEW_YORK, 2026, 11, 27, 17))
    make_task(crew["owner_m"], "Soon", assignee_id=crew["manager"].id, due_at=at(NEW_YORK, 2026, 12, 1, 12))
    counts = reminders.scan_deadlines(at(NEW_YORK, 2026, 12, 1, 9, 30))
    assert (counts["overdue"], counts["due_soon"]) == (1, 0)
    assert "overdue" not in kinds(crew["manager"]) and "due_soon" not in kinds(crew["manager"])
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.subject.contains("is overdue")))
    assert email.to_address == crew["manager"].email
    assert email.subject.startswith(f"#{task.id} Patch the kernel")
    # "None" is a choice too: the reminder counts as given and is not repeated.
    assert reminders.scan_deadlines(at(NEW_YORK, 2026, 12, 1, 9, 40)) == {"due_soon": 0, "overdue": 0,
                                                                           "at_risk": 0}


def test_at_risk_when_the_forecast_says_the_deadline_will_be_missed(crew):
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday
    # Mia works 09:00-17:00 in Tokyo: 40 hours of work cannot be done by tomorrow.
    owner_m, mia, day = crew["owner_m"], crew["member"].id, timedelta(days=1)
    late = make_task(owner_m, "Rewrite billing", assignee_id=mia, due_at=now + day, estimate_hours=40)
    fine = make_task(owner_m, "Fix typo", assignee_id=mia, due_at=now + 20 * day, estimate_hours=1)
    counts = reminders.scan_deadlines(now)
    assert counts["at_risk"] == 1
    risky = db.session.scalars(select(Notification.task_id).where(Notification.kind == "at_risk")).all()
    assert risky == [late.id] and fine.id not in risky
    assert reminders.scan_deadlines(now)["at_risk"] == 0


def test_a_run_that_loses_the_race_to_another_host_sends_nothing_twice(app, crew, monkeypatch):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    for hours in (2, 5, 9):
        make_task(crew["owner_m"], f"Due in {hours} h", assignee_id=crew["member"].id,
                  due_at=now + timedelta(hours=hours))
    found = reminders._reminders

    def other_host_sends_first(moment):
        candidates = found(moment)  # this run has read what is due; then another host sends it all
        monkeypatch.setattr(reminders, "_reminders", found)
        with app.app_context():
            assert reminders.scan_deadlines(moment)["due_soon"] == 3
        return candidates

    monkeypatch.setattr(reminders, "_reminders", other_host_sends_first)
    assert reminders.scan_deadlines(now)["due_soon"] == 0
    assert kinds(crew["member"]).count("due_soon") == 3


def subprocess_database_url(database) -> str:
    """The test's database as a URL for another process (on PostgreSQL, the schema in the URL)."""
    url, options = database
    path = options.get("connect_args", {}).get("options", "")
    return f"{url}?options={path.replace('=', '%3D')}" if path else url


def test_two_hosts_scanning_at_once_send_each_reminder_once(database, crew, tmp_path):
    people = [make_user(f"Dev {n}", timezone="Europe/Lisbon", work_days="1,2,3,4,5,6,7", work_start=time(0),
                        work_end=time(23, 59)) for n in range(3)]
    now = utcnow()
    for person in people:
        add_to_team(crew["owner_m"], person)
        for n in range(10):
            make_task(crew["owner_m"], f"Soon {n}", assignee_id=person.id,
                      due_at=now + timedelta(hours=2 + n))
        for n in range(4):
            make_task(crew["owner_m"], f"Late {n}", assignee_id=person.id, due_at=now - timedelta(days=1 + n))
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(database), "SECRET_KEY": "reminder-tests",
           "TRACKER_INSTANCE": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("MAIL_")}
    hosts = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "tracker", "scan-deadlines"], env=env,
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    outputs = [host.communicate(timeout=120)[0] for host in hosts]
    assert [host.returncode for host in hosts] == [0, 0], outputs
    told = [re.search(r"Reminded of (\d+) deadline\(s\), (\d+) overdue and (\d+) at-risk", out).groups()
            for out in outputs]
    db.session.expire_all()
    sent = dict(db.session.execute(select(Notification.kind, func.count()).where(
        Notification.user_id.in_([p.id for p in people]), Notification.kind != "assigned")
        .group_by(Notification.kind)).all())
    # The overdue tasks are also past saving (at risk), once per deadline.
    assert sent == {"due_soon": 30, "overdue": 12, "at_risk": 12}
    assert [sum(int(t[i]) for t in told) for i in (0, 1, 2)] == [30, 12, 12]  # between them, each once


# The settings page ----------------------------------------------------------------------------------


def reminder_rows(*rows: tuple[str, str, str]) -> dict[str, str]:
    """The reminders form as a browser sends it: five rows, the unused ones empty."""
    data = {}
    for n in range(reminders.LEAD_TIMES_MAX):
        amount, unit, counted = rows[n] if n < len(rows) else ("", "hours", "calendar")
        data.update({f"rows-{n}-amount": amount, f"rows-{n}-unit": unit, f"rows-{n}-counted": counted})
    return data


def test_the_reminders_page_shows_and_saves_the_lead_times(client, crew):
    login(client, crew["member"])
    page = client.get("/settings/reminders").get_data(as_text=True)
    assert 'name="rows-0-amount" step="1" type="number" value="24"' in page
    saved = client.post("/settings/reminders", data=reminder_rows(("3", "days", "calendar"),
                                                                  ("2", "hours", "working")))
    assert saved.status_code == 302
    assert reminders.lead_times(crew["member"]) == [LeadTime(2, "hours", True), LeadTime(3, "days", False)]
    page = client.get("/settings/reminders").get_data(as_text=True)
    assert 'name="rows-1-amount" step="1" type="number" value="3"' in page
    assert '<option selected value="working">working time</option>' in page


@pytest.mark.parametrize("rows, message", [
    ((), "Choose from 1 to 5 lead times"),
    ((("31", "days", "calendar"),), "Choose from 1 hour to 30 days"),
    ((("soon", "days", "calendar"),), "Not a valid integer value"),
])
def test_the_reminders_page_refuses_what_it_cannot_keep(client, crew, rows, message):
    login(client, crew["member"])
    refused = client.post("/settings/reminders", data=reminder_rows(*rows))
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert reminders.lead_times(crew["member"]) == [LeadTime(24)]
