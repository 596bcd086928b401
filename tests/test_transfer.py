"""A team's export and import: the JSON document of a rich team, export → import → export identical apart
from ids, hostile documents refused with nothing written, the CSV of tasks with formulas neutralised, the
command line per the contract, and the upload page."""
from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import add_to_team, login, make_task, make_team, make_user, membership
from tests.snapshot import database_digest
from tracker import (
    checklists,
    comments,
    definition_of_done,
    features,
    saved_filters,
    stored_forecast,
    teams,
    timelog,
    transfer,
)
from tracker.extensions import db
from tracker.models import (
    CategoryTemplate,
    Notification,
    StoredForecast,
    Task,
    TaskOccurrence,
    Team,
    TeamMembership,
    WebhookDelivery,
    WipLimit,
)
from tracker.tasks import TaskFilter, move_to_trash, update_task

NOW = datetime.now(UTC)


def rich_team():
    """Olga's team "Payments" with a manager, a member and every kind of data an export carries."""
    olga = make_user("Olga", timezone="Europe/Lisbon")
    manu = make_user("Manu", timezone="America/New_York")
    mia = make_user("Mia", timezone="Asia/Tokyo")
    o = make_team(olga, "Payments")
    add_to_team(o, manu, "manager")
    m = add_to_team(o, mia, "member")
    archived = teams.add_category(o, "Legacy billing")
    teams.set_category_archived(o, archived.id, True)
    definition_of_done.set_definition_of_done(o, ["server-code", "testing"])
    testing = teams.active_categories(o.team_id)[5]
    db.session.add(CategoryTemplate(category_id=testing.id, title_pattern="QA: {feature}",
                                    description="- [ ] Happy path\n- [ ] Errors\n", assignee_id=mia.id,
                                    estimate_hours=3))
    db.session.add(WipLimit(team_id=o.team_id, status="in_progress", wip_limit=3))
    db.session.commit()
    feature = features.create_feature(o, {"title": "Refunds", "description": "**Partial** refunds",
                                          "target_date": (NOW + timedelta(days=20)).date()})
    schema = make_task(o, "Refund table", description="Add `refunds`", priority="high",
                       due_at=(NOW + timedelta(days=3)).date(), estimate_hours=5, assignee_id=manu.id,
                       labels=["db", "refunds"], feature_id=feature.id)
    code = make_task(o, "Refund endpoint", category="server-code", assignee_id=mia.id,
                     due_at=NOW + timedelta(days=6), start_at=NOW + timedelta(days=1), estimate_hours=8,
                     blocked_by=[schema.id], feature_id=feature.id)
    weekly = make_task(o, "Rotate keys", category="security", due_at=NOW + timedelta(days=1),
                       recurrence="FREQ=WEEKLY;BYDAY=MO", assignee_id=olga.id, estimate_hours=1)
    formula = make_task(m, "=HYPERLINK(\"http://evil.example\")", category="testing",
                        description="@SUM(A1) and -1")
    checklists.add_item(o, code, "Validate amount")
    item = checklists.add_item(o, code, "Idempotency key")
    checklists.update_item(o, item, {"done": True})
    comments.add_comment(o, code, "@Mia please take this, see `docs`")
    comments.add_comment(m, code, "On it")
    timelog.log_time(m, code, 2.5, NOW.date(), "first pass")
    update_task(o, schema, {"status": "in_progress"})
    update_task(o, weekly, {"status": "done"})  # completes: the next occurrence is created
    move_to_trash(m, formula)
    saved_filters.save_filter(o, "Mine", "board", TaskFilter(assignee=str(manu.id), feature=str(feature.id)),
                              shared=True)
    saved_filters.save_filter(m, "Open", "list", TaskFilter(status="open"))
    features.update_feature(o, feature, {"state": "shipped", "ship_reason": "Customer deadline"})
    db.session.expire_all()
    return {"olga": olga, "manu": manu, "mia": mia, "o": o, "team": db.session.get(Team, o.team_id),
            "feature": feature, "code": code}


def without_team_names(document: dict) -> dict:
    document = copy.deepcopy(document)
    document["team"].pop("slug")
    return document


def test_export_is_a_versioned_document_with_local_keys(app):
    t = rich_team()
    document = transfer.export_team(t["team"])
    assert document["format"] == "tracker.team-export" and document["version"] == 1
    assert [m["email"] for m in document["members"]] == sorted(m["email"] for m in document["members"])
    assert {m["role"] for m in document["members"]} == {"owner", "manager", "member"}
    assert any(c["archived"] and c["name"] == "Legacy billing" for c in document["categories"])
    assert document["definition_of_done"] == ["server-code", "testing"]
    assert document["wip_limits"] == {"in_progress": 3}
    assert document["templates"][0]["title_pattern"] == "QA: {feature}"
    template = document["templates"][0]
    assert template["assignee"] == t["mia"].email and template["estimate_hours"] == 3
    [feature] = document["features"]
    assert feature["state"] == "shipped" and feature["ship_reason"] == "Customer deadline"
    assert feature["required_categories"] == ["server-code", "testing"]
    tasks = {t["title"]: t for t in document["tasks"]}
    assert [t["key"] for t in document["tasks"]] == [f"T{i}" for i in range(1, len(document["tasks"]) + 1)]
    code = tasks["Refund endpoint"]
    assert code["blocked_by"] == [tasks["Refund table"]["key"]] and code["feature"] == feature["key"]
    assert [i["text"] for i in code["checklist"]] == ["Validate amount", "Idempotency key"]
    assert [c["author"] for c in code["comments"]] == [t["olga"].email, t["mia"].email]
    assert code["time_entries"][0]["hours"] == 2.5 and code["time_entries"][0]["user"] == t["mia"].email
    rotations = [x for x in document["tasks"] if x["title"] == "Rotate keys"]
    assert [x["recurrence"] for x in rotations] == ["FREQ=WEEKLY;BYDAY=MO"] * 2
    assert rotations[0]["next_occurrence"] == rotations[1]["key"] and rotations[0]["status"] == "done"
    assert tasks["=HYPERLINK(\"http://evil.example\")"]["deleted_at"] is not None  # the trash is data too
    changes = [a for a in tasks["Refund table"]["activity"] if a["field"] == "status"]
    assert changes[0]["old"] == "todo" and changes[0]["new"] == "in_progress"
    assigned = [a for a in tasks["Refund table"]["activity"] if a["kind"] == "created"]
    assert assigned[0]["actor"] == t["olga"].email
    shared = next(s for s in document["saved_filters"] if s["shared"])
    assert f"assignee={t['manu'].email.replace('@', '%40')}" in shared["query"]
    assert "feature=F1" in shared["query"]
    text = json.dumps(document)
    for number in (t["code"].id, t["feature"].id):  # no database id leaks in as a reference
        assert f'"feature": {number}' not in text and f'"blocked_by": [{number}' not in text


def test_export_import_export_is_identical_apart_from_ids(app):
    t = rich_team()
    t["team"].two_factor_required = "managers"
    t["olga"].two_factor_enabled_at = NOW  # the requirement covers her: she has a second factor
    db.session.commit()
    first = transfer.export_team(t["team"])
    assert first["team"]["two_factor_required"] == "managers"
    notifications = db.session.scalar(select(func.count(Notification.id)))
    imported = transfer.import_team(copy.deepcopy(first), t["olga"])
    assert imported.unmatched == [] and imported.tasks == len(first["tasks"])
    assert imported.team.id != t["team"].id and imported.team.slug == "payments-2"
    second = transfer.export_team(db.session.get(Team, imported.team.id))
    assert without_team_names(second) == without_team_names(first)
    # A restore is not news: nobody is notified of the imported tasks.
    assert db.session.scalar(select(func.count(Notification.id))) == notifications
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0
    # The new team's forecast is stored, as the periodic pass would compute it.
    new_open = list(db.session.scalars(select(Task.id).where(
        Task.team_id == imported.team.id, Task.status != "done", Task.deleted_at.is_(None))))
    stored = set(db.session.scalars(
        select(StoredForecast.task_id).where(StoredForecast.team_id == imported.team.id)))
    assert stored == set(new_open) and len(stored) >= 3
    assert db.session.scalar(select(func.count(TaskOccurrence.previous_task_id))) == 2


def test_the_importer_owns_the_team_and_unknown_people_are_reported(app):
    t = rich_team()
    document = transfer.export_team(t["team"])
    document["members"].append({"email": "ghost@nowhere.example", "name": "Ghost", "role": "manager",
                                "joined_at": None})
    code = next(x for x in document["tasks"] if x["title"] == "Refund endpoint")
    code["assignee"] = "ghost@nowhere.example"
    code["time_entries"][0]["user"] = "ghost@nowhere.example"
    imported = transfer.import_team(document, t["manu"], known_to=t["manu"])
    assert imported.unmatched == ["ghost@nowhere.example"]
    roles = dict(db.session.execute(select(TeamMembership.user_id, TeamMembership.role).where(
        TeamMembership.team_id == imported.team.id)).all())
    assert roles == {t["olga"].id: "owner", t["manu"].id: "owner", t["mia"].id: "member"}
    task = db.session.scalar(
        select(Task).where(Task.team_id == imported.team.id, Task.title == "Refund endpoint"))
    assert task.assignee_id is None and task.estimate_hours == 8 and len(task.checklist) == 2
    [entry] = task.time_entries
    assert entry.hours == 2.5 and entry.user_id == t["manu"].id and entry.note.startswith("[ghost@")


def test_an_upload_matches_only_people_the_importer_already_works_with(app):
    """Otherwise an upload listing addresses would tell who has an account (an enumeration oracle)."""
    t = rich_team()
    stranger = make_user("Sam")
    make_team(stranger, "Elsewhere")
    document = transfer.export_team(t["team"])
    document["members"].append({"email": stranger.email, "role": "member"})
    loner = make_user("Lou")
    imported = transfer.import_team(document, loner, known_to=loner)
    assert stranger.email in imported.unmatched and t["olga"].email in imported.unmatched
    members = set(db.session.scalars(
        select(TeamMembership.user_id).where(TeamMembership.team_id == imported.team.id)))
    assert members == {loner.id}


HOSTILE = [
    ("not a dict", lambda d: [], "document"),
    ("wrong format", lambda d: {**d, "format": "jira"}, "format"),
    ("future version", lambda d: {**d, "version": 2}, "version"),
    ("unknown member role", lambda d: {**d, "members": [{"email": "a@b.c", "role": "admin"}]},
     "members[0].role"),
    ("unknown status", lambda d: _task(d, status="finished"), "tasks[0].status"),
    ("unknown category", lambda d: _task(d, category="nope"), "tasks[0].category"),
    ("blocker outside the document", lambda d: _task(d, blocked_by=["T999"]), "tasks[0].blocked_by"),
    ("title too long", lambda d: _task(d, title="x" * 201), "tasks[0].title"),
    ("NUL in a comment", lambda d: _task(d, description="a\x00b"), "document.tasks[0].description"),
    ("extra field", lambda d: _task(d, id=5), "tasks[0].id"),
    ("limit of a closed column", lambda d: {**d, "wip_limits": {"done": 3}}, "wip_limits.done.[key]"),
    ("naive time", lambda d: _task(d, created_at="2026-01-01T10:00:00"), "tasks[0].created_at"),
    ("deadline in 9999", lambda d: _task(d, due_at="9999-01-01T00:00:00Z"), "tasks[0].due_at"),
    ("time logged in year 1", lambda d: _task(d, time_entries=[{"hours": 1, "spent_on": "0001-01-01"}]),
     "tasks[0].time_entries[0].spent_on"),
    ("negative hours", lambda d: _task(d, time_entries=[{"hours": -1, "spent_on": "2026-01-01"}]),
     "tasks[0].time_entries[0].hours"),
    ("bad rule", lambda d: _task(d, recurrence="FREQ=SOMETIMES"), "tasks[0]"),
    ("duplicate keys", lambda d: {**d, "tasks": d["tasks"] + d["tasks"][:1]}, "tasks"),
    # History the pages could not tell in words: refused, not a 500 on the task's page later.
    ("unknown history kind", lambda d: _history(d, kind="exploded"), "tasks[0]"),
    ("estimate as text", lambda d: _history(d, field="estimate_hours", new="lots"), "tasks[0]"),
    ("assignee as an object", lambda d: _history(d, field="assignee_id", new={"id": 1}), "tasks[0]"),
    ("deadline in year 1", lambda d: _history(d, field="due_at", new="0001-01-01T00:00:00Z"), "tasks[0]"),
    ("time entry without hours", lambda d: _history(d, kind="time_logged", new={"spent_on": "2026-01-01"}),
     "tasks[0]"),
    ("checklist change of another shape", lambda d: _history(d, field="checklist", old=1, new=2), "tasks[0]"),
]


def _history(document: dict, **entry) -> dict:
    document = copy.deepcopy(document)
    document["tasks"][0]["activity"].append({"actor": None, "kind": "changed", "field": None, "old": None,
                                             "new": None, "created_at": "2026-01-01T00:00:00Z", **entry})
    return document


def _task(document: dict, **fields) -> dict:
    document = copy.deepcopy(document)
    document["tasks"][0].update(fields)
    return document


def test_a_two_factor_requirement_that_would_shut_the_importer_out_is_refused(app):
    t = rich_team()
    document = transfer.export_team(t["team"])
    document["team"]["two_factor_required"] = "everyone"
    before = database_digest()
    with pytest.raises(transfer.Invalid) as refused:
        transfer.import_team(document, t["mia"])
    assert "Turn on two-factor" in refused.value.errors["team.two_factor_required"][0]
    assert database_digest() == before


def test_a_loop_of_blockers_is_refused(app):
    t = rich_team()
    document = transfer.export_team(t["team"])
    document["tasks"][0]["blocked_by"] = [document["tasks"][1]["key"]]
    document["tasks"][1]["blocked_by"] = [document["tasks"][0]["key"]]
    with pytest.raises(transfer.Invalid) as refused:
        transfer.import_team(document, t["olga"])
    assert "loop" in str(refused.value.errors["tasks"])


@pytest.mark.parametrize(("case", "spoil", "where"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_bad_document_is_refused_and_writes_nothing(app, case, spoil, where):
    t = rich_team()
    document = spoil(transfer.export_team(t["team"]))
    before = database_digest()
    with pytest.raises(transfer.Invalid) as refused:
        transfer.import_team(document, t["olga"])
    assert where in refused.value.errors, refused.value.errors
    assert database_digest() == before


@pytest.mark.parametrize("raw", [b"", b"{", b"NaN", b'{"a": NaN}', b"[" * 100_000, b"\xff\xfe"])
def test_unreadable_text_is_refused(app, raw):
    with pytest.raises(transfer.Invalid) as refused:
        transfer.read_document(raw)
    assert "file" in refused.value.errors


def test_a_document_over_the_size_limit_is_refused_unread(app, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(transfer.Invalid, match="file"):
        transfer.read_document(b" " * 101)


# CSV -----------------------------------------------------------------------------------------------


def test_tasks_as_csv_neutralise_formulas(app):
    t = rich_team()
    o = t["o"]
    make_task(o, "+1 for tabs", description="\tindent")
    make_task(o, "-dash", description="\rreturn")
    rows = list(csv.DictReader(io.StringIO(transfer.export_tasks_csv(t["team"]))))
    titles = [r["title"] for r in rows]
    assert "'+1 for tabs" in titles and "'-dash" in titles
    assert not any(r["title"].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows)
    assert not any(r["description"].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows)
    code = next(r for r in rows if r["title"] == "Refund endpoint")
    assert code["assignee"] == t["mia"].email and code["spent_hours"] == "2.5"
    assert code["blocked_by"].startswith("#")
    assert all("HYPERLINK" not in r["title"] for r in rows)  # the trashed task is not in the sheet


# Command line ----------------------------------------------------------------------------------------


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def test_flask_export_and_import_round_trip(app, tmp_path):
    t = rich_team()
    exported = run(app, "export", t["team"].slug)
    assert exported.exit_code == 0, exported.output
    path = tmp_path / "payments.json"
    path.write_text(exported.output)
    imported = run(app, "import", str(path))  # the export's owner has an account: she owns the copy
    assert imported.exit_code == 0, imported.output
    slug = imported.output.strip().splitlines()[-1]
    team = db.session.scalar(select(Team).where(Team.slug == slug))
    assert membership(team.id, t["olga"]).role == "owner"
    again = run(app, "export", slug)
    assert without_team_names(json.loads(again.output)) == without_team_names(json.loads(exported.output))
    by_manu = run(app, "import", str(path), "--owner", t["manu"].email)
    assert membership(db.session.scalar(select(Team.id).where(Team.slug == by_manu.output.split()[-1])),
                      t["manu"]).role == "owner"


def test_flask_import_refuses_bad_files_and_unknown_owners(app, tmp_path):
    t = rich_team()
    good = tmp_path / "good.json"
    good.write_text(transfer.export_json(t["team"]))
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "tracker.team-export", "version": 1}')
    teams_before = db.session.scalar(select(func.count(Team.id)))
    cases = (((str(bad),), "error: categories"),
             ((str(good), "--owner", "nobody@example.com"), "error: No account uses nobody@example.com"))
    for args, message in cases:
        result = run(app, "import", *args)
        assert result.exit_code == 1 and message in result.output, result.output
    assert run(app, "export", "no-such-team").exit_code == 1
    assert db.session.scalar(select(func.count(Team.id))) == teams_before


# Pages ------------------------------------------------------------------------------------------------


def test_settings_link_export_downloads_and_upload(app, client):
    t = rich_team()
    login(client, t["olga"])
    settings = client.get(f"/teams/{t['team'].id}/settings").get_data(as_text=True)
    assert f"/teams/{t['team'].id}/transfer" in settings
    page = client.get(f"/teams/{t['team'].id}/transfer")
    assert page.status_code == 200
    download = client.get(f"/teams/{t['team'].id}/export.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    sheet = client.get(f"/teams/{t['team'].id}/export.csv")
    assert sheet.mimetype == "text/csv" and sheet.get_data(as_text=True).startswith("id,title")
    upload = client.post("/teams/import", data={"file": (io.BytesIO(download.data), "payments.json")},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    new_id = int(upload.headers["Location"].split("/teams/")[1].split("/")[0])
    assert membership(new_id, t["olga"]).role == "owner"


def test_upload_of_a_bad_file_shows_errors_and_writes_nothing(app, client):
    t = rich_team()
    login(client, t["olga"])
    before = database_digest()
    bad = json.dumps({"format": "tracker.team-export", "version": 1, "team": {"name": "X"}, "categories": [],
                      "tasks": [{"key": "T1"}]}).encode()
    answer = client.post("/teams/import", data={"file": (io.BytesIO(bad), "bad.json")},
                         content_type="multipart/form-data")
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "categories" in text and "tasks[0].title" in text
    assert database_digest() == before
    assert client.post("/teams/import", data={}).status_code == 422


def test_the_imported_teams_pages_show_its_history(app, client):
    t = rich_team()
    imported = transfer.import_team(transfer.export_team(t["team"]), t["olga"])
    login(client, t["olga"])
    code = db.session.scalar(
        select(Task).where(Task.team_id == imported.team.id, Task.title == "Refund endpoint"))
    page = client.get(f"/tasks/{code.id}")
    assert page.status_code == 200 and "Idempotency key" in page.get_data(as_text=True)
    feed = client.get(f"/teams/{imported.team.id}/activity")
    assert feed.status_code == 200 and "ticked" in feed.get_data(as_text=True)
    assert client.get(f"/teams/{imported.team.id}/features").status_code == 200


def test_upload_needs_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = make_user("Cora")
    client.post("/login", data={"email": user.email, "password": "x"})  # no token: refused as well
    before = database_digest()
    answer = client.post("/teams/import", data={"file": (io.BytesIO(b"{}"), "t.json")},
                         content_type="multipart/form-data")
    assert answer.status_code == 400 and database_digest() == before


def test_members_cannot_export(app, client):
    t = rich_team()
    login(client, t["mia"])
    assert client.get(f"/teams/{t['team'].id}/export.json").status_code == 403
    assert client.get(f"/teams/{t['team'].id}/transfer").status_code == 403


def test_restore_keeps_stored_forecast_in_step(app):
    t = rich_team()
    imported = transfer.import_team(transfer.export_team(t["team"]), t["olga"])
    stored = {r.task_id: r.projected_finish_at for r in db.session.scalars(
        select(StoredForecast).where(StoredForecast.team_id == imported.team.id))}
    stored_forecast.refresh_all()
    db.session.expire_all()
    fresh = {r.task_id: r.projected_finish_at for r in db.session.scalars(
        select(StoredForecast).where(StoredForecast.team_id == imported.team.id))}
    assert stored.keys() == fresh.keys()

