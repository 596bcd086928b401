"""Latency growth from a small team to a large one, in-process and interleaved: one app on each database,
requests to the two alternating, so a machine whose load swings (several agents sharing two cores) slows
both sizes alike and the ratio of the medians stays meaningful. Complements `make bench`, whose sizes are
minutes apart.

    .venv/bin/python bench/growth.py --small sqlite:///small.db --large sqlite:///large.db \\
        --owner bench-owner@example.com --password bench-password [--rounds 15] [--root CHECKOUT] PATH…

Each database needs that owner (bench/seed.py makes both); paths under /api/ use a token made here.
Prints a JSON line per path: median ms at each size, the growth, and SQL statements at each size. With
--cpu the times are this process's CPU time, not wall time: on SQLite (in-process) that is all the work of
a request, and it does not count the time the process waited for a core a neighbour held.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.environ.get("TRACKER_ROOT") or str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from tracker import create_app, tokens  # noqa: E402
from tracker.accounts import find_user_by_email  # noqa: E402
from tracker.config import Config  # noqa: E402
from tracker.extensions import db  # noqa: E402


class Site:
    """One app on one database, signed in as the owner, with an API token and a statement counter."""

    def __init__(self, url: str, owner: str, password: str) -> None:
        config = Config()
        config.SQLALCHEMY_DATABASE_URI = url
        config.WTF_CSRF_ENABLED = False
        config.API_RATE_LIMIT = "100000000 per minute"
        # Growth is about the work a page does: the response cache would answer every repeat instead.
        config.RESPONSE_CACHE_BYTES = 0
        self.app = create_app(config)
        self.client = self.app.test_client()
        if self.client.post("/login", data={"email": owner, "password": password}).status_code != 302:
            raise SystemExit(f"growth.py: could not log in as {owner} on {url}")
        with self.app.app_context():
            _token, self.token = tokens.create_token(find_user_by_email(owner), "growth")
            self.statements = 0
            event.listen(db.engine, "before_cursor_execute", self._count)
        self.client.get("/teams")

    def _count(self, *_args) -> None:
        self.statements += 1

    def get(self, path: str, clock=time.perf_counter) -> tuple[float, int]:
        headers = {"Authorization": f"Bearer {self.token}"} if path.startswith("/api/") else {}
        self.statements = 0
        started = clock()
        response = self.client.get(path, headers=headers)
        elapsed = (clock() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"growth.py: {path} answered {response.status_code}")
        return elapsed, self.statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--small", required=True, help="database URL of the small team")
    parser.add_argument("--large", required=True, help="database URL of the large team")
    parser.add_argument("--owner", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--cpu", action="store_true", help="CPU time of this process instead of wall time")
    args = parser.parse_args()
    small, large = Site(args.small, args.owner, args.password), Site(args.large, args.owner, args.password)
    for path in args.paths:
        small.get(path), large.get(path)  # warm up
        times: dict[str, list[float]] = {"small": [], "large": []}
        queries = {}
        for _ in range(args.rounds):
            for name, site in (("small", small), ("large", large)):
                ms, queries[name] = site.get(path, time.process_time if args.cpu else time.perf_counter)
                times[name].append(ms)
        medians = {name: statistics.median(found) for name, found in times.items()}
        figures = {"small_ms": round(medians["small"], 1), "large_ms": round(medians["large"], 1),
                   "growth": round(medians["large"] / medians["small"], 2),
                   "queries": [queries["small"], queries["large"]]}
        print(json.dumps({path: figures}), flush=True)


if __name__ == "__main__":
    main()
