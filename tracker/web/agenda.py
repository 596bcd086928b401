"""The Plan tab of "my work": the signed-in person's agenda (tracker/agenda.py) for today or the week;
and the calendar's week view, which can show that agenda's blocks beside the team's deadlines."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from .. import agenda, prioritisation
from ..errors import Invalid
from ..models import STATUSES

bp = Blueprint("agenda", __name__)
# The two plans the tab offers: the current working day, and a working week.
SPANS = {1: "Today", 5: "This week"}


@bp.get("/my-work/plan")
@login_required
def plan():
    """A bad `days` shows the day's plan with the message (422), like a bad filter on the board."""
    error = None
    try:
        days = agenda.parse_days(request.args.get("days", "1"))
    except Invalid as exc:
        error, days = exc.errors["days"][0], 1
    result = agenda.plan_for(current_user, days)
    return render_template("views/my_work.html", plan=result, spans=SPANS, plan_error=error,
                           statuses=STATUSES), 422 if error else 200


def week_view(member, task_filter, today: date) -> dict:
    """The calendar page's context for `?view=week&week=<a day of it>`: the team's deadlines on each of
    the week's days and, with `&blocks=1`, the viewer's own planned work in this team."""
    monday = agenda.week_start(request.args.get("week"), today)
    days = [monday + timedelta(days=n) for n in range(7)]
    # The month grid holds whole weeks, so the month of the week's Monday holds the whole week; only the
    # week's own days are read.
    zone = current_user.timezone
    grid = prioritisation.deadline_calendar(member, monday.year, monday.month, task_filter, zone, only=days)
    show_blocks = request.args.get("blocks") == "1"
    blocks, block_tasks = ({}, {})
    if show_blocks:
        blocks, block_tasks = agenda.blocks_by_day(current_user, days, member.team_id)
    return {"grid": grid, "week_days": days, "previous_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7), "show_blocks": show_blocks, "blocks": blocks,
            "block_tasks": block_tasks}
