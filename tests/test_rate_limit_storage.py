"""The rate limits' default per-process storage (tracker.extensions.SweptMemoryStorage): limits' memory
storage without the thread it started for nearly every hit, still counting, refusing and forgetting."""

from __future__ import annotations

import threading
import time

from tests.factories import make_user
from tracker import tokens
from tracker.extensions import SweptMemoryStorage, limiter


def test_api_requests_are_counted_and_refused_without_starting_a_thread(make_app, monkeypatch):
    app = make_app(API_RATE_LIMIT="20 per minute")
    assert isinstance(limiter.storage, SweptMemoryStorage)
    headers = {"Authorization": f"Bearer {tokens.create_token(make_user('Ana'), 'limits')[1]}"}
    client = app.test_client()
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread) or start(thread))
    answers = [client.get("/api/v1/me", headers=headers) for _ in range(21)]
    assert [r.status_code for r in answers] == [200] * 20 + [429]
    assert answers[0].headers["X-RateLimit-Limit"] == "20"
    assert answers[19].headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" in answers[20].headers
    assert started == []


def test_hits_drop_expired_counters_and_window_entries_at_most_once_a_second():
    storage = SweptMemoryStorage("swept-memory://")
    storage.incr("old", expiry=60)
    storage.acquire_entry("old-window", limit=5, expiry=60)
    storage.expirations["old"] = time.time() - 1  # as if its minute had passed
    storage.events["old-window"][0].expiry = time.time() - 1
    storage.next_sweep = time.monotonic() + 60  # swept a moment ago: nothing is dropped yet
    storage.incr("new", expiry=60)
    assert "old" in storage.storage and storage.events["old-window"]
    storage.next_sweep = 0.0  # a second later
    storage.incr("new", expiry=60)
    assert "old" not in storage.storage and not storage.events.get("old-window")
    assert storage.get("new") == 2 and storage.next_sweep > time.monotonic()
