"""Time tracking: /tasks/{id}/time-entries and /time-entries/{id}."""

from __future__ import annotations

from flask import url_for

from .. import tasks, timelog
from .core import caller, operation, reply
from .schemas import PagingQuery, TimeEntryCreate, TimeEntryOut, TimeEntryPage, paged


@operation(
    "GET",
    "/tasks/<id:task_id>/time-entries",
    summary="Time logged on a task",
    tag="Time",
    response=TimeEntryPage,
    query=PagingQuery,
)
def list_time_entries(task_id: int, query: PagingQuery):
    """Everyone's entries on the task, oldest day first."""
    task, _member = tasks.get_task(caller(), task_id)
    items = [TimeEntryOut.model_validate(e) for e in timelog.list_time_entries(task)]
    return reply(paged(TimeEntryPage, items, query.page, query.per_page))


@operation(
    "POST",
    "/tasks/<id:task_id>/time-entries",
    summary="Log time on a task",
    tag="Time",
    response=TimeEntryOut,
    status=201,
    body=TimeEntryCreate,
    headers={"Location": "The entry's URL."},
)
def log_time(task_id: int, body: TimeEntryCreate):
    """Any member logs hours (more than 0, at most 24 per entry) on a day up to tomorrow."""
    task, member = tasks.get_task(caller(), task_id)
    entry = timelog.log_time(member, task, body.hours, body.spent_on, body.note)
    location = url_for("api.get_time_entry", entry_id=entry.id)
    return reply(TimeEntryOut.model_validate(entry), 201, {"Location": location})


@operation("GET", "/time-entries/<id:entry_id>", summary="One time entry", tag="Time", response=TimeEntryOut)
def get_time_entry(entry_id: int):
    """An entry on a live task of one of the caller's teams."""
    entry, _member = timelog.get_time_entry(caller(), entry_id)
    return reply(TimeEntryOut.model_validate(entry))


@operation(
    "DELETE",
    "/time-entries/<id:entry_id>",
    summary="Delete a time entry",
    tag="Time",
    status=204,
    errors=[403],
)
def delete_time_entry(entry_id: int):
    """People delete their own entries; managers anyone's."""
    entry, member = timelog.get_time_entry(caller(), entry_id)
    timelog.delete_time_entry(member, entry)
    return reply(None, 204)
