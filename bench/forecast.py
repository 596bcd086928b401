"""Benchmark: the deadline-risk forecast over a random workload (prints figures; asserts nothing).

    .venv/bin/python bench/forecast.py [tasks] [people]
"""
from __future__ import annotations

import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.forecast import ForecastTask, WorkSchedule, forecast  # noqa: E402

ZONES = ["UTC", "Europe/Lisbon", "Asia/Tokyo", "America/New_York", "Pacific/Auckland"]


def workload(tasks: int, people: int, seed: int = 7):
    rng = random.Random(seed)
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    schedules = {p: WorkSchedule(ZONES[p % len(ZONES)]) for p in range(people)}
    items = [
        ForecastTask(
            id=i,
            assignee_id=None if rng.random() < 0.05 else rng.randrange(people),
            due_at=None if rng.random() < 0.2 else now + timedelta(hours=rng.randrange(-48, 24 * 90)),
            priority=rng.choice(["critical", "high", "medium", "low"]),
            estimate_hours=None if rng.random() < 0.1 else rng.choice([0.5, 1, 2, 4, 8, 16]),
            spent_hours=rng.choice([0, 0, 0, 1, 3]),
            blocked_by=tuple(rng.sample(range(tasks), rng.choice([0, 0, 0, 1, 2]))),
        )
        for i in range(tasks)
    ]
    return items, schedules, now


def main() -> None:
    default = [(500, 5), (2000, 20), (20000, 50)]
    sizes = [(int(sys.argv[1]), int(sys.argv[2]))] if len(sys.argv) > 2 else default
    for tasks, people in sizes:
        items, schedules, now = workload(tasks, people)
        tracemalloc.start()
        started = time.perf_counter()
        result = forecast(items, schedules, now)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        at_risk = sum(f.at_risk for f in result.values())
        print(f"forecast {tasks:>6} tasks {people:>3} people: {elapsed * 1000:8.1f} ms, "
              f"peak {peak / 1e6:6.1f} MB, {at_risk} at risk")


if __name__ == "__main__":
    main()
