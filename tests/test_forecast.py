"""Deadline-risk forecast: working-time arithmetic and the queue simulation.

Every expectation is worked out by hand in the comments. Unless a test says otherwise, "now" is
Mon 13 Jan 2025 09:00 UTC, and Ana works in Lisbon, which is UTC+0 in winter, so her wall clock
reads like UTC.
"""

import math
import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracker.forecast import (
    ForecastTask,
    TaskForecast,
    WorkSchedule,
    add_working_hours,
    explain,
    forecast,
    working_hours_between,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


NOW = utc(2025, 1, 13, 9, 0)  # Monday
ANA, BO, CY, DANA = 1, 2, 3, 4
OFFICE = WorkSchedule()  # UTC, Mon–Fri 09:00–17:00
LISBON = WorkSchedule("Europe/Lisbon")
TOKYO = WorkSchedule("Asia/Tokyo")  # UTC+9
NEW_YORK = WorkSchedule("America/New_York")  # UTC-5 in winter, UTC-4 from 9 Mar 2025
# Saudi work week: Sunday to Thursday, 08:00–16:00 at UTC+3 (no DST).
RIYADH = WorkSchedule("Asia/Riyadh", frozenset({7, 1, 2, 3, 4}), time(8, 0), time(16, 0))
SCHEDULES = {ANA: LISBON, BO: TOKYO, CY: NEW_YORK, DANA: RIYADH}


def task(id, due_at, estimate, *, assignee=ANA, priority="medium", spent=0.0, blocked_by=()):
    return ForecastTask(id, assignee, due_at, priority, estimate, spent, tuple(blocked_by))


# --- WorkSchedule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "hours"),
    [
        (OFFICE, 40),
        (RIYADH, 40),
        (WorkSchedule(work_days={1, 2, 3}, work_start=time(10), work_end=time(14, 30)), 13.5),
    ],
)
def test_hours_per_week(schedule, hours):
    assert schedule.hours_per_week == hours


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timezone": "Mars/Olympus_Mons"},
        {"work_days": frozenset()},
        {"work_days": frozenset({0, 1})},  # ISO weekdays start at 1
        {"work_days": frozenset({8})},
        {"work_start": time(9), "work_end": time(9)},
        {"work_start": time(22), "work_end": time(6)},  # night shifts over midnight: unsupported
    ],
)
def test_invalid_schedules_are_rejected(kwargs):
    with pytest.raises(ValueError):
        WorkSchedule(**kwargs)


def test_work_days_accept_any_iterable_and_stay_hashable():
    schedule = WorkSchedule(work_days=[1, 2, 3])
    assert schedule.work_days == frozenset({1, 2, 3})
    assert hash(schedule) == hash(WorkSchedule(work_days=frozenset({3, 2, 1})))


# --- add_working_hours / working_hours_between ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (utc(2025, 1, 13, 10), 2, utc(2025, 1, 13, 12)),  # inside the day
        (utc(2025, 1, 13, 16), 2, utc(2025, 1, 14, 10)),  # 1 h Mon, evening skipped, 1 h Tue
        (utc(2025, 1, 17, 16), 2, utc(2025, 1, 20, 10)),  # Fri 1 h, weekend skipped, Mon 1 h
        (utc(2025, 1, 18, 12), 1, utc(2025, 1, 20, 10)),  # starting on Saturday
        (utc(2025, 1, 13, 20), 8, utc(2025, 1, 14, 17)),  # a full day ends at 17:00, not Wed 09:00
        (utc(2025, 1, 13, 9), 40, utc(2025, 1, 17, 17)),  # a full week
        (utc(2025, 1, 13, 12, 30), 0.25, utc(2025, 1, 13, 12, 45)),
        (utc(2025, 1, 13, 9), 0, utc(2025, 1, 13, 9)),
        (utc(2025, 1, 18, 12), 0, utc(2025, 1, 18, 12)),  # 0 hours: start unchanged, even on Sat
    ],
)
def test_add_working_hours_skips_evenings_and_weekends(start, hours, expected):
    assert add_working_hours(OFFICE, start, hours) == expected


def test_add_working_hours_returns_utc_and_does_not_drift():
    # 10:00 JST = 01:00Z, before the UTC office opens: 1 h from 09:00Z.
    start = datetime(2025, 1, 13, 10, tzinfo=ZoneInfo("Asia/Tokyo"))
    finish = add_working_hours(OFFICE, start, 1)
    assert finish == utc(2025, 1, 13, 10) and finish.tzinfo is UTC
    # 0.1 + 0.2 != 0.3 in floats, but estimates are counted to the second.
    stepwise = add_working_hours(OFFICE, add_working_hours(OFFICE, NOW, 0.1), 0.2)
    assert stepwise == add_working_hours(OFFICE, NOW, 0.3) == utc(2025, 1, 13, 9, 18)


def test_add_working_hours_rejects_bad_input():
    for hours in (-1, math.nan, math.inf):
        with pytest.raises(ValueError):
            add_working_hours(OFFICE, NOW, hours)
    with pytest.raises(ValueError):
        add_working_hours(OFFICE, datetime(2025, 1, 13, 9), 1)  # naive


@pytest.mark.parametrize(
    ("schedule", "start", "hours", "expected"),
    [
        # 14:00Z Mon = 23:00 JST: Tokyo is done for the day; Tue 09:00 JST = Tue 00:00Z, +4 h.
        (TOKYO, utc(2025, 1, 13, 14), 4, utc(2025, 1, 14, 4)),
        # 14:00Z Mon = 09:00 EST: New York is just starting; +4 h = 13:00 EST = 18:00Z.
        (NEW_YORK, utc(2025, 1, 13, 14), 4, utc(2025, 1, 13, 18)),
        # 09:00Z Fri = 18:00 JST Fri: Tokyo's next working hour is Mon 09:00 JST = Mon 00:00Z.
        (TOKYO, utc(2025, 1, 17, 9), 1, utc(2025, 1, 20, 1)),
        # 09:00Z Fri = 04:00 EST Fri: New York starts at 09:00 EST = 14:00Z the same Friday.
        (NEW_YORK, utc(2025, 1, 17, 9), 1, utc(2025, 1, 17, 15)),
        # Midnight UTC is 09:00 in Tokyo: a full day ends at 17:00 JST = 08:00Z.
        (TOKYO, utc(2025, 1, 13, 0), 8, utc(2025, 1, 13, 8)),
    ],
)
def test_add_working_hours_in_the_assignees_zone(schedule, start, hours, expected):
    assert add_working_hours(schedule, start, hours) == expected


@pytest.mark.parametrize(
    ("schedule", "start", "end", "hours"),
    [
        (OFFICE, utc(2025, 1, 13, 9), utc(2025, 1, 17, 17), 40),
        (OFFICE, utc(2025, 1, 13, 0), utc(2025, 1, 20, 0), 40),
        (OFFICE, utc(2025, 1, 17, 16), utc(2025, 1, 20, 10), 2),  # Fri 16–17, Mon 9–10
        (OFFICE, utc(2025, 1, 18, 0), utc(2025, 1, 20, 0), 0),  # weekend
        (OFFICE, utc(2025, 1, 13, 18), utc(2025, 1, 13, 23), 0),  # evening
        (OFFICE, utc(2025, 1, 13, 12), utc(2025, 1, 13, 12), 0),
        (OFFICE, utc(2025, 1, 20, 10), utc(2025, 1, 17, 16), -2),  # end before start
        (OFFICE, utc(2025, 1, 13, 9), utc(2025, 1, 13, 9, 20), 1 / 3),
        # 00:00–14:00Z Mon = 09:00–23:00 JST (8 h), but 19:00 Sun–09:00 Mon EST (0 h).
        (TOKYO, utc(2025, 1, 13, 0), utc(2025, 1, 13, 14), 8),
        (NEW_YORK, utc(2025, 1, 13, 0), utc(2025, 1, 13, 14), 0),
        # Riyadh Thu 10:00 (07:00Z) to Sun 12:00 (09:00Z): Thu 10–16, Fri and Sat off, Sun 08–12.
        (RIYADH, utc(2025, 1, 16, 7), utc(2025, 1, 19, 9), 10),
    ],
)
def test_working_hours_between(schedule, start, end, hours):
    assert working_hours_between(schedule, start, end) == pytest.approx(hours)


@pytest.mark.parametrize("schedule", [OFFICE, TOKYO, NEW_YORK, RIYADH], ids=lambda s: s.timezone)
def test_add_and_between_are_inverses(schedule):
    # Starts every 7 hours over two weeks hit mornings, evenings, weekends and (for New York)
    # the switch to summer time on Sun 9 Mar 2025.
    starts = [utc(2025, 3, 3) + timedelta(hours=7 * k) for k in range(48)]
    for start in starts:
        for hours in (0.25, 1, 2.5, 7.75, 8, 13, 40, 123.5):
            finish = add_working_hours(schedule, start, hours)
            assert working_hours_between(schedule, start, finish) == hours
        for end in starts:
            # Going back from a moment inside working time (the minute before it is worked)
            # lands exactly on it; at other moments add_working_hours gives the end of the
            # previous working day instead, the earliest instant with the same working time.
            worked = working_hours_between(schedule, start, end)
            inside = working_hours_between(schedule, end - timedelta(minutes=1), end) > 0
            if end > start and worked > 0 and inside:
                assert add_working_hours(schedule, start, worked) == end


def test_dst_spring_forward_keeps_the_wall_clock_schedule():
    # Fri 7 Mar 16:00 EST (21:00Z): 1 h until 17:00 EST; New York then switches to EDT (UTC-4),
    # so Mon 10 Mar 09:00 EDT is 13:00Z, not 14:00Z; the second hour ends 14:00Z.
    assert add_working_hours(NEW_YORK, utc(2025, 3, 7, 21), 2) == utc(2025, 3, 10, 14)
    # Mon 3 Mar 09:00 EST (14:00Z) to Mon 10 Mar 09:00 EDT (13:00Z) is one working week.
    assert working_hours_between(NEW_YORK, utc(2025, 3, 3, 14), utc(2025, 3, 10, 13)) == 40


@pytest.mark.parametrize(
    ("sunday", "hours"),
    [
        # Ordinary Sunday: 00:00–06:00 EST = 05:00–11:00Z, 6 h.
        (utc(2025, 3, 2), 6),
        # Spring forward at 02:00: 00:00 EST (05:00Z) to 06:00 EDT (10:00Z) is only 5 h.
        (utc(2025, 3, 9), 5),
        # Fall back at 02:00: 00:00 EDT (04:00Z) to 06:00 EST (11:00Z) is 7 h.
        (utc(2025, 11, 2), 7),
    ],
)
def test_dst_switch_inside_working_hours_changes_real_working_time(sunday, hours):
    night_shift = WorkSchedule("America/New_York", frozenset({7}), time(0), time(6))
    assert working_hours_between(night_shift, sunday, sunday + timedelta(days=2)) == hours
    assert night_shift.hours_per_week == 6  # nominal


# --- forecast: one task at a time ---------------------------------------------------------------

MON_12 = utc(2025, 1, 13, 12)
MON_17 = utc(2025, 1, 13, 17)
TUE_17 = utc(2025, 1, 14, 17)
LAST_FRI_17 = utc(2025, 1, 10, 17)


@pytest.mark.parametrize(
    ("case", "estimate", "spent", "due_at", "finish", "at_risk", "slack", "reason", "available"),
    [
        # 6 h from Mon 09:00 ends 15:00; 15:00–17:00 is 2 h to spare.
        ("on time", 6, 0, MON_17, utc(2025, 1, 13, 15), False, 2, "ok", 8),
        # Due at noon: 3 h available, 4 needed, finishes 13:00, an hour late.
        ("deadline inside the day", 4, 0, MON_12, utc(2025, 1, 13, 13), True, -1, "late", 3),
        # 10 h estimated, 4 logged: 6 h left, same as "on time".
        ("time logged", 10, 4, MON_17, utc(2025, 1, 13, 15), False, 2, "ok", 8),
        # More logged than estimated: nothing left, finishes now.
        ("over-logged", 3, 5, MON_17, NOW, False, 8, "ok", 8),
        # 10 h: Mon 8 h, evening skipped, Tue 09–11; Tue 11–17 is 6 h spare of 16 available.
        ("over the evening", 10, 0, TUE_17, utc(2025, 1, 14, 11), False, 6, "ok", 16),
        # 44 h: a full week (40) then Mon 20 09–13, an hour after the Mon 12:00 deadline.
        ("over the weekend", 44, 0, utc(2025, 1, 20, 12), utc(2025, 1, 20, 13), True, -1, "late", 43),
        # Due last Friday 17:00: at risk whatever happens; finishing Mon 11:00 is 2 working hours late.
        ("overdue", 2, 0, LAST_FRI_17, utc(2025, 1, 13, 11), True, -2, "overdue", 0),
        # Overdue with nothing left to do is still at risk (it is not done), but 0 h late.
        ("overdue, all logged", 1, 1, LAST_FRI_17, NOW, True, 0, "overdue", 0),
        ("no deadline", 5, 0, None, utc(2025, 1, 13, 14), False, None, "ok", None),
    ],
)
def test_single_task(case, estimate, spent, due_at, finish, at_risk, slack, reason, available):
    result = forecast([task(1, due_at, estimate, spent=spent)], SCHEDULES, NOW)[1]
    assert result == TaskForecast(
        task_id=1,
        projected_finish_at=finish,
        at_risk=at_risk,
        slack_hours=slack,
        remaining_hours=max(0, estimate - spent),
        reason=reason,
        earlier_tasks=0,
        available_hours=available,
        waits_for=(),
    )


def test_over_committed_week():
    # Five 10 h tasks all due Fri 17 Jan 17:00: 50 h of work in a 40 h week. Same deadline, so
    # priority decides (critical, high, medium, then the two lows by id: 1 before 2).
    fri = utc(2025, 1, 17, 17)
    tasks = [
        task(1, fri, 10, priority="low"),
        task(2, fri, 10, priority="low"),
        task(3, fri, 10, priority="medium"),
        task(4, fri, 10, priority="high"),
        task(5, fri, 10, priority="critical"),
    ]
    result = forecast(tasks, SCHEDULES, NOW)
    expected = {
        # id: (finish, earlier tasks, slack)
        5: (utc(2025, 1, 14, 11), 0, 30),  # 10 h: Mon 8 + Tue 2
        4: (utc(2025, 1, 15, 13), 1, 20),  # 20 h
        3: (utc(2025, 1, 16, 15), 2, 10),  # 30 h
        1: (utc(2025, 1, 17, 17), 3, 0),  # 40 h: exactly on the deadline, still fine
        2: (utc(2025, 1, 21, 11), 4, -10),  # 50 h: next Mon 8 + Tue 09–11, 10 h late
    }
    for id, (finish, earlier, slack) in expected.items():
        f = result[id]
        assert (f.projected_finish_at, f.earlier_tasks, f.slack_hours) == (finish, earlier, slack)
        assert f.at_risk is (slack < 0)
        assert f.available_hours == 40
    assert result[2].reason == "late"


def test_queue_order_deadline_then_priority_then_id_undated_last():
    tasks = [
        task(5, None, 1, priority="high"),
        task(4, None, 1, priority="high"),
        task(3, None, 1, priority="critical"),
        task(2, utc(2025, 1, 15, 17), 1, priority="critical"),
        task(1, utc(2025, 1, 14, 17), 1, priority="low"),  # earliest deadline beats priority
    ]
    result = forecast(tasks, SCHEDULES, NOW)
    # Worked 1, 2, 3, 4, 5: one hour each from 09:00.
    for earlier, id in enumerate([1, 2, 3, 4, 5]):
        assert result[id].earlier_tasks == earlier
        assert result[id].projected_finish_at == utc(2025, 1, 13, 10 + earlier)


def test_missing_schedule_means_defaults():
    # User 42 has no schedule: UTC, Mon–Fri 09:00–17:00.
    result = forecast([task(1, None, 2, assignee=42)], SCHEDULES, NOW)
    assert result[1].projected_finish_at == utc(2025, 1, 13, 11)


def test_custom_work_days_sunday_to_thursday():
    # Now Thu 16 Jan 10:00 in Riyadh (07:00Z). 10 h: Thu 10–16 (6 h), Fri and Sat off,
    # Sun 19 Jan 08–12 (4 h) -> Sun 12:00 local = 09:00Z. Due Sat 12:00 local (09:00Z), a day off:
    # 6 h available; late by Sun 08–12 = 4 working hours.
    now = utc(2025, 1, 16, 7)
    f = forecast([task(1, utc(2025, 1, 18, 9), 10, assignee=DANA)], SCHEDULES, now)[1]
    assert f.projected_finish_at == utc(2025, 1, 19, 9)
    assert (f.at_risk, f.slack_hours, f.available_hours, f.reason) == (True, -4, 6, "late")


def test_dst_week():
    # Cy in New York, now Fri 7 Mar 15:00 EST (20:00Z), 4 h to do, due Mon 10 Mar 12:00 EDT (16:00Z).
    # Fri 15–17 EST = 2 h; the clocks go forward on Sunday; Mon 09:00 EDT = 13:00Z, +2 h = 15:00Z.
    # Slack: Mon 11:00–12:00 EDT = 1 h. Available: 2 (Fri) + 3 (Mon 09–12) = 5 h.
    now = utc(2025, 3, 7, 20)
    f = forecast([task(1, utc(2025, 3, 10, 16), 4, assignee=CY)], SCHEDULES, now)[1]
    assert f.projected_finish_at == utc(2025, 3, 10, 15)
    assert (f.at_risk, f.slack_hours, f.available_hours) == (False, 1, 5)


def test_tokyo_and_new_york_finish_the_same_work_at_different_instants():
    # Now Mon 09:00Z = 18:00 JST (Bo is done for the day) = 04:00 EST (Cy has not started).
    # 3 h each. Bo: Tue 09:00–12:00 JST = Tue 03:00Z. Cy: Mon 09:00–12:00 EST = Mon 17:00Z.
    # Due Tue 12:00Z = Tue 21:00 JST = Tue 07:00 EST: each has one full 8 h day before it
    # (Bo's Tuesday, Cy's Monday), and 5 h of it left after finishing.
    due = utc(2025, 1, 14, 12)
    result = forecast([task(1, due, 3, assignee=BO), task(2, due, 3, assignee=CY)], SCHEDULES, NOW)
    assert result[1].projected_finish_at == utc(2025, 1, 14, 3)
    assert result[2].projected_finish_at == utc(2025, 1, 13, 17)
    assert (result[1].available_hours, result[1].slack_hours) == (8, 5)  # Tue 12:00–17:00 JST
    assert (result[2].available_hours, result[2].slack_hours) == (8, 5)  # Mon 12:00–17:00 EST


# --- forecast: tasks without a projection --------------------------------------------------------


def without_projection(reason: str, available_hours: float | None = None) -> TaskForecast:
    """Task 1's forecast when it cannot be projected: no finish, no slack, not at risk (not yet due)."""
    return TaskForecast(
        task_id=1,
        projected_finish_at=None,
        at_risk=False,
        slack_hours=None,
        remaining_hours=None,
        reason=reason,
        earlier_tasks=0,
        available_hours=available_hours,
        waits_for=(),
    )


def test_no_estimate_is_listed_not_guessed_and_takes_no_time():
    tasks = [task(1, MON_12, None), task(2, MON_17, 2)]
    result = forecast(tasks, SCHEDULES, NOW)
    assert result[1] == without_projection("no_estimate", available_hours=3)  # Mon 09–12
    # Task 2 starts right away: the unestimated task 1 takes no time.
    assert result[2].projected_finish_at == utc(2025, 1, 13, 11)
    assert result[2].earlier_tasks == 0


def test_unassigned_has_no_projection():
    result = forecast([task(1, TUE_17, 3, assignee=None)], SCHEDULES, NOW)
    assert result[1] == without_projection("unassigned")


@pytest.mark.parametrize("assignee, estimate, reason", [(None, 3, "unassigned"), (ANA, None, "no_estimate")])
def test_overdue_without_projection_is_still_at_risk(assignee, estimate, reason):
    f = forecast([task(1, LAST_FRI_17, estimate, assignee=assignee)], SCHEDULES, NOW)[1]
    assert (f.at_risk, f.reason, f.projected_finish_at) == (True, reason, None)


# --- forecast: blockers ---------------------------------------------------------------------------


def test_blocker_chain_across_two_assignees():
    # A (Ana, 4 h) blocks B (Bo in Tokyo, 4 h) blocks C (Ana, 2 h); Ana also has D (3 h, undated).
    #   Mon 09:00Z  Ana starts A, done 13:00Z. Bo (18:00 JST) has only B, which waits for A.
    #   Mon 13:00Z  Ana: C waits for B (not started), so she works D meanwhile: done 16:00Z.
    #               Bo may start B, but it is 22:00 JST: he starts Tue 09:00 JST (00:00Z),
    #               done Tue 13:00 JST = 04:00Z. His deadline is Tue 12:00 JST: 1 h late.
    #   Mon 16:00Z  Ana: C still waits for B, so she idles until Tue 04:00Z, i.e. her Tue 09:00.
    #               C done Tue 11:00Z; due Tue 17:00Z leaves 6 h.
    a = task(1, MON_17, 4)
    b = task(2, utc(2025, 1, 14, 3), 4, assignee=BO, blocked_by=[1])
    c = task(3, TUE_17, 2, blocked_by=[2])
    d = task(4, None, 3)
    result = forecast([a, b, c, d], SCHEDULES, NOW)
    expected = {
        # id: (finish, earlier tasks, waits for, slack)
        1: (utc(2025, 1, 13, 13), 0, (), 4),
        4: (utc(2025, 1, 13, 16), 1, (), None),
        2: (utc(2025, 1, 14, 4), 0, (1,), -1),
        3: (utc(2025, 1, 14, 11), 2, (2,), 6),
    }
    for id, (finish, earlier, waits_for, slack) in expected.items():
        f = result[id]
        assert (f.projected_finish_at, f.earlier_tasks, f.waits_for, f.slack_hours) == (
            finish,
            earlier,
            waits_for,
            slack,
        ), id
    assert result[2].at_risk and result[2].reason == "late"


def test_blocked_task_waits_even_with_the_earlier_deadline():
    # B is due first (Mon 12:00) but blocked by A (3 h, due Friday): A 09–12, then B 12–14.
    a = task(1, utc(2025, 1, 17, 17), 3)
    b = task(2, MON_12, 2, blocked_by=[1])
    result = forecast([a, b], SCHEDULES, NOW)
    assert result[1].projected_finish_at == MON_12
    assert result[2].projected_finish_at == utc(2025, 1, 13, 14)
    assert (result[2].earlier_tasks, result[2].slack_hours, result[2].at_risk) == (1, -2, True)


def test_waiting_for_a_blocker_in_another_zone_starts_mid_day():
    # Ana's A takes 09:00–16:00Z. Cy's B needs A: it can start at 16:00Z = 11:00 EST,
    # 2 h later it is 13:00 EST = 18:00Z.
    result = forecast([task(1, None, 7), task(2, None, 2, assignee=CY, blocked_by=[1])], SCHEDULES, NOW)
    assert result[2].projected_finish_at == utc(2025, 1, 13, 18)


def test_blockers_without_projection_do_not_delay_but_are_noted():
    # 99 is not open (done or unknown): finished. 3 is unassigned and 4 unestimated: no
    # projection, assumed not to delay, listed in unscheduled_blockers.
    tasks = [
        task(1, None, 2, blocked_by=[99, 3, 4]),
        task(3, None, 5, assignee=None),
        task(4, None, None, assignee=BO),
    ]
    f = forecast(tasks, SCHEDULES, NOW)[1]
    assert f.projected_finish_at == utc(2025, 1, 13, 11)
    assert (f.waits_for, f.unscheduled_blockers, f.cycle_blockers) == ((), (3, 4), ())


def test_cycles_are_broken_deterministically():
    # 1 is blocked by 2, 2 by 3, 3 by 1 (Ana, Bo, Ana), and 4 by itself. Walking in id order
    # 1 -> 2 -> 3 -> 1 closes the loop, so the link "3 blocked by 1" is ignored; so is 4's.
    # Ana's queue (undated, same priority): 1, 3, 4.
    #   Mon 09:00Z Ana: 1 waits for 2, 3 is free: 09–10Z. Bo (18:00 JST): 2 waits for 3.
    #   Mon 10:00Z Ana: 1 still waits, 4: 10–11Z. Bo can do 2 from Tue 09:00 JST: done 01:00Z.
    #   Mon 11:00Z Ana idles until Tue 01:00Z, i.e. her Tue 09:00: 1 done Tue 10:00Z.
    tasks = [
        task(1, None, 1, blocked_by=[2]),
        task(2, None, 1, assignee=BO, blocked_by=[3]),
        task(3, None, 1, blocked_by=[1]),
        task(4, None, 1, blocked_by=[4]),
    ]
    result = forecast(tasks, SCHEDULES, NOW)
    expected = {
        # id: (finish, waits for, cycle blockers)
        1: (utc(2025, 1, 14, 10), (2,), ()),
        2: (utc(2025, 1, 14, 1), (3,), ()),
        3: (utc(2025, 1, 13, 10), (), (1,)),
        4: (utc(2025, 1, 13, 11), (), (4,)),
    }
    for id, (finish, waits_for, cycle) in expected.items():
        f = result[id]
        assert (f.projected_finish_at, f.waits_for, f.cycle_blockers) == (finish, waits_for, cycle)
    # The input order does not matter.
    assert forecast(reversed(tasks), SCHEDULES, NOW) == result


def test_a_long_cycle_does_not_hang_or_overflow_the_stack():
    # 1 blocked by 2, ..., 2999 blocked by 3000, and 3000 blocked by 1: one 3,000-task loop.
    # The walk from 1 reaches 3000 and drops "3000 blocked by 1"; then 3000 is worked first
    # and 1 last, one hour each: 3,000 h = 75 weeks.
    n = 3000
    tasks = [task(i, None, 1, blocked_by=[i % n + 1]) for i in range(1, n + 1)]
    result = forecast(tasks, SCHEDULES, NOW)
    assert result[n].cycle_blockers == (1,)
    assert result[n].earlier_tasks == 0
    assert result[1].earlier_tasks == n - 1
    assert result[1].projected_finish_at == add_working_hours(LISBON, NOW, n)


# --- forecast: inputs, determinism, performance ---------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"priority": "urgent"},
        {"estimate_hours": -1.0},
        {"estimate_hours": math.nan},
        {"spent_hours": -0.5},
        {"due_at": datetime(2025, 1, 13, 17)},  # naive
    ],
)
def test_invalid_tasks_are_rejected(kwargs):
    fields = {"id": 1, "assignee_id": ANA, "due_at": None, "priority": "low", "estimate_hours": 1.0}
    with pytest.raises(ValueError):
        ForecastTask(**(fields | kwargs))


def test_duplicate_task_ids_are_rejected():
    with pytest.raises(ValueError):
        forecast([task(1, None, 1), task(1, None, 2)], SCHEDULES, NOW)


def random_workload(seed, tasks=2000, people=20):
    rng = random.Random(seed)
    zones = ["UTC", "Europe/Lisbon", "Asia/Tokyo", "America/New_York", "Pacific/Auckland"]
    schedules = {p: WorkSchedule(zones[p % len(zones)]) for p in range(people)}
    workload = [
        ForecastTask(
            id=i,
            assignee_id=None if rng.random() < 0.05 else rng.randrange(people),
            due_at=None if rng.random() < 0.2 else NOW + timedelta(hours=rng.randrange(-48, 24 * 90)),
            priority=rng.choice(["critical", "high", "medium", "low"]),
            estimate_hours=None if rng.random() < 0.1 else rng.choice([0.5, 1, 2, 4, 8, 16]),
            spent_hours=rng.choice([0, 0, 0, 1, 3]),
            blocked_by=tuple(rng.sample(range(tasks), rng.choice([0, 0, 0, 1, 2]))),
        )
        for i in range(tasks)
    ]
    return workload, schedules


def test_two_thousand_tasks_for_twenty_people_is_deterministic():
    # Its speed is measured in bench/forecast.py, not asserted here.
    workload, schedules = random_workload(seed=7)
    result = forecast(workload, schedules, NOW)
    assert len(result) == 2000
    shuffled = list(workload)
    random.Random(1).shuffle(shuffled)
    assert forecast(shuffled, schedules, NOW) == result
    # Every projected task finishes no earlier than now and after each blocker it waits for. Only the
    # unassigned and unestimated (about 15 %) go without a projection, and about a third wait for
    # blockers: otherwise this loop would check nothing.
    projected = [f for f in result.values() if f.projected_finish_at is not None]
    assert len(projected) >= 1600
    assert sum(1 for f in projected if f.waits_for) >= 400
    for f in projected:
        assert f.projected_finish_at >= NOW
        for blocker in f.waits_for:
            assert result[blocker].projected_finish_at <= f.projected_finish_at


# --- explain ---------------------------------------------------------------------------------------


FRI_17 = utc(2025, 1, 17, 17)


# case: (workload, the task explained, the assignee's name and schedule, its deadline)
EXPLAINED = {
    "a week too full": ([task(i, FRI_17, 10) for i in range(1, 6)], 5, "Ana", LISBON, FRI_17),
    "waiting for a blocker": ([task(1, None, 4), task(2, TUE_17, 2, blocked_by=[1])], 2, "Ana", LISBON,
                              TUE_17),
    "overdue": ([task(1, LAST_FRI_17, 2)], 1, "Ana", LISBON, LAST_FRI_17),
    # Bo starts Tue 09:00 JST (Mon 18:00 JST now); the finish is shown on his wall clock.
    "no deadline": ([task(1, None, 1.5, assignee=BO)], 1, "Bo", TOKYO, None),
    "no estimate": ([task(1, MON_12, None)], 1, "Ana", LISBON, MON_12),
    "unassigned": ([task(1, LAST_FRI_17, 1, assignee=None)], 1, "", OFFICE, LAST_FRI_17),
    "one hour to spare": ([task(1, utc(2025, 1, 13, 11), 1)], 1, "Ana", LISBON, utc(2025, 1, 13, 11)),
}
SENTENCES = {
    "a week too full": "needs 10 h, Ana has 40 working hours before Fri 17 Jan 17:00 (Europe/Lisbon), "
    "after 4 earlier tasks; projected finish Tue 21 Jan 11:00, 10 working hours late",
    "waiting for a blocker": "needs 2 h, Ana has 16 working hours before Tue 14 Jan 17:00 (Europe/Lisbon), "
    "after 1 earlier task, waiting for #1; projected finish Mon 13 Jan 15:00, 10 working hours to spare",
    "overdue": "was due Fri 10 Jan 17:00 (Europe/Lisbon) and still needs 2 h; projected finish Mon 13 Jan "
    "11:00, 2 working hours late",
    "no deadline": "needs 1.5 h; projected finish Tue 14 Jan 10:30 (Asia/Tokyo)",
    "no estimate": "no estimate, so it is left out of Ana's forecast; Ana has 3 working hours before "
    "Mon 13 Jan 12:00 (Europe/Lisbon)",
    "unassigned": "nobody is assigned, so there is no forecast; it was due Fri 10 Jan 17:00 (UTC)",
    "one hour to spare": "needs 1 h, Ana has 2 working hours before Mon 13 Jan 11:00 (Europe/Lisbon); "
    "projected finish Mon 13 Jan 10:00, 1 working hour to spare",
}


@pytest.mark.parametrize("case", EXPLAINED)
def test_explain_sentences(case):
    workload, task_id, name, schedule, due_at = EXPLAINED[case]
    assert explain(forecast(workload, SCHEDULES, NOW)[task_id], name, schedule, due_at) == SENTENCES[case]
