"""Real servers for the tests that need processes: a throwaway PostgreSQL (Debian's binaries, run as the
`postgres` user), redis-server, and the app under gunicorn, each on a free 127.0.0.1 port; plus a small
HTTP client. Waits here poll for readiness with a deadline; none of them is a sleep for timing."""
from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tests.support import free_port, need

ROOT = Path(__file__).resolve().parent.parent


def wait_until(ready: Callable[[], bool], what: str, timeout: float = 30.0, process=None) -> None:
    """Poll `ready()` until it is true; fail after `timeout` seconds or when `process` has exited."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready after {timeout:g} s")
        time.sleep(0.05)


# HTTP ------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage  # .get(name), [name], .get_all(name)
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


def call(method: str, url: str, *, headers: dict | None = None, json_body=None, form: dict | None = None,
         timeout: float = 30.0) -> Answer:
    """One HTTP request without following redirects; an error status is an Answer, not an exception."""
    headers = dict(headers or {})
    data = None
    if json_body is not None:
        data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers, exc.read())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# PostgreSQL ------------------------------------------------------------------------------------


def postgres_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


@dataclass
class Postgres:
    """A PostgreSQL cluster of our own in a temporary directory; `stop()` and `start()` simulate an outage."""

    bin: Path
    directory: Path
    port: int

    def _run(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-l",
                  str(self.directory / "log"), "-w", "-o",
                  f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off -c max_connections=100",
                  "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """A throwaway PostgreSQL on 127.0.0.1 (about a second to start), removed afterwards."""
    binaries = postgres_binaries()
    need(binaries is not None and shutil.which("runuser") is not None,
         "PostgreSQL server binaries are not installed (apt-get install postgresql)")
    directory = Path(tempfile.mkdtemp(prefix="pg-tests-"))
    shutil.chown(directory, "postgres")
    server = Postgres(binaries, directory, free_port())
    try:
        server._run(str(binaries / "initdb"), "-D", str(directory / "data"), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--no-sync")
        server.start()
        yield server
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(binaries / "pg_ctl"), "-D",
                        str(directory / "data"), "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server that `server_url` names; its URL, dropped afterwards."""
    name = "tracker_" + uuid.uuid4().hex[:12]
    # No pool: the server may have been restarted meanwhile (an outage test), ending kept connections.
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def app_database(directory: Path) -> Iterator[str]:
    """A database URL for app processes, on what the suite runs on: a SQLite file in `directory`, or
    a new database on the PostgreSQL server that DATABASE_URL names."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        with postgres_database(url) as database_url:
            yield database_url
    else:
        yield f"sqlite:///{directory / 'app.db'}"


# Redis -----------------------------------------------------------------------------------------


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """redis-server on a free port (no persistence); its redis:// URL."""
    binary = shutil.which("redis-server")
    need(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    import redis

    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, "redis-server", 10, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


# The app under gunicorn ------------------------------------------------------------------------


def app_environment(database_url: str, instance: Path, **settings: str) -> dict[str, str]:
    """The environment of an app process: its database, a fixed secret, deliveries left to
    `flask deliver` (so tests count them), and a rate limit that load tests do not reach."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MAIL_", "TRACKER_"))}
    env.update({
        "DATABASE_URL": database_url,
        "SECRET_KEY": "reliability-tests",
        "TRACKER_INSTANCE": str(instance),
        "TRACKER_DELIVERY": "cron",
        "TRACKER_API_RATE_LIMIT": "100000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "FLASK_APP": "tracker",
        "PYTHONPATH": str(ROOT),
    })
    env.update(settings)
    return env


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int
    log: Path
    workers: int
    killed: list[int] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> set[int]:
        """The master's live children, read from /proc."""
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                pids.add(int(stat.parent.name))
        return pids

    def kill_worker(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        self.killed.append(pid)

    def wait_for_workers(self, timeout: float = 30.0) -> set[int]:
        """Wait until the master again runs its full number of workers, none of them a killed one."""
        wait_until(lambda: len(self.worker_pids() - set(self.killed)) == self.workers
                   and not (self.worker_pids() & set(self.killed)), "gunicorn workers", timeout, self.process)
        return self.worker_pids()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextmanager
def gunicorn(env: dict[str, str], directory: Path, workers: int = 3, name: str = "app") -> Iterator[Gunicorn]:
    """`gunicorn -w N "tracker:create_app()"` on a free port, ready to answer; stopped afterwards."""
    need(importlib.util.find_spec("gunicorn") is not None, "gunicorn is not installed")
    port = free_port()
    log = directory / f"{name}-gunicorn.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
             "--graceful-timeout", "5", "--timeout", "60", "tracker:create_app()"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    server = Gunicorn(process, port, log, workers)

    def answers() -> bool:
        try:
            return call("GET", server.base + "/login", timeout=5).status == 200
        except OSError:
            return False

    try:
        wait_until(answers, f"gunicorn ({name}); log:\n{server.log_text()[-2000:]}", 60, process)
        yield server
    finally:
        process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: nothing here needs a graceful one
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def flask_command(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`flask --app tracker ARGS` as a separate process (e.g. `deliver`), its output captured."""
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "tracker", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
