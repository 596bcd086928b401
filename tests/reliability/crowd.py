"""A crowd for the reliability tests: a team whose people each hold an API token, tasks whose titles
count their edits ("count 17"), clients that edit them through a real server as a careful script would
(read, PATCH with If-Match, re-read and retry on 412/409), and the checks of what the database kept."""
from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import sqlalchemy as sa

from tests.factories import PASSWORD, add_to_team, make_task, make_team, make_user
from tests.servers import call
from tests.support import running_app
from tracker import tokens

MAX_ATTEMPTS = 200  # per edit; a client that cannot land one edit in 200 tries is a failure by itself


@dataclass
class Crowd:
    team_id: int
    emails: list[str]
    tokens: list[str]
    task_ids: list[int]


def seed_crowd(database_url: str, people: int, tasks: int) -> Crowd:
    """The tables, one team with `people` members (each with a token) and `tasks` tasks at "count 0"."""
    with running_app((database_url, {}), DELIVERY="cron") as _app:
        owner = make_user("Crowd owner")
        owner_m = make_team(owner, "Crowd")
        users = [owner] + [make_user(f"Editor {i}") for i in range(1, people)]
        for user in users[1:]:
            add_to_team(owner_m, user)
        task_ids = [make_task(owner_m, "count 0").id for _ in range(tasks)]
        return Crowd(owner_m.team_id, [u.email for u in users],
                     [tokens.create_token(u, "crowd")[1] for u in users], task_ids)


@dataclass
class Tally:
    """What the clients saw, kept under a lock (they run in threads)."""

    applied: Counter = field(default_factory=Counter)  # task id -> PATCHes answered 200
    uncertain: Counter = field(default_factory=Counter)  # task id -> PATCHes whose answer was lost
    statuses: Counter = field(default_factory=Counter)
    conflicts: int = 0
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    milestones: dict[int, threading.Event] = field(default_factory=dict)

    def note(self, what: str, task_id: int = 0, status: int = 0) -> None:
        with self.lock:
            self.statuses[status or what] += 1
            if what == "applied":
                self.applied[task_id] += 1
                total = sum(self.applied.values())
                for count, event in self.milestones.items():
                    if total >= count:
                        event.set()
            elif what == "conflict":
                self.conflicts += 1
            elif what == "uncertain":
                self.uncertain[task_id] += 1
            if status >= 500:
                self.server_errors.append(f"{what} {task_id}: {status}")

    def when_applied(self, count: int) -> threading.Event:
        """An event set once `count` edits have been applied in all."""
        with self.lock:
            return self.milestones.setdefault(count, threading.Event())


def edit(base: str, token: str, task_id: int, tally: Tally) -> None:
    """Add one to the task's count: read, PATCH with If-Match, and on 412/409 or a lost connection (a
    worker killed mid-request) read again and retry."""
    auth = {"Authorization": f"Bearer {token}"}
    for _attempt in range(MAX_ATTEMPTS):
        try:
            read = call("GET", f"{base}/api/v1/tasks/{task_id}", headers=auth)
        except (OSError, http.client.HTTPException):
            tally.note("read lost")
            continue
        if read.status != 200:
            tally.note("read failed", task_id, read.status)
            continue
        count = int(read.json()["title"].split()[-1])
        try:
            write = call("PATCH", f"{base}/api/v1/tasks/{task_id}", json_body={"title": f"count {count + 1}"},
                         headers={**auth, "If-Match": read.headers["ETag"]})
        except (OSError, http.client.HTTPException):
            tally.note("uncertain", task_id)  # it may or may not have been applied before the answer was lost
            continue
        if write.status == 200:
            tally.note("applied", task_id, 200)
            return
        tally.note("conflict" if write.status in (409, 412) else "write failed", task_id, write.status)
    raise AssertionError(f"task {task_id}: no edit landed in {MAX_ATTEMPTS} attempts")


def run_crowd(base: str, crowd: Crowd, edits_each: int, tally: Tally) -> None:
    """Every person edits `edits_each` times, all at once, spread over the tasks."""

    def client(n: int) -> None:
        for i in range(edits_each):
            edit(base, crowd.tokens[n], crowd.task_ids[(n + i) % len(crowd.task_ids)], tally)

    with ThreadPoolExecutor(max_workers=len(crowd.tokens)) as pool:
        for future in [pool.submit(client, n) for n in range(len(crowd.tokens))]:
            future.result()


@dataclass
class Kept:
    """What the database kept of each task: the count in its title, its version, its history."""

    counts: dict[int, int]
    versions: dict[int, int]
    history: dict[int, int]  # task id -> Activity rows for a title change

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def what_was_kept(database_url: str, task_ids: list[int]) -> Kept:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, title, version FROM tasks")).all()
            history = dict(conn.execute(sa.text(
                "SELECT task_id, count(*) FROM activities WHERE kind = 'changed' AND field = 'title' "
                "GROUP BY task_id")).all())
    finally:
        engine.dispose()
    rows = [row for row in rows if row.id in task_ids]
    return Kept({r.id: int(r.title.split()[-1]) for r in rows}, {r.id: r.version for r in rows},
                {task_id: history.get(task_id, 0) for task_id in task_ids})


def consistency_problems(kept: Kept, tally: Tally) -> list[str]:
    """Each task: one history entry and one version per applied edit; no acknowledged edit lost, and
    nothing applied beyond the acknowledged ones plus those whose answer was lost."""
    problems = []
    for task_id, count in kept.counts.items():
        if kept.history[task_id] != count or kept.versions[task_id] != count + 1:
            problems.append(f"task {task_id}: count {count}, version {kept.versions[task_id]}, "
                            f"{kept.history[task_id]} history entries")
        acknowledged = tally.applied[task_id]
        if not acknowledged <= count <= acknowledged + tally.uncertain[task_id]:
            problems.append(f"task {task_id}: {acknowledged} edits acknowledged (+{tally.uncertain[task_id]} "
                            f"uncertain), {count} kept")
    return problems


class Browser:
    """A signed-in browser on a real server (CSRF on): its cookies, and the token its forms carry."""

    def __init__(self, base: str, email: str | None = None) -> None:
        self.base, self.cookies = base, {}
        if email is not None:
            answer = self.log_in(email)
            assert answer.status == 302, (answer.status, answer.text[:300])

    def log_in(self, email: str, password: str = PASSWORD):
        return self.submit("/login", "/login", {"email": email, "password": password})

    def request(self, method: str, path: str, form: dict | None = None):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer = call(method, self.base + path, form=form, headers={"Cookie": cookie} if cookie else {})
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return answer

    def submit(self, page_path: str, action: str, form: dict):
        """Post a form as the page at `page_path` would, with that page's CSRF token."""
        token = csrf_token(self.request("GET", page_path).text)
        return self.request("POST", action, form={**form, "csrf_token": token})


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match[1]
