"""Contract tests for comments, activity, notifications, webhooks and calendar feeds over the API."""

from __future__ import annotations

from tests.factories import make_task, membership
from tracker.comments import BODY_MAX

from .conftest import assert_problem

HOOK_URL = "https://93.184.215.14/tracker-hook"  # a public address literal: no DNS needed


def test_comments_with_mentions_edit_and_delete(api, cast):
    task = make_task(membership(cast["team_id"], cast["owner"]))
    r = api.post(f"/tasks/{task.id}/comments", json={"body": "Ready for **review**, @Mia?"})
    assert r.status_code == 201
    comment = r.get_json()
    assert r.headers["Location"].endswith(f"/api/v1/comments/{comment['id']}")
    assert comment["author_id"] == cast["owner"].id and "<strong>review</strong>" in comment["body_html"]
    assert comment["edited_at"] is None

    listing = api.get(f"/tasks/{task.id}/comments").get_json()
    assert [c["id"] for c in listing["items"]] == [comment["id"]] and listing["total"] == 1
    assert api.get(f"/comments/{comment['id']}").get_json()["body"] == "Ready for **review**, @Mia?"

    mia = api.as_(cast["member_token"])
    notes = mia.get("/notifications?unread=true").get_json()
    assert any(
        n["kind"] == "mentioned" and n["task_id"] == task.id and n["read"] is False for n in notes["items"]
    )

    assert_problem(mia.patch(f"/comments/{comment['id']}", json={"body": "hijack"}), 403)
    r = api.patch(f"/comments/{comment['id']}", json={"body": "Ready for review."})
    assert r.status_code == 200 and r.get_json()["edited_at"] is not None
    assert_problem(api.post(f"/tasks/{task.id}/comments", json={"body": "   "}), 422, "body")
    assert_problem(api.post(f"/tasks/{task.id}/comments", json={}), 422, "body")
    assert_problem(mia.delete(f"/comments/{comment['id']}"), 403)
    assert_problem(api.as_(cast["outsider_token"]).get(f"/comments/{comment['id']}"), 404)
    assert api.delete(f"/comments/{comment['id']}").status_code == 204
    assert_problem(api.get(f"/comments/{comment['id']}"), 404)


def test_a_comment_body_is_held_to_its_documented_type_and_length(api, cast, contract):
    """What the document says the body may be is what the API takes: a string of at most BODY_MAX
    characters (the limit the comment module applies is in the schema too), nothing else in the object."""
    task = make_task(membership(cast["team_id"], cast["owner"]))
    schema = contract.document["components"]["schemas"]["CommentWrite"]
    assert schema["properties"]["body"]["maxLength"] == BODY_MAX
    for bad in ({"body": "x" * (BODY_MAX + 1)}, {"body": 1}, {"body": True}, {"body": "ok", "author_id": 1}):
        assert_problem(api.post(f"/tasks/{task.id}/comments", json=bad), 422)
    assert api.get(f"/tasks/{task.id}/comments").get_json()["total"] == 0
    assert api.post(f"/tasks/{task.id}/comments", json={"body": "x" * BODY_MAX}).status_code == 201


def test_task_history_and_team_feed(api, cast):
    created = api.post(
        f"/teams/{cast['team_id']}/tasks", json={"title": "Index", "category": "database"}
    ).get_json()
    api.patch(f"/tasks/{created['id']}", json={"priority": "high"})
    r = api.get(f"/tasks/{created['id']}/activity")
    assert r.status_code == 200
    history = r.get_json()["items"]
    assert [h["kind"] for h in history][:2] == ["created", "changed"]
    change = history[1]
    assert (change["field"], change["old_value"], change["new_value"]) == ("priority", "medium", "high")
    assert change["actor_id"] == cast["owner"].id

    feed = api.get(f"/teams/{cast['team_id']}/activity?kind=changes").get_json()
    assert feed["total"] >= 2 and feed["items"][0]["task_id"] == created["id"]
    assert api.get(f"/teams/{cast['team_id']}/activity?kind=comments").get_json()["total"] == 0
    assert_problem(api.get(f"/teams/{cast['team_id']}/activity?kind=gossip"), 422, "kind")
    assert_problem(api.get(f"/teams/{cast['other_team_id']}/activity"), 404)


def test_notifications_mark_some_or_all_read(api, cast):
    owner = membership(cast["team_id"], cast["owner"])
    mia = api.as_(cast["member_token"])
    for title in ("One", "Two"):
        task = make_task(owner, title)
        api.patch(f"/tasks/{task.id}", json={"assignee_id": cast["member"].id})
    notes = mia.get("/notifications").get_json()
    assert notes["total"] == 2 and all(n["kind"] == "assigned" and not n["read"] for n in notes["items"])
    first = notes["items"][0]["id"]
    r = mia.post("/notifications/read", json={"ids": [first]})
    assert r.status_code == 200 and r.get_json() == {"marked": 1}
    assert mia.get("/notifications?unread=true").get_json()["total"] == 1
    assert mia.post("/notifications/read", json={}).get_json() == {"marked": 1}
    assert mia.get("/notifications?unread=true").get_json()["total"] == 0
    assert_problem(mia.post("/notifications/read", json={"ids": ["all"]}), 422, "ids")


def test_webhooks_are_for_managers(api, cast):
    team = cast["team_id"]
    r = api.post(f"/teams/{team}/webhooks", json={"url": HOOK_URL, "events": ["task.created"]})
    assert r.status_code == 201, r.get_json()
    hook = r.get_json()
    assert len(hook["secret"]) >= 16 and hook["events"] == ["task.created"] and hook["active"] is True
    assert r.headers["Location"].endswith(f"/api/v1/webhooks/{hook['id']}")
    listing = api.get(f"/teams/{team}/webhooks").get_json()
    assert [h["id"] for h in listing["items"]] == [hook["id"]] and "secret" not in listing["items"][0]
    assert api.get(f"/webhooks/{hook['id']}").get_json()["url"] == HOOK_URL

    assert_problem(
        api.post(f"/teams/{team}/webhooks", json={"url": "http://127.0.0.1/x", "events": ["task.created"]}),
        422,
        "url",
    )
    assert_problem(
        api.post(f"/teams/{team}/webhooks", json={"url": HOOK_URL, "events": ["task.exploded"]}),
        422,
        "events",
    )
    member = api.as_(cast["member_token"])
    assert_problem(member.get(f"/teams/{team}/webhooks"), 403)
    assert_problem(
        member.post(f"/teams/{team}/webhooks", json={"url": HOOK_URL, "events": ["task.created"]}), 403
    )
    assert_problem(member.delete(f"/webhooks/{hook['id']}"), 403)
    assert_problem(api.as_(cast["outsider_token"]).delete(f"/webhooks/{hook['id']}"), 404)
    assert api.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert_problem(api.get(f"/webhooks/{hook['id']}"), 404)


def test_calendar_feed_urls_and_rotation(api, cast):
    r = api.get("/me/calendar")
    assert r.status_code == 200
    urls = r.get_json()
    assert urls["user_feed_url"].endswith(".ics") and set(urls["team_feed_urls"]) == {str(cast["team_id"])}
    old = urls["user_feed_url"].split("/calendar/", 1)[1]
    assert api.client.get(f"/calendar/{old}").status_code == 200
    rotated = api.post("/me/calendar/rotate").get_json()
    assert rotated["user_feed_url"] != urls["user_feed_url"]
    assert api.client.get(f"/calendar/{old}").status_code == 404
