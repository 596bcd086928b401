"""Calendar feeds (RFC 5545): a secret URL per user with the deadlines assigned to them, and one per
membership with all the team's deadlines. Deadlines are UTC instants, so every calendar application
shows them in its own zone. Rotating the secrets makes the old URLs answer 404."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from . import agenda, stored_forecast
from .errors import NotFound
from .extensions import db
from .formatting import one_line
from .mail import absolute_url
from .models import CalendarFeed, Task, Team, TeamMembership, User, utcnow
from .two_factor import visible_team_ids

PRODID = "-//Tracker//Deadlines//EN"


@dataclass
class FeedUrls:
    user_feed_url: str
    team_feed_urls: dict[int, str]  # team id -> URL
    team_names: dict[int, str]


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def feed_url(secret: str) -> str:
    return absolute_url(f"/calendar/{secret}.ics")


def feed_urls(user: User) -> FeedUrls:
    """The user's feed URLs, creating the secrets the first time (and for teams joined since)."""
    feeds = list(db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user.id)))
    memberships = list(
        db.session.scalars(
            select(TeamMembership)
            .options(joinedload(TeamMembership.team))
            .where(TeamMembership.user_id == user.id,
                   TeamMembership.team_id.in_(visible_team_ids(user)))
            .join(Team)
            .order_by(Team.name)
        )
    )
    by_team = {f.team_id: f for f in feeds}
    created = False
    for team_id in [None] + [m.team_id for m in memberships]:
        if team_id not in by_team:
            by_team[team_id] = CalendarFeed(user_id=user.id, team_id=team_id, secret=_new_secret())
            db.session.add(by_team[team_id])
            created = True
    if created:
        db.session.commit()
    return FeedUrls(
        user_feed_url=feed_url(by_team[None].secret),
        team_feed_urls={m.team_id: feed_url(by_team[m.team_id].secret) for m in memberships},
        team_names={m.team_id: m.team.name for m in memberships},
    )


def rotate(user: User) -> FeedUrls:
    """New secrets for all the user's feeds; the old URLs stop working at once."""
    for feed in db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user.id)):
        feed.secret = _new_secret()
    db.session.commit()
    return feed_urls(user)


def calendar_for(secret: str, now: datetime | None = None, blocks: bool = False) -> bytes:
    """The iCalendar document a secret stands for; NotFound for an unknown (or rotated) secret, and for
    a team feed whose owner has left the team. With `blocks` (the URL's ?blocks=1), also the feed
    owner's planned work blocks (tracker/agenda.py) over the next working days, in that team for a
    team feed."""
    feed = (
        db.session.scalar(
            select(CalendarFeed).options(joinedload(CalendarFeed.user)).where(CalendarFeed.secret == secret)
        )
        if secret
        else None
    )
    if feed is None:
        raise NotFound("No such calendar.")
    query = (
        select(Task)
        .options(joinedload(Task.assignee), joinedload(Task.category), joinedload(Task.team))
        .where(Task.deleted_at.is_(None), Task.status != "done", Task.due_at.is_not(None))
        .order_by(Task.due_at, Task.id)
    )
    if feed.team_id is None:
        # Only teams the user is still in, and may see (two-factor requirements).
        query = query.where(Task.assignee_id == feed.user_id,
                            Task.team_id.in_(visible_team_ids(feed.user_id)))
        name = f"Tracker: deadlines of {feed.user.name}"
    else:
        member = db.session.scalar(
            select(TeamMembership)
            .options(joinedload(TeamMembership.team))
            .where(TeamMembership.team_id == feed.team_id, TeamMembership.user_id == feed.user_id,
                   TeamMembership.team_id.in_(visible_team_ids(feed.user_id)))
        )
        if member is None:
            raise NotFound("No such calendar.")
        query = query.where(Task.team_id == feed.team_id)
        name = f"Tracker: {member.team.name} deadlines"
    document = build_calendar(name, db.session.scalars(query).unique().all(), now or utcnow())
    if blocks:
        add_work_blocks(document, feed.user, feed.team_id, now or stored_forecast.clock())
    return document.to_ical()


def build_calendar(name: str, tasks: list[Task], now: datetime) -> Calendar:
    """One VEVENT per task at its deadline (a zero-length event at a UTC instant)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    host = _host()
    for task in tasks:
        url = absolute_url(f"/tasks/{task.id}")
        event = Event()
        event.add("uid", f"task-{task.id}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", task.due_at)
        event.add("summary", f"#{task.id} {one_line(task.title, 300)}")  # a summary is one line
        event.add(
            "description",
            "\n".join(
                [
                    f"Team: {task.team.name}",
                    f"Status: {task.status.replace('_', ' ')} · priority {task.priority}",
                    f"Assignee: {task.assignee.name if task.assignee else 'unassigned'}",
                    url,
                ]
            ),
        )
        event.add("url", url)
        event.add("categories", [task.category.name])
        event.add("last-modified", task.updated_at)
        event.add("sequence", task.version)
        calendar.add_component(event)
    return calendar


def _host() -> str:
    return absolute_url("").split("://", 1)[-1].split("/")[0] or "tracker"


def add_work_blocks(calendar: Calendar, user: User, team_id: int | None, now: datetime) -> None:
    """One VEVENT per planned work block of `user` (of one team, if given) from now to the end of the
    last working day agenda.MAX_DAYS ahead, busy time in the feed owner's calendar."""
    start, end = agenda.window(stored_forecast.schedule_of(user), now, agenda.MAX_DAYS)
    blocks, _rows, _later = agenda.planned(user, start, end, team_id)
    tasks = agenda.load_tasks({b.task_id for b in blocks})
    for block in blocks:
        task, url = tasks[block.task_id], absolute_url(f"/tasks/{block.task_id}")
        event = Event()
        event.add("uid", f"work-{task.id}-{block.start_at:%Y%m%dT%H%M%SZ}@{_host()}")
        event.add("dtstamp", now)
        event.add("dtstart", block.start_at)
        event.add("dtend", block.end_at)
        event.add("summary", f"Work on #{task.id} {one_line(task.title, 300)}")
        event.add("description", f"Planned from the forecast: {block.hours} h of #{task.id} "
                                 f"({task.team.name}).\n{url}")
        event.add("url", url)
        event.add("categories", ["Planned work"])
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
