"""What templates call beyond their context: times in the viewer's zone (through tracker/formatting.py,
as emails and feeds show them), Markdown, the navigation's teams and the saved filters."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from ..formatting import WHEN, local_time
from ..models import utcnow
from ..saved_filters import saved_filters
from ..teams import teams_of
from ..text import render_markdown


def viewer_zone() -> ZoneInfo:
    return ZoneInfo(current_user.timezone if current_user.is_authenticated else "UTC")


def localtime(value: datetime | None, fmt: str = WHEN, tz: str | None = None) -> str:
    """An instant as the viewer's wall-clock time (or that of zone `tz`); "" for None."""
    return local_time(value, tz or viewer_zone(), fmt)


def start_zone(task) -> str:
    """A start date is a day where the assignee works (else where the viewer is): it is shown there."""
    return task.assignee.timezone if task.assignee else viewer_zone().key


def navigation() -> dict:
    """The viewer's teams, for the header on every page."""
    return {"nav_memberships": teams_of(current_user) if current_user.is_authenticated else []}


def register_templating(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_global(utcnow, "utcnow")
    app.add_template_global(start_zone, "start_zone")
    app.add_template_global(saved_filters, "saved_filters")
    app.context_processor(navigation)
