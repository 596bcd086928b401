"""The reminder settings page: how long before each of your deadlines you are reminded (/settings/reminders).
How reminders reach you (in the app, by email) is the notification settings' choice for their kinds."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import reminders
from .errors import submitted
from .forms import RemindersForm

bp = Blueprint("reminders", __name__)


def _page(form: RemindersForm):
    return render_template("reminders/settings.html", form=form, limit=reminders.LEAD_TIMES_MAX)


def _filled() -> RemindersForm:
    form = RemindersForm(formdata=None)
    for row, lead in zip(form.rows, reminders.lead_times(current_user), strict=False):
        row.amount.data, row.unit.data = lead.amount, lead.unit
        row.counted.data = "working" if lead.working else "calendar"
    return form


@bp.route("/settings/reminders", methods=["GET", "POST"])
@login_required
def settings():
    if request.method == "GET":
        return _page(_filled())
    form = RemindersForm()
    with submitted(form, lambda: _page(form)):
        reminders.set_lead_times(current_user, [
            {"amount": row.amount.data, "unit": row.unit.data, "working": row.counted.data == "working"}
            for row in form.rows if row.amount.data is not None
        ])
    flash("Your reminders are saved.", "success")
    return redirect(url_for("reminders.settings"))
