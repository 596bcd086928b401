"""The front page, and the colour theme chosen in the header (kept in a cookie, no account needed)."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from .query import safe_next, wants_json

bp = Blueprint("main", __name__)

THEMES = ("light", "dark")
THEME_COOKIE = "theme"
THEME_MAX_AGE = 365 * 24 * 3600


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("views.my_work"))
    return render_template("main/welcome.html")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico where a page names no icon (a JSON answer, a feed)."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.post("/theme")
def set_theme():
    """Light, dark, or "auto" (follow the device's prefers-color-scheme: no cookie)."""
    choice = request.form.get("theme", "")
    if choice not in (*THEMES, "auto"):
        if wants_json():
            return jsonify(error="Choose light, dark or auto."), 400
        flash("Choose light, dark or auto.", "error")
        return redirect(safe_next(request.form.get("next")))
    if wants_json():
        response = jsonify(theme=choice)
    else:
        response = redirect(safe_next(request.form.get("next")))
    if choice == "auto":
        response.delete_cookie(THEME_COOKIE)
    else:
        response.set_cookie(THEME_COOKIE, choice, max_age=THEME_MAX_AGE, samesite="Lax", httponly=True,
                            secure=bool(request.is_secure))
    return response


@bp.app_context_processor
def theme():
    """The theme the server renders as <html data-theme>, so the page never flashes the wrong colours."""
    choice = request.cookies.get(THEME_COOKIE)
    return {"theme": choice if choice in THEMES else None}
