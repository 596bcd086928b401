"""Data in and out on the web: a team's export (JSON, or its tasks as CSV) and its CSV import with a
preview and a column mapping (manager+), and the upload page that restores an export into a new team."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import csv_import, teams, transfer
from ..errors import Invalid
from .errors import messages

bp = Blueprint("transfer", __name__)


@bp.before_request
@login_required
def require_login():
    return None


def _manager(team_id: int):
    member = teams.membership_for(current_user, team_id)
    teams.require_role(member, "manager", "export or import the team's data")
    return member


def _messages(exc: Invalid) -> list[str]:
    """Each message after the place it is about (a field, or a path in the document such as tasks[3])."""
    return messages(exc, {name: name for name in exc.errors})


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/teams/<int:team_id>/transfer")
def index(team_id: int):
    member = _manager(team_id)
    return render_template("transfer/index.html", member=member, team=member.team, errors=[])


@bp.get("/teams/<int:team_id>/export.json")
def export_json(team_id: int):
    team = _manager(team_id).team
    return _download(transfer.export_json(team), "application/json", f"{team.slug}.json")


@bp.get("/teams/<int:team_id>/export.csv")
def export_csv(team_id: int):
    team = _manager(team_id).team
    return _download(transfer.export_tasks_csv(team), "text/csv", f"{team.slug}-tasks.csv")


def _uploaded(limit: int) -> bytes:
    """The uploaded file's bytes, at most `limit` (Invalid beyond it or without a file)."""
    _refuse_larger_than(limit)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid({"file": ["Choose a file to upload."]})
    raw = upload.stream.read(limit + 1)
    if len(raw) > limit:
        raise Invalid({"file": [f"Send at most {limit // 1_000_000} MB."]})
    return raw


def _refuse_larger_than(limit: int) -> None:
    """Before the body is parsed (Werkzeug would spool any size to disk): at most `limit` bytes and room
    for the form's other fields."""
    if (request.content_length or 0) > limit + 100_000:
        raise Invalid({"file": [f"Send at most {limit // 1_000_000} MB."]})


@bp.route("/teams/import", methods=["GET", "POST"])
def import_team():
    """Upload an export: it becomes a new team that the uploader owns."""
    if request.method == "GET":
        return render_template("transfer/import_team.html", errors=[])
    try:
        data = transfer.read_document(_uploaded(transfer.MAX_IMPORT_BYTES))
        imported = transfer.import_team(data, current_user, known_to=current_user)
    except Invalid as exc:
        return render_template("transfer/import_team.html", errors=_messages(exc)), 422
    flash(f"Imported {imported.tasks} task(s) into the new team “{imported.team.name}”.", "success")
    if imported.unmatched:
        flash("Nobody you work with has these addresses, so they are not members and their tasks are "
              "unassigned: " + ", ".join(imported.unmatched), "warning")
    return redirect(url_for("tasks.index", team_id=imported.team.id))


def _csv_options(member, sheet: csv_import.Sheet) -> csv_import.Options:
    """The mapping chosen on the preview page, or the one guessed for a new upload."""
    if "mapping-title" not in request.form:
        return csv_import.default_options(member, sheet)
    mapping = {name: request.form.get(f"mapping-{name}", "") for name in csv_import.FIELDS}
    return csv_import.check_options(sheet, mapping, request.form.get("default_category", ""),
                                    request.form.get("estimate_unit", "hours"))


@bp.post("/teams/<int:team_id>/import")
def import_csv(team_id: int):
    """Preview a CSV sheet (with each row's errors) and, on "Import", create its tasks if all are valid."""
    member = _manager(team_id)
    page = {"member": member, "team": member.team}
    try:
        _refuse_larger_than(csv_import.MAX_CSV_BYTES)
        text = request.form.get("csv") if "csv" in request.form else csv_import.decode(
            _uploaded(csv_import.MAX_CSV_BYTES))
        sheet = csv_import.read_sheet(text or "")
        options = _csv_options(member, sheet)
    except Invalid as exc:
        return render_template("transfer/index.html", **page, errors=_messages(exc)), 422
    confirm = request.form.get("action") == "import"
    preview = csv_import.import_rows(member, sheet, options, dry_run=not confirm)
    if preview.written:
        flash(f"Imported {len(preview.rows)} task(s) from the CSV file.", "success")
        return redirect(url_for("tasks.index", team_id=team_id, sort="-created_at"))
    status = 422 if confirm or not preview.valid else 200
    return render_template("transfer/preview.html", **page, preview=preview, text=text,
                           categories=teams.active_categories(team_id), fields=csv_import.FIELDS,
                           labels=csv_import.FIELD_LABELS, units=csv_import.ESTIMATE_UNITS,
                           source=csv_import.SOURCE_NAMES[sheet.source]), status
