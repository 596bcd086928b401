"""Query-string arguments of the HTML pages get the API's bounds: a bad one is a 422 that names it and
says what to use, never a 500 (issue 11, item 3), and the page's good arguments keep working."""
from __future__ import annotations

import pytest

from tests.factories import login, make_task
from tracker import comments

HUGE = "99999999999999999999"

# (address, the argument the answer must name); {t} is the team's id.
BAD = [
    ("/my-time?week=0001-01-01", "week"),
    ("/my-time?week=9999-12-31", "week"),
    ("/my-time?week=1999-12-31", "week"),
    ("/my-time?week=2101-01-01", "week"),
    ("/my-time?week=next-week", "week"),
    ("/notifications?page=" + HUGE, "page"),
    ("/notifications?page=%C2%B2", "page"),  # "²": str.isdigit says yes, int() says no
    ("/notifications?page=0", "page"),
    ("/notifications?page=-1", "page"),
    ("/notifications?page=100001", "page"),
    ("/notifications?unread=maybe", "unread"),
    ("/teams/{t}/activity?page=" + HUGE, "page"),
    ("/teams/{t}/activity?page=%C2%B2", "page"),
    ("/teams/{t}/activity?person=" + HUGE, "person"),
    ("/teams/{t}/activity?person=2147483648", "person"),
    ("/teams/{t}/activity?person=%C2%B2", "person"),
    ("/teams/{t}/activity?person=0", "person"),
    ("/teams/{t}/tasks?page=" + HUGE, "page"),
    ("/teams/{t}/tasks?page=" + "9" * 5000, "page"),  # past int()'s 4300 digits
    ("/teams/{t}/tasks?page=%C2%B2", "page"),
]


def refused_page(client, crew, address: str) -> str:
    login(client, crew["member"])
    response = client.get(address.format(t=crew["team_id"]))
    assert response.status_code == 422, response.get_data(as_text=True)[-2000:]
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("address", "argument"), BAD)
def test_a_bad_query_argument_is_a_422_that_names_it(client, crew, address, argument):
    assert f"{argument}: Use " in refused_page(client, crew, address)


def test_a_script_asking_for_json_gets_the_messages_as_json(client, crew):
    login(client, crew["member"])
    response = client.get(f"/notifications?page={HUGE}", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json() == {"error": "Use a page number from 1 to 100000."}


def test_the_bad_argument_is_named_beside_the_filter_errors(client, crew):
    page = refused_page(client, crew, f"/teams/{{t}}/activity?person={HUGE}&kind=gossip")
    assert "person: Use a user id." in page and "kind: Choose one of: changes, comments, time, features." in page


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "2026-13", "garbage", "1901-01", "2999-12"])
def test_calendar_months_far_out_never_fail(client, crew, month):
    login(client, crew["member"])
    assert client.get(f"/teams/{crew['team_id']}/calendar?month={month}").status_code == 200


def test_good_arguments_still_work(client, crew):
    task = make_task(crew["owner_m"], "Schema", assignee_id=crew["member"].id)
    comments.add_comment(crew["manager_m"], task, "@Mia have a look")
    login(client, crew["member"])
    team = crew["team_id"]
    assert "Week of Mon 23 Nov 2026" in client.get("/my-time?week=2026-11-25").get_data(as_text=True)
    for edge in ("2000-01-01", "2100-12-31"):
        assert client.get(f"/my-time?week={edge}").status_code == 200
    unread = client.get("/notifications?unread=1&page=1").get_data(as_text=True)
    assert "Schema" in unread
    assert client.get("/notifications?unread=0&page=100000").status_code == 200
    by_manager = client.get(f"/teams/{team}/activity?person={crew['manager'].id}&page=1").get_data(as_text=True)
    assert "1 entry" in by_manager and "commented" in by_manager
    assert client.get(f"/teams/{team}/activity?person=2147483647").status_code == 200
    assert client.get(f"/teams/{team}/tasks?page=100000&status=open").status_code == 200
