"""What templates call beyond their context: times in the viewer's zone (through tracker/formatting.py,
as emails and feeds show them), Markdown, the navigation's teams and the saved filters."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from .. import zones
from ..formatting import WHEN, deadline_text, lateness, local_time, time_with_note
from ..models import utcnow
from ..saved_filters import saved_filters
from ..teams import teams_of
from ..text import render_markdown


def viewer_zone() -> ZoneInfo:
    return zones.named(current_user.timezone if current_user.is_authenticated else "UTC")


def localtime(value: datetime | None, fmt: str = WHEN, tz: str | None = None) -> str:
    """An instant as the viewer's wall-clock time (or that of zone `tz`); "" for None."""
    return local_time(value, tz or viewer_zone(), fmt)


def deadline(value: datetime | None, with_time: bool = True, late: bool = True) -> str:
    """A deadline in the viewer's zone, its year when not this year's, and how overdue it is."""
    return deadline_text(value, utcnow(), viewer_zone(), time=with_time, late=late)


def overdue_by(value: datetime) -> str:
    """ "3 days overdue" """
    return lateness(value, utcnow())


def noted(value: datetime | None, person=None) -> str:
    """An instant in the viewer's zone, labelled, with `person`'s (a User's) wall clock as a note."""
    return time_with_note(value, viewer_zone(), person.name if person else None,
                          person.timezone if person else None)


def start_zone(task) -> str:
    """A start date is a day where the assignee works (else where the viewer is): it is shown there."""
    return task.assignee.timezone if task.assignee else viewer_zone().key


def navigation() -> dict:
    """The viewer's teams, for the header on every page."""
    return {"nav_memberships": teams_of(current_user) if current_user.is_authenticated else []}


def register_templating(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(deadline, "deadline")
    app.add_template_filter(noted, "noted")
    app.add_template_filter(overdue_by, "overdue_by")
    app.add_template_global(viewer_zone, "viewer_zone")  # macros imported without context can call it
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_global(utcnow, "utcnow")
    app.add_template_global(start_zone, "start_zone")
    app.add_template_global(saved_filters, "saved_filters")
    app.context_processor(navigation)
