"""CSV import into an existing team: Jira's and GitHub's exports recognised and their words mapped, the
preview with per-row errors, nothing written unless every row is valid, the upload page with its mapping."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import add_to_team, login, make_task, make_team, make_user
from tests.snapshot import database_digest
from tests.support import recorded_statements
from tracker import csv_import, transfer
from tracker.errors import Forbidden, Invalid
from tracker.extensions import db
from tracker.models import (
    Activity, Notification, StoredForecast, Task, TaskWatcher, Team, Webhook, WebhookDelivery,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def team(app):
    olga = make_user("Olga", timezone="Europe/Lisbon")
    mia = make_user("Mia", timezone="Asia/Tokyo")
    o = make_team(olga, "Payments")
    m = add_to_team(o, mia)
    db.session.add(Webhook(team_id=o.team_id, url="https://hooks.example/t", secret="s" * 32,
                           events="task.created"))
    db.session.commit()
    return {"olga": olga, "mia": mia, "o": o, "m": m}


def sheet(name: str) -> csv_import.Sheet:
    return csv_import.read_sheet((DATA / name).read_text())


def run(member, name: str, *, dry_run: bool, **choices):
    s = sheet(name)
    options = csv_import.default_options(member, s)
    if choices:
        options = csv_import.check_options(s, {**options.mapping, **choices.get("mapping", {})},
                                           choices.get("default_category", options.default_category),
                                           choices.get("estimate_unit", options.estimate_unit))
    return csv_import.import_rows(member, s, options, dry_run=dry_run)


def test_jira_export_is_recognised_and_its_vocabulary_mapped(team):
    s = sheet("jira_export.csv")
    assert s.source == "jira"
    mapping = csv_import.suggested_mapping(s)
    assert mapping == {"title": "Summary", "description": "Description", "status": "Status",
                       "priority": "Priority", "assignee": "Assignee", "deadline": "Due Date",
                       "estimate": "Original Estimate", "labels": "Labels"}
    preview = run(team["o"], "jira_export.csv", dry_run=True)
    assert preview.valid and not preview.written
    rows = {r.values["title"]: r.values for r in preview.rows}
    cert = rows["Rotate the TLS certificates"]
    shown = (cert["status"], cert["priority"], cert["assignee"], cert["estimate"])
    assert shown == ("todo", "critical", "Olga", 4)
    assert cert["labels"] == "security, certificates"  # the repeated Labels columns
    assert cert["deadline"] == "2026-12-10"  # Jira's midnight due date is the day alone
    assert [rows[t]["status"] for t in ("Add the refunds table", "Review the refund endpoint",
                                        "Document the webhooks")] == ["in_progress", "in_review", "done"]
    assert rows["Remove the old SDK"]["priority"] == "low"
    assert db.session.scalar(select(func.count(Task.id))) == 0  # a dry run writes nothing


def test_jira_import_creates_tasks_through_the_domain_quietly(team):
    notifications = db.session.scalar(select(func.max(Notification.id))) or 0
    preview = run(team["o"], "jira_export.csv", dry_run=False)
    assert preview.written and all(r.task_id for r in preview.rows)
    tasks = {t.title: t for t in db.session.scalars(select(Task).where(Task.team_id == team["o"].team_id))}
    refunds = tasks["Add the refunds table"]
    assert refunds.assignee_id == team["mia"].id and refunds.estimate_hours == 8
    assert refunds.label_names == ["database"]
    # A date alone is the end of that day where the assignee works (Tokyo).
    assert refunds.due_at.astimezone().date() >= date(2026, 12, 15) and refunds.due_date == date(2026, 12, 15)
    assert tasks["Document the webhooks"].completed_at is not None
    assert tasks["Remove the old SDK"].description.startswith("=HYPERLINK")  # stored as text, shown escaped
    # History for every task, the forecast stored, no webhook call per row, and Mia (assigned two of them)
    # notified once; Olga imported her own.
    created = db.session.scalar(select(func.count(Activity.id)).where(Activity.kind == "created"))
    assert created == len(tasks) == 5
    open_ids = {t.id for t in tasks.values() if t.status != "done"}
    assert set(db.session.scalars(select(StoredForecast.task_id))) == open_ids
    [told] = db.session.scalars(select(Notification).where(Notification.id > notifications))
    assert told.user_id == team["mia"].id and told.summary.endswith("and 1 more")
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0


def _jira_rows(count: int) -> csv_import.Sheet:
    lines = ["Summary,Issue key,Status,Priority,Assignee,Due Date,Labels,Original Estimate"]
    lines += [f"Task {i},K-{i},To Do,High,{('Olga', 'Mia', '')[i % 3]},10/Dec/26 12:00 AM,l{i % 7},3600"
              for i in range(count)]
    return csv_import.read_sheet("\n".join(lines))


@pytest.mark.parametrize("count", [10, 200])
def test_an_import_costs_the_same_statements_for_10_rows_as_for_200(team, count):
    """The rows are checked in memory with the team's lookups read once, the tasks inserted in one batch:
    a dry run's statements and an import's do not grow with the rows (they did: about 7 per row)."""
    s = _jira_rows(count)
    options = csv_import.default_options(team["o"], s)
    with recorded_statements() as dry:
        assert csv_import.import_rows(team["o"], s, options, dry_run=True).valid
    with recorded_statements() as written:
        assert csv_import.import_rows(team["o"], s, options, dry_run=False).written
    assert len(dry) <= 4
    inserts = [sql for sql in written if sql.lstrip().upper().startswith("INSERT")]
    assert len(written) - len(inserts) <= 40, written[:60]
    # History, watchers (the reporter, and the assignee when another) and labels for every row.
    assert db.session.scalar(select(func.count(Activity.id)).where(Activity.kind == "created")) == count
    watchers = db.session.scalar(select(func.count()).select_from(TaskWatcher))
    assert watchers == count + sum(1 for i in range(count) if i % 3 == 1)


def test_github_issues_are_recognised(team):
    s = sheet("github_issues.csv")
    assert s.source == "github"
    assert csv_import.suggested_mapping(s) == {"title": "title", "description": "body", "status": "state",
                                               "assignee": "assignees", "labels": "labels"}
    preview = run(team["o"], "github_issues.csv", dry_run=False, default_category="server-code")
    assert preview.written
    [done] = [r for r in preview.rows if r.values["status"] == "done"]
    assert done.values["title"] == "Upgrade SQLAlchemy to 2.1"
    login_bug = next(r for r in preview.rows if r.line == 2)
    assert login_bug.values["labels"] == "bug, security" and login_bug.values["category"] == "server-code"


def test_a_file_with_bad_rows_writes_nothing_and_names_each_error(team):
    before = database_digest()
    preview = run(team["o"], "bad_rows.csv", dry_run=False)
    assert not preview.valid and not preview.written
    assert database_digest() == before
    errors = {r.line: r.errors for r in preview.rows}
    assert errors[2] == {}
    assert "title" in errors[3]
    assert "Waiting for Godot" in errors[4]["status"][0]
    assert set(errors[5]) == {"priority", "assignee", "deadline", "estimate"}


def test_an_export_sheet_reads_back_and_a_formula_stays_text(team):
    make_task(team["o"], "=1+1", labels=["ops"], assignee_id=team["mia"].id, estimate_hours=2)
    text = transfer.export_tasks_csv(db.session.get(Team, team["o"].team_id))
    s = csv_import.read_sheet(text)
    assert s.source == "tracker"
    preview = csv_import.import_rows(team["o"], s, csv_import.default_options(team["o"], s), dry_run=True)
    [row] = preview.rows
    assert preview.valid and row.values["title"] == "=1+1" and row.values["assignee"] == "Mia"


@pytest.mark.parametrize(("text", "field"), [
    ("", "file"), ("title\n", "file"), ("a\x00b\nc\n", "file"), ("title\n" + "x\n" * 2001, "file"),
])
def test_unreadable_sheets_are_refused(app, text, field):
    with pytest.raises(Invalid) as refused:
        csv_import.read_sheet(text)
    assert field in refused.value.errors


def test_a_mapping_must_name_columns_of_the_file(team):
    s = sheet("github_issues.csv")
    with pytest.raises(Invalid) as refused:
        csv_import.check_options(s, {"title": "Nope", "colour": "title"}, "database", "weeks")
    assert set(refused.value.errors) == {"mapping.title", "mapping", "estimate_unit"}


def test_members_cannot_import(team):
    s = sheet("github_issues.csv")
    with pytest.raises(Forbidden):
        csv_import.import_rows(team["m"], s, csv_import.default_options(team["m"], s), dry_run=True)


def test_deadline_and_estimate_words():
    assert csv_import.parse_deadline("05/Mar/26 5:00 PM").hour == 17
    assert csv_import.parse_deadline("2026-03-05") == date(2026, 3, 5)
    assert csv_import.parse_deadline("2026-03-05T10:00:00Z").tzinfo is not None
    for bad in ("yesterday", "2026-02-30", "31/Feb/26"):
        with pytest.raises(ValueError):
            csv_import.parse_deadline(bad)
    assert csv_import.parse_estimate("7200", "seconds") == 2
    assert csv_import.parse_estimate("90m", "hours") == 1.5
    assert csv_import.parse_estimate("1.5h", "seconds") == 1.5


def test_upload_page_previews_maps_and_imports(app, client, team):
    login(client, team["olga"])
    url = f"/teams/{team['o'].team_id}/import"
    with open(DATA / "jira_export.csv", "rb") as f:
        preview = client.post(url, data={"file": (f, "jira.csv")}, content_type="multipart/form-data")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Recognised as: <strong>Jira</strong>" in page and 'value="Summary" selected' in page
    assert "<td>Olga</td>" in page
    text = (DATA / "jira_export.csv").read_text()
    guessed = csv_import.suggested_mapping(sheet("jira_export.csv"))
    form = {f"mapping-{name}": column for name, column in guessed.items()}
    form |= {"csv": text, "default_category": "devops", "estimate_unit": "seconds"}
    remapped = client.post(url, data={**form, "mapping-assignee": "", "action": "preview"})
    assert remapped.status_code == 200 and "<td>Olga</td>" not in remapped.get_data(as_text=True)
    done = client.post(url, data={**form, "action": "import"})
    assert done.status_code == 302
    assert db.session.scalar(select(func.count(Task.id)).where(Task.team_id == team["o"].team_id)) == 5


def test_upload_page_with_bad_rows_shows_them_and_writes_nothing(app, client, team):
    login(client, team["olga"])
    before = database_digest()
    text = (DATA / "bad_rows.csv").read_text()
    form = {f"mapping-{k}": v for k, v in csv_import.suggested_mapping(sheet("bad_rows.csv")).items()}
    answer = client.post(f"/teams/{team['o'].team_id}/import",
                         data={**form, "csv": text, "default_category": "devops", "estimate_unit": "seconds",
                               "action": "import"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "3 row(s) have errors" in page and "Waiting for Godot" in page and "Import 4 task(s)" not in page
    assert database_digest() == before
    assert client.post(f"/teams/{team['o'].team_id}/import", data={}).status_code == 422


def test_an_oversized_upload_is_refused_before_it_is_read(app, client, team, monkeypatch):
    login(client, team["olga"])
    monkeypatch.setattr(csv_import, "MAX_CSV_BYTES", 1000)
    answer = client.post(f"/teams/{team['o'].team_id}/import", data={"csv": "title\n" + "x\n" * 60_000})
    assert answer.status_code == 422 and "at most" in answer.get_data(as_text=True)


def test_a_sheet_is_mapped_by_any_sources_names(app):
    s = csv_import.read_sheet("Summary,Status,Due Date\nShip it,In Progress,2026-12-01\n")
    assert s.source == "jira" and csv_import.suggested_mapping(s) == {
        "title": "Summary", "status": "Status", "deadline": "Due Date"}
    s = csv_import.read_sheet("Title,Body,Assignee,Estimate\nShip it,,ana@example.com,2h\n")
    assert s.source == "tracker" and csv_import.suggested_mapping(s) == {
        "title": "Title", "description": "Body", "assignee": "Assignee", "estimate": "Estimate"}
