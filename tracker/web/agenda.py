"""The Plan tab of "my work": the signed-in person's agenda (tracker/agenda.py) for today or the week."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from .. import agenda
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
