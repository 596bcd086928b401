"""The HTML surface: blueprints, error pages, template filters and security headers."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, abort, flash, g, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.routing import IntegerConverter

from ..errors import DomainError, Forbidden, Invalid, NotFound
from ..extensions import db, login_manager
from ..models import utcnow
from ..saved_filters import saved_filters
from ..teams import teams_of
from ..text import render_markdown

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def viewer_zone() -> ZoneInfo:
    tz = current_user.timezone if current_user.is_authenticated else "UTC"
    return ZoneInfo(tz)


def localtime(value: datetime | None, fmt: str = "%a %d %b %Y %H:%M", tz: str | None = None) -> str:
    """An instant as the viewer's wall-clock time (or that of zone `tz`)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz) if tz else viewer_zone()).strftime(fmt)


def start_zone(task) -> str:
    """A start date is a day where the assignee works (else where the viewer is): it is shown there."""
    return task.assignee.timezone if task.assignee else (current_user.timezone if current_user.is_authenticated else "UTC")


def safe_next(target: str | None, fallback: str = "main.index") -> str:
    """Redirect only to a path on this site (no open redirect); else to the fallback endpoint."""
    if target and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(fallback)


def apply_errors(form, exc: Invalid, aliases: dict[str, str] | None = None) -> None:
    """Show a domain Invalid's messages beside the form fields they name (or as a flash)."""
    aliases = aliases or {}
    for name, messages in exc.errors.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            for message in messages:
                flash(message, "error")


def request_filter(args=None):
    """The task filter of the query string (or a form), and the Invalid it raised if any."""
    from ..tasks import TaskFilter, parse_task_filter

    try:
        return parse_task_filter(request.args if args is None else args), None
    except Invalid as exc:
        return TaskFilter(), exc


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ids are 32-bit INTEGER columns, so a larger number is a 404 here
    instead of an overflow error from the database driver (a 500)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_web(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules
    from . import auth, main, tasks, teams, timelog, views

    for module in (main, auth, teams, tasks, views, timelog):
        app.register_blueprint(module.bp)

    from . import activity, calendar, comments, notifications, webhooks

    for module in (comments, activity, notifications, calendar, webhooks):
        app.register_blueprint(module.bp)
    app.add_template_global(comments.collaboration_for, "collaboration_for")

    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_global(utcnow, "utcnow")
    app.add_template_global(start_zone, "start_zone")
    app.add_template_global(saved_filters, "saved_filters")

    @app.context_processor
    def navigation():
        memberships = teams_of(current_user) if current_user.is_authenticated else []
        return {"nav_memberships": memberships}

    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL cannot store U+0000 in text and nobody types it: refuse it up front (400) in the
        path, query, form or JSON body of any request, instead of failing in the database (500)."""
        fields = [request.path, *(k + v for k, v in request.args.items(multi=True))]
        if request.method in ("POST", "PUT", "PATCH"):
            fields += [k + v for k, v in request.form.items(multi=True)]
            if request.is_json and b"\\u0000" in request.get_data(cache=True):
                fields.append("\x00")
        if any("\x00" in field for field in fields):
            abort(400, description="Text may not contain NUL (U+0000) characters.")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    def page(status: int, title: str, detail: str):
        return render_template("error.html", status=status, title=title, detail=detail), status

    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(exc):
        return page(404, "Not found", "There is nothing here, or it belongs to a team you are not in.")

    @app.errorhandler(Forbidden)
    def forbidden(exc):
        return page(403, "Not allowed", exc.detail)

    @app.errorhandler(403)
    def forbidden_http(exc):
        return page(403, "Not allowed", "You are not allowed to do that.")

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return page(400, "Form expired", "The form was missing its security token. Go back, reload the page and try again.")

    @app.errorhandler(DomainError)
    def domain_error(exc):
        return page(exc.status, exc.title, exc.detail)

    @app.errorhandler(429)
    def too_many_requests(exc):
        return page(429, "Too many attempts", "There were too many failed attempts from your address or for "
                    "this account. Wait a few minutes, then try again (Retry-After says how many seconds).")

    @app.errorhandler(405)
    def method_not_allowed(exc):
        return page(405, "Method not allowed", f"{request.method} is not allowed here.")

    @app.errorhandler(OperationalError)
    def database_unavailable(exc):
        """The database is down, restarting or locked for longer than the busy timeout: a 503 with
        Retry-After, not a 500. The pool pings connections before use, so a later request reconnects
        without a restart. The page is drawn as for a visitor: nothing on it may need the database."""
        db.session.rollback()
        g._login_user = login_manager.anonymous_user()  # Flask-Login keeps the request's user in g
        body, status = page(503, "Temporarily unavailable", "The database cannot be reached at the moment, "
                            "so nothing was saved. Try again in a few seconds.")
        return body, status, {"Retry-After": str(app.config["DATABASE_RETRY_AFTER"])}

    @app.errorhandler(500)
    def server_error(exc):
        return page(500, "Something went wrong", "The error was logged. Nothing you entered was saved half-way.")
