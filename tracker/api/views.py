"""The prioritisation views over the API: GET /me/work, /teams/{id}/eisenhower, /deadlines, /forecast.

Each calls the function in tracker/prioritisation.py that the HTML page of the same view calls, with the
same bounds: every list holds its first `limit` tasks, and `totals` says how many there are in all.
"""

from __future__ import annotations

from flask import request

from .. import prioritisation, stored_forecast, tasks, teams
from .core import caller, operation, reply
from .schemas import (
    CategoryLoadOut,
    DeadlinesOut,
    EisenhowerOut,
    ForecastItemOut,
    ForecastOut,
    LimitQuery,
    MyWorkOut,
    PagingQuery,
    PersonLoadOut,
    TaskOut,
    ViewQuery,
)


def _task_lists(groups: prioritisation.Groups) -> dict:
    """Bounded lists of tasks as TaskOut, their logged hours summed in one query, and their totals."""
    spent = tasks.spent_hours(groups.task_ids)
    lists = {name: [TaskOut.of(t, spent.get(t.id, 0.0)) for t in items] for name, items in groups.items()}
    return {**lists, "totals": groups.totals}


@operation(
    "GET",
    "/me/work",
    summary="Your open tasks by deadline",
    tag="Views",
    response=MyWorkOut,
    query=LimitQuery,
)
def my_work(query: LimitQuery):
    """The caller's open tasks across all their teams, in buckets `overdue, today, this_week, later,
    no_due` of the caller's time zone; within a bucket by priority, then deadline."""
    user = caller()
    work = prioritisation.my_work(user, limit=query.limit)
    return reply(MyWorkOut(timezone=user.timezone, **_task_lists(work.buckets)))


@operation(
    "GET",
    "/teams/<id:team_id>/eisenhower",
    summary="Open tasks in Eisenhower quadrants",
    tag="Views",
    response=EisenhowerOut,
    query=ViewQuery,
)
def eisenhower(team_id: int, query: ViewQuery):
    """Important means priority critical or high; urgent means overdue or due within the team's
    urgency window. Each quadrant by deadline."""
    member = teams.membership_for(caller(), team_id)
    task_filter = tasks.parse_task_filter(
        {k: v for k, v in request.args.items() if k in ViewQuery.model_fields}
    )
    quadrants = prioritisation.eisenhower(member, task_filter, limit=query.limit)
    return reply(
        EisenhowerOut(urgency_window_hours=member.team.urgency_window_hours, **_task_lists(quadrants))
    )


def _person(load: prioritisation.PersonLoad) -> PersonLoadOut:
    return PersonLoadOut(
        user_id=load.user.id,
        name=load.user.name,
        open_tasks=load.open_tasks,
        remaining_hours=load.remaining_hours,
        unestimated=load.unestimated,
        capacity_hours_per_week=load.capacity_hours_per_week,
        tight_due_at=load.tight_due_at,
        needed_hours=load.needed_hours,
        available_hours=load.available_hours,
        overloaded=load.overloaded,
        overdue_tasks=load.overdue_tasks,
        overdue_hours=load.overdue_hours,
        week_hours=load.week_hours,
        week_capacity_hours=load.week_capacity_hours,
        four_weeks_hours=load.four_weeks_hours,
        four_weeks_capacity_hours=load.four_weeks_capacity_hours,
    )


@operation(
    "GET",
    "/teams/<id:team_id>/deadlines",
    summary="Deadlines and load (the manager's view)",
    tag="Views",
    response=DeadlinesOut,
    query=LimitQuery,
)
def deadlines(team_id: int, query: LimitQuery):
    """Overdue, due within a week and at-risk tasks (by deadline); open and overdue counts per category;
    and per person the open estimate hours against their working hours before their deadlines."""
    member = teams.membership_for(caller(), team_id)
    data = prioritisation.dashboard(member, limit=query.limit)
    categories = [CategoryLoadOut(**row) for row in data.by_category]
    people = [_person(load) for load in data.by_assignee]
    return reply(DeadlinesOut(**_task_lists(data.lists), by_category=categories, by_assignee=people))


@operation(
    "GET",
    "/teams/<id:team_id>/forecast",
    summary="Projected finish and risk per open task",
    tag="Views",
    response=ForecastOut,
    query=PagingQuery,
)
def forecast(team_id: int, query: PagingQuery):
    """For every open task (a page of them, by deadline): when it should be finished, from each
    assignee's queue (priority, then deadline), remaining estimates and working hours in their time
    zone; and whether that is after its deadline."""
    member = teams.membership_for(caller(), team_id)
    page = tasks.list_tasks(member, tasks.TaskFilter(status="open"), query.page, query.per_page)
    stored = stored_forecast.load([task.id for task in page.items])
    items = []
    for task in page.items:
        result = stored.result(task.id)
        if result is None:
            continue
        items.append(
            ForecastItemOut(
                task_id=task.id,
                title=task.title,
                assignee_id=task.assignee_id,
                due_at=task.due_at,
                projected_finish_at=result.projected_finish_at,
                at_risk=result.at_risk,
                slack_hours=result.slack_hours,
                remaining_hours=result.remaining_hours,
                reason=result.reason,
                waits_for=list(result.waits_for),
                explanation=stored.explain(task.id),
            )
        )
    return reply(ForecastOut(items=items, total=page.total, page=page.page, per_page=page.per_page))
