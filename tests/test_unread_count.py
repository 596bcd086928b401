"""The header's unread count as JSON, which static/js/notifications.js polls."""
from __future__ import annotations

from tests.factories import add_to_team, login, make_task, make_team, make_user
from tracker.comments import add_comment


def test_the_unread_count_follows_mentions_and_is_private(client, app):
    olga, mia = make_user("Olga"), make_user("Mia")
    owner = make_team(olga)
    member = add_to_team(owner, mia)
    task = make_task(owner, "Split the ledger service")
    login(client, mia)
    assert client.get("/notifications/unread").get_json() == {"unread": 0}

    add_comment(owner, task, "@Mia please review")
    assert client.get("/notifications/unread").get_json() == {"unread": 1}
    add_comment(member, task, "@Olga done")  # Olga's, not Mia's
    assert client.get("/notifications/unread").get_json() == {"unread": 1}

    client.post("/notifications/read")
    assert client.get("/notifications/unread").get_json() == {"unread": 0}

    client.post("/logout")
    response = client.get("/notifications/unread")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
