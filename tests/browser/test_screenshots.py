"""Screenshots of the main views with the demo data, at desktop and phone width, light and dark.
`make screenshots` runs this module with TRACKER_SCREENSHOTS=docs/screenshots to refresh the README's
pictures; in the ordinary suite they go to a temporary folder, and the test still checks each view."""
from __future__ import annotations

import os
import struct
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tracker.demo import DEMO_PASSWORD, PEOPLE, seed_demo
from tracker.extensions import db
from tracker.models import StoredForecast, Task, utcnow

from .conftest import DESKTOP, PHONE, assert_accessible, assert_no_horizontal_overflow, log_in

VIEWS = [  # file name, URL, a heading it must show
    ("my-work", "/my-work", "My work"),
    ("board", "/teams/{team}/board", "In progress"),
    ("matrix", "/teams/{team}/eisenhower", "Do now"),
    ("calendar", "/teams/{team}/calendar", "{month}"),
    ("dashboard", "/teams/{team}/dashboard", "Workload per person"),
    ("task", "/tasks/{task}", "#{task}"),
    ("plan", "/my-work/plan?days=1", "Plan for your working day"),
    ("rebalance", "/tasks/{at_risk}/proposals", "Rebalance #{at_risk}"),
    ("week", "/teams/{team}/calendar?view=week&blocks=1", "Legend"),
    ("coverage", "/teams/{team}/coverage", "Coverage of the active features"),
    ("list", "/teams/{team}/tasks", "{team_name}"),
]


@pytest.fixture(scope="module")
def demo(live_server):
    with live_server.data():
        team, logins = seed_demo()
        task = db.session.scalars(
            select(Task)
            .where(Task.team_id == team.id, Task.status == "in_progress", Task.due_at.is_not(None),
                   Task.assignee_id.is_not(None))
            .order_by(Task.id)
        ).first()
        at_risk = db.session.scalars(
            select(StoredForecast.task_id).join(Task, Task.id == StoredForecast.task_id)
            .where(Task.team_id == team.id, StoredForecast.at_risk, Task.due_at > utcnow(),
                   Task.estimate_hours.is_not(None))
            .order_by(Task.due_at, Task.id)
        ).first()
        month = datetime.now(ZoneInfo(PEOPLE[0][2])).strftime("%B %Y")
        return {"team": team.id, "team_name": team.name, "task": task.id, "at_risk": at_risk,
                "email": logins[0][0], "month": month}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    target = os.environ.get("TRACKER_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_views_at_desktop_width(demo, new_context, folder, scheme):
    page = new_context(viewport=DESKTOP, color_scheme=scheme).new_page()
    log_in(page, demo["email"], DEMO_PASSWORD)
    for name, url, expected in VIEWS:
        if scheme == "dark" and name not in ("board", "dashboard"):
            continue
        page.goto(url.format(**demo))
        heading = page.get_by_role("heading", name=expected.format(**demo)).first
        assert heading.is_visible(), f"{name}: no heading {expected!r}"
        assert_accessible(page)  # with a realistic amount of data, in this colour scheme
        path = folder / (f"{name}.png" if scheme == "light" else f"{name}-dark.png")
        page.screenshot(path=path)
        assert png_size(path) == (DESKTOP["width"], DESKTOP["height"])


def test_main_views_at_phone_width(demo, new_context, folder):
    page = new_context(viewport=PHONE, color_scheme="light").new_page()
    log_in(page, demo["email"], DEMO_PASSWORD)
    for name, url, _expected in VIEWS:
        page.goto(url.format(**demo))
        assert_no_horizontal_overflow(page)
        if name in ("my-work", "board"):
            path = folder / f"{name}-phone.png"
            page.screenshot(path=path)
            assert png_size(path) == (PHONE["width"], PHONE["height"])
