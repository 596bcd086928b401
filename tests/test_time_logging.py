"""Logging time on tasks (tracker/timelog.py): the rules every surface shares."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_task, make_team, make_user, membership
from tracker import timelog
from tracker.errors import Forbidden, Invalid, NotFound
from tracker.models import utcnow
from tracker.tasks import move_to_trash


@pytest.fixture
def setup(team_of_three):
    owner = membership(team_of_three["team_id"], team_of_three["owner"])
    member = membership(team_of_three["team_id"], team_of_three["member"])
    return owner, member, make_task(owner)


@pytest.mark.parametrize("hours", [0, 0.004, -1, 24.01, float("nan"), float("inf"), True, "2"])
def test_hours_must_be_more_than_zero_and_at_most_a_day(setup, hours):
    _owner, member, task = setup
    with pytest.raises(Invalid) as exc:
        timelog.log_time(member, task, hours, date(2026, 11, 20))
    assert set(exc.value.errors) == {"hours"}


def test_the_day_may_be_tomorrow_but_not_later_in_the_members_zone(setup):
    _owner, member, task = setup  # Mia works in Asia/Tokyo
    today = utcnow().astimezone(ZoneInfo("Asia/Tokyo")).date()
    assert timelog.log_time(member, task, 1, today + timedelta(days=1)).spent_on == today + timedelta(days=1)
    with pytest.raises(Invalid) as exc:
        timelog.log_time(member, task, 1, today + timedelta(days=2))
    assert set(exc.value.errors) == {"spent_on"}
    with pytest.raises(Invalid):
        timelog.log_time(member, task, 1, datetime(2026, 11, 20, tzinfo=UTC))


def test_entries_are_listed_by_day_and_rounded(setup):
    owner, member, task = setup
    timelog.log_time(member, task, 1.234, date(2026, 11, 20), "  tests  ")
    timelog.log_time(owner, task, 24, date(2026, 11, 19))
    entries = timelog.list_time_entries(task)
    assert [(e.spent_on.day, e.hours, e.note) for e in entries] == [(19, 24.0, ""), (20, 1.23, "tests")]
    with pytest.raises(Invalid):
        timelog.log_time(member, task, 1, date(2026, 11, 20), "x" * 501)


def test_only_the_teams_live_tasks_and_own_entries(setup, team_of_three):
    owner, member, task = setup
    outsider = make_team(make_user("Otto"), "Other")
    with pytest.raises(NotFound):
        timelog.log_time(outsider, task, 1, date(2026, 11, 20))
    entry = timelog.log_time(owner, task, 1, date(2026, 11, 20))
    with pytest.raises(Forbidden):
        timelog.delete_time_entry(member, entry)
    found, found_member = timelog.get_time_entry(team_of_three["member"], entry.id)
    assert found.id == entry.id and found_member.user_id == team_of_three["member"].id
    with pytest.raises(NotFound):
        timelog.get_time_entry(team_of_three["outsider"], entry.id)
    move_to_trash(owner, task)
    with pytest.raises(NotFound):
        timelog.log_time(owner, task, 1, date(2026, 11, 20))
    with pytest.raises(NotFound):
        timelog.get_time_entry(team_of_three["owner"], entry.id)
