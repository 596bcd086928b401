"""Benchmark: server-side time and queries of the main pages on the demo team (prints figures).

    .venv/bin/python bench/pages.py [repeats]

Uses a scratch SQLite database (or DATABASE_URL when it names PostgreSQL) seeded with the demo team.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.config import TestConfig  # noqa: E402
from tracker.demo import seed_demo  # noqa: E402
from tracker.extensions import db  # noqa: E402

PAGES = ["/my-work", "/teams/{t}/tasks?status=open", "/teams/{t}/board", "/teams/{t}/eisenhower",
         "/teams/{t}/calendar", "/teams/{t}/dashboard", "/teams/{t}/forecast", "/tasks/{task}"]


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory() as tmp:
        uri = url if url.startswith("postgresql") else f"sqlite:///{tmp}/bench.db"
        app = create_app(TestConfig(uri))
        with app.app_context():
            db.create_all()
            team, logins = seed_demo(task_count=int(os.environ.get("BENCH_TASKS", "320")))
            team_id, task_id = team.id, 12
            client = app.test_client()
            client.post("/login", data={"email": logins[1][0], "password": logins[1][1]})
            queries = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: queries.append(1))
            print(f"{'page':<34} {'ms/request':>10} {'queries':>8} {'peak MB':>8}")
            for page in PAGES:
                path = page.format(t=team_id, task=task_id)
                client.get(path)  # warm up templates and caches
                queries.clear()
                started = time.perf_counter()
                for _ in range(repeats):
                    db.session.remove()
                    response = client.get(path)
                    assert response.status_code == 200, (path, response.status_code)
                elapsed = (time.perf_counter() - started) / repeats
                # Memory in a separate request: tracing slows Python down several times.
                db.session.remove()
                tracemalloc.start()
                client.get(path)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                print(f"{path:<34} {elapsed * 1000:>10.1f} {(len(queries) - 0) // (repeats + 1):>8} {peak / 1e6:>8.1f}")
            if not url.startswith("postgresql"):
                db.drop_all()


if __name__ == "__main__":
    main()
