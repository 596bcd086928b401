"""What a feature covers and what stands between it and done: per category its tasks and how many are
done, the required categories without any task, whether it may ship, when it will be finished (from its
tasks' forecasts) and when the tasks that fill its gaps fall due. Pure functions over plain values;
tracker/features.py reads the values from the database.

The rules: a required category is covered once it has a task, and done once all its tasks are done; a
task in a category that is not required counts (it must be done too) but covers nothing required; an
archived category is not required any more (it takes no new tasks, so it could never be covered), though
its tasks still count; trashed tasks count nowhere (the caller leaves them out)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .formatting import local_time

WHEN = "%a %d %b %Y %H:%M"
DAY = "%a %d %b %Y"


@dataclass(frozen=True)
class CategoryRef:
    slug: str
    name: str
    archived: bool = False
    position: int = 0


@dataclass(frozen=True)
class TaskRef:
    """A live task of a feature, with its stored forecast when it has one."""

    id: int
    title: str
    category: CategoryRef
    status: str
    assignee: str | None = None  # the assignee's name
    projected_finish_at: datetime | None = None

    @property
    def is_done(self) -> bool:
        return self.status == "done"


@dataclass(frozen=True)
class CategoryCoverage:
    category: CategoryRef
    required: bool
    tasks: int = 0
    done: int = 0

    @property
    def state(self) -> str:
        """missing (required, no task), in_progress (a task open), done, or none (not required, no task)."""
        if self.tasks == 0:
            return "missing" if self.required else "none"
        return "done" if self.done == self.tasks else "in_progress"


@dataclass(frozen=True)
class Coverage:
    categories: tuple[CategoryCoverage, ...]
    open_tasks: tuple[TaskRef, ...]

    @property
    def missing(self) -> list[str]:
        return [c.category.slug for c in self.categories if c.state == "missing"]

    @property
    def required(self) -> list[CategoryCoverage]:
        return [c for c in self.categories if c.required]

    @property
    def complete(self) -> bool:
        """Every required category has a task and every task is done: the feature may ship."""
        return not self.missing and not self.open_tasks

    @property
    def percent(self) -> int:
        """The share of required categories that are done (100 when nothing is required and all is done)."""
        required = self.required
        if not required:
            return 0 if self.open_tasks else 100
        return round(100 * sum(c.state == "done" for c in required) / len(required))

    def blockers(self) -> list[str]:
        """What stands between the feature and done, one sentence each: first the categories without a
        task, then the open tasks."""
        lines = [f"{c.category.name} has no task yet." for c in self.categories if c.state == "missing"]
        lines += [
            f"#{t.id} {t.title} ({t.category.name}) is {t.status.replace('_', ' ')}." for t in self.open_tasks
        ]
        return lines

    def as_dict(self) -> dict[str, dict]:
        """The contract's coverage: {slug: {"required", "tasks", "done"}}."""
        return {c.category.slug: {"required": c.required, "tasks": c.tasks, "done": c.done}
                for c in self.categories}


def coverage(required: Iterable[CategoryRef], tasks: Iterable[TaskRef]) -> Coverage:
    """The coverage of a feature that requires `required` and has the live tasks `tasks`."""
    counts: dict[str, list[int]] = {}
    categories: dict[str, CategoryRef] = {}
    for category in required:
        categories[category.slug] = category
        counts[category.slug] = [0, 0]
    required_slugs = {slug for slug, category in categories.items() if not category.archived}
    tasks = list(tasks)
    for task in tasks:
        categories.setdefault(task.category.slug, task.category)
        count = counts.setdefault(task.category.slug, [0, 0])
        count[0] += 1
        count[1] += task.is_done
    ordered = sorted(categories.values(), key=lambda c: (c.position, c.slug))
    return Coverage(
        categories=tuple(
            CategoryCoverage(c, c.slug in required_slugs, *counts[c.slug]) for c in ordered
        ),
        open_tasks=tuple(t for t in sorted(tasks, key=lambda t: t.id) if not t.is_done),
    )


# The feature's forecast --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureForecast:
    projected_finish_at: datetime | None  # the latest projected finish of its open tasks
    at_risk: bool
    reason: str | None  # why it is at risk (which task, whose queue), or what the forecast cannot see
    task_id: int | None = None  # the task that finishes last (or that has no forecast)


NO_FORECAST = FeatureForecast(None, False, None)


def feature_forecast(
    open_tasks: Iterable[TaskRef], target_end: datetime | None, now: datetime, tz: str
) -> FeatureForecast:
    """When a feature's open work is projected to be done, and whether that is after the end of its
    target date (`target_end`); times in the reasons are shown in zone `tz` (the feature owner's)."""
    open_tasks = list(open_tasks)
    projected = [t for t in open_tasks if t.projected_finish_at is not None]
    latest = max(projected, key=lambda t: (t.projected_finish_at, t.id), default=None)
    finish = latest.projected_finish_at if latest else None
    unknown = [t for t in open_tasks if t.projected_finish_at is None]
    if target_end is not None and finish is not None and finish > target_end:
        who = f"{latest.assignee}'s queue" if latest.assignee else "no one's queue"
        reason = (f"#{latest.id} {latest.title} ({who}) is projected to finish "
                  f"{local_time(finish, tz, WHEN)}, after the target date {local_time(target_end, tz, DAY)}.")
        return FeatureForecast(finish, True, reason, latest.id)
    if target_end is not None and open_tasks and now > target_end:
        first = (unknown or open_tasks)[0]
        reason = (f"The target date {local_time(target_end, tz, DAY)} has passed with {len(open_tasks)} "
                  f"open task{'s' if len(open_tasks) != 1 else ''}, among them #{first.id} {first.title}.")
        return FeatureForecast(finish, True, reason, first.id)
    if unknown:
        first = unknown[0]
        reason = (f"#{first.id} {first.title} has no forecast (" +
                  ("no estimate" if first.assignee else "nobody assigned") + "), so the date may be later.")
        return FeatureForecast(finish, False, reason, first.id)
    return FeatureForecast(finish, False, None, latest.id if latest else None)


# Filling the gaps ---------------------------------------------------------------------------------------


def working_days_before(target: date, days: int, work_days: Iterable[int]) -> date:
    """The day `days` working days (ISO weekdays in `work_days`) before `target`."""
    work_days = set(work_days) or {1, 2, 3, 4, 5}
    day = target
    while days > 0:
        day -= timedelta(days=1)
        if day.isoweekday() in work_days:
            days -= 1
    return day


def gap_due_date(target: date | None, lead_days: int, work_days: Iterable[int], today: date) -> date | None:
    """When a task that fills a gap falls due: `lead_days` working days before the target date, but not
    before today (a target too close leaves less room, not a deadline in the past); None without one."""
    if target is None:
        return None
    return max(working_days_before(target, lead_days, work_days), min(today, target))
