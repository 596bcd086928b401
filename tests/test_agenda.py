"""Plan my day / my week: the stored forecast's order as blocks of a person's working hours, with what would
slip (tracker/agenda.py), on the Plan tab of "my work" and as GET /api/v1/me/plan."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import vobject
from icalendar import Calendar

from tests.api.conftest import Api, DocumentedResponses, token_for
from tests.factories import add_to_team, login, make_task, make_team, make_user
from tests.support import statements_for
from tracker import agenda, feeds, stored_forecast
from tracker.agenda import Block, clip, parse_days, work_blocks, window
from tracker.api.spec import openapi_document
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.forecast import WorkSchedule
from tracker.models import TeamMembership

NOW = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)  # a Tuesday
UTC_WEEK = WorkSchedule()  # Monday to Friday, 09:00-17:00 UTC
NEW_YORK = WorkSchedule(timezone="America/New_York")


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2030, month, day, hour, minute, tzinfo=UTC)


# Pure functions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finish", "hours", "expected"),
    [
        # Within one day: the last hours before the finish.
        (at(1, 15), 2, [(at(1, 13), at(1, 15))]),
        # Across a night: the rest of the day before, from its end backwards.
        (at(2, 11), 4, [(at(1, 15), at(1, 17)), (at(2, 9), at(2, 11))]),
        # Across a weekend: Friday's afternoon, then Monday morning (4 Jan 2030 is a Friday).
        (at(7, 10), 3, [(at(4, 15), at(4, 17)), (at(7, 9), at(7, 10))]),
        # Finishing exactly at the end of a day fills that day from its end.
        (at(1, 17), 8, [(at(1, 9), at(1, 17))]),
        # Several whole days.
        (at(3, 17), 24, [(at(1, 9), at(1, 17)), (at(2, 9), at(2, 17)), (at(3, 9), at(3, 17))]),
        (at(1, 12), 0, []),
    ],
)
def test_a_task_is_worked_in_the_last_working_hours_before_its_finish(finish, hours, expected):
    assert [(b.start_at, b.end_at) for b in work_blocks(7, UTC_WEEK, finish, hours)] == expected


def test_blocks_follow_the_wall_clock_across_a_dst_change():
    # New York moved to summer time on Sunday 10 March 2030: 09:00 is 14:00 UTC on Friday, 13:00 on Monday.
    finish = datetime(2030, 3, 11, 15, 0, tzinfo=UTC)  # Monday 11:00 EDT
    blocks = work_blocks(1, NEW_YORK, finish, 6)
    assert [(b.start_at, b.end_at) for b in blocks] == [
        (datetime(2030, 3, 8, 18, 0, tzinfo=UTC), datetime(2030, 3, 8, 22, 0, tzinfo=UTC)),  # Fri 13-17 EST
        (datetime(2030, 3, 11, 13, 0, tzinfo=UTC), finish),  # Mon 09-11 EDT
    ]
    assert sum(b.hours for b in blocks) == 6


@pytest.mark.parametrize(
    ("now", "days", "end"),
    [
        (NOW, 1, at(1, 17)),  # Tuesday morning: today
        (NOW, 5, at(7, 17)),  # Tue, Wed, Thu, Fri, Mon
        (at(1, 18), 1, at(2, 17)),  # after work: the next working day
        (at(5, 12), 1, at(7, 17)),  # on Saturday: Monday
        (at(1, 6), 2, at(2, 17)),  # before work: today counts
    ],
)
def test_the_window_counts_working_days_whose_hours_have_not_ended(now, days, end):
    assert window(UTC_WEEK, now, days) == (now, end)


def test_blocks_are_clipped_to_the_window():
    blocks = [Block(1, at(1, 9), at(1, 12)), Block(2, at(1, 12), at(1, 17)), Block(3, at(2, 9), at(2, 10))]
    assert clip(blocks, at(1, 10), at(1, 17)) == [Block(1, at(1, 10), at(1, 12)), Block(2, at(1, 12), at(1, 17))]


@pytest.mark.parametrize("raw", ["0", "15", "-1", "1.5", "abc", "9" * 40, " 3"])
def test_days_outside_1_to_14_are_refused(raw):
    with pytest.raises(Invalid) as refused:
        parse_days(raw)
    assert "days" in refused.value.errors


def test_days_default_to_a_working_week():
    assert parse_days(None) == parse_days("") == 5
    assert parse_days("14") == 14


# The plan of a person -------------------------------------------------------------------------------


@pytest.fixture
def ana_week(app, monkeypatch):
    """Ana (UTC, Monday to Friday 09-17) with three estimated tasks, one unestimated, and Ben's task.
    Her queue by deadline: C (10 h, due Wed 10:00: will slip), A (4 h, due Wed 17:00), B (6 h, due Fri)."""
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)
    ana, ben = make_user("Ana", work_start=time(9), work_end=time(17)), make_user("Ben")
    owner = make_team(ana, "Core")
    add_to_team(owner, ben)
    tasks = {
        "a": make_task(owner, "Alpha", assignee_id=ana.id, estimate_hours=4, due_at=at(2, 17), priority="high"),
        "b": make_task(owner, "Beta", assignee_id=ana.id, estimate_hours=6, due_at=at(4, 17)),
        "c": make_task(owner, "Gamma <b>", assignee_id=ana.id, estimate_hours=10, due_at=at(2, 10)),
        "d": make_task(owner, "Delta", assignee_id=ana.id, due_at=at(3, 17)),
        "e": make_task(owner, "Ben's", assignee_id=ben.id, estimate_hours=2, due_at=at(2, 17)),
    }
    return {"ana": ana, "ben": ben, "team_id": owner.team_id, **tasks}


def spans(plan) -> list[tuple[int, datetime, datetime]]:
    return [(b.task_id, b.start_at, b.end_at) for b in plan.blocks]


def test_the_plan_is_the_forecast_order_in_working_hours(ana_week):
    w = ana_week
    a, b, c = w["a"].id, w["b"].id, w["c"].id
    assert spans(agenda.plan_for(w["ana"], 1)) == [(c, NOW, at(1, 17))]
    week = agenda.plan_for(w["ana"], 5)
    assert spans(week) == [
        (c, NOW, at(1, 17)), (c, at(2, 9), at(2, 11, 30)),
        (a, at(2, 11, 30), at(2, 15, 30)),
        (b, at(2, 15, 30), at(2, 17)), (b, at(3, 9), at(3, 13, 30)),
    ]
    assert (week.start, week.end) == (NOW, at(7, 17))
    assert week.hours(c) == 10 and week.hours(b) == 6
    assert [day for day, _ in week.by_day] == [at(1, 0).date(), at(2, 0).date(), at(3, 0).date()]
    assert week.now_block.task_id == c


def test_what_would_slip_and_what_is_left_out(ana_week):
    w = ana_week
    plan = agenda.plan_for(w["ana"], 5)
    assert [(task.id, row.slack_hours) for task, row in plan.slipping] == [(w["c"].id, -1.5)]
    assert plan.slipping_total == 1
    assert plan.unestimated == 1  # Delta
    assert w["e"].id not in plan.tasks  # Ben's task is his


def test_done_tasks_leave_the_plan_and_the_next_one_moves_up(ana_week, client):
    w = ana_week
    login(client, w["ana"])
    c = w["c"]
    response = client.post(f"/tasks/{c.id}/status", data={"status": "done", "version": c.version,
                                                         "next": "/my-work/plan?days=1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my-work/plan?days=1")
    assert spans(agenda.plan_for(w["ana"], 1)) == [(w["a"].id, NOW, at(1, 13, 30)), (w["b"].id, at(1, 13, 30),
                                                                                       at(1, 17))]
    assert agenda.plan_for(w["ana"], 1).slipping == []


def test_a_team_left_is_not_in_the_plan(ana_week, app):
    w = ana_week
    other = make_team(w["ben"], "Elsewhere")
    add_to_team(other, w["ana"])
    theirs = make_task(other, "Theirs", assignee_id=w["ana"].id, estimate_hours=1, due_at=at(1, 11))
    assert theirs.id in agenda.plan_for(w["ana"], 1).tasks
    db.session.query(TeamMembership).filter_by(team_id=other.team_id, user_id=w["ana"].id).delete()
    db.session.commit()
    assert theirs.id not in agenda.plan_for(w["ana"], 1).tasks


# The page ---------------------------------------------------------------------------------------------


def test_the_plan_tab_shows_now_next_and_what_slips_with_buttons_to_act(ana_week, client):
    w = ana_week
    login(client, w["ana"])
    page = client.get("/my-work/plan?days=5")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'aria-current="page">Plan: this week' in html
    assert "Now:" in html and "Gamma &lt;b&gt;" in html and "Gamma <b>" not in html
    assert html.index("Gamma") < html.index("Alpha") < html.index("Beta")
    assert "09:30</time>–<time" in html
    assert "Would slip if you don" in html and "1.5 working h late" in html
    assert "without an estimate" in html
    assert f'action="/tasks/{w["c"].id}/status"' in html and 'value="done"' in html
    # What moves the plan (deadline, priority, estimate) can be changed in place, with unique ids.
    assert f'id="plan-slip-due_date-{w["c"].id}"' in html and f'id="plan-now-estimate_hours-{w["c"].id}"' in html
    assert client.get("/my-work").get_data(as_text=True).count("Plan: today") == 1


@pytest.mark.parametrize("days", ["0", "99", "x"])
def test_a_bad_days_shows_today_with_the_message(ana_week, client, days):
    login(client, ana_week["ana"])
    page = client.get(f"/my-work/plan?days={days}")
    assert page.status_code == 422
    assert "A whole number of working days" in page.get_data(as_text=True)


def test_the_plan_page_and_api_make_as_many_queries_for_many_tasks_as_for_few(ana_week, client):
    w = ana_week
    login(client, w["ana"])
    api = Api(client, token_for(w["ana"]), DocumentedResponses(openapi_document()))
    api.get("/me/plan")  # the token's first use is recorded (a write), later ones within minutes are not
    few = statements_for(client.get, "/my-work/plan?days=5"), statements_for(api.get, "/me/plan")
    owner = [m for m in w["ana"].memberships][0]
    for n in range(12):
        make_task(owner, f"More {n}", assignee_id=w["ana"].id, estimate_hours=1, due_at=at(7 + n % 3, 17))
    many = statements_for(client.get, "/my-work/plan?days=5"), statements_for(api.get, "/me/plan")
    assert many == few


# The API ----------------------------------------------------------------------------------------------


def test_get_me_plan_answers_the_contract(ana_week, client, app):
    w = ana_week
    with app.test_request_context():
        api = Api(client, token_for(w["ana"]), DocumentedResponses(openapi_document()))
    body = api.get("/me/plan?days=2").get_json()
    assert [(b["task_id"], b["start_at"], b["end_at"]) for b in body["blocks"]] == [
        (w["c"].id, "2030-01-01T09:30:00Z", "2030-01-01T17:00:00Z"),
        (w["c"].id, "2030-01-02T09:00:00Z", "2030-01-02T11:30:00Z"),
        (w["a"].id, "2030-01-02T11:30:00Z", "2030-01-02T15:30:00Z"),
        (w["b"].id, "2030-01-02T15:30:00Z", "2030-01-02T17:00:00Z"),
    ]
    assert body["blocks"][0]["at_risk"] is True and body["blocks"][2]["at_risk"] is False
    assert body["slipping"][0]["task_id"] == w["c"].id and body["slipping_total"] == 1
    assert body["unestimated"] == 1 and body["timezone"] == "UTC"
    default = api.get("/me/plan").get_json()
    assert default["days"] == 5 and default["end_at"] == "2030-01-07T17:00:00Z"


def test_get_me_plan_refuses_bad_days_and_needs_a_token(ana_week, client, app):
    with app.test_request_context():
        api = Api(client, token_for(ana_week["ana"]), DocumentedResponses(openapi_document()))
    for days in ("0", "15", "abc"):
        response = api.get(f"/me/plan?days={days}")
        assert response.status_code == 422 and "days" in response.get_json()["errors"]
    assert api.as_(None).get("/me/plan").status_code == 401


def test_the_plan_is_in_the_openapi_document(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/me/plan"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"days"}


def test_a_person_in_another_zone_is_planned_on_their_own_wall_clock(app, monkeypatch):
    monkeypatch.setattr(stored_forecast, "clock", lambda: NOW)  # 09:30 UTC: 18:30 in Tokyo
    kenji = make_user("Kenji", timezone="Asia/Tokyo")
    member = make_team(kenji, "Tokyo")
    task = make_task(member, "Index", assignee_id=kenji.id, estimate_hours=3, due_at=NOW + timedelta(days=7))
    plan = agenda.plan_for(kenji, 1)
    # Tokyo's Tuesday is over: the plan is Wednesday 09:00-12:00 JST, 00:00-03:00 UTC.
    assert spans(plan) == [(task.id, at(2, 0), at(2, 3))]
    assert plan.end == at(2, 8)


# The calendar's week view and the feed ----------------------------------------------------------------


def test_the_week_view_shows_deadlines_today_a_legend_and_optionally_my_planned_work(ana_week, client):
    w = ana_week
    login(client, w["ana"])
    url = f"/teams/{w['team_id']}/calendar?view=week&week=2030-01-03"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Week of 31 Dec 2029" in html and "week=2029-12-24" in html and "week=2030-01-07" in html
    assert 'aria-current="page">Week' in html and "Legend" in html
    # The month of its Monday (December) holds the whole week: all five deadlines, in January.
    assert html.count('class="cal-task priority-') == 5
    assert "work on #" not in html and "Show my planned work" in html
    planned = client.get(url + "&blocks=1").get_data(as_text=True)
    assert planned.count('class="cal-block"') == 5 and "hide my planned work" in planned
    assert f"work on #{w['c'].id} Gamma &lt;b&gt;" in planned
    assert 'name="view" value="week"' in planned and 'name="blocks" value="1"' in planned  # the filter keeps them


def test_the_week_marks_today_and_a_bad_week_is_this_week(ana_week, client):
    login(client, ana_week["ana"])
    html = client.get(f"/teams/{ana_week['team_id']}/calendar?view=week&week=nonsense").get_data(as_text=True)
    assert html.count('aria-current="date"') == 1 and '<span class="today-tag">today</span></h3>' in html
    month = client.get(f"/teams/{ana_week['team_id']}/calendar").get_data(as_text=True)
    assert 'class=" today" aria-current="date"' in month or 'today" aria-current="date"' in month


def test_another_teams_week_is_not_found(ana_week, client, app):
    stranger = make_user("Stranger")
    other = make_team(stranger, "Hidden")
    login(client, ana_week["ana"])
    assert client.get(f"/teams/{other.team_id}/calendar?view=week&blocks=1").status_code == 404


def test_the_feed_carries_the_planned_blocks_on_request(ana_week, client):
    w = ana_week
    login(client, w["ana"])
    urls = feeds.feed_urls(w["ana"])
    path = urls.user_feed_url.split("://", 1)[-1].split("/", 1)[1]
    plain = Calendar.from_ical(client.get(f"/{path}").data)
    assert not [e for e in plain.walk("VEVENT") if str(e["uid"]).startswith("work-")]
    body = client.get(f"/{path}?blocks=1").data
    events = [e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["uid"]).startswith("work-")]
    assert [(e["dtstart"].dt, e["dtend"].dt) for e in events][:3] == [
        (NOW, at(1, 17)), (at(2, 9), at(2, 11, 30)), (at(2, 11, 30), at(2, 15, 30))]
    assert str(events[0]["summary"]) == f"Work on #{w['c'].id} Gamma <b>"
    assert len({str(e["uid"]) for e in events}) == len(events)
    vobject.readOne(body.decode())  # a second, independent parser accepts it


def test_a_team_feed_carries_only_that_teams_blocks(ana_week, app):
    w = ana_week
    other = make_team(w["ben"], "Side")
    add_to_team(other, w["ana"])
    make_task(other, "Side job", assignee_id=w["ana"].id, estimate_hours=1, due_at=at(1, 10))
    urls = feeds.feed_urls(w["ana"])
    secret = urls.team_feed_urls[w["team_id"]].rsplit("/", 1)[1].removesuffix(".ics")
    events = Calendar.from_ical(feeds.calendar_for(secret, NOW, blocks=True)).walk("VEVENT")
    titles = {str(e["summary"]) for e in events if str(e["uid"]).startswith("work-")}
    assert titles and not any("Side job" in t for t in titles)


def test_the_week_with_planned_work_makes_as_many_queries_for_many_tasks_as_for_few(ana_week, client):
    w = ana_week
    login(client, w["ana"])
    url = f"/teams/{w['team_id']}/calendar?view=week&week=2030-01-01&blocks=1"
    client.get(url)  # warm up
    few = statements_for(client.get, url)
    owner = [m for m in w["ana"].memberships][0]
    for n in range(12):
        make_task(owner, f"More {n}", assignee_id=w["ana"].id, estimate_hours=1, due_at=at(2 + n % 4, 16))
    assert statements_for(client.get, url) == few


def test_planned_blocks_in_the_feed_escape_a_hostile_title(ana_week):
    w = ana_week
    hostile = 'Fix, the; "parser"\\ now\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected'
    c = w["c"]
    c.title = hostile
    db.session.commit()
    secret = feeds.feed_urls(w["ana"]).user_feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    body = feeds.calendar_for(secret, NOW, blocks=True)
    events = Calendar.from_ical(body).walk("VEVENT")
    assert not any(str(e["summary"]) == "injected" for e in events)
    work = [e for e in events if str(e["uid"]).startswith(f"work-{c.id}-")]
    assert work and str(work[0]["summary"]).startswith('Work on #%d Fix, the; "parser"\\ now' % c.id)
    assert all("\r\n" not in str(e["summary"]) for e in work)
    vobject.readOne(body.decode())


def test_moving_a_slipping_deadline_from_the_plan_takes_it_off_the_slipping_list(ana_week, client):
    w = ana_week
    login(client, w["ana"])
    c = w["c"]
    response = client.post(f"/tasks/{c.id}/inline", data={"due_date": "2030-01-10", "version": c.version,
                                                          "next": "/my-work/plan?days=5"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my-work/plan?days=5")
    assert agenda.plan_for(w["ana"], 5).slipping == []
