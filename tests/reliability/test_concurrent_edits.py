"""Many clients editing the same tasks at once through gunicorn with several workers, on the database the
suite runs on (SQLite, or PostgreSQL when DATABASE_URL names it): no acknowledged edit is lost, no 5xx,
and exactly one history entry and one version per applied edit."""
from __future__ import annotations

import time

import pytest

from tests.figures import report
from tests.reliability.crowd import Tally, consistency_problems, run_crowd, seed_crowd, what_was_kept
from tests.servers import app_database, app_environment, gunicorn

WORKERS, CLIENTS, TASKS, EDITS_EACH = 3, 8, 4, 25


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    directory = tmp_path_factory.mktemp("concurrent")
    with app_database(directory) as url:
        crowd = seed_crowd(url, people=CLIENTS, tasks=TASKS)
        with gunicorn(app_environment(url, directory), directory, workers=WORKERS) as server:
            yield server, crowd, url


def test_concurrent_edits_lose_nothing_and_leave_one_history_entry_each(served):
    server, crowd, url = served
    tally = Tally()
    started = time.monotonic()
    run_crowd(server.base, crowd, EDITS_EACH, tally)
    seconds = round(time.monotonic() - started, 1)
    kept = what_was_kept(url, crowd.task_ids)
    lost = sum(tally.applied.values()) - kept.total
    report("concurrent edits", database=url.split(":", 1)[0], workers=WORKERS, clients=CLIENTS,
           tasks=TASKS, edits=sum(tally.applied.values()), conflicts=tally.conflicts, lost=lost,
           server_errors=len(tally.server_errors), history_entries=sum(kept.history.values()),
           seconds=seconds)
    assert not tally.server_errors, tally.server_errors[:10]
    assert sum(tally.applied.values()) == CLIENTS * EDITS_EACH
    assert tally.conflicts > 0  # the clients did race each other
    assert not tally.uncertain  # no answer was lost: no worker died
    assert lost == 0
    assert not consistency_problems(kept, tally), consistency_problems(kept, tally)
