"""Starting out: a new team's empty board and matrix lead to the first task (and, for managers, to
importing tasks); the comment box suggests the task's team members to mention, and nobody else."""
from __future__ import annotations

import pytest

from tests.factories import add_to_team, login, make_task, make_team, make_user
from tracker import comments


@pytest.mark.parametrize("page", ["board", "eisenhower"])
def test_a_new_teams_views_lead_to_the_first_task_and_to_importing(crew, client, page):
    url = f"/teams/{crew['team_id']}/{page}"
    login(client, crew["manager"])
    html = client.get(url).get_data(as_text=True)
    assert "No open tasks in Backend yet" in html
    assert f'href="/teams/{crew["team_id"]}/tasks/new">Create the first task' in html
    assert f'href="/teams/{crew["team_id"]}/transfer">Import tasks' in html
    make_task(crew["owner_m"], "The first")
    assert "No open tasks in" not in client.get(url).get_data(as_text=True)


def test_a_member_who_cannot_import_is_offered_the_first_task_only(crew, client):
    login(client, crew["member"])
    html = client.get(f"/teams/{crew['team_id']}/board").get_data(as_text=True)
    assert "Create the first task" in html and "Import tasks" not in html


def test_a_filter_that_matches_nothing_is_not_taken_for_a_new_team(crew, client):
    make_task(crew["owner_m"], "Something", priority="low")
    login(client, crew["member"])
    html = client.get(f"/teams/{crew['team_id']}/board?priority=critical").get_data(as_text=True)
    assert "No open tasks in" not in html


@pytest.fixture
def talk(crew):
    """A task of the crew's team, and an outsider's team with people named like the crew."""
    task = make_task(crew["owner_m"], "Discuss the schema")
    elsewhere = make_team(crew["outsider"], "Elsewhere")
    add_to_team(elsewhere, make_user("Manuela"))
    return {**crew, "task": task}


def names(client, task_id: int, q: str) -> list[str]:
    response = client.get(f"/tasks/{task_id}/mentions", query_string={"q": q})
    assert response.status_code == 200
    return [person["name"] for person in response.get_json()["items"]]


def test_mention_suggestions_are_the_tasks_team_members_only(talk, client):
    login(client, talk["member"])
    task = talk["task"].id
    assert names(client, task, "") == ["Manu", "Olga"]  # the writer is not suggested
    assert names(client, task, "man") == ["Manu"]  # not Manuela, who is in another team
    assert names(client, task, "MA") == ["Manu"]
    assert names(client, task, "olga-") == ["Olga"]  # by email
    assert names(client, task, "%") == [] and names(client, task, "_") == []  # no LIKE wildcards
    assert names(client, task, "x" * 500) == []


def test_mention_suggestions_on_another_teams_task_are_not_found(talk, client):
    login(client, talk["outsider"])
    assert client.get(f"/tasks/{talk['task'].id}/mentions?q=m").status_code == 404


def test_mention_candidates_match_later_words_of_a_name(app):
    owner = make_user("Ana Lima")
    team = make_team(owner)
    add_to_team(team, make_user("Bea Limaço"))
    add_to_team(team, make_user("Carl"))
    assert [u.name for u in comments.mention_candidates(team, "lim")] == ["Bea Limaço"]
    assert len(comments.mention_candidates(team, "", limit=1)) == 1


def test_the_comment_box_offers_suggestions_by_script(talk, client):
    login(client, talk["member"])
    html = client.get(f"/tasks/{talk['task'].id}").get_data(as_text=True)
    assert f'data-mentions="/tasks/{talk["task"].id}/mentions"' in html and "js/mentions.js" in html
