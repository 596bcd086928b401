"""The JSON API under /api/v1: bearer tokens, problem details (RFC 9457), and an OpenAPI 3.1
document generated from the same pydantic models that validate the requests.

Endpoint modules: me, teams, tasks, time_entries, views (the prioritisation views) and
collaboration (comments, activity, notifications, webhooks, calendar).
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ..errors import Conflict, DomainError, Invalid
from ..extensions import csrf, db, limiter
from ..models import Feature
from ..two_factor import TwoFactorRequired
from ..urls import IdConverter
from . import (  # noqa: F401  (each module adds its operations to the blueprint)
    bulk,
    checklists,
    collaboration,
    docs,
    features,
    me,
    plan,
    rebalance,
    spec,
    teams,
    time_entries,
    transfer,
    views,
)
from .core import ProblemResponse, bp, problem, problem_type
from .features import feature_json
from .tasks import task_json


def _retry_after() -> str:
    current = limiter.current_limit
    seconds = int(current.reset_at - time.time()) if current else 60
    return str(max(seconds, 1))


def _http_problem(exc: HTTPException) -> Response:
    headers = {}
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if exc.code == 429:
        headers["Retry-After"] = _retry_after()
        return problem(
            429, "Too many requests", f"Rate limit exceeded ({exc.description}); retry later.", headers
        )
    detail = {
        404: "There is nothing here, or it belongs to a team you are not in.",
        405: f"{request.method} is not allowed here.",
    }.get(exc.code or 500, exc.description or "")
    return problem(exc.code or 500, exc.name, detail, headers)


def _real_routing_error(exc: HTTPException) -> HTTPException:
    """Werkzeug checks the method before the converters, so POST /tasks/0 says 405 though no
    /tasks/0 exists for any method; that is a 404."""
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        adapter = current_app.create_url_adapter(request)
        for method in exc.valid_methods:
            try:
                adapter.match(method=method)
            except HTTPException:
                continue
            return exc  # the path exists for another method: a genuine 405
        return NotFound()
    return exc


@bp.after_request
def _not_cached(response: Response) -> Response:
    """Answers are personal (and some carry secrets): no shared or browser cache keeps them."""
    if request.endpoint != "api.get_openapi":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(ProblemResponse)
def _problem_response(exc: ProblemResponse):
    titles = {
        400: "Bad request",
        412: "Precondition failed",
        413: "Payload too large",
        415: "Unsupported media type",
    }
    return problem(exc.status, titles.get(exc.status, "Error"), exc.detail, exc.headers, **exc.extra)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    extra = {}
    if isinstance(exc, Invalid):
        extra["errors"] = exc.errors
    if isinstance(exc, Conflict):
        current = exc.current
        extra["current"] = feature_json(current) if isinstance(current, Feature) else task_json(current)
    if isinstance(exc, TwoFactorRequired):  # a 403 with its own type: the caller can do something about it
        extra["type"] = problem_type(exc.status, "two-factor-required")
    return problem(exc.status, exc.title, exc.detail, **extra)


@bp.errorhandler(RateLimitExceeded)
@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _http_problem(exc)


@bp.errorhandler(OperationalError)
def _database_unavailable(exc: OperationalError):
    """The database cannot be reached for a moment: 503 with Retry-After (see the HTML handler)."""
    db.session.rollback()
    return problem(
        503, "Service unavailable", "The database cannot be reached at the moment; nothing was saved. "
        "Retry after the seconds that Retry-After gives.",
        {"Retry-After": str(current_app.config["DATABASE_RETRY_AFTER"])},
    )


@bp.errorhandler(500)
def _server_error(exc):
    return problem(500, "Internal server error", "The error was logged; nothing was saved half-way.")


def register_api(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    csrf.exempt(bp)  # no cookies: a bearer token cannot be sent by a cross-site form
    app.register_blueprint(bp)
    app.register_blueprint(docs.bp)

    def api_routing_errors():
        """An unknown path or method under /api/ gets problem details, not the HTML error page."""
        exc = request.routing_exception
        if (
            isinstance(exc, HTTPException)
            and (exc.code or 0) >= 400
            and (request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/"))
        ):
            return _http_problem(_real_routing_error(exc))
        return None

    # First of the app's checks: a request that no API route matched belongs to no blueprint, so a later
    # check's abort (the NUL refusal's 400) would get the HTML error page instead of problem details.
    app.before_request_funcs.setdefault(None, []).insert(0, api_routing_errors)
