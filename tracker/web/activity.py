"""The team's activity feed, filterable by person, task category and kind of activity."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from .. import activity, teams
from .query import list_filter, page_number
from .templating import localtime

bp = Blueprint("activity", __name__)


@bp.get("/teams/<int:team_id>/activity")
@login_required
def feed(team_id: int):
    member = teams.membership_for(current_user, team_id)
    page = page_number()
    feed_filter, error = list_filter(activity.parse_feed_filter, activity.FeedFilter(), user_ids=("person",))
    result = activity.team_feed(member, feed_filter, page)
    describe = activity.Describer.for_entries(result.items, team_id)
    return render_template(
        "activity/feed.html",
        member=member,
        team=member.team,
        page=result,
        feed_filter=feed_filter,
        entries=[(entry, describe.sentence(entry, localtime)) for entry in result.items],
        members=teams.members_of(member.team),
        categories=teams.all_categories(team_id),
        kinds=activity.CATEGORIES,
        filter_error=error,
    ), 422 if error else 200
