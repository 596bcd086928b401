"""The HTML surface: its blueprints, the id converter of its routes, template helpers, error pages and
the checks and headers every request and response gets."""
from __future__ import annotations

from flask import Flask, abort, request

from ..urls import IdConverter
from . import (
    activity, agenda, auth, calendar, checklists, comments, features, invitations, main, notifications,
    rebalance, reminders, sso, tasks, teams, timelog, views, webhooks,
)
from . import inline
from . import transfer
from . import two_factor
from .errors import register_error_pages
from .templating import register_templating

BLUEPRINTS = (
    main, auth, teams, tasks, views, timelog, comments, activity, notifications, calendar, webhooks, features,
    checklists, invitations, reminders, agenda, sso,
    inline, rebalance,
    transfer,
    two_factor,
)
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def register_web(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    register_templating(app)
    app.before_request(refuse_nul_characters)
    app.after_request(security_headers)
    register_error_pages(app)


def refuse_nul_characters() -> None:
    """PostgreSQL cannot store U+0000 in text and nobody types it: refuse it up front (400) in the
    path, query, form or JSON body of any request, instead of failing in the database (500)."""
    fields = [request.path, *(k + v for k, v in request.args.items(multi=True))]
    if request.method in ("POST", "PUT", "PATCH"):
        fields += [k + v for k, v in request.form.items(multi=True)]
        if request.is_json and b"\\u0000" in request.get_data(cache=True):
            fields.append("\x00")
    if any("\x00" in field for field in fields):
        abort(400, description="Text may not contain NUL (U+0000) characters.")


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
