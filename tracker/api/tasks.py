"""Tasks: the filtered list, create, read, partial update with concurrency control, trash, restore."""

from __future__ import annotations

from flask import request, url_for

from .. import tasks, teams
from ..models import Task
from ..response_cache import cached
from .core import ProblemResponse, caller, etag, if_match_fails, operation, reply
from .schemas import TaskCreate, TaskOut, TaskPage, TaskPatch, TaskQuery

ETAG = {"ETag": 'The task\'s version in quotes, e.g. "3"; send it back as If-Match.'}
IF_MATCH = {"If-Match": "The ETag you last read; a stale one gets 412 and changes nothing."}


def task_out(task: Task) -> TaskOut:
    return TaskOut.of(task, tasks.spent_hours([task.id]).get(task.id, 0.0))


def task_json(task: Task) -> dict:
    """The task as the API shows it (also inside a 409 problem's `current`)."""
    return task_out(task).model_dump(mode="json")


def _task_reply(task: Task, status: int = 200, **headers: str):
    return reply(task_out(task), status, {"ETag": etag(task.version), **headers})


def check_if_match(task: Task) -> None:
    if if_match_fails(task.version):
        raise ProblemResponse(
            412,
            f"The task is at version {task.version}; read it again and re-apply your change.",
            {"ETag": etag(task.version)},
            current=task_json(task),
        )


@operation(
    "GET",
    "/teams/<id:team_id>/tasks",
    summary="A team's tasks, filtered and sorted",
    tag="Tasks",
    response=TaskPage,
    query=TaskQuery,
)
@cached
def list_tasks(team_id: int, query: TaskQuery):
    """Live tasks (not in the trash) matching every filter given, one page at a time. Tasks without a
    deadline sort last."""
    member = teams.membership_for(caller(), team_id)
    task_filter = tasks.parse_task_filter(request.args)
    page = tasks.list_task_values(member, task_filter, query.page, query.per_page)
    return reply(TaskPage.model_validate(
        {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}
    ))


@operation(
    "POST",
    "/teams/<id:team_id>/tasks",
    summary="Create a task",
    tag="Tasks",
    response=TaskOut,
    status=201,
    body=TaskCreate,
    headers={"Location": "The new task's URL.", **ETAG},
)
def create_task(team_id: int, body: TaskCreate):
    """Any member creates tasks. `title` and `category` are required; the caller is the reporter."""
    member = teams.membership_for(caller(), team_id)
    task = tasks.create_task(member, body.model_dump(exclude_unset=True))
    return _task_reply(task, 201, Location=url_for("api.get_task", task_id=task.id))


@operation("GET", "/tasks/<id:task_id>", summary="One task", tag="Tasks", response=TaskOut, headers=ETAG)
def get_task(task_id: int):
    """A live task of one of the caller's teams."""
    task, _member = tasks.get_task(caller(), task_id)
    return _task_reply(task)


@operation(
    "PATCH",
    "/tasks/<id:task_id>",
    summary="Change a task",
    tag="Tasks",
    response=TaskOut,
    body=TaskPatch,
    errors=[409, 412],
    headers=ETAG,
    request_headers=IF_MATCH,
)
def patch_task(task_id: int, body: TaskPatch):
    """A partial update: only the fields sent change. Guard it with `If-Match` (412 when stale) or with
    the `version` you read (409 with the `current` task when stale); nothing is overwritten silently."""
    task, member = tasks.get_task(caller(), task_id)
    check_if_match(task)
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    tasks.update_task(member, task, data, expected_version=version)
    task, _member = tasks.get_task(caller(), task_id)
    return _task_reply(task)


@operation(
    "DELETE",
    "/tasks/<id:task_id>",
    summary="Move a task to the trash",
    tag="Tasks",
    status=204,
    errors=[412],
    request_headers=IF_MATCH,
)
def delete_task(task_id: int):
    """Any member deletes; the task goes to the team's trash, from which a manager can restore it."""
    task, member = tasks.get_task(caller(), task_id)
    check_if_match(task)
    tasks.move_to_trash(member, task)
    return reply(None, 204)


@operation(
    "POST",
    "/tasks/<id:task_id>/restore",
    summary="Restore a task from the trash",
    tag="Tasks",
    response=TaskOut,
    errors=[403, 422],
    headers=ETAG,
)
def restore_task(task_id: int):
    """Managers restore trashed tasks (a task that is not in the trash is a 422)."""
    task, member = tasks.get_task(caller(), task_id, include_trashed=True)
    tasks.restore_task(member, task)
    return _task_reply(task)
