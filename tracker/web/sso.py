"""Single sign-on pages: the login page's "Sign in with …" button starts the flow at the provider, whose
answer comes back to the callback (tracker/oidc.py checks it and finds the account)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import accounts, oidc, sessions
from ..mail import absolute_url
from . import auth
from .query import safe_next

bp = Blueprint("sso", __name__)
bp.record_once(lambda state: oidc.init_app(state.app))
# Kept in the browser's session between the button and the callback.
NEXT, TIMEZONE = "sso_next", "sso_timezone"


@bp.app_context_processor
def sso_button() -> dict:
    return {"sso_label": oidc.button_label() if oidc.enabled() else None}


@bp.errorhandler(oidc.SignInFailed)
def sign_in_failed(exc: oidc.SignInFailed):
    return render_template("auth/sso_error.html", title=exc.title, detail=exc.detail), exc.status


def _require_sso() -> None:
    if not oidc.enabled():
        abort(404)


@bp.get("/login/sso")
def start():
    """Go to the provider's sign-in page. The browser's time zone (added to the link by a script) is kept
    for an account created on the way back, as registration preselects it."""
    _require_sso()
    timezone = request.args.get("timezone", "")
    session[TIMEZONE] = timezone if timezone in accounts.known_timezones() else ""
    session[NEXT] = safe_next(request.args.get("next"))
    return oidc.authorize_redirect(absolute_url(url_for("sso.callback")))


@bp.get("/login/sso/callback")
def callback():
    _require_sso()
    claims = oidc.claims_from_callback()
    user, created = oidc.account_for(claims, session.pop(TIMEZONE, ""))
    if current_user.is_authenticated:  # someone else was signed in in this browser: end that session
        sessions.end_session(current_user.session_token)
    auth.sign_in(user)  # the same server-side session as a password login
    if created:
        flash(f"Welcome, {user.name}! Your account was created from your sign-in; check your time zone "
              "in the settings.", "success")
    return redirect(safe_next(session.pop(NEXT, None)))
