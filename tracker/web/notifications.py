"""The notifications page, marking them read, the unread count in the navigation, and the per-kind
choice of channel in the user's settings."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import notifications
from ..mail import mail_enabled
from ..models import NOTIFICATION_CHANNELS
from .errors import on_invalid
from .query import flag, page_number

bp = Blueprint("notifications", __name__)

CHANNEL_LABELS = {"in_app": "In the app", "email": "Email", "both": "Both", "none": "None"}


@bp.app_context_processor
def unread_notifications():
    if current_user and current_user.is_authenticated:
        return {"unread_notifications": notifications.unread_count(current_user)}
    return {"unread_notifications": 0}


@bp.before_request
@login_required
def require_login():
    return None


@bp.get("/notifications")
def index():
    unread_only = flag("unread")
    result = notifications.list_notifications(current_user, unread_only=unread_only, page=page_number())
    return render_template("notifications/index.html", page=result, unread_only=unread_only)


@bp.get("/notifications/unread")
def unread():
    """The unread count as JSON, so the header can follow new notifications (static/js/notifications.js)."""
    return jsonify(unread=notifications.unread_count(current_user))


@bp.post("/notifications/read")
def mark_read():
    """Mark one (`id`) or all of the caller's notifications read; then go to `next` (the task) or back."""
    raw = request.form.get("id", "")
    marked = notifications.mark_read(current_user, [int(raw)] if raw.isdigit() else None)
    target = request.form.get("next", "")
    if target.startswith("/tasks/") and target[len("/tasks/") :].isdigit():
        return redirect(target)
    if not raw:
        flash(f"{marked} notification{'s' if marked != 1 else ''} marked read.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
def settings():
    if request.method == "GET":
        return _settings_page()
    choices = {kind: request.form.get(kind, "") for kind in notifications.PREFERENCE_KINDS if kind in request.form}
    with on_invalid(_settings_page, labels=notifications.KIND_LABELS):
        notifications.set_preferences(current_user, choices)
    flash("Your notification settings are saved.", "success")
    return redirect(url_for("notifications.settings"))


def _settings_page():
    return render_template(
        "notifications/settings.html",
        preferences=notifications.preferences(current_user),
        kinds=notifications.PREFERENCE_KINDS,
        labels=notifications.KIND_LABELS,
        channels=NOTIFICATION_CHANNELS,
        digest_channels=notifications.DIGEST_CHANNELS,
        channel_labels=CHANNEL_LABELS,
        mail_enabled=mail_enabled(),
    )
