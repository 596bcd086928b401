"""The page an invitation link opens, and accepting it: signed in with the invited address, one button
joins the team; otherwise the page asks to sign in or register with that address, and brings them back."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import invitations

bp = Blueprint("invitations", __name__)
# The token is in the address: keep it out of Referer headers, caches and the browser's history.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/invitations/<token>")
def show(token: str):
    invitation = invitations.find(token)
    here = url_for("invitations.show", token=token)
    signed_in = current_user.is_authenticated
    return render_template(
        "invitations/show.html",
        invitation=invitation,
        token=token,
        addressed_to_you=signed_in and invitations.addressed_to(invitation, current_user),
        login_url=url_for("auth.login", next=here),
        register_url=url_for("auth.register", next=here),
    ), 200, PRIVATE


@bp.post("/invitations/<token>/accept")
@login_required
def accept(token: str):
    membership = invitations.accept(current_user, token)
    flash(f"Welcome to {membership.team.name}: you joined as {membership.role}.", "success")
    return redirect(url_for("teams.show", team_id=membership.team_id))
