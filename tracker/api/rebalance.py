"""GET /tasks/{id}/proposals: the moves that would make an at-risk task on time, each judged by the forecast
(tracker/rebalance.py). Applying one is the PATCH /tasks/{id} its `changes` describe."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .. import rebalance, tasks
from ..serialise import plain
from .core import caller, operation, reply
from .schemas import Instant, Out


class FinishOut(Out):
    projected_finish_at: Instant | None
    on_time: bool


class MovedTaskOut(Out):
    task_id: int
    assignee_id: int | None
    due_at: Instant | None
    before: FinishOut
    after: FinishOut


class EffectOut(Out):
    on_time: bool = Field(description="The task itself is projected to meet its deadline after the move.")
    projected_finish_at: Instant | None = Field(description="The task's projected finish after the move.")
    moved: list[MovedTaskOut] = Field(
        description="Every other task whose projected finish moves, before and after (those the move makes "
        f"late first; at most {rebalance.MOVED_SHOWN}, `moved_total` counts all)."
    )
    moved_total: int
    queue_hours: dict[str, float] = Field(
        description="Change of each person's queued hours, by user id (a reassignment moves the remaining "
        "estimate from one queue to another)."
    )
    harmed: int = Field(description="Listed tasks on time before the move and late after it.")


class ProposalOut(Out):
    kind: str = Field(description="`reassign`, `reorder` or `move_deadline`.")
    changes: dict[str, int | str | None] = Field(
        description="What a PATCH /tasks/{id} sends to apply the move (add the task's `version`)."
    )
    summary: str = Field(description='E.g. "#98 to Dev: on time; Dev\'s #120 stays on time; …".')
    effect: EffectOut


class ProposalsOut(Out):
    task_id: int
    version: int = Field(description="The task's version these proposals are for.")
    at_risk: bool
    projected_finish_at: Instant | None = Field(description="The task's projected finish now.")
    computed_at: Instant = Field(description="The forecast's \"now\" for these simulations.")
    items: list[ProposalOut] = Field(description="Best first: on time without making others late first.")


def _finish(at: datetime | None, on_time: bool) -> FinishOut:
    return FinishOut(projected_finish_at=at, on_time=on_time)


def proposal_out(p: rebalance.Proposal) -> ProposalOut:
    moved = [
        MovedTaskOut(task_id=m.task_id, assignee_id=m.assignee_id, due_at=m.due_at,
                     before=_finish(m.before, m.on_time_before), after=_finish(m.after, m.on_time_after))
        for m in p.moved
    ]
    effect = EffectOut(on_time=p.on_time, projected_finish_at=p.projected_finish_at, moved=moved,
                       moved_total=p.moved_total, queue_hours={str(k): v for k, v in p.queue_hours.items()},
                       harmed=p.harmed)
    return ProposalOut(kind=p.kind, changes=plain(p.changes), summary=p.summary, effect=effect)


@operation(
    "GET",
    "/tasks/<id:task_id>/proposals",
    summary="Moves that would make an at-risk task on time",
    tag="Views",
    response=ProposalsOut,
    errors=(422,),
)
def task_proposals(task_id: int):
    """For an open task projected to miss its deadline: reassign it to someone with spare hours before the
    deadline (same-category experience first; their zone and working hours count), start it before another
    task of its queue, or move its deadline to the projected finish. Each move is simulated with the
    forecast (nothing is written) and shown with its effect on every other task whose projected finish
    moves. A task on time, without an estimate or without an assignee gets no proposals; an overdue one only
    a later deadline; a done one is a 422."""
    task, member = tasks.get_task(caller(), task_id)
    result = rebalance.propose(member, task)
    current = result.current
    return reply(ProposalsOut(
        task_id=task.id, version=task.version, at_risk=result.at_risk,
        projected_finish_at=current.projected_finish_at if current else None,
        computed_at=result.computed_at, items=[proposal_out(p) for p in result.proposals],
    ))
