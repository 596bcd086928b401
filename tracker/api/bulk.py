"""Bulk changes: POST /teams/{id}/tasks/bulk sets one change on, or trashes, up to 200 tasks, each in its
own transaction, with a result per task."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .. import bulk, teams
from .core import caller, operation, reply
from .schemas import Body, Deadline, Id, Out, Priority, Status, TaskOut
from .tasks import task_out


class BulkSet(Body):
    """The fields to set; those left out stay as they are (null clears assignee, deadline or feature)."""

    status: Status | None = None
    assignee_id: Id | None = Field(None, description="A member of the team, or null to unassign.")
    priority: Priority | None = None
    due_at: Deadline = None
    feature_id: Id | None = Field(None, description="A feature of the same team, or null.")


class BulkRequest(Body):
    model_config = {"json_schema_extra": {"examples": [
        {"ids": [12, 15], "version": {"12": 3, "15": 1}, "set": {"status": "done"}},
        {"ids": [12, 15], "trash": True},
    ]}}

    ids: list[Id] = Field(min_length=1, max_length=bulk.MAX_IDS, description="The tasks, at most 200.")
    version: dict[Annotated[str, Field(pattern=r"^[0-9]{1,10}$")], Id] | None = Field(
        None, description="Task id → the version you read; a task that has moved on is a `conflict`."
    )
    set: BulkSet | None = Field(None, description="The change; give either this or `trash`.")
    trash: bool = Field(False, description="Move the tasks to the team's trash instead.")

    @model_validator(mode="after")
    def _one_action(self) -> BulkRequest:
        if bool(self.set is not None and self.set.model_fields_set) == self.trash:
            raise ValueError("Give either `set` with at least one field, or `trash: true`.")
        return self


class BulkResult(Out):
    id: int
    result: Literal["applied", "conflict", "refused"]
    task: TaskOut | None = Field(None, description="`applied`: the task after the change.")
    current: TaskOut | None = Field(None, description="`conflict`: the task as it is now (not changed).")
    reason: str | None = Field(None, description="`refused`: why (another team's task reads as not found).")
    errors: dict[str, list[str]] | None = Field(None, description="`refused`: messages per field.")


class BulkResults(Out):
    results: list[BulkResult] = Field(description="One per distinct id, in the order given.")
    applied: int
    conflicts: int
    refused: int


def _result(row: bulk.RowResult, task) -> BulkResult:
    if row.outcome == "conflict":
        return BulkResult(id=row.task_id, result="conflict", current=task_out(row.current))
    if row.outcome == "refused":
        return BulkResult(id=row.task_id, result="refused", reason=row.reason, errors=row.errors or None)
    return BulkResult(id=row.task_id, result="applied", task=task_out(task) if task is not None else None)


@operation(
    "POST",
    "/teams/<id:team_id>/tasks/bulk",
    summary="Change or trash many tasks at once",
    tag="Tasks",
    response=BulkResults,
    body=BulkRequest,
)
def bulk_tasks(team_id: int, body: BulkRequest):
    """Any member. Each task is its own transaction through the same checks, version guard and events as
    a single PATCH (or DELETE with `trash`), so one task's conflict or refusal does not hold back the
    others. The answer is 200 with a result per task: `applied`, `conflict` (with `current`) or `refused`
    (with `reason`); a request that makes no sense as a whole (no ids, more than 200, both or neither of
    `set` and `trash`) is a 422 and changes nothing."""
    member = teams.membership_for(caller(), team_id)
    changes = body.set.model_dump(include=body.set.model_fields_set) if body.set is not None else None
    versions = {int(k): v for k, v in (body.version or {}).items()}
    rows = bulk.apply(member, list(body.ids), changes=changes, trash=body.trash, versions=versions)
    live = {t.id: t for t in bulk.applied_tasks(member, rows)} if not body.trash else {}
    results = [_result(row, live.get(row.task_id)) for row in rows]
    counts = bulk.counts(rows)
    return reply(BulkResults(results=results, applied=counts["applied"], conflicts=counts["conflict"],
                             refused=counts["refused"]))
