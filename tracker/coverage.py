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
from datetime import datetime

from .forecast import WorkSchedule, add_working_hours, subtract_working_hours, working_hours_between
from .formatting import local_time
from .vocabulary import GAP_ORDER

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


@dataclass(frozen=True)
class GapWork:
    """A task to plan for a gap: its title, who will do it (name and working hours), its estimate (> 0),
    and the deadlines and projected finishes of that person's open tasks (their stored forecasts)."""

    title: str
    person: str
    schedule: WorkSchedule
    hours: float
    queue: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class GapPlan:
    due: tuple[datetime | None, ...]  # a deadline per GapWork, in their order, each after the one before
    at_risk: bool = False
    reason: str | None = None  # why the deadlines cannot all be met, or why there are none


# Below a hundredth of their estimates the deadlines would mean nothing: no deadlines then, and the reason.
MIN_SQUEEZE = 0.01


def gap_rank(slug: str) -> int:
    """Where a category's task comes in a feature's work (GAP_ORDER; unknown categories after the build)."""
    return GAP_ORDER.index(slug) if slug in GAP_ORDER else GAP_ORDER.index("testing")


def _backwards(works: list[GapWork], end: datetime, scale: float) -> list[tuple[datetime, datetime]]:
    """(start, due) of each task, the last one due at its person's last working instant by `end` and each
    earlier one due when the next must start (`scale` × the estimates, to squeeze them into less room)."""
    planned = []
    for work in reversed(works):
        due = subtract_working_hours(work.schedule, end, 0)
        end = subtract_working_hours(work.schedule, due, max(work.hours * scale, 1 / 60))
        planned.append((end, due))
    return planned[::-1]


def _first_late(works: list[GapWork], due: list[datetime], now: datetime, tz: str) -> str | None:
    """Done one after the other, each behind its person's open tasks that are due earlier (the forecast
    works earliest deadline first): the first task that would finish after its deadline, in words."""
    ready = now
    for work, deadline in zip(works, due, strict=True):
        queued = [finish for queue_due, finish in work.queue if queue_due <= deadline]
        finish = add_working_hours(work.schedule, max([ready, *queued]), work.hours)
        if finish > deadline:
            plural = "s" if len(queued) != 1 else ""
            behind = f", behind {len(queued)} task{plural} due earlier" if queued else ""
            return (f"“{work.title}” ({work.person}'s queue{behind}) would finish "
                    f"{local_time(finish, tz, WHEN)}, after its deadline {local_time(deadline, tz, WHEN)}.")
        ready = finish
    return None


def plan_gaps(works: list[GapWork], target_end: datetime | None, now: datetime, tz: str) -> GapPlan:
    """Deadlines for the tasks that fill a feature's gaps (`works`, in the order the work is done), worked
    back from the end of the target date through each person's working hours, so that each is due when the
    next must start and the last one at the end of the last working day of the target. A target too close
    for the estimates squeezes them (every deadline still after now and in order) and says so; a target
    with no working time left before it gives no deadlines and the reason. Times in words are in `tz`."""
    if not works or target_end is None:
        return GapPlan((None,) * len(works))
    needed = sum(w.hours for w in works)
    room = round(working_hours_between(works[0].schedule, now, target_end), 1)
    scale = 1.0
    planned = _backwards(works, target_end, scale)
    while planned[0][0] < now and scale >= MIN_SQUEEZE:
        # Squeeze to the share of the work that the room holds, then by a tenth at a time until it fits.
        scale = min(scale * 0.9, room / needed)
        planned = _backwards(works, target_end, scale)
    if planned[0][0] < now or scale < MIN_SQUEEZE:
        return GapPlan((None,) * len(works), True,
                       "The target date leaves too little working time before "
                       f"{local_time(target_end, tz, WHEN)} "
                       f"for the {needed:g} h of work the {len(works)} missing tasks need; move the target "
                       "date, then fill the gaps.")
    due = [d for _start, d in planned]
    late = _first_late(works, due, now, tz)
    squeezed = (f"Too little time before the target date: the {len(works)} tasks need {needed:g} h of work "
                f"and have about {room:g} h, so their deadlines are squeezed. ") if scale < 1 else ""
    return GapPlan(tuple(due), bool(squeezed or late), (squeezed + (late or "")).strip() or None)
