"""Calendar feeds: the secret .ics URLs (no login: the secret is the key) and their settings page."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import feeds

bp = Blueprint("calendar", __name__)


@bp.get("/calendar/<secret>.ics")
def feed(secret: str):
    body = feeds.calendar_for(secret, blocks=request.args.get("blocks") == "1")
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="tracker.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/settings/calendar")
@login_required
def settings():
    return render_template("calendar/settings.html", urls=feeds.feed_urls(current_user))


@bp.post("/settings/calendar/rotate")
@login_required
def rotate():
    feeds.rotate(current_user)
    flash(
        "New calendar addresses are ready; the old ones no longer work. Subscribe again with these.",
        "success",
    )
    return redirect(url_for("calendar.settings"))
