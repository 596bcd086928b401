"""The prioritisation views over the API: GET /me/work, /teams/{id}/eisenhower, /deadlines, /forecast.

Each calls the function in tracker/prioritisation.py that the HTML page of the same view calls.
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
    MyWorkOut,
    PersonLoadOut,
    TaskOut,
    ViewQuery,
)


def _task_lists(groups: dict[str, list]) -> dict[str, list[TaskOut]]:
    """Tasks of several lists as TaskOut, with their logged hours summed in one query."""
    spent = tasks.spent_hours([t.id for items in groups.values() for t in items])
    return {name: [TaskOut.of(t, spent.get(t.id, 0.0)) for t in items] for name, items in groups.items()}


@operation("GET", "/me/work", summary="Your open tasks by deadline", tag="Views", response=MyWorkOut)
def my_work():
    """The caller's open tasks across all their teams, in buckets `overdue, today, this_week, later,
    no_due` of the caller's time zone; within a bucket by priority, then deadline."""
    user = caller()
    work = prioritisation.my_work(user)
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
    urgency window."""
    member = teams.membership_for(caller(), team_id)
    task_filter = tasks.parse_task_filter(
        {k: v for k, v in request.args.items() if k in ViewQuery.model_fields}
    )
    quadrants = prioritisation.eisenhower(member, task_filter)
    return reply(
        EisenhowerOut(urgency_window_hours=member.team.urgency_window_hours, **_task_lists(quadrants))
    )


@operation(
    "GET",
    "/teams/<id:team_id>/deadlines",
    summary="Deadlines and load (the manager's view)",
    tag="Views",
    response=DeadlinesOut,
)
def deadlines(team_id: int):
    """Overdue, due within a week and at-risk tasks; open and overdue counts per category; and per person
    the open estimate hours against their working hours before their deadlines."""
    member = teams.membership_for(caller(), team_id)
    data = prioritisation.dashboard(member)
    lists = _task_lists({"overdue": data.overdue, "due_soon": data.due_soon, "at_risk": data.at_risk})
    people = [
        PersonLoadOut(
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
        )
        for load in data.by_assignee
    ]
    categories = [CategoryLoadOut(**row) for row in data.by_category]
    return reply(DeadlinesOut(**lists, by_category=categories, by_assignee=people))


@operation(
    "GET",
    "/teams/<id:team_id>/forecast",
    summary="Projected finish and risk per open task",
    tag="Views",
    response=ForecastOut,
)
def forecast(team_id: int):
    """For every open task: when it should be finished, from each assignee's queue (priority, then
    deadline), remaining estimates and working hours in their time zone; and whether that is after
    its deadline."""
    member = teams.membership_for(caller(), team_id)
    team_forecast = stored_forecast.load(stored_forecast.open_in_team(team_id))
    items = []
    for task in prioritisation.open_tasks(member):
        result = team_forecast.results.get(task.id)
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
                explanation=team_forecast.explain(task.id),
            )
        )
    return reply(ForecastOut(items=items))
