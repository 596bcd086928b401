"""`make bench`: the tracker under gunicorn (2 sync workers on 127.0.0.1) on a team of 1,000 tasks and one
of 100,000, each view driven by wrk, beside a bare Flask route served by the same workers in the same run.
Prints per view: req/s, p50 and p99 under load, the share of the bare route's req/s, single-request latency
(median of a sequential loop) and its growth from the smallest to the largest team, SQL statements per
request, response size, and the workers' memory.

    .venv/bin/python bench/run.py [--sizes 1000,100000] [--seconds 10] [--root CHECKOUT] [--json FILE]

SQLite by default: the seeded databases are cached under bench/.data/, keyed by a hash of the schema, the
generator and the stored forecast's code, and copied for each run. PostgreSQL when DATABASE_URL names a
server: one cached database per size on it, copied with CREATE DATABASE … TEMPLATE. --root measures another
checkout (a `git worktree` of an older commit, say) with this harness and this virtualenv.

The workers keep rendered pages in their response cache (tracker/response_cache.py) as deployed, so repeated
requests of an unchanged view are answered from it; `TRACKER_RESPONSE_CACHE_MB=0 make bench` measures every
request doing its page's work (what a view costs right after a write), which is what the growth is about.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
OWNER, PASSWORD = "bench-owner@example.com", "bench-password"
USER_AGENT = "tracker-bench/1 (wrk)"  # sessions are bound to the browser: wrk sends the same one
BARE = ("bare Flask route", "/_bench/bare")
VIEWS = (
    ("task list", "/teams/{team}/tasks"),
    ("board", "/teams/{team}/board"),
    ("Eisenhower", "/teams/{team}/eisenhower"),
    ("calendar", "/teams/{team}/calendar"),
    ("dashboard", "/teams/{team}/dashboard"),
    ("my work", "/my-work"),
    ("task page", "/tasks/{task}"),
    ("API task list", "/api/v1/teams/{team}/tasks"),
)
# The schema as the checkout's models declare it (the migrations are held to the same by their test; a
# model changed ahead of its migration still gets measured).
CREATE_TABLES = ("from tracker import create_app; from tracker.extensions import db; app = create_app(); "
                 "app.app_context().push(); db.create_all()")
SEQUENTIAL = 20  # requests in the single-request loop, after one to warm up…
SEQUENTIAL_BUDGET = 15.0  # …or fewer (at least 3) once this many seconds are spent
# A view whose first request takes longer is measured by that request alone, without wrk (no request
# would finish under it), so a pathological view costs a minute or two rather than half an hour.
TOO_SLOW = 60.0
# Inputs of the seeded databases: a change to any of them reseeds.
SCHEMA_FILES = ("tracker/models.py", "tracker/stored_forecast.py", "tracker/forecast.py")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# The code under test ---------------------------------------------------------------------------------


class Checkout:
    """A checkout of the tracker, run with this virtualenv's Python, on one database."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = Path(sys.executable).parent

    def env(self, url: str, **extra: str) -> dict[str, str]:
        DATA.mkdir(parents=True, exist_ok=True)
        root = str(self.root)
        return {**os.environ, "DATABASE_URL": url, "TRACKER_ROOT": root, "PYTHONPATH": root,
                "FLASK_APP": "tracker", "SECRET_KEY": "bench-only-not-secret", "TRACKER_INSTANCE": str(DATA),
                # One token sends every request of a wrk run: the per-token API limit would answer 429.
                "TRACKER_API_RATE_LIMIT": "100000000 per minute",
                "PYTHONFAULTHANDLER": "1", **extra}  # a crashed worker leaves its traceback in the log

    def run(self, url: str, *args: str) -> str:
        """Run python with `args` in the checkout; returns stdout, fails loudly with stderr."""
        done = subprocess.run([sys.executable, *args], cwd=self.root, env=self.env(url),
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"bench: {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def fingerprint(self, size: int, users: int, seed: int, server: str) -> str:
        digest = hashlib.sha256(f"{size}/{users}/{seed}/{server}".encode())
        files = [HERE / "seed.py"]
        for name in SCHEMA_FILES:
            path = self.root / name
            files += sorted(path.glob("*.py")) if path.is_dir() else [path] if path.exists() else []
        for path in files:
            digest.update(path.name.encode() + path.read_bytes())
        return digest.hexdigest()[:12]


# Databases -------------------------------------------------------------------------------------------


class Databases:
    """The seeded databases (cached) and their throwaway copies for a run: SQLite files under bench/.data/,
    or databases on the PostgreSQL server that DATABASE_URL names."""

    def __init__(self, checkout: Checkout, users: int, seed: int, reseed: bool) -> None:
        self.checkout, self.users, self.seed, self.reseed = checkout, users, seed, reseed
        server = os.environ.get("DATABASE_URL", "")
        self.server = make_url(server) if server.startswith("postgresql") else None

    @property
    def dialect(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def url(self, name: str) -> str:
        if self.server:
            return self.server.set(database=name).render_as_string(hide_password=False)
        return f"sqlite:///{DATA / name}.db"

    def seeded(self, size: int) -> dict:
        """The cached database of `size` tasks, seeded first if needed; returns what it holds."""
        server = str(self.server.set(database="")) if self.server else "sqlite"
        name = f"bench_{self.checkout.fingerprint(size, self.users, self.seed, server)}_{size}"
        meta_path = DATA / f"{name}.json"
        if meta_path.exists() and not self.reseed and self.exists(name):
            return json.loads(meta_path.read_text())
        log(f"seeding {size} tasks into {self.dialect} database {name} (cached for later runs)")
        started = time.perf_counter()
        self.drop(name)
        self.create(name)
        url = self.url(name)
        self.checkout.run(url, "-c", CREATE_TABLES)
        self.checkout.run(url, "-m", "flask", "create-user", OWNER, "--name", "Bench Owner",
                          "--password", PASSWORD)
        team = int(self.checkout.run(url, str(HERE / "seed.py"), "--tasks", str(size), "--owner", OWNER,
                                     "--users", str(self.users), "--seed", str(self.seed)).split()[-1])
        if not self.server:
            checkpoint(url)  # everything into the .db file, which is what gets copied
        meta = {"name": name, "size": size, "team": team, "task": open_task(url, team),
                "seconds": round(time.perf_counter() - started)}
        meta_path.write_text(json.dumps(meta))  # written last: its presence says the database is complete
        log(f"seeded {size} tasks in {meta['seconds']} s")
        return meta

    def copy(self, meta: dict) -> str:
        """A fresh copy of a cached database for one run (logins and tokens are written to it)."""
        name = f"bench_run_{meta['size']}"
        self.drop(name)
        if self.server:
            self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{meta["name"]}"')
        else:
            shutil.copyfile(DATA / f"{meta['name']}.db", DATA / f"{name}.db")
        return self.url(name)

    def exists(self, name: str) -> bool:
        if self.server:
            return bool(self.admin("SELECT 1 FROM pg_database WHERE datname = :n", n=name))
        return (DATA / f"{name}.db").exists()

    def create(self, name: str) -> None:
        if self.server:
            self.admin(f'CREATE DATABASE "{name}"')

    def drop(self, name: str) -> None:
        if self.server:
            self.admin(f'DROP DATABASE IF EXISTS "{name}"')
        for suffix in (".db", ".db-wal", ".db-shm"):
            (DATA / f"{name}{suffix}").unlink(missing_ok=True)

    def admin(self, sql: str, **params) -> list:
        engine = sa.create_engine(self.server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(sa.text(sql), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()


def checkpoint(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def open_task(url: str, team: int) -> int:
    """The task page to measure: the team's first live open task that has comments and a blocker."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(
                "SELECT t.id FROM tasks t"
                " WHERE t.team_id = :team AND t.status <> 'done' AND t.deleted_at IS NULL"
                " AND EXISTS (SELECT 1 FROM comments c WHERE c.task_id = t.id)"
                " AND EXISTS (SELECT 1 FROM task_blockers b WHERE b.task_id = t.id) ORDER BY t.id LIMIT 1"
            ), {"team": team}).scalar_one()
    finally:
        engine.dispose()


# The server ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers serving bench/wsgi.py (the tracker plus the bare route)."""

    def __init__(self, checkout: Checkout, url: str, workers: int = 2) -> None:
        self.checkout, self.url, self.worker_count = checkout, url, workers
        self.process: subprocess.Popen | None = None
        self.peak_mb = 0.0
        self.rss_mb = 0.0

    def start(self) -> None:
        self.port = free_port()
        self.log = open(DATA / "gunicorn.log", "ab")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [str(self.checkout.bin / "gunicorn"), "--workers", str(self.worker_count), "--worker-class",
             "sync",
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "600", "--no-control-socket",
             "--chdir", str(HERE), "wsgi:application"],
            env=self.checkout.env(self.url), stdout=self.log, stderr=self.log, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: gunicorn did not start (see {DATA / 'gunicorn.log'})")
            time.sleep(0.2)

    def answers(self, timeout: float = 1.0) -> bool:
        try:
            return request(self.port, BARE[1], {}, timeout=timeout)[0] == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def note_memory(self) -> None:
        """Keep the largest resident size (now and peak) of any worker seen so far."""
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            figures = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
            self.rss_mb = max(self.rss_mb, int(figures.get("VmRSS", 0)) / 1024)
            self.peak_mb = max(self.peak_mb, int(figures.get("VmHWM", 0)) / 1024)

    def settle(self) -> None:
        """After wrk, the requests still queued in the listen backlog would be served one by one (minutes
        on a slow page): when the bare route does not answer quickly, start afresh instead."""
        self.note_memory()
        if not self.answers(timeout=3):
            log("server still busy with queued requests: restarting it")
            self.stop()
            self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.note_memory()
            os.killpg(self.process.pid, signal.SIGQUIT)  # quick shutdown: the backlog is not served
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


# HTTP ------------------------------------------------------------------------------------------------


def request(port: int, path: str, headers: dict, method: str = "GET", body: str | None = None,
            timeout: float = 600) -> tuple[int, bytes, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        return response.status, response.read(), response
    finally:
        connection.close()


def log_in(port: int) -> dict[str, str]:
    """Sign in through the login form like a browser; returns the headers that carry the session."""
    cookies = SimpleCookie()
    status, page, response = request(port, "/login", {})
    for header in response.msg.get_all("Set-Cookie") or []:
        cookies.load(header)
    csrf = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = urlencode({"email": OWNER, "password": PASSWORD,
                      "csrf_token": csrf.group(1).decode() if csrf else ""})
    cookie = "; ".join(f"{k}={m.value}" for k, m in cookies.items())
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    status, _, response = request(port, "/login", headers, method="POST", body=form)
    if status != 302 or "/login" in (response.getheader("Location") or ""):
        raise SystemExit(f"bench: logging in failed ({status})")
    for header in response.msg.get_all("Set-Cookie") or []:
        cookies.load(header)
    return {"Cookie": "; ".join(f"{k}={m.value}" for k, m in cookies.items())}


class ViewFailed(Exception):
    """A view that did not answer with its page (the worker crashed, or an error status)."""


def single_latency(port: int, path: str, headers: dict) -> dict:
    """One warm-up request, then up to SEQUENTIAL timed ones in a row; the median and the body's size."""
    begin = time.perf_counter()
    status, body = fetch(port, path, headers)
    first = time.perf_counter() - begin
    if first > TOO_SLOW:
        return {"single_ms": first * 1000, "single_n": 1, "bytes": len(body), "too_slow": True}
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < SEQUENTIAL and (len(times) < 3 or time.perf_counter() - started < SEQUENTIAL_BUDGET):
        begin = time.perf_counter()
        fetch(port, path, headers)
        times.append(time.perf_counter() - begin)
    return {"single_ms": statistics.median(times) * 1000, "single_n": len(times), "bytes": len(body)}


def fetch(port: int, path: str, headers: dict) -> tuple[int, bytes]:
    try:
        status, body, _ = request(port, path, headers)
    except (OSError, http.client.HTTPException) as exc:
        raise ViewFailed(f"{type(exc).__name__}: {exc}") from exc
    if status in (301, 302, 303, 401):
        raise SystemExit(f"bench: GET {path} answered {status}, not the page (not signed in?)")
    if status != 200:
        raise ViewFailed(f"status {status}")
    return status, body


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def drive(port: int, path: str, headers: dict, seconds: int) -> dict:
    """wrk -t2 -c32 for `seconds`; req/s, p50 and p99 (ms), and the requests that failed."""
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                            timeout=seconds + 120).stdout
    distribution = re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    latency = {p: float(v) * UNITS[u] for p, v, u in distribution}
    failed = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|timeout):? (\d+)", output))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    if not requests:  # none finished in time: wrk prints zeros, which are no latency
        latency = {}
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50_ms": latency.get("50"), "p99_ms": latency.get("99"), "requests": requests, "failed": failed}


# One run -----------------------------------------------------------------------------------------------


def install_wrk() -> None:
    if shutil.which("wrk"):
        return
    log("installing wrk from Debian's packages")
    if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"]).returncode:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)


def measure_size(checkout: Checkout, databases: Databases, size: int, seconds: int) -> dict:
    """Every view at one team size: under wrk, in a sequential loop, and in-process for the queries."""
    meta = databases.seeded(size)
    url = databases.copy(meta)
    token = checkout.run(url, "-m", "flask", "create-token", OWNER, "--label", "bench").split()[-1]
    server = Server(checkout, url)
    server.start()
    views = {}
    try:
        session = log_in(server.port)
        for view, template in (BARE, *VIEWS):
            path = template.format(team=meta["team"], task=meta["task"])
            headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else session
            views[view] = {"path": path, **measure_view(server, path, headers, seconds)}
            log(f"{size:>7} {view:<15} " + (views[view].get("error") or
                f"{views[view]['rps']:8.1f} req/s p50 {number(views[view]['p50_ms'], 1):>8} ms  "
                f"single {views[view]['single_ms']:8.1f} ms"))
            server.settle()
    finally:
        server.stop()
    measured = [v["path"] for name, v in views.items() if name != BARE[0] and not v.get("too_slow")]
    inside = in_process(checkout, url, token, measured)
    for figures in views.values():
        found = inside.get(figures["path"], {})
        figures.update({k: v for k, v in found.items() if k in ("queries", "ms", "queries_error")})
    return {"size": size, "team": meta["team"], "views": views, "worker_rss_mb": round(server.rss_mb),
            "worker_peak_mb": round(server.peak_mb)}


def measure_view(server: Server, path: str, headers: dict, seconds: int) -> dict:
    try:
        figures = single_latency(server.port, path, headers)
    except ViewFailed as exc:
        return {"error": f"failed: {exc} (see {DATA / 'gunicorn.log'})"}
    if figures.get("too_slow"):
        return {**figures, "rps": 0.0, "p50_ms": None, "p99_ms": None, "requests": 0, "failed": 0}
    return {**figures, **drive(server.port, path, headers, seconds)}


def in_process(checkout: Checkout, url: str, token: str, paths: list[str]) -> dict:
    """Queries and server time per path from bench/pages.py; a path that crashes it is noted as such and
    the others are measured in a new process."""
    figures: dict[str, dict] = {}
    while paths:
        command = [str(HERE / "pages.py"), "--owner", OWNER, "--password", PASSWORD, "--token", token, *paths]
        done = subprocess.run([sys.executable, *command], cwd=checkout.root, env=checkout.env(url),
                              capture_output=True, text=True)
        for line in done.stdout.splitlines():
            figures.update(json.loads(line))
        paths = [p for p in paths if p not in figures]
        if done.returncode == 0 or not paths:
            break
        log(f"in-process request to {paths[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
        figures[paths.pop(0)] = {"queries_error": f"in-process request failed (status {done.returncode})"}
    return figures


# Report ------------------------------------------------------------------------------------------------


def number(value, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def share(part, whole, scale: float = 1.0):
    """part / whole × scale, or None when either is missing or whole is zero."""
    return None if part is None or not whole else scale * part / whole


def growth_of(small: dict, large: dict):
    """How many times longer a single request takes on the large team than on the small one."""
    return share(large.get("single_ms"), small.get("single_ms"))


def kilobytes(v: dict):
    return share(v.get("bytes"), 1024)


def report(runs: list[dict]) -> str:
    """The figures as Markdown tables (what RESULTS.md records)."""
    lines = []
    for run in runs:
        bare = run["views"][BARE[0]].get("rps")
        lines += [f"\n{run['size']:,} tasks (team {run['team']}); largest worker: {run['worker_rss_mb']} MB"
                  f" resident after a view's load, {run['worker_peak_mb']} MB at peak\n",
                  "| view | req/s | p50 ms | p99 ms | % of bare | single ms | queries | KB | failed |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, v in run["views"].items():
            if "error" in v:
                lines.append(f"| {name} | {v['error']} |||||||")
                continue
            rps = number(v["rps"], 1 if v["rps"] < 10 else 0)
            if v.get("too_slow"):
                rps = f"not driven (> {TOO_SLOW:.0f} s)"
            lines.append(f"| {name} | {rps} | {number(v['p50_ms'], 1)} | {number(v['p99_ms'], 1)} | "
                         f"{number(share(v['rps'], bare, 100), 1)} | {number(v['single_ms'], 1)} | "
                         f"{number(v.get('queries'))} | {number(kilobytes(v), 1)} | {v['failed']} |")
    if len(runs) > 1:
        lines += growth(runs[0], runs[-1])
    return "\n".join(lines)


def growth(small: dict, large: dict) -> list[str]:
    lines = [f"\nGrowth from {small['size']:,} to {large['size']:,} tasks"
             " (median latency of single requests in a row)\n",
             f"| view | ms at {small['size']:,} | ms at {large['size']:,} | ratio | queries | KB |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, v in large["views"].items():
        s = small["views"].get(name, {})
        lines.append(f"| {name} | {number(s.get('single_ms'), 1)} | {number(v.get('single_ms'), 1)} | "
                     f"{number(growth_of(s, v), 2)}× | "
                     f"{number(s.get('queries'))} → {number(v.get('queries'))} | "
                     f"{number(kilobytes(s), 1)} → {number(kilobytes(v), 1)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "1000,100000"))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "10")),
                        help="how long wrk drives each view")
    parser.add_argument("--root", type=Path, default=HERE.parent, help="the checkout to measure")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reseed", action="store_true", help="seed again even when a cached database fits")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    started = time.perf_counter()
    install_wrk()
    checkout = Checkout(args.root.resolve())
    databases = Databases(checkout, args.users, args.seed, args.reseed)
    runs = [measure_size(checkout, databases, int(size), args.seconds) for size in args.sizes.split(",")]
    commit = subprocess.run(["git", "-C", str(checkout.root), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    load = " / ".join(f"{n:.1f}" for n in os.getloadavg())
    cache_mb = os.environ.get("TRACKER_RESPONSE_CACHE_MB", "32")  # 0: every request does the page's work
    header = (f"# {time.strftime('%Y-%m-%d %H:%M')} · {checkout.root} at {commit} · {databases.dialect} · "
              f"{os.cpu_count()} cores, load {load} at the end · gunicorn 2 sync workers · "
              f"wrk -t2 -c32 -d{args.seconds}s · response cache {cache_mb} MB per worker")
    print(header + "\n" + report(runs))
    if args.json:
        args.json.write_text(json.dumps({"header": header, "runs": runs}, indent=1))
    log(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
