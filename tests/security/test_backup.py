"""`flask backup PATH` copies a live SQLite database with the online backup API while writes go on, and
`flask restore PATH --yes` puts it back; on PostgreSQL the command says to use pg_dump."""
from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from tests.factories import make_task, make_team, make_user
from tests.support import build_app, running_app
from tracker.extensions import db
from tracker.models import Comment, Task

SEED_COMMENTS = 20_000  # a database of a few MB, so the copy takes a while
WRITES_BEFORE, WRITES_AFTER = 20, 20


@pytest.fixture
def sqlite_app(tmp_path):
    """Always a SQLite file, also when the suite runs on PostgreSQL: backups are about the file."""
    with running_app((f"sqlite:///{tmp_path / 'live.db'}", {})) as app:
        # create_all does not stamp the schema revision that a backup reports; migrations would.
        with db.engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            connection.execute(sa.text("INSERT INTO alembic_version VALUES ('test')"))
        yield app


def seed(owner_member) -> Task:
    task = make_task(owner_member, "write 0")
    db.session.execute(
        sa.insert(Comment),
        [{"task_id": task.id, "author_id": owner_member.user_id, "body": f"seed {i}", "body_html": ""}
         for i in range(SEED_COMMENTS)],
    )
    db.session.commit()
    return task


class Writer(threading.Thread):
    """Commits, again and again, one new comment "n" together with the task's title "write n": in any
    consistent snapshot the title names the newest numbered comment."""

    def __init__(self, app, task_id: int, user_id: int) -> None:
        super().__init__()
        self.app, self.task_id, self.user_id = app, task_id, user_id
        self.written = 0
        self.warmed_up, self.stop = threading.Event(), threading.Event()
        self.error: BaseException | None = None
        self.stop_after = None

    def run(self) -> None:
        try:
            with self.app.app_context():
                while not (self.stop.is_set() and self.written >= (self.stop_after or 0)):
                    n = self.written + 1
                    db.session.get(Task, self.task_id).title = f"write {n}"
                    comment = Comment(task_id=self.task_id, author_id=self.user_id, body=str(n), body_html="")
                    db.session.add(comment)
                    db.session.commit()
                    self.written = n
                    if n == WRITES_BEFORE:
                        self.warmed_up.set()
                db.session.remove()
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.warmed_up.set()


def snapshot(path) -> dict:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        title = connection.execute("SELECT title FROM tasks").fetchone()[0]
        numbered = connection.execute("SELECT body FROM comments WHERE body NOT LIKE 'seed %'").fetchall()
        return {
            "title": title,
            "numbered": sorted(int(b) for (b,) in numbered),
            "comments": connection.execute("SELECT count(*) FROM comments").fetchone()[0],
            "dump": list(connection.iterdump()),
        }


def test_backup_while_writing_is_a_consistent_snapshot_and_restore_brings_it_back(sqlite_app, tmp_path):
    owner = make_user("Olga")
    task = seed(make_team(owner))
    live_path = tmp_path / "live.db"
    backup_path = tmp_path / "backups" / "tracker.db"
    backup_path.parent.mkdir()
    writer = Writer(sqlite_app, task.id, owner.id)
    writer.start()
    writer.warmed_up.wait()
    assert writer.error is None
    before = writer.written
    result = sqlite_app.test_cli_runner().invoke(args=["backup", str(backup_path)])
    during = writer.written - before
    writer.stop_after = writer.written + WRITES_AFTER  # writes go on after the copy, too
    writer.stop.set()
    writer.join()
    assert writer.error is None and result.exit_code == 0, result.output
    assert f"Backed up the database to {backup_path}" in result.output and "schema test" in result.output

    copy = snapshot(backup_path)
    n = len(copy["numbered"])
    # One moment of the live database: every write up to n, none half-done, the title matching.
    assert copy["numbered"] == list(range(1, n + 1)) and copy["title"] == f"write {n}"
    assert before <= n <= writer.written - WRITES_AFTER and copy["comments"] == SEED_COMMENTS + n
    assert not (tmp_path / "backups" / "tracker.db-wal").exists()
    assert [p.name for p in backup_path.parent.iterdir()] == ["tracker.db"]  # no partial file left
    print(f"\nbackup: {backup_path.stat().st_size} bytes, {n} writes in it, {during} committed during the "
          f"copy, {writer.written} in all")

    db.session.remove()
    result = sqlite_app.test_cli_runner().invoke(args=["restore", str(backup_path), "--yes"])
    assert result.exit_code == 0, result.output
    restored = snapshot(live_path)
    assert restored == copy and restored["comments"] < SEED_COMMENTS + writer.written
    # The app reads the restored content through its own connections.
    assert db.session.get(Task, task.id).title == f"write {n}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == SEED_COMMENTS + n


def test_restore_asks_first_and_refuses_a_file_that_is_not_a_tracker_database(sqlite_app, tmp_path):
    make_user("Ana")
    runner = sqlite_app.test_cli_runner()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
    assert runner.invoke(args=["restore", str(junk)], input="n\n").exit_code == 1  # not confirmed
    for path, message in ((junk, "is not a Tracker database"), (other, "is not a Tracker database"),
                          (tmp_path / "live.db", "the live database itself")):
        result = runner.invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code == 1 and message in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("users"))) == 1


def test_backup_refuses_the_live_file_and_a_missing_directory(sqlite_app, tmp_path):
    runner = sqlite_app.test_cli_runner()
    for path, message in ((tmp_path / "live.db", "cannot be the live database"),
                          (tmp_path / "nowhere" / "b.db", "There is no directory")):
        result = runner.invoke(args=["backup", str(path)])
        assert result.exit_code == 1 and message in result.output, result.output


def test_on_postgresql_the_command_says_to_use_pg_dump(tmp_path):
    # No server is needed: the command looks at the database URL before connecting.
    app = build_app(("postgresql+psycopg://tracker@127.0.0.1:1/tracker", {}))
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.db")])
    assert result.exit_code == 1
    assert "pg_dump --format=custom" in result.output and "pg_restore" in result.output
    assert not (tmp_path / "b.db").exists()
