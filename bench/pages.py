"""In-process figures of single requests: SQL statements (a SQLAlchemy `before_cursor_execute` listener),
server time and response size, through Flask's test client, on the database that DATABASE_URL names.
`make bench` (bench/run.py) runs it on each of its databases; it also works alone:

    DATABASE_URL=sqlite:///bench/.data/bench_run_1000.db .venv/bin/python bench/pages.py \\
        --owner bench-owner@example.com --password bench-password [--token trk_…] \\
        /my-work /api/v1/teams/1/tasks

Paths under /api/ are sent with the token as a Bearer token, others as the signed-in owner. Prints a JSON
object a line: {path: {"status", "queries", "ms", "bytes"}}; with --profile, a pyinstrument profile of each
request instead (when pyinstrument is installed).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.environ.get("TRACKER_ROOT") or str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402


def measure(paths: list[str], owner: str, password: str, token: str | None, profile: bool = False) -> dict:
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False  # the form is posted by this script, not a browser
    client = app.test_client()
    response = client.post("/login", data={"email": owner, "password": password})
    if response.status_code != 302:
        raise SystemExit(f"pages.py: could not log in as {owner} ({response.status_code})")
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _r, sql, *_a: statements.append(sql))
    client.get("/teams")  # the first request of a session does its one-off work here
    figures = {}
    for path in paths:
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") and token else {}
        statements.clear()
        started = time.perf_counter()
        if profile:
            response = profiled(client, path, headers)
        else:
            response = client.get(path, headers=headers)
        figure = {"status": response.status_code, "queries": len(statements),
                  "ms": round((time.perf_counter() - started) * 1000, 1), "bytes": len(response.data)}
        print(json.dumps({path: figure}), flush=True)  # one line a path, so a crash loses only its own
        figures[path] = figure
    return figures


def profiled(client, path: str, headers: dict):
    from pyinstrument import Profiler  # noqa: PLC0415  (optional: only for --profile)

    with Profiler() as profiler:
        response = client.get(path, headers=headers)
    print(profiler.output_text(unicode=True, color=False), file=sys.stderr)
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--owner", required=True, help="email of a member of the team the paths name")
    parser.add_argument("--password", required=True)
    parser.add_argument("--token", help="an API token of the same person, for paths under /api/")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of each request")
    args = parser.parse_args()
    measure(args.paths, args.owner, args.password, args.token, args.profile)


if __name__ == "__main__":
    main()
