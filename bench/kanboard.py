"""The tracker against Kanboard on the same number of tasks, one process each: the task list and the board,
each driven by wrk (-t2 -c32) in the same run, as req/s and their ratio.

Kanboard is not in any package registry this project installs from, so this script does not fetch it: it
measures a Kanboard that is already served, and seeds it when asked. How the figures in RESULTS.md were
taken (Kanboard v1.2.53, whose Git repository carries its `vendor/`):

    apt-get install -y php-cli php-sqlite3 php-mbstring php-gd php-xml
    git clone https://github.com/kanboard/kanboard /tmp/kanboard && chmod -R a+w /tmp/kanboard/data
    php -d opcache.enable_cli=1 -S 127.0.0.1:8088 -t /tmp/kanboard     # one process, OPcache on
    .venv/bin/python bench/kanboard.py --kanboard http://127.0.0.1:8088 --seed-tasks 1000   # once
    .venv/bin/python bench/kanboard.py --kanboard http://127.0.0.1:8088

The tracker runs under gunicorn with one sync worker on the same seeded team as `make bench` (SQLite,
or PostgreSQL when DATABASE_URL says so). Kanboard signs in as admin/admin (its first-start account).
"""
from __future__ import annotations

import argparse
import base64
import http.client
import json
import random
import re
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (bench/run.py: the tracker's seeded databases, server and wrk driver)

CATEGORIES = ("architecture", "server-code", "database", "integration", "api-docs", "testing", "security",
              "devops", "upgrades")
KANBOARD_VIEWS = {
    "task list": "/?controller=TaskListController&action=show&project_id={project}",
    "board": "/?controller=BoardViewController&action=show&project_id={project}",
}
TRACKER_VIEWS = {"task list": "/teams/{team}/tasks", "board": "/teams/{team}/board"}


class Kanboard:
    """A Kanboard served at `base` (http://host:port), reached as its admin."""

    def __init__(self, base: str, user: str, password: str) -> None:
        parts = urlsplit(base)
        self.base, self.host, self.port = base.rstrip("/"), parts.hostname, parts.port or 80
        self.user, self.password = user, password
        self.calls = 0

    def call(self, method: str, **params):
        """One JSON-RPC call as the admin user (HTTP basic authentication)."""
        self.calls += 1
        body = json.dumps({"jsonrpc": "2.0", "method": method, "id": self.calls, "params": params}).encode()
        secret = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request = urllib.request.Request(f"{self.base}/jsonrpc.php", body, {
            "Content-Type": "application/json", "Authorization": f"Basic {secret}"})
        with urllib.request.urlopen(request) as response:  # nosec B310 - a local URL given by the operator
            answer = json.load(response)
        if "error" in answer:
            raise SystemExit(f"kanboard: {method}: {answer['error']}")
        return answer["result"]

    def seed(self, tasks: int, users: int, seed: int) -> int:
        """A project with `users` members, the tracker's nine categories and `tasks` tasks spread over its
        columns, owners, categories, deadlines and priorities; returns the project's id."""
        rng = random.Random(seed)
        project = self.call("createProject", name=f"Bench {tasks}")
        people = [self.call("createUser", username=f"bench{project}-{i}", password="bench-password",
                            name=f"Bench person {i}") for i in range(users)]
        for person in people:
            self.call("addProjectUser", project_id=project, user_id=person, role="project-member")
        columns = [c["id"] for c in self.call("getColumns", project_id=project)]
        categories = [self.call("createCategory", project_id=project, name=n) for n in CATEGORIES]
        for i in range(tasks):
            verb = rng.choice(["Fix", "Add", "Review"])
            self.call("createTask", project_id=project, title=f"Task {i}: {verb} a thing",
                      column_id=rng.choice(columns), owner_id=rng.choice(people),
                      category_id=rng.choice(categories), priority=rng.randint(0, 3), score=rng.randint(1, 8),
                      date_due=f"2026-12-{rng.randint(1, 28):02d} 17:00", description="Some **Markdown**.")
        return project

    def log_in(self) -> dict[str, str]:
        """Sign in through the login form like a browser; returns the headers that carry the session."""
        status, page, response = run.request(self.port, "/?controller=AuthController&action=login", {})
        cookie = session_cookie(response)
        csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"csrf_token": csrf, "username": self.user, "password": self.password})
        status, _, response = run.request(
            self.port, "/?controller=AuthController&action=check",
            {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, method="POST", body=form)
        if status != 302 or "AuthController" in (response.getheader("Location") or ""):
            raise SystemExit(f"kanboard: signing in failed ({status})")
        return {"Cookie": session_cookie(response) or cookie}


def session_cookie(response: http.client.HTTPResponse) -> str:
    cookies = [h.split(";", 1)[0] for h in response.msg.get_all("Set-Cookie") or []]
    return "; ".join(c for c in cookies if c.startswith("KB_SID="))


def measure(port: int, views: dict[str, str], headers: dict, seconds: int, **names) -> dict:
    figures = {}
    for view, template in views.items():
        path = template.format(**names)
        figures[view] = {**run.single_latency(port, path, headers), **run.drive(port, path, headers, seconds)}
        run.log(f"{port} {view}: {figures[view]['rps']:.0f} req/s, {figures[view]['bytes'] / 1024:.0f} KB")
    return figures


def tracker_figures(size: int, seconds: int) -> dict:
    checkout = run.Checkout(run.HERE.parent)
    databases = run.Databases(checkout, users=20, seed=7, reseed=False)
    meta = databases.seeded(size)
    server = run.Server(checkout, databases.copy(meta), workers=1)
    server.start()
    try:
        return measure(server.port, TRACKER_VIEWS, run.log_in(server.port), seconds, team=meta["team"])
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kanboard", required=True, help="the served Kanboard, e.g. http://127.0.0.1:8088")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--project", type=int, help="the Kanboard project to measure (default: the newest)")
    parser.add_argument("--seed-tasks", type=int, help="create a project with this many tasks, then stop")
    parser.add_argument("--size", type=int, default=1000, help="tasks in the tracker's team")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    kanboard = Kanboard(args.kanboard, args.user, args.password)
    if args.seed_tasks:
        print(kanboard.seed(args.seed_tasks, users=20, seed=7))
        return
    project = args.project or max(p["id"] for p in kanboard.call("getAllProjects"))
    theirs = measure(kanboard.port, KANBOARD_VIEWS, kanboard.log_in(), args.seconds, project=project)
    ours = tracker_figures(args.size, args.seconds)
    print(f"\n{args.size:,} tasks, one process each, wrk -t2 -c32 -d{args.seconds}s\n")
    print("| view | tracker req/s | Kanboard req/s | ratio | tracker KB | Kanboard KB |")
    print("|---|---:|---:|---:|---:|---:|")
    for view in TRACKER_VIEWS:
        a, b = ours[view], theirs[view]
        print(f"| {view} | {a['rps']:.0f} | {b['rps']:.0f} | {a['rps'] / b['rps']:.2f}× | "
              f"{a['bytes'] / 1024:.0f} | {b['bytes'] / 1024:.0f} |")


if __name__ == "__main__":
    main()
