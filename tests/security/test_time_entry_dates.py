"""Time entries are dated in this century, like deadlines: 2000-01-01 to 2100-12-31."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_task, membership
from tracker import timelog
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import TimeEntry


def entry_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TimeEntry))


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1999, 12, 31), date(1970, 1, 1)])
def test_a_day_before_2000_is_refused(team_of_three, day):
    member = membership(team_of_three["team_id"], team_of_three["member"])
    task = make_task(member)
    with pytest.raises(Invalid) as exc:
        timelog.log_time(member, task, 1, day)
    assert exc.value.errors == {"spent_on": ["Enter a day between 2000-01-01 and 2100-12-31."]}
    assert entry_count() == 0


def test_the_first_day_of_2000_is_accepted(team_of_three):
    member = membership(team_of_three["team_id"], team_of_three["member"])
    assert timelog.log_time(member, make_task(member), 1, date(2000, 1, 1)).spent_on == date(2000, 1, 1)


def test_the_html_form_refuses_year_one_and_writes_nothing(client, team_of_three):
    member = membership(team_of_three["team_id"], team_of_three["member"])
    task = make_task(member)
    login(client, team_of_three["member"])
    data = {"hours": "1", "spent_on": "0001-01-01", "note": ""}
    # The task page says why (re-rendered with the form's errors, or after a redirect, as a message).
    r = client.post(f"/tasks/{task.id}/time", data=data, follow_redirects=True)
    assert "Enter a day between 2000-01-01 and 2100-12-31." in r.get_data(as_text=True)
    assert "Logged 1 h" not in r.get_data(as_text=True)
    assert entry_count() == 0
