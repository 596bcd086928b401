"""Faults as tests, against gunicorn with several workers on the database the suite runs on:
- kill -9 of workers while clients write: every row stays consistent, gunicorn replaces the worker and
  serving goes on;
- the database unreachable for a moment (SQLite: locked by another process past the busy timeout;
  PostgreSQL: a server of the test's own, stopped and started again) gives a clean 503 page or problem
  with Retry-After, saves nothing half-way, and the app recovers without a restart."""
from __future__ import annotations

import os
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import pytest
import sqlalchemy as sa

from tests.figures import report
from tests.reliability.crowd import Browser, Tally, consistency_problems, run_crowd, seed_crowd, what_was_kept
from tests.servers import (
    app_environment,
    call,
    gunicorn,
    postgres_database,
    postgres_server,
)

WORKERS, CLIENTS, TASKS, EDITS_EACH = 3, 6, 3, 25
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn on SQLite, or on a PostgreSQL server of this module's own (so it may be stopped)."""
    directory = tmp_path_factory.mktemp("faults")
    with ExitStack() as stack:
        postgres = None
        if ON_POSTGRES:
            postgres = stack.enter_context(postgres_server())
            url = stack.enter_context(postgres_database(postgres.url))
        else:
            url = f"sqlite:///{directory / 'app.db'}"
        crowd = seed_crowd(url, people=CLIENTS, tasks=TASKS)
        server = stack.enter_context(gunicorn(app_environment(url, directory), directory, workers=WORKERS))
        yield server, crowd, url, postgres


def test_kill_9_of_workers_during_writes_leaves_every_row_consistent(served):
    server, crowd, url, _postgres = served
    tally, first_workers = Tally(), server.worker_pids()
    total = CLIENTS * EDITS_EACH
    with ThreadPoolExecutor(max_workers=1) as pool:
        writing = pool.submit(run_crowd, server.base, crowd, EDITS_EACH, tally)
        for share in (0.25, 0.6):  # twice, while the clients are busy writing
            assert tally.when_applied(int(total * share)).wait(timeout=300), "the clients stalled"
            server.kill_worker(min(server.worker_pids()))
            server.wait_for_workers()
        writing.result(timeout=600)
    kept = what_was_kept(url, crowd.task_ids)
    in_flight = tally.statuses["read lost"] + sum(tally.uncertain.values())
    report("kill -9 during writes", database=url.split(":", 1)[0], workers_killed=len(server.killed),
           edits=sum(tally.applied.values()), requests_cut_off=in_flight, kept=kept.total,
           server_errors=len(tally.server_errors), inconsistent=len(consistency_problems(kept, tally)))
    assert not consistency_problems(kept, tally), consistency_problems(kept, tally)
    assert not tally.server_errors, tally.server_errors[:10]
    assert integrity(url) == "ok"
    workers = server.worker_pids()
    assert len(workers) == WORKERS and not workers & set(server.killed) and workers != first_workers
    assert call("GET", f"{server.base}/login").status == 200  # serving goes on


def integrity(url: str) -> str:
    if not url.startswith("sqlite"):
        return "ok"  # PostgreSQL rolls back a dead backend's transaction; the counts above are the check
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


@contextmanager
def database_unreachable(url: str, postgres):
    """SQLite: another process holds the write lock past the app's 5 s busy timeout. PostgreSQL: the
    server is stopped (its connections end), then started again."""
    if postgres is not None:
        postgres.stop()
        try:
            yield "PostgreSQL stopped"
        finally:
            postgres.start()
        return
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield "SQLite locked by another process"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def version_of(url: str, task_id: int) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT version FROM tasks WHERE id = :id"), {"id": task_id}).scalar()
    finally:
        engine.dispose()


def test_an_unreachable_database_is_a_503_and_the_app_recovers_without_a_restart(served):
    server, crowd, url, postgres = served
    task_id, token = crowd.task_ids[0], crowd.tokens[0]
    auth = {"Authorization": f"Bearer {token}"}
    browser = Browser(server.base, crowd.emails[1])
    etag = call("GET", f"{server.base}/api/v1/tasks/{task_id}", headers=auth).headers["ETag"]
    page = f"/tasks/{task_id}"
    assert browser.request("GET", page).status == 200
    version, workers = version_of(url, task_id), server.worker_pids()

    def api_write():
        return call("PATCH", f"{server.base}/api/v1/tasks/{task_id}", json_body={"title": "count 999"},
                    headers={**auth, "If-Match": etag})

    def page_write():
        return browser.submit(page, f"{page}/comments", {"body": "Saved during the outage?"})

    started = time.monotonic()
    with database_unreachable(url, postgres) as fault, ThreadPoolExecutor(max_workers=2) as pool:
        api, html = [f.result() for f in [pool.submit(api_write), pool.submit(page_write)]]
        reading = call("GET", f"{server.base}/api/v1/tasks/{task_id}", headers=auth) if postgres else None
    seconds = round(time.monotonic() - started, 1)

    assert api.status == 503 and api.headers.get_content_type() == "application/problem+json", api.text
    assert api.json()["status"] == 503 and api.headers["Retry-After"].isdigit()
    assert html.status == 503 and html.headers.get_content_type() == "text/html", html.text[:500]
    assert "Temporarily unavailable" in html.text and "Traceback" not in html.text
    assert html.headers["Retry-After"].isdigit()
    if reading is not None:  # with the server down, reads fail too, as cleanly
        assert reading.status == 503 and reading.json()["status"] == 503

    # Recovered, without a restart: the same workers answer, and nothing was saved half-way.
    assert server.worker_pids() == workers
    assert version_of(url, task_id) == version
    assert call("PATCH", f"{server.base}/api/v1/tasks/{task_id}", json_body={"title": "count 0"},
                headers={**auth, "If-Match": etag}).status == 200
    assert browser.submit(page, f"{page}/comments", {"body": "After the outage"}).status == 302
    report("database unreachable", fault=fault, api=api.status, page=html.status,
           retry_after=api.headers["Retry-After"], seconds=seconds, restarted_workers=0)
