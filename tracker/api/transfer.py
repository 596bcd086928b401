"""Data in and out: GET /teams/{id}/export (the team as JSON, its tasks as CSV), POST /teams/import (an
export restored into a new team) and POST /teams/{id}/import (tasks from a CSV sheet, with a dry run)."""

from __future__ import annotations

from typing import Literal

from flask import request, url_for
from pydantic import BaseModel, Field

from .. import csv_import, teams, transfer
from ..errors import Invalid
from .core import OPERATIONS, ProblemResponse, caller, operation, reply
from .schemas import Body, Out, Query, TeamOut


class ExportQuery(Query):
    format: Literal["json", "csv"] = Field(
        "json", description="json: the whole team; csv: its live tasks, one row each (also chosen by "
        "`Accept: text/csv`).")


class ImportedTeamOut(Out):
    team: TeamOut
    tasks: int = Field(description="How many tasks the new team has.")
    unmatched: list[str] = Field(description="Addresses in the export of people who share no team with "
                                 "you: not members; their tasks are kept, unassigned.")


class CsvImportQuery(Query):
    dry_run: bool = Field(False, description="true: only preview (per-row errors); nothing is written.")


class CsvImportBody(Body):
    csv: str = Field(max_length=csv_import.MAX_CSV_BYTES, description="The CSV text, header line first.")
    mapping: dict[str, str] | None = Field(
        None, description=f"Column per field ({', '.join(csv_import.FIELDS)}); default: guessed from the "
        "header (Jira, GitHub issues, or the field names).")
    default_category: str | None = Field(None, max_length=64,
                                         description="Category slug of rows without one.")
    estimate_unit: Literal["hours", "seconds"] | None = Field(
        None, description="What the estimate column counts (Jira's Original Estimate: seconds).")


class CsvRowOut(BaseModel):
    line: int
    values: dict[str, str | float | None]
    errors: dict[str, list[str]]
    task_id: int | None


class CsvImportOut(BaseModel):
    source: Literal["jira", "github", "tracker"]
    mapping: dict[str, str]
    dry_run: bool
    valid: bool
    created: int
    rows: list[CsvRowOut]


def _manager(team_id: int):
    member = teams.membership_for(caller(), team_id)
    teams.require_role(member, "manager", "export or import the team's data")
    return member


@operation("GET", "/teams/<id:team_id>/export", summary="Export a team", tag="Teams", query=ExportQuery,
           errors=[403])
def export_team(team_id: int, query: ExportQuery):
    """The whole team as one JSON document (format version 1): members by email, categories, tasks with
    their checklists, labels, blockers, recurrence, comments, time entries and history, features, saved
    filters, definition of done and templates, referring to each other by export-local keys. Manager+.
    With `format=csv` (or `Accept: text/csv`), the live tasks as CSV, formulas neutralised."""
    team = _manager(team_id).team
    wants_csv = request.accept_mimetypes.best == "text/csv" and "format" not in request.args
    if query.format == "csv" or wants_csv:
        return transfer_response(transfer.export_tasks_csv(team), "text/csv")
    return transfer_response(transfer.export_json(team), "application/json")


OPERATIONS["api.export_team"].alternatives = {
    "text/csv": {"type": "string", "description": "The live tasks, one row each, formulas neutralised."}}


def transfer_response(body: str, mimetype: str):
    response = reply(None)
    response.set_data(body)
    response.mimetype = mimetype
    return response


@operation("POST", "/teams/import", summary="Import a team", tag="Teams", response=ImportedTeamOut,
           status=201, errors=[400, 413, 415, 422], headers={"Location": "The new team's URL."})
def import_team():
    """A new team from an export (the body is the document `GET /teams/{id}/export` returns, up to 20 MB).
    The caller owns it; people are members with their exported roles when they share a team with the
    caller. All or nothing: an invalid document is a 422 listing each problem by its path."""
    if (request.content_length or 0) > transfer.MAX_IMPORT_BYTES:
        raise ProblemResponse(413, f"Send at most {transfer.MAX_IMPORT_BYTES} bytes.")
    if not request.is_json:
        raise ProblemResponse(415, "Send the export as application/json.")
    try:
        data = transfer.read_document(request.get_data(cache=False))
    except Invalid as exc:
        raise ProblemResponse(400, "; ".join(exc.errors["file"])) from None
    imported = transfer.import_team(data, caller(), known_to=caller())
    out = ImportedTeamOut(team=TeamOut.of(teams.membership_for(caller(), imported.team.id)),
                          tasks=imported.tasks, unmatched=imported.unmatched)
    return reply(out, 201, {"Location": url_for("api.get_team", team_id=imported.team.id)})


# The document is read here with the export's own size limit rather than the API's 1 MB for bodies; it is
# still described in the OpenAPI document.
OPERATIONS["api.import_team"].body = transfer.TeamDocument


@operation("POST", "/teams/<id:team_id>/import", summary="Import tasks from CSV", tag="Tasks",
           response=CsvImportOut, body=CsvImportBody, query=CsvImportQuery, errors=[403])
def import_csv(team_id: int, body: CsvImportBody, query: CsvImportQuery):
    """Tasks from a CSV sheet (Jira's or GitHub's export, or any sheet with a title column) into the team
    (manager+). With `dry_run=true` the answer previews every row and its errors; otherwise the
    tasks are created only if every row is valid, else 422 with the errors by line."""
    member = _manager(team_id)
    sheet = csv_import.read_sheet(body.csv)
    guessed = csv_import.default_options(member, sheet)
    options = csv_import.check_options(
        sheet, body.mapping if body.mapping is not None else guessed.mapping,
        body.default_category or guessed.default_category, body.estimate_unit or guessed.estimate_unit)
    preview = csv_import.import_rows(member, sheet, options, dry_run=query.dry_run)
    if not preview.valid and not query.dry_run:
        raise Invalid(preview.errors())
    out = CsvImportOut(
        source=sheet.source, mapping=options.mapping, dry_run=query.dry_run, valid=preview.valid,
        created=len(preview.rows) if preview.written else 0,
        rows=[CsvRowOut(line=r.line, values=r.values, errors=r.errors, task_id=r.task_id)
              for r in preview.rows])
    return reply(out)
