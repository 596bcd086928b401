"""A team's outgoing webhooks and their delivery log (managers and owners)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from .. import teams, webhooks
from ..models import WEBHOOK_EVENTS
from .errors import submitted
from .forms import MultiCheckboxField, choices

bp = Blueprint("webhooks", __name__)


class WebhookForm(FlaskForm):
    url = StringField("Payload URL", validators=[DataRequired()])
    secret = StringField("Secret (leave empty to generate one)")
    events = MultiCheckboxField("Events", choices=choices((e, e) for e in WEBHOOK_EVENTS))


@bp.before_request
@login_required
def require_login():
    return None


@bp.route("/teams/<int:team_id>/webhooks", methods=["GET", "POST"])
def index(team_id: int):
    member = teams.membership_for(current_user, team_id)
    hooks = webhooks.list_webhooks(member)  # Forbidden below manager
    form = WebhookForm()

    def page():
        return render_template("webhooks/index.html", member=member, team=member.team, webhooks=hooks, form=form,
                               deliveries=webhooks.recent_deliveries(member))

    if request.method == "GET":
        form.events.data = list(WEBHOOK_EVENTS)
        return page()
    with submitted(form, page):
        webhook = webhooks.create_webhook(member, form.url.data, form.events.data or [], form.secret.data)
    flash(f"Webhook added. Its secret is {webhook.secret} — verify the X-Tracker-Signature header with it.",
          "success")
    return redirect(url_for("webhooks.index", team_id=team_id))


@bp.post("/teams/<int:team_id>/webhooks/<int:webhook_id>/delete")
def delete(team_id: int, webhook_id: int):
    member = teams.membership_for(current_user, team_id)
    webhooks.delete_webhook(member, webhooks.get_webhook(member, webhook_id))
    flash("Webhook deleted.", "success")
    return redirect(url_for("webhooks.index", team_id=team_id))
