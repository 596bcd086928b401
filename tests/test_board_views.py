"""Views remember you (tracker/boards.py): the board opens on the filter and swimlanes each person last
used there; swimlanes by assignee or feature; a manager's work-in-progress limit per column, shown when
exceeded; all in a fixed number of queries."""
from __future__ import annotations

import pytest

from tests.factories import login, make_task
from tests.support import statements_for
from tracker import boards, features
from tracker.errors import Forbidden, Invalid
from tracker.extensions import db
from tracker.models import BoardView, WipLimit


@pytest.fixture
def board(crew, client):
    """The member's board with tasks of three people, one with a feature."""
    m = crew["owner_m"]
    feature = features.create_feature(m, {"title": "Billing <v2>"})
    tasks = {
        "mine": make_task(m, "Mine", assignee_id=crew["member"].id, category="security"),
        "managers": make_task(m, "Manager's", assignee_id=crew["manager"].id, status="in_progress"),
        "nobody": make_task(m, "Nobody's", feature_id=feature.id, status="in_progress"),
    }
    login(client, crew["member"])
    return {**crew, **tasks, "feature": feature, "url": f"/teams/{crew['team_id']}/board"}


def titles(client, url: str) -> set[str]:
    html = client.get(url).get_data(as_text=True)
    return {name for name in ("Mine", "Manager&#39;s", "Nobody&#39;s") if name in html}


def test_the_board_opens_on_the_filter_last_used_there(board, client):
    assert titles(client, board["url"]) == {"Mine", "Manager&#39;s", "Nobody&#39;s"}
    assert titles(client, board["url"] + "?assignee=me") == {"Mine"}
    page = client.get(board["url"]).get_data(as_text=True)
    assert "The filter you last used on this board" in page
    assert titles(client, board["url"]) == {"Mine"}
    # Clear asks for an empty filter, which is remembered too.
    assert f'href="{board["url"]}?q="' in page
    assert titles(client, board["url"] + "?q=") == {"Mine", "Manager&#39;s", "Nobody&#39;s"}
    assert "The filter you last used" not in client.get(board["url"]).get_data(as_text=True)


def test_each_person_and_team_has_their_own_memory(board, client):
    client.get(board["url"] + "?assignee=me&lanes=assignee")
    view = db.session.get(BoardView, (board["member"].id, board["team_id"]))
    assert view.args == {"assignee": "me", "lanes": "assignee"}
    assert db.session.get(BoardView, (board["owner"].id, board["team_id"])) is None
    client.get(board["url"] + "?assignee=me&lanes=assignee&limit_todo=100")  # show-more is not remembered
    client.get(board["url"] + "?limit_todo=100")  # nor does a "show more" alone forget the filter
    db.session.refresh(view)
    assert view.args == {"assignee": "me", "lanes": "assignee"}


def test_a_refused_filter_is_not_remembered_and_a_stale_memory_is_forgotten(board, client):
    client.get(board["url"] + "?category=security")
    assert client.get(board["url"] + "?priority=urgent").status_code == 422
    view = db.session.get(BoardView, (board["member"].id, board["team_id"]))
    assert view.args == {"category": "security"}
    # A category that no longer parses (here: a value the filter refuses) is dropped, not a 422 forever.
    view.args = {"priority": "urgent"}
    db.session.commit()
    assert client.get(board["url"]).status_code == 200
    db.session.refresh(view)
    assert view.args == {}


@pytest.mark.parametrize("lanes", ["", "sideways"])
def test_swimlanes_are_by_assignee_or_by_feature_only(board, client, lanes):
    status = client.get(board["url"] + f"?lanes={lanes}").status_code
    assert status == (200 if lanes == "" else 422)


def test_swimlanes_by_assignee_and_by_feature(board, client):
    html = client.get(board["url"] + "?lanes=assignee").get_data(as_text=True)
    lanes = [html.index(f'>{name} <span class="count">') for name in ("Manu", "Mia", "Unassigned")]
    assert lanes == sorted(lanes)  # by name, unassigned last
    assert html.index("Manager&#39;s") > lanes[0] and html.index("Mine") > lanes[1]
    assert html.index("Nobody&#39;s") > lanes[2]
    by_feature = client.get(board["url"] + "?lanes=feature").get_data(as_text=True)
    assert 'Billing &lt;v2&gt; <span class="count">1</span>' in by_feature
    assert 'No feature <span class="count">2</span>' in by_feature


def test_a_manager_sets_wip_limits_and_everyone_sees_a_column_over_it(board, client):
    member_m, manager_m = board["member_m"], board["manager_m"]
    with pytest.raises(Forbidden):
        boards.set_wip_limits(member_m, {"in_progress": "1"})
    assert boards.set_wip_limits(manager_m, {"in_progress": "1", "todo": ""}) == {"in_progress": 1}
    html = client.get(board["url"] + "?assignee=me").get_data(as_text=True)
    # The member's filter shows none of the two in progress; the limit is on the team's column.
    assert "WIP 2/1: over the limit" in html and 'class="column over-limit" data-status="in_progress"' in html
    assert "Work-in-progress limits" not in html  # the settings are the managers'
    assert boards.set_wip_limits(manager_m, {"in_progress": "2"}) == {"in_progress": 2}
    assert "over the limit" not in client.get(board["url"]).get_data(as_text=True)


@pytest.mark.parametrize("value", ["0", "1000", "x", "-1", "1.5"])
def test_a_bad_wip_limit_is_refused_beside_its_field_and_nothing_is_written(board, app, value):
    client = app.test_client()
    login(client, board["manager"])
    boards.set_wip_limits(board["manager_m"], {"todo": "4"})
    response = client.post(f"/teams/{board['team_id']}/board/limits", data={"todo": "3", "in_progress": value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="wip-in_progress-error">A whole number from 1 to 999' in html
    assert f'name="in_progress" inputmode="numeric" size="4" value="{value}"' in html  # the input is kept
    assert boards.wip_limits(board["team_id"]) == {"todo": 4}


def test_a_refused_limits_form_with_filter_like_fields_remembers_no_filter(board, app):
    """The form fuzzing found it: the refused form's fields were read as the board's filter and kept."""
    client = app.test_client()
    login(client, board["manager"])
    response = client.post(f"/teams/{board['team_id']}/board/limits",
                           data={"in_progress": "x", "status": "todo", "lanes": "assignee"})
    assert response.status_code == 422
    assert db.session.query(BoardView).count() == 0


def test_a_member_cannot_post_limits_and_another_team_is_not_found(board, client):
    assert client.post(f"/teams/{board['team_id']}/board/limits", data={"todo": "3"}).status_code == 403
    assert client.post(f"/teams/{board['other_team_id']}/board/limits", data={"todo": "3"}).status_code == 404
    assert db.session.query(WipLimit).count() == 0


def test_lanes_and_limits_keep_the_queries_per_request_constant(board, client):
    boards.set_wip_limits(board["manager_m"], {"in_progress": "1", "todo": "5"})
    urls = [board["url"] + "?lanes=assignee", board["url"] + "?lanes=feature", board["url"]]
    few = [statements_for(client.get, url) for url in urls]
    m = board["owner_m"]
    for n in range(15):
        make_task(m, f"More {n}", assignee_id=[board["member"].id, board["manager"].id, None][n % 3],
                  feature_id=board["feature"].id if n % 2 else None)
    assert [statements_for(client.get, url) for url in urls] == few


def test_parse_lanes():
    assert boards.parse_lanes("") is None and boards.parse_lanes("feature") == "feature"
    with pytest.raises(Invalid):
        boards.parse_lanes("status")
