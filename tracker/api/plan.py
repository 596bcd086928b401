"""GET /me/plan: the caller's planned work blocks (tracker/agenda.py), the twin of the Plan on "my work"."""

from __future__ import annotations

from pydantic import Field

from .. import agenda
from .core import caller, operation, reply
from .schemas import Instant, Out, Query


class PlanQuery(Query):
    days: int = Field(
        agenda.DEFAULT_DAYS, ge=1, le=agenda.MAX_DAYS,
        description=f"How many working days ahead (default {agenda.DEFAULT_DAYS}, "
        f"at most {agenda.MAX_DAYS}); "
        "the first is today, or the next working day once today's working hours have ended.",
    )


class PlanBlockOut(Out):
    task_id: int
    start_at: Instant
    end_at: Instant
    hours: float = Field(description="Working hours in this block.")
    title: str
    team_id: int
    status: str
    due_at: Instant | None
    at_risk: bool = Field(description="The task is projected to finish after its deadline.")


class SlippingOut(Out):
    task_id: int
    title: str
    team_id: int
    due_at: Instant | None
    projected_finish_at: Instant | None
    slack_hours: float | None = Field(description="Negative: working hours late.")
    reason: str = Field(description="late, overdue, no_estimate or unassigned (as the forecast says).")


class PlanOut(Out):
    timezone: str = Field(description="The caller's zone, whose working days and hours the blocks fill.")
    days: int
    start_at: Instant = Field(description="The plan's window: from now …")
    end_at: Instant = Field(description="… to the end of the last working day planned.")
    blocks: list[PlanBlockOut] = Field(
        description="Planned work, in the forecast's order (the order the caller's queue is worked); a task "
        "spanning several working days has one block per day."
    )
    slipping: list[SlippingOut] = Field(
        description="The caller's tasks projected to miss their deadline "
        f"(the first {agenda.SLIPPING_SHOWN}, "
        "latest first)."
    )
    slipping_total: int
    unestimated: int = Field(
        description="Open tasks of the caller left out of the plan for want of an estimate."
    )


def _block(plan: agenda.Plan, block: agenda.Block) -> PlanBlockOut:
    task = plan.tasks[block.task_id]
    return PlanBlockOut(
        task_id=block.task_id, start_at=block.start_at, end_at=block.end_at, hours=block.hours,
        title=task.title, team_id=task.team_id, status=task.status, due_at=task.due_at,
        at_risk=plan.forecast[block.task_id].at_risk,
    )


def _slipping(task, row) -> SlippingOut:
    return SlippingOut(
        task_id=task.id, title=task.title, team_id=task.team_id, due_at=task.due_at,
        projected_finish_at=row.projected_finish_at, slack_hours=row.slack_hours, reason=row.reason,
    )


@operation(
    "GET", "/me/plan", summary="Your planned work blocks", tag="Views", response=PlanOut, query=PlanQuery
)
def get_plan(query: PlanQuery):
    """The caller's open tasks across their teams as blocks of their working hours (days, hours and zone),
    from the stored forecast: each task fills the working hours before its projected finish, in the order
    the forecast works the caller's queue. Also what would slip: tasks projected to finish after their
    deadline."""
    plan = agenda.plan_for(caller(), query.days)
    return reply(PlanOut(
        timezone=plan.timezone, days=plan.days, start_at=plan.start, end_at=plan.end,
        blocks=[_block(plan, b) for b in plan.blocks],
        slipping=[_slipping(task, row) for task, row in plan.slipping],
        slipping_total=plan.slipping_total, unestimated=plan.unestimated,
    ))
