"""The forecast page grouped by person: each member's queue in the order it is worked (the stored
projected finish), bounded per person with a link to the rest, in the same number of statements for a
larger team; another team's forecast stays a 404."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.factories import login, make_task
from tests.support import statements_for
from tracker.extensions import db
from tracker.models import StoredForecast


def queue_of(page: str, name: str) -> list[int]:
    """The task ids listed in `name`'s section, in page order."""
    section = re.search(rf'<h2 id="queue-\d+">{name} .*?</section>', page, re.S)
    assert section, f"no section for {name}"
    return [int(i) for i in re.findall(r'<a href="/tasks/(\d+)">#', section.group(0))]


def test_each_persons_queue_in_the_order_it_is_worked(client, crew):
    soon = datetime.now(UTC) + timedelta(days=3)
    made = [make_task(crew["owner_m"], f"Task {i}", assignee_id=crew["member"].id, estimate_hours=2,
                      due_at=soon + timedelta(days=(7 - i) % 4)) for i in range(5)]
    theirs = make_task(crew["owner_m"], "Manu's", assignee_id=crew["manager"].id, estimate_hours=1,
                       due_at=soon)
    make_task(crew["owner_m"], "Nobody's", estimate_hours=1, due_at=soon)
    login(client, crew["manager"])
    page = client.get(f"/teams/{crew['team_id']}/forecast?by=person").get_data(as_text=True)
    stored = select(StoredForecast.task_id, StoredForecast.projected_finish_at)
    finishes = dict(db.session.execute(stored).all())
    expected = sorted((t.id for t in made), key=lambda i: (finishes[i], i))
    assert queue_of(page, "Mia") == expected
    assert queue_of(page, "Manu") == [theirs.id]
    assert queue_of(page, "Olga") == [] and "No open tasks." in page
    assert "Nobody&#39;s" not in page and "Nobody's" not in page  # unassigned: in nobody's queue
    assert 'aria-current="page">By person' in page


def test_a_long_queue_shows_its_first_tasks_and_links_to_the_rest(app, client, crew):
    app.config["BOARD_CARDS"] = 2
    for i in range(4):
        make_task(crew["owner_m"], f"Task {i}", assignee_id=crew["member"].id, estimate_hours=1)
    login(client, crew["member"])
    page = client.get(f"/teams/{crew['team_id']}/forecast?by=person").get_data(as_text=True)
    assert len(queue_of(page, "Mia")) == 2
    assert f"assignee={crew['member'].id}" in page and "2 more of Mia's open tasks" in page


def test_the_grouped_page_costs_the_same_for_more_tasks_and_hides_other_teams(client, crew):
    login(client, crew["owner"])
    url = f"/teams/{crew['team_id']}/forecast?by=person"
    make_task(crew["owner_m"], "One", assignee_id=crew["member"].id, estimate_hours=1)
    few = statements_for(client.get, url)
    for i in range(30):
        make_task(crew["owner_m"], f"More {i}", assignee_id=[crew["member"], crew["manager"]][i % 2].id,
                  estimate_hours=1)
    assert statements_for(client.get, url) == few
    assert client.get(f"/teams/{crew['other_team_id']}/forecast?by=person").status_code == 404
