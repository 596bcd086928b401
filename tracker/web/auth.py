"""Registration, login, logout and the user's own settings."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from .. import accounts, sessions, tokens, two_factor
from ..extensions import limiter
from .errors import submitted
from .forms import LoginForm, PasswordForm, ProfileForm, RegisterForm, TokenForm, choices
from .query import safe_next


def TIMEZONE_CHOICES():
    return choices((tz, tz) for tz in accounts.known_timezones())

bp = Blueprint("auth", __name__)
# Where the browser keeps, between the password and the code, who is half-way through logging in.
PENDING_LOGIN = "two_factor_login"


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    form.timezone.choices = choices([("", "Choose your time zone")]) + TIMEZONE_CHOICES()
    if request.method == "GET":
        return render_template("auth/register.html", form=form)
    with submitted(form, lambda: render_template("auth/register.html", form=form)):
        user = accounts.register_user(form.email.data, form.name.data, form.password.data, form.timezone.data)
    sign_in(user)
    flash(f"Welcome, {user.name}! Create a team or ask a colleague to invite you to theirs.", "success")
    return redirect(safe_next(request.args.get("next"), "teams.index"))  # e.g. back to an invitation


def _login_failed(response) -> bool:
    return response.status_code != 302


def sign_in(user, remember: bool = False) -> None:
    """Start a server-side session for this browser; its token goes into the session cookie (and the
    remember-me cookie) through User.get_id."""
    session.pop(PENDING_LOGIN, None)
    sessions.start_session(user, user_agent=request.user_agent.string, ip=request.remote_addr or "")
    login_user(user, remember=remember)


# Failed logins are limited per address here (guessing many accounts), and per account in the
# database by accounts.authenticate (guessing one password from many addresses, on any worker or host).
# The two-factor step (web/two_factor.py) shares both: a wrong code is a failed login.
login_attempts = limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_IP"], scope="login", methods=["POST"],
    key_func=lambda: "login-ip:" + get_remote_address(), deduct_when=_login_failed,
)


@bp.route("/login", methods=["GET", "POST"])
@login_attempts
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.LoginLocked as exc:
            form.password.errors = [exc.detail]
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(exc.retry_after)}
        if user is not None and two_factor.is_enabled(user):  # not signed in until the code is right
            session[PENDING_LOGIN] = two_factor.pending_login(user, remember=form.remember.data)
            return redirect(url_for("two_factor.login", next=request.args.get("next")))
        if user is not None:
            sign_in(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors = ["Wrong email or password."]
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    sessions.end_session(current_user.session_token)
    logout_user()
    flash("You are logged out.", "success")
    return redirect(url_for("auth.login"))


def _settings_page(profile: ProfileForm | None = None, password: PasswordForm | None = None,
                   token_form: TokenForm | None = None, new_token: str | None = None) -> str:
    """The settings page; each form not given is shown as the account now is (or empty)."""
    if profile is None:
        profile = ProfileForm(obj=current_user, prefix="profile", formdata=None)
        profile.work_days.data = current_user.work_day_numbers
    profile.timezone.choices = TIMEZONE_CHOICES()
    return render_template(
        "auth/settings.html",
        profile=profile,
        password=password or PasswordForm(prefix="password", formdata=None),
        api_tokens=tokens.tokens_of(current_user),
        token_form=token_form or TokenForm(prefix="token", formdata=None),
        new_token=new_token,
        login_sessions=sessions.sessions_of(current_user),
        this_session=sessions.current_session_id(current_user),
        device_name=sessions.device_name,
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    if request.method == "GET":
        return _settings_page()
    profile = ProfileForm(obj=current_user, prefix="profile")
    profile.timezone.choices = TIMEZONE_CHOICES()
    password = PasswordForm(prefix="password")
    if "profile-name" not in request.form:  # not the profile form: nothing to save
        return _settings_page(profile, password)
    with submitted(profile, lambda: _settings_page(profile, password)):
        accounts.update_profile(
            current_user,
            name=profile.name.data,
            timezone=profile.timezone.data,
            work_days=profile.work_days.data,
            work_start=profile.work_start.data,
            work_end=profile.work_end.data,
        )
    flash("Your settings are saved.", "success")
    return redirect(url_for("auth.settings"))


@bp.post("/settings/password")
@login_required
def change_password():
    password = PasswordForm(prefix="password")
    with submitted(password, lambda: _settings_page(password=password)):
        revoked = accounts.change_password(
            current_user, password.current_password.data, password.new_password.data
        )
    # Every session of the account has ended: sign this browser in again with a new one (and a new
    # remember-me cookie if it had one), so only the other browsers are signed out.
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    sign_in(current_user._get_current_object(), remember=remembered)
    flash("Your password is changed. Other browsers signed in to your account are signed out.", "success")
    if revoked:
        flash(f"Your API tokens ({revoked}) are revoked with the old password: create new ones for your "
              "scripts.", "info")
    return redirect(url_for("auth.settings"))


@bp.post("/settings/tokens")
@login_required
def create_token():
    """Create a personal API token and show it once, on this response only (it is not stored)."""
    form = TokenForm(prefix="token")
    with submitted(form, lambda: _settings_page(token_form=form)):
        _token, raw = tokens.create_token(current_user, form.label.data or "")
    return _settings_page(new_token=raw), 200, {"Cache-Control": "no-store"}


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = tokens.revoke_token(current_user, token_id)
    flash(f"Token {token.label or token.prefix + '…'} is revoked; scripts using it now get 401.", "success")
    return redirect(url_for("auth.settings") + "#tokens")


@bp.post("/settings/sessions/end-others")
@login_required
def sign_out_elsewhere():
    ended = sessions.sign_out_elsewhere(current_user)
    flash(f"Signed out {ended} other session{'' if ended == 1 else 's'}.", "success")
    return redirect(url_for("auth.settings") + "#sessions")


@bp.post("/settings/sessions/<session_id>/end")
@login_required
def end_session(session_id: str):
    ended = sessions.end_session_of(current_user, session_id)
    where = ended.ip or "unknown address"
    flash(f"Signed out {sessions.device_name(ended.user_agent)} ({where}).", "success")
    return redirect(url_for("auth.settings") + "#sessions")
