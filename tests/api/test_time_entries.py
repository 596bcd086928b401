"""Contract tests for time entries: /tasks/{id}/time-entries and /time-entries/{id}."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.factories import add_to_team, make_task, make_user, membership


from .conftest import assert_problem, token_for


def test_log_list_read_and_delete_time(api, cast):
    task = make_task(membership(cast["team_id"], cast["owner"]))
    member = api.as_(cast["member_token"])
    r = member.post(
        f"/tasks/{task.id}/time-entries", json={"hours": 1.5, "spent_on": "2026-11-20", "note": " review "}
    )
    assert r.status_code == 201
    entry = r.get_json()
    assert entry["hours"] == 1.5 and entry["spent_on"] == "2026-11-20" and entry["note"] == "review"
    assert entry["user_id"] == cast["member"].id and entry["task_id"] == task.id
    assert r.headers["Location"].endswith(f"/api/v1/time-entries/{entry['id']}")
    api.post(f"/tasks/{task.id}/time-entries", json={"hours": 2, "spent_on": "2026-11-19"})

    listing = api.get(f"/tasks/{task.id}/time-entries").get_json()
    assert [e["spent_on"] for e in listing["items"]] == ["2026-11-19", "2026-11-20"] and listing["total"] == 2
    assert api.get(f"/tasks/{task.id}").get_json()["spent_hours"] == 3.5
    assert api.get(f"/time-entries/{entry['id']}").get_json()["hours"] == 1.5

    other = api.as_(cast["outsider_token"])
    assert_problem(other.get(f"/time-entries/{entry['id']}"), 404)
    assert_problem(
        other.post(f"/tasks/{task.id}/time-entries", json={"hours": 1, "spent_on": "2026-11-20"}), 404
    )
    own_entry_of_owner = listing["items"][0]["id"]
    assert_problem(member.delete(f"/time-entries/{own_entry_of_owner}"), 403)
    assert member.delete(f"/time-entries/{entry['id']}").status_code == 204
    assert_problem(api.get(f"/time-entries/{entry['id']}"), 404)


def test_time_validation_names_the_field(api, cast):
    task = make_task(membership(cast["team_id"], cast["owner"]))
    path = f"/tasks/{task.id}/time-entries"
    far = (date.today() + timedelta(days=3)).isoformat()
    assert_problem(api.post(path, json={"hours": 0, "spent_on": "2026-11-20"}), 422, "hours")
    assert_problem(api.post(path, json={"hours": 25, "spent_on": "2026-11-20"}), 422, "hours")
    assert_problem(api.post(path, json={"hours": "2", "spent_on": "2026-11-20"}), 422, "hours")
    assert_problem(api.post(path, json={"hours": 1, "spent_on": far}), 422, "spent_on")
    assert_problem(api.post(path, json={"hours": 1, "spent_on": "yesterday"}), 422, "spent_on")
    assert_problem(api.post(path, json={"hours": 1, "spent_on": ""}), 422, "spent_on")
    assert_problem(
        api.post(path, json={"hours": 1, "spent_on": "2026-11-20", "note": "x" * 501}), 422, "note"
    )
    assert api.get(path).get_json()["total"] == 0


def test_a_time_entry_without_a_day_is_logged_today_in_the_callers_zone(api, cast):
    """The contract: `spent_on` is optional, meaning today where the caller is (Kiritimati, UTC+14, is on
    another day than UTC for 14 hours of every day)."""
    kiritimati = make_user("Teuea", timezone="Pacific/Kiritimati")
    add_to_team(membership(cast["team_id"], cast["owner"]), kiritimati)
    task = make_task(membership(cast["team_id"], cast["owner"]))
    caller = api.as_(token_for(kiritimati))
    before = datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    r = caller.post(f"/tasks/{task.id}/time-entries", json={"hours": 1.25, "note": "no day given"})
    after = datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["spent_on"] in (before, after) and r.get_json()["hours"] == 1.25
    r = caller.post(f"/tasks/{task.id}/time-entries", json={"hours": 1, "spent_on": None})
    assert r.status_code == 201 and r.get_json()["spent_on"] in (before, after)
