"""The HTML surface's one error path. A form that does not parse, or whose action the domain refuses with
`Invalid`, is shown again with the messages beside its fields (422, the user's input kept) through
`submitted` and `on_invalid`; every other domain or HTTP error becomes a friendly error page
(`register_error_pages`)."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import NoReturn

from flask import Flask, abort, current_app, flash, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from ..errors import DomainError, Forbidden, Invalid, NotFound
from ..extensions import db, login_manager
from .query import wants_json


def messages(exc: Invalid, labels: Mapping[str, str] | None = None) -> list[str]:
    """Each message of an Invalid, after its field's label when `labels` names one."""
    labels = labels or {}
    return [f"{labels[name]}: {m}" if name in labels else m for name, ms in exc.errors.items() for m in ms]


def apply_errors(form, exc: Invalid, aliases: Mapping[str, str] | None = None,
                 labels: Mapping[str, str] | None = None) -> None:
    """Show an Invalid's messages beside the fields of `form` they name (domain names may be `aliases`
    of form fields); the others are flashed, after their label in `labels` if any."""
    aliases = aliases or {}
    for name, field_messages in exc.errors.items():
        field = getattr(form, aliases.get(name, name), None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(field_messages)
        else:
            for message in messages(Invalid({name: field_messages}), labels):
                flash(message, "error")


def refuse(page: Callable[[], object]) -> NoReturn:
    """Stop the request and answer with `page()`: status 422 if it is a page (a redirect stays one)."""
    response = make_response(page())
    if response.status_code == 200:
        response.status_code = 422
    abort(response)


@contextmanager
def on_invalid(page: Callable[[], object], form=None, aliases: Mapping[str, str] | None = None,
               labels: Mapping[str, str] | None = None) -> Iterator[None]:
    """Run a domain action; if it raises `Invalid`, put the messages on `form` (see apply_errors) and
    `refuse` with `page()`: the code after the `with` block, the success path, does not run. A script
    that asks for JSON (fetch) gets the messages as JSON instead, from `invalid` below."""
    try:
        yield
    except Invalid as exc:
        if wants_json():
            raise
        apply_errors(form, exc, aliases, labels)
        refuse(page)


@contextmanager
def submitted(form, page: Callable[[], object], aliases: Mapping[str, str] | None = None) -> Iterator[None]:
    """A form's POST: if the form does not validate, or the domain action in the block refuses it, show
    `page()` again with the form's errors (422); the code after the block runs only on success."""
    if not form.validate_on_submit():
        refuse(page)
    with on_invalid(page, form, aliases):
        yield


# Error pages ------------------------------------------------------------------------------------------


def error_page(status: int, title: str, detail: str, errors: list[str] | None = None):
    return render_template("error.html", status=status, title=title, detail=detail, errors=errors), status


def not_found(_exc):
    return error_page(404, "Not found", "There is nothing here, or it belongs to a team you are not in.")


def forbidden(exc: Forbidden):
    return error_page(403, "Not allowed", exc.detail)


def forbidden_http(_exc):
    return error_page(403, "Not allowed", "You are not allowed to do that.")


def csrf_error(_exc):
    return error_page(400, "Form expired",
                      "The form was missing its security token. Go back, reload the page and try again.")


def invalid(exc: Invalid):
    """An Invalid outside a form (a bad query argument), or any to a script: the messages (JSON if asked)."""
    if wants_json():
        return jsonify(error="; ".join(messages(exc))), 422
    named = {name: name for name in exc.errors}
    return error_page(422, "Invalid input", "Check the address or the form you sent:", messages(exc, named))


def domain_error(exc: DomainError):
    return error_page(exc.status, exc.title, exc.detail)


def too_many_requests(_exc):
    return error_page(429, "Too many attempts", "There were too many failed attempts from your address or for "
                      "this account. Wait a few minutes, then try again (Retry-After says how many seconds).")


def method_not_allowed(_exc):
    return error_page(405, "Method not allowed", f"{request.method} is not allowed here.")


def database_unavailable(_exc):
    """The database is down, restarting or locked for longer than the busy timeout: a 503 with
    Retry-After, not a 500. The pool pings connections before use, so a later request reconnects
    without a restart. The page is drawn as for a visitor: nothing on it may need the database."""
    db.session.rollback()
    g._login_user = login_manager.anonymous_user()  # Flask-Login keeps the request's user in g
    body, status = error_page(503, "Temporarily unavailable", "The database cannot be reached at the moment, "
                              "so nothing was saved. Try again in a few seconds.")
    return body, status, {"Retry-After": str(current_app.config["DATABASE_RETRY_AFTER"])}


def server_error(_exc):
    return error_page(500, "Something went wrong", "The error was logged. Nothing you entered was saved half-way.")


ERROR_PAGES: dict[type[Exception] | int, Callable] = {
    NotFound: not_found,
    404: not_found,
    Forbidden: forbidden,
    403: forbidden_http,
    CSRFError: csrf_error,
    Invalid: invalid,
    DomainError: domain_error,
    429: too_many_requests,
    405: method_not_allowed,
    OperationalError: database_unavailable,
    500: server_error,
}


def register_error_pages(app: Flask) -> None:
    for key, handler in ERROR_PAGES.items():
        app.register_error_handler(key, handler)
