"""Two-factor sign-in pages: turning it on (QR code, confirming code, recovery codes shown once), new
recovery codes, turning it off, the login's second step, and where a team's requirement sends people."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from .. import accounts, two_factor
from . import auth
from .errors import submitted
from .forms import TwoFactorCodeForm, TwoFactorDisableForm
from .query import safe_next, wants_json

bp = Blueprint("two_factor", __name__)
# Pages that show a secret (the QR code, recovery codes) are kept by no cache.
NO_STORE = {"Cache-Control": "no-store"}


def _settings_page(code_form: TwoFactorCodeForm | None = None,
                   disable_form: TwoFactorDisableForm | None = None, *, refused: bool = False):
    """The page: the QR code and its confirming form while two factors are off (a first visit makes
    the secret; a refused form does not, it goes back to the page instead), else codes and switch-off."""
    user = current_user._get_current_object()
    context = {"enabled": two_factor.is_enabled(user), "next": request.args.get("next", "")}
    if context["enabled"]:
        context["remaining"] = two_factor.remaining_recovery_codes(user)
    elif refused and user.totp_secret is None:
        flash("Scan the QR code first, then enter the code your app shows.", "error")
        return redirect(url_for("two_factor.settings"))
    else:
        secret = two_factor.pending_secret(user)
        uri = two_factor.provisioning_uri(user, secret)
        context.update(secret=secret, uri=uri, qr_svg=two_factor.qr_svg(uri))
    return render_template(
        "auth/two_factor.html",
        code_form=code_form or TwoFactorCodeForm(prefix="code", formdata=None),
        disable_form=disable_form or TwoFactorDisableForm(prefix="disable", formdata=None),
        **context,
    ), 200, NO_STORE


@bp.get("/settings/two-factor")
@login_required
def settings():
    return _settings_page()


@bp.post("/settings/two-factor/new-secret")
@login_required
def new_secret():
    two_factor.new_secret(current_user._get_current_object())
    flash("A new secret: scan the new QR code (remove the old entry from your app).", "info")
    return redirect(url_for("two_factor.settings", next=request.args.get("next")))


def _codes_after(action, message: str, next_url: str | None = None):
    """A code form's POST whose domain `action(user, code)` makes recovery codes: they are shown once,
    on this answer only (only their digests are kept)."""
    form = TwoFactorCodeForm(prefix="code")
    with submitted(form, lambda: _settings_page(code_form=form, refused=True)):
        codes = action(current_user._get_current_object(), form.code.data)
    flash(message, "success")
    return render_template("auth/two_factor_codes.html", codes=codes, next_url=next_url), 200, NO_STORE


@bp.post("/settings/two-factor/enable")
@login_required
def enable():
    return _codes_after(two_factor.enable,
                        "Two-factor authentication is on. Your other browsers are signed out.",
                        safe_next(request.args.get("next"), "two_factor.settings"))


@bp.post("/settings/two-factor/recovery-codes")
@login_required
def regenerate():
    return _codes_after(two_factor.regenerate_recovery_codes,
                        "New recovery codes: the old ones no longer work.")


@bp.post("/settings/two-factor/disable")
@login_required
def disable():
    form = TwoFactorDisableForm(prefix="disable")
    with submitted(form, lambda: _settings_page(disable_form=form, refused=True)):
        two_factor.disable(current_user._get_current_object(), form.password.data, form.code.data)
    flash("Two-factor authentication is off: your password alone signs you in.", "success")
    return redirect(url_for("auth.settings"))


# The login's second step: who typed the right password is not signed in until the code is right.
@bp.route("/login/two-factor", methods=["GET", "POST"])
@auth.login_attempts
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    marker = session.get(auth.PENDING_LOGIN)
    user = two_factor.pending_user(marker)
    if user is None:
        session.pop(auth.PENDING_LOGIN, None)
        flash("Enter your email and password first (a login waits five minutes for its code).", "info")
        return redirect(url_for("auth.login", next=request.args.get("next")))
    form = TwoFactorCodeForm()

    def page():
        return render_template("auth/two_factor_login.html", form=form)

    if request.method == "GET":
        return page()
    try:
        with submitted(form, page):
            used = two_factor.complete_login(user, form.code.data)
    except accounts.LoginLocked as exc:
        form.code.errors = [exc.detail]
        return page(), 429, {"Retry-After": str(exc.retry_after)}
    auth.sign_in(user, remember=marker.get("remember") is True)
    if used == "recovery":
        left = two_factor.remaining_recovery_codes(user)
        flash(f"You used a recovery code; {left} left. Make new ones in your settings when you run low.",
              "info")
    return redirect(safe_next(request.args.get("next")))


@bp.app_errorhandler(two_factor.TwoFactorRequired)
def required(exc: two_factor.TwoFactorRequired):
    """A team that requires two factors of someone without them: to the setup page, and back after."""
    if wants_json():
        return jsonify(error=exc.detail), 403
    flash(exc.detail, "info")
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("two_factor.settings", next=back))
