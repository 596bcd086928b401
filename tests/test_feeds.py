"""Calendar feeds: parsed with icalendar and, independently, with vobject; every event checked; UTC
instants; rotation makes the old URL 404; escaping of hostile titles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import vobject
from icalendar import Calendar
from sqlalchemy import delete

from tests.factories import add_to_team, login, make_task, make_team, make_user, membership
from tracker import feeds, tasks
from tracker.extensions import db
from tracker.models import TeamMembership

D1 = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
D2 = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
D3 = datetime(2026, 12, 5, 23, 59, 59, tzinfo=UTC)
HOSTILE = 'Fix, the; "parser"\\ now\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected'


@pytest.fixture
def setup(team_of_three):
    t = team_of_three
    owner_m = membership(t["team_id"], t["owner"])
    member = t["member"]
    mine = make_task(owner_m, "Ship the migration", assignee_id=member.id, due_at=D1, category="database")
    theirs = make_task(owner_m, "Review the API", assignee_id=t["manager"].id, due_at=D2)
    hostile = make_task(owner_m, HOSTILE, assignee_id=member.id, due_at=D3, description="x")
    make_task(owner_m, "No deadline", assignee_id=member.id)
    done = make_task(owner_m, "Done already", assignee_id=member.id, due_at=D2)
    tasks.update_task(owner_m, done, {"status": "done"})
    trashed = make_task(owner_m, "Trashed", assignee_id=member.id, due_at=D2)
    tasks.move_to_trash(owner_m, trashed)
    # The member's task in another team of theirs is in their own feed too.
    other_owner = make_user("Oz")
    other_m = make_team(other_owner, "Infra")
    add_to_team(other_m, member)
    elsewhere = make_task(other_m, "Renew certificates", assignee_id=member.id, due_at=D2)
    return {
        **t,
        "owner_m": owner_m,
        "mine": mine,
        "theirs": theirs,
        "hostile": hostile,
        "elsewhere": elsewhere,
        "infra_id": other_m.team_id,
    }


def path_of(url: str) -> str:
    return url[url.index("/calendar/") :]


def events_by_icalendar(body: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(body)
    assert str(calendar["VERSION"]) == "2.0" and "Tracker" in str(calendar["PRODID"])
    events = {}
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART")
        assert start.tzinfo is not None and start.utcoffset().total_seconds() == 0
        events[str(event["UID"])] = {
            "start": start,
            "summary": str(event["SUMMARY"]),
            "url": str(event["URL"]),
            "description": str(event["DESCRIPTION"]),
        }
    return events


def events_by_vobject(body: bytes) -> dict[str, dict]:
    calendar = vobject.readOne(body.decode("utf-8"))
    return {
        e.uid.value: {"start": e.dtstart.value, "summary": e.summary.value, "url": e.url.value}
        for e in calendar.vevent_list
    }


def check_feed(body: bytes, expected: dict) -> None:
    """Both parsers see exactly the expected tasks, at their UTC deadline, with title and link."""
    for parsed in (events_by_icalendar(body), events_by_vobject(body)):
        assert len(parsed) == len(expected)
        for task in expected.values():
            event = parsed[f"task-{task.id}@tracker.example.test"]
            assert event["start"] == task.due_at
            assert event["summary"] == f"#{task.id} {' '.join(task.title.split())}"
            assert event["url"] == f"https://tracker.example.test/tasks/{task.id}"
    # RFC 5545: CRLF line ends, lines folded at 75 octets, DTSTART as UTC ("Z").
    assert body.count(b"\r\n") == body.count(b"\n")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    assert b"DTSTART:20261201T160000Z" in body


@pytest.fixture
def base_url(app):
    app.config["BASE_URL"] = "https://tracker.example.test"


def test_user_feed_has_the_users_open_deadlines_in_every_team(client, setup, base_url):
    urls = feeds.feed_urls(setup["member"])
    response = client.get(path_of(urls.user_feed_url))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    check_feed(response.data, {t: setup[t] for t in ("mine", "hostile", "elsewhere")})


def test_team_feed_has_all_the_teams_open_deadlines(client, setup, base_url):
    urls = feeds.feed_urls(setup["member"])
    assert set(urls.team_feed_urls) == {setup["team_id"], setup["infra_id"]}
    response = client.get(path_of(urls.team_feed_urls[setup["team_id"]]))
    check_feed(response.data, {t: setup[t] for t in ("mine", "theirs", "hostile")})


def test_hostile_titles_are_escaped_not_injected(client, setup, base_url):
    body = client.get(path_of(feeds.feed_urls(setup["member"]).user_feed_url)).data
    assert b"\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected" not in body
    assert b"SUMMARY:injected" not in body
    assert b"\\;" in body and b"\\," in body and b"\\n" in body
    parsed = events_by_icalendar(body)[f"task-{setup['hostile'].id}@tracker.example.test"]
    assert (
        parsed["summary"]
        == f'#{setup["hostile"].id} Fix, the; "parser"\\ now END:VEVENT BEGIN:VEVENT SUMMARY:injected'
    )


def test_settings_page_lists_feeds_and_rotation_makes_old_urls_404(client, setup, base_url):
    login(client, setup["member"])
    old = feeds.feed_urls(setup["member"])
    page = client.get("/settings/calendar").get_data(as_text=True)
    assert old.user_feed_url in page and old.team_feed_urls[setup["team_id"]] in page
    assert client.post("/settings/calendar/rotate").status_code == 302
    new = feeds.feed_urls(setup["member"])
    assert new.user_feed_url != old.user_feed_url
    client.post("/logout")  # feeds need no login
    for url in (old.user_feed_url, *old.team_feed_urls.values()):
        assert client.get(path_of(url)).status_code == 404
    for url in (new.user_feed_url, *new.team_feed_urls.values()):
        assert client.get(path_of(url)).status_code == 200


def test_leaving_a_team_closes_its_feed_and_drops_its_tasks(client, setup, base_url):
    urls = feeds.feed_urls(setup["member"])
    db.session.execute(
        delete(TeamMembership).where(
            TeamMembership.team_id == setup["infra_id"], TeamMembership.user_id == setup["member"].id
        )
    )
    db.session.commit()
    assert client.get(path_of(urls.team_feed_urls[setup["infra_id"]])).status_code == 404
    check_feed(client.get(path_of(urls.user_feed_url)).data, {t: setup[t] for t in ("mine", "hostile")})


def test_unknown_secret_is_404(client, setup):
    assert client.get("/calendar/not-a-secret.ics").status_code == 404
    assert client.get("/calendar/.ics").status_code == 404


def test_a_deadline_change_moves_the_event(client, setup, base_url):
    url = path_of(feeds.feed_urls(setup["member"]).user_feed_url)
    new_due = datetime(2026, 12, 2, 8, 15, tzinfo=UTC)
    tasks.update_task(setup["owner_m"], setup["mine"], {"due_at": new_due})
    event = events_by_icalendar(client.get(url).data)[f"task-{setup['mine'].id}@tracker.example.test"]
    assert event["start"] == new_due
