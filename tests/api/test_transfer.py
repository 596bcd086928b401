"""The API of data in and out: GET /teams/{id}/export (JSON, or CSV), POST /teams/import and
POST /teams/{id}/import with ?dry_run=true, every answer checked against the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import func, select

from tests.api.conftest import BASE
from tests.factories import make_task, membership
from tests.snapshot import database_digest
from tracker.extensions import db
from tracker.models import Task, Team

DATA = Path(__file__).parent.parent / "data"


def test_export_is_the_whole_team_for_managers_only(api, cast):
    o = membership(cast["team_id"], cast["owner"])
    make_task(o, "Index the ledger", labels=["db"], assignee_id=cast["member"].id)
    r = api.get(f"/teams/{cast['team_id']}/export")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    document = r.get_json()
    assert document["format"] == "tracker.team-export" and document["version"] == 1
    assert document["tasks"][0]["assignee"] == cast["member"].email and document["tasks"][0]["key"] == "T1"
    assert api.as_(cast["member_token"]).get(f"/teams/{cast['team_id']}/export").status_code == 403
    assert api.as_(cast["outsider_token"]).get(f"/teams/{cast['team_id']}/export").status_code == 404
    assert api.get(f"/teams/{cast['team_id']}/export?format=xml").status_code == 422


def test_export_as_csv_by_parameter_or_accept(client, cast):
    o = membership(cast["team_id"], cast["owner"])
    make_task(o, "@cmd|' /C calc'!A0")
    auth = {"Authorization": f"Bearer {cast['owner_token']}"}
    for url, headers in ((f"{BASE}/teams/{cast['team_id']}/export?format=csv", auth),
                         (f"{BASE}/teams/{cast['team_id']}/export", {**auth, "Accept": "text/csv"})):
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r.mimetype == "text/csv"
        [row] = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
        assert row["title"] == "'@cmd|' /C calc'!A0"


def test_import_makes_a_new_team_owned_by_the_caller(api, cast):
    o = membership(cast["team_id"], cast["owner"])
    make_task(o, "Index the ledger", assignee_id=cast["member"].id)
    document = api.get(f"/teams/{cast['team_id']}/export").get_json()
    r = api.as_(cast["manager_token"]).post("/teams/import", json=document)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["team"]["role"] == "owner" and body["tasks"] == 1 and body["unmatched"] == []
    assert r.headers["Location"].endswith(f"/teams/{body['team']['id']}")
    again = api.as_(cast["manager_token"]).get(f"/teams/{body['team']['id']}/export").get_json()
    for doc in (document, again):
        doc["team"].pop("slug")
        doc["members"] = [{**m, "role": None} for m in doc["members"]]  # the importer is owner of the copy
    assert again == document


def test_a_bad_import_is_a_problem_and_writes_nothing(api, cast):
    before = database_digest()
    task = {"key": "T1", "title": "t", "category": "zzz", "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z"}
    bad = {"format": "tracker.team-export", "version": 1, "team": {"name": "X"},
           "categories": [{"slug": "a", "name": "A"}], "tasks": [task]}
    r = api.post("/teams/import", json=bad)
    assert r.status_code == 422 and "tasks[0].category" in r.get_json()["errors"]
    json_type = {"Content-Type": "application/json"}
    assert api.post("/teams/import", data="{", headers=json_type).status_code == 400
    assert api.post("/teams/import", data="x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert api.post("/teams/import", json=[1, 2]).status_code == 400
    assert database_digest() == before


def test_csv_dry_run_previews_and_the_real_run_creates(api, cast):
    url = f"/teams/{cast['team_id']}/import"
    text = (DATA / "github_issues.csv").read_text()
    before = database_digest()
    r = api.post(url + "?dry_run=true", json={"csv": text, "default_category": "server-code"})
    assert r.status_code == 200
    preview = r.get_json()
    assert preview["source"] == "github" and preview["valid"] and preview["created"] == 0
    assert [row["values"]["status"] for row in preview["rows"]] == ["todo", "todo", "done"]
    assert database_digest() == before
    r = api.post(url, json={"csv": text, "default_category": "server-code"})
    assert r.status_code == 200 and r.get_json()["created"] == 3
    assert all(row["task_id"] for row in r.get_json()["rows"])
    assert db.session.scalar(select(func.count(Task.id)).where(Task.team_id == cast["team_id"])) == 3


def test_csv_with_bad_rows_is_refused_whole(api, cast):
    url = f"/teams/{cast['team_id']}/import"
    text = (DATA / "bad_rows.csv").read_text()
    preview = api.post(url + "?dry_run=true", json={"csv": text}).get_json()
    assert not preview["valid"] and [bool(r["errors"]) for r in preview["rows"]] == [False, True, True, True]
    before = database_digest()
    r = api.post(url, json={"csv": text})
    assert r.status_code == 422 and "line 4: status" in r.get_json()["errors"]
    assert api.post(url, json={"csv": text, "mapping": {"title": "Nope"}}).status_code == 422
    assert api.as_(cast["member_token"]).post(url, json={"csv": text}).status_code == 403
    assert database_digest() == before
    assert db.session.scalar(select(func.count(Team.id))) == 2


def test_the_export_document_is_described(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get"} <= set(paths["/teams/{team_id}/export"])
    body = paths["/teams/import"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("TeamDocument")
    parameters = {p["name"] for p in paths["/teams/{team_id}/import"]["post"]["parameters"]}
    assert "dry_run" in parameters
    assert json.dumps(paths["/teams/{team_id}/export"]["get"]).count("format") >= 1
