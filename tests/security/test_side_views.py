"""Side views show only what the viewer can open: the team activity feed (page and API) hides trashed
tasks from members who cannot see the trash, and "my time" hides the tasks of a team one has left."""
from __future__ import annotations

from datetime import date

from tests.factories import login, make_task
from tracker import comments, tasks, teams, timelog, tokens

SECRET_TITLE = "Rotate the leaked key"
SECRET_NOTE = "the key is in vault/prod"


def trashed_task_with_history(crew):
    task = make_task(crew["member_m"], SECRET_TITLE)
    comments.add_comment(crew["member_m"], task, "Comment naming the customer Acme")
    timelog.log_time(crew["member_m"], task, 1, date.today(), SECRET_NOTE)
    tasks.move_to_trash(crew["manager_m"], task)
    return task


def feed_page(client, crew) -> str:
    return client.get(f"/teams/{crew['team_id']}/activity").get_data(as_text=True)


def feed_api(client, user, team_id) -> str:
    token = tokens.create_token(user, "feed")[1]
    answer = client.get(f"/api/v1/teams/{team_id}/activity", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_a_member_reads_nothing_of_a_trashed_task_in_the_team_feed(client, crew):
    trashed_task_with_history(crew)
    login(client, crew["member"])
    for text in (feed_page(client, crew), feed_api(client, crew["member"], crew["team_id"])):
        assert SECRET_TITLE not in text and "Acme" not in text and SECRET_NOTE not in text


def test_a_manager_who_can_open_the_trash_still_reads_its_history(client, crew):
    trashed_task_with_history(crew)
    login(client, crew["manager"])
    assert SECRET_TITLE in feed_page(client, crew)
    assert SECRET_TITLE in feed_api(client, crew["manager"], crew["team_id"])


def test_my_time_forgets_the_tasks_of_a_team_one_has_left(client, crew):
    task = make_task(crew["member_m"], SECRET_TITLE)
    timelog.log_time(crew["member_m"], task, 2, date.today(), SECRET_NOTE)
    login(client, crew["member"])
    assert SECRET_TITLE in client.get("/my-time").get_data(as_text=True)
    teams.remove_member(crew["owner_m"], crew["member"].id)
    page = client.get("/my-time").get_data(as_text=True)
    assert SECRET_TITLE not in page and SECRET_NOTE not in page
